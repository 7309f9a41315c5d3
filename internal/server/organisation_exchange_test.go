package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
)

// Issue 15: the organisation as JSON and xlsx — exported, imported back
// unchanged; a file with faults is refused whole, every fault named by its
// entry (JSON) or sheet, row and column (xlsx), and nothing is written.
func TestOrganisationExchange(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		api := ts.URL + "/api/v1"
		tok := apiToken(t, api, "admin")
		download := func(format string) []byte {
			t.Helper()
			req, _ := http.NewRequest("GET", api+"/admin/organisation/export?format="+format, nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			r, err := http.DefaultClient.Do(req)
			if err != nil || r.StatusCode != 200 {
				t.Fatalf("export %s: %v %v", format, r, err)
			}
			return []byte(body(t, r))
		}
		var ex catalog.OrgExchange
		if err := json.Unmarshal(download("json"), &ex); err != nil || len(ex.Departments) < 30 || len(ex.Halls) < 20 {
			t.Fatalf("export: %v %d %d", err, len(ex.Departments), len(ex.Halls))
		}
		var town string
		if err := d.Reader().QueryRow(`SELECT impl_code FROM items WHERE region_code LIKE '500102%' AND region_code <> '500102' ORDER BY impl_code`).Scan(&town); err != nil {
			t.Fatal(err)
		}
		// A new department and a window of the district's hall.
		dh := -1
		for i, h := range ex.Halls {
			if h.RegionCode == "500102" {
				dh = i
			}
		}
		ex.Departments = append(ex.Departments, catalog.OrgDepartment{CreditCode: mustCredit(t, "12500102MB0011XA"), Name: "涪陵区政务数据中心",
			RegionCode: "500102", Parent: ex.Departments[0].CreditCode, Kind: "institution", Active: true})
		ex.Windows = append(ex.Windows, catalog.OrgWindow{Hall: "500102", Number: "12", Name: "综合受理", Kind: "comprehensive",
			Departments: []string{ex.Departments[len(ex.Departments)-1].CreditCode}, Active: true})
		ex.Halls[dh].Hours = []catalog.Opening{{Days: []int{1, 2, 3, 4, 5}, From: "09:00", To: "17:00"}}
		good, _ := json.Marshal(ex)

		// Faults: a bad credit code, a window serving another region's item, bad hours.
		bad := ex
		bad.Departments = append([]catalog.OrgDepartment{}, ex.Departments...)
		bad.Departments[1].CreditCode = bad.Departments[1].CreditCode[:17] + "Y"
		bad.Windows = append([]catalog.OrgWindow{}, ex.Windows...)
		bad.Windows[len(bad.Windows)-1].Items = []string{town}
		bad.Halls = append([]catalog.OrgHall{}, ex.Halls...)
		bad.Halls[dh].Hours = []catalog.Opening{{Days: []int{1}, From: "18:00", To: "09:00"}}
		b, _ := json.Marshal(bad)
		before := orgCounts(t, d)
		st, m := apiCall(t, "POST", api+"/admin/organisation/import?format=json", tok, string(b))
		det, _ := m["details"].([]any)
		var msgs []string
		for _, x := range det {
			msgs = append(msgs, x.(map[string]any)["message"].(string))
		}
		all := strings.Join(msgs, "\n")
		if st != 400 || !strings.Contains(all, "departments[1].credit_code") || !strings.Contains(all, "windows["+strconv.Itoa(len(bad.Windows)-1)+"].items") ||
			!strings.Contains(all, "halls["+strconv.Itoa(dh)+"].hours[0].to") {
			t.Fatalf("import with faults: %d %s", st, all)
		}
		if after := orgCounts(t, d); after != before {
			t.Errorf("a refused import wrote: %v → %v", before, after)
		}

		st, m = apiCall(t, "POST", api+"/admin/organisation/import?format=json", tok, string(good))
		if st != 200 || m["created"] != float64(2) {
			t.Fatalf("import: %d %v", st, m)
		}
		var parent string
		if err := d.Reader().QueryRow(`SELECT p.credit_code FROM departments d JOIN departments p ON p.id = d.parent_id WHERE d.name = '涪陵区政务数据中心'`).Scan(&parent); err != nil || parent != ex.Departments[0].CreditCode {
			t.Errorf("the imported department's parent: %q %v", parent, err)
		}

		// xlsx: the export read back, one cell broken: refused, the cell named.
		x, loc, err := catalog.ReadOrgXLSX(bytes.NewReader(download("xlsx")))
		if err != nil || loc == nil || len(x.Windows) == 0 {
			t.Fatalf("exported xlsx: %v", err)
		}
		x.Windows[0].Items = []string{town}
		var buf bytes.Buffer
		if err := x.WriteXLSX(&buf); err != nil {
			t.Fatal(err)
		}
		before = orgCounts(t, d)
		st, m = apiCall(t, "POST", api+"/admin/organisation/import?format=xlsx", tok, buf.String())
		if det, _ := m["details"].([]any); st != 400 || len(det) != 1 || !strings.Contains(det[0].(map[string]any)["message"].(string), "窗口!E2") {
			t.Errorf("xlsx import with a fault: %d %v", st, m)
		}
		if after := orgCounts(t, d); after != before {
			t.Errorf("a refused xlsx import wrote: %v → %v", before, after)
		}
	})
}
