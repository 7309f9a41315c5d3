package cases

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/calendar"
)

func randomInstant(r *rand.Rand) time.Time {
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, calendar.China)
	return start.Add(time.Duration(r.Int64N(int64(600 * 24 * time.Hour))))
}

// Property: without pauses the decision is due exactly the promised number
// of working days after the day of acceptance, on a working day; each
// working day a pause takes moves it by exactly one working day; and a pause
// split in two takes what the whole pause takes.
func TestPropertyClock(t *testing.T) {
	cal := calendar.National().For("500102")
	r := rand.New(rand.NewPCG(7, 11))
	for range 3000 {
		accepted := randomInstant(r)
		days := r.IntN(20) + 1
		due, err := decisionDue(cal, accepted, calendar.Days(days), 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		dd := DueDate(due)
		if n, _ := cal.WorkdaysBetween(calendar.DateIn(accepted), dd); n != days {
			t.Fatalf("accepted %v, %d days: due %v is %d working days later", accepted, days, dd, n)
		}
		if ok, _ := cal.IsWorkday(dd); !ok {
			t.Fatalf("due on a day off: %v", dd)
		}
		// A pause somewhere in the following weeks, split at a random point.
		s := accepted.Add(time.Duration(r.Int64N(int64(20 * 24 * time.Hour))))
		e := s.Add(time.Duration(r.Int64N(int64(15 * 24 * time.Hour))))
		m := s.Add(time.Duration(r.Int64N(int64(e.Sub(s) + 1))))
		whole, err1 := pausedWorkdays(cal, accepted, s, e)
		a, err2 := pausedWorkdays(cal, accepted, s, m)
		b, err3 := pausedWorkdays(cal, accepted, m, e)
		if err1 != nil || err2 != nil || err3 != nil {
			t.Fatal(err1, err2, err3)
		}
		if whole != a+b {
			t.Fatalf("pause %v–%v takes %d, split at %v takes %d+%d", s, e, whole, m, a, b)
		}
		moved, _ := decisionDue(cal, accepted, calendar.Days(days), 0, whole)
		if n, _ := cal.WorkdaysBetween(dd, DueDate(moved)); n != whole {
			t.Fatalf("a pause of %d working days moved the deadline by %d", whole, n)
		}
		// An extension moves it the same way.
		ext, _ := decisionDue(cal, accepted, calendar.Days(days), calendar.Days(whole), 0)
		if !ext.Equal(moved) {
			t.Fatalf("extension of %d days: %v, pause of as many: %v", whole, ext, moved)
		}
	}
}

// The day of acceptance never counts: a pause on it takes nothing off.
func TestPauseOnTheDayOfAcceptance(t *testing.T) {
	cal := calendar.National().For("500102")
	acc := time.Date(2026, 2, 12, 9, 0, 0, 0, calendar.China)
	for _, c := range []struct {
		from, to string
		want     int
	}{
		{"2026-02-12 10:00", "2026-02-12 16:00", 0}, // the same day
		{"2026-02-12 10:00", "2026-02-13 09:00", 0}, // only the day of acceptance
		{"2026-02-12 10:00", "2026-02-14 09:00", 1}, // Friday 13th
		{"2026-02-13 10:00", "2026-02-24 09:00", 2}, // 13th, 14th (调休上班), then the holiday
		{"2026-02-15 10:00", "2026-02-24 09:00", 0}, // wholly inside the Spring Festival
	} {
		s, _ := time.ParseInLocation("2006-01-02 15:04", c.from, calendar.China)
		e, _ := time.ParseInLocation("2006-01-02 15:04", c.to, calendar.China)
		if n, err := pausedWorkdays(cal, acc, s, e); err != nil || n != c.want {
			t.Errorf("%s – %s: %d %v, want %d", c.from, c.to, n, err, c.want)
		}
	}
}

// Outside the loaded calendar years the clock refuses to guess.
func TestClockOutsideLoadedYears(t *testing.T) {
	cal := calendar.National().For("500102")
	if _, err := decisionDue(cal, time.Date(2026, 12, 28, 9, 0, 0, 0, calendar.China), calendar.Days(10), 0, 0); err == nil {
		t.Fatal("a deadline in 2027 was computed without the 2027 calendar")
	}
}
