package supervise

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
)

// followUp is an escalation that acts on the case itself (urge, deem), done
// through the case engine after the signals are committed.
type followUp struct {
	row  clockRow
	rule Rule
}

// recordBatch bounds a write transaction of the scanner, so that a pass with
// many changes does not hold the writer for long.
const recordBatch = 500

// record writes the signal changes with their events, and the reminders the
// rules ask for in the same transactions (a reminder is sent exactly when
// its signal change is recorded). It returns the escalations that act on
// cases.
func (s *Scanner) record(ctx context.Context, now time.Time, cfg *Config, changes []change) ([]followUp, error) {
	var follow []followUp
	var staff []grant
	for i := 0; i < len(changes); i += recordBatch {
		batch := changes[i:min(i+recordBatch, len(changes))]
		var fs []followUp
		err := s.DB.Update(ctx, func(tx *db.Tx) error {
			fs = fs[:0]
			for _, ch := range batch {
				if err := writeSignal(tx, ch); err != nil {
					return err
				}
				for lv := ch.from + 1; lv <= ch.to; lv++ {
					for _, r := range cfg.Rules {
						if !r.matches(ch.row.clock, ch.row.state, ch.row.region, lv) {
							continue
						}
						switch r.Action {
						case ActUrge:
							fs = append(fs, followUp{ch.row, r})
							continue
						case ActDeem:
							continue // by condition, every pass (Pass)
						}
						if staff == nil {
							var err error
							if staff, err = loadStaff(tx); err != nil {
								return err
							}
						}
						if err := s.remind(tx, staff, ch.row, r, lv); err != nil {
							return err
						}
					}
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("supervise: record: %w", err)
		}
		follow = append(follow, fs...)
	}
	return follow, nil
}

// writeSignal records one change: the current signal, and an event when the
// level moves.
func writeSignal(tx *db.Tx, ch change) error {
	r := ch.row
	var err error
	if ch.to == Normal {
		_, err = tx.Exec(`DELETE FROM case_signals WHERE case_id = $1 AND clock = $2`, r.caseID, string(r.clock))
	} else {
		_, err = tx.Exec(`INSERT INTO case_signals (case_id, clock, level, due_at, state, department_id, region_code, since)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (case_id, clock) DO UPDATE SET level = excluded.level, due_at = excluded.due_at, state = excluded.state,
				department_id = excluded.department_id, region_code = excluded.region_code,
				since = CASE WHEN case_signals.level = excluded.level THEN case_signals.since ELSE excluded.since END`,
			r.caseID, string(r.clock), ch.to.String(), r.due, r.state, r.dept, r.region, tx.Now)
	}
	if err != nil || ch.from == ch.to {
		return err
	}
	_, err = tx.Exec(`INSERT INTO signal_events (id, case_id, clock, from_level, to_level, due_at, at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		db.NewID(), r.caseID, string(r.clock), ch.from.String(), ch.to.String(), r.due, tx.Now)
	return err
}

// grant is a staff member's role in a scope.
type grant struct {
	userID, role, dept, region string
}

func loadStaff(tx *db.Tx) ([]grant, error) {
	rows, err := tx.Query(`SELECT g.user_id, g.role, COALESCE(g.department_id, ''), COALESCE(g.region_code, '')
		FROM role_grants g JOIN users u ON u.id = g.user_id
		WHERE NOT u.disabled AND g.role IN ('clerk', 'handler', 'reviewer', 'approver', 'supervisor')`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []grant{}
	for rows.Next() {
		var g grant
		if err := rows.Scan(&g.userID, &g.role, &g.dept, &g.region); err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// holdersOf are the staff holding any of roles over a case in dept and
// region: window clerks and supervisors by region, the back office by
// department within its region (as case lists scope them).
func holdersOf(staff []grant, roles []string, dept, region string) []string {
	var out []string
	for _, g := range staff {
		if !slices.Contains(roles, g.role) {
			continue
		}
		if g.region != "" && !strings.HasPrefix(region, codes.DivisionPrefix(g.region)) {
			continue
		}
		if g.role != "clerk" && g.role != "supervisor" && g.dept != dept {
			continue
		}
		if !slices.Contains(out, g.userID) {
			out = append(out, g.userID)
		}
	}
	slices.Sort(out)
	return out
}

// remind notifies the staff a reminder or an escalation is for.
func (s *Scanner) remind(tx *db.Tx, staff []grant, r clockRow, rule Rule, lv Level) error {
	var to []string
	kind := string(rule.Action)
	switch rule.Action {
	case ActRemind:
		if r.assignee != "" {
			to = []string{r.assignee}
		} else {
			to = holdersOf(staff, s.Cases.Holders(r.process, r.state), r.dept, r.region)
		}
	case ActEscalate:
		to = holdersOf(staff, []string{rule.Role}, r.dept, r.region)
	}
	msg := Message{Key: "notify." + kind, Args: map[string]any{
		"case_no": r.caseNo, "clock": "signal.clock." + string(r.clock), "level": "signal.level." + lv.String(),
		"due_date": calendar.DateIn(r.due.Add(-time.Nanosecond)).String(),
	}}
	dedup := fmt.Sprintf("%s|%s|%s|%s|%s", rule.ID, r.caseID, r.clock, lv, r.due.UTC().Format(time.RFC3339))
	for _, u := range to {
		if err := Notify(tx, u, r.caseID, kind, msg, dedup); err != nil {
			return err
		}
	}
	return nil
}

// follow carries out an escalation on the case through the case engine.
// A case that moved on meanwhile (Conflict) needs nothing more.
func (s *Scanner) follow(ctx context.Context, f followUp) error {
	var err error
	switch f.rule.Action {
	case ActUrge:
		_, err = s.Cases.SystemUrge(ctx, f.row.caseID, "超期红牌：系统自动督办，请尽快办理并答复")
	case ActDeem:
		err = s.Cases.Deem(ctx, f.row.caseID)
	}
	if apperr.CodeOf(err) == apperr.Conflict {
		return nil
	}
	return err
}
