package cases

import (
	"time"

	"github.com/tongban/tongban/internal/calendar"
)

// The clock of a case (R4.1), pure: deadlines are working days from the
// calendar, counted from the day after the start (行政许可法 Art. 82), and
// stored as the instant the limit runs out so that "due before X" is a range
// query on an indexed column.

// NoticeLimit is the Art. 32 limit for the one-time correction notice: five
// days from receipt, or the application counts as accepted.
var NoticeLimit = calendar.Days(5)

// deadline is when limit l, counted from the day of start, runs out.
func deadline(cal *calendar.Calendar, start time.Time, l calendar.Limit) (time.Time, error) {
	m, err := cal.Deadline(calendar.DateIn(start), l)
	if err != nil {
		return time.Time{}, err
	}
	return m.Time(calendar.China).UTC(), nil
}

// decisionDue is the decision deadline: the promised limit plus extensions
// (延长审批) plus the working days special procedures stood still, counted
// from the day of acceptance. 行政许可法 Art. 45: the time of 听证、检验、
// 检测、检疫、鉴定、专家评审 does not count toward the limit.
func decisionDue(cal *calendar.Calendar, accepted time.Time, promised, extension calendar.Limit, pausedDays int) (time.Time, error) {
	return deadline(cal, accepted, promised+extension+calendar.Days(pausedDays))
}

// pausedWorkdays counts the working days d with start ≤ d < end (by date in
// China) that fall after the day the clock started: the day of acceptance
// never counts, so a pause on it takes nothing off the clock.
func pausedWorkdays(cal *calendar.Calendar, clockStart, start, end time.Time) (int, error) {
	s, e := calendar.DateIn(start), calendar.DateIn(end)
	if first := calendar.DateIn(clockStart).AddDays(1); s.Before(first) {
		s = first
	}
	if !s.Before(e) {
		return 0, nil
	}
	return cal.WorkdaysBetween(s.AddDays(-1), e.AddDays(-1))
}

// DueDate is the last day of a deadline: the day a limit ending at midnight
// ends on, or the day whose noon ends a half-day limit.
func DueDate(dueAt time.Time) calendar.Date {
	return calendar.DateIn(dueAt.Add(-time.Nanosecond))
}

// WorkdaysLeft is the number of working days after today up to the due
// date: 0 when due today, negative when overdue (-1: one working day late).
func WorkdaysLeft(cal *calendar.Calendar, now, dueAt time.Time) (int, error) {
	return cal.WorkdaysBetween(calendar.DateIn(now), DueDate(dueAt))
}
