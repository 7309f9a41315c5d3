package server

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
)

// fileSoleTrader files 张三's 个体工商户设立登记 through the API with its
// materials and returns the case number and id.
func fileSoleTrader(t *testing.T, api, token string) (string, string) {
	t.Helper()
	code := soleTraderCode(t, api)
	var refs []string
	for _, key := range []string{"application", "id_card", "lease"} {
		_, m := upload(t, api, token, key+".pdf", []byte("%PDF-1.4\n% "+key+"\n%%EOF\n"))
		refs = append(refs, fmt.Sprintf(`{"key":%q,"id":%q}`, key, m["material"].(map[string]any)["id"]))
	}
	st, m := apiCall(t, "POST", api+"/cases", token, `{"item_code":"`+code+`","submit":true,"answers":{"premises":"rented"},
		"form_values":{"applicant_name":["张三"],"applicant_id":["500102198506120011"],"applicant_phone":["13800000000"],
		"form_of":["person"],"scope":["小吃"],"org_address":["500102006001","滨江路 1 号"],"capital":["5"]},
		"materials":[`+strings.Join(refs, ",")+`]}`)
	if st != 201 {
		t.Fatalf("file: %d %v", st, m)
	}
	c := m["case"].(map[string]any)
	return c["case_no"].(string), c["id"].(string)
}

// The case page reads the case once per page, and an action reads nothing
// before it acts: "viewed the case" is recorded for each page that shows
// the case — the page, and the page a refusal shows again — and never for
// an action that is done, as the API records none.
func TestWebActionsRecordNoUnaskedViews(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		api := ts.URL + "/api/v1"
		no, id := fileSoleTrader(t, api, apiToken(t, api, "zhangsan"))
		clerk, _ := ts.ids.UserByUsername(t.Context(), "clerk")
		views := func() int {
			t.Helper()
			var n int
			if err := d.View(t.Context(), func(tx *db.Tx) error {
				return tx.QueryRow(`SELECT (SELECT COUNT(*) FROM audit_pending WHERE object_id = $1 AND actor_id = $2 AND action = 'case.read.view')
					+ (SELECT COUNT(*) FROM audit_records WHERE object_id = $1 AND actor_id = $2 AND action = 'case.read.view')`, id, clerk.ID).Scan(&n)
			}); err != nil {
				t.Fatal(err)
			}
			return n
		}
		c := ts.client()
		ts.webLogin(t, c, "clerk")
		before := views()
		tok := csrf(t, c, ts.URL+"/cases/"+no) // the page: one view
		if got := views() - before; got != 1 {
			t.Fatalf("the case page recorded %d views, want 1", got)
		}
		post := func(form url.Values) (int, string) {
			form.Set("csrf_token", tok)
			r, err := c.PostForm(ts.URL+"/cases/"+no+"/act", form)
			if err != nil {
				t.Fatal(err)
			}
			return r.StatusCode, body(t, r)
		}
		for _, tt := range []struct {
			name   string
			form   url.Values
			status int
			views  int
		}{
			{"done", url.Values{"action": {"comment"}, "comment": {"已电话联系申请人"}}, 303, 0},
			{"refused: stale revision", url.Values{"action": {"accept"}, "rev": {"1"}}, 409, 1},
			{"refused: reason missing", url.Values{"action": {"refuse"}}, 400, 1},
			{"done, with the item's fields", url.Values{"action": {"accept"}, "item": {""}}, 303, 0},
		} {
			before := views()
			st, b := post(tt.form)
			if st != tt.status {
				t.Errorf("%s: %d, want %d", tt.name, st, tt.status)
			}
			if tt.status != 303 && (!strings.Contains(b, `id="problem"`) || !strings.Contains(b, no)) {
				t.Errorf("%s: the refusal does not show the case and the reason", tt.name)
			}
			if got := views() - before; got != tt.views {
				t.Errorf("%s: %d views recorded, want %d", tt.name, got, tt.views)
			}
		}
		// The API records none either way.
		before = views()
		token := apiToken(t, api, "clerk")
		if st, _ := apiCall(t, "POST", api+"/cases/"+no+"/actions", token, `{"action":"comment","comment":"再次联系"}`); st != 200 {
			t.Errorf("API comment: %d", st)
		}
		if st, _ := apiCall(t, "POST", api+"/cases/"+no+"/actions", token, `{"action":"accept"}`); st != 409 {
			t.Errorf("API accept twice: %d", st)
		}
		if got := views() - before; got != 0 {
			t.Errorf("API actions recorded %d views", got)
		}
	})
}

// 张三's application names 张三: the API refuses another person's name or
// ID number (400, nothing filed); the apply page shows his own, read-only.
func TestApplicantIdentityIsBoundOnTheEdge(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		api := ts.URL + "/api/v1"
		zs := apiToken(t, api, "zhangsan")
		code := soleTraderCode(t, api)
		for _, vals := range []string{`"applicant_name":["李四"]`, `"applicant_id":["11010519491231002X"]`} {
			st, m := apiCall(t, "POST", api+"/cases", zs, `{"item_code":"`+code+`","form_values":{`+vals+`}}`)
			if st != 400 || m["message_key"] != "case.identity_bound" {
				t.Errorf("%s: %d %v", vals, st, m)
			}
		}
		if st, m := apiCall(t, "GET", api+"/cases", zs, ""); st != 200 || m["total"].(float64) != 0 {
			t.Errorf("something was filed: %d %v", st, m)
		}
		c := ts.client()
		ts.webLogin(t, c, "zhangsan")
		r, _ := c.Get(ts.URL + "/apply/" + code)
		b := body(t, r)
		for _, want := range []string{`name="applicant_id" value="500102198506120011" maxlength="18" autocapitalize="characters" readonly`, `name="applicant_name" value="张三"`} {
			if !strings.Contains(b, want) {
				t.Errorf("apply page lacks %s", want)
			}
		}
	})
}

// An agent learns no name from a number: on the API and the apply page an
// unregistered number and a wrong name get the same answer; the right pair
// files (here a draft, for 张三 of the agent's own town).
func TestAgentNamesTheApplicantOnTheEdge(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		api := ts.URL + "/api/v1"
		ag := apiToken(t, api, "agent")
		code := soleTraderCode(t, api)
		var answers []string
		for _, tt := range []struct{ number, name, key string }{
			{"500102198506120011", "", "case.agent_applicant_required"},
			{"500102198506120011", "李四", "case.applicant_unmatched"},
			{"11010519491231002X", "李四", "case.applicant_unmatched"},
		} {
			st, m := apiCall(t, "POST", api+"/cases", ag, `{"item_code":"`+code+`","applicant":"`+tt.number+`","applicant_name":"`+tt.name+`"}`)
			if st != 400 || m["message_key"] != tt.key {
				t.Errorf("%s %s: %d %v", tt.number, tt.name, st, m)
			}
			if tt.key == "case.applicant_unmatched" {
				answers = append(answers, fmt.Sprint(st, m))
			}
			if strings.Contains(fmt.Sprint(m), "张三") {
				t.Errorf("the answer names the registered person: %v", m)
			}
		}
		if len(answers) != 2 || answers[0] != answers[1] {
			t.Errorf("unknown and mismatch answer differently: %q", answers)
		}
		c := ts.client()
		ts.webLogin(t, c, "agent")
		tok := csrf(t, c, ts.URL+"/apply/"+code)
		post := func(name string) (int, string) {
			form := url.Values{"csrf_token": {tok}, "do": {"draft"}, "applicant": {"500102198506120011"}, "for_name": {name}, "idem": {name}}
			r, err := c.PostForm(ts.URL+"/apply/"+code, form)
			if err != nil {
				t.Fatal(err)
			}
			return r.StatusCode, body(t, r)
		}
		if st, b := post("李四"); st != 400 || !strings.Contains(b, "姓名与证件号码不匹配") || strings.Contains(b, "张三") {
			t.Errorf("wrong name on the page: %d", st)
		}
		if st, _ := post("张三"); st != 303 {
			t.Errorf("right pair on the page: %d", st)
		}
	})
}

// On the edge: staff get "not found" for a draft on every API read, and a
// transfer to another town's department is a 400 naming it, which the case
// page does not even offer.
func TestDraftsAndTransfersOnTheEdge(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		api := ts.URL + "/api/v1"
		zs := apiToken(t, api, "zhangsan")
		code := soleTraderCode(t, api)
		_, m := upload(t, api, zs, "lease.pdf", []byte("%PDF-1.4\n% lease\n%%EOF\n"))
		mat := m["material"].(map[string]any)["id"].(string)
		st, m := apiCall(t, "POST", api+"/cases", zs, `{"item_code":"`+code+`","form_values":{"applicant_phone":["13800000000"]},
			"answers":{"premises":"rented"},"materials":[{"key":"lease","id":"`+mat+`"}]}`)
		if st != 201 {
			t.Fatalf("draft: %d %v", st, m)
		}
		draft := m["case"].(map[string]any)["id"].(string)
		for _, who := range []string{"clerk", "handler", "supervisor"} {
			tok := apiToken(t, api, who)
			if st, m := apiCall(t, "GET", api+"/cases", tok, ""); st != 200 || m["total"].(float64) != 0 {
				t.Errorf("%s lists the draft: %d %v", who, st, m)
			}
			for _, p := range []string{"", "/timeline", "/materials/" + mat} {
				if st, _ := apiCall(t, "GET", api+"/cases/"+draft+p, tok, ""); st != 404 {
					t.Errorf("%s GET draft%s: %d", who, p, st)
				}
			}
		}
		if st, _ := apiCall(t, "GET", api+"/cases/"+draft, zs, ""); st != 200 {
			t.Errorf("the applicant reads the draft: %d", st)
		}

		no, _ := fileSoleTrader(t, api, zs)
		if st, m := apiCall(t, "POST", api+"/cases/"+no+"/actions", apiToken(t, api, "clerk"), `{"action":"accept"}`); st != 200 {
			t.Fatalf("accept: %d %v", st, m)
		}
		_, m = apiCall(t, "GET", api+"/departments", "", "")
		ids := map[string]string{}
		for _, x := range m["departments"].([]any) {
			dp := x.(map[string]any)
			ids[dp["name"].(string)] = dp["id"].(string)
		}
		town, district := ids["重庆市涪陵区南沱镇人民政府"], ids["重庆市涪陵区民政局"]
		if town == "" || district == "" {
			t.Fatalf("departments: %v", ids)
		}
		st, m = apiCall(t, "POST", api+"/cases/"+no+"/actions", apiToken(t, api, "handler"), `{"action":"transfer","department_id":"`+town+`","reason":"属地管理"}`)
		if st != 400 || m["message_key"] != "case.transfer_out_of_region" || !strings.Contains(m["message"].(string), "南沱镇人民政府") {
			t.Errorf("transfer to a town: %d %v", st, m)
		}
		c := ts.client()
		ts.webLogin(t, c, "handler")
		r, _ := c.Get(ts.URL + "/cases/" + no)
		b := body(t, r)
		if !strings.Contains(b, `value="`+district+`"`) || strings.Contains(b, `value="`+town+`"`) {
			t.Errorf("the transfer form offers the wrong departments")
		}
	})
}

// At the window the clerk files for a walk-in person: the name that
// registers them is its own input (not the form's applicant_name), and the
// form's identity fields, left empty, name the person the case is for.
func TestIntakeNamesTheWalkIn(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		code := soleTraderCode(t, ts.URL+"/api/v1")
		c := ts.client()
		ts.webLogin(t, c, "clerk")
		tok := csrf(t, c, ts.URL+"/workbench/intake?code="+code)
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		for k, v := range map[string]string{"csrf_token": tok, "idem": "walk-in-1", "do": "submit", "applicant": "11010519491231002X",
			"walkin_name": "王芳", "applicant_name": "", "applicant_id": "", "applicant_phone": "13800000000", "form_of": "person",
			"scope": "小吃", "org_address.town": "500102006000", "org_address.detail": "滨江路 1 号", "capital": "5", "a.premises": "owned"} {
			mw.WriteField(k, v)
		}
		for _, key := range []string{"application", "id_card", "property"} {
			fw, _ := mw.CreateFormFile("m."+key, key+".pdf")
			fw.Write([]byte("%PDF-1.4\n% " + key + "\n%%EOF\n"))
		}
		mw.Close()
		req, _ := http.NewRequest("POST", ts.URL+"/workbench/intake/accept?code="+code, &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		r, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if b := body(t, r); r.StatusCode != 303 {
			t.Fatalf("intake: %d %s", r.StatusCode, b[max(0, strings.Index(b, `id="problem"`)):min(len(b), max(0, strings.Index(b, `id="problem"`))+600)])
		}
		r, _ = c.Get(ts.URL + r.Header.Get("Location"))
		if b := body(t, r); r.StatusCode != 200 || !strings.Contains(b, "王芳") || strings.Contains(b, "张三") {
			t.Errorf("the walk-in's case: %d", r.StatusCode)
		}
	})
}
