package supervise

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/notify"
)

// orderRow is a running work-order clock as the scanner reads it, with the
// level recorded so far.
type orderRow struct {
	OrderClock
	level Level
}

const orderSelect = `SELECT kind, order_id, clock, order_no, department_id, region_code, state, roles, assignee_id,
	started_at, due_at, hourly, level FROM order_clocks WHERE stopped_at IS NULL AND `

// passOrders evaluates the running work-order clocks that can be other
// than normal — due before the horizon, or hourly, or already signalled —
// and records the changes with the rules' reminders, as for cases. Its
// cost follows the late and nearly late orders, not the open ones.
func (s *Scanner) passOrders(ctx context.Context, cfg *Config, now time.Time) (read, changed int, err error) {
	horizon, err := s.horizon(now, cfg.maxWarn())
	if err != nil {
		return 0, 0, err
	}
	rows := map[string]orderRow{}
	err = s.DB.View(ctx, func(tx *db.Tx) error {
		for _, q := range []struct {
			where string
			args  []any
		}{
			{`due_at <= $1`, []any{horizon}}, // the index order_clocks_running
			{`hourly`, nil},
			{`level <> 'normal'`, nil}, // the index order_clocks_signalled
		} {
			if err := readOrderClocks(tx, q.where, q.args, rows); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("supervise: read work orders: %w", err)
	}
	type orderChange struct {
		row      orderRow
		from, to Level
	}
	var changes []orderChange
	for _, r := range rows {
		cal := s.Calendars.For(r.Region)
		th := cfg.For(r.Region, "")
		lv, err := EvaluateOrder(r.OrderClock, now, func(now, due time.Time) (Level, error) { return Evaluate(cal, now, due, th) })
		if err != nil {
			s.Log.Error("supervise: work-order clock not evaluated", "order", r.OrderNo, "clock", r.Clock, "err", err)
			continue
		}
		if lv != r.level {
			changes = append(changes, orderChange{r, r.level, lv})
		}
	}
	for i := 0; i < len(changes); i += recordBatch {
		batch := changes[i:min(i+recordBatch, len(changes))]
		err := s.DB.Update(ctx, func(tx *db.Tx) error {
			for _, ch := range batch {
				if err := writeOrderSignal(tx, ch.row, ch.from, ch.to); err != nil {
					return err
				}
				for lv := ch.from + 1; lv <= ch.to; lv++ {
					for _, rule := range cfg.Rules {
						if !rule.matches(ch.row.Clock, ch.row.State, ch.row.Region, lv) {
							continue
						}
						if err := remindOrder(tx, ch.row.OrderClock, rule, lv); err != nil {
							return err
						}
					}
				}
			}
			return nil
		})
		if err != nil {
			return len(rows), 0, fmt.Errorf("supervise: record work orders: %w", err)
		}
	}
	return len(rows), len(changes), nil
}

func readOrderClocks(tx *db.Tx, where string, args []any, into map[string]orderRow) error {
	rows, err := tx.Query(orderSelect+where, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var r orderRow
		var roles, level string
		if err := rows.Scan(&r.Kind, &r.OrderID, &r.Clock, &r.OrderNo, &r.Dept, &r.Region, &r.State, &roles, &r.Assignee,
			&r.Start, &r.Due, &r.Hourly, &level); err != nil {
			return err
		}
		r.Start, r.Due = r.Start.UTC(), r.Due.UTC()
		if roles != "" {
			r.Roles = strings.Split(roles, ",")
		}
		r.level, _ = ParseLevel(level)
		into[r.Kind+"|"+r.OrderID+"|"+string(r.Clock)] = r
	}
	return rows.Err()
}

// writeOrderSignal records a work-order clock's new level with an event and
// an audit record (a signal change is a domain event, as for cases).
func writeOrderSignal(tx *db.Tx, r orderRow, from, to Level) error {
	if _, err := tx.Exec(`UPDATE order_clocks SET level = $1, level_since = $2 WHERE kind = $3 AND order_id = $4 AND clock = $5`,
		to.String(), tx.Now, r.Kind, r.OrderID, string(r.Clock)); err != nil {
		return err
	}
	if _, err := tx.Exec(`INSERT INTO order_signal_events (id, kind, order_id, clock, from_level, to_level, due_at, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, db.NewID(), r.Kind, r.OrderID, string(r.Clock), from.String(), to.String(), r.Due, tx.Now); err != nil {
		return err
	}
	return audit.Append(tx, &audit.Record{Actor: cases.SystemUserID, Role: "system", Action: "signal." + to.String(), ObjectType: r.Kind,
		ObjectID: r.OrderID}, []byte(fmt.Sprintf(`{"clock":%q,"from":%q,"to":%q,"due_at":%q}`, r.Clock, from, to, r.Due.Format(time.RFC3339))))
}

// remindOrder notifies whom a rule names for a work order: for a reminder
// the assignee, else the holders of the order's roles in its department; for
// an escalation the holders of the rule's role. Urging and the case-only
// actions do not apply to work orders (SetRule refuses them).
func remindOrder(tx *db.Tx, c OrderClock, rule Rule, lv Level) error {
	var to []string
	var err error
	switch {
	case rule.Action == ActRemind && c.Assignee != "":
		to = []string{c.Assignee}
	case rule.Action == ActRemind:
		to, err = identity.Holders(tx, c.Roles, c.Dept, c.Region)
	case rule.Action == ActEscalate:
		to, err = identity.Holders(tx, []string{rule.Role}, c.Dept, c.Region)
	default:
		return nil
	}
	if err != nil {
		return err
	}
	kind := "order_" + string(rule.Action)
	due := calendar.DateIn(c.Due.Add(-time.Nanosecond)).String()
	if c.Hourly {
		due = c.Due.In(calendar.China).Format("2006-01-02 15:04")
	}
	msg := notify.Message{Key: "notify." + kind, Args: map[string]any{
		"order_no": c.OrderNo, "clock": "signal.clock." + string(c.Clock), "level": "signal.level." + lv.String(), "due_date": due,
	}}
	dedup := fmt.Sprintf("%s|%s|%s|%s|%s", rule.ID, c.OrderID, c.Clock, lv, c.Due.Format(time.RFC3339))
	for _, u := range to {
		if err := notify.Send(tx, u, "", kind, msg, dedup); err != nil {
			return err
		}
	}
	return nil
}
