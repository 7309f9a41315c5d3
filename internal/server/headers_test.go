package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/dbtest"
)

// TestCacheAndPermissionsHeaders: nothing a session sees is kept by a
// browser or proxy (shared hall terminals), and every response turns off
// the browser features the platform never uses.
func TestCacheAndPermissionsHeaders(t *testing.T) {
	ts := newTestServer(t, dbtest.SQLite(t))
	anon, clerk := ts.client(), ts.client()
	ts.webLogin(t, clerk, "clerk")
	token := apiToken(t, ts.URL+"/api/v1", "clerk")
	get := func(c *http.Client, path, token string) *http.Response {
		req, _ := http.NewRequest("GET", ts.URL+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		r, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		return r
	}
	for _, tc := range []struct {
		name, path string
		c          *http.Client
		token      string
		cache      string
	}{
		{"anonymous home", "/", anon, "", ""},
		{"anonymous guide", "/items", anon, "", ""},
		{"anonymous progress", "/progress", anon, "", "no-store"},
		{"anonymous verification", "/verify", anon, "", "no-store"},
		{"home with a session", "/", clerk, "", "no-store"},
		{"workbench", "/workbench", clerk, "", "no-store"},
		{"own account", "/me", clerk, "", "no-store"},
		{"public guide with a session", "/items", clerk, "", "no-store"},
		{"not found with a session", "/nothing", clerk, "", "no-store"},
		{"static asset with a session", "/static/app.css", clerk, "", "public, max-age=86400"},
		{"API with a token", "/api/v1/me", http.DefaultClient, token, "no-store"},
		{"public API", "/api/v1/items", http.DefaultClient, "", "no-store"},
	} {
		r := get(tc.c, tc.path, tc.token)
		if got := r.Header.Get("Cache-Control"); got != tc.cache {
			t.Errorf("%s: %d Cache-Control %q, want %q", tc.name, r.StatusCode, got, tc.cache)
		}
		pp := r.Header.Get("Permissions-Policy")
		for _, f := range []string{"camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()"} {
			if !strings.Contains(pp, f) {
				t.Errorf("%s: Permissions-Policy %q lacks %s", tc.name, pp, f)
			}
		}
	}
}
