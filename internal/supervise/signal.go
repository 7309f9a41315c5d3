// Package supervise is electronic supervision (电子监察, R4): the signal of
// every running clock of every open case (normal, 预警, 黄牌, 红牌), the
// scanner that keeps them and escalates by rule, urging, reminders, and the
// figures supervisors read.
package supervise

import (
	"fmt"
	"time"

	"github.com/tongban/tongban/internal/calendar"
)

// Level is a signal: how close to or how far past its deadline a clock is.
type Level int

const (
	Normal  Level = iota
	Warning       // 预警: the deadline is near
	Yellow        // 黄牌: late
	Red           // 红牌: seriously late
)

var levelNames = []string{"normal", "warning", "yellow", "red"}

func (l Level) String() string { return levelNames[l] }

// ParseLevel reads a level name.
func ParseLevel(s string) (Level, bool) {
	for i, n := range levelNames {
		if n == s {
			return Level(i), true
		}
	}
	return Normal, false
}

// Clock is which limit a signal watches.
type Clock string

const (
	ClockDecision  Clock = "decision"   // 承诺时限: from acceptance to the decision
	ClockStep      Clock = "step"       // the current step's own limit
	ClockPreReview Clock = "pre_review" // 网上预审
	ClockNotice    Clock = "notice"     // 行政许可法 Art. 32: the one-time correction notice within five days
	// ClockTolerance is 容缺受理's: the materials owed at acceptance are due.
	// It raises no signal — a late applicant is not the agency's delay, and
	// cards and figures measure the agency — only a rule acts on it
	// (ActTerminate).
	ClockTolerance Clock = "tolerance"
	// ClockVerify is 告知承诺's post-verification (事后核查): after a decision
	// granted on the applicant's promise, the granting department checks the
	// promise by a deadline (国办发〔2020〕42号). It is the department's task
	// with its own signals and rules like the other clocks.
	ClockVerify Clock = "verify"
)

// Clocks lists every clock in the order pages show them.
var Clocks = []Clock{ClockDecision, ClockStep, ClockPreReview, ClockNotice, ClockVerify}

// Thresholds are in working days. STANDARDS.md §3 (Shouguang's practice;
// there is no national numeric rule): warning when at most Warn working days
// remain, yellow when Yellow working days late, red when Red or more.
type Thresholds struct {
	Warn   int `json:"warn_days"`
	Yellow int `json:"yellow_days"`
	Red    int `json:"red_days"`
}

// DefaultThresholds are STANDARDS.md §3's.
var DefaultThresholds = Thresholds{Warn: 1, Yellow: 1, Red: 2}

// MaxThresholdDays bounds every threshold: a card a working year late says
// nothing a shorter one does not, and the columns are 32-bit on PostgreSQL
// (a larger number answered 500 there and was stored on SQLite).
const MaxThresholdDays = 250

// Validate checks that the levels come in order and within MaxThresholdDays.
func (t Thresholds) Validate() error {
	if t.Warn < 0 || t.Yellow < 1 || t.Red <= t.Yellow || t.Warn > MaxThresholdDays || t.Red > MaxThresholdDays {
		return fmt.Errorf("supervise: thresholds need warn ≥ 0, yellow ≥ 1, red > yellow (got %d, %d, %d)", t.Warn, t.Yellow, t.Red)
	}
	return nil
}

// Evaluate is the level of a clock due at due, at now. Working days are
// whole days in China time (行政许可法 Art. 82): a deadline that runs out at
// midnight is one working day late on the next working day, whatever the
// hour; a clock past its instant but not yet a working day late (a half-day
// limit that ran out at noon, or a weekend after the last day) is a warning.
func Evaluate(cal *calendar.Calendar, now, due time.Time, t Thresholds) (Level, error) {
	left, err := WorkdaysLeft(cal, now, due)
	if err != nil {
		return Normal, err
	}
	if now.Before(due) {
		if left <= t.Warn {
			return Warning, nil
		}
		return Normal, nil
	}
	switch late := -left; {
	case late >= t.Red:
		return Red, nil
	case late >= t.Yellow:
		return Yellow, nil
	default:
		return Warning, nil
	}
}

// WorkdaysLeft counts the working days after today up to the last day of
// the deadline: 0 when due today, -n when n working days late.
func WorkdaysLeft(cal *calendar.Calendar, now, due time.Time) (int, error) {
	return cal.WorkdaysBetween(calendar.DateIn(now), calendar.DateIn(due.Add(-time.Nanosecond)))
}

// Horizon is an instant no earlier than the due instant of any clock that
// is not normal at now under thresholds whose largest warning is warn: a
// clock due after it is normal. The scanner reads only clocks due at or
// before it — an index range — and evaluates those exactly.
func Horizon(cal *calendar.Calendar, now time.Time, warn int) (time.Time, error) {
	// Not normal ⇔ WorkdaysLeft ≤ warn ⇔ the last day is before D, the
	// (warn+1)-th working day after today ⇔ due ≤ the midnight starting D.
	d, err := cal.AddWorkdays(calendar.DateIn(now), warn+1)
	if err != nil {
		return time.Time{}, err
	}
	return d.Start(calendar.China).UTC(), nil
}
