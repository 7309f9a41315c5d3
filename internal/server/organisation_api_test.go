package server

import (
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/identity"
)

// counts is the number of departments, halls and windows and of their
// audit records: a refused request changes none of them.
func orgCounts(t *testing.T, d *db.DB) [4]int {
	t.Helper()
	var c [4]int
	for i, q := range []string{`SELECT COUNT(*) FROM departments`, `SELECT COUNT(*) FROM halls`, `SELECT COUNT(*) FROM windows`,
		`SELECT COUNT(*) FROM (SELECT object_type FROM audit_pending UNION ALL SELECT object_type FROM audit_records) a
			WHERE object_type IN ('department', 'hall', 'window', 'region')`} {
		if err := d.Reader().QueryRow(q).Scan(&c[i]); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// Issue 15: the organisation through the API — a department, a hall with a
// window serving an item — and every bad input refused, naming its field,
// writing nothing; a town's administrator cannot touch the district's.
func TestOrganisationAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		api := ts.URL + "/api/v1"
		ts.scopedStaff(t, "town-admin", identity.Grant{Role: identity.RoleAdmin, RegionCode: townRegion})
		tok := apiToken(t, api, "admin")
		townTok := apiToken(t, api, "town-admin")
		gov := deptID(t, d, govName)
		credit, err := codes.CompleteCreditCode("11500102MB0001XA")
		if err != nil {
			t.Fatal(err)
		}
		var village, outside, otherTownItem, districtItem string
		r := d.Reader()
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(r.QueryRow(`SELECT code FROM regions WHERE parent_code = $1 ORDER BY code`, townRegion).Scan(&village))
		must(r.QueryRow(`SELECT code FROM regions WHERE code NOT LIKE '500102%' ORDER BY code`).Scan(&outside))
		must(r.QueryRow(`SELECT impl_code FROM items WHERE region_code LIKE '500102%' AND region_code NOT IN ('500102', $1) ORDER BY impl_code`, townRegion).Scan(&otherTownItem))
		must(r.QueryRow(`SELECT impl_code FROM items WHERE region_code = '500102' ORDER BY impl_code`).Scan(&districtItem))
		// The village's hall is taken away so that one can be created.
		must(d.Update(t.Context(), func(tx *db.Tx) error {
			_, err := tx.Exec(`DELETE FROM halls WHERE region_code = $1`, village)
			return err
		}))

		ok := func(status int, method, path, token, body string) map[string]any {
			t.Helper()
			st, m := apiCall(t, method, api+path, token, body)
			if st != status {
				t.Fatalf("%s %s: %d %v", method, path, st, m)
			}
			return m
		}
		dept := ok(201, "POST", "/admin/departments", tok, `{"name":"重庆市涪陵区数据管理中心","name_en":"Data Centre","credit_code":"`+credit+
			`","region_code":"500102","parent_id":"`+gov+`","kind":"institution","phone":"023-72220000","address":"涪陵区太极大道 1 号"}`)
		if dept["kind"] != "institution" || dept["parent_id"] != gov || dept["active"] != true || dept["region"] == "" {
			t.Fatalf("department: %v", dept)
		}
		deptID := dept["id"].(string)
		hall := ok(201, "POST", "/admin/halls", tok, `{"region_code":"`+village+`","address":"村委会一楼","phone":"023-72221111",
			"hours":[{"days":[1,2,3,4,5],"from":"09:00","to":"12:00"},{"days":[1,2,3,4,5],"from":"14:00","to":"17:30"}],"lat":29.70,"lng":107.39}`)
		if hall["level"] != float64(5) || !strings.HasSuffix(hall["name"].(string), "便民服务站") || len(hall["hours"].([]any)) != 2 {
			t.Fatalf("hall: %v", hall)
		}
		hallID := hall["id"].(string)
		win := ok(201, "POST", "/admin/halls/"+hallID+"/windows", tok, `{"number":"1","name":"综合受理","kind":"comprehensive","items":["`+districtItem+`"],"departments":["`+deptID+`"]}`)
		winID := win["id"].(string)
		if m := ok(200, "GET", "/admin/halls/"+hallID+"/windows", tok, ""); len(m["windows"].([]any)) != 1 {
			t.Fatalf("windows: %v", m)
		}
		// Edits: deactivate the department and the window, move the hall's hours.
		if m := ok(200, "PATCH", "/admin/departments/"+deptID, tok, `{"active":false,"phone":"023-72220001"}`); m["active"] != false || m["phone"] != "023-72220001" || m["name"] != "重庆市涪陵区数据管理中心" {
			t.Fatalf("patched department: %v", m)
		}
		ok(200, "PATCH", "/admin/windows/"+winID, tok, `{"active":false}`)
		ok(200, "PATCH", "/admin/halls/"+hallID, tok, `{"hours":[{"days":[6],"from":"09:00","to":"12:00"}]}`)
		// The public lists carry the new fields.
		if m := ok(200, "GET", "/halls?region="+village, "", ""); len(m["halls"].([]any)) != 1 || m["halls"].([]any)[0].(map[string]any)["lat"] != 29.70 {
			t.Fatalf("public halls: %v", m)
		}

		before := orgCounts(t, d)
		if before[3] < 6 {
			t.Fatalf("audit records: %v", before)
		}
		bad, _ := codes.CompleteCreditCode("11500102MB0002XA")
		bad = bad[:17] + map[bool]string{true: "1", false: "0"}[bad[17] == '0']
		for _, c := range []struct {
			what, method, path, token, body string
			status                          int
			field                           string
		}{
			{"invalid credit code", "POST", "/admin/departments", tok, `{"name":"x","credit_code":"` + bad + `","region_code":"500102"}`, 400, "credit_code"},
			{"duplicate credit code", "POST", "/admin/departments", tok, `{"name":"x","credit_code":"` + credit + `","region_code":"500102"}`, 409, "credit_code"},
			{"unknown region", "POST", "/admin/departments", tok, `{"name":"x","credit_code":"` + mustCredit(t, "11500102MB0003XA") + `","region_code":"500102999000"}`, 400, "region_code"},
			{"region outside the scope", "POST", "/admin/departments", tok, `{"name":"x","credit_code":"` + mustCredit(t, "11500102MB0004XA") + `","region_code":"` + outside + `"}`, 403, ""},
			{"unknown kind", "POST", "/admin/departments", tok, `{"name":"x","credit_code":"` + mustCredit(t, "11500102MB0005XA") + `","region_code":"500102","kind":"ministry"}`, 400, "kind"},
			{"a department with items moved to a town", "PATCH", "/admin/departments/" + gov, tok, `{"region_code":"` + townRegion + `"}`, 409, "region_code"},
			{"bad phone", "PATCH", "/admin/departments/" + deptID, tok, `{"phone":"call me"}`, 400, "phone"},
			{"parent in a town below", "PATCH", "/admin/departments/" + gov, tok, `{"parent_id":"` + deptID + `"}`, 400, ""},
			{"a second hall in the division", "POST", "/admin/halls", tok, `{"region_code":"` + village + `"}`, 409, "region_code"},
			{"hours ending before they start", "PATCH", "/admin/halls/" + hallID, tok, `{"hours":[{"days":[1],"from":"12:00","to":"09:00"}]}`, 400, "hours[0].to"},
			{"hours on day 8", "PATCH", "/admin/halls/" + hallID, tok, `{"hours":[{"days":[8],"from":"09:00","to":"12:00"}]}`, 400, "hours[0].days"},
			{"hours not a time", "PATCH", "/admin/halls/" + hallID, tok, `{"hours":[{"days":[1],"from":"9am","to":"12:00"}]}`, 400, "hours[0].from"},
			{"overlapping hours", "PATCH", "/admin/halls/" + hallID, tok, `{"hours":[{"days":[1,2],"from":"09:00","to":"12:00"},{"days":[2],"from":"11:00","to":"13:00"}]}`, 400, "hours[1]"},
			{"latitude out of range", "PATCH", "/admin/halls/" + hallID, tok, `{"lat":91,"lng":107}`, 400, "lat"},
			{"latitude without longitude", "PATCH", "/admin/halls/" + hallID, tok, `{"lat":29}`, 400, "lng"},
			{"a window serving another town's item", "POST", "/admin/halls/" + hallID + "/windows", tok, `{"number":"2","name":"x","kind":"special","items":["` + otherTownItem + `"]}`, 400, "items[0]"},
			{"a window serving an unknown item", "PATCH", "/admin/windows/" + winID, tok, `{"items":["NOPE"]}`, 400, "items[0]"},
			{"a window number taken", "POST", "/admin/halls/" + hallID + "/windows", tok, `{"number":"1","name":"x","kind":"special"}`, 409, "number"},
			{"an unknown window kind", "POST", "/admin/halls/" + hallID + "/windows", tok, `{"number":"3","name":"x","kind":"vip"}`, 400, "kind"},
			{"an unknown field", "POST", "/admin/halls/" + hallID + "/windows", tok, `{"number":"3","name":"x","kind":"special","colour":"red"}`, 400, ""},
			// A town's administrator cannot touch the district's departments, halls or divisions.
			{"town admin edits a district department", "PATCH", "/admin/departments/" + gov, townTok, `{"phone":"023-1234567"}`, 403, ""},
			{"town admin creates a district department", "POST", "/admin/departments", townTok, `{"name":"x","credit_code":"` + mustCredit(t, "11500102MB0006XA") + `","region_code":"500102"}`, 403, ""},
			{"town admin stops serving the district", "PUT", "/admin/regions/500102/served", townTok, `{"served":false}`, 403, ""},
			{"a division with halls stops being served", "PUT", "/admin/regions/" + village + "/served", tok, `{"served":false}`, 409, ""},
		} {
			st, m := apiCall(t, c.method, api+c.path, c.token, c.body)
			if st != c.status {
				t.Errorf("%s: %d %v", c.what, st, m)
				continue
			}
			if msg, _ := m["message"].(string); c.field != "" && !strings.HasPrefix(msg, c.field) {
				t.Errorf("%s: the message does not name %s: %v", c.what, c.field, m)
			}
		}
		if after := orgCounts(t, d); after != before {
			t.Errorf("refused requests wrote: %v → %v", before, after)
		}
		// The town's administrator sees the town's departments only.
		m := ok(200, "GET", "/admin/departments", townTok, "")
		for _, x := range m["departments"].([]any) {
			if rc := x.(map[string]any)["region_code"].(string); !strings.HasPrefix(rc, "500102103") {
				t.Errorf("town admin sees a department of %s", rc)
			}
		}
		// An unserved division takes no hall.
		var bare string
		must(r.QueryRow(`SELECT r.code FROM regions r WHERE r.code LIKE '500102103%' AND r.level = 5 AND r.code <> $1
			AND NOT EXISTS (SELECT 1 FROM items i WHERE i.region_code = r.code) ORDER BY r.code`, village).Scan(&bare))
		must(d.Update(t.Context(), func(tx *db.Tx) error {
			_, err := tx.Exec(`DELETE FROM halls WHERE region_code = $1`, bare)
			return err
		}))
		ok(200, "PUT", "/admin/regions/"+bare+"/served", townTok, `{"served":false}`)
		if st, m := apiCall(t, "POST", api+"/admin/halls", townTok, `{"region_code":"`+bare+`"}`); st != 400 || !strings.HasPrefix(m["message"].(string), "region_code") {
			t.Errorf("hall in an unserved division: %d %v", st, m)
		}
	})
}

func mustCredit(t *testing.T, prefix string) string {
	t.Helper()
	c, err := codes.CompleteCreditCode(prefix)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
