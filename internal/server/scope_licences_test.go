package server

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/identity"
)

// Licences are read and managed by the issuing department's staff within
// their grant's region (the region the licence was issued for), not by the
// department alone; licence types only by installation administrators.
func TestLicenceScope(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		api := ts.URL + "/api/v1"
		amr := deptID(t, d, amrName)
		ts.scopedStaff(t, "town-approver", identity.Grant{Role: identity.RoleApprover, DepartmentID: amr, RegionCode: townRegion})
		ts.scopedStaff(t, "street-approver", identity.Grant{Role: identity.RoleApprover, DepartmentID: amr, RegionCode: streetRegion})
		ts.scopedStaff(t, "town-supervisor", identity.Grant{Role: identity.RoleSupervisor, DepartmentID: deptID(t, d, govName), RegionCode: townRegion})
		ts.scopedStaff(t, "town-admin", identity.Grant{Role: identity.RoleAdmin, RegionCode: townRegion})
		district := grantedLicence(t, api) // issued for the district (the item's region)
		town := grantedLicence(t, api)
		// The second as if issued for 南沱镇: its case is the town's.
		if err := d.Update(context.Background(), func(tx *db.Tx) error {
			_, err := tx.Exec(`UPDATE cases SET region_code = $1 WHERE id = (SELECT case_id FROM licences WHERE identifier = $2)`, townRegion, town)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		townAp, streetAp, townSup, districtAp := apiToken(t, api, "town-approver"), apiToken(t, api, "street-approver"),
			apiToken(t, api, "town-supervisor"), apiToken(t, api, "approver")

		for _, c := range []struct {
			who, token, licence string
			status              int
		}{
			{"town approver, the district's licence", townAp, district, 404},
			{"town supervisor, the district's licence", townSup, district, 404},
			{"street approver, the town's licence", streetAp, town, 404},
			{"town approver, the town's licence", townAp, town, 200},
			{"town supervisor, the town's licence", townSup, town, 200},
			{"district approver, the town's licence", districtAp, town, 200},
			{"district approver, the district's licence", districtAp, district, 200},
		} {
			for _, path := range []string{"", "/file"} {
				st, m := apiCall(t, "GET", api+"/licences/"+c.licence+path, c.token, "")
				if st != c.status {
					t.Errorf("%s%s: %d %v, want %d", c.who, path, st, m, c.status)
				}
				if st != 200 && strings.Contains(mapString(m), "500102198506120011") {
					t.Errorf("%s%s: the refusal shows the ID number", c.who, path)
				}
			}
		}
		// Status changes: refused outside the region, and nothing changes.
		if st, m := apiCall(t, "POST", api+"/licences/"+district+"/status", townAp, `{"action":"suspend","reason":"核查"}`); st != 404 {
			t.Errorf("town approver suspends the district's licence: %d %v", st, m)
		}
		if st, m := apiCall(t, "POST", api+"/licences/"+town+"/status", townSup, `{"action":"suspend","reason":"核查"}`); st != 403 {
			t.Errorf("a supervisor suspends: %d %v", st, m)
		}
		if st, m := apiCall(t, "POST", api+"/licences/"+town+"/status", townAp, `{"action":"suspend","reason":"核查"}`); st != 200 || m["status"] != "suspended" {
			t.Errorf("town approver suspends the town's licence: %d %v", st, m)
		}
		var status string
		d.Reader().QueryRow(`SELECT status FROM licences WHERE identifier = $1`, district).Scan(&status)
		if status != "valid" {
			t.Errorf("the district's licence is %s", status)
		}
		// The issued list: each sees their region's.
		issued := func(token string) []string {
			st, m := apiCall(t, "GET", api+"/licences?scope=issued", token, "")
			if st != 200 {
				t.Fatalf("issued: %d %v", st, m)
			}
			var ids []string
			for _, l := range m["licences"].([]any) {
				ids = append(ids, l.(map[string]any)["licence"].(map[string]any)["identifier"].(string))
			}
			return ids
		}
		if got := issued(townAp); len(got) != 1 || got[0] != town {
			t.Errorf("town approver's issued list: %v", got)
		}
		if got := issued(streetAp); len(got) != 0 {
			t.Errorf("street approver's issued list: %v", got)
		}
		if got := issued(districtAp); len(got) != 2 {
			t.Errorf("district approver's issued list: %v", got)
		}

		// The pages: the licence, its PDF and file, and 证照管理.
		c := ts.client()
		ts.webLogin(t, c, "town-approver")
		for _, p := range []string{"", "/pdf", "/file"} {
			r, _ := c.Get(ts.URL + "/licences/" + district + p)
			if b := body(t, r); r.StatusCode != 404 || strings.Contains(b, "500102198506120011") {
				t.Errorf("web: town approver opens the district's licence%s: %d", p, r.StatusCode)
			}
			if r, _ = c.Get(ts.URL + "/licences/" + town + p); r.StatusCode != 200 {
				t.Errorf("web: town approver opens the town's licence%s: %d", p, r.StatusCode)
			}
			r.Body.Close()
		}
		r, _ := c.Get(ts.URL + "/workbench/licences")
		if b := body(t, r); r.StatusCode != 200 || strings.Contains(b, district) || !strings.Contains(b, town) {
			t.Errorf("web: town approver's 证照管理 (%d) lists the district's licence or not the town's", r.StatusCode)
		}
		tok := csrf(t, c, ts.URL+"/licences/"+town)
		r, _ = c.PostForm(ts.URL+"/licences/"+district+"/status", url.Values{"csrf_token": {tok}, "action": {"revoke"}, "reason": {"依法撤销"}})
		if r.StatusCode != 404 {
			t.Errorf("web: town approver revokes the district's licence: %d", r.StatusCode)
		}
		r.Body.Close()

		// Licence types are the installation's.
		typ := `{"code":"11100000000013338W099","name":"测试证照","authority":"国家市场监督管理总局","validity_years":3,
			"fields":[{"key":"姓名","label":"姓名","from":"applicant.name"}]}`
		townAdmin := apiToken(t, api, "town-admin")
		if st, m := apiCall(t, "PUT", api+"/admin/licence-types/11100000000013338W099", townAdmin, typ); st != 403 || m["message_key"] != "licence.type_installation_only" {
			t.Errorf("town admin defines a licence type: %d %v", st, m)
		}
		a := ts.client()
		ts.webLogin(t, a, "town-admin")
		tok = csrf(t, a, ts.URL+"/admin")
		r, _ = a.PostForm(ts.URL+"/admin/licence-types", url.Values{"csrf_token": {tok}, "type_json": {typ}})
		if r.StatusCode != 403 {
			t.Errorf("web: town admin defines a licence type: %d", r.StatusCode)
		}
		r.Body.Close()
		var n int
		d.Reader().QueryRow(`SELECT COUNT(*) FROM licence_types WHERE code = '11100000000013338W099'`).Scan(&n)
		if n != 0 {
			t.Error("the town's administrator defined a licence type")
		}
		if st, m := apiCall(t, "PUT", api+"/admin/licence-types/11100000000013338W099", apiToken(t, api, "admin"), typ); st != 200 {
			t.Errorf("the district's administrator (the installation's) defines a type: %d %v", st, m)
		}
	})
}

func mapString(m map[string]any) string { return fmt.Sprint(m) }
