package appeal

import (
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/supervise"
)

// Kind is the work-order kind of 诉求 in supervise's order clocks.
const Kind = supervise.OrderAppeal

// Limits are an order's time limits (appeal_limits, per type and urgency).
type Limits struct {
	DispatchHours int // > 0: dispatch within so many hours (an hourly clock)
	DispatchDays  int // else within so many working days of acceptance
	SignDays      int // working days from dispatch
	ReplyDays     int // working days from dispatch
}

// limitsOf reads the limits of a type and urgency.
func limitsOf(tx *db.Tx, typ, urgency string) (Limits, error) {
	var l Limits
	err := tx.QueryRow(`SELECT dispatch_hours, dispatch_days, sign_days, reply_days FROM appeal_limits WHERE type = $1 AND urgency = $2`,
		typ, urgency).Scan(&l.DispatchHours, &l.DispatchDays, &l.SignDays, &l.ReplyDays)
	if err != nil {
		return l, db.NotFound(err, "appeal.limits_missing", "type", typ, "urgency", urgency)
	}
	return l, nil
}

// workdays is the end of the n-th working day after from on the region's
// calendar (the start day never counts), as the case clocks count.
func (s *Service) workdays(region string, from time.Time, n int) (time.Time, error) {
	cals := s.Calendars
	if cals == nil {
		cals = calendar.National()
	}
	m, err := cals.For(region).Deadline(calendar.DateIn(from), calendar.Days(n))
	if err != nil {
		return time.Time{}, err
	}
	return m.Time(calendar.China).UTC(), nil
}

// orderClock is an order's clock as supervise keeps it.
func orderClock(a *Appeal, c supervise.Clock, start, due time.Time, hourly bool) supervise.OrderClock {
	oc := supervise.OrderClock{Kind: Kind, OrderID: a.ID, OrderNo: a.No, Clock: c, State: a.State, Region: a.RegionCode,
		Start: start, Due: due, Hourly: hourly}
	if c == supervise.ClockAppealDispatch {
		oc.Roles = []string{string(identity.RoleClerk)}
	} else {
		oc.Dept, oc.Assignee, oc.Roles = a.DepartmentID, a.AssigneeID, []string{string(identity.RoleHandler)}
	}
	return oc
}

// startDispatch starts the dispatch clock at acceptance (or at a 重办 of
// an order answered directly): urgent orders within hours, others within
// working days.
func (s *Service) startDispatch(tx *db.Tx, a *Appeal) error {
	l, err := limitsOf(tx, a.Type, a.Urgency)
	if err != nil {
		return err
	}
	due, hourly := tx.Now.Add(time.Duration(l.DispatchHours)*time.Hour), true
	if l.DispatchHours <= 0 {
		if due, err = s.workdays(a.RegionCode, tx.Now, l.DispatchDays); err != nil {
			return err
		}
		hourly = false
	}
	if _, err := tx.Exec(`UPDATE appeals SET dispatch_due = $1 WHERE id = $2`, due, a.ID); err != nil {
		return err
	}
	return supervise.StartOrderClock(tx, orderClock(a, supervise.ClockAppealDispatch, tx.Now, due, hourly))
}

// startHandling starts the sign and reply clocks at dispatch (both from
// DISPATCH, so a department that never signs does not stop its reply
// clock) and stops the dispatch clock.
func (s *Service) startHandling(tx *db.Tx, a *Appeal) error {
	l, err := limitsOf(tx, a.Type, a.Urgency)
	if err != nil {
		return err
	}
	signDue, err := s.workdays(a.RegionCode, tx.Now, l.SignDays)
	if err != nil {
		return err
	}
	replyDue, err := s.workdays(a.RegionCode, tx.Now, l.ReplyDays)
	if err != nil {
		return err
	}
	if _, err := supervise.StopOrderClock(tx, Kind, a.ID, supervise.ClockAppealDispatch); err != nil {
		return err
	}
	if _, err := tx.Exec(`UPDATE appeals SET dispatch_due = NULL, sign_due = $1, reply_due = $2 WHERE id = $3`, signDue, replyDue, a.ID); err != nil {
		return err
	}
	a.SignDue, a.ReplyDue = &signDue, &replyDue
	if err := supervise.StartOrderClock(tx, orderClock(a, supervise.ClockAppealSign, tx.Now, signDue, false)); err != nil {
		return err
	}
	return supervise.StartOrderClock(tx, orderClock(a, supervise.ClockAppealReply, tx.Now, replyDue, false))
}

// restartReply starts the reply clock again: after a 重办, from now with
// the type's limit.
func (s *Service) restartReply(tx *db.Tx, a *Appeal) error {
	l, err := limitsOf(tx, a.Type, a.Urgency)
	if err != nil {
		return err
	}
	due, err := s.workdays(a.RegionCode, tx.Now, l.ReplyDays)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(`UPDATE appeals SET reply_due = $1 WHERE id = $2`, due, a.ID); err != nil {
		return err
	}
	return supervise.StartOrderClock(tx, orderClock(a, supervise.ClockAppealReply, tx.Now, due, false))
}

// extendReply moves the running reply clock's deadline by days working
// days (an approved 延期), keeping its start.
func (s *Service) extendReply(tx *db.Tx, a *Appeal, days int) error {
	if a.ReplyDue == nil || a.DispatchedAt == nil {
		return apperr.E(apperr.Conflict, "appeal.transition", "state", "appeal.state."+a.State)
	}
	due, err := s.workdays(a.RegionCode, a.ReplyDue.Add(-time.Second), days) // the deadline is the end of its last day
	if err != nil {
		return err
	}
	if _, err := tx.Exec(`UPDATE appeals SET reply_due = $1 WHERE id = $2`, due, a.ID); err != nil {
		return err
	}
	a.ReplyDue = &due
	return supervise.StartOrderClock(tx, orderClock(a, supervise.ClockAppealReply, *a.DispatchedAt, due, false))
}

// stop stops clocks of an order and clears their deadlines.
func stop(tx *db.Tx, a *Appeal, clocks ...supervise.Clock) error {
	for _, c := range clocks {
		if _, err := supervise.StopOrderClock(tx, Kind, a.ID, c); err != nil {
			return err
		}
		col := map[supervise.Clock]string{supervise.ClockAppealDispatch: "dispatch_due", supervise.ClockAppealSign: "sign_due",
			supervise.ClockAppealReply: "reply_due"}[c]
		if _, err := tx.Exec(`UPDATE appeals SET `+col+` = NULL WHERE id = $1`, a.ID); err != nil {
			return err
		}
	}
	return nil
}

// move tells the running clocks the order's state, department and
// assignee now.
func move(tx *db.Tx, a *Appeal) error {
	return supervise.MoveOrder(tx, Kind, a.ID, a.State, a.DepartmentID, a.AssigneeID)
}
