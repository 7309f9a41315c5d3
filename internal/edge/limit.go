package edge

import (
	"net/http"
	"sync"
	"time"

	"github.com/tongban/tongban/internal/apperr"
)

// Limiter counts requests per key (a client address) in fixed one-minute
// windows, in this process: public endpoints that write on every call (a
// licence verification is recorded) are bounded per address. Each replica
// counts its own, so the bound a client meets is per replica.
type Limiter struct {
	PerMinute int    // 0: no limit
	Key       string // the message of a refusal
	Now       func() time.Time

	mu      sync.Mutex
	windows map[string]window
}

type window struct {
	start time.Time
	n     int
}

// maxKeys bounds the memory a flood of addresses can take: past it, windows
// that have ended are dropped.
const maxKeys = 100_000

// Allow counts one request of key and reports whether it is within the limit.
func (l *Limiter) Allow(key string) bool {
	if l == nil || l.PerMinute <= 0 {
		return true
	}
	now := time.Now()
	if l.Now != nil {
		now = l.Now()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.windows == nil {
		l.windows = map[string]window{}
	}
	w := l.windows[key]
	if now.Sub(w.start) >= time.Minute || now.Before(w.start) {
		if len(l.windows) >= maxKeys {
			for k, old := range l.windows {
				if now.Sub(old.start) >= time.Minute {
					delete(l.windows, k)
				}
			}
		}
		w = window{start: now}
	}
	w.n++
	l.windows[key] = w
	return w.n <= l.PerMinute
}

// Check counts a request from r's client address: TooMany past the limit.
func (l *Limiter) Check(r *http.Request) error {
	if l.Allow(ClientIP(r)) {
		return nil
	}
	return apperr.E(apperr.TooMany, l.Key)
}
