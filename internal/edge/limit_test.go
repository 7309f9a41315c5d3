package edge

import (
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	now := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	l := &Limiter{PerMinute: 3, Now: func() time.Time { return now }}
	for i, want := range []bool{true, true, true, false, false} {
		if got := l.Allow("203.0.113.5"); got != want {
			t.Errorf("request %d: %v, want %v", i+1, got, want)
		}
	}
	if !l.Allow("198.51.100.7") {
		t.Error("another address shares the first one's count")
	}
	now = now.Add(time.Minute)
	if !l.Allow("203.0.113.5") {
		t.Error("a new minute did not reset the count")
	}
	var none *Limiter
	if !none.Allow("x") || !(&Limiter{}).Allow("x") {
		t.Error("no limiter, or no limit, refused a request")
	}
}
