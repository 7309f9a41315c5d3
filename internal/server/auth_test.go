package server

import (
	"net/http"
	"net/url"
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
