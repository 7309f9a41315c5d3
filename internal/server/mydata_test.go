package server

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/mydata"
)

// PIPL Art. 44/45 (issue 16, deliverable 3): an account downloads its own
// data — its cases with the form values unsealed, the staff reads of them by
// department and role — and nothing of anyone else's; each export is
// audited; an anonymous caller gets 401 or the login page.
func TestMyDataExport(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		api := ts.URL + "/api/v1"
		clerk, zs, corp := apiToken(t, api, "clerk"), apiToken(t, api, "zhangsan"), apiToken(t, api, "democorp")
		code := soleTraderCode(t, api)
		st, m := apiCall(t, "POST", api+"/cases", clerk, `{"item_code":"`+code+`","applicant":"500102198506120011","submit":true,"accept":true,
			"form_values":{"applicant_name":["张三"],"applicant_id":["500102198506120011"],"applicant_phone":["13800000000"],"business_name":["张三导出小吃店"],
			"form_of":["person"],"scope":["小吃服务"],"org_address":["500102006001","滨江路 1 号"],"capital":["5"]}}`)
		if st != 201 && st != 200 {
			t.Fatalf("file: %d %v", st, m)
		}
		no := m["case"].(map[string]any)["case_no"].(string)
		if st, m := apiCall(t, "GET", api+"/cases/"+no, clerk, ""); st != 200 { // a staff read, recorded
			t.Fatalf("clerk reads: %d %v", st, m)
		}
		// A village agent files a draft for 张三: both exports hold it, the
		// agent's marked as filed as agent.
		ag := apiToken(t, api, "agent")
		st, m = apiCall(t, "POST", api+"/cases", ag, `{"item_code":"`+code+`","applicant":"500102198506120011","applicant_name":"张三","submit":false,
			"form_values":{"applicant_phone":["13700000000"]}}`)
		if st != 201 {
			t.Fatalf("the agent's draft: %d %v", st, m)
		}
		byAgent := m["case"].(map[string]any)["id"].(string)
		var agDoc mydata.Document
		if err := json.Unmarshal([]byte(rawGet(t, api+"/me/data", ag)), &agDoc); err != nil {
			t.Fatal(err)
		}
		if len(agDoc.Cases) != 1 || agDoc.Cases[0].ID != byAgent || !agDoc.Cases[0].AsAgent {
			t.Errorf("the agent's export: %+v", agDoc.Cases)
		}
		exports := func() int {
			var n int
			if err := d.Reader().QueryRow(`SELECT COUNT(*) FROM audit_pending WHERE action = $1`, mydata.Action).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}

		before := exports()
		st, m = apiCall(t, "GET", api+"/me/data", zs, "")
		if st != 200 || m["format"] != mydata.Format {
			t.Fatalf("zhangsan's export: %d %v", st, m)
		}
		if exports() != before+1 {
			t.Errorf("the export was not audited")
		}
		acct := m["account"].(map[string]any)
		if acct["username"] != "zhangsan" || acct["identifier"] != "500102198506120011" {
			t.Errorf("account: %v", acct)
		}
		var found, agents map[string]any
		for _, c := range m["cases"].([]any) {
			if c := c.(map[string]any); c["case_no"] == no {
				found = c
			} else if c["id"] == byAgent {
				agents = c
			}
		}
		if agents == nil || agents["as_agent"] != false {
			t.Errorf("zhangsan's export: the agent's filing for him: %v", agents)
		}
		if found == nil {
			t.Fatalf("zhangsan's export lacks case %s", no)
		}
		if vals, _ := found["form_values"].(map[string]any); vals == nil || vals["business_name"].([]any)[0] != "张三导出小吃店" {
			t.Errorf("form values not unsealed: %v", found["form_values"])
		}
		if found["as_agent"] != false {
			t.Errorf("as_agent: %v", found["as_agent"])
		}
		var read map[string]any
		for _, r := range m["staff_reads"].([]any) {
			if r := r.(map[string]any); r["case_no"] == no && r["purpose"] == "view" {
				read = r
			}
		}
		if read == nil {
			t.Fatalf("the clerk's read is not listed: %v", m["staff_reads"])
		}
		for k := range read {
			if k != "case_no" && k != "at" && k != "purpose" && k != "reader_grants" {
				t.Errorf("a read names %q", k)
			}
		}
		if gs := read["reader_grants"].([]any); len(gs) == 0 || gs[0].(map[string]any)["role"] != "clerk" {
			t.Errorf("reader grants: %v", gs)
		}

		// The enterprise's export holds its own credit code in full and
		// nothing of 张三's.
		_, items := apiCall(t, "GET", api+"/items?q="+url.QueryEscape("有限责任公司设立登记"), "", "")
		company := items["items"].([]any)[0].(map[string]any)["impl_code"].(string)
		st, m = apiCall(t, "POST", api+"/cases", corp, `{"item_code":"`+company+`","submit":false,"form_values":{"applicant_phone":["13900000000"]}}`)
		if st != 201 {
			t.Fatalf("democorp's draft: %d %v", st, m)
		}
		draft := m["case"].(map[string]any)["id"].(string)
		raw := rawGet(t, api+"/me/data", corp)
		if strings.Contains(raw, no) || strings.Contains(raw, "500102198506120011") || strings.Contains(raw, "张三导出小吃店") {
			t.Errorf("democorp's export shows zhangsan's data")
		}
		var cd mydata.Document
		if err := json.Unmarshal([]byte(raw), &cd); err != nil || cd.Account.Username != "democorp" || len(cd.Account.Identifier) != 18 ||
			len(cd.Cases) != 1 || cd.Cases[0].ID != draft || cd.Cases[0].Values["applicant_phone"][0] != "13900000000" {
			t.Errorf("democorp's export: %v %.300s", err, raw)
		}

		// Anonymous: 401 from the API, the login page from the web.
		if st, _ := apiCall(t, "GET", api+"/me/data", "", ""); st != 401 {
			t.Errorf("anonymous API: %d", st)
		}
		c := ts.client()
		resp, err := c.Get(ts.URL + "/me/data.json")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
			t.Errorf("anonymous page: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}

		// The page's download: an attachment, not cached, the same document.
		ts.webLogin(t, c, "zhangsan")
		resp, err = c.Get(ts.URL + "/me")
		if err != nil {
			t.Fatal(err)
		}
		if page := body(t, resp); !strings.Contains(page, `href="/me/data.json"`) {
			t.Errorf("/me has no download link")
		}
		before = exports()
		resp, err = c.Get(ts.URL + "/me/data.json")
		if err != nil {
			t.Fatal(err)
		}
		text := body(t, resp)
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment;") ||
			resp.Header.Get("Cache-Control") != "no-store" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			t.Errorf("download: %d %v", resp.StatusCode, resp.Header)
		}
		var doc mydata.Document
		if err := json.Unmarshal([]byte(text), &doc); err != nil || doc.Account.Username != "zhangsan" || !strings.Contains(text, no) {
			t.Errorf("download document: %v %.300s", err, text)
		}
		if exports() != before+1 {
			t.Errorf("the download was not audited")
		}
	})
}

func rawGet(t *testing.T, u, token string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return body(t, resp)
}

// The export holds the account's relations too (PIPL Art. 45: a copy of
// all of it): the mandate 张三 gave the village agent, as principal and as
// agent; the enterprise the legal representative holds, the 经办人's
// authority, and, in the enterprise's own export, who may act for it.
func TestMyDataRelations(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		api := ts.URL + "/api/v1"
		doc := func(user string) mydata.Document {
			var doc mydata.Document
			if err := json.Unmarshal([]byte(rawGet(t, api+"/me/data", apiToken(t, api, user))), &doc); err != nil {
				t.Fatal(err)
			}
			return doc
		}
		zs, ag := doc("zhangsan"), doc("agent")
		if len(zs.Mandates) != 1 || zs.Mandates[0].As != "principal" || zs.Mandates[0].State != "active" || zs.Mandates[0].Other == "" {
			t.Errorf("zhangsan's mandates: %+v", zs.Mandates)
		}
		if len(ag.Mandates) != 1 || ag.Mandates[0].As != "agent" || ag.Mandates[0].Other != "张三" {
			t.Errorf("the agent's mandates: %+v", ag.Mandates)
		}
		rep, op, corp := doc("legalrep"), doc("jingban"), doc("democorp")
		if len(rep.Enterprises) != 1 || rep.Enterprises[0].Role != "legal_rep" || len(rep.Enterprises[0].CreditCode) != 18 {
			t.Errorf("the legal representative's enterprises: %+v", rep.Enterprises)
		}
		if len(op.Enterprises) != 1 || op.Enterprises[0].Role != "operator" || op.Enterprises[0].ExpiresAt == nil ||
			op.Enterprises[0].CreditCode != rep.Enterprises[0].CreditCode {
			t.Errorf("the 经办人's enterprises: %+v", op.Enterprises)
		}
		if len(corp.Enterprises) != 1 || corp.Enterprises[0].Role != "operator_authorised" || corp.Enterprises[0].Person == "" {
			t.Errorf("the enterprise's operators: %+v", corp.Enterprises)
		}
		if zs.Ratings == nil || zs.Bookings == nil || zs.Tickets == nil || len(zs.Enterprises) != 0 {
			t.Errorf("zhangsan's other sections: %+v %+v %+v %+v", zs.Ratings, zs.Bookings, zs.Tickets, zs.Enterprises)
		}
	})
}
