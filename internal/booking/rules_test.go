package booking

import (
	"strings"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/calendar"
)

func day(t *testing.T, s string) calendar.Date {
	t.Helper()
	d, err := calendar.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, calendar.China)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

// The national 2026 calendar decides which days have slots: none on the
// National Day holiday (2026-10-01..07) or the Mid-Autumn weekend
// (2026-09-25..27), slots on the make-up working days (Sunday 2026-09-20,
// Saturday 2026-10-10) and on an ordinary Thursday (2026-10-08), none on
// an ordinary weekend or a blackout day.
func TestDaySlotsFollowTheCalendar(t *testing.T) {
	cal := calendar.National().For("500102")
	weekdays := Template{ServiceID: "s", Weekdays: []int{1, 2, 3, 4, 5}, From: "09:00", To: "11:00", SlotMinutes: 30, Capacity: 6, Active: true}
	if err := weekdays.check(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		day      string
		blackout bool
		want     Closure
		slots    int
	}{
		{"2026-09-24", false, Open, 4},      // Thursday
		{"2026-09-25", false, RestDay, 0},   // 中秋
		{"2026-09-27", false, RestDay, 0},   // Sunday, in the holiday
		{"2026-09-20", false, Open, 4},      // Sunday, a make-up working day: Monday's templates
		{"2026-10-01", false, RestDay, 0},   // 国庆
		{"2026-10-07", false, RestDay, 0},   // 国庆
		{"2026-10-08", false, Open, 4},      // Thursday after the holiday: a working day
		{"2026-10-10", false, Open, 4},      // Saturday, a make-up working day
		{"2026-10-17", false, RestDay, 0},   // an ordinary Saturday
		{"2026-10-09", true, ClosedDay, 0},  // a blackout
		{"2031-03-03", false, NotLoaded, 0}, // a year without a notice
	} {
		slots, why := DaySlots(cal, day(t, tc.day), tc.blackout, []Template{weekdays}, DefaultPolicy)
		if why != tc.want || len(slots) != tc.slots {
			t.Errorf("%s: %q with %d slots, want %q with %d", tc.day, why, len(slots), tc.want, tc.slots)
		}
	}
	slots, _ := DaySlots(cal, day(t, "2026-09-24"), false, []Template{weekdays}, DefaultPolicy)
	first := slots[0]
	if !first.StartsAt.Equal(at("2026-09-24 09:00")) || !first.EndsAt.Equal(at("2026-09-24 09:30")) || first.Time != "09:00–09:30" {
		t.Errorf("first slot %+v", first)
	}
	if first.Capacity != 6 || first.Online != 4 { // 30 % of 6 kept: 2
		t.Errorf("capacity %d online %d", first.Capacity, first.Online)
	}
	// A template only for Wednesday leaves Thursday without slots.
	wed := weekdays
	wed.Weekdays = []int{3}
	if _, why := DaySlots(cal, day(t, "2026-09-24"), false, []Template{wed}, DefaultPolicy); why != NoTemplate {
		t.Errorf("Thursday with a Wednesday template: %q", why)
	}
	// An inactive template gives nothing.
	off := weekdays
	off.Active = false
	if _, why := DaySlots(cal, day(t, "2026-09-24"), false, []Template{off}, DefaultPolicy); why != NoTemplate {
		t.Errorf("inactive template: %q", why)
	}
}

func TestOnlineKeepsTheWalkInShare(t *testing.T) {
	for _, tc := range []struct{ capacity, percent, online int }{
		{6, 30, 4}, {10, 30, 7}, {1, 30, 0}, {5, 0, 5}, {5, 100, 0}, {3, 34, 1},
	} {
		p := DefaultPolicy
		p.WalkInPercent = tc.percent
		if got := p.Online(tc.capacity); got != tc.online {
			t.Errorf("capacity %d at %d%%: %d online, want %d", tc.capacity, tc.percent, got, tc.online)
		}
	}
}

func TestWindow(t *testing.T) {
	now := at("2026-09-21 10:00") // Monday
	p := DefaultPolicy
	for _, tc := range []struct {
		start string
		key   string
	}{
		{"2026-09-21 09:00", "booking.slot_past"},
		{"2026-09-21 15:00", "booking.too_soon"}, // today: the window starts tomorrow
		{"2026-09-22 09:00", ""},
		{"2026-10-05 16:00", ""}, // the 14th day
		{"2026-10-06 09:00", "booking.beyond_window"},
	} {
		err := p.Window(now, at(tc.start))
		if got := keyOf(err); got != tc.key {
			t.Errorf("%s: %q, want %q", tc.start, got, tc.key)
		}
	}
	// With same-day booking allowed, the lead time decides.
	p.MinDaysAhead = 0
	if got := keyOf(p.Window(now, at("2026-09-21 11:30"))); got != "booking.lead_time" {
		t.Errorf("inside the lead time: %q", got)
	}
	if err := p.Window(now, at("2026-09-21 12:00")); err != nil {
		t.Errorf("at the lead time: %v", err)
	}
}

func keyOf(err error) string {
	if err == nil {
		return ""
	}
	return apperr.As(err).Key
}

func TestTemplateCheck(t *testing.T) {
	ok := Template{ServiceID: "s", Weekdays: []int{5, 1, 1}, From: "9:00", To: "12:00", SlotMinutes: 30, Capacity: 5}
	for _, tc := range []struct {
		name string
		edit func(*Template)
		key  string
	}{
		{"one-digit hour", func(*Template) {}, "booking.template_time"},
		{"fine", func(t *Template) { t.From = "09:00" }, ""},
		{"bad end", func(t *Template) { t.From, t.To = "09:00", "25:00" }, "booking.template_time"},
		{"short span", func(t *Template) { t.From, t.To = "09:00", "09:20" }, "booking.template_span"},
		{"slot too short", func(t *Template) { t.From, t.SlotMinutes = "09:00", 2 }, "booking.template_slot"},
		{"no places", func(t *Template) { t.From, t.Capacity = "09:00", 0 }, "booking.template_capacity"},
		{"too many places", func(t *Template) { t.From, t.Capacity = "09:00", MaxCapacity+1 }, "booking.template_capacity"},
		{"no weekdays", func(t *Template) { t.From, t.Weekdays = "09:00", nil }, "booking.template_weekdays"},
		{"weekday 8", func(t *Template) { t.From, t.Weekdays = "09:00", []int{8} }, "booking.template_weekdays"},
	} {
		tpl := ok
		tpl.Weekdays = append([]int(nil), ok.Weekdays...)
		tc.edit(&tpl)
		if got := keyOf(tpl.check()); got != tc.key {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.key)
		}
		if tc.key == "" && (len(tpl.Weekdays) != 2 || tpl.From != "09:00" || tpl.To != "12:00") {
			t.Errorf("normalised %+v", tpl)
		}
	}
}

func TestPolicyValidate(t *testing.T) {
	if err := DefaultPolicy.Validate(); err != nil {
		t.Fatal(err)
	}
	p := DefaultPolicy
	p.WalkInPercent = 101
	if keyOf(p.Validate()) != "booking.policy_range" {
		t.Error("101 % accepted")
	}
	p = DefaultPolicy
	p.MaxDaysAhead = 0
	if keyOf(p.Validate()) != "booking.policy_window" {
		t.Error("an empty window accepted")
	}
}

// Template times come from administrators' forms and the API: any text
// is refused or read as a time of the day that prints back the same.
func FuzzParseClock(f *testing.F) {
	for _, s := range []string{"09:00", "24:00", "23:59", "9:00", "25:00", "12:60", "", "-1:00", "０９:００", "09:00:00", " 09:30 ", "+9:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, ok := parseClock(s)
		if !ok {
			return
		}
		if m < 0 || m > 24*60 || strings.TrimSpace(s)[0] == '+' {
			t.Fatalf("%q read as %d minutes", s, m)
		}
		if back, ok := parseClock(clock(m)); !ok || back != m {
			t.Fatalf("%q → %d → %q → %d", s, m, clock(m), back)
		}
	})
}
