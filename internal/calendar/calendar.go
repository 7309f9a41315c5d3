package calendar

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/apperr"
)

// dayKind overrides the Monday–Friday rule for one date.
type dayKind uint8

const (
	weekdayRule dayKind = iota
	dayOff              // 放假 (a listed holiday or bridging day)
	makeUpDay           // 调休上班 (a weekend day worked instead)
)

type year struct {
	source string
	days   [367]dayKind // by day of the year
}

// Calendar answers working-day questions for one region. It covers the
// years it was loaded with: a date outside them is an explicit error — or,
// when the set allows the fallback, counted Monday to Friday less the
// statutory holidays (statutory.go) and reported as provisional
// (Provisional), never a silent guess (STANDARDS.md §4).
type Calendar struct {
	region   string
	years    map[int]*year
	fallback bool
}

// Provisional reports whether d lies in a year the calendar has no notice
// for: a working-day count reaching it knows the statutory holidays but not
// the year's 调休 (with the fallback) and must be shown as provisional.
func (c *Calendar) Provisional(d Date) bool {
	_, ok := c.years[d.Year]
	return !ok
}

// NoticeHorizon is how far ahead, in calendar days, the platform wants the
// holiday notices loaded: a case accepted today with the longest limits (a
// promised limit of up to 60 working days, extended by up to 10 more under
// 行政许可法 Art. 42, with weekends and holidays between) has its deadline
// within about four months.
const NoticeHorizon = 120

// Unannounced lists the years from from's through to's that have no holiday
// notice loaded: a deadline reaching them is refused, or with the fallback
// counted without its 调休 and provisional. Operators are warned ahead
// (NoticeHorizon), since the State Council publishes each year's notice in
// the preceding autumn.
func (c *Calendar) Unannounced(from, to Date) []int {
	var out []int
	for y := from.Year; y <= to.Year; y++ {
		if _, ok := c.years[y]; !ok {
			out = append(out, y)
		}
	}
	return out
}

// Unannounced is c.Unannounced over the NoticeHorizon from now.
func Unannounced(c *Calendar, now time.Time) []int {
	today := DateIn(now)
	return c.Unannounced(today, today.AddDays(NoticeHorizon))
}

// YearList writes years for a message: "2027", "2027、2028".
func YearList(years []int) string {
	s := make([]string, len(years))
	for i, y := range years {
		s[i] = strconv.Itoa(y)
	}
	return strings.Join(s, "、")
}

// Fallback reports whether years without a notice are counted Monday to Friday.
func (c *Calendar) Fallback() bool { return c.fallback }

// Region is the division code the calendar applies to ("" for national).
func (c *Calendar) Region() string { return c.region }

// Years lists the loaded years in order.
func (c *Calendar) Years() []int {
	ys := make([]int, 0, len(c.years))
	for y := range c.years {
		ys = append(ys, y)
	}
	slices.Sort(ys)
	return ys
}

// Source names the notice a year's data comes from.
func (c *Calendar) Source(y int) string {
	if yd, ok := c.years[y]; ok {
		return yd.source
	}
	if c.fallback {
		return statutoryYear(y).source
	}
	return ""
}

func (c *Calendar) year(d Date) (*year, error) {
	y, ok := c.years[d.Year]
	if !ok && c.fallback {
		return statutoryYear(d.Year), nil // statutory.go
	}
	if !ok {
		return nil, apperr.E(apperr.Invalid, "calendar.year_not_loaded", "year", d.Year, "years", c.yearList())
	}
	return y, nil
}

func (c *Calendar) yearList() string {
	var ys []string
	for _, y := range c.Years() {
		ys = append(ys, strconv.Itoa(y))
	}
	return strings.Join(ys, ", ")
}

// IsWorkday reports whether d is a working day: Monday–Friday unless listed
// as a day off, or a weekend day listed as a make-up working day.
func (c *Calendar) IsWorkday(d Date) (bool, error) {
	y, err := c.year(d)
	if err != nil {
		return false, err
	}
	switch y.days[d.yearDay()] {
	case dayOff:
		return false, nil
	case makeUpDay:
		return true, nil
	}
	wd := d.Weekday()
	return wd != 0 && wd != 6, nil
}

// Bounds of one question to a calendar. Counting walks day by day, so an
// unbounded count is unbounded work for whoever asks (issue 14: a request
// for a billion working days pinned a core). No administrative limit comes
// near them: the longest statutory limits are months, and a case's whole
// life, pauses included, is years.
const (
	// MaxDays is the most working days AddWorkdays counts (about ten years).
	MaxDays = 2500
	// MaxSpanDays is the widest span WorkdaysBetween counts: twenty years of
	// calendar days.
	MaxSpanDays = 20*365 + 5
)

// AddWorkdays returns the n-th working day after from. The start day never
// counts (行政许可法 Art. 82 as applied: counting starts the next working
// day), so AddWorkdays(d, 0) is d itself. n is at most MaxDays.
func (c *Calendar) AddWorkdays(from Date, n int) (Date, error) {
	if n < 0 {
		return Date{}, apperr.E(apperr.Invalid, "calendar.negative_days", "days", n)
	}
	if n > MaxDays {
		return Date{}, apperr.E(apperr.Invalid, "calendar.too_many_days", "days", n, "max", MaxDays)
	}
	if _, err := c.year(from); err != nil {
		return Date{}, err
	}
	d := from
	for n > 0 {
		d = d.AddDays(1)
		ok, err := c.IsWorkday(d)
		if err != nil {
			return Date{}, err
		}
		if ok {
			n--
		}
	}
	return d, nil
}

// WorkdaysBetween counts the working days in (from, to]: the inverse of
// AddWorkdays. It is negative when to is before from. The dates are at
// most MaxSpanDays apart.
func (c *Calendar) WorkdaysBetween(from, to Date) (int, error) {
	if to.Before(from) {
		n, err := c.WorkdaysBetween(to, from)
		return -n, err
	}
	if from.AddDays(MaxSpanDays).Before(to) {
		return 0, apperr.E(apperr.Invalid, "calendar.span_too_long", "from", from.String(), "to", to.String(), "max", MaxSpanDays)
	}
	if _, err := c.year(from); err != nil {
		return 0, err
	}
	if _, err := c.year(to); err != nil {
		return 0, err
	}
	n := 0
	for d := from.AddDays(1); !d.After(to); d = d.AddDays(1) {
		ok, err := c.IsWorkday(d)
		if err != nil {
			return 0, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}

// Deadline is where a limit counted from from runs out: an odd number of
// half-days ends at noon of the last working day.
func (c *Calendar) Deadline(from Date, l Limit) (Moment, error) {
	if l < 0 {
		return Moment{}, apperr.E(apperr.Invalid, "calendar.negative_days", "days", l.String())
	}
	d, err := c.AddWorkdays(from, (int(l)+1)/2)
	if err != nil {
		return Moment{}, err
	}
	if l%2 == 1 {
		return Moment{Date: d, Half: EndOfMorning}, nil
	}
	return Moment{Date: d, Half: EndOfDay}, nil
}

// HalfDaysBetween counts the working half-days after from up to to; a
// Moment at noon of a working day counts its morning.
func (c *Calendar) HalfDaysBetween(from, to Moment) (Limit, error) {
	whole, err := c.WorkdaysBetween(from.Date, to.Date)
	if err != nil {
		return 0, err
	}
	l := Limit(2 * whole)
	adjust := func(m Moment, sign Limit) error {
		if m.Half != EndOfMorning {
			return nil
		}
		ok, err := c.IsWorkday(m.Date)
		if ok {
			l += sign // the afternoon of m's day is not reached
		}
		return err
	}
	if err := adjust(to, -1); err != nil {
		return 0, err
	}
	if err := adjust(from, +1); err != nil {
		return 0, err
	}
	return l, nil
}
