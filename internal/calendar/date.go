// Package calendar is the working-day calendar (工作日历) and the deadline
// arithmetic of 行政许可法 Art. 82: time limits are counted in working days,
// statutory holidays excluded, the day of acceptance not counted. It is pure:
// calendars are built from data (embedded national years plus files) and
// every function is deterministic.
package calendar

import (
	"time"

	"github.com/tongban/tongban/internal/apperr"
)

// China has kept one time zone without daylight saving since 1991; a fixed
// zone avoids depending on the host's tz database.
var China = time.FixedZone("CST", 8*3600)

// Date is a civil date with no time zone.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate reads YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, apperr.E(apperr.Invalid, "calendar.date_format", "value", s)
	}
	return DateOf(t), nil
}

// DateOf is the date of t in t's own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// DateIn is the date of instant t in China.
func DateIn(t time.Time) Date { return DateOf(t.In(China)) }

func (d Date) t() time.Time          { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }
func (d Date) String() string        { return d.t().Format(time.DateOnly) }
func (d Date) AddDays(n int) Date    { return DateOf(d.t().AddDate(0, 0, n)) }
func (d Date) Weekday() time.Weekday { return d.t().Weekday() }
func (d Date) Before(o Date) bool    { return d.t().Before(o.t()) }
func (d Date) After(o Date) bool     { return d.t().After(o.t()) }
func (d Date) IsZero() bool          { return d == Date{} }
func (d Date) yearDay() int          { return d.t().YearDay() }
func (d Date) Start(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// MarshalText and UnmarshalText make Date read and write as YYYY-MM-DD.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}
