package server

import (
	"net/url"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/demo"
	"github.com/tongban/tongban/internal/identity"
)

// Staff of a street office (街道) and of a village (村/社区) — scopes the
// authorisation matrix does not hold — see nothing of the district's cases,
// licences, supervision or settings: the one scoping rule holds for a grant
// at any level of the division tree, not only for a town's (ASVS V4.1.3).
func TestStreetAndVillageStaffSeeNothingOfTheDistrict(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		api := ts.URL + "/api/v1"
		amr, street := deptID(t, d, amrName), ""
		if err := d.Reader().QueryRow(`SELECT id FROM departments WHERE region_code = $1`, streetRegion).Scan(&street); err != nil {
			t.Fatal(err)
		}
		var village string
		if err := d.Reader().QueryRow(`SELECT min(code) FROM regions WHERE parent_code = $1`, streetRegion).Scan(&village); err != nil || village == "" {
			t.Fatalf("a village of the street office: %q %v", village, err)
		}
		staff := map[string][]identity.Grant{}
		for _, sc := range []struct{ suffix, region string }{{"-s", streetRegion}, {"-v", village}} {
			for _, r := range []identity.Role{identity.RoleClerk, identity.RoleHandler, identity.RoleApprover} {
				staff[string(r)+sc.suffix] = []identity.Grant{{Role: r, DepartmentID: amr, RegionCode: sc.region}, {Role: r, DepartmentID: street, RegionCode: sc.region}}
			}
			staff["supervisor"+sc.suffix] = []identity.Grant{{Role: identity.RoleSupervisor, RegionCode: sc.region}}
			staff["admin"+sc.suffix] = []identity.Grant{{Role: identity.RoleAdmin, RegionCode: sc.region}}
		}
		for name, gs := range staff {
			ts.scopedStaff(t, name, gs...)
		}

		// The district's things: a granted case and its licence.
		licID := grantedLicence(t, api)
		sup := apiToken(t, api, "supervisor")
		_, m := apiCall(t, "GET", api+"/cases?per_page=100", sup, "")
		cs, _ := m["cases"].([]any)
		if len(cs) == 0 {
			t.Fatal("the district has no case")
		}
		caseNo := cs[0].(map[string]any)["case_no"].(string)
		lic := url.PathEscape(licID)
		item := soleTraderCode(t, api)
		rule := `{"region_code":"` + demo.Region + `","clock":"decision","action":"urge","level":"red","enabled":true}`

		// Each read answers a refusal or a list without the district's
		// things; each write a refusal.
		cells := []struct {
			method, path, payload string
			ok                    []int // the answers that hold the line
		}{
			{"GET", "/cases?per_page=100", "", []int{200}},
			{"GET", "/cases/" + caseNo, "", []int{404}},
			{"GET", "/cases/" + caseNo + "/timeline", "", []int{404}},
			{"GET", "/licences?scope=issued", "", []int{200, 403}},
			{"GET", "/licences/" + lic, "", []int{404}},
			{"GET", "/licences/" + lic + "/file", "", []int{404}},
			{"POST", "/licences/" + lic + "/status", `{"action":"suspend","reason":"核查"}`, []int{403, 404}},
			{"GET", "/supervision/signals?per_page=100", "", []int{200, 403}},
			{"GET", "/supervision/anomalies?per_page=100", "", []int{200, 403}},
			{"GET", "/supervision/stats?region=" + demo.Region, "", []int{403}},
			{"GET", "/supervision/reports/monthly?month=2026-11&region=" + demo.Region, "", []int{403}},
			{"GET", "/admin/items/" + item + "/draft", "", []int{403}},
			{"GET", "/admin/items/" + item + "/versions", "", []int{403}},
			{"PUT", "/admin/escalation-rules/default-decision-red", rule, []int{403}},
			{"PUT", "/admin/signal-thresholds", `{"region_code":"` + demo.Region + `","warn_days":1,"yellow_days":1,"red_days":2}`, []int{403}},
			{"PUT", "/admin/licence-types/X1", `{"name":"x"}`, []int{403}},
			{"GET", "/audit/records/1", "", []int{403, 404}},
		}
		for name := range staff {
			tok := apiToken(t, api, name)
			for _, c := range cells {
				st, m := apiCall(t, c.method, api+c.path, tok, c.payload)
				body := jsonText(m)
				held := false
				for _, s := range c.ok {
					held = held || st == s
				}
				if !held || (st == 200 && (strings.Contains(body, caseNo) || strings.Contains(body, licID))) {
					t.Errorf("%s %s %s: %d %s", name, c.method, c.path, st, snippet(body))
				}
			}
		}
		// The stored rule is the installation's still.
		_, m = apiCall(t, "GET", api+"/supervision/settings", sup, "")
		rules, _ := m["rules"].([]any)
		found := false
		for _, r := range rules {
			if r := r.(map[string]any); r["id"] == "default-decision-red" {
				found = r["region_code"] == ""
			}
		}
		if !found {
			t.Errorf("the installation's rule changed: %s", jsonText(rules))
		}
	})
}
