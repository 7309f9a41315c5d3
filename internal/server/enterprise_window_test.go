package server

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
)

// An enterprise new to the platform is not bound online (nothing there
// proves who represents it): the person is sent to a window, where the
// district's clerk, seeing the business licence and the ID card, binds it —
// through the API or the workbench page — and a town's clerk cannot.
func TestEnterpriseWindowBinding(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		api := ts.URL + "/api/v1"
		fresh, _ := codes.CompleteCreditCode("91500102MA7B8C9D")
		rep, clerk := apiToken(t, api, "legalrep"), apiToken(t, api, "clerk")
		if st, m := apiCall(t, "POST", api+"/me/enterprises", rep, `{"credit_code":"`+fresh+`","name":"丙公司"}`); st != 404 || m["message_key"] != "enterprise.unknown_window" {
			t.Fatalf("online binding of an unknown enterprise: %d %v", st, m)
		}
		check, err := codes.CitizenIDCheck("50010219780315013") // the demo's 王五
		if err != nil {
			t.Fatal(err)
		}
		repID := "50010219780315013" + string(check)
		jsonBody := func(name, confirmed string) string {
			return `{"credit_code":"` + fresh + `","name":"丙公司","legal_rep_id_number":"` + repID + `","legal_rep_name":"` + name + `","confirmed":` + confirmed + `}`
		}
		for _, tc := range []struct {
			token, body string
			status      int
			key         string
		}{
			{clerk, jsonBody("王五", "false"), 400, "enterprise.window_confirm_required"},
			{clerk, jsonBody("王六", "true"), 400, "case.applicant_unmatched"},
			{rep, jsonBody("王五", "true"), 403, "error.forbidden"},
		} {
			if st, m := apiCall(t, "POST", api+"/assurance/enterprise", tc.token, tc.body); st != tc.status || m["message_key"] != tc.key {
				t.Errorf("%s: %d %v", tc.body, st, m)
			}
		}
		if st, m := apiCall(t, "POST", api+"/assurance/enterprise", clerk, jsonBody("王五", "true")); st != 200 || m["new"] != true {
			t.Fatalf("window binding: %d %v", st, m)
		}
		if _, m := apiCall(t, "GET", api+"/me/enterprises", rep, ""); !strings.Contains(fmt.Sprint(m), fresh) {
			t.Errorf("the legal representative's enterprises: %v", m)
		}

		// The workbench page: the form, and a refusal shown on it (a code of
		// another district is outside the clerk's region).
		c := ts.client()
		ts.webLogin(t, c, "clerk")
		tok := csrf(t, c, ts.URL+"/workbench/assurance")
		elsewhere, _ := codes.CompleteCreditCode("91500103MA7B8C9D")
		resp, err := c.PostForm(ts.URL+"/workbench/assurance/enterprise", url.Values{"csrf_token": {tok}, "credit_code": {elsewhere}, "org_name": {"丁公司"},
			"rep_id_number": {repID}, "rep_name": {"王五"}, "confirmed": {"1"}})
		if err != nil {
			t.Fatal(err)
		}
		if page := body(t, resp); resp.StatusCode != 403 || !strings.Contains(page, "不在您窗口的服务区域内") || !strings.Contains(page, `value="丁公司"`) {
			t.Errorf("another district's enterprise: %d %.300s", resp.StatusCode, page)
		}
		resp, err = c.PostForm(ts.URL+"/workbench/assurance/enterprise", url.Values{"csrf_token": {tok}, "credit_code": {fresh}, "org_name": {"丙公司"},
			"rep_id_number": {repID}, "rep_name": {"王五"}, "confirmed": {"1"}})
		if err != nil {
			t.Fatal(err)
		}
		if page := body(t, resp); resp.StatusCode != 200 || !strings.Contains(page, "已由 王五 以法定代表人身份绑定") {
			t.Errorf("binding again at the window: %d", resp.StatusCode)
		}
	})
}
