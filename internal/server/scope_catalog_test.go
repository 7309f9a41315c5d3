package server

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/identity"
)

// A town's administrator reads and writes the catalog of the town only:
// never the district's drafts, versions or export.
func TestCatalogAdminScope(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		api := ts.URL + "/api/v1"
		ts.scopedStaff(t, "town-admin", identity.Grant{Role: identity.RoleAdmin, RegionCode: townRegion})
		town, admin := apiToken(t, api, "town-admin"), apiToken(t, api, "admin")
		code := soleTraderCode(t, api) // the district's
		// Before the district has a draft, the town's administrator cannot
		// tell: the same 403 as with one, not "no draft".
		if st, m := apiCall(t, "GET", api+"/admin/items/"+code+"/draft", town, ""); st != 403 {
			t.Errorf("town admin reads whether the district's item has a draft: %d %v", st, m)
		}
		if st, m := apiCall(t, "GET", api+"/admin/items/"+code+"/draft", admin, ""); st != 404 {
			t.Errorf("district admin, no draft yet: %d %v", st, m)
		}
		// The district's administrator opens a draft of it.
		_, m := apiCall(t, "GET", api+"/items/"+code, "", "")
		item, _ := json.Marshal(m["version"].(map[string]any)["item"])
		if st, m := apiCall(t, "PUT", api+"/admin/items/"+code+"/draft", admin, `{"note":"草稿备注 district-draft","item":`+string(item)+`}`); st != 200 {
			t.Fatalf("district draft: %d %v", st, m)
		}

		// The console's list: the town's items only, drafts of the district never.
		st, m := apiCall(t, "GET", api+"/admin/items?per_page=100", town, "")
		items, _ := m["items"].([]any)
		if st != 200 || len(items) == 0 {
			t.Fatalf("town admin's items: %d %v", st, m)
		}
		for _, it := range items {
			if r := it.(map[string]any)["region"].(string); !strings.HasPrefix(r, "500102103") {
				t.Errorf("town admin lists an item of %s", r)
			}
		}
		if _, m = apiCall(t, "GET", api+"/admin/items?per_page=100&q="+url.QueryEscape("个体工商户设立"), admin, ""); m["total"].(float64) == 0 {
			t.Error("the district's administrator does not find the district's item")
		}
		for _, c := range []struct{ method, path, payload string }{
			{"GET", "/admin/items/" + code + "/draft", ""},
			{"GET", "/admin/items/" + code + "/versions", ""},
			{"GET", "/admin/items/" + code + "/diff", ""},
			{"GET", "/admin/items/" + code + "/diff?from=1&to=1", ""},
			{"POST", "/admin/items/" + code + "/publish", ""},
			{"DELETE", "/admin/items/" + code + "/draft", ""},
			{"PUT", "/admin/items/" + code + "/draft", `{"note":"x","item":` + string(item) + `}`},
		} {
			st, m := apiCall(t, c.method, api+c.path, town, c.payload)
			if st != 403 || strings.Contains(jsonText(m), "district-draft") {
				t.Errorf("town admin %s %s: %d %v", c.method, c.path, st, m)
			}
		}
		// Naming the town as the district item's region takes nothing over.
		moved := strings.Replace(string(item), `"region":"500102"`, `"region":"`+townRegion+`"`, 1)
		if moved == string(item) {
			t.Fatalf("the item names no region: %s", item)
		}
		if st, m := apiCall(t, "PUT", api+"/admin/items/"+code+"/draft", town, `{"note":"town-took-it","item":`+moved+`}`); st != 403 {
			t.Errorf("town admin drafts the district's item as the town's: %d %v", st, m)
		}
		if st, m = apiCall(t, "GET", api+"/admin/items/"+code+"/versions", admin, ""); st != 200 || len(m["versions"].([]any)) != 2 {
			t.Errorf("district admin's versions: %d %v", st, m)
		}
		// The public history never shows the draft.
		if _, m = apiCall(t, "GET", api+"/items/"+code+"/versions", "", ""); len(m["versions"].([]any)) != 1 {
			t.Errorf("public versions: %v", m)
		}
		// The export is the town's.
		r := mustGet(t, api+"/admin/catalog/export?format=json", town)
		b := body(t, r)
		if r.StatusCode != 200 || strings.Contains(b, code) || !strings.Contains(b, "500102103000") {
			t.Errorf("town admin's export (%d) holds the district's item or not the town's", r.StatusCode)
		}

		// The pages.
		c := ts.client()
		ts.webLogin(t, c, "town-admin")
		resp, _ := c.Get(ts.URL + "/admin/catalog")
		if b := body(t, resp); resp.StatusCode != 200 || strings.Contains(b, code) {
			t.Errorf("web: town admin's console (%d) lists the district's item", resp.StatusCode)
		}
		for _, p := range []string{"/admin/catalog/items/" + code, "/admin/catalog/items/" + code + "/diff"} {
			resp, _ = c.Get(ts.URL + p)
			if b := body(t, resp); resp.StatusCode != 403 || strings.Contains(b, "district-draft") {
				t.Errorf("web: town admin opens %s: %d", p, resp.StatusCode)
			}
		}
		// The district's bundles (一件事) are the district administrator's.
		_, bm := apiCall(t, "GET", api+"/bundles", "", "")
		bundle := bm["bundles"].([]any)[0].(map[string]any)["code"].(string)
		resp, _ = c.Get(ts.URL + "/admin/catalog")
		if b := body(t, resp); strings.Contains(b, "/admin/catalog/bundles/"+bundle) {
			t.Errorf("web: town admin's console lists the district's bundle %s", bundle)
		}
		resp, _ = c.Get(ts.URL + "/admin/catalog/bundles/" + bundle)
		if resp.StatusCode != 403 {
			t.Errorf("web: town admin opens the district's bundle: %d", resp.StatusCode)
		}
		resp.Body.Close()
		// Nor does naming only the town's items take the district's bundle over.
		townItems := `"` + items[0].(map[string]any)["impl_code"].(string) + `","` + items[1].(map[string]any)["impl_code"].(string) + `"`
		st, m = apiCall(t, "PUT", api+"/admin/bundles/"+bundle, town, `{"code":"`+bundle+`","name":"改名","subject":"legal","items":[`+townItems+`]}`)
		if st != 403 {
			t.Errorf("town admin replaces the district's bundle: %d %v", st, m)
		}
		if _, m = apiCall(t, "GET", api+"/bundles/"+bundle, "", ""); m["name"] == "改名" {
			t.Error("the district's bundle was renamed")
		}
		dc := ts.client()
		ts.webLogin(t, dc, "admin")
		resp, _ = dc.Get(ts.URL + "/admin/catalog")
		if b := body(t, resp); !strings.Contains(b, "/admin/catalog/bundles/"+bundle) {
			t.Errorf("web: the district's console does not list its bundle %s", bundle)
		}
		resp, _ = c.Get(ts.URL + "/admin/catalog/export?format=json")
		if b := body(t, resp); resp.StatusCode != 200 || strings.Contains(b, code) {
			t.Errorf("web: town admin's export (%d) holds the district's item", resp.StatusCode)
		}
	})
}
