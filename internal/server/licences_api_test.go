package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
)

// grantedLicence files 张三's sole-trader registration at the window, carries
// it to 准予 through the API and returns the licence's identifier.
func grantedLicence(t *testing.T, api string) string {
	t.Helper()
	code := soleTraderCode(t, api)
	st, m := apiCall(t, "POST", api+"/cases", apiToken(t, api, "clerk"), `{"item_code":"`+code+`","applicant":"500102198506120011","submit":true,"accept":true,
		"form_values":{"applicant_name":["张三"],"applicant_id":["500102198506120011"],"applicant_phone":["13800000000"],"business_name":["张三小吃店"],
		"form_of":["person"],"scope":["小吃服务"],"org_address":["500102006001","滨江路 1 号"],"capital":["5"]}}`)
	if st != 201 {
		t.Fatalf("file: %d %v", st, m)
	}
	no := m["case"].(map[string]any)["case_no"].(string)
	var c map[string]any
	for _, s := range []struct{ who, action string }{{"handler", "pass"}, {"reviewer", "pass"}, {"approver", "grant"}} {
		if st, c = apiCall(t, "POST", api+"/cases/"+no+"/actions", apiToken(t, api, s.who), `{"action":"`+s.action+`"}`); st != 200 {
			t.Fatalf("%s: %d %v", s.action, st, c)
		}
	}
	id, _ := c["case"].(map[string]any)["licence"].(string)
	if id == "" {
		t.Fatalf("the granted case names no licence: %v", c)
	}
	return id
}

func TestLicencesAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		api := ts.URL + "/api/v1"
		id := grantedLicence(t, api)
		zs := apiToken(t, api, "zhangsan")

		// The wallet and the licence, with what an independent verifier needs.
		st, m := apiCall(t, "GET", api+"/licences", zs, "")
		if list, _ := m["licences"].([]any); st != 200 || len(list) != 1 || list[0].(map[string]any)["identifier"] != id {
			t.Fatalf("wallet: %d %v", st, m)
		}
		st, m = apiCall(t, "GET", api+"/licences/"+id, zs, "")
		if st != 200 || !strings.HasPrefix(m["payload"].(string), "tongban-licence v1\n") || !strings.Contains(m["certificate"].(string), "BEGIN CERTIFICATE") ||
			m["signature"] == "" || m["status"] != "valid" || m["checks"] == nil {
			t.Fatalf("licence: %d %v", st, m)
		}
		if st, m = apiCall(t, "GET", api+"/licences/"+id, apiToken(t, api, "democorp"), ""); st != 404 {
			t.Errorf("another applicant reads it: %d %v", st, m)
		}
		if st, _ = apiCall(t, "GET", api+"/licences", "", ""); st != 401 {
			t.Errorf("wallet without a login: %d", st)
		}

		// Public verification: precise verdicts with the right statuses.
		for _, c := range []struct {
			identifier string
			status     int
			verdict    string
		}{
			{id, 200, "valid"},
			{id[:len(id)-1] + map[bool]string{true: "0", false: "1"}[id[len(id)-1] != '0'], 400, "bad_check"},
			{"not-an-identifier", 400, "malformed"},
		} {
			st, m := apiCall(t, "GET", api+"/verify/"+url.PathEscape(c.identifier)+"?reason="+url.QueryEscape("入职审核"), "", "")
			if st != c.status || m["verdict"] != c.verdict || (c.verdict != "valid") == (m["valid"] == true) || m["message"] == "" {
				t.Errorf("verify %s: %d %v", c.identifier, st, m)
			}
		}
		if st, m = apiCall(t, "GET", api+"/verify/"+url.PathEscape(id)+"?lang=en", "", ""); m["holder"] != "张*" || !strings.Contains(m["message"].(string), "genuine") {
			t.Errorf("English verdict, masked holder: %d %v", st, m)
		}

		// Share: a reason is required; the link opens once.
		if st, m = apiCall(t, "POST", api+"/licences/"+id+"/share", zs, `{"reason":""}`); st != 400 || m["message_key"] != "licence.share_reason_required" {
			t.Errorf("share without a reason: %d %v", st, m)
		}
		st, m = apiCall(t, "POST", api+"/licences/"+id+"/share", zs, `{"reason":"银行开户","ttl_minutes":5}`)
		if st != 201 || !strings.Contains(m["url"].(string), "/s/") {
			t.Fatalf("share: %d %v", st, m)
		}
		token := m["token"].(string)
		if st, m = apiCall(t, "GET", api+"/shares/"+token, "", ""); st != 200 || m["verdict"] != "valid" || m["holder"] != "张三" || m["share_reason"] != "银行开户" {
			t.Errorf("opening the link: %d %v", st, m)
		}
		if st, m = apiCall(t, "GET", api+"/shares/"+token, "", ""); st != 410 || m["verdict"] != "share_used" || m["code"] != "share_used" {
			t.Errorf("opening it again: %d %v", st, m)
		}

		// The licence file verifies offline-style; a tampered one does not.
		_, file := apiCall(t, "GET", api+"/licences/"+id+"/file", zs, "")
		raw, _ := json.Marshal(file)
		if st, m = apiCall(t, "POST", api+"/verify", "", string(raw)); st != 200 || m["verdict"] != "valid" {
			t.Errorf("file: %d %v", st, m)
		}
		if st, m = apiCall(t, "POST", api+"/verify", "", strings.Replace(string(raw), "小吃服务", "烟草零售", 1)); st != 200 || m["verdict"] != "bad_signature" || m["valid"] != false {
			t.Errorf("tampered file: %d %v", st, m)
		}
		if st, m = apiCall(t, "POST", api+"/verify", "", "not a file"); st != 400 || m["verdict"] != "bad_file" {
			t.Errorf("garbage: %d %v", st, m)
		}

		// 证照管理: the issuing department's staff list what it issued, masked.
		st, m = apiCall(t, "GET", api+"/licences?scope=issued&number="+url.QueryEscape(id), apiToken(t, api, "handler"), "")
		if list, _ := m["licences"].([]any); st != 200 || len(list) != 1 || list[0].(map[string]any)["holder"] != "张*" {
			t.Errorf("issued list: %d %v", st, m)
		}
		if st, _ = apiCall(t, "GET", api+"/licences?scope=issued", zs, ""); st != 403 {
			t.Errorf("an applicant lists issued licences: %d", st)
		}
		if st, m = apiCall(t, "GET", api+"/licences?scope=issued&status=bogus", apiToken(t, api, "handler"), ""); st != 400 || m["message_key"] != "licence.status_filter" {
			t.Errorf("a bad status filter: %d %v", st, m)
		}
		// Pages: a token from the answer's next, sizes refused above 100.
		for q, key := range map[string]string{"per_page=101": "paging.size_too_large", "limit=101": "paging.size_too_large",
			"after=junk": "paging.token_malformed", "page=2": "paging.page_number_gone"} {
			if st, m := apiCall(t, "GET", api+"/licences?scope=issued&"+q, apiToken(t, api, "handler"), ""); st != 400 || m["message_key"] != key {
				t.Errorf("issued licences ?%s: %d %v; want 400 %s", q, st, m, key)
			}
		}
		if st, m = apiCall(t, "GET", api+"/licences?scope=issued&per_page=1", apiToken(t, api, "handler"), ""); st != 200 || len(m["licences"].([]any)) != 1 {
			t.Fatalf("a page of one: %d %v", st, m)
		} else if next, _ := m["next"].(string); next != "" {
			if st, m := apiCall(t, "GET", api+"/licences?scope=issued&status=valid&after="+url.QueryEscape(next), apiToken(t, api, "handler"), ""); st != 400 || m["message_key"] != "paging.token_other_list" {
				t.Errorf("a token under other filters: %d %v", st, m)
			}
		}
		if st, m = apiCall(t, "GET", api+"/licences?scope=issued", apiToken(t, api, "psb-officer"), ""); st != 200 || len(m["licences"].([]any)) != 0 {
			t.Errorf("another department's list: %d %v", st, m)
		}

		// Revocation by the issuing department's approver shows at once.
		if st, m = apiCall(t, "POST", api+"/licences/"+id+"/status", zs, `{"action":"revoke","reason":"x"}`); st != 403 {
			t.Errorf("the holder revokes: %d %v", st, m)
		}
		if st, m = apiCall(t, "POST", api+"/licences/"+id+"/status", apiToken(t, api, "approver"), `{"action":"revoke"}`); st != 400 || m["message_key"] != "licence.reason_required" {
			t.Errorf("revoke without a reason: %d %v", st, m)
		}
		if st, m = apiCall(t, "POST", api+"/licences/"+id+"/status", apiToken(t, api, "approver"), `{"action":"revoke","reason":"依法撤销"}`); st != 200 || m["status"] != "revoked" {
			t.Fatalf("revoke: %d %v", st, m)
		}
		if st, m = apiCall(t, "GET", api+"/verify/"+url.PathEscape(id), "", ""); st != 200 || m["verdict"] != "revoked" || m["valid"] != false {
			t.Errorf("after revocation: %d %v", st, m)
		}
		// The holder sees every check.
		_, m = apiCall(t, "GET", api+"/licences/"+id, zs, "")
		// valid ×2, the share link ×2, the file, the tampered file, revoked;
		// the two malformed questions name no licence.
		if checks, _ := m["checks"].([]any); len(checks) != 7 {
			t.Errorf("checks the holder sees: %v", m["checks"])
		}

		// The signing certificates are public, for offline verifiers: the issuing department's is listed, not revoked.
		st, m = apiCall(t, "GET", api+"/licence-certs", "", "")
		if cs, _ := m["certificates"].([]any); st != 200 || len(cs) == 0 || cs[0].(map[string]any)["credit_code"] != "11500102MB1C0002XM" ||
			cs[0].(map[string]any)["revoked_at"] != nil || !strings.Contains(cs[0].(map[string]any)["pem"].(string), "BEGIN CERTIFICATE") {
			t.Errorf("certificates: %d %v", st, m)
		}
		// Licence types are data: listed publicly, changed by administrators only.
		st, m = apiCall(t, "GET", api+"/licence-types", "", "")
		types, _ := m["licence_types"].([]any)
		if st != 200 || len(types) < 4 {
			t.Fatalf("types: %d %v", st, m)
		}
		body := `{"code":"11100000000013338W099","name":"测试证照","authority":"国家市场监督管理总局","validity_years":3,
			"fields":[{"key":"姓名","label":"姓名","from":"applicant.name"}]}`
		if st, _ = apiCall(t, "PUT", api+"/admin/licence-types/11100000000013338W099", zs, body); st != 403 {
			t.Errorf("an applicant changes a type: %d", st)
		}
		if st, m = apiCall(t, "PUT", api+"/admin/licence-types/11100000000013338W099", apiToken(t, api, "admin"), strings.Replace(body, `"applicant.name"`, `"nowhere"`, 1)); st != 400 || m["message_key"] != "licence.type_field_source" {
			t.Errorf("a type with an unknown field source: %d %v", st, m)
		}
		if st, m = apiCall(t, "PUT", api+"/admin/licence-types/11100000000013338W099", apiToken(t, api, "admin"), body); st != 200 {
			t.Errorf("admin saves a type: %d %v", st, m)
		}
	})
}

// The pages: the public verification page needs no login; the holder's
// licence page renders its PDF; a share link opened in one browser is used
// up for another.
func TestLicencePages(t *testing.T) {
	ts := newTestServer(t, dbtest.SQLite(t))
	id := grantedLicence(t, ts.URL+"/api/v1")
	anon := ts.client()
	r, err := anon.Get(ts.URL + "/verify/" + id)
	if err != nil {
		t.Fatal(err)
	}
	if b := body(t, r); r.StatusCode != 200 || !strings.Contains(b, `data-verdict="valid"`) || !strings.Contains(b, "张*") || strings.Contains(b, "500102198506120011") {
		t.Fatalf("verification page: %d", r.StatusCode)
	}
	if r, _ = anon.Get(ts.URL + "/verify/1.2.156.3005.2.x"); r.StatusCode != 400 {
		t.Errorf("a malformed identifier: %d", r.StatusCode)
	}
	if r, _ = anon.Get(ts.URL + "/licences/" + id); r.StatusCode != http.StatusSeeOther {
		t.Errorf("the licence page without a login: %d", r.StatusCode)
	}
	zs := ts.client()
	ts.webLogin(t, zs, "zhangsan")
	r, _ = zs.Get(ts.URL + "/licences/" + id + "/pdf")
	if b := body(t, r); r.StatusCode != 200 || !strings.HasPrefix(b, "%PDF-") {
		t.Fatalf("pdf: %d", r.StatusCode)
	}
	tok := csrf(t, zs, ts.URL+"/licences/"+id)
	r, _ = zs.PostForm(ts.URL+"/licences/"+id+"/share", url.Values{"csrf_token": {tok}, "reason": {"租房"}, "ttl_minutes": {"10"}})
	b := body(t, r)
	i := strings.Index(b, "/s/")
	if r.StatusCode != 201 || i < 0 {
		t.Fatalf("share form: %d", r.StatusCode)
	}
	link := ts.URL + b[i:i+strings.IndexByte(b[i:], '"')]
	first, second := ts.client(), ts.client()
	for _, c := range []struct {
		who    *http.Client
		status int
		want   string
	}{{first, 200, `data-verdict="valid"`}, {first, 200, `data-verdict="valid"`}, {second, 410, `data-verdict="share_used"`}} {
		r, _ := c.who.Get(link)
		if b := body(t, r); r.StatusCode != c.status || !strings.Contains(b, c.want) {
			t.Errorf("share link: %d, want %d %s", r.StatusCode, c.status, c.want)
		}
	}
	// 免提交: the application form for an item that asks for a 营业执照 says
	// 张三 holds one; his online application without the upload is complete,
	// and the clerk's case page shows the licence in its place.
	api := ts.URL + "/api/v1"
	_, found := apiCall(t, "GET", api+"/items?q="+url.QueryEscape("食品经营许可（新办）"), "", "")
	food := found["items"].([]any)[0].(map[string]any)["impl_code"].(string)
	r, _ = zs.Get(ts.URL + "/apply/" + food)
	if b := body(t, r); r.StatusCode != 200 || !strings.Contains(b, `id="held-business_licence"`) || strings.Contains(b, `id="m-business_licence"`) {
		t.Errorf("the application form does not mark the 营业执照 as supplied: %d", r.StatusCode)
	}
	tok2 := apiToken(t, api, "zhangsan")
	var refs []string
	for _, key := range []string{"application", "layout", "safety_rules"} {
		_, m := upload(t, api, tok2, key+".pdf", []byte("%PDF-1.4\n% "+key+"\n%%EOF\n"))
		refs = append(refs, `{"key":"`+key+`","id":"`+m["material"].(map[string]any)["id"].(string)+`"}`)
	}
	st, m := apiCall(t, "POST", api+"/cases", tok2, `{"item_code":"`+food+`","submit":true,"answers":{"cold_or_raw":"no"},"materials":[`+strings.Join(refs, ",")+`],
		"form_values":{"org_name":["张三小吃店"],"org_credit_code":["92500102MA5U7X2K8B"],"legal_rep":["张三"],"applicant_phone":["13800000000"],
		"org_address":["500102006001","滨江路 1 号"],"food_items":["hot"],"area":["40"]}}`)
	if st != 201 {
		t.Fatalf("online application relying on the licence: %d %v", st, m)
	}
	c := m["case"].(map[string]any)
	if ls, _ := c["licences"].([]any); len(ls) != 1 || ls[0].(map[string]any)["identifier"] != id {
		t.Errorf("the case's licences: %v", c["licences"])
	}
	clerk := ts.client()
	ts.webLogin(t, clerk, "clerk")
	r, _ = clerk.Get(ts.URL + "/cases/" + c["case_no"].(string))
	if b := body(t, r); r.StatusCode != 200 || !strings.Contains(b, `id="case-licences"`) || !strings.Contains(b, id) {
		t.Errorf("the clerk's case page does not show the licence: %d", r.StatusCode)
	}

	// 证照管理 for the issuing department's staff: the composite window
	// (a regional post) sees licences only where a case shows them.
	r, _ = clerk.Get(ts.URL + "/workbench/licences")
	if b := body(t, r); r.StatusCode != 403 || strings.Contains(b, id) {
		t.Errorf("the composite window (政务服务管理办公室) opens 证照管理: %d", r.StatusCode)
	}
	approver := ts.client()
	ts.webLogin(t, approver, "approver")
	r, _ = approver.Get(ts.URL + "/workbench/licences?status=valid")
	if b := body(t, r); r.StatusCode != 200 || !strings.Contains(b, `data-identifier="`+id+`"`) {
		t.Errorf("issued licences page: %d", r.StatusCode)
	}
	// The region's supervisor oversees them (a list, holders masked), on the page and through the API.
	sup := ts.client()
	ts.webLogin(t, sup, "supervisor")
	r, _ = sup.Get(ts.URL + "/workbench/licences")
	if b := body(t, r); r.StatusCode != 200 || !strings.Contains(b, `data-identifier="`+id+`"`) || !strings.Contains(b, `href="/workbench/licences"`) {
		t.Errorf("the supervisor's licence list: %d", r.StatusCode)
	}
	if st, m := apiCall(t, "GET", api+"/licences?scope=issued", apiToken(t, api, "supervisor"), ""); st != 200 || !strings.Contains(fmt.Sprint(m), id) {
		t.Errorf("the supervisor's API list: %d %v", st, m)
	}
	if st, _ := apiCall(t, "GET", api+"/licences?scope=issued", apiToken(t, api, "zhangsan"), ""); st != 403 {
		t.Errorf("an applicant lists issued licences: %d", st)
	}

	// Types are data: the administrator edits one on /admin.
	admin := ts.client()
	ts.webLogin(t, admin, "admin")
	r, _ = admin.Get(ts.URL + "/admin?licence_type=11100000000013338W062")
	if b := body(t, r); r.StatusCode != 200 || !strings.Contains(b, `id="licence-type-list"`) || !strings.Contains(b, "老年人优待证") {
		t.Fatalf("admin page: %d", r.StatusCode)
	}
	tokA := csrf(t, admin, ts.URL+"/admin")
	edited := `{"code":"11100000000013338W062","name":"老年人优待证","authority":"民政部","validity_years":5,"fields":[{"key":"姓名","label":"姓名","from":"applicant.name"}]}`
	r, _ = admin.PostForm(ts.URL+"/admin/licence-types", url.Values{"csrf_token": {tokA}, "type_json": {edited}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("saving a type: %d %s", r.StatusCode, body(t, r))
	}
	_, types := apiCall(t, "GET", api+"/licence-types", "", "")
	for _, x := range types["licence_types"].([]any) {
		if ty := x.(map[string]any); ty["code"] == "11100000000013338W062" && ty["validity_years"] != float64(5) {
			t.Errorf("the edited type: %v", ty)
		}
	}
	r, _ = admin.PostForm(ts.URL+"/admin/licence-types", url.Values{"csrf_token": {tokA}, "type_json": {`{"code":"11100000000013338W062","name":""`}})
	if r.StatusCode != 400 {
		t.Errorf("a broken type: %d", r.StatusCode)
	}
	r, _ = zs.PostForm(ts.URL+"/admin/licence-types", url.Values{"csrf_token": {tok}, "type_json": {edited}})
	if r.StatusCode != 403 {
		t.Errorf("an applicant saves a type: %d", r.StatusCode)
	}

	// A form without its CSRF token changes nothing.
	r, _ = zs.PostForm(ts.URL+"/licences/"+id+"/share", url.Values{"reason": {"租房"}})
	if r.StatusCode != 403 {
		t.Errorf("share without CSRF: %d", r.StatusCode)
	}
}

// Public verification writes on every call: it is bounded per address.
func TestVerificationThrottled(t *testing.T) {
	ts := newTestServer(t, dbtest.SQLite(t), func(o *Options) { o.VerifyPerMinute = 3 })
	api := ts.URL + "/api/v1"
	for i := 1; i <= 4; i++ {
		st, m := apiCall(t, "GET", api+"/verify/1.2.156.3005.2.x", "", "")
		if want := map[bool]int{true: 400, false: 429}[i <= 3]; st != want {
			t.Errorf("verification %d: %d %v", i, st, m)
		}
		if i == 4 && m["message_key"] != "licence.throttled" {
			t.Errorf("throttled: %v", m)
		}
	}
	r, _ := ts.client().Get(ts.URL + "/verify/1.2.156.3005.2.x")
	if r.StatusCode != 429 {
		t.Errorf("the page after the limit: %d", r.StatusCode)
	}
}
