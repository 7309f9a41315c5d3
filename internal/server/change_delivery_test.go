package server

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
)

// 更改送达方式: until the decision, the applicant changes how the result is
// to reach them — through the API and the case page — checked as at filing
// (a bad address refused, nothing changed); staff of the back office may not;
// from the decision on the choice is fixed (the decision states it).
func TestChangeDelivery(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		api := ts.URL + "/api/v1"
		clerk, zs, handler := apiToken(t, api, "clerk"), apiToken(t, api, "zhangsan"), apiToken(t, api, "handler")
		code := soleTraderCode(t, api)
		st, m := apiCall(t, "POST", api+"/cases", clerk, `{"item_code":"`+code+`","applicant":"500102198506120011","submit":true,"accept":true,
			"form_values":{"applicant_name":["张三"],"applicant_id":["500102198506120011"],"applicant_phone":["13800000000"],"business_name":["张三改送达小吃店"],
			"form_of":["person"],"scope":["小吃服务"],"org_address":["500102006001","滨江路 1 号"],"capital":["5"]}}`)
		if st != 201 && st != 200 {
			t.Fatalf("file: %d %v", st, m)
		}
		no := m["case"].(map[string]any)["case_no"].(string)
		rev := func() int {
			_, m := apiCall(t, "GET", api+"/cases/"+no, zs, "")
			return int(m["case"].(map[string]any)["rev"].(float64))
		}
		change := func(token, delivery string) (int, map[string]any) {
			return apiCall(t, "POST", api+"/cases/"+no+"/actions", token, fmt.Sprintf(`{"action":"change_delivery","rev":%d,"delivery":%s}`, rev(), delivery))
		}
		r0 := rev()
		for _, tc := range []struct {
			token, delivery string
			status          int
			key             string
		}{
			{zs, `{"method":"post","recipient":"张三","phone":"13812345678","region":"500102"}`, 400, "case.delivery_address_required"},
			{zs, `{"method":"courier"}`, 400, "case.delivery_unknown"},
			{zs, `{}`, 400, "case.delivery_choice_required"},
			{handler, `{"method":"window"}`, 403, "workflow.role_forbidden"},
		} {
			if st, m := change(tc.token, tc.delivery); st != tc.status || m["message_key"] != tc.key {
				t.Errorf("%s: %d %v", tc.delivery, st, m)
			}
		}
		if rev() != r0 {
			t.Fatal("a refused change changed the case")
		}
		st, m = change(zs, `{"method":"post","recipient":"张三","phone":"13812345678","region":"500102","address":"滨江路 88 号"}`)
		if got, _ := m["case"].(map[string]any)["delivery"].(map[string]any); st != 200 || got["method"] != "post" || !strings.Contains(fmt.Sprint(got["masked"]), "涪陵区") {
			t.Fatalf("changed to post: %d %v", st, m)
		}

		// The case page offers the form and takes it.
		c := ts.client()
		ts.webLogin(t, c, "zhangsan")
		resp, err := c.Get(ts.URL + "/cases/" + no)
		if err != nil {
			t.Fatal(err)
		}
		page := body(t, resp)
		if !strings.Contains(page, `id="act-change_delivery"`) || !strings.Contains(page, `value="滨江路 88 号"`) {
			t.Fatalf("the case page has no change of delivery form with the choice")
		}
		tok := csrfRE.FindStringSubmatch(page)[1]
		resp, err = c.PostForm(ts.URL+"/cases/"+no+"/act", url.Values{"csrf_token": {tok}, "action": {"change_delivery"}, "rev": {fmt.Sprint(rev())}, "delivery": {"window"}})
		if err != nil {
			t.Fatal(err)
		}
		body(t, resp)
		if _, m := apiCall(t, "GET", api+"/cases/"+no, zs, ""); m["case"].(map[string]any)["delivery"].(map[string]any)["method"] != "window" {
			t.Fatalf("after the page's change: %d %v", resp.StatusCode, m["case"].(map[string]any)["delivery"])
		}

		// Decided: fixed.
		for _, step := range []struct{ who, action string }{{handler, "pass"}, {apiToken(t, api, "reviewer"), "pass"}, {apiToken(t, api, "approver"), "grant"}} {
			if st, m := apiCall(t, "POST", api+"/cases/"+no+"/actions", step.who, fmt.Sprintf(`{"action":%q,"rev":%d}`, step.action, rev())); st != 200 {
				t.Fatalf("%s: %d %v", step.action, st, m)
			}
		}
		if st, m := change(zs, `{"method":"online"}`); st != 409 {
			t.Errorf("after the decision: %d %v", st, m)
		}
	})
}
