package server

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
)

// The PIPL pages (issue 16): /me/profile refuses bad input on the page it
// belongs to, with its status and nothing written, in Chinese and in
// English; the window clerk's correction page corrects a person and shows
// them masked; other staff may not open it.
func TestPIPLPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		poster := func(c *http.Client, page string) func(path string, form url.Values) (int, string) {
			return func(path string, form url.Values) (int, string) {
				t.Helper()
				form.Set("csrf_token", csrf(t, c, ts.URL+page))
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
		}
		api := ts.URL + "/api/v1"
		st, m := apiCall(t, "POST", api+"/cases", apiToken(t, api, "clerk"), `{"item_code":"`+soleTraderCode(t, api)+`","applicant":"500102198506120011","submit":true,"accept":true,
			"form_values":{"applicant_name":["张三"],"applicant_id":["500102198506120011"],"applicant_phone":["13800000000"],"business_name":["张三小吃店"],
			"form_of":["person"],"scope":["小吃服务"],"org_address":["500102006001","滨江路 1 号"],"capital":["5"]}}`)
		if st != 201 && st != 200 {
			t.Fatalf("file: %d %v", st, m)
		}
		c := ts.client()
		ts.webLogin(t, c, "zhangsan")
		post := poster(c, "/me/profile")
		var page string
		for _, tc := range []struct {
			path    string
			form    url.Values
			status  int
			id, msg string
		}{
			{"/me/profile", url.Values{"locale": {""}, "region": {"5001"}, "name": {"张三"}}, 400, "profile-error", "区划代码"},
			{"/me/profile", url.Values{"locale": {"zh-CN"}, "region": {""}, "name": {""}}, 400, "profile-error", "姓名"},
			// 张三 has filed a case: his name is the window's.
			{"/me/profile", url.Values{"locale": {""}, "region": {"500102103000"}, "name": {"张四"}}, 403, "profile-error", "到窗口办理"},
			{"/me/phone/code", url.Values{"phone": {"1380013800"}}, 400, "phone-error", "手机号码"},
			{"/me/phone", url.Values{"phone": {"13800138000"}, "code": {"123456"}, "password": {"not-the-password"}}, 400, "phone-error", "当前密码不正确"},
			{"/me/close", url.Values{"password": {"tongban-demo"}}, 400, "close-error", "请勾选确认注销"},
			{"/me/close", url.Values{"password": {"tongban-demo"}, "confirm": {"1"}}, 409, "close-error", "尚未办结"},
		} {
			st, page = post(tc.path, tc.form)
			if st != tc.status || !strings.Contains(page, `id="`+tc.id+`"`) || !strings.Contains(page, tc.msg) {
				t.Errorf("%s %v: %d", tc.path, tc.form, st)
			}
		}
		var name, region string
		if err := d.Reader().QueryRow(`SELECT name, region_code FROM persons p JOIN users u ON u.id = p.user_id WHERE u.username = 'zhangsan'`).Scan(&name, &region); err != nil || name != "张三" || region != "500102103000" {
			t.Errorf("a refused form wrote: %q %q %v", name, region, err)
		}
		st, page = post("/me/profile", url.Values{"locale": {"en"}, "region": {"500102"}, "name": {"张三"}})
		if st != 200 || !strings.Contains(page, "已保存更正") || !strings.Contains(page, `value="500102"`) || !strings.Contains(page, `id="window-only"`) {
			t.Errorf("saved: %d", st)
		}
		r, err := c.Get(ts.URL + "/me/profile?lang=en")
		if err != nil {
			t.Fatal(err)
		}
		if page := body(t, r); !strings.Contains(page, "Close my account") || !strings.Contains(page, "Archives Law") {
			t.Errorf("English page: %d", r.StatusCode)
		}

		// The window.
		h := ts.client()
		ts.webLogin(t, h, "handler")
		if r, err := h.Get(ts.URL + "/workbench/persons"); err != nil || r.StatusCode != 403 {
			t.Errorf("a handler opens the window's page: %v %v", r.StatusCode, err)
		}
		cl := ts.client()
		ts.webLogin(t, cl, "clerk")
		post = poster(cl, "/workbench/persons")
		if st, page := post("/workbench/persons", url.Values{"number": {"500102198506120011"}, "new_id_number": {"500102198506120012"}, "note": {"户口簿"}}); st != 400 || !strings.Contains(page, `id="correct-error"`) {
			t.Errorf("bad check digit: %d", st)
		}
		st, page = post("/workbench/persons", url.Values{"number": {"500102198506120011"}, "name": {"张叁"}, "note": {"户口簿变更"}})
		if st != 200 || !strings.Contains(page, `id="correct-done"`) || strings.Contains(page, "张叁") || !strings.Contains(page, "500102********0011") {
			t.Errorf("corrected: %d", st)
		}
	})
}
