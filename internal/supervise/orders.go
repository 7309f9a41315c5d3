package supervise

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/paging"
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

// OrderSignalLimit is the default page of order signals (the most serious
// first).
const OrderSignalLimit = 100

// OrderFilter selects order signals: a level ("" all) and the page.
type OrderFilter struct {
	Level   string
	After   string // a continuation token (paging): "" the first page
	PerPage int    // at most paging.MaxSize; 0: OrderSignalLimit
}

// OrderList is the name order-signal pages' continuation tokens carry.
const OrderList = "order_signals"

// OrderPage is a page of order signals, the next page's token ("" on the
// last) and how many there are, counted up to paging.CountCap (Capped: at
// least that many).
type OrderPage struct {
	Signals []OrderSignal
	Next    string
	Total   int
	Capped  bool
}

// OrderSignals lists a page of the signalled work-order clocks u may
// supervise, the most serious and most overdue first (ties by kind, order
// and clock), by keyset on order_clocks_page one level after another, and
// how many there are (capped). A clock with no department yet (a 诉求 not
// dispatched) is seen by the region's supervisors.
func (r *Reader) OrderSignals(ctx context.Context, u *identity.User, f OrderFilter) (*OrderPage, error) {
	if u == nil {
		return nil, apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	if !identity.CanSupervise(u) {
		return nil, apperr.E(apperr.Forbidden, "error.forbidden")
	}
	levels := levelOrder
	if f.Level != "" {
		if lv, ok := ParseLevel(f.Level); !ok || lv == Normal {
			return nil, apperr.E(apperr.Invalid, "signal.level_unknown", "level", f.Level)
		}
		levels = []string{f.Level}
	}
	if f.PerPage <= 0 {
		f.PerPage = OrderSignalLimit
	}
	if f.PerPage > paging.MaxSize {
		return nil, apperr.E(apperr.Invalid, "paging.size_too_large", "max", paging.MaxSize)
	}
	fp := paging.Fingerprint(u.ID, f.Level)
	key, err := paging.Decode(f.After, OrderList, fp, r.DB.Now())
	if err != nil {
		return nil, err
	}
	var afterDue time.Time
	if key != nil {
		if len(key) != 5 || !slices.Contains(levels, key[0]) {
			return nil, apperr.E(apperr.Invalid, "paging.token_malformed")
		}
		if afterDue, err = time.Parse(time.RFC3339Nano, key[1]); err != nil {
			return nil, apperr.E(apperr.Invalid, "paging.token_malformed")
		}
		levels = levels[slices.Index(levels, key[0]):]
	}
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	page := &OrderPage{Signals: []OrderSignal{}}
	sc := identity.SupervisionScope(u, "o.department_id", "o.region_code", arg)
	if sc == "" {
		return page, nil
	}
	// The first two terms are order_clocks_page's own (a partial index).
	where := "o.level <> 'normal' AND o.stopped_at IS NULL AND (" + sc + ")"
	nScope := len(args)
	byLevel := where
	if f.Level != "" {
		byLevel += " AND o.level = " + arg(f.Level)
	}
	out := []OrderSignal{}
	err = r.DB.View(ctx, func(tx *db.Tx) error {
		if err := tx.QueryRow(`SELECT COUNT(*) FROM (SELECT 1 FROM order_clocks o WHERE `+byLevel+fmt.Sprintf(" LIMIT %d) n", paging.CountCap),
			args...).Scan(&page.Total); err != nil {
			return err
		}
		for _, lv := range levels {
			need := f.PerPage + 1 - len(out)
			if need <= 0 {
				break
			}
			la := append([]any{}, args[:nScope]...)
			larg := func(v any) string {
				la = append(la, v)
				return fmt.Sprintf("$%d", len(la))
			}
			cond := where + " AND o.level = " + larg(lv)
			if key != nil && lv == key[0] {
				cond += " AND o.due_at >= " + larg(afterDue) + " AND (o.due_at, o.kind, o.order_id, o.clock) > (" + larg(afterDue) + ", " +
					larg(key[2]) + ", " + larg(key[3]) + ", " + larg(key[4]) + ")"
			}
			rows, err := tx.Query(`SELECT o.kind, o.order_id, o.order_no, o.clock, o.level, o.state, o.department_id, COALESCE(d.name, ''),
					o.region_code, o.due_at, o.level_since
				FROM order_clocks o LEFT JOIN departments d ON d.id = o.department_id
				WHERE `+cond+`
				ORDER BY o.due_at, o.kind, o.order_id, o.clock`+fmt.Sprintf(" LIMIT %d", need), la...)
			if err != nil {
				return err
			}
			for rows.Next() {
				var s OrderSignal
				var since *time.Time
				if err := rows.Scan(&s.Kind, &s.OrderID, &s.OrderNo, &s.Clock, &s.Level, &s.State, &s.DeptID, &s.Department, &s.Region,
					&s.DueAt, &since); err != nil {
					rows.Close()
					return err
				}
				s.DueAt = s.DueAt.UTC()
				if since != nil {
					s.Since = since.UTC()
				}
				out = append(out, s)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, apperr.Internalf("supervise: order signals", err)
	}
	page.Capped = page.Total >= paging.CountCap
	if len(out) > f.PerPage {
		out = out[:f.PerPage]
		l := out[len(out)-1]
		page.Next = paging.Encode(OrderList, fp, []string{l.Level, l.DueAt.Format(time.RFC3339Nano), l.Kind, l.OrderID, string(l.Clock)}, r.DB.Now())
	}
	page.Signals = out
	return page, nil
}
