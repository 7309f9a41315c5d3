package supervise

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/notify"
	"github.com/tongban/tongban/internal/stats"
)

// Scanner keeps the signals of every open case (R4.1, R4.2). It runs every
// minute in every replica but acts in one: the holder of the "supervise"
// lease. A pass reads only the clocks that can be other than normal — an
// index range on each stored deadline, up to the horizon — and the signals
// already recorded, evaluates each exactly, and writes the differences: so
// its cost follows the number of late or nearly late cases, not the number
// of open ones. A pass is idempotent (it recomputes, it does not count), and
// a case that cannot be evaluated is logged and skipped, its signal kept.
type Scanner struct {
	DB        *db.DB
	Catalog   *catalog.Catalog
	Calendars *calendar.Set
	Cases     *cases.Service
	Log       *slog.Logger
	Holder    string // this replica, for the lease
	Home      string // the installation's region, for the national calendar
}

// LeaseName is the scanner's lease.
const LeaseName = "supervise"

// Report says what a pass did.
type Report struct {
	Clocks  int           `json:"clocks"`  // clocks read (due before the horizon, or signalled)
	Changed int           `json:"changed"` // signal changes recorded
	Actions int           `json:"actions"` // escalation actions taken
	Failed  int           `json:"failed"`  // clocks skipped because they could not be evaluated
	Took    time.Duration `json:"-"`
	TookMS  float64       `json:"took_ms"`
}

// clockRow is one running clock of a case as the scanner reads it.
type clockRow struct {
	caseID, caseNo, itemCode, region, dept, state, process, assignee string
	itemVersion                                                      int
	clock                                                            Clock
	due                                                              time.Time
}

// signal is a recorded signal, with the department it is counted for.
type signal struct {
	level Level
	due   time.Time
	dept  string
}

type clockKey struct {
	caseID string
	clock  Clock
}

// change is one signal that moves.
type change struct {
	row      clockRow
	from, to Level
	caseLate bool // the case's decision clock is at yellow or worse
}

// clockQueries read the clocks due at or before the horizon ($1). Each is a
// range on an indexed deadline (see migrations 00005 and 00006). A stopped
// clock (a special procedure) does not run toward its deadline.
var clockQueries = map[Clock]string{
	ClockDecision:  `c.clock = 'decision' AND c.due_at <= $1`,
	ClockStep:      `c.step_due_at <= $1 AND c.clock <> 'paused'`,
	ClockPreReview: `c.pre_review_due_at <= $1`,
	ClockNotice:    `c.notice_due_at <= $1`,
	ClockTolerance: `c.tolerance_due_at <= $1 AND c.tolerance <> ''`,
	// verify_due_at is cleared when the verification is recorded.
	ClockVerify: `c.verify_due_at <= $1`,
}

var clockColumns = map[Clock]string{
	ClockDecision: "c.due_at", ClockStep: "c.step_due_at", ClockPreReview: "c.pre_review_due_at", ClockNotice: "c.notice_due_at",
	ClockTolerance: "c.tolerance_due_at", ClockVerify: "c.verify_due_at",
}

const clockSelect = `SELECT c.id, COALESCE(c.case_no, ''), c.impl_code, c.item_version, c.region_code, c.department_id,
	c.state, c.process, COALESCE(c.assignee_id, ''), %s FROM cases c WHERE %s`

// Pass runs the scanner once, whoever holds the lease (Run takes it).
func (s *Scanner) Pass(ctx context.Context) (Report, error) {
	start := time.Now()
	rep := Report{}
	now := s.DB.Now()
	var cfg *Config
	clocks := map[clockKey]clockRow{}
	owed := map[clockKey]clockRow{} // 容缺 materials past due: no signal, rules only
	current := map[clockKey]signal{}
	types := map[string]string{} // item code@version → item type
	err := s.DB.View(ctx, func(tx *db.Tx) error {
		var err error
		if cfg, err = LoadConfig(tx); err != nil {
			return err
		}
		horizon, err := s.horizon(now, cfg.maxWarn())
		if err != nil {
			return err
		}
		for _, k := range Clocks {
			if err := readClocks(tx, k, horizon, clocks); err != nil {
				return err
			}
		}
		if err := readClocks(tx, ClockTolerance, horizon, owed); err != nil {
			return err
		}
		// Signalled clocks beyond the horizon (an extension moved the
		// deadline) or no longer running are read too, to be cleared.
		rows, err := tx.Query(`SELECT case_id, clock, level, due_at, department_id FROM case_signals`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k clockKey
			var level string
			var sg signal
			if err := rows.Scan(&k.caseID, &k.clock, &level, &sg.due, &sg.dept); err != nil {
				return err
			}
			sg.level, _ = ParseLevel(level)
			current[k] = sg
		}
		if err := rows.Err(); err != nil {
			return err
		}
		for _, r := range merged(clocks, owed) {
			key := fmt.Sprintf("%s@%d", r.itemCode, r.itemVersion)
			if _, ok := types[key]; ok {
				continue
			}
			if it, err := s.Catalog.ItemAt(tx, r.itemCode, r.itemVersion); err == nil {
				types[key] = it.Type
			} else {
				types[key] = "" // evaluated under the region's general thresholds
				s.Log.Warn("supervise: item of a case unreadable", "item", key, "err", err)
			}
		}
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("supervise: read: %w", err)
	}
	rep.Clocks = len(clocks)

	var changes []change
	var byCondition []followUp // escalations that act while their condition holds (deem, 容缺), retried each pass
	levels := map[clockKey]Level{}
	for k, r := range clocks {
		th := cfg.For(r.region, types[fmt.Sprintf("%s@%d", r.itemCode, r.itemVersion)])
		lv, err := Evaluate(s.Calendars.For(r.region), now, r.due, th)
		if err != nil {
			// One broken case (a deadline outside the loaded calendar years)
			// must not stop the others: log it, keep its signal.
			rep.Failed++
			s.Log.Error("supervise: clock not evaluated", "case", r.caseNo, "clock", r.clock, "err", err)
			delete(current, k)
			continue
		}
		levels[k] = lv
		was := current[k]
		delete(current, k)
		// Deeming acceptance goes by condition, not by the change: a notice
		// limit that stays passed is retried until the case moves on.
		for _, rule := range cfg.Rules {
			if rule.Action == ActDeem && rule.Level <= lv && rule.matches(r.clock, r.state, r.region, rule.Level) {
				byCondition = append(byCondition, followUp{r, rule})
				break
			}
		}
		// A signal follows its case: a new deadline, or a transfer (转办) to
		// another department, which sees and counts it from then on.
		if lv != was.level || (lv != Normal && (!was.due.Equal(r.due) || was.dept != r.dept)) {
			changes = append(changes, change{row: r, from: was.level, to: lv})
		}
	}
	// 容缺: rules remind the applicant before the owed materials are due and
	// end the case once they are late, by condition like deeming (a reminder
	// is sent once per deadline; termination is retried each pass until the
	// case moves on).
	for _, r := range owed {
		th := cfg.For(r.region, types[fmt.Sprintf("%s@%d", r.itemCode, r.itemVersion)])
		lv, err := Evaluate(s.Calendars.For(r.region), now, r.due, th)
		if err != nil {
			rep.Failed++
			s.Log.Error("supervise: tolerance clock not evaluated", "case", r.caseNo, "err", err)
			continue
		}
		for _, act := range []Action{ActTerminate, ActRemind} {
			if act == ActRemind && !now.Before(r.due) {
				continue // past due: nothing left to remind of
			}
			for _, rule := range cfg.Rules {
				if rule.Action == act && rule.Level <= lv && rule.matches(r.clock, r.state, r.region, rule.Level) {
					byCondition = append(byCondition, followUp{r, rule})
					break
				}
			}
		}
	}
	for i := range changes {
		changes[i].caseLate = levels[clockKey{changes[i].row.caseID, ClockDecision}] >= Yellow
	}
	// What is left was signalled and is no longer a running clock near its
	// deadline: the case moved on, or the deadline moved away.
	for k, sg := range current {
		changes = append(changes, change{row: clockRow{caseID: k.caseID, clock: k.clock, due: sg.due}, from: sg.level, to: Normal})
	}
	followUps, err := s.record(ctx, cfg, changes)
	if err != nil {
		return rep, err
	}
	rep.Changed = len(changes)
	for _, f := range append(followUps, byCondition...) {
		if err := s.follow(ctx, f); err != nil {
			rep.Failed++
			s.Log.Error("supervise: escalation failed", "case", f.row.caseNo, "rule", f.rule.ID, "err", err)
			continue
		}
		rep.Actions++
	}
	// Work orders' clocks (差评, 诉求) under the same rules.
	n, moved, err := s.passOrders(ctx, cfg, now)
	if err != nil {
		return rep, err
	}
	rep.Clocks += n
	rep.Changed += moved
	// What the pass sent is settled into the inboxes and the outbox now, in
	// one batch, rather than at the next dispatcher pass.
	if _, err := notify.Settle(ctx, s.DB); err != nil {
		return rep, err
	}
	rep.Took = time.Since(start)
	rep.TookMS = float64(rep.Took.Microseconds()) / 1000
	return rep, nil
}

// merged is the clocks of both maps, for reading their items once.
func merged(a, b map[clockKey]clockRow) []clockRow {
	out := make([]clockRow, 0, len(a)+len(b))
	for _, r := range a {
		out = append(out, r)
	}
	for _, r := range b {
		out = append(out, r)
	}
	return out
}

// horizon is the latest horizon over the national calendar and every
// regional one, so no region's near clock is left out.
//
// Near the end of the last loaded calendar year the horizon may fall in a
// year not loaded yet: then it is bounded without the calendar — warn+1
// working days are never more than a week each plus the longest holiday —
// and the clocks that cannot be evaluated are reported as failures until
// the next year's notice is loaded.
func (s *Scanner) horizon(now time.Time, warn int) (time.Time, error) {
	h := time.Time{}
	for _, r := range append([]string{s.Home}, s.Calendars.Regional()...) {
		hr, err := Horizon(s.Calendars.For(r), now, warn)
		if apperr.Is(err, apperr.Invalid, "calendar.year_not_loaded") {
			s.Log.Warn("supervise: the next calendar year is not loaded; load it with --calendar", "err", err)
			return now.AddDate(0, 0, 7*(warn+1)+14), nil
		}
		if err != nil {
			return h, err
		}
		if hr.After(h) {
			h = hr
		}
	}
	return h, nil
}

func readClocks(tx *db.Tx, k Clock, horizon time.Time, into map[clockKey]clockRow) error {
	rows, err := tx.Query(fmt.Sprintf(clockSelect, clockColumns[k], clockQueries[k]), horizon)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		r := clockRow{clock: k}
		if err := rows.Scan(&r.caseID, &r.caseNo, &r.itemCode, &r.itemVersion, &r.region, &r.dept, &r.state, &r.process,
			&r.assignee, &r.due); err != nil {
			return err
		}
		r.due = r.due.UTC()
		into[clockKey{r.caseID, k}] = r
	}
	return rows.Err()
}

// Run passes every interval while ctx lasts, when it holds the lease.
func (s *Scanner) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	defer s.DB.ReleaseLease(context.WithoutCancel(ctx), LeaseName, s.Holder)
	for {
		s.tick(ctx, every)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Scanner) tick(ctx context.Context, every time.Duration) {
	// The lease outlives two intervals so a slow pass keeps it.
	held, err := s.DB.Lease(ctx, LeaseName, s.Holder, 2*every+30*time.Second)
	if err != nil || !held {
		if err != nil && ctx.Err() == nil {
			s.Log.Error("supervise: lease", "err", err)
		}
		return
	}
	rep, err := s.Pass(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.Log.Error("supervise: pass", "err", err)
		}
		return
	}
	// Closed months are summed once for the dashboards' long periods.
	if _, err := stats.Compact(ctx, s.DB, s.DB.Now()); err != nil && ctx.Err() == nil {
		s.Log.Error("supervise: compact figures", "err", err)
	}
	if err := s.DB.LeaseRan(ctx, LeaseName, s.Holder); err != nil && ctx.Err() == nil {
		s.Log.Error("supervise: lease", "err", err)
	}
	if rep.Changed > 0 || rep.Failed > 0 {
		s.Log.Info("supervise: pass", "clocks", rep.Clocks, "changed", rep.Changed, "actions", rep.Actions,
			"failed", rep.Failed, "took", rep.Took)
	}
}
