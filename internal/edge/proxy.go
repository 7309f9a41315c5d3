package edge

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Proxies are the reverse proxies whose forwarding headers are believed
// (--trusted-proxies). A forwarding header is anyone's to write, so it says
// who the client is only when the TCP peer is one of these; otherwise the
// peer is the client (OWASP ASVS 4.0 V1.4.3/V7.1.3: identify the caller by
// what the caller cannot forge).
type Proxies []netip.Prefix

// ParseProxies reads a comma-separated list of CIDR prefixes or single
// addresses ("10.0.0.0/8, 192.0.2.7"); "" is none.
func ParseProxies(s string) (Proxies, error) {
	var ps Proxies
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			a, err := netip.ParseAddr(f)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q is neither an address nor a CIDR prefix", f)
			}
			ps = append(ps, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q is neither an address nor a CIDR prefix", f)
		}
		ps = append(ps, p.Masked())
	}
	return ps, nil
}

func (ps Proxies) trusts(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Client is the client's address of r: the TCP peer, unless the peer is a
// trusted proxy; then the rightmost address of X-Forwarded-For that is not
// a trusted proxy (each proxy appends the address it was reached from, so
// everything left of the first untrusted hop is the client's own writing),
// or X-Real-IP when there is no X-Forwarded-For. A malformed hop stops the
// walk at the last trusted address.
func (ps Proxies) Client(r *http.Request) string {
	peer := peerIP(r)
	a, err := netip.ParseAddr(peer)
	if err != nil || len(ps) == 0 || !ps.trusts(a) {
		return peer
	}
	hops := forwardedFor(r)
	if len(hops) == 0 {
		if real, err := netip.ParseAddr(strings.TrimSpace(r.Header.Get("X-Real-IP"))); err == nil {
			return real.Unmap().String()
		}
		return peer
	}
	client := a.Unmap()
	for i := len(hops) - 1; i >= 0; i-- {
		h, err := parseHop(hops[i])
		if err != nil {
			break
		}
		client = h
		if !ps.trusts(h) {
			break
		}
	}
	return client.String()
}

// forwardedFor is every hop of every X-Forwarded-For header, in order.
func forwardedFor(r *http.Request) []string {
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		for _, h := range strings.Split(v, ",") {
			hops = append(hops, strings.TrimSpace(h))
		}
	}
	return hops
}

// parseHop reads an address as proxies write it: bare, or with a port
// ("192.0.2.1:4711", "[2001:db8::1]:4711").
func parseHop(h string) (netip.Addr, error) {
	if a, err := netip.ParseAddr(h); err == nil {
		return a.Unmap(), nil
	}
	ap, err := netip.ParseAddrPort(h)
	if err != nil {
		return netip.Addr{}, err
	}
	return ap.Addr().Unmap(), nil
}

func peerIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return a.Unmap().String()
	}
	return host
}

type clientKey struct{}

// TrustProxies is the middleware that finds each request's client address
// once (Proxies.Client) for ClientIP to answer.
func (ps Proxies) TrustProxies(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), clientKey{}, ps.Client(r))))
	})
}
