package server

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/demo"
	"github.com/tongban/tongban/internal/edge"
	"github.com/tongban/tongban/internal/identity"
)

// TestRedirectsStayOnSite: the login's next= and the preferences' return=
// never send the browser to another origin (issue 14).
func TestRedirectsStayOnSite(t *testing.T) {
	ts := newTestServer(t, dbtest.SQLite(t))
	// A tab or a newline never reaches the redirect: the edge refuses such
	// text in a one-line field (400, nothing logged in); web.TestLocalPath
	// holds that localPath would drop it too.
	{
		c := ts.client()
		tok := csrf(t, c, ts.URL+"/login")
		r, err := c.PostForm(ts.URL+"/login", url.Values{"csrf_token": {tok}, "username": {"clerk"}, "password": {identity.DemoPassword}, "next": {"/\t/evil.example"}})
		if err != nil {
			t.Fatal(err)
		}
		if r.StatusCode != http.StatusBadRequest || r.Header.Get("Location") != "" {
			t.Errorf("login next with a tab: %d %q", r.StatusCode, r.Header.Get("Location"))
		}
	}
	for _, next := range []string{"/./%5Cevil.example", "/\\evil.example", "//evil.example", "https://evil.example"} {
		c := ts.client()
		tok := csrf(t, c, ts.URL+"/login")
		r, err := c.PostForm(ts.URL+"/login", url.Values{"csrf_token": {tok}, "username": {"clerk"}, "password": {identity.DemoPassword}, "next": {next}})
		if err != nil {
			t.Fatal(err)
		}
		if loc := r.Header.Get("Location"); r.StatusCode != http.StatusSeeOther || loc != "/workbench" {
			t.Errorf("login next=%q: %d %q", next, r.StatusCode, loc)
		}
		// Logged in, /login?next= redirects at once.
		r, _ = c.Get(ts.URL + "/login?next=" + url.QueryEscape(next))
		if loc := r.Header.Get("Location"); loc != "/workbench" {
			t.Errorf("GET /login?next=%q: %q", next, loc)
		}
		tok = csrf(t, c, ts.URL+"/me")
		r, _ = c.PostForm(ts.URL+"/prefs", url.Values{"csrf_token": {tok}, "care": {"1"}, "return": {next}})
		if loc := r.Header.Get("Location"); r.StatusCode != http.StatusSeeOther || loc != "/" {
			t.Errorf("prefs return=%q: %d %q", next, r.StatusCode, loc)
		}
	}
	// The raw query of the report, exactly as sent.
	c := ts.client()
	ts.webLogin(t, c, "clerk")
	r, _ := c.Get(ts.URL + "/login?next=/./%5Cevil.example")
	if loc := r.Header.Get("Location"); loc != "/workbench" {
		t.Errorf("reported case: Location %q", loc)
	}
	r, _ = c.Get(ts.URL + "/login?next=/./cases/../workbench/inbox")
	if loc := r.Header.Get("Location"); loc != "/workbench/inbox" {
		t.Errorf("a local next, normalised: Location %q", loc)
	}
}

// TestSecureCookiesAndHSTS: under TLS (here: behind a TLS proxy, the secure
// setting) cookies are __Host- and Secure, only those are read, and every
// answer carries Strict-Transport-Security; without it, neither.
func TestSecureCookiesAndHSTS(t *testing.T) {
	ts := newTestServer(t, dbtest.SQLite(t), func(o *Options) { o.SecureCookies = true })
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	r, _ := noRedirect.Get(ts.URL + "/login")
	b := body(t, r)
	if got := r.Header.Get("Strict-Transport-Security"); got != "max-age=31536000; includeSubDomains" {
		t.Errorf("HSTS: %q", got)
	}
	var csrfCookie *http.Cookie
	for _, c := range r.Cookies() {
		if c.Name == "__Host-tb_csrf" {
			csrfCookie = c
		}
	}
	if csrfCookie == nil || !csrfCookie.Secure || csrfCookie.Path != "/" || csrfCookie.Domain != "" {
		t.Fatalf("CSRF cookie: %v", r.Header.Values("Set-Cookie"))
	}
	m := csrfRE.FindStringSubmatch(b)
	req, _ := http.NewRequest("POST", ts.URL+"/login", strings.NewReader(url.Values{"csrf_token": {m[1]}, "username": {"clerk"}, "password": {identity.DemoPassword}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(csrfCookie)
	r, _ = noRedirect.Do(req)
	var session *http.Cookie
	for _, c := range r.Cookies() {
		if c.Name == "__Host-tb_session" {
			session = c
		}
	}
	if r.StatusCode != http.StatusSeeOther || session == nil || !session.Secure || !session.HttpOnly {
		t.Fatalf("login: %d %v", r.StatusCode, r.Header.Values("Set-Cookie"))
	}
	for _, c := range []struct {
		name string
		want int
	}{{"__Host-tb_session", 200}, {"tb_session", http.StatusSeeOther}} {
		req, _ := http.NewRequest("GET", ts.URL+"/me", nil)
		req.AddCookie(&http.Cookie{Name: c.name, Value: session.Value})
		if r, _ := noRedirect.Do(req); r.StatusCode != c.want {
			t.Errorf("/me with %s: %d, want %d", c.name, r.StatusCode, c.want)
		}
	}
	if r, _ := http.Get(ts.URL + "/api/v1/openapi.json"); r.Header.Get("Strict-Transport-Security") == "" {
		t.Error("the API answers without HSTS")
	}

	plain := newTestServer(t, dbtest.SQLite(t))
	r, _ = http.Get(plain.URL + "/login")
	if r.Header.Get("Strict-Transport-Security") != "" {
		t.Error("HSTS over plain HTTP")
	}
	for _, c := range r.Cookies() {
		if strings.HasPrefix(c.Name, "__Host-") || c.Secure {
			t.Errorf("plain HTTP cookie %s secure", c.Name)
		}
	}
}

// TestSecondFactorWeb: the administrator's web login has a second step;
// an administrator without a second factor is sent to enrol before
// anything else, and the recovery codes shown then work once.
func TestSecondFactorWeb(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		c := ts.client()
		tok := csrf(t, c, ts.URL+"/login")
		r, _ := c.PostForm(ts.URL+"/login", url.Values{"csrf_token": {tok}, "username": {"admin"}, "password": {identity.DemoPassword}, "next": {"/admin/catalog"}})
		if loc := r.Header.Get("Location"); r.StatusCode != http.StatusSeeOther || loc != "/login/code?next=%2Fadmin%2Fcatalog" {
			t.Fatalf("first step: %d %q", r.StatusCode, loc)
		}
		if r, _ := c.Get(ts.URL + "/admin"); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("the password alone opened /admin: %d", r.StatusCode)
		}
		r, _ = c.Get(ts.URL + "/login/code?next=%2Fadmin%2Fcatalog")
		if b := body(t, r); r.StatusCode != 200 || !strings.Contains(b, identity.DemoTOTPSecret) || !strings.Contains(b, `autocomplete="one-time-code"`) {
			t.Fatalf("second step page: %d", r.StatusCode)
		}
		r, _ = c.PostForm(ts.URL+"/login/code", url.Values{"csrf_token": {tok}, "code": {"000000"}, "next": {"/admin/catalog"}})
		if b := body(t, r); r.StatusCode != http.StatusUnauthorized || !strings.Contains(b, "动态验证码或恢复码不正确") {
			t.Fatalf("wrong code: %d", r.StatusCode)
		}
		r, _ = c.PostForm(ts.URL+"/login/code", url.Values{"csrf_token": {tok}, "code": {ts.code(t, "admin")}, "next": {"/admin/catalog"}})
		if loc := r.Header.Get("Location"); r.StatusCode != http.StatusSeeOther || loc != "/admin/catalog" {
			t.Fatalf("second step: %d %q", r.StatusCode, loc)
		}
		if r, _ := c.Get(ts.URL + "/admin"); r.StatusCode != 200 {
			t.Fatalf("/admin after both steps: %d", r.StatusCode)
		}

		// The API takes the code in the login body.
		api := ts.URL + "/api/v1"
		if st, m := apiCall(t, "POST", api+"/auth/login", "", `{"username":"supervisor","password":"tongban-demo"}`); st != 401 || m["message_key"] != "auth.second_factor_required" {
			t.Errorf("API login without the code: %d %v", st, m)
		}
		if st, m := apiCall(t, "POST", api+"/auth/login", "", `{"username":"supervisor","password":"tongban-demo","code":"`+ts.code(t, "supervisor")+`"}`); st != 200 {
			t.Errorf("API login with the code: %d %v", st, m)
		}

		// A new administrator has no second factor: enrol first.
		ctx := context.Background()
		if _, err := ts.ids.CreateStaff(ctx, identity.NewStaff{Account: identity.Account{Username: "admin2", Password: "a long admin password"}, Name: "新管理员",
			Grants: []identity.Grant{{Role: identity.RoleAdmin, RegionCode: demo.Region}}}); err != nil {
			t.Fatal(err)
		}
		if st, m := apiCall(t, "POST", api+"/auth/login", "", `{"username":"admin2","password":"a long admin password"}`); st != 403 || m["message_key"] != "auth.second_factor_enrol" {
			t.Errorf("API login before enrolment: %d %v", st, m)
		}
		c = ts.client()
		tok = csrf(t, c, ts.URL+"/login")
		c.PostForm(ts.URL+"/login", url.Values{"csrf_token": {tok}, "username": {"admin2"}, "password": {"a long admin password"}})
		for _, p := range []string{"/admin", "/", "/items", "/me"} {
			if r, _ := c.Get(ts.URL + p); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/account/second-factor" {
				t.Errorf("%s before enrolment: %d %q", p, r.StatusCode, r.Header.Get("Location"))
			}
		}
		r, _ = c.Get(ts.URL + "/account/second-factor")
		b := body(t, r)
		m := regexp.MustCompile(`id="enrol-secret">([A-Z2-7]+)<`).FindStringSubmatch(b)
		if r.StatusCode != 200 || m == nil || !strings.Contains(b, `src="data:image/png;base64,`) || r.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("enrolment page: %d", r.StatusCode)
		}
		secret := m[1]
		tok = csrfRE.FindStringSubmatch(b)[1]
		r, _ = c.PostForm(ts.URL+"/account/second-factor", url.Values{"csrf_token": {tok}, "code": {"123456"}})
		if b := body(t, r); r.StatusCode != http.StatusBadRequest || !strings.Contains(b, secret) {
			t.Errorf("a wrong enrolment code: %d (the same secret shown again)", r.StatusCode)
		}
		ts.now = ts.now.Add(30 * time.Second)
		code, _ := totp.GenerateCode(secret, ts.now)
		r, _ = c.PostForm(ts.URL+"/account/second-factor", url.Values{"csrf_token": {tok}, "code": {code}})
		b = body(t, r)
		recovery := regexp.MustCompile(`<li><code>([a-z2-7-]+)</code></li>`).FindAllStringSubmatch(b, -1)
		if r.StatusCode != 200 || len(recovery) != identity.RecoveryCodeCount || r.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("enrolled: %d, %d recovery codes", r.StatusCode, len(recovery))
		}
		if r, _ := c.Get(ts.URL + "/admin"); r.StatusCode != 200 {
			t.Errorf("/admin after enrolment: %d", r.StatusCode)
		}
		for i, want := range []int{200, 401} {
			if st, m := apiCall(t, "POST", api+"/auth/login", "", `{"username":"admin2","password":"a long admin password","code":"`+recovery[0][1]+`"}`); st != want {
				t.Errorf("recovery code, use %d: %d %v", i+1, st, m)
			}
		}
	})
}

// TestLimiterCountsTheForwardedClient: behind a trusted proxy the public
// verification limit counts each client, not the proxy; a client that is
// not a trusted proxy cannot pick a fresh address with the header.
func TestLimiterCountsTheForwardedClient(t *testing.T) {
	proxies, _ := edge.ParseProxies("127.0.0.1")
	for _, c := range []struct {
		name    string
		proxies edge.Proxies
		want    []int // the third call, from a new forwarded address
	}{
		{"behind the trusted proxy", proxies, []int{400, 400, 429, 400}},
		{"no proxy trusted", nil, []int{400, 400, 429, 429}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ts := newTestServer(t, dbtest.SQLite(t), func(o *Options) { o.TrustedProxies, o.VerifyPerMinute = c.proxies, 2 })
			for i, from := range []string{"198.51.100.1", "198.51.100.1", "198.51.100.1", "198.51.100.2"} {
				st, m := apiCall(t, "GET", ts.URL+"/api/v1/verify/nosuchlicence", "", "", "X-Forwarded-For", from)
				if st != c.want[i] {
					t.Errorf("call %d from %s: %d %v, want %d", i+1, from, st, m, c.want[i])
				}
			}
		})
	}
}
