package server

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/identity"
)

// adoptionCounts are the adoptions, items, item versions, window links and
// audit records: a refused request changes none of them.
func adoptionCounts(t *testing.T, d *db.DB) [5]int {
	t.Helper()
	var c [5]int
	for i, q := range []string{`SELECT COUNT(*) FROM adoptions`, `SELECT COUNT(*) FROM items`, `SELECT COUNT(*) FROM item_versions`,
		`SELECT COUNT(*) FROM window_items`,
		`SELECT COUNT(*) FROM (SELECT id FROM audit_pending UNION ALL SELECT id FROM audit_records) a`} {
		if err := d.Reader().QueryRow(q).Scan(&c[i]); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// Issue 15, items per region, through the API: the district offers
// 居住证申领 to towns; 南沱镇's administrator adopts it for the town's
// government with its hall, window, phone and a shorter promise; the portal
// lists it in the town; 张三 files a case on it, which the town's staff take
// to 办结; withdrawn, it takes no new case while the open one continues.
// Every overreach and bad variation is refused, naming its field, writing
// nothing.
func TestAdoptionAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		api := ts.URL + "/api/v1"
		gov := townGovID(t, d, townRegion)
		other := townGovID(t, d, "500102107000") // 青羊镇
		ts.scopedStaff(t, "town-admin", identity.Grant{Role: identity.RoleAdmin, RegionCode: townRegion})
		ts.scopedStaff(t, "town-clerk", identity.Grant{Role: identity.RoleClerk, DepartmentID: gov, RegionCode: townRegion})
		for _, r := range []identity.Role{identity.RoleHandler, identity.RoleReviewer, identity.RoleApprover} {
			ts.scopedStaff(t, "town-"+string(r), identity.Grant{Role: r, DepartmentID: gov, RegionCode: townRegion})
		}
		tok, townTok := apiToken(t, api, "admin"), apiToken(t, api, "town-admin")
		ok := func(status int, method, path, token, body string) map[string]any {
			t.Helper()
			st, m := apiCall(t, method, api+path, token, body)
			if st != status {
				t.Fatalf("%s %s: %d %v", method, path, st, m)
			}
			return m
		}
		var hall, otherHall string
		for region, dst := range map[string]*string{townRegion: &hall, "500102107000": &otherHall} {
			if err := d.Reader().QueryRow(`SELECT id FROM halls WHERE region_code = $1`, region).Scan(dst); err != nil {
				t.Fatal(err)
			}
		}
		win := ok(201, "POST", "/admin/halls/"+hall+"/windows", townTok, `{"number":"3","name":"综合窗口","kind":"comprehensive"}`)["id"].(string)
		otherWin := ok(201, "POST", "/admin/halls/"+otherHall+"/windows", tok, `{"number":"3","name":"综合窗口","kind":"comprehensive"}`)["id"].(string)

		_, m := apiCall(t, "GET", api+"/items?q="+url.QueryEscape("居住证申领"), "", "")
		src := m["items"].([]any)[0].(map[string]any)["impl_code"].(string)
		// offer is src's offer in the list, nil when none (the demo's towns
		// have adopted the items the district offers them already).
		offer := func() map[string]any {
			for _, o := range ok(200, "GET", "/admin/adoption-offers", townTok, "")["offers"].([]any) {
				if o := o.(map[string]any); o["impl_code"] == src {
					return o
				}
			}
			return nil
		}
		// Nothing is offered until the district says so.
		if o := offer(); o != nil {
			t.Fatalf("offered before the district says so: %v", o)
		}
		v := ok(200, "GET", "/items/"+src, "", "")["version"].(map[string]any)
		item := v["item"].(map[string]any)
		item["offered_levels"] = []int{5}
		body, _ := json.Marshal(map[string]any{"item": item, "note": "向乡镇开放认领"})
		ok(200, "PUT", "/admin/items/"+src+"/draft", tok, string(body))
		ok(200, "POST", "/admin/items/"+src+"/publish", tok, "")
		if o := offer(); o == nil || !strings.Contains(fmt.Sprint(o["adopters"]), gov) {
			t.Fatalf("offer: %v", o)
		}
		adopted := len(ok(200, "GET", "/admin/adoptions", townTok, "")["adoptions"].([]any))

		// Refusals: each names its field (or is 403 outside the scope), and writes nothing.
		clerkTok := apiToken(t, api, "town-clerk")
		before := adoptionCounts(t, d)
		for _, c := range []struct {
			what, method, path, token, body string
			status                          int
			field                           string
		}{
			{"another town's department", "POST", "/admin/adoptions", townTok, `{"source":"` + src + `","department_id":"` + other + `"}`, 403, ""},
			{"a window of another town's hall", "POST", "/admin/adoptions", townTok, `{"source":"` + src + `","department_id":"` + gov + `","hall_id":"` + hall + `","windows":["` + otherWin + `"]}`, 400, "windows[0]"},
			{"another town's hall", "POST", "/admin/adoptions", townTok, `{"source":"` + src + `","department_id":"` + gov + `","hall_id":"` + otherHall + `"}`, 400, "hall_id"},
			{"a promise above the district's", "POST", "/admin/adoptions", townTok, `{"source":"` + src + `","department_id":"` + gov + `","promised_limit":"8"}`, 400, "promised_limit"},
			{"a promise above the law's", "POST", "/admin/adoptions", townTok, `{"source":"` + src + `","department_id":"` + gov + `","promised_limit":"30"}`, 400, "promised_limit"},
			{"a promise that is no limit", "POST", "/admin/adoptions", townTok, `{"source":"` + src + `","department_id":"` + gov + `","promised_limit":"soon"}`, 400, "promised_limit"},
			{"an unknown source", "POST", "/admin/adoptions", townTok, `{"source":"NOPE","department_id":"` + gov + `"}`, 400, "source"},
			{"no department", "POST", "/admin/adoptions", townTok, `{"source":"` + src + `"}`, 400, ""},
			{"an unknown field", "POST", "/admin/adoptions", townTok, `{"source":"` + src + `","department_id":"` + gov + `","colour":"red"}`, 400, ""},
			{"not an administrator", "POST", "/admin/adoptions", clerkTok, `{"source":"` + src + `","department_id":"` + gov + `"}`, 403, ""},
			{"an unknown adoption", "PATCH", "/admin/adoptions/NOPE", townTok, `{"phone":"023-72701300"}`, 404, ""},
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
		if after := adoptionCounts(t, d); after != before {
			t.Fatalf("refused requests wrote: %v → %v", before, after)
		}

		// The adoption.
		a := ok(201, "POST", "/admin/adoptions", townTok, `{"source":"`+src+`","department_id":"`+gov+`","hall_id":"`+hall+
			`","windows":["`+win+`"],"phone":"023-72701300","promised_limit":"5"}`)
		code := a["impl_code"].(string)
		if a["source"] != src || a["promised_limit"] != "5" || a["level"] != float64(5) || a["newer"] != false || len(code) != 31 || code == src {
			t.Fatalf("adoption: %v", a)
		}
		if list := ok(200, "GET", "/admin/adoptions", townTok, "")["adoptions"].([]any); len(list) != adopted+1 {
			t.Fatalf("adoptions: %v", list)
		}
		if st, m := apiCall(t, "PATCH", api+"/admin/adoptions/"+code, townTok, `{"promised_limit":"7.5"}`); st != 400 || !strings.HasPrefix(m["message"].(string), "promised_limit") {
			t.Fatalf("update over the bound: %d %v", st, m)
		}
		// The portal lists it in the town, with the town's variations.
		_, m = apiCall(t, "GET", api+"/items?region="+townRegion+"&q="+url.QueryEscape("居住证"), "", "")
		if m["total"] != float64(1) || m["items"].([]any)[0].(map[string]any)["impl_code"] != code {
			t.Fatalf("portal in the town: %v", m)
		}
		own := ok(200, "GET", "/items/"+code, "", "")["version"].(map[string]any)["item"].(map[string]any)
		if own["consult_phone"] != "023-72701300" || own["promised_limit"] != "5" || own["region"] != townRegion || !strings.Contains(own["place"].(string), "南沱镇") {
			t.Fatalf("the town's item: %v", own)
		}

		// 张三 files on it; the town's window and back office take it to 办结.
		zs := apiToken(t, api, "zhangsan")
		pdf := []byte("%PDF-1.4\n% material\n%%EOF\n")
		var refs []string
		for _, key := range []string{"id_card", "photo", "residence_proof"} {
			st, m := upload(t, api, zs, key+".pdf", pdf)
			if st != 201 {
				t.Fatalf("upload: %d %v", st, m)
			}
			refs = append(refs, fmt.Sprintf(`{"key":%q,"id":%q}`, key, m["material"].(map[string]any)["id"]))
		}
		var village string
		if err := d.Reader().QueryRow(`SELECT min(code) FROM regions WHERE parent_code = $1`, townRegion).Scan(&village); err != nil {
			t.Fatal(err)
		}
		filing := `{"item_code":"` + code + `","submit":true,"answers":{"basis":"home"},
			"form_values":{"applicant_name":["张三"],"applicant_id":["500102198506120011"],"applicant_phone":["13800000000"],
			"applicant_address":["` + village + `","一组 8 号"],"basis":["home"]},"materials":[` + strings.Join(refs, ",") + `]}`
		c := ok(201, "POST", "/cases", zs, filing)["case"].(map[string]any)
		no := c["case_no"].(string)
		if !strings.HasPrefix(no, code) {
			t.Fatalf("case number %s is not of the town's item %s", no, code)
		}
		ok(200, "POST", "/cases/"+no+"/actions", clerkTok, `{"action":"accept"}`)

		// Withdrawn: no new filing; the open case continues to 办结.
		w := ok(200, "POST", "/admin/adoptions/"+code+"/withdraw", townTok, "")
		if w["withdrawn"] != true || len(w["windows"].([]any)) != 0 {
			t.Fatalf("withdrawn: %v", w)
		}
		if st, m := apiCall(t, "POST", api+"/cases", zs, filing); st != 409 || m["message_key"] != "catalog.item_withdrawn" {
			t.Fatalf("filing on a withdrawn item: %d %v", st, m)
		}
		_, m = apiCall(t, "GET", api+"/items?region="+townRegion+"&q="+url.QueryEscape("居住证"), "", "")
		if m["total"] != float64(0) {
			t.Fatalf("a withdrawn item is listed: %v", m)
		}
		for _, who := range []string{"town-handler", "town-reviewer"} {
			ok(200, "POST", "/cases/"+no+"/actions", apiToken(t, api, who), `{"action":"pass"}`)
		}
		c = ok(200, "POST", "/cases/"+no+"/actions", apiToken(t, api, "town-approver"), `{"action":"grant"}`)["case"].(map[string]any)
		if c["state"] != "concluded" || c["decision"] != "granted" {
			t.Fatalf("granted: %v", c)
		}
		// Adopting again brings it back under the same code.
		if a := ok(201, "POST", "/admin/adoptions", townTok, `{"source":"`+src+`","department_id":"`+gov+`"}`); a["impl_code"] != code || a["withdrawn"] != false {
			t.Fatalf("adopted again: %v", a)
		}
	})
}

// townGovID is the id of a town's government (the demo's one department there).
func townGovID(t *testing.T, d *db.DB, region string) string {
	t.Helper()
	var id string
	if err := d.Reader().QueryRow(`SELECT id FROM departments WHERE region_code = $1`, region).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// Issue 15: the adoption page — the offer listed, a form above the
// district's promise answers 400 naming the field and writes nothing, a
// good one adopts, and the withdrawal form withdraws.
func TestAdoptionPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		ctx := t.Context()
		cat := catalog.New(d)
		admin, err := ts.ids.UserByUsername(ctx, "admin")
		if err != nil {
			t.Fatal(err)
		}
		var src string
		if err := d.Reader().QueryRow(`SELECT impl_code FROM items WHERE name = '居住证申领' AND region_code = '500102'`).Scan(&src); err != nil {
			t.Fatal(err)
		}
		v, err := cat.Published(ctx, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		it := *v.Item
		it.OfferedLevels = []int{5}
		if _, err := cat.SaveDraft(ctx, admin, &it, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := cat.Publish(ctx, admin, src); err != nil {
			t.Fatal(err)
		}
		gov := townGovID(t, d, townRegion)
		ts.scopedStaff(t, "town-admin", identity.Grant{Role: identity.RoleAdmin, RegionCode: townRegion})
		c := ts.client()
		ts.webLogin(t, c, "town-admin")
		r, _ := c.Get(ts.URL + "/admin")
		if page := body(t, r); !strings.Contains(page, `href="/admin/adoptions"`) {
			t.Fatal("no link to the adoptions on /admin")
		}
		r, _ = c.Get(ts.URL + "/admin/adoptions")
		if page := body(t, r); r.StatusCode != 200 || !strings.Contains(page, `id="o-`+src+`"`) || !strings.Contains(page, `value="`+gov+`"`) {
			t.Fatalf("the offer is not on the page: %d", r.StatusCode)
		}
		post := func(path string, form url.Values) (int, string) {
			t.Helper()
			form.Set("csrf_token", csrf(t, c, ts.URL+"/admin/adoptions"))
			r, err := c.PostForm(ts.URL+path, form)
			if err != nil {
				t.Fatal(err)
			}
			if r.StatusCode == 303 {
				r.Body.Close()
				if r, err = c.Get(ts.URL + r.Header.Get("Location")); err != nil {
					t.Fatal(err)
				}
			}
			return r.StatusCode, body(t, r)
		}
		before := adoptionCounts(t, d)
		if st, page := post("/admin/adoptions", url.Values{"source": {src}, "department_id": {gov}, "promised_limit": {"8"}}); st != 400 || !strings.Contains(page, "promised_limit：") {
			t.Fatalf("a promise above the district's: %d", st)
		}
		// Without the CSRF token nothing happens either.
		r, _ = c.PostForm(ts.URL+"/admin/adoptions", url.Values{"source": {src}, "department_id": {gov}})
		if r.StatusCode != 403 {
			t.Fatalf("a form without its token: %d", r.StatusCode)
		}
		if after := adoptionCounts(t, d); after != before {
			t.Fatalf("refused forms wrote: %v → %v", before, after)
		}
		// The demo's towns have adopted the items the district offers them already.
		adopted := len(must(cat.Adoptions(ctx, admin)))
		st, page := post("/admin/adoptions", url.Values{"source": {src}, "department_id": {gov}, "phone": {"023-72701300"}, "promised_limit": {"5"}})
		list, err := cat.Adoptions(ctx, admin)
		var code string
		for _, a := range list {
			if a.Source == src {
				code = a.ImplCode
			}
		}
		if st != 200 || err != nil || len(list) != adopted+1 || code == "" || !strings.Contains(page, `id="a-`+code+`"`) || !strings.Contains(page, `id="adopt-done"`) {
			t.Fatalf("adopt: %d %v %v", st, list, err)
		}
		if st, page := post("/admin/adoptions/"+code, url.Values{"phone": {"023-72701399"}, "promised_limit": {"4"}}); st != 200 || !strings.Contains(page, `value="023-72701399"`) {
			t.Fatalf("change: %d", st)
		}
		if st, page := post("/admin/adoptions/"+code+"/withdraw", url.Values{}); st != 200 || !strings.Contains(page, "已撤回") {
			t.Fatalf("withdraw: %d", st)
		}
	})
}
