package server

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
)

// TestDatabaseUnreachable: with the database gone, the API, pages and the
// readiness probe answer 503 with Retry-After, never 500.
func TestDatabaseUnreachable(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		h, err := db.Open(context.Background(), d.DSN()) // the server's own handle on the same database
		if err != nil {
			t.Fatal(err)
		}
		ts := newTestServer(t, h)
		api := ts.URL + "/api/v1"
		zs := apiToken(t, api, "zhangsan")
		clerk := ts.client()
		ts.webLogin(t, clerk, "clerk")
		h.Close()

		for _, tc := range []struct {
			name, method, path, token, body string
			c                               *http.Client
		}{
			{"API with a token", "GET", "/api/v1/me", zs, "", nil},
			{"API cases", "GET", "/api/v1/cases", zs, "", nil},
			{"API search", "GET", "/api/v1/items?q=" + "营业执照", "", "", nil},
			{"API login", "POST", "/api/v1/auth/login", "", `{"username":"clerk","password":"tongban-demo"}`, nil},
			{"page with a session", "GET", "/workbench", "", "", clerk},
			{"anonymous page", "GET", "/items", "", "", ts.client()},
			{"readiness", "GET", "/readyz", "", "", nil},
		} {
			ct := ""
			if tc.body != "" {
				ct = "application/json"
			}
			req, _ := http.NewRequest(tc.method, ts.URL+tc.path, strings.NewReader(tc.body))
			if ct != "" {
				req.Header.Set("Content-Type", ct)
			}
			if tc.token != "" {
				req.Header.Set("Authorization", "Bearer "+tc.token)
			}
			c := tc.c
			if c == nil {
				c = http.DefaultClient
			}
			r, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b := body(t, r)
			if r.StatusCode != http.StatusServiceUnavailable || r.Header.Get("Retry-After") != "30" {
				t.Errorf("%s: %d Retry-After %q %s", tc.name, r.StatusCode, r.Header.Get("Retry-After"), b)
			}
			if strings.HasPrefix(tc.path, "/api/") && !strings.Contains(b, `"code":"unavailable"`) {
				t.Errorf("%s: %s", tc.name, b)
			}
		}
	})
}
