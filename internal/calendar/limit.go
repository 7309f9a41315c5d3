package calendar

import (
	"strconv"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/apperr"
)

// Limit is a time limit in half working days: items publish limits such as
// "0.5 个工作日" (GB/T 39046 allows half-day granularity).
type Limit int

// Days returns a limit of n whole working days.
func Days(n int) Limit { return Limit(2 * n) }

// ParseLimit reads "20", "2.5" or "0.5" (working days, halves only), at
// most MaxDays.
func ParseLimit(s string) (Limit, error) {
	whole, frac, hasFrac := strings.Cut(strings.TrimSpace(s), ".")
	n, err := strconv.Atoi(whole)
	if err != nil || n < 0 || strings.HasPrefix(whole, "+") {
		return 0, apperr.E(apperr.Invalid, "calendar.limit_format", "value", s)
	}
	if n > MaxDays {
		return 0, apperr.E(apperr.Invalid, "calendar.too_many_days", "days", whole, "max", MaxDays)
	}
	l := Limit(2 * n)
	if hasFrac {
		switch strings.TrimRight(frac, "0") {
		case "":
		case "5":
			l++
		default:
			return 0, apperr.E(apperr.Invalid, "calendar.limit_half", "value", s)
		}
	}
	return l, nil
}

func (l Limit) String() string {
	s := strconv.Itoa(int(l) / 2)
	if l%2 != 0 {
		s += ".5"
	}
	return s
}

// Half says which part of a working day a Moment ends.
type Half int

const (
	EndOfDay     Half = iota // the whole day counts
	EndOfMorning             // noon: the first half-day counts
)

// Moment is the end of a working day or of its morning: where a limit in
// half-days runs out.
type Moment struct {
	Date Date
	Half Half
}

// Time is the instant the moment ends in loc: noon, or the next midnight
// (exclusive), so that "due at" compares with timestamps directly.
func (m Moment) Time(loc *time.Location) time.Time {
	if m.Half == EndOfMorning {
		return m.Date.Start(loc).Add(12 * time.Hour)
	}
	return m.Date.AddDays(1).Start(loc)
}

func (m Moment) String() string {
	if m.Half == EndOfMorning {
		return m.Date.String() + "T12:00"
	}
	return m.Date.String()
}
