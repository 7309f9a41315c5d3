package edge

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestClientIPTrustedProxies(t *testing.T) {
	ps, err := ParseProxies("10.0.0.0/8, 192.0.2.7, 2001:db8::/32")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, peer string
		xff        []string
		real, want string
	}{
		{"no proxy in front: the peer", "203.0.113.9:5000", nil, "", "203.0.113.9"},
		{"untrusted peer: its headers ignored", "203.0.113.9:5000", []string{"198.51.100.1"}, "198.51.100.2", "203.0.113.9"},
		{"trusted proxy: the client it forwards", "10.1.2.3:5000", []string{"198.51.100.1"}, "", "198.51.100.1"},
		{"rightmost untrusted hop, not the forged left", "10.1.2.3:5000", []string{"6.6.6.6, 198.51.100.1, 10.9.9.9"}, "", "198.51.100.1"},
		{"several headers read in order", "10.1.2.3:5000", []string{"6.6.6.6", "198.51.100.1"}, "", "198.51.100.1"},
		{"single trusted address", "192.0.2.7:443", []string{"198.51.100.4"}, "", "198.51.100.4"},
		{"a neighbour of the trusted address is not trusted", "192.0.2.8:443", []string{"198.51.100.4"}, "", "192.0.2.8"},
		{"every hop trusted: the leftmost", "10.1.2.3:5000", []string{"10.5.5.5, 10.6.6.6"}, "", "10.5.5.5"},
		{"malformed hop stops at the last trusted", "10.1.2.3:5000", []string{"198.51.100.1, junk"}, "", "10.1.2.3"},
		{"hop with a port", "10.1.2.3:5000", []string{"198.51.100.1:4711"}, "", "198.51.100.1"},
		{"X-Real-IP from a trusted proxy", "10.1.2.3:5000", nil, "198.51.100.3", "198.51.100.3"},
		{"X-Real-IP malformed: the proxy", "10.1.2.3:5000", nil, "not-an-ip", "10.1.2.3"},
		{"IPv6 proxy", "[2001:db8::1]:443", []string{"2001:db9::5"}, "", "2001:db9::5"},
		{"IPv4-mapped peer", "[::ffff:10.1.2.3]:443", []string{"198.51.100.1"}, "", "198.51.100.1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = c.peer
			for _, v := range c.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if c.real != "" {
				r.Header.Set("X-Real-IP", c.real)
			}
			var got string
			ps.TrustProxies(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = ClientIP(r) })).ServeHTTP(httptest.NewRecorder(), r)
			if got != c.want {
				t.Errorf("ClientIP = %q, want %q", got, c.want)
			}
		})
	}
	// Without the middleware (or with no proxies configured) only the peer counts.
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.1.2.3:5000"
	r.Header.Set("X-Forwarded-For", "198.51.100.1")
	if got := ClientIP(r); got != "10.1.2.3" {
		t.Errorf("without the middleware: %q", got)
	}
	if got := Proxies(nil).Client(r); got != "10.1.2.3" {
		t.Errorf("no proxies configured: %q", got)
	}
	for _, bad := range []string{"10.0.0.0/33", "example.org", "10.0.0.1/8/2"} {
		if _, err := ParseProxies(bad); err == nil {
			t.Errorf("ParseProxies(%q) accepted", bad)
		}
	}
}
