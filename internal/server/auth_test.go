package server

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/identity"
)

// TestRedirectsStayOnSite: the login's next= and the preferences' return=
// never send the browser to another origin (issue 14).
func TestRedirectsStayOnSite(t *testing.T) {
	ts := newTestServer(t, dbtest.SQLite(t))
	for _, next := range []string{"/./%5Cevil.example", "/\\evil.example", "//evil.example", "/\t/evil.example", "https://evil.example"} {
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
