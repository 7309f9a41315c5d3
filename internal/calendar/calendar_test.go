package calendar

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/apperr"
)

func d(s string) Date {
	v, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return v
}

func TestStandardsChecks(t *testing.T) {
	cal := National().For("")
	tests := []struct {
		from string
		n    int
		want string
	}{
		{"2025-09-26", 20, "2025-10-30"}, // STANDARDS.md §4
		{"2026-02-12", 5, "2026-02-26"},  // across 春节 2026 and the 02-14 make-up day
		{"2025-12-31", 1, "2026-01-04"},  // across the year boundary and 2026-01-01..03 to the make-up Sunday
		{"2025-12-31", 0, "2025-12-31"},
		{"2026-09-30", 1, "2026-10-08"}, // 国庆 2026 ends 10-07
		{"2026-10-09", 1, "2026-10-10"}, // make-up Saturday counts
		{"2025-01-24", 1, "2025-01-26"}, // make-up Sunday
	}
	for _, tt := range tests {
		got, err := cal.AddWorkdays(d(tt.from), tt.n)
		if err != nil || got.String() != tt.want {
			t.Errorf("AddWorkdays(%s, %d) = %s, %v; want %s", tt.from, tt.n, got, err, tt.want)
		}
	}
	if n, _ := cal.WorkdaysBetween(d("2025-09-26"), d("2025-10-30")); n != 20 {
		t.Errorf("between = %d, want 20", n)
	}
}

func TestWorkdaysPerYear(t *testing.T) {
	cal := National().For("")
	for _, y := range []int{2025, 2026} {
		n, err := cal.WorkdaysBetween(Date{y - 1, 12, 31}, Date{y, 12, 31})
		if y == 2025 {
			// 2024 is not loaded: count by walking the year instead.
			n, err = 0, nil
			for dd := (Date{2025, 1, 1}); dd.Year == 2025; dd = dd.AddDays(1) {
				ok, e := cal.IsWorkday(dd)
				if e != nil {
					t.Fatal(e)
				}
				if ok {
					n++
				}
			}
		}
		if err != nil || n != 248 {
			t.Errorf("%d: %d working days, %v; want 248", y, n, err)
		}
	}
}

func TestIsWorkday(t *testing.T) {
	cal := National().For("")
	tests := []struct {
		date string
		want bool
	}{
		{"2026-02-14", true},  // Saturday, make-up day
		{"2026-02-16", false}, // Monday in 春节
		{"2026-02-28", true},  // Saturday, make-up day
		{"2026-03-07", false}, // ordinary Saturday
		{"2026-03-09", true},  // ordinary Monday
		{"2025-10-08", false},
		{"2025-10-11", true},
		{"2026-06-19", false}, // 端午 Friday
	}
	for _, tt := range tests {
		got, err := cal.IsWorkday(d(tt.date))
		if err != nil || got != tt.want {
			t.Errorf("IsWorkday(%s) = %v, %v; want %v", tt.date, got, err, tt.want)
		}
	}
}

func TestOutsideLoadedYears(t *testing.T) {
	cal := National().For("")
	if _, err := cal.IsWorkday(d("2027-01-04")); !apperr.Is(err, apperr.Invalid, "calendar.year_not_loaded") {
		t.Errorf("2027 IsWorkday: %v", err)
	}
	if _, err := cal.AddWorkdays(d("2026-12-30"), 5); !apperr.Is(err, apperr.Invalid, "calendar.year_not_loaded") {
		t.Errorf("AddWorkdays into 2027: %v", err)
	}
	if _, err := cal.WorkdaysBetween(d("2024-12-30"), d("2025-01-03")); !apperr.Is(err, apperr.Invalid, "calendar.year_not_loaded") {
		t.Errorf("between from 2024: %v", err)
	}
}

// With the fallback, a year without a notice counts Monday to Friday less
// the statutory holidays and says so (Provisional); loaded years are
// untouched; and a notice loaded later replaces the fallback for its year.
func TestWeekdayFallback(t *testing.T) {
	set := National()
	set.WeekdayFallback = true
	cal := set.For("500102")
	if !cal.Fallback() || !cal.Provisional(d("2027-01-04")) || cal.Provisional(d("2026-12-31")) {
		t.Fatalf("fallback %v, provisional 2027 %v, 2026 %v", cal.Fallback(), cal.Provisional(d("2027-01-04")), cal.Provisional(d("2026-12-31")))
	}
	for _, c := range []struct {
		from string
		n    int
		want string
	}{
		{"2026-12-30", 1, "2026-12-31"},
		{"2026-12-30", 2, "2027-01-04"}, // 2027-01-01 (a Friday) is 元旦 without any notice; the weekend skipped
		{"2026-12-31", 20, "2027-01-29"},
		// 春节 2027: 除夕 Friday 02-05, 初一–初三 02-06 … 02-08: Thursday 02-04, then Tuesday 02-09.
		{"2027-02-03", 1, "2027-02-04"},
		{"2027-02-04", 1, "2027-02-09"},
		// 国庆 2027: 10-01 (Friday) … 10-03; the weekend between.
		{"2027-09-30", 1, "2027-10-04"},
	} {
		got, err := cal.AddWorkdays(d(c.from), c.n)
		if err != nil || got.String() != c.want {
			t.Errorf("AddWorkdays(%s, %d) = %s, %v; want %s", c.from, c.n, got, err, c.want)
		}
	}
	if src := cal.Source(2027); !strings.Contains(src, "statutory") {
		t.Errorf("source of 2027: %q", src)
	}
	// Loaded years keep their notices: 2026-10-07 is still a day off.
	if ok, err := cal.IsWorkday(d("2026-10-07")); ok || err != nil {
		t.Errorf("2026-10-07 with the fallback: %v %v", ok, err)
	}
	// Property: in a year without a notice, a working day is a weekday
	// that is no statutory holiday.
	r := rand.New(rand.NewPCG(7, 2027))
	for y := 2027; y <= 2060; y++ {
		off := map[Date]bool{}
		for _, h := range Statutory(y) {
			off[h.Date] = true
		}
		for range 60 {
			day := Date{y, time.January, 1}.AddDays(r.IntN(365))
			ok, err := cal.IsWorkday(day)
			if wd := day.Weekday(); err != nil || ok != (wd != 0 && wd != 6 && !off[day]) {
				t.Fatalf("%s (%s, statutory %v): %v %v", day, wd, off[day], ok, err)
			}
		}
	}
	// A notice loaded for 2027 replaces the fallback for that year.
	if err := set.Load(strings.NewReader(`{"years":[{"year":2027,"source":"test notice","days_off":["2027-01-01"],"workdays":[]}]}`)); err != nil {
		t.Fatal(err)
	}
	cal = set.For("500102")
	if cal.Provisional(d("2027-01-04")) {
		t.Error("2027 still provisional after its notice was loaded")
	}
	if got, _ := cal.AddWorkdays(d("2026-12-30"), 2); got.String() != "2027-01-04" {
		t.Errorf("with the 2027 notice: %s", got)
	}
}

// Issue 14: counting is bounded (MaxDays, MaxSpanDays), even where the
// weekday fallback would otherwise count on for ever; the bound itself is
// answered and one past it refused at once.
func TestBounds(t *testing.T) {
	set := National()
	set.WeekdayFallback = true
	cal := set.For("500102")
	if _, err := cal.AddWorkdays(d("2026-01-05"), MaxDays); err != nil {
		t.Errorf("AddWorkdays(MaxDays): %v", err)
	}
	for _, c := range []struct {
		name string
		err  func() error
		key  string
	}{
		{"add MaxDays+1", func() error { _, err := cal.AddWorkdays(d("2026-01-05"), MaxDays+1); return err }, "calendar.too_many_days"},
		{"add a billion", func() error { _, err := cal.AddWorkdays(d("2026-01-05"), 1_000_000_000); return err }, "calendar.too_many_days"},
		{"deadline over", func() error { _, err := cal.Deadline(d("2026-01-05"), Days(MaxDays+1)); return err }, "calendar.too_many_days"},
		{"limit over", func() error { _, err := ParseLimit("2501"); return err }, "calendar.too_many_days"},
		{"limit past int", func() error { _, err := ParseLimit("4611686018427387904"); return err }, "calendar.too_many_days"},
		{"between 0001-9999", func() error { _, err := cal.WorkdaysBetween(d("0001-01-01"), d("9999-12-31")); return err }, "calendar.span_too_long"},
		{"between reversed", func() error { _, err := cal.WorkdaysBetween(d("9999-12-31"), d("0001-01-01")); return err }, "calendar.span_too_long"},
	} {
		start := time.Now()
		if err := c.err(); !apperr.Is(err, apperr.Invalid, c.key) {
			t.Errorf("%s: %v; want %s", c.name, err, c.key)
		}
		if el := time.Since(start); el > 100*time.Millisecond {
			t.Errorf("%s took %v", c.name, el)
		}
	}
	if n, err := cal.WorkdaysBetween(d("2026-01-01"), d("2026-01-01").AddDays(MaxSpanDays)); err != nil || n < 5000 {
		t.Errorf("between at MaxSpanDays: %d %v", n, err)
	}
	if l, err := ParseLimit("2500"); err != nil || l != Days(MaxDays) {
		t.Errorf("ParseLimit(2500) = %v %v", l, err)
	}
}

// Property: for every start date and count, AddWorkdays then WorkdaysBetween
// round-trips, the result is a working day, and it is the first such day.
func TestPropertyAddThenBetween(t *testing.T) {
	cal := National().For("")
	r := rand.New(rand.NewPCG(2025, 2026))
	start := d("2025-01-01")
	for i := 0; i < 3000; i++ {
		from := start.AddDays(r.IntN(600))
		n := r.IntN(60)
		to, err := cal.AddWorkdays(from, n)
		if err != nil {
			if apperr.Is(err, apperr.Invalid, "calendar.year_not_loaded") {
				continue
			}
			t.Fatal(err)
		}
		back, err := cal.WorkdaysBetween(from, to)
		if err != nil || back != n {
			t.Fatalf("AddWorkdays(%s,%d)=%s but WorkdaysBetween=%d, %v", from, n, to, back, err)
		}
		if n > 0 {
			if ok, _ := cal.IsWorkday(to); !ok {
				t.Fatalf("AddWorkdays(%s,%d)=%s is not a working day", from, n, to)
			}
			if prev, _ := cal.WorkdaysBetween(from, to.AddDays(-1)); prev != n-1 {
				t.Fatalf("AddWorkdays(%s,%d)=%s is not the first: %d before it", from, n, to, prev)
			}
		}
		if neg, _ := cal.WorkdaysBetween(to, from); neg != -n {
			t.Fatalf("reverse between = %d, want %d", neg, -n)
		}
	}
}

// Property: between is additive over a midpoint, and monotone in its end.
func TestPropertyBetweenAdditive(t *testing.T) {
	cal := National().For("")
	r := rand.New(rand.NewPCG(7, 11))
	base := d("2025-01-01")
	for i := 0; i < 2000; i++ {
		a := base.AddDays(r.IntN(700))
		b := a.AddDays(r.IntN(20))
		c := b.AddDays(r.IntN(20))
		if c.Year > 2026 {
			continue
		}
		ab, _ := cal.WorkdaysBetween(a, b)
		bc, _ := cal.WorkdaysBetween(b, c)
		ac, _ := cal.WorkdaysBetween(a, c)
		if ab+bc != ac || ab < 0 || bc < 0 {
			t.Fatalf("%s→%s %d + %s→%s %d != %d", a, b, ab, b, c, bc, ac)
		}
	}
}

func TestHalfDayDeadlines(t *testing.T) {
	cal := National().For("")
	tests := []struct {
		from, limit, want string
	}{
		{"2026-02-12", "0.5", "2026-02-13T12:00"},
		{"2026-02-12", "1", "2026-02-13"},
		{"2026-02-12", "1.5", "2026-02-14T12:00"}, // make-up Saturday
		{"2026-02-12", "5", "2026-02-26"},
		{"2026-02-12", "0", "2026-02-12"},
	}
	for _, tt := range tests {
		l, err := ParseLimit(tt.limit)
		if err != nil {
			t.Fatal(err)
		}
		m, err := cal.Deadline(d(tt.from), l)
		if err != nil || m.String() != tt.want {
			t.Errorf("Deadline(%s, %s) = %s, %v; want %s", tt.from, tt.limit, m, err, tt.want)
		}
		back, err := cal.HalfDaysBetween(Moment{Date: d(tt.from)}, m)
		if err != nil || back != l {
			t.Errorf("HalfDaysBetween back = %s, %v; want %s", back, err, l)
		}
	}
	m, _ := cal.Deadline(d("2026-02-12"), Limit(1))
	if got := m.Time(China).Format("2006-01-02 15:04 -0700"); got != "2026-02-13 12:00 +0800" {
		t.Errorf("noon moment = %s", got)
	}
	m, _ = cal.Deadline(d("2026-02-12"), Days(1))
	if got := m.Time(China).Format("2006-01-02 15:04"); got != "2026-02-14 00:00" {
		t.Errorf("end-of-day moment = %s", got)
	}
}

func TestParseLimit(t *testing.T) {
	tests := []struct {
		in   string
		want Limit
		key  string
	}{
		{"20", 40, ""}, {"0.5", 1, ""}, {"2.50", 5, ""}, {"3.0", 6, ""},
		{"2.3", 0, "calendar.limit_half"}, {"-1", 0, "calendar.limit_format"},
		{"abc", 0, "calendar.limit_format"}, {"", 0, "calendar.limit_format"}, {"+2", 0, "calendar.limit_format"},
	}
	for _, tt := range tests {
		got, err := ParseLimit(tt.in)
		if tt.key != "" {
			if !apperr.Is(err, apperr.Invalid, tt.key) {
				t.Errorf("ParseLimit(%q) err = %v, want %s", tt.in, err, tt.key)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseLimit(%q) = %d, %v", tt.in, got, err)
		}
	}
}

func TestRegionalOverlayAndNewYear(t *testing.T) {
	s := National()
	// A new year's notice and a regional day off load without code changes.
	err := s.Load(strings.NewReader(`{"years":[
	  {"year":2027,"source":"test notice","days_off":["2027-01-01"],"workdays":[]},
	  {"region":"500000","year":2026,"source":"重庆 local","days_off":["2026-03-09"],"workdays":[]},
	  {"region":"500102","year":2026,"source":"涪陵 local","days_off":[],"workdays":["2026-03-07"]}
	]}`))
	if err != nil {
		t.Fatal(err)
	}
	fuling := s.For("500102")
	for date, want := range map[string]bool{"2026-03-09": false, "2026-03-07": true, "2027-01-01": false, "2027-01-04": true} {
		if got, err := fuling.IsWorkday(d(date)); err != nil || got != want {
			t.Errorf("Fuling %s = %v, %v; want %v", date, got, err, want)
		}
	}
	beijing := s.For("110105")
	if got, _ := beijing.IsWorkday(d("2026-03-09")); !got {
		t.Error("Chongqing's day off leaked into Beijing")
	}
	if got, _ := s.For("500101").IsWorkday(d("2026-03-07")); got {
		t.Error("Fuling's make-up day leaked into Wanzhou")
	}
}

func TestLoadRejectsBadData(t *testing.T) {
	tests := []struct{ json, key string }{
		{`{"years":[{"year":2030,"days_off":["2030-02-30"]}]}`, "calendar.date_format"},
		{`{"years":[{"year":2030,"days_off":["2031-01-01"]}]}`, "calendar.date_outside_year"},
		{`{"years":[{"year":2030,"workdays":["2030-01-02"]}]}`, "calendar.makeup_on_weekday"},
		{`{"years":[{"year":2030,"days_off":["2030-01-05"],"workdays":["2030-01-05"]}]}`, "calendar.day_twice"},
		{`{"years":[{"year":2030,"days_off":["2030-02-05/2030-02-01"]}]}`, "calendar.range_order"},
		{`{"years":[{"region":"500102","year":2031}]}`, "calendar.region_without_national"},
		{`{"years":[{"yeer":2030}]}`, "calendar.file_format"},
		{`not json`, "calendar.file_format"},
	}
	for _, tt := range tests {
		err := National().Load(strings.NewReader(tt.json))
		if !apperr.Is(err, apperr.Invalid, tt.key) {
			t.Errorf("%s: err = %v, want %s", tt.json, err, tt.key)
		}
	}
}

func FuzzLoad(f *testing.F) {
	f.Add(string(nationalJSON))
	f.Add(`{"years":[{"year":2030,"days_off":["2030-01-01/2030-01-03"]}]}`)
	f.Fuzz(func(t *testing.T, s string) {
		set := National()
		if err := set.Load(strings.NewReader(s)); err != nil {
			if apperr.CodeOf(err) != apperr.Invalid {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		set.For("500102")
	})
}

func TestSources(t *testing.T) {
	set := National()
	got := set.Sources()
	if len(got) != 2 || got[0].Year != 2025 || got[1].Year != 2026 || got[0].Scope != "" || !strings.Contains(got[1].Source, "2026") {
		t.Fatalf("national sources: %+v", got)
	}
	if err := set.Load(strings.NewReader(`{"years":[{"region":"500000","year":2026,"source":"重庆 test","days_off":[],"workdays":[]}]}`)); err != nil {
		t.Fatal(err)
	}
	if got = set.Sources(); len(got) != 3 || got[2].Scope == "" || got[2].Source != "重庆 test" {
		t.Errorf("with a regional year: %+v", got)
	}
}

func TestUnannounced(t *testing.T) {
	cal := National().For("500102")
	for _, tt := range []struct {
		from, to string
		want     []int
	}{
		{"2026-03-01", "2026-06-30", nil},
		{"2026-09-02", "2026-12-31", nil},
		{"2026-09-03", "2027-01-01", []int{2027}},
		{"2026-12-01", "2028-02-01", []int{2027, 2028}},
		{"2024-12-01", "2025-02-01", []int{2024}},
	} {
		if got := cal.Unannounced(d(tt.from), d(tt.to)); !slices.Equal(got, tt.want) {
			t.Errorf("%s…%s: %v, want %v", tt.from, tt.to, got, tt.want)
		}
	}
	// From today the horizon reaches the next year from early September.
	if got := cal.Unannounced(d("2026-09-03"), d("2026-09-03").AddDays(NoticeHorizon)); !slices.Equal(got, []int{2027}) {
		t.Errorf("horizon from 2026-09-03: %v", got)
	}
}
