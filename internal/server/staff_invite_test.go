package server

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/identity"
)

// invitePage opens an invitation link's page: its status and body.
func invitePage(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	r, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	return r.StatusCode, body(t, r)
}

// acceptInvite posts the link's form with a password (and its confirmation).
func acceptInvite(t *testing.T, c *http.Client, u, pw, confirm string) *http.Response {
	t.Helper()
	_, page := invitePage(t, c, u)
	tok := csrfRE.FindStringSubmatch(page)
	if tok == nil {
		t.Fatalf("no form on %s: %s", u, page)
	}
	r, err := c.PostForm(u, url.Values{"csrf_token": {tok[1]}, "new_password": {pw}, "confirm_password": {confirm}})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Invitation links (邀请链接, issue 15) through the API and the link's page:
// an account created with a link has no password anyone knows; its person
// opens the link, sets a password (the policy applies), and logs in. A link
// is used once; re-issuing, a password reset and revoking end the open one;
// an expired one is refused; none of the refusals names the account; each
// step is an audit record; guesses are throttled per address.
func TestStaffInvitation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		ctx := context.Background()
		api := ts.URL + "/api/v1"
		adm := apiToken(t, api, "admin")
		admin, _ := ts.ids.UserByUsername(ctx, "admin")
		amr := deptID(t, d, amrName)
		grants := `"grants":[{"role":"handler","department_id":"` + amr + `"}]`

		for _, c := range []struct{ body, key string }{
			{`{"username":"inv-x","name":"甲",` + grants + `,"invite":true,"invite_ttl_hours":169}`, "invite.ttl"},
			{`{"username":"inv-x","name":"甲",` + grants + `,"invite":true,"invite_ttl_hours":-1}`, "invite.ttl"},
			{`{"username":"inv-x","name":"甲",` + grants + `,"invite_ttl_hours":5}`, "invite.ttl_without_invite"},
		} {
			if st, m := apiCall(t, "POST", api+"/admin/staff", adm, c.body); st != 400 || m["message_key"] != c.key {
				t.Errorf("%s: %d %v", c.body, st, m)
			}
		}
		if _, err := ts.ids.UserByUsername(ctx, "inv-x"); err == nil {
			t.Fatal("a refused creation wrote the account")
		}

		st, m := apiCall(t, "POST", api+"/admin/staff", adm, `{"username":"inv-handler","name":"尹承办",`+grants+`,"invite":true}`)
		if st != 201 || m["one_time_password"] != nil {
			t.Fatalf("create with invitation: %d %v", st, m)
		}
		id := m["staff"].(map[string]any)["id"].(string)
		inv := m["invitation"].(map[string]any)
		link, path := inv["url"].(string), inv["path"].(string)
		exp, _ := time.Parse(time.RFC3339, inv["expires_at"].(string))
		if !strings.HasPrefix(path, "/invite/") || link != ts.URL+path || !exp.Equal(ts.now.Add(72*time.Hour)) {
			t.Fatalf("invitation: %v", inv)
		}
		var stored int
		d.Reader().QueryRow(`SELECT count(*) FROM staff_invitations WHERE token_hash = $1`, strings.TrimPrefix(path, "/invite/")).Scan(&stored)
		if stored != 0 {
			t.Error("the token is stored in clear")
		}
		if auditCount(t, d, "staff.create", id, admin.ID) != 1 || auditCount(t, d, "staff.invitation_create", id, admin.ID) != 1 {
			t.Error("no audit records of the creation and the link naming the administrator")
		}
		// Nobody can log in before the link is used.
		if st, _ := apiCall(t, "POST", api+"/auth/login", "", `{"username":"inv-handler","password":"tongban-demo"}`); st != 401 {
			t.Errorf("login before the link: %d", st)
		}

		c := ts.client()
		st, page := invitePage(t, c, link)
		if st != 200 || !strings.Contains(page, "inv-handler") || !strings.Contains(page, `id="invite-form"`) {
			t.Fatalf("the link's page: %d %s", st, page)
		}
		if r := acceptInvite(t, c, link, "inv-own-password", "inv-other"); r.StatusCode != 400 || !strings.Contains(body(t, r), "两次输入的新密码不一致") {
			t.Errorf("mismatch: %d", r.StatusCode)
		}
		if r := acceptInvite(t, c, link, "short", "short"); r.StatusCode != 400 || !strings.Contains(body(t, r), `id="invite-form"`) {
			t.Errorf("short password: %d", r.StatusCode)
		}
		r := acceptInvite(t, c, link, "inv-own-password", "inv-own-password")
		if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/login?invited=inv-handler" {
			t.Fatalf("accept: %d %s", r.StatusCode, r.Header.Get("Location"))
		}
		if auditCount(t, d, "staff.invitation_use", id, id) != 1 {
			t.Error("no staff.invitation_use record naming the person")
		}
		st, m = apiCall(t, "POST", api+"/auth/login", "", `{"username":"inv-handler","password":"inv-own-password"}`)
		if st != 200 || m["user"].(map[string]any)["must_change_password"] != false {
			t.Fatalf("login with the password set: %d %v", st, m)
		}
		// Used: refused, on the page and the form, without the account.
		st, page = invitePage(t, c, link)
		if st != 404 || !strings.Contains(page, "已经使用过") || strings.Contains(page, "inv-handler") || strings.Contains(page, "尹承办") {
			t.Errorf("used link: %d %s", st, page)
		}
		r, _ = c.PostForm(link, url.Values{"csrf_token": {csrfRE.FindStringSubmatch(page)[1]}, "new_password": {"another-password"}, "confirm_password": {"another-password"}})
		if b := body(t, r); r.StatusCode != 404 || strings.Contains(b, "inv-handler") {
			t.Errorf("used link posted: %d", r.StatusCode)
		}
		if st, _ := apiCall(t, "POST", api+"/auth/login", "", `{"username":"inv-handler","password":"another-password"}`); st != 401 {
			t.Error("a used link set a password")
		}

		// Re-issuing revokes the open link; a reset and revoking end it too.
		issue := func(ttl string) string {
			t.Helper()
			st, m := apiCall(t, "POST", api+"/admin/staff/"+id+"/invitation", adm, ttl)
			if st != 201 {
				t.Fatalf("issue: %d %v", st, m)
			}
			return m["url"].(string)
		}
		first := issue("")
		second := issue(`{"invite_ttl_hours":1}`)
		if st, page := invitePage(t, c, first); st != 404 || !strings.Contains(page, "已被撤销") {
			t.Errorf("re-issued link: %d", st)
		}
		if auditCount(t, d, "staff.invitation_revoke", id, admin.ID) != 1 {
			t.Error("no staff.invitation_revoke record")
		}
		ts.now = ts.now.Add(61 * time.Minute)
		if st, page := invitePage(t, c, second); st != 404 || !strings.Contains(page, "已过期") || strings.Contains(page, "inv-handler") {
			t.Errorf("expired link: %d %s", st, page)
		}
		third := issue(`{"invite_ttl_hours":2}`)
		if st, _ := apiCall(t, "DELETE", api+"/admin/staff/"+id+"/invitation", adm, ""); st != 204 {
			t.Errorf("revoke: %d", st)
		}
		if st, m := apiCall(t, "DELETE", api+"/admin/staff/"+id+"/invitation", adm, ""); st != 404 || m["message_key"] != "invite.none" {
			t.Errorf("revoke none: %d %v", st, m)
		}
		if st, _ := invitePage(t, c, third); st != 404 {
			t.Errorf("revoked link: %d", st)
		}
		fourth := issue("")
		if st, _ := apiCall(t, "POST", api+"/admin/staff/"+id+"/password", adm, ""); st != 200 {
			t.Fatal("reset")
		}
		if st, _ := invitePage(t, c, fourth); st != 404 {
			t.Errorf("link after a password reset: %d", st)
		}
		if st, _ := apiCall(t, "POST", api+"/admin/staff/"+id+"/invitation", adm, `{"invite_ttl_hours":0.5}`); st != 400 {
			t.Errorf("a fractional TTL: %d", st)
		}

		// Guesses: unknown tokens are counted against the address; past
		// the limit even a good link waits.
		good := issue("")
		for i := 0; i < identity.InvitationGuesses; i++ {
			if st, page := invitePage(t, c, ts.URL+"/invite/guess"+string(rune('a'+i))); st != 404 || !strings.Contains(page, "无效") {
				t.Fatalf("guess %d: %d", i, st)
			}
		}
		if st, page := invitePage(t, c, good); st != http.StatusTooManyRequests || !strings.Contains(page, "无效邀请链接的尝试次数过多") {
			t.Errorf("after %d guesses: %d", identity.InvitationGuesses, st)
		}
		ts.now = ts.now.Add(16 * time.Minute)
		if st, _ := invitePage(t, c, good); st != 200 {
			t.Errorf("after the window: %d", st)
		}
	})
}

// On the account's page the administrator issues a link (shown once, not
// cached), sees it open, revokes it; a bad lifetime is refused on the page.
// A supervisor invited by the installation's administrator sets a password
// with the link and, at the first login, is sent to enrol a second factor
// before anything else; the link's page speaks English when asked.
func TestStaffInvitationPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		c := ts.client()
		ts.webLogin(t, c, "admin")
		tok := csrf(t, c, ts.URL+"/admin/staff")
		form := url.Values{"csrf_token": {tok}, "username": {"qian-handler"}, "name": {"钱承办"}, "role": {"handler"},
			"department_id": {deptID(t, d, amrName)}, "credential": {"invite"}, "invite_ttl_hours": {"0"}}
		if r, _ := c.PostForm(ts.URL+"/admin/staff", form); r.StatusCode != 400 || !strings.Contains(body(t, r), "邀请链接有效期须为 1 到 168 小时") {
			t.Fatalf("a lifetime of 0: %d", r.StatusCode)
		}
		form.Set("invite_ttl_hours", "48")
		r, _ := c.PostForm(ts.URL+"/admin/staff", form)
		b := body(t, r)
		if r.StatusCode != 200 || !strings.Contains(b, `id="staff-invite-link"`) || strings.Contains(b, `id="staff-otp"`) || r.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("create with a link: %d %s", r.StatusCode, b)
		}
		u, err := ts.ids.UserByUsername(context.Background(), "qian-handler")
		if err != nil {
			t.Fatal(err)
		}
		page := ts.URL + "/admin/staff/" + u.ID
		r, _ = c.Get(page)
		if b := body(t, r); !strings.Contains(b, "有效至") || strings.Contains(b, `id="staff-invite-link"`) || !strings.Contains(b, `id="staff-invite-revoke"`) {
			t.Errorf("the account's page after: %s", b)
		}
		if r, _ = c.PostForm(page, url.Values{"csrf_token": {tok}, "action": {"invite"}, "invite_ttl_hours": {"169"}}); r.StatusCode != 400 {
			t.Errorf("a lifetime of 169: %d", r.StatusCode)
		}
		if r, _ = c.PostForm(page, url.Values{"csrf_token": {tok}, "action": {"invite"}, "invite_ttl_hours": {"1"}}); r.StatusCode != 200 || !strings.Contains(body(t, r), `id="staff-invite-link"`) {
			t.Errorf("re-issue: %d", r.StatusCode)
		}
		if r, _ = c.PostForm(page, url.Values{"csrf_token": {tok}, "action": {"invite_revoke"}}); r.StatusCode != http.StatusSeeOther {
			t.Errorf("revoke: %d", r.StatusCode)
		}
		if r, _ = c.PostForm(page, url.Values{"csrf_token": {tok}, "action": {"invite_revoke"}}); r.StatusCode != 404 || !strings.Contains(body(t, r), "没有未使用的邀请链接") {
			t.Errorf("revoke none: %d", r.StatusCode)
		}
		var open int
		d.Reader().QueryRow(`SELECT count(*) FROM staff_invitations WHERE user_id = $1 AND used_at IS NULL AND revoked_at IS NULL`, u.ID).Scan(&open)
		if open != 0 {
			t.Errorf("%d links open after the revocation", open)
		}

		api := ts.URL + "/api/v1"
		adm := apiToken(t, api, "admin")
		st, m := apiCall(t, "POST", api+"/admin/staff", adm, `{"username":"inv-sup","name":"监察员","grants":[{"role":"supervisor","region_code":"500102"}],"invite":true,"invite_ttl_hours":24}`)
		if st != 201 {
			t.Fatalf("create: %d %v", st, m)
		}
		link := m["invitation"].(map[string]any)["url"].(string)
		c = ts.client()
		if st, page := invitePage(t, c, link+"?lang=en"); st != 200 || !strings.Contains(page, "Set your password") {
			t.Errorf("English page: %d", st)
		}
		if st, page := invitePage(t, c, ts.URL+"/invite/nothing?lang=en"); st != 404 || !strings.Contains(page, "This invitation link is not valid") {
			t.Errorf("English refusal: %d", st)
		}
		if r := acceptInvite(t, c, link, "sup-own-password", "sup-own-password"); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("accept: %d", r.StatusCode)
		}
		tok = csrf(t, c, ts.URL+"/login?invited=inv-sup")
		r, _ = c.PostForm(ts.URL+"/login", url.Values{"csrf_token": {tok}, "username": {"inv-sup"}, "password": {"sup-own-password"}})
		if r.StatusCode != http.StatusSeeOther {
			t.Fatalf("login: %d", r.StatusCode)
		}
		r, _ = c.Get(ts.URL + "/supervision")
		if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/account/second-factor" {
			t.Errorf("first page after the login: %d %s", r.StatusCode, r.Header.Get("Location"))
		}
	})
}
