package supervise

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
)

// Work orders (工单) — a 差评's rectification, a 诉求 — run on the same
// working-day clocks as cases (issue 18): the domain starts a clock with its
// deadline, stops it when the step is done, and the scanner gives the
// running ones their level (预警/黄牌/红牌), records each change and acts on
// the escalation rules that name the clock, like a case's.

// The work-order clocks.
const (
	ClockRatingVerify   Clock = "rating_verify"   // 差评核实: 1 working day from the rating (国办发〔2019〕51号)
	ClockRatingRectify  Clock = "rating_rectify"  // 差评整改: 15 working days from the rating
	ClockAppealDispatch Clock = "appeal_dispatch" // 诉求派单: from acceptance (urgent ones in hours)
	ClockAppealSign     Clock = "appeal_sign"     // 签收: from dispatch
	ClockAppealReply    Clock = "appeal_reply"    // 办理时限: from dispatch, not from signing for
)

// OrderClockNames lists the work-order clocks in the order pages show them.
var OrderClockNames = []Clock{ClockRatingVerify, ClockRatingRectify, ClockAppealDispatch, ClockAppealSign, ClockAppealReply}

// The kinds of work order.
const (
	OrderRating = "rating" // 差评工单
	OrderAppeal = "appeal" // 诉求工单
)

// OrderClock is one running clock of a work order. The domain computes Due:
// working days on the region's calendar, or hours when Hourly.
type OrderClock struct {
	Kind     string
	OrderID  string
	OrderNo  string // shown in reminders and lists
	Clock    Clock
	State    string   // the order's state now: a rule may name one
	Dept     string   // the department responsible now ("" before dispatch)
	Region   string   // the order's region
	Roles    []string // reminded when there is no Assignee
	Assignee string   // a user id, or ""
	Start    time.Time
	Due      time.Time
	// Hourly is a limit in hours (an urgent 诉求's dispatch): its level
	// goes by instants — a warning once half the limit is gone, yellow at
	// Due, red once late by the whole limit again — not by working days.
	Hourly bool
}

// OrderClockView is a clock of an order as its page shows it.
type OrderClockView struct {
	Clock     Clock      `json:"clock"`
	StartedAt time.Time  `json:"started_at"`
	DueAt     time.Time  `json:"due_at"`
	Hourly    bool       `json:"hourly"`
	Level     string     `json:"level"`
	StoppedAt *time.Time `json:"stopped_at,omitempty"`
	OnTime    *bool      `json:"on_time,omitempty"`
}

func isOrderClock(c Clock) bool {
	for _, k := range OrderClockNames {
		if k == c {
			return true
		}
	}
	return false
}

func checkOrderKey(kind, orderID string, clock Clock) error {
	if kind != OrderRating && kind != OrderAppeal {
		return fmt.Errorf("supervise: unknown work-order kind %q", kind)
	}
	if orderID == "" {
		return errors.New("supervise: a work-order clock needs the order's id")
	}
	if !isOrderClock(clock) {
		return fmt.Errorf("supervise: %q is not a work-order clock", clock)
	}
	return nil
}

// StartOrderClock starts a clock of a work order in the caller's
// transaction, or restarts it (重办, a new deadline): any earlier run of the
// same clock of the order is replaced, its level back to normal.
func StartOrderClock(tx *db.Tx, c OrderClock) error {
	if err := checkOrderKey(c.Kind, c.OrderID, c.Clock); err != nil {
		return err
	}
	if c.Region == "" || c.Due.IsZero() || c.Start.IsZero() || c.Due.Before(c.Start) {
		return fmt.Errorf("supervise: work-order clock %s/%s needs a region and a due instant after its start", c.Kind, c.Clock)
	}
	_, err := tx.Exec(`INSERT INTO order_clocks (kind, order_id, clock, order_no, department_id, region_code, state, roles, assignee_id,
			started_at, due_at, hourly, level, level_since, stopped_at, on_time)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'normal', NULL, NULL, NULL)
		ON CONFLICT (kind, order_id, clock) DO UPDATE SET order_no = excluded.order_no, department_id = excluded.department_id,
			region_code = excluded.region_code, state = excluded.state, roles = excluded.roles, assignee_id = excluded.assignee_id,
			started_at = excluded.started_at, due_at = excluded.due_at, hourly = excluded.hourly, level = 'normal',
			level_since = NULL, stopped_at = NULL, on_time = NULL`,
		c.Kind, c.OrderID, string(c.Clock), c.OrderNo, c.Dept, c.Region, c.State, strings.Join(c.Roles, ","), c.Assignee,
		c.Start.UTC(), c.Due.UTC(), c.Hourly)
	return err
}

// StopOrderClock stops a running clock of an order at tx.Now and says
// whether it met its deadline (stopped at or before it). Its signal, if
// any, ends with an event. A clock that is not running answers how its
// last run ended, or true when it never ran.
func StopOrderClock(tx *db.Tx, kind, orderID string, clock Clock) (bool, error) {
	if err := checkOrderKey(kind, orderID, clock); err != nil {
		return false, err
	}
	var due time.Time
	var level string
	var stopped *time.Time
	var onTime *bool
	err := tx.QueryRow(`SELECT due_at, level, stopped_at, on_time FROM order_clocks WHERE kind = $1 AND order_id = $2 AND clock = $3`,
		kind, orderID, string(clock)).Scan(&due, &level, &stopped, &onTime)
	if errors.Is(err, sql.ErrNoRows) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	if stopped != nil {
		return onTime == nil || *onTime, nil
	}
	met := !tx.Now.After(due)
	if _, err := tx.Exec(`UPDATE order_clocks SET stopped_at = $1, on_time = $2, level = 'normal', level_since = NULL
		WHERE kind = $3 AND order_id = $4 AND clock = $5`, tx.Now, met, kind, orderID, string(clock)); err != nil {
		return false, err
	}
	if level != Normal.String() {
		if _, err := tx.Exec(`INSERT INTO order_signal_events (id, kind, order_id, clock, from_level, to_level, due_at, at)
			VALUES ($1, $2, $3, $4, $5, 'normal', $6, $7)`, db.NewID(), kind, orderID, string(clock), level, due, tx.Now); err != nil {
			return false, err
		}
	}
	return met, nil
}

// MoveOrder records that an order changed state, department (改派) or
// assignee: its running clocks follow, so reminders reach whoever holds it
// now and the signal counts for that department.
func MoveOrder(tx *db.Tx, kind, orderID, state, dept, assignee string) error {
	if kind != OrderRating && kind != OrderAppeal {
		return fmt.Errorf("supervise: unknown work-order kind %q", kind)
	}
	_, err := tx.Exec(`UPDATE order_clocks SET state = $1, department_id = $2, assignee_id = $3
		WHERE kind = $4 AND order_id = $5 AND stopped_at IS NULL`, state, dept, assignee, kind, orderID)
	return err
}

// OrderClocks lists an order's clocks, running and stopped, in the order
// of OrderClockNames.
func OrderClocks(tx *db.Tx, kind, orderID string) ([]OrderClockView, error) {
	rows, err := tx.Query(`SELECT clock, started_at, due_at, hourly, level, stopped_at, on_time FROM order_clocks
		WHERE kind = $1 AND order_id = $2`, kind, orderID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	byClock := map[Clock]OrderClockView{}
	for rows.Next() {
		var v OrderClockView
		if err := rows.Scan(&v.Clock, &v.StartedAt, &v.DueAt, &v.Hourly, &v.Level, &v.StoppedAt, &v.OnTime); err != nil {
			return nil, err
		}
		v.StartedAt, v.DueAt = v.StartedAt.UTC(), v.DueAt.UTC()
		if v.StoppedAt != nil {
			t := v.StoppedAt.UTC()
			v.StoppedAt = &t
		}
		byClock[v.Clock] = v
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := []OrderClockView{}
	for _, c := range OrderClockNames {
		if v, ok := byClock[c]; ok {
			out = append(out, v)
		}
	}
	return out, nil
}

// EvaluateOrder is the level of a running work-order clock at now: by
// working days like a case's (Evaluate), or by instants when hourly.
func EvaluateOrder(c OrderClock, now time.Time, evalDays func(now, due time.Time) (Level, error)) (Level, error) {
	if !c.Hourly {
		return evalDays(now, c.Due)
	}
	limit := c.Due.Sub(c.Start)
	switch {
	case !now.Before(c.Due.Add(limit)):
		return Red, nil
	case !now.Before(c.Due):
		return Yellow, nil
	case !now.Before(c.Due.Add(-limit / 2)):
		return Warning, nil
	}
	return Normal, nil
}

// OrderSignal is a work order whose clock is signalled, as supervisors list
// it: the order by number, never the person behind it.
type OrderSignal struct {
	Kind       string    `json:"kind"`
	OrderID    string    `json:"order_id"`
	OrderNo    string    `json:"order_no"`
	Clock      Clock     `json:"clock"`
	Level      string    `json:"level"`
	State      string    `json:"state"`
	DeptID     string    `json:"department_id"`
	Department string    `json:"department"`
	Region     string    `json:"region_code"`
	DueAt      time.Time `json:"due_at"`
	Since      time.Time `json:"since"`
}

// OrderSignalLimit bounds the list of order signals (the most serious
// first); the count says how many there are in all.
const OrderSignalLimit = 100

// OrderSignals lists the signalled work-order clocks u may supervise, the
// most serious and most overdue first, and how many there are. A clock with
// no department yet (a 诉求 not dispatched) is seen by the region's
// supervisors.
func (r *Reader) OrderSignals(ctx context.Context, u *identity.User, level string) ([]OrderSignal, int, error) {
	if u == nil {
		return nil, 0, apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	if !identity.CanSupervise(u) {
		return nil, 0, apperr.E(apperr.Forbidden, "error.forbidden")
	}
	if level != "" {
		if lv, ok := ParseLevel(level); !ok || lv == Normal {
			return nil, 0, apperr.E(apperr.Invalid, "signal.level_unknown", "level", level)
		}
	}
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	sc := identity.SupervisionScope(u, "o.department_id", "o.region_code", arg)
	if sc == "" {
		return []OrderSignal{}, 0, nil
	}
	where := "o.level <> 'normal' AND o.stopped_at IS NULL AND (" + sc + ")"
	if level != "" {
		where += " AND o.level = " + arg(level)
	}
	out := []OrderSignal{}
	var total int
	err := r.DB.View(ctx, func(tx *db.Tx) error {
		if err := tx.QueryRow(`SELECT COUNT(*) FROM order_clocks o WHERE `+where, args...).Scan(&total); err != nil {
			return err
		}
		rows, err := tx.Query(`SELECT o.kind, o.order_id, o.order_no, o.clock, o.level, o.state, o.department_id, COALESCE(d.name, ''),
				o.region_code, o.due_at, o.level_since
			FROM order_clocks o LEFT JOIN departments d ON d.id = o.department_id
			WHERE `+where+`
			ORDER BY CASE o.level WHEN 'red' THEN 0 WHEN 'yellow' THEN 1 ELSE 2 END, o.due_at, o.order_no`+
			fmt.Sprintf(" LIMIT %d", OrderSignalLimit), args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var s OrderSignal
			var since *time.Time
			if err := rows.Scan(&s.Kind, &s.OrderID, &s.OrderNo, &s.Clock, &s.Level, &s.State, &s.DeptID, &s.Department, &s.Region,
				&s.DueAt, &since); err != nil {
				return err
			}
			s.DueAt = s.DueAt.UTC()
			if since != nil {
				s.Since = since.UTC()
			}
			out = append(out, s)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, 0, apperr.Internalf("supervise: order signals", err)
	}
	return out, total, nil
}
