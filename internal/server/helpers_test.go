package server

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/tongban/tongban/internal/identity"

	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/web"
)

func mustCalendars(t *testing.T) *calendar.Set {
	t.Helper()
	c, err := LoadCalendars(nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func webServer(t *testing.T) (*web.Server, error) {
	t.Helper()
	return web.New(web.Deps{Calendars: mustCalendars(t)})
}

// The test servers running, by URL, so that helpers given only an address
// (apiToken) find the server's clock and accounts.
var (
	serversMu sync.Mutex
	servers   = map[string]*testServer{}
)

func register(t *testing.T, ts *testServer) {
	serversMu.Lock()
	servers[ts.URL] = ts
	serversMu.Unlock()
	t.Cleanup(func() {
		serversMu.Lock()
		delete(servers, ts.URL)
		serversMu.Unlock()
	})
}

// serverOf is the test server that address u belongs to, or nil.
func serverOf(u string) *testServer {
	serversMu.Lock()
	defer serversMu.Unlock()
	for base, ts := range servers {
		if strings.HasPrefix(u, base) {
			return ts
		}
	}
	return nil
}

// code is a fresh one-time code of user's second factor (the demo's
// secret), "" when the account has none. A TOTP code is accepted once per
// 30-second step, so the test clock moves on a step first.
func (ts *testServer) code(t *testing.T, user string) string {
	t.Helper()
	u, err := ts.ids.UserByUsername(context.Background(), user)
	if err != nil || !u.SecondFactor {
		return ""
	}
	ts.now = ts.now.Add(30 * time.Second)
	c, err := totp.GenerateCode(identity.DemoTOTPSecret, ts.now)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
