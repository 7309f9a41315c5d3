package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
)

// apiToken logs user in to the API with the demo password and, for an
// account with a second factor, a fresh code of the demo's secret.
func apiToken(t *testing.T, api, user string) string {
	t.Helper()
	var code string
	if ts := serverOf(api); ts != nil {
		code = ts.code(t, user)
	}
	st, m := apiCall(t, "POST", api+"/auth/login", "", `{"username":"`+user+`","password":"tongban-demo","code":"`+code+`"}`)
	if st != 200 {
		t.Fatalf("login %s: %d %v", user, st, m)
	}
	return m["token"].(string)
}

func TestCatalogAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		api := ts.URL + "/api/v1"

		// Public search and guide.
		st, m := apiCall(t, "GET", api+"/items?q="+url.QueryEscape("食品经营")+"&subject=legal", "", "")
		items, _ := m["items"].([]any)
		if st != 200 || len(items) < 2 {
			t.Fatalf("search: %d %v", st, m)
		}
		code := items[0].(map[string]any)["impl_code"].(string)
		st, m = apiCall(t, "GET", api+"/items/"+code, "", "")
		sel := m["selection"].(map[string]any)
		all := len(sel["materials"].([]any))
		if st != 200 || sel["complete"] != false || all == 0 {
			t.Fatalf("item: %d %v", st, m)
		}
		st, m = apiCall(t, "GET", api+"/items/"+code+"?answer.cold_or_raw=no", "", "")
		sel = m["selection"].(map[string]any)
		if st != 200 || sel["complete"] != true || len(sel["materials"].([]any)) != all-1 {
			t.Fatalf("answered: %v", sel)
		}
		for _, c := range []struct {
			path   string
			status int
			key    string
		}{
			{"/items/NOPE", 404, "catalog.item_unknown"},
			{"/items?subject=aliens", 400, "catalog.subject"},
			{"/items?page=x", 400, "error.param_integer"},
			{"/items/" + code + "?version=9", 404, "catalog.version_unknown"},
			{"/bundles/none", 404, "catalog.bundle_unknown"},
		} {
			st, m := apiCall(t, "GET", api+c.path, "", "")
			if st != c.status || m["message_key"] != c.key {
				t.Errorf("%s: %d %v", c.path, st, m)
			}
		}
		st, m = apiCall(t, "GET", api+"/bundles/xsecs", "", "")
		if st != 200 || len(m["versions"].([]any)) != 4 {
			t.Errorf("bundle: %d %v", st, m)
		}

		// Administration: only administrators, in their region.
		clerk := apiToken(t, api, "clerk")
		if st, _ := apiCall(t, "GET", api+"/admin/items", clerk, ""); st != 403 {
			t.Errorf("clerk reads admin items: %d", st)
		}
		if st, _ := apiCall(t, "GET", api+"/admin/items", "", ""); st != 401 {
			t.Errorf("anonymous reads admin items: %d", st)
		}
		admin := apiToken(t, api, "admin")
		_, m = apiCall(t, "GET", api+"/items/"+code, "", "")
		raw, _ := json.Marshal(m["version"].(map[string]any)["item"])
		var it catalog.Item
		json.Unmarshal(raw, &it)
		it.PromisedLimit = "4"
		payload, _ := json.Marshal(map[string]any{"note": "提速", "item": it})
		st, m = apiCall(t, "PUT", api+"/admin/items/"+code+"/draft", admin, string(payload))
		if st != 200 || m["version"] != float64(2) {
			t.Fatalf("save draft: %d %v", st, m)
		}
		st, m = apiCall(t, "GET", api+"/admin/items/"+code+"/diff", admin, "")
		if st != 200 || len(m["changes"].([]any)) != 1 {
			t.Errorf("diff: %d %v", st, m)
		}
		st, m = apiCall(t, "POST", api+"/admin/items/"+code+"/publish", admin, "")
		if st != 200 || m["version"] != float64(2) {
			t.Fatalf("publish: %d %v", st, m)
		}
		_, m = apiCall(t, "GET", api+"/items/"+code+"?version=1", "", "")
		if m["version"].(map[string]any)["item"].(map[string]any)["promised_limit"] != "5" {
			t.Errorf("version 1 changed: %v", m)
		}
		// Bad input: every fault listed, in English when asked.
		it.PromisedLimit = "-1"
		it.Form = append(it.Form, catalog.Field{Key: "z", Label: "Z", Type: "hologram"})
		payload, _ = json.Marshal(map[string]any{"item": it})
		st, m = apiCall(t, "PUT", api+"/admin/items/"+code+"/draft?lang=en", admin, string(payload))
		det, _ := m["details"].([]any)
		if st != 400 || m["message_key"] != "catalog.item_invalid" || len(det) != 2 || !strings.Contains(m["message"].(string), "below zero") {
			t.Errorf("bad draft: %d %v", st, m)
		}
		// Export xlsx, break one cell, import: rejected whole, cell named.
		req, _ := http.NewRequest("GET", api+"/admin/catalog/export?format=xlsx", nil)
		req.Header.Set("Authorization", "Bearer "+admin)
		r, err := http.DefaultClient.Do(req)
		if err != nil || r.StatusCode != 200 {
			t.Fatalf("export: %v %v", r, err)
		}
		ex, _, err := catalog.ReadXLSX(r.Body)
		r.Body.Close()
		if err != nil || len(ex.Items) < 40 {
			t.Fatalf("exported xlsx: %v", err)
		}
		ex.Items[1].Materials[0].Originals = -3
		var buf bytes.Buffer
		ex.WriteXLSX(&buf)
		st, m = apiCall(t, "POST", api+"/admin/catalog/import?format=xlsx", admin, buf.String())
		det, _ = m["details"].([]any)
		if st != 400 || len(det) != 1 || !strings.Contains(det[0].(map[string]any)["message"].(string), "申请材料!") {
			t.Errorf("import with a fault: %d %v", st, m)
		}
		st, m = apiCall(t, "POST", api+"/admin/catalog/import?format=json", admin, `{"format":"tongban-catalog/1","items":[],"bundles":[]}`)
		if st != 200 || m["created"] != float64(0) {
			t.Errorf("empty import: %d %v", st, m)
		}
	})
}

// Numbers beyond PostgreSQL's 32-bit columns are refused as bad input on
// both databases, never a 500: a version to compare (no item has it: 404)
// and an item's yearly number of cases (400, nothing saved).
func TestCatalogNumbersBeyond32Bits(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		api := ts.URL + "/api/v1"
		admin := apiToken(t, api, "admin")
		code := soleTraderCode(t, api)
		for _, q := range []string{"from=2147483648", "to=4294967296", "from=1&to=9007199254740993"} {
			if st, m := apiCall(t, "GET", api+"/admin/items/"+code+"/diff?"+q, admin, ""); st != 404 || m["message_key"] != "catalog.version_unknown" {
				t.Errorf("diff %s: %d %v", q, st, m)
			}
		}
		// The public item, in the API and on its page, for anyone.
		if st, m := apiCall(t, "GET", api+"/items/"+code+"?version=2147483648", "", ""); st != 400 {
			t.Errorf("API item version 2147483648: %d %v", st, m)
		}
		if r, err := http.Get(ts.URL + "/items/" + code + "?version=4294967296"); err != nil || r.StatusCode != 404 {
			t.Errorf("item page version 4294967296: %v %v", r.StatusCode, err)
		}
		_, m := apiCall(t, "GET", api+"/items/"+code, "", "")
		item := m["version"].(map[string]any)["item"].(map[string]any)
		for _, f := range []float64{2147483648, 100_000_001} {
			item["frequency"] = f
			b, _ := json.Marshal(map[string]any{"note": "x", "item": item})
			if st, m := apiCall(t, "PUT", api+"/admin/items/"+code+"/draft", admin, string(b)); st != 400 || !strings.Contains(jsonText(m), "frequency") {
				t.Errorf("frequency %.0f: %d %v", f, st, m)
			}
		}
		if st, m := apiCall(t, "GET", api+"/admin/items/"+code+"/draft", admin, ""); st != 404 {
			t.Errorf("a draft was saved: %d %v", st, m)
		}
		item["frequency"] = float64(100_000_000)
		b, _ := json.Marshal(map[string]any{"note": "x", "item": item})
		if st, m := apiCall(t, "PUT", api+"/admin/items/"+code+"/draft", admin, string(b)); st != 200 {
			t.Errorf("frequency at the bound: %d %v", st, m)
		}
		if st, m := apiCall(t, "POST", api+"/admin/items/"+code+"/publish", admin, ""); st != 200 {
			t.Errorf("publish at the bound: %d %v", st, m)
		}
		// A bundle's yearly count likewise (and it is never negative).
		_, bundle := apiCall(t, "GET", api+"/bundles/qykb", "", "")
		for _, k := range []string{"versions", "published", "form", "materials"} {
			delete(bundle, k)
		}
		for _, f := range []float64{2147483648, 100_000_001, -1} {
			bundle["frequency"] = f
			b, _ := json.Marshal(bundle)
			if st, m := apiCall(t, "PUT", api+"/admin/bundles/qykb", admin, string(b)); st != 400 || !strings.Contains(jsonText(m), "frequency") {
				t.Errorf("bundle frequency %.0f: %d %v", f, st, m)
			}
		}
		if _, m := apiCall(t, "GET", api+"/bundles/qykb", "", ""); m["frequency"] != float64(3000) || m["published"] != true {
			t.Errorf("the bundle changed: %v", m)
		}
	})
}
