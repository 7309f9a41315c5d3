// Package booking is 网上预约 (issue 19, part 2): slot templates per hall
// and service, closures from the working-day calendar and blackout days,
// a booking window and lead time, a share of every slot kept for walk-ins
// and the elderly, per-person limits, cancellation until a cut-off,
// no-shows and the suspension they bring, the reminder the day before,
// and check-in, which turns a booking into a queue ticket (internal/queue)
// in the same transaction.
//
// A slot is never over-booked: a booking takes its place by one
// conditional UPDATE of the slot's counter row (booked < online), in the
// transaction that writes the booking. On PostgreSQL's READ COMMITTED the
// second of two concurrent updates waits for the first and re-reads the
// row before testing the condition; SQLite has one writer.
package booking

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/calendar"
)

// Policy is the installation's booking rules (the settings row
// booking.policy; DefaultPolicy until an administrator saves one).
type Policy struct {
	MinDaysAhead  int `json:"min_days_ahead"`          // the first day bookable: today + this
	MaxDaysAhead  int `json:"max_days_ahead"`          // the last day bookable
	LeadMinutes   int `json:"lead_minutes"`            // at least this long before the slot starts
	WalkInPercent int `json:"walk_in_percent"`         // of each slot's places, kept for walk-ins and the elderly
	PerDay        int `json:"per_day"`                 // bookings a person holds on one day
	PerMonth      int `json:"per_month"`               // and in one calendar month
	CancelMinutes int `json:"cancel_minutes"`          // cancellation until this long before the start
	NoShows       int `json:"no_shows"`                // this many no-shows …
	NoShowDays    int `json:"no_show_days"`            // … within this many days …
	SuspendDays   int `json:"suspend_days"`            // … suspend online booking this long
	CheckInBefore int `json:"check_in_before_minutes"` // check-in opens this long before the start
	CheckInAfter  int `json:"check_in_after_minutes"`  // and closes this long after it
}

// DefaultPolicy is the policy of an installation that saved none.
var DefaultPolicy = Policy{MinDaysAhead: 1, MaxDaysAhead: 14, LeadMinutes: 120, WalkInPercent: 30, PerDay: 1, PerMonth: 4,
	CancelMinutes: 60, NoShows: 2, NoShowDays: 30, SuspendDays: 30, CheckInBefore: 30, CheckInAfter: 15}

// Validate checks a policy's bounds.
func (p Policy) Validate() error {
	for _, f := range []struct {
		name      string
		v, lo, hi int
	}{
		{"min_days_ahead", p.MinDaysAhead, 0, 60}, {"max_days_ahead", p.MaxDaysAhead, 0, 90},
		{"lead_minutes", p.LeadMinutes, 0, 7 * 24 * 60}, {"walk_in_percent", p.WalkInPercent, 0, 100},
		{"per_day", p.PerDay, 1, 10}, {"per_month", p.PerMonth, 1, 100}, {"cancel_minutes", p.CancelMinutes, 0, 7 * 24 * 60},
		{"no_shows", p.NoShows, 1, 100}, {"no_show_days", p.NoShowDays, 1, 365}, {"suspend_days", p.SuspendDays, 0, 365},
		{"check_in_before_minutes", p.CheckInBefore, 0, 240}, {"check_in_after_minutes", p.CheckInAfter, 0, 240},
	} {
		if f.v < f.lo || f.v > f.hi {
			return apperr.E(apperr.Invalid, "booking.policy_range", "field", f.name, "min", f.lo, "max", f.hi)
		}
	}
	if p.MaxDaysAhead < p.MinDaysAhead {
		return apperr.E(apperr.Invalid, "booking.policy_window")
	}
	return nil
}

// Online is the number of a slot's places bookable online: capacity less
// the walk-ins' share, rounded in the walk-ins' favour.
func (p Policy) Online(capacity int) int {
	kept := (capacity*p.WalkInPercent + 99) / 100
	return max(capacity-kept, 0)
}

// Template is one run of slots of a hall's service: on the listed
// weekdays (1 Monday … 7 Sunday), from From to To (China time, "09:00"),
// slots of SlotMinutes with Capacity places each.
type Template struct {
	ID          string    `json:"id"`
	HallID      string    `json:"hall_id"`
	ServiceID   string    `json:"service_id"`
	Weekdays    []int     `json:"weekdays"`
	From        string    `json:"from"`
	To          string    `json:"to"`
	SlotMinutes int       `json:"slot_minutes"`
	Capacity    int       `json:"capacity"`
	Active      bool      `json:"active"`
	UpdatedAt   time.Time `json:"updated_at"`

	start, end int // minutes after midnight
}

// Bounds of a template.
const (
	MaxCapacity    = 500
	MinSlotMinutes = 5
	MaxSlotMinutes = 240
)

// parseClock reads "HH:MM" as minutes after midnight.
func parseClock(s string) (int, bool) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || len(h) != 2 || len(m) != 2 {
		return 0, false
	}
	for _, c := range h + m {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || hh > 24 || mm < 0 || mm > 59 || hh*60+mm > 24*60 {
		return 0, false
	}
	return hh*60 + mm, true
}

func clock(min int) string {
	return strconv.Itoa(min/60/10) + strconv.Itoa(min/60%10) + ":" + strconv.Itoa(min%60/10) + strconv.Itoa(min%10)
}

// check validates t and fills its minutes.
func (t *Template) check() error {
	var ok bool
	if t.start, ok = parseClock(t.From); !ok {
		return apperr.E(apperr.Invalid, "booking.template_time", "field", "from")
	}
	if t.end, ok = parseClock(t.To); !ok {
		return apperr.E(apperr.Invalid, "booking.template_time", "field", "to")
	}
	if t.SlotMinutes < MinSlotMinutes || t.SlotMinutes > MaxSlotMinutes {
		return apperr.E(apperr.Invalid, "booking.template_slot", "min", MinSlotMinutes, "max", MaxSlotMinutes)
	}
	if t.end-t.start < t.SlotMinutes {
		return apperr.E(apperr.Invalid, "booking.template_span")
	}
	if t.Capacity < 1 || t.Capacity > MaxCapacity {
		return apperr.E(apperr.Invalid, "booking.template_capacity", "max", MaxCapacity)
	}
	if len(t.Weekdays) == 0 {
		return apperr.E(apperr.Invalid, "booking.template_weekdays")
	}
	days := []int{}
	for _, d := range t.Weekdays {
		if d < 1 || d > 7 {
			return apperr.E(apperr.Invalid, "booking.template_weekdays")
		}
		if !slices.Contains(days, d) {
			days = append(days, d)
		}
	}
	slices.Sort(days)
	t.Weekdays = days
	t.From, t.To = clock(t.start), clock(t.end)
	return nil
}

func (t *Template) weekdaysText() string {
	s := make([]string, len(t.Weekdays))
	for i, d := range t.Weekdays {
		s[i] = strconv.Itoa(d)
	}
	return strings.Join(s, " ")
}

func parseWeekdays(s string) []int {
	out := []int{}
	for _, f := range strings.Fields(s) {
		if n, err := strconv.Atoi(f); err == nil {
			out = append(out, n)
		}
	}
	return out
}

// isoWeekday is 1 (Monday) … 7 (Sunday).
func isoWeekday(d calendar.Date) int {
	if w := int(d.Weekday()); w != 0 {
		return w
	}
	return 7
}

// Slot is one bookable time of a hall's service on a day.
type Slot struct {
	ServiceID string    `json:"service_id"`
	StartsAt  time.Time `json:"starts_at"`
	EndsAt    time.Time `json:"ends_at"`
	Time      string    `json:"time"` // "09:30–10:00", China
	Capacity  int       `json:"capacity"`
	Online    int       `json:"online"` // places bookable online
	Booked    int       `json:"booked"`
	Left      int       `json:"left"`
	// Bookable: places left and inside the window and lead time now.
	Bookable bool `json:"bookable"`
}

// Closure says why a day has no slots ("" when it is open).
type Closure string

// Closures.
const (
	Open       Closure = ""
	RestDay    Closure = "rest_day"    // the working-day calendar's rest day
	ClosedDay  Closure = "blackout"    // an administrator closed the hall that day
	NotLoaded  Closure = "not_loaded"  // the calendar has no notice for the year
	NoTemplate Closure = "no_template" // no template covers the weekday
)

// DaySlots generates a service's slots on day d from its templates: none
// on a rest day of cal (the calendar's make-up working days are worked: a
// weekend day the calendar makes a working day is served by the templates
// of that weekday, or else of Monday) or a blackout day. Overlapping
// templates give the earlier-listed one's slot.
func DaySlots(cal *calendar.Calendar, d calendar.Date, blackout bool, tpls []Template, p Policy) ([]Slot, Closure) {
	work, err := cal.IsWorkday(d)
	switch {
	case err != nil:
		return nil, NotLoaded
	case !work:
		return nil, RestDay
	case blackout:
		return nil, ClosedDay
	}
	wd := isoWeekday(d)
	pick := func(day int) []Template {
		var out []Template
		for _, t := range tpls {
			if t.Active && slices.Contains(t.Weekdays, day) {
				out = append(out, t)
			}
		}
		return out
	}
	use := pick(wd)
	if len(use) == 0 && wd >= 6 {
		use = pick(1)
	}
	if len(use) == 0 {
		return nil, NoTemplate
	}
	midnight := d.Start(calendar.China)
	seen := map[string]bool{}
	var out []Slot
	for _, t := range use {
		if t.start == 0 && t.end == 0 {
			if t.check() != nil {
				continue
			}
		}
		for m := t.start; m+t.SlotMinutes <= t.end; m += t.SlotMinutes {
			at := midnight.Add(time.Duration(m) * time.Minute).UTC()
			key := t.ServiceID + at.String()
			if seen[key] {
				continue
			}
			seen[key] = true
			out = append(out, Slot{ServiceID: t.ServiceID, StartsAt: at, EndsAt: at.Add(time.Duration(t.SlotMinutes) * time.Minute),
				Time: clock(m) + "–" + clock(m+t.SlotMinutes), Capacity: t.Capacity, Online: p.Online(t.Capacity)})
		}
	}
	slices.SortFunc(out, func(a, b Slot) int { return a.StartsAt.Compare(b.StartsAt) })
	return out, Open
}

// Window checks a slot's start against the window and the lead time at
// now: the error says which is broken.
func (p Policy) Window(now, start time.Time) error {
	today := calendar.DateIn(now)
	day := calendar.DateIn(start)
	first, last := today.AddDays(p.MinDaysAhead), today.AddDays(p.MaxDaysAhead)
	switch {
	case !start.After(now):
		return apperr.E(apperr.Invalid, "booking.slot_past")
	case day.Before(first):
		return apperr.E(apperr.Invalid, "booking.too_soon", "first", first.String())
	case day.After(last):
		return apperr.E(apperr.Invalid, "booking.beyond_window", "last", last.String(), "days", p.MaxDaysAhead)
	case start.Sub(now) < time.Duration(p.LeadMinutes)*time.Minute:
		return apperr.E(apperr.Invalid, "booking.lead_time", "minutes", p.LeadMinutes)
	}
	return nil
}
