package supervise

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/calendar"
)

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, calendar.China)
	if err != nil {
		panic(err)
	}
	return t
}

// midnightAfter is a deadline that runs out at the end of day s.
func midnightAfter(s string) time.Time { return at(s+" 00:00").AddDate(0, 0, 1) }

func TestEvaluate(t *testing.T) {
	cal := calendar.National().For("500102")
	custom := Thresholds{Warn: 3, Yellow: 2, Red: 5}
	cases := []struct {
		name string
		due  time.Time
		now  string
		th   Thresholds
		want Level
	}{
		// 国庆 2026: 10-01..10-07 off, Saturday 10-10 worked; due end of Wednesday 09-30.
		{"two days left", midnightAfter("2026-09-30"), "2026-09-28 10:00", DefaultThresholds, Normal},
		{"one day left", midnightAfter("2026-09-30"), "2026-09-29 10:00", DefaultThresholds, Warning},
		{"due today", midnightAfter("2026-09-30"), "2026-09-30 23:59", DefaultThresholds, Warning},
		{"past, holiday", midnightAfter("2026-09-30"), "2026-10-01 09:00", DefaultThresholds, Warning},
		{"past, last holiday", midnightAfter("2026-09-30"), "2026-10-07 18:00", DefaultThresholds, Warning},
		{"one working day late", midnightAfter("2026-09-30"), "2026-10-08 00:01", DefaultThresholds, Yellow},
		{"two working days late", midnightAfter("2026-09-30"), "2026-10-09 09:00", DefaultThresholds, Red},
		{"make-up Saturday counts", midnightAfter("2026-10-09"), "2026-10-10 09:00", DefaultThresholds, Yellow},
		// 春节 2026: Saturday 02-14 worked, 02-15..02-23 off.
		{"make-up day is late", midnightAfter("2026-02-13"), "2026-02-14 10:00", DefaultThresholds, Yellow},
		{"festival adds nothing", midnightAfter("2026-02-13"), "2026-02-23 10:00", DefaultThresholds, Yellow},
		{"first day after", midnightAfter("2026-02-13"), "2026-02-24 08:00", DefaultThresholds, Red},
		{"left across the festival", midnightAfter("2026-02-24"), "2026-02-13 10:00", DefaultThresholds, Normal},
		{"left across the festival, warn", midnightAfter("2026-02-24"), "2026-02-14 10:00", DefaultThresholds, Warning},
		// Year boundary 2025/2026: 01-01..01-03 off, Sunday 01-04 worked.
		{"new year", midnightAfter("2025-12-31"), "2026-01-04 10:00", DefaultThresholds, Yellow},
		// A half-day limit runs out at noon.
		{"half day, morning", at("2026-09-30 12:00"), "2026-09-30 11:00", DefaultThresholds, Warning},
		{"half day, afternoon", at("2026-09-30 12:00"), "2026-09-30 15:00", DefaultThresholds, Warning},
		{"half day, next working day", at("2026-09-30 12:00"), "2026-10-08 09:00", DefaultThresholds, Yellow},
		// Regional thresholds.
		{"custom warn 3", midnightAfter("2026-11-27"), "2026-11-24 10:00", custom, Warning},
		{"custom warn 3, 4 left", midnightAfter("2026-11-30"), "2026-11-24 10:00", custom, Normal},
		{"custom one late is warning", midnightAfter("2026-11-24"), "2026-11-25 10:00", custom, Warning},
		{"custom two late yellow", midnightAfter("2026-11-24"), "2026-11-26 10:00", custom, Yellow},
		{"custom four late yellow", midnightAfter("2026-11-24"), "2026-11-30 10:00", custom, Yellow},
		{"custom five late red", midnightAfter("2026-11-24"), "2026-12-01 10:00", custom, Red},
	}
	for _, c := range cases {
		got, err := Evaluate(cal, at(c.now), c.due, c.th)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got != c.want {
			t.Errorf("%s: due %s, now %s: %s, want %s", c.name, c.due.In(calendar.China), c.now, got, c.want)
		}
	}
}

func TestThresholdsValidate(t *testing.T) {
	for _, c := range []struct {
		th Thresholds
		ok bool
	}{
		{DefaultThresholds, true}, {Thresholds{0, 1, 2}, true}, {Thresholds{-1, 1, 2}, false},
		{Thresholds{1, 0, 2}, false}, {Thresholds{1, 2, 2}, false}, {Thresholds{1, 3, 2}, false},
		{Thresholds{MaxThresholdDays, MaxThresholdDays - 1, MaxThresholdDays}, true},
		{Thresholds{MaxThresholdDays + 1, 1, 2}, false}, {Thresholds{1, 1, MaxThresholdDays + 1}, false},
		{Thresholds{1, 1, math.MaxInt64}, false}, {Thresholds{math.MaxInt64, 1, 2}, false},
	} {
		if err := c.th.Validate(); (err == nil) != c.ok {
			t.Errorf("%+v: %v", c.th, err)
		}
	}
}

// randomInstant is a minute in 2025-03-01 .. 2026-09-11 (China time), so
// that the instants derived from it stay within the loaded calendar years.
func randomInstant(r *rand.Rand) time.Time {
	start := at("2025-03-01 00:00")
	return start.Add(time.Duration(r.Int64N(int64(560*24*time.Hour))) / time.Minute * time.Minute)
}

// Properties over random instants: the level never falls as time passes or
// as the deadline comes earlier, and every clock that is not normal is due
// at or before the scanner's horizon (so the range query misses none).
func TestSignalProperties(t *testing.T) {
	cal := calendar.National().For("500102")
	r := rand.New(rand.NewPCG(5, 24))
	for i := 0; i < 3000; i++ {
		th := Thresholds{Warn: r.IntN(4), Yellow: 1 + r.IntN(3)}
		th.Red = th.Yellow + 1 + r.IntN(3)
		now := randomInstant(r)
		due := now.Add(time.Duration(r.Int64N(int64(60*24*time.Hour)))/time.Minute*time.Minute - 30*24*time.Hour)
		if r.IntN(4) == 0 {
			due = calendar.DateIn(due).Start(calendar.China) // most deadlines run out at midnight
		}
		lv, err := Evaluate(cal, now, due, th)
		if err != nil {
			t.Fatal(err)
		}
		later := now.Add(time.Duration(r.Int64N(int64(10 * 24 * time.Hour))))
		lv2, err := Evaluate(cal, later, due, th)
		if err != nil {
			t.Fatal(err)
		}
		if lv2 < lv {
			t.Fatalf("level fell from %s to %s as time passed (due %s, %s → %s, %+v)", lv, lv2, due, now, later, th)
		}
		earlier := due.Add(-time.Duration(r.Int64N(int64(10 * 24 * time.Hour))))
		lv3, err := Evaluate(cal, now, earlier, th)
		if err != nil {
			t.Fatal(err)
		}
		if lv3 < lv {
			t.Fatalf("an earlier deadline has a lower level: %s < %s", lv3, lv)
		}
		h, err := Horizon(cal, now, th.Warn)
		if err != nil {
			t.Fatal(err)
		}
		if lv != Normal && due.After(h) {
			t.Fatalf("%s clock due %s is past the horizon %s at %s", lv, due, h, now)
		}
		if lv == Normal && !due.After(now) {
			t.Fatalf("a clock past its deadline is normal")
		}
	}
}
