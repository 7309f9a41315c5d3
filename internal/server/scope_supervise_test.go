package server

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/demo"
	"github.com/tongban/tongban/internal/identity"
)

// A town's administrator configures the town only: never an installation-wide
// rule or threshold, nor a rule of another region by naming their own.
func TestSupervisionSettingsScope(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		api := ts.URL + "/api/v1"
		ts.scopedStaff(t, "town-admin", identity.Grant{Role: identity.RoleAdmin, RegionCode: townRegion})
		ts.scopedStaff(t, "street-admin", identity.Grant{Role: identity.RoleAdmin, RegionCode: streetRegion})
		ts.scopedStaff(t, "dept-admin", identity.Grant{Role: identity.RoleAdmin, DepartmentID: deptID(t, d, amrName)})
		town, street, deptAdmin, admin := apiToken(t, api, "town-admin"), apiToken(t, api, "street-admin"),
			apiToken(t, api, "dept-admin"), apiToken(t, api, "admin")
		rule := func(region string) string {
			return `{"region_code":"` + region + `","clock":"decision","level":"red","action":"urge","enabled":true}`
		}
		regionOf := func(id string) string {
			var r string
			if err := d.Reader().QueryRow(`SELECT region_code FROM escalation_rules WHERE id = $1`, id).Scan(&r); err != nil {
				t.Fatal(err)
			}
			return r
		}
		for _, c := range []struct {
			name, method, path, token, payload string
			status                             int
			key                                string
		}{
			{"town admin overwrites the installation-wide rule naming the town", "PUT", "/admin/escalation-rules/default-decision-red", town,
				rule(townRegion), 403, "supervise.installation_only"},
			{"town admin switches the installation-wide rule off", "PUT", "/admin/escalation-rules/default-decision-red", town,
				`{"clock":"decision","level":"red","action":"urge","enabled":false}`, 403, "supervise.installation_only"},
			{"a department's admin (no region) overwrites it", "PUT", "/admin/escalation-rules/default-decision-red", deptAdmin,
				rule(""), 403, "supervise.installation_only"},
			{"town admin makes a district rule", "PUT", "/admin/escalation-rules/town-made", town, rule(demo.Region), 403, "supervise.region_forbidden"},
			{"town admin makes a town rule", "PUT", "/admin/escalation-rules/town-rule", town, rule(townRegion), 200, ""},
			{"street admin overwrites the town's rule", "PUT", "/admin/escalation-rules/town-rule", street, rule(streetRegion), 403, "supervise.region_forbidden"},
			{"district admin changes the town's rule", "PUT", "/admin/escalation-rules/town-rule", admin, rule(townRegion), 200, ""},
			{"town admin sets installation-wide thresholds", "PUT", "/admin/signal-thresholds", town,
				`{"region_code":"","item_type":"","warn_days":3,"yellow_days":1,"red_days":2}`, 200, ""}, // "" is their own region
			{"town admin sets the district's thresholds", "PUT", "/admin/signal-thresholds", town,
				`{"region_code":"500102","item_type":"","warn_days":3,"yellow_days":1,"red_days":2}`, 403, "supervise.region_forbidden"},
			{"town admin removes installation-wide thresholds", "DELETE", "/admin/signal-thresholds?region_code=&item_type=", town, "", 403,
				"supervise.installation_only"},
			{"a department's admin sets a town's thresholds", "PUT", "/admin/signal-thresholds", deptAdmin,
				`{"region_code":"` + townRegion + `","item_type":"","warn_days":3,"yellow_days":1,"red_days":2}`, 403, "supervise.region_forbidden"},
			{"street admin removes the town's thresholds", "DELETE", "/admin/signal-thresholds?region_code=" + townRegion + "&item_type=", street, "", 403,
				"supervise.region_forbidden"},
			{"district admin switches the installation-wide rule off", "PUT", "/admin/escalation-rules/default-decision-red", admin,
				`{"clock":"decision","level":"red","action":"urge","enabled":false}`, 200, ""},
		} {
			st, m := apiCall(t, c.method, api+c.path, c.token, c.payload)
			if st != c.status || c.key != "" && m["code"] != nil && m["message_key"] != c.key {
				t.Errorf("%s: %d %v, want %d %s", c.name, st, m, c.status, c.key)
			}
		}
		if r := regionOf("default-decision-red"); r != "" {
			t.Errorf("the installation-wide rule moved to %q", r)
		}
		if r := regionOf("town-rule"); r != townRegion {
			t.Errorf("the town's rule is now of %q", r)
		}
		var n int
		d.Reader().QueryRow(`SELECT COUNT(*) FROM signal_thresholds WHERE region_code = $1`, townRegion).Scan(&n)
		if n != 1 {
			t.Errorf("town thresholds: %d rows", n)
		}

		// The settings each reads: the street office sees neither the town's
		// rule nor its thresholds; the district sees both.
		_, m := apiCall(t, "GET", api+"/supervision/settings", street, "")
		if hasRule(m, "town-rule") || !hasRule(m, "default-decision-red") || len(m["thresholds"].([]any)) != 0 {
			t.Errorf("street admin's settings: %v", m)
		}
		_, m = apiCall(t, "GET", api+"/supervision/settings", admin, "")
		if !hasRule(m, "town-rule") || len(m["thresholds"].([]any)) != 1 {
			t.Errorf("district admin's settings: %v", m)
		}

		// The web form: a town administrator switching the installation-wide
		// rule off is refused, and the rule stays on.
		c := ts.client()
		ts.webLogin(t, c, "town-admin")
		tok := csrf(t, c, ts.URL+"/admin")
		r, err := c.PostForm(ts.URL+"/admin/supervision/rules/default-decision-yellow", url.Values{"csrf_token": {tok}, "enabled": {"0"}})
		if err != nil {
			t.Fatal(err)
		}
		if b := body(t, r); r.StatusCode != 403 {
			t.Errorf("web: town admin switches an installation-wide rule off: %d %.300s", r.StatusCode, b)
		}
		var on bool
		d.Reader().QueryRow(`SELECT enabled FROM escalation_rules WHERE id = 'default-decision-yellow'`).Scan(&on)
		if !on {
			t.Error("the installation-wide rule was switched off")
		}
		r, _ = c.PostForm(ts.URL+"/admin/supervision/thresholds", url.Values{"csrf_token": {tok}, "region_code": {demo.Region},
			"warn_days": {"3"}, "yellow_days": {"1"}, "red_days": {"2"}})
		if b := body(t, r); r.StatusCode != 403 {
			t.Errorf("web: town admin sets the district's thresholds: %d %.300s", r.StatusCode, b)
		}
	})
}

func hasRule(m map[string]any, id string) bool {
	rules, _ := m["rules"].([]any)
	for _, r := range rules {
		if r.(map[string]any)["id"] == id {
			return true
		}
	}
	return false
}

// Statistics, signals, anomalies and the monthly report for department
// staff follow their grant's region: a town's approver sees their
// department within the town, never the district's figures.
func TestSupervisionFiguresScope(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		api := ts.URL + "/api/v1"
		amr := deptID(t, d, amrName)
		ts.scopedStaff(t, "town-approver", identity.Grant{Role: identity.RoleApprover, DepartmentID: amr, RegionCode: townRegion})
		ts.scopedStaff(t, "town-supervisor", identity.Grant{Role: identity.RoleSupervisor, DepartmentID: deptID(t, d, govName), RegionCode: townRegion})
		code := soleTraderCode(t, api)
		// A district case, accepted and left to run two working days late.
		st, m := apiCall(t, "POST", api+"/cases", apiToken(t, api, "clerk"), `{"item_code":"`+code+`","applicant":"500102198506120011","submit":true,"accept":true,
			"form_values":{"applicant_name":["张三"],"applicant_id":["500102198506120011"],"applicant_phone":["13800000000"],"form_of":["person"],
			"scope":["小吃服务"],"org_address":["500102006001","滨江路 1 号"],"capital":["5"]}}`)
		if st != 201 && st != 200 {
			t.Fatalf("file: %d %v", st, m)
		}
		no := m["case"].(map[string]any)["case_no"].(string)
		ts.now = time.Date(2026, 2, 26, 2, 0, 0, 0, time.UTC)
		if _, err := ts.scanner(t).Pass(context.Background()); err != nil {
			t.Fatal(err)
		}
		townAp, townSup, districtAp := apiToken(t, api, "town-approver"), apiToken(t, api, "town-supervisor"), apiToken(t, api, "approver")
		period := "?from=2026-02-01&to=2026-02-28"
		submitted := func(m map[string]any) float64 {
			return m["summary"].(map[string]any)["totals"].(map[string]any)["submitted"].(float64)
		}
		st, m = apiCall(t, "GET", api+"/supervision/stats"+period, districtAp, "")
		if st != 200 || submitted(m) != 1 || len(m["signals"].([]any)) != 1 {
			t.Fatalf("district approver's figures: %d %v", st, m)
		}
		for _, tok := range []string{townAp, townSup} {
			st, m = apiCall(t, "GET", api+"/supervision/stats"+period, tok, "")
			if st != 200 || submitted(m) != 0 || len(m["signals"].([]any)) != 0 || m["summary"].(map[string]any)["region_code"] != townRegion {
				t.Errorf("town staff's figures: %d %v", st, m)
			}
			for _, q := range []string{"&region=" + demo.Region, "&region=" + demo.Region + "&dept=" + amr, "&region=" + streetRegion} {
				if st, m = apiCall(t, "GET", api+"/supervision/stats"+period+q, tok, ""); st != 403 || m["message_key"] != "stats.region_forbidden" {
					t.Errorf("town staff asks %s: %d %v", q, st, m)
				}
			}
			st, m = apiCall(t, "GET", api+"/supervision/signals", tok, "")
			if st != 200 || m["total"].(float64) != 0 {
				t.Errorf("town staff's signals: %d %v", st, m)
			}
			if st, _ = apiCall(t, "GET", api+"/supervision/reports/monthly?month=2026-02&region="+demo.Region, tok, ""); st != 403 {
				t.Errorf("town staff's district report: %d", st)
			}
			if r := mustGet(t, api+"/supervision/reports/monthly?month=2026-02", tok); r.StatusCode != 200 {
				t.Errorf("town staff's own report: %d", r.StatusCode)
			} else {
				r.Body.Close()
			}
		}
		if st, m = apiCall(t, "GET", api+"/supervision/signals", districtAp, ""); st != 200 || m["total"].(float64) == 0 {
			t.Errorf("district approver's signals: %d %v", st, m)
		}
		// The pages.
		c := ts.client()
		ts.webLogin(t, c, "town-approver")
		r, _ := c.Get(ts.URL + "/supervision?region=" + demo.Region)
		if b := body(t, r); r.StatusCode != 403 {
			t.Errorf("web: town approver's district dashboard: %d %.200s", r.StatusCode, b)
		}
		r, _ = c.Get(ts.URL + "/supervision")
		if b := body(t, r); r.StatusCode != 200 || strings.Contains(b, no) {
			t.Errorf("web: town approver's dashboard (%d) shows the district's red card", r.StatusCode)
		}
		dc := ts.client()
		ts.webLogin(t, dc, "approver")
		r, _ = dc.Get(ts.URL + "/supervision")
		if b := body(t, r); r.StatusCode != 200 || !strings.Contains(b, no) {
			t.Errorf("web: district approver's dashboard (%d) does not show the red card", r.StatusCode)
		}
		r, _ = c.Get(ts.URL + "/supervision/report?month=2026-02&region=" + demo.Region)
		if r.StatusCode != 403 {
			t.Errorf("web: town approver's district report: %d", r.StatusCode)
		}
		r.Body.Close()
	})
}

// Urging (督办) goes through the case engine's scope: a town's supervisor or
// approver cannot urge a district case, and nothing is written.
func TestUrgeScope(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		api := ts.URL + "/api/v1"
		amr := deptID(t, d, amrName)
		ts.scopedStaff(t, "town-approver", identity.Grant{Role: identity.RoleApprover, DepartmentID: amr, RegionCode: townRegion})
		ts.scopedStaff(t, "town-supervisor", identity.Grant{Role: identity.RoleSupervisor, DepartmentID: deptID(t, d, govName), RegionCode: townRegion})
		code := soleTraderCode(t, api)
		st, m := apiCall(t, "POST", api+"/cases", apiToken(t, api, "clerk"), `{"item_code":"`+code+`","applicant":"500102198506120011","submit":true,"accept":true,
			"form_values":{"applicant_name":["张三"],"applicant_id":["500102198506120011"],"applicant_phone":["13800000000"],"form_of":["person"],
			"scope":["小吃服务"],"org_address":["500102006001","滨江路 1 号"],"capital":["5"]}}`)
		if st != 201 && st != 200 {
			t.Fatalf("file: %d %v", st, m)
		}
		no := m["case"].(map[string]any)["case_no"].(string)
		for _, who := range []string{"town-supervisor", "town-approver"} {
			if st, m := apiCall(t, "POST", api+"/cases/"+no+"/urge", apiToken(t, api, who), `{"note":"请加快办理"}`); st != 404 {
				t.Errorf("%s urges a district case: %d %v", who, st, m)
			}
		}
		var n int
		d.Reader().QueryRow(`SELECT COUNT(*) FROM case_events WHERE action = 'urge'`).Scan(&n)
		if n != 0 {
			t.Errorf("%d urgings written", n)
		}
		if st, m := apiCall(t, "POST", api+"/cases/"+no+"/urge", apiToken(t, api, "supervisor"), `{"note":"请加快办理"}`); st != 200 {
			t.Errorf("the district's supervisor urges: %d %v", st, m)
		}
	})
}
