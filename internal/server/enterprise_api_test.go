package server

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/notify"
)

// itemCode finds a district item by name through the public search.
func itemCode(t *testing.T, api, name string) string {
	t.Helper()
	_, m := apiCall(t, "GET", api+"/items?q="+url.QueryEscape(name), "", "")
	for _, it := range m["items"].([]any) {
		if it := it.(map[string]any); it["name"] == name {
			return it["impl_code"].(string)
		}
	}
	t.Fatalf("no item %s", name)
	return ""
}

// caseList is the case numbers (or ids of drafts) and items of a list.
func caseList(t *testing.T, api, token string) []map[string]any {
	t.Helper()
	st, m := apiCall(t, "GET", api+"/cases?per_page=100", token, "")
	if st != 200 {
		t.Fatalf("list: %d %v", st, m)
	}
	var out []map[string]any
	for _, c := range m["cases"].([]any) {
		out = append(out, c.(map[string]any))
	}
	return out
}

// Issue 16: an enterprise held by its legal representative (the demo's 王五
// holds the demo company, 周芳 acts for it on every item), a 经办人 with a
// listed item and an expiry, filing as the enterprise, and every bad input.
func TestEnterpriseAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		asL1(t, d, "zhangsan")
		api := ts.URL + "/api/v1"
		ctx := context.Background()
		corp, _ := codes.CompleteCreditCode("91500102MA5U7X2K")
		other, _ := codes.CompleteCreditCode("91500102MA6A0B1C")
		if _, err := ts.ids.CreateOrganisation(ctx, identity.NewOrganisation{Account: identity.Account{Username: "othercorp", Password: identity.DemoPassword, Demo: true}, Name: "乙公司", CreditCode: other, LegalRep: "赵四"}); err != nil {
			t.Fatal(err)
		}
		rep, op, zs := apiToken(t, api, "legalrep"), apiToken(t, api, "jingban"), apiToken(t, api, "zhangsan")
		seal, company := itemCode(t, api, "公章刻制备案"), itemCode(t, api, "有限责任公司设立登记")

		// The demo's roles.
		_, m := apiCall(t, "GET", api+"/me/enterprises", op, "")
		if es := m["enterprises"].([]any); len(es) != 1 || es[0].(map[string]any)["credit_code"] != corp || es[0].(map[string]any)["legal_rep"] != false {
			t.Fatalf("周芳's enterprises: %v", m)
		}
		// Binding: an L1 person, a name that is not the legal representative's, an organisation.
		for _, tc := range []struct {
			who, token, body string
			status           int
			key              string
		}{
			{"L1", zs, `{"credit_code":"` + other + `","name":"乙公司"}`, 403, "enterprise.l2_required"},
			{"not the rep", rep, `{"credit_code":"` + other + `","name":"乙公司"}`, 400, "enterprise.rep_mismatch"},
			{"organisation", apiToken(t, api, "democorp"), `{"credit_code":"` + other + `","name":"乙公司"}`, 403, "enterprise.person_only"},
			{"staff", apiToken(t, api, "clerk"), `{"credit_code":"` + other + `","name":"乙公司"}`, 403, "enterprise.person_only"},
			{"bad code", rep, `{"credit_code":"91500102MA6A0B1X","name":"乙公司"}`, 400, ""},
			{"unknown field", rep, `{"credit_code":"` + other + `","name":"乙公司","x":1}`, 400, ""},
		} {
			st, m := apiCall(t, "POST", api+"/me/enterprises", tc.token, tc.body)
			if st != tc.status || tc.key != "" && m["message_key"] != tc.key || m["message"] == "" {
				t.Errorf("bind %s: %d %v", tc.who, st, m)
			}
		}
		// Another person's enterprise does not exist for the caller.
		if st, m := apiCall(t, "GET", api+"/me/enterprises/"+corp+"/operators", op, ""); st != 404 || m["message_key"] != "enterprise.not_found" {
			t.Errorf("operators as 经办人: %d %v", st, m)
		}
		if st, _ := apiCall(t, "POST", api+"/me/enterprises/"+corp+"/operators", zs, `{"id_number":"x","name":"x","expires_on":"2026-03-01"}`); st != 404 {
			t.Errorf("authorise as a stranger: %d", st)
		}
		// 王五 authorises 张三 for the seal filing only, until 2026-03-01.
		zsID := "500102198506120011"
		for _, tc := range []struct {
			body, key string
		}{
			{`{"id_number":"` + zsID + `","name":"张四","expires_on":"2026-03-01"}`, "enterprise.person_unmatched"},
			{`{"id_number":"110101199003070011","name":"张三","expires_on":"2026-03-01"}`, ""},
			{`{"id_number":"` + zsID + `","name":"张三","expires_on":"2026-02-13"}`, "enterprise.expiry_invalid"},
			{`{"id_number":"` + zsID + `","name":"张三","expires_on":"2026-03-01","items":["NOPE"]}`, "enterprise.item_unknown"},
		} {
			if st, m := apiCall(t, "POST", api+"/me/enterprises/"+corp+"/operators", rep, tc.body); st != 400 || tc.key != "" && m["message_key"] != tc.key {
				t.Errorf("authorise %s: %d %v", tc.body, st, m)
			}
		}
		st, m := apiCall(t, "POST", api+"/me/enterprises/"+corp+"/operators", rep, `{"id_number":"`+zsID+`","name":"张三","expires_on":"2026-03-01","items":["`+seal+`"]}`)
		if st != 201 || m["id_number_masked"] == zsID || m["status"] != "active" {
			t.Fatalf("authorise: %d %v", st, m)
		}
		zs = apiToken(t, api, "zhangsan")

		// Filing as the enterprise: in scope; out of scope; another enterprise.
		draft := func(token, code, item string) (int, map[string]any) {
			return apiCall(t, "POST", api+"/cases", token, `{"item_code":"`+item+`","enterprise":"`+code+`","submit":false,"form_values":{}}`)
		}
		st, m = draft(zs, corp, seal)
		if st != 201 {
			t.Fatalf("draft as the enterprise: %d %v", st, m)
		}
		c := m["case"].(map[string]any)
		if c["applicant_name"] != "重庆市涪陵区通办示范科技有限公司" || c["applicant_kind"] != "organisation" || c["filed_by"] != "张三" {
			t.Errorf("the enterprise's case: %v", c)
		}
		draftID := c["id"].(string)
		for _, tc := range []struct {
			who, token, code, item string
			status                 int
			key                    string
		}{
			{"out of scope", zs, corp, company, 403, "enterprise.out_of_scope"},
			{"another enterprise", zs, other, seal, 403, "enterprise.not_yours"},
			{"unregistered code", zs, "91500102MA6A0B2" + "X", seal, 400, ""},
			{"an organisation", apiToken(t, api, "democorp"), corp, seal, 403, "enterprise.person_only"},
		} {
			if st, m := draft(tc.token, tc.code, tc.item); st != tc.status || tc.key != "" && m["message_key"] != tc.key {
				t.Errorf("file %s: %d %v", tc.who, st, m)
			}
		}
		// Both the legal representative and the other 经办人 see the draft;
		// 张三 sees the enterprise's cases of his item only.
		for _, tok := range []string{rep, op, zs} {
			if st, _ := apiCall(t, "GET", api+"/cases/"+draftID, tok, ""); st != 200 {
				t.Errorf("read the enterprise's draft: %d", st)
			}
		}
		corpName := "重庆市涪陵区通办示范科技有限公司"
		var companyDraft string
		st, m = draft(op, corp, company)
		if st != 201 {
			t.Fatalf("周芳 files: %d %v", st, m)
		}
		companyDraft = m["case"].(map[string]any)["id"].(string)
		if st, _ := apiCall(t, "GET", api+"/cases/"+companyDraft, zs, ""); st != 404 {
			t.Errorf("张三 reads an item outside his scope: %d", st)
		}
		seen := map[string]bool{}
		for _, c := range caseList(t, api, zs) {
			if c["applicant_name"] == corpName {
				seen[c["id"].(string)] = true
				if c["item_code"] != seal {
					t.Errorf("张三 lists the enterprise's %v", c["item_name"])
				}
			}
		}
		if !seen[draftID] || seen[companyDraft] {
			t.Errorf("张三's list: %v", seen)
		}
		// Nobody else (the other enterprise's account) sees them.
		for _, c := range caseList(t, api, apiToken(t, api, "othercorp")) {
			if c["applicant_name"] == corpName {
				t.Errorf("乙公司 lists 甲's case %v", c["id"])
			}
		}

		// A submission tells the enterprise, its legal representative and
		// the 经办人 in scope (张三 for the seal filing).
		var refs []string
		for _, key := range []string{"business_licence", "id_card", "seal_pattern"} {
			st, m := upload(t, api, zs, key+".pdf", []byte("%PDF-1.4\n% "+key+"\n%%EOF\n"))
			if st != 201 {
				t.Fatalf("upload: %d %v", st, m)
			}
			refs = append(refs, fmt.Sprintf(`{"key":%q,"id":%q}`, key, m["material"].(map[string]any)["id"]))
		}
		st, m = apiCall(t, "POST", api+"/cases", zs, `{"item_code":"`+seal+`","enterprise":"`+corp+`","submit":true,
			"form_values":{"legal_rep":["王五"],"applicant_phone":["13800000000"],"seals":["official"]},"materials":[`+strings.Join(refs, ",")+`]}`)
		if st != 201 {
			t.Fatalf("submit as the enterprise: %d %v", st, m)
		}
		no := m["case"].(map[string]any)["case_no"].(string)
		if _, err := notify.Settle(ctx, d); err != nil {
			t.Fatal(err)
		}
		for _, who := range []string{"democorp", "legalrep", "jingban", "zhangsan"} {
			u, _ := ts.ids.UserByUsername(ctx, who)
			var n int
			if err := d.Reader().QueryRow(`SELECT COUNT(*) FROM notifications n JOIN cases c ON c.id = n.case_id WHERE n.user_id = $1 AND c.case_no = $2`, u.ID, no).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				t.Errorf("%s was not told of %s", who, no)
			}
		}

		// Expired: at once, both filing and reading.
		ts.now = time.Date(2026, 3, 1, 16, 0, 0, 0, time.UTC) // 2026-03-02 00:00 in China
		zs, rep = apiToken(t, api, "zhangsan"), apiToken(t, api, "legalrep")
		if st, m := draft(zs, corp, seal); st != 403 || m["message_key"] != "enterprise.authorisation_expired" {
			t.Errorf("file when expired: %d %v", st, m)
		}
		if st, _ := apiCall(t, "GET", api+"/cases/"+draftID, zs, ""); st != 404 {
			t.Errorf("read when expired: %d", st)
		}
		// Revoked: 周芳's authorisation ends at the next request.
		_, m = apiCall(t, "GET", api+"/me/enterprises/"+corp+"/operators", rep, "")
		var zhou string
		for _, o := range m["operators"].([]any) {
			if o := o.(map[string]any); o["name"] == "周芳" {
				zhou = o["id"].(string)
			}
		}
		op = apiToken(t, api, "jingban")
		if st, _ := apiCall(t, "POST", api+"/me/enterprises/"+corp+"/operators/"+zhou+"/revoke", op, ""); st != 404 {
			t.Errorf("the 经办人 revokes: %d", st)
		}
		if st, m := apiCall(t, "POST", api+"/me/enterprises/"+corp+"/operators/"+zhou+"/revoke", rep, ""); st != 204 {
			t.Fatalf("revoke: %d %v", st, m)
		}
		if st, m := draft(op, corp, seal); st != 403 || m["message_key"] != "enterprise.authorisation_revoked" {
			t.Errorf("file when revoked: %d %v", st, m)
		}
		if st, _ := apiCall(t, "GET", api+"/cases/"+companyDraft, op, ""); st != 404 {
			t.Errorf("read when revoked: %d", st)
		}
		if st, m := apiCall(t, "POST", api+"/me/enterprises/"+corp+"/operators/"+zhou+"/revoke", rep, ""); st != 409 {
			t.Errorf("revoke twice: %d %v", st, m)
		}
		// The legal representative still sees every case of the enterprise.
		if st, _ := apiCall(t, "GET", api+"/cases/"+companyDraft, rep, ""); st != 200 {
			t.Errorf("the legal representative reads: %d", st)
		}
	})
}

// The enterprises page: an L1 person is told to go to a window; a refused
// authorisation comes back with its reason and the status of the API.
func TestEnterpriseWeb(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		asL1(t, d, "zhangsan")
		corp, _ := codes.CompleteCreditCode("91500102MA5U7X2K")
		zs := ts.client()
		ts.webLogin(t, zs, "zhangsan")
		r, err := zs.Get(ts.URL + "/me/enterprises")
		if err != nil {
			t.Fatal(err)
		}
		if b := body(t, r); r.StatusCode != 200 || !strings.Contains(b, `id="bind-l1"`) || !strings.Contains(b, "实名核验") {
			t.Fatalf("L1 page: %d", r.StatusCode)
		}
		tok := csrf(t, zs, ts.URL+"/me")
		r, _ = zs.PostForm(ts.URL+"/me/enterprises", url.Values{"csrf_token": {tok}, "credit_code": {corp}, "name": {"重庆市涪陵区通办示范科技有限公司"}})
		if b := body(t, r); r.StatusCode != 403 || !strings.Contains(b, "请携带本人身份证到任一政务服务大厅窗口") {
			t.Errorf("L1 binding: %d", r.StatusCode)
		}
		rep := ts.client()
		ts.webLogin(t, rep, "legalrep")
		r, _ = rep.Get(ts.URL + "/me/enterprises")
		if b := body(t, r); !strings.Contains(b, `data-enterprise="`+corp+`"`) || !strings.Contains(b, "周芳") || strings.Contains(b, "50010219900820024") {
			t.Fatalf("王五's page: %d", r.StatusCode)
		}
		tok = csrf(t, rep, ts.URL+"/me/enterprises")
		r, _ = rep.PostForm(ts.URL+"/me/enterprises/"+corp+"/operators", url.Values{"csrf_token": {tok}, "name": {"张四"}, "id_number": {"500102198506120011"},
			"scope": {"all"}, "expires_on": {"2026-03-01"}})
		if b := body(t, r); r.StatusCode != 400 || !strings.Contains(b, "姓名与身份证号码不匹配") {
			t.Errorf("unmatched: %d", r.StatusCode)
		}
		r, _ = rep.PostForm(ts.URL+"/me/enterprises/"+corp+"/operators", url.Values{"csrf_token": {tok}, "name": {"张三"}, "id_number": {"500102198506120011"},
			"scope": {"items"}, "items": {""}, "expires_on": {"2026-03-01"}})
		if b := body(t, r); r.StatusCode != 400 || !strings.Contains(b, "至少一个事项实施编码") {
			t.Errorf("no items: %d", r.StatusCode)
		}
		// Without the CSRF token nothing is written.
		r, _ = rep.PostForm(ts.URL+"/me/enterprises/"+corp+"/operators", url.Values{"name": {"张三"}, "id_number": {"500102198506120011"}, "scope": {"all"}, "expires_on": {"2026-03-01"}})
		if body(t, r); r.StatusCode != 403 {
			t.Errorf("no CSRF token: %d", r.StatusCode)
		}
		r, _ = rep.PostForm(ts.URL+"/me/enterprises/"+corp+"/operators", url.Values{"csrf_token": {tok}, "name": {"张三"}, "id_number": {"500102198506120011"},
			"scope": {"all"}, "expires_on": {"2026-03-01"}})
		if body(t, r); r.StatusCode != 303 {
			t.Errorf("authorise: %d", r.StatusCode)
		}
		r, _ = rep.Get(ts.URL + "/me/enterprises")
		if b := body(t, r); !strings.Contains(b, "500102********0011") || strings.Contains(b, "500102198506120011") {
			t.Errorf("the new 经办人 is not listed masked")
		}
	})
}

// asL1 makes a demo person a self-registered (L1) one: the demo's 张三 was
// seen at its window (L2), and these tests need someone who was not.
func asL1(t *testing.T, d *db.DB, username string) {
	t.Helper()
	if err := d.Update(context.Background(), func(tx *db.Tx) error {
		_, err := tx.Exec(`UPDATE users SET assurance = 1 WHERE username = $1`, username)
		return err
	}); err != nil {
		t.Fatal(err)
	}
}
