package supervise

import (
	"context"
	"fmt"
	"time"

	"github.com/tongban/tongban/internal/anomaly"
	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/notify"
	"github.com/tongban/tongban/internal/stats"
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
func (s *Scanner) record(ctx context.Context, cfg *Config, changes []change) ([]followUp, error) {
	var follow []followUp
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
						if err := s.remind(tx, ch.row, r, lv); err != nil {
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
	// Cards count in the daily figures (R4.5) on the day they are shown.
	var d stats.Delta
	if ch.from < Yellow && ch.to >= Yellow {
		d.Yellow = 1
	}
	if ch.from < Red && ch.to == Red {
		d.Red = 1
	}
	if d != (stats.Delta{}) {
		if err := stats.Add(tx, stats.Key{Day: tx.Now, Department: r.dept, ItemCode: r.itemCode, Region: r.region}, d); err != nil {
			return err
		}
	}
	// Anomalies (R4.4): a pre-review late, or a step late while the case is not.
	if d.Yellow == 1 {
		detail := map[string]any{"due_date": calendar.DateIn(r.due.Add(-time.Nanosecond)).String(), "state": "state." + r.state}
		cause := r.due.UTC().Format(time.RFC3339)
		switch {
		case r.clock == ClockPreReview:
			err = anomaly.Raise(tx, r.caseID, anomaly.PreReviewOverdue, cause, r.dept, r.region, detail)
		case r.clock == ClockStep && !ch.caseLate:
			err = anomaly.Raise(tx, r.caseID, anomaly.StepOverdue, cause, r.dept, r.region, detail)
		}
		if err != nil {
			return err
		}
	}
	if _, err = tx.Exec(`INSERT INTO signal_events (id, case_id, clock, from_level, to_level, due_at, at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		db.NewID(), r.caseID, string(r.clock), ch.from.String(), ch.to.String(), r.due, tx.Now); err != nil {
		return err
	}
	// A signal change is a domain event: audited like a case event.
	return audit.Append(tx, &audit.Record{Actor: cases.SystemUserID, Role: "system", Action: "signal." + ch.to.String(), ObjectType: "case",
		ObjectID: r.caseID}, []byte(fmt.Sprintf(`{"clock":%q,"from":%q,"to":%q,"due_at":%q}`, r.clock, ch.from, ch.to, r.due.UTC().Format(time.RFC3339))))
}

// remind notifies the staff a reminder or an escalation is for: the
// assignee, else the holders of the case's step; or the holders of a role.
func (s *Scanner) remind(tx *db.Tx, r clockRow, rule Rule, lv Level) error {
	var to []string
	var err error
	kind := string(rule.Action)
	switch {
	case rule.Action == ActRemind && r.assignee != "":
		to = []string{r.assignee}
	case rule.Action == ActRemind && r.clock == ClockVerify:
		// The concluded case's state has no holders: the verification is
		// the department's back office's task.
		to, err = identity.Holders(tx, cases.VerifyRoles, r.dept, r.region)
	case rule.Action == ActRemind:
		to, err = identity.Holders(tx, s.Cases.Holders(r.process, r.state), r.dept, r.region)
	case rule.Action == ActEscalate:
		to, err = identity.Holders(tx, []string{rule.Role}, r.dept, r.region)
	}
	if err != nil {
		return err
	}
	msg := notify.Message{Key: "notify." + kind, Args: map[string]any{
		"case_no": r.caseNo, "clock": "signal.clock." + string(r.clock), "level": "signal.level." + lv.String(),
		"due_date": calendar.DateIn(r.due.Add(-time.Nanosecond)).String(),
	}}
	dedup := fmt.Sprintf("%s|%s|%s|%s|%s", rule.ID, r.caseID, r.clock, lv, r.due.UTC().Format(time.RFC3339))
	for _, u := range to {
		if err := notify.Send(tx, u, r.caseID, kind, msg, dedup); err != nil {
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
	case ActTerminate:
		err = s.Cases.TerminateOwed(ctx, f.row.caseID)
	case ActRemind: // on the tolerance clock only (record reminds staff of the others)
		_, err = s.Cases.RemindOwed(ctx, f.row.caseID)
	}
	if apperr.CodeOf(err) == apperr.Conflict {
		return nil
	}
	return err
}
