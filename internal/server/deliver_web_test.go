package server

import (
	"net/url"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
)

// Issue 16: one's notification channels on /me (bad input re-renders the
// form naming the fault, nothing written), and the delivery page of
// /admin/outbox with a dead letter resent.
func TestDeliveryPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		c := ts.client()
		ts.webLogin(t, c, "zhangsan")
		post := func(path string, form url.Values) (int, string) {
			t.Helper()
			form.Set("csrf_token", csrf(t, c, ts.URL+"/me"))
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
		for _, tc := range []struct {
			form url.Values
			msg  string
		}{
			{url.Values{"phone": {"1380013800"}, "sms": {"1"}}, "手机号码格式不正确"},
			{url.Values{"email": {"zs@"}, "email_on": {"1"}}, "电子邮箱格式不正确"},
			{url.Values{"sms": {"1"}}, "选择短信通知须先填写手机号码"},
			{url.Values{"quiet": {"custom"}, "quiet_from": {"24"}, "quiet_to": {"8"}}, "免打扰时段的开始和结束须为 0 至 23 之间的整点"},
			{url.Values{"quiet": {"custom"}, "quiet_from": {"十"}, "quiet_to": {"8"}}, "免打扰时段的开始和结束须为 0 至 23 之间的整点"},
			{url.Values{"quiet": {"often"}}, "免打扰时段的选择无效"},
		} {
			st, page := post("/me/contacts", tc.form)
			if st != 400 || !strings.Contains(page, tc.msg) || !strings.Contains(page, `id="contacts-error"`) {
				t.Errorf("%v: %d", tc.form, st)
			}
		}
		var n int
		d.Reader().QueryRow(`SELECT COUNT(*) FROM contacts`).Scan(&n)
		if n != 0 {
			t.Fatal("a refused form wrote contacts")
		}
		st, page := post("/me/contacts", url.Values{"phone": {"13800138000"}, "email": {"zs@example.cn"}, "sms": {"1"}})
		if st != 200 || !strings.Contains(page, "通知方式已保存") || !strings.Contains(page, `value="13800138000"`) ||
			!strings.Contains(page, `id="contact-sms" checked`) || strings.Contains(page, `id="contact-email" checked`) {
			t.Fatalf("saved: %d", st)
		}
		if !strings.Contains(page, `id="quiet-default" checked`) {
			t.Fatal("quiet hours not shown as the default")
		}
		// One's own quiet hours, e-mail held back too.
		st, page = post("/me/contacts", url.Values{"phone": {"13800138000"}, "sms": {"1"}, "quiet": {"custom"}, "quiet_from": {"21"},
			"quiet_to": {"7"}, "quiet_email": {"1"}})
		if st != 200 || !strings.Contains(page, `id="quiet-custom" checked`) || !strings.Contains(page, `name="quiet_from" type="number" min="0" max="23" step="1" inputmode="numeric" value="21"`) ||
			!strings.Contains(page, `id="quiet-email" checked`) {
			t.Fatalf("quiet hours saved: %d", st)
		}

		zs, err := ts.ids.UserByUsername(t.Context(), "zhangsan")
		if err != nil {
			t.Fatal(err)
		}
		dead := makeDead(t, ts, zs)
		a := ts.client()
		ts.webLogin(t, a, "admin")
		r, _ := a.Get(ts.URL + "/admin")
		if page := body(t, r); !strings.Contains(page, `href="/admin/outbox"`) {
			t.Fatal("no link to the outbox on /admin")
		}
		r, _ = a.Get(ts.URL + "/admin/outbox")
		page = body(t, r)
		if r.StatusCode != 200 || !strings.Contains(page, `id="resend-`+dead+`"`) || !strings.Contains(page, "z***@example.cn") ||
			strings.Contains(page, "zs@example.cn") || !strings.Contains(page, "550 mailbox unavailable") || !strings.Contains(page, "视为受理") {
			t.Fatalf("outbox page %d", r.StatusCode)
		}
		form := url.Values{"csrf_token": {csrf(t, a, ts.URL+"/admin/outbox")}}
		r, _ = a.PostForm(ts.URL+"/admin/outbox/"+dead+"/resend", form)
		if r.StatusCode != 303 {
			t.Fatalf("resend %d", r.StatusCode)
		}
		r, _ = a.Get(ts.URL + r.Header.Get("Location"))
		page = body(t, r)
		if !strings.Contains(page, "已重新放入投递队列") || !strings.Contains(page, `id="no-dead-letters"`) {
			t.Fatal("after resend: still dead")
		}
		// Without the form's token: refused, nothing resent.
		dead = makeDead(t, ts, zs)
		r, _ = a.PostForm(ts.URL+"/admin/outbox/"+dead+"/resend", url.Values{})
		if r.StatusCode != 403 {
			t.Fatalf("resend without CSRF token: %d", r.StatusCode)
		}
		var state string
		d.Reader().QueryRow(`SELECT state FROM deliveries WHERE id = $1`, dead).Scan(&state)
		if state != "dead" {
			t.Fatalf("resent without a token: %s", state)
		}
	})
}

// Issue 16 through the API: one's contact and channels (bad input 400 with
// the field's message, nothing written), the outbox for the installation's
// administrators, a dead letter resent.
func TestDeliveryAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		api := ts.URL + "/api/v1"
		login := func(user string) string { return apiToken(t, api, user) }
		zs := login("zhangsan")
		for _, tc := range []struct {
			body, key string
			status    int
		}{
			{`{"phone":"1380013800","sms":true}`, "contacts.phone_invalid", 400},
			{`{"email":"a@","email_on":true}`, "contacts.email_invalid", 400},
			{`{"email_on":true}`, "contacts.email_needs_address", 400},
			{`{"phone":"13800138000","fax":"1"}`, "error.bad_json", 400},
			{`{"quiet":"custom","quiet_from":22,"quiet_to":24}`, "contacts.quiet_hour_invalid", 400},
			{`{"quiet":"custom","quiet_from":-1,"quiet_to":8}`, "contacts.quiet_hour_invalid", 400},
			{`{"quiet":"weekends"}`, "contacts.quiet_invalid", 400},
		} {
			st, m := apiCall(t, "PUT", api+"/me/contacts", zs, tc.body)
			if st != tc.status || m["message_key"] != tc.key {
				t.Errorf("%s: %d %v", tc.body, st, m)
			}
		}
		st, m := apiCall(t, "PUT", api+"/me/contacts", zs, `{"phone":"138 0013 8000","email":"zs@example.cn","sms":true,"email_on":true}`)
		if st != 200 || m["phone"] != "13800138000" || m["phone_masked"] != "138****8000" || m["email_on"] != true {
			t.Fatalf("saved: %d %v", st, m)
		}
		if st, m = apiCall(t, "GET", api+"/me/contacts", zs, ""); st != 200 || m["email"] != "zs@example.cn" || m["quiet"] != "default" {
			t.Fatalf("read back: %d %v", st, m)
		}
		st, m = apiCall(t, "PUT", api+"/me/contacts", zs, `{"phone":"13800138000","sms":true,"quiet":"custom","quiet_from":23,"quiet_to":6,"quiet_email":true}`)
		if st != 200 || m["quiet"] != "custom" || m["quiet_from"] != 23.0 || m["quiet_to"] != 6.0 || m["quiet_email"] != true {
			t.Fatalf("quiet hours: %d %v", st, m)
		}
		if st, m = apiCall(t, "PUT", api+"/me/contacts", zs, `{"phone":"13800138000","sms":true,"quiet":"none"}`); st != 200 || m["quiet"] != "none" {
			t.Fatalf("no quiet hours: %d %v", st, m)
		}
		u, _ := ts.ids.UserByUsername(t.Context(), "zhangsan")
		dead := makeDead(t, ts, u)
		admin := login("admin")
		st, m = apiCall(t, "GET", api+"/admin/outbox", admin, "")
		letters, _ := m["dead_letters"].([]any)
		if st != 200 || len(letters) != 1 || letters[0].(map[string]any)["to"] != "z***@example.cn" {
			t.Fatalf("outbox: %d %v", st, m)
		}
		if st, m = apiCall(t, "GET", api+"/admin/outbox", zs, ""); st != 403 {
			t.Fatalf("an applicant reads the outbox: %d %v", st, m)
		}
		if st, _ = apiCall(t, "POST", api+"/admin/outbox/"+dead+"/resend", admin, ""); st != 204 {
			t.Fatalf("resend: %d", st)
		}
		if st, m = apiCall(t, "POST", api+"/admin/outbox/"+dead+"/resend", admin, ""); st != 404 || m["message_key"] != "outbox.not_dead" {
			t.Fatalf("resend again: %d %v", st, m)
		}
	})
}
