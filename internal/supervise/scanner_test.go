package supervise_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/blob"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/demo"
	"github.com/tongban/tongban/internal/demotest"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/stats"
	"github.com/tongban/tongban/internal/supervise"
)

// fixture is the seeded demo database with the case engine, a scanner and
// a clock the test moves.
type fixture struct {
	*demotest.Env
	t     testing.TB
	ctx   context.Context
	db    *db.DB
	cases *cases.Service
	cat   *catalog.Catalog
	scan  *supervise.Scanner
	users map[string]*identity.User
	codes map[string]string
}

var testLog io.Writer = io.Discard

func at(s string) time.Time { return demotest.At(s) }

func setup(t testing.TB, d *db.DB) *fixture {
	t.Helper()
	e := demotest.New(t, d, at("2026-09-28 10:00"))
	f := &fixture{Env: e, t: t, ctx: e.Ctx, db: d, cat: e.Catalog, users: e.Users, codes: e.Codes}
	cals := calendar.National()
	var err error
	if f.cases, err = cases.New(d, f.cat, e.IDs, cals, blob.Dir{Root: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	f.scan = &supervise.Scanner{DB: d, Catalog: f.cat, Calendars: cals, Cases: f.cases,
		Log: slog.New(slog.NewTextHandler(testLog, nil)), Holder: "test", Home: demo.Region}
	return f
}

func (f *fixture) setNow(s string) { f.SetNow(at(s)) }

// soleTrader is promised in 1 working day.
const soleTrader = "个体工商户设立登记"

func soleTraderValues() catalog.Values {
	return catalog.Values{
		"applicant_name": {"张三"}, "applicant_id": {"500102198506120011"}, "applicant_phone": {"13800000000"},
		"form_of": {"person"}, "scope": {"小吃服务"}, "org_address": {"500102006001", "滨江路 1 号"}, "capital": {"5"},
	}
}

// file files a sole-trader application at the window; accepted at once or
// left in pre-review.
func (f *fixture) file(accept bool) *cases.Case {
	f.t.Helper()
	c, _, err := f.cases.Create(f.ctx, f.users["clerk"], cases.NewCase{ItemCode: f.codes[soleTrader], Values: soleTraderValues(),
		Applicant: "500102198506120011", Submit: true, Accept: accept})
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

func (f *fixture) pass() supervise.Report {
	f.t.Helper()
	rep, err := f.scan.Pass(f.ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	return rep
}

// signals maps "case no/clock" to the recorded level.
func (f *fixture) signals() map[string]string {
	f.t.Helper()
	out := map[string]string{}
	err := f.db.View(f.ctx, func(tx *db.Tx) error {
		rows, err := tx.Query(`SELECT c.case_no, s.clock, s.level FROM case_signals s JOIN cases c ON c.id = s.case_id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var no, clock, level string
			if err := rows.Scan(&no, &clock, &level); err != nil {
				return err
			}
			out[no+"/"+clock] = level
		}
		return rows.Err()
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return out
}

func (f *fixture) count(q string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.db.View(f.ctx, func(tx *db.Tx) error { return tx.QueryRow(q, args...).Scan(&n) }); err != nil {
		f.t.Fatal(err)
	}
	return n
}

func TestScanner(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		// Monday 2026-09-28 10:00. A: accepted at once, promised 1 working day:
		// due at the end of Tuesday 09-29. B: waiting in pre-review (2 working
		// days: due end of Wednesday 09-30); its Art. 32 notice limit (5
		// working days across 国庆, 10-01..10-07 off, Saturday 10-10 worked)
		// runs out at the end of Saturday 10-10.
		a, b := f.file(true), f.file(false)
		if b.State != "pre_review" || b.NoticeDueAt == nil {
			t.Fatalf("B: %s %v", b.State, b.NoticeDueAt)
		}
		rep := f.pass()
		sig := f.signals()
		if sig[a.No+"/decision"] != "warning" {
			t.Fatalf("A on Monday with one day left: %v (%+v)", sig, rep)
		}
		if _, ok := sig[b.No+"/pre_review"]; ok {
			t.Fatalf("B's pre-review has two days left: %v", sig)
		}
		// The reminder for the warning went to the holders of A's step.
		reminders := f.count(`SELECT COUNT(*) FROM notifications WHERE case_id = $1 AND kind = 'remind'`, a.ID)
		if reminders == 0 {
			t.Fatal("no reminder for the warning")
		}
		if again := f.pass(); again.Changed != 0 {
			t.Fatalf("a second pass at the same time changed %d signals", again.Changed)
		}

		// Thursday 10-08, after the holiday: A is two working days late (09-30,
		// 10-08): red. B's pre-review one late: yellow. B's notice limit has
		// two working days left (10-09, 10-10): normal.
		f.setNow("2026-10-08 09:00")
		if rep = f.pass(); rep.Changed == 0 {
			t.Fatal("the pass after the holiday changed no signal")
		}
		sig = f.signals()
		if sig[a.No+"/decision"] != "red" || sig[b.No+"/pre_review"] != "yellow" {
			t.Fatalf("after the holiday: %v", sig)
		}
		if _, ok := sig[b.No+"/notice"]; ok {
			t.Fatalf("B's notice limit is not near yet: %v", sig)
		}
		// Red: 督办 by the platform, escalation to the approver (yellow) and
		// the supervisor (red).
		ca, err := f.cases.Get(f.ctx, f.users["supervisor"], a.No)
		if err != nil {
			t.Fatal(err)
		}
		if ca.UrgedAt == nil {
			t.Fatal("a red card was not urged")
		}
		for _, who := range []string{"approver", "supervisor"} {
			if n := f.count(`SELECT COUNT(*) FROM notifications WHERE case_id = $1 AND kind = 'escalate' AND user_id = $2`, a.ID, f.users[who].ID); n != 1 {
				t.Errorf("%s escalations: %d", who, n)
			}
		}
		if n := f.count(`SELECT COUNT(*) FROM notifications WHERE case_id = $1 AND kind = 'remind' AND user_id = $2`, b.ID, f.users["clerk"].ID); n != 1 {
			t.Errorf("the clerk was reminded of B's pre-review %d times", n)
		}
		// R4.4: B's late pre-review is an anomaly; A's late step is not (the
		// whole case is late).
		if n := f.count(`SELECT COUNT(*) FROM case_anomalies WHERE case_id = $1 AND kind = 'pre_review_overdue'`, b.ID); n != 1 {
			t.Errorf("B's pre-review anomalies: %d", n)
		}
		if n := f.count(`SELECT COUNT(*) FROM case_anomalies WHERE case_id = $1 AND kind = 'step_overdue'`, a.ID); n != 0 {
			t.Errorf("A's step anomalies: %d", n)
		}
		if n := f.count(`SELECT COUNT(*) FROM outbox WHERE recipient = $1`, f.users["supervisor"].ID); n == 0 {
			t.Error("nothing in the outbox for the supervisor")
		}
		// Each change is an event: A normal → warning → red, B normal → yellow.
		if n := f.count(`SELECT COUNT(*) FROM signal_events WHERE case_id = $1 AND clock = 'decision'`, a.ID); n != 2 {
			t.Errorf("A's decision clock has %d signal events", n)
		}
		// Idempotent: the same pass again changes nothing, notifies nobody.
		before := f.count(`SELECT COUNT(*) FROM notifications`)
		if again := f.pass(); again.Changed != 0 {
			t.Fatalf("repeated pass changed %d", again.Changed)
		}
		if after := f.count(`SELECT COUNT(*) FROM notifications`); after != before {
			t.Fatalf("repeated pass notified again: %d → %d", before, after)
		}

		// Monday 10-12: B's notice limit is one working day past (10-11 is a
		// Sunday). 行政许可法 Art. 32: B counts as accepted on receipt — the
		// decision clock runs from Monday 09-28, so B is already red.
		f.setNow("2026-10-12 09:00")
		f.pass()
		cb, err := f.cases.Get(f.ctx, f.users["supervisor"], b.No)
		if err != nil {
			t.Fatal(err)
		}
		if cb.AcceptedAt == nil || !cb.AcceptedAt.Equal(*b.SubmittedAt) || cb.NoticeDueAt != nil {
			t.Fatalf("B not deemed accepted on receipt: state %s accepted %v", cb.State, cb.AcceptedAt)
		}
		f.pass()
		sig = f.signals()
		if sig[b.No+"/decision"] != "red" {
			t.Fatalf("deemed B: %v", sig)
		}
		if _, ok := sig[b.No+"/pre_review"]; ok {
			t.Fatalf("B's pre-review signal outlived the pre-review: %v", sig)
		}

		// A is decided: its clocks stop and its signals clear, with an event.
		for _, s := range []struct{ who, action string }{{"handler", "pass"}, {"reviewer", "pass"}, {"approver", "grant"}} {
			if _, err := f.cases.Act(f.ctx, f.users[s.who], a.No, cases.ActionRequest{Action: s.action}); err != nil {
				t.Fatal(s.action, err)
			}
		}
		f.pass()
		sig = f.signals()
		for k := range sig {
			if len(k) > len(a.No) && k[:len(a.No)] == a.No {
				t.Fatalf("a decided case keeps signal %s", k)
			}
		}
		if n := f.count(`SELECT COUNT(*) FROM signal_events WHERE case_id = $1 AND clock = 'decision' AND to_level = 'normal'`, a.ID); n != 1 {
			t.Errorf("clearing A's decision signal: %d events", n)
		}

		// The daily figures, by hand: two applications at the window, both
		// accepted (B deemed); A decided on 10-12, late (due 09-29), after six
		// working days (09-29, 09-30, 10-08, 10-09, 10-10, 10-12).
		sum, err := stats.Summarize(f.ctx, d, stats.Query{From: calendar.Date{Year: 2026, Month: 9, Day: 1}, To: calendar.Date{Year: 2026, Month: 10, Day: 31}})
		if err != nil {
			t.Fatal(err)
		}
		tot := sum.Totals
		if tot.Submitted != 2 || tot.Online != 0 || tot.Accepted != 2 || tot.Concluded != 1 || tot.Granted != 1 || tot.OnTime != 0 ||
			tot.Instant != 0 || tot.Workdays != 6 {
			t.Fatalf("figures %+v", tot)
		}
		// Staff figures: the clerk filed both and accepted A at once (three
		// actions, on time); the handler finished A's handling step (due
		// 09-29) on 10-12, late; the reviewer and the approver acted once each.
		sum, err = stats.Summarize(f.ctx, d, stats.Query{From: calendar.Date{Year: 2026, Month: 9, Day: 1}, To: calendar.Date{Year: 2026, Month: 10, Day: 31}, Staff: true})
		if err != nil {
			t.Fatal(err)
		}
		acted := map[string][2]int{}
		for _, st := range sum.Staff {
			acted[st.UserID] = [2]int{st.Acted, st.OnTime}
		}
		for who, want := range map[string][2]int{"clerk": {3, 3}, "handler": {1, 0}} {
			if got := acted[f.users[who].ID]; got != want {
				t.Errorf("%s acted/on time %v, want %v", who, got, want)
			}
		}
		if acted[f.users["reviewer"].ID][0] != 1 || acted[f.users["approver"].ID][0] != 1 {
			t.Errorf("staff figures %v", acted)
		}
		reds := f.count(`SELECT COUNT(*) FROM signal_events WHERE to_level = 'red'`)
		if tot.Red != reds || tot.Red < 2 || tot.Yellow < tot.Red {
			t.Fatalf("cards: %d red, %d yellow in the figures; %d red events", tot.Red, tot.Yellow, reds)
		}
	})
}

// A case whose deadline cannot be evaluated is skipped and logged; the
// others are signalled and its recorded signal is kept.
func TestScannerIsolatesFailures(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		a, b := f.file(true), f.file(true)
		f.setNow("2026-10-08 09:00")
		f.pass()
		// B's deadline is moved (as a broken import might) to a year whose
		// calendar is not loaded.
		if err := d.Update(f.ctx, func(tx *db.Tx) error {
			_, err := tx.Exec(`UPDATE cases SET due_at = $1 WHERE id = $2`, time.Date(2024, 6, 3, 16, 0, 0, 0, time.UTC), b.ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		f.setNow("2026-10-09 09:00")
		c := f.file(true) // a third case, due at the end of Saturday 10-10 (a make-up working day)
		f.setNow("2026-10-12 09:00")
		rep := f.pass()
		if rep.Failed != 1 {
			t.Fatalf("report %+v", rep)
		}
		sig := f.signals()
		if sig[a.No+"/decision"] != "red" || sig[b.No+"/decision"] != "red" || sig[c.No+"/decision"] != "yellow" {
			t.Fatalf("signals with one broken case: %v", sig)
		}
	})
}

func TestConfigFor(t *testing.T) {
	cfg := supervise.Config{Thresholds: []supervise.ThresholdRow{
		{Region: "500000", Thresholds: supervise.Thresholds{Warn: 2, Yellow: 1, Red: 3}},
		{Region: "500102", Thresholds: supervise.Thresholds{Warn: 3, Yellow: 2, Red: 4}},
		{Region: "500102", ItemType: "01", Thresholds: supervise.Thresholds{Warn: 0, Yellow: 1, Red: 2}},
		{ItemType: "07", Thresholds: supervise.Thresholds{Warn: 5, Yellow: 5, Red: 10}},
	}}
	for _, c := range []struct {
		region, typ string
		want        supervise.Thresholds
	}{
		{"500102006001", "01", supervise.Thresholds{Warn: 0, Yellow: 1, Red: 2}}, // district, item type
		{"500102006001", "02", supervise.Thresholds{Warn: 3, Yellow: 2, Red: 4}}, // district
		{"500103", "01", supervise.Thresholds{Warn: 2, Yellow: 1, Red: 3}},       // municipality
		{"110101", "01", supervise.DefaultThresholds},                            // elsewhere
		{"110101", "07", supervise.Thresholds{Warn: 5, Yellow: 5, Red: 10}},      // any region, item type
		{"500102", "07", supervise.Thresholds{Warn: 3, Yellow: 2, Red: 4}},       // a region beats a type everywhere
	} {
		if got := cfg.For(c.region, c.typ); got != c.want {
			t.Errorf("%s/%s: %+v, want %+v", c.region, c.typ, got, c.want)
		}
	}
}

// A special procedure stops the decision clock (行政许可法 Art. 45): the
// case's signal clears while it runs and comes back, later, when it ends.
func TestScannerPausedClock(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		c := f.file(true) // due at the end of Tuesday 09-29
		f.setNow("2026-09-29 10:00")
		f.pass()
		if f.signals()[c.No+"/decision"] != "warning" {
			t.Fatalf("due today: %v", f.signals())
		}
		if _, err := f.cases.Act(f.ctx, f.users["handler"], c.No, cases.ActionRequest{Action: "pause", Kind: "inspection", Days: "5",
			Reason: "对经营场所进行现场核查。"}); err != nil {
			t.Fatal(err)
		}
		f.setNow("2026-10-09 10:00") // well past the old deadline, but paused
		f.pass()
		for k := range f.signals() {
			if strings.HasPrefix(k, c.No) {
				t.Fatalf("a paused case keeps signal %s", k)
			}
		}
		// Resumed on 10-09: the working days it stood move the deadline, and the
		// signal follows the new one.
		got, err := f.cases.Act(f.ctx, f.users["handler"], c.No, cases.ActionRequest{Action: "resume"})
		if err != nil {
			t.Fatal(err)
		}
		f.pass()
		lv, err := supervise.Evaluate(calendar.National().For("500102"), f.Now(), *got.DueAt, supervise.DefaultThresholds)
		if err != nil {
			t.Fatal(err)
		}
		want := ""
		if lv != supervise.Normal {
			want = lv.String()
		}
		if f.signals()[c.No+"/decision"] != want {
			t.Fatalf("after resuming (due %s): %v, want %q", got.DueAt, f.signals(), want)
		}
	})
}

// 容缺受理: materials owed at acceptance and not supplied by their deadline —
// the default rule terminates the case in the platform's name a working day
// after the last day, and tells the applicant; a case that supplied them, or
// whose rule is switched off, goes on.
func TestScannerTerminatesLateTolerance(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		owe := func() *cases.Case {
			c := f.file(false)
			c, err := f.cases.Act(f.ctx, f.users["clerk"], c.No, cases.ActionRequest{Action: "accept", Owed: []string{"lease"}})
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		late, supplied := owe(), owe() // accepted Monday 09-28; the lease is due by the end of 09-29
		u := f.users["zhangsan"]
		m, err := f.cases.Upload(f.ctx, u, "lease.pdf", strings.NewReader("%PDF-1.4\n% lease\n"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.cases.Act(f.ctx, u, supplied.No, cases.ActionRequest{Action: "supply", Materials: []cases.MaterialRef{{Key: "lease", ID: m.ID}}}); err != nil {
			t.Fatal(err)
		}
		f.setNow("2026-09-29 20:00") // the last day
		f.pass()
		f.pass() // reminded once per deadline, however many passes
		if c, _ := f.cases.Get(f.ctx, f.users["clerk"], late.No); c.State == "terminated" || !late.ToleranceDueAt.Equal(at("2026-09-30 00:00")) {
			t.Fatalf("on the last day (due %s): %s", late.ToleranceDueAt, c.State)
		}
		if n := f.count(`SELECT COUNT(*) FROM notifications WHERE case_id = $1 AND kind = 'owed_due' AND user_id = $2 AND body LIKE '%2026-09-29%'`, late.ID, u.ID); n != 1 {
			t.Errorf("the applicant was reminded %d times", n)
		}
		if n := f.count(`SELECT COUNT(*) FROM notifications WHERE case_id = $1 AND kind = 'owed_due'`, supplied.ID); n != 0 {
			t.Errorf("a case that supplied its materials: %d reminders", n)
		}
		f.setNow("2026-09-30 09:00") // the next working day: a working day late
		rep := f.pass()
		c, err := f.cases.Get(f.ctx, f.users["clerk"], late.No)
		if err != nil {
			t.Fatal(err)
		}
		if c.State != "terminated" || !strings.Contains(c.Reason, "经营场所租赁合同") || rep.Actions < 1 {
			t.Fatalf("late 容缺: state %s reason %q actions %d", c.State, c.Reason, rep.Actions)
		}
		events, _ := f.cases.Timeline(f.ctx, f.users["clerk"], late.No)
		if last := events[len(events)-1]; last.Action != "terminate" || last.ActorRole != cases.SystemRole {
			t.Errorf("last event %s by %s", last.Action, last.ActorRole)
		}
		if n := f.count(`SELECT COUNT(*) FROM notifications WHERE case_id = $1 AND kind = 'terminated' AND user_id = $2`, late.ID, u.ID); n != 1 {
			t.Errorf("the applicant was told %d times", n)
		}
		if c, _ := f.cases.Get(f.ctx, f.users["clerk"], supplied.No); c.State == "terminated" {
			t.Error("a case that supplied its materials was terminated")
		}
		f.pass() // nothing more to do: the case moved on
		if n := f.count(`SELECT COUNT(*) FROM case_events WHERE case_id = $1 AND action = 'terminate'`, late.ID); n != 1 {
			t.Errorf("terminated %d times", n)
		}

		// With the rule switched off, a late case waits for the handler.
		admin := &supervise.Admin{DB: d, Home: demo.Region}
		if err := admin.SetRule(f.ctx, f.users["admin"], supervise.RuleView{Rule: supervise.Rule{ID: "default-tolerance-yellow",
			Clock: supervise.ClockTolerance, Action: supervise.ActTerminate}, LevelName: "yellow", Enabled: false}); err != nil {
			t.Fatal(err)
		}
		f.setNow("2026-10-12 10:00")
		other := owe()
		f.setNow("2026-10-20 10:00")
		f.pass()
		if c, _ := f.cases.Get(f.ctx, f.users["clerk"], other.No); c.State == "terminated" {
			t.Error("terminated with the rule off")
		}
		// The tolerance clock takes no other action, and terminating no other clock.
		for _, r := range []supervise.RuleView{
			{Rule: supervise.Rule{ID: "x", Clock: supervise.ClockTolerance, Action: supervise.ActUrge}, LevelName: "yellow", Enabled: true},
			{Rule: supervise.Rule{ID: "y", Clock: supervise.ClockDecision, Action: supervise.ActTerminate}, LevelName: "red", Enabled: true},
		} {
			if err := admin.SetRule(f.ctx, f.users["admin"], r); !apperr.Is(err, apperr.Invalid, "supervise.terminate_tolerance_only") {
				t.Errorf("%s on %s: %v", r.Action, r.Clock, err)
			}
		}
	})
}

// 事后核查 is a clock of the granting department: its signals, the
// reminder to the back office before the deadline, the escalations after,
// and nothing left once the verification is recorded.
func TestScannerVerifyClock(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		u := f.users["zhangsan"]
		var mats []cases.MaterialRef
		for _, k := range []string{"application", "business_licence", "layout", "safety_rules"} {
			m, err := f.cases.Upload(f.ctx, u, k+".pdf", strings.NewReader("%PDF-1.4\n% "+k+"\n"))
			if err != nil {
				t.Fatal(err)
			}
			mats = append(mats, cases.MaterialRef{Key: k, ID: m.ID})
		}
		c, _, err := f.cases.Create(f.ctx, u, cases.NewCase{ItemCode: f.codes["食品经营许可（新办）"], Submit: true, Commitment: true,
			Values: catalog.Values{"org_name": {"张三小吃店"}, "org_credit_code": {"92500102MA5U7X2K8B"}, "legal_rep": {"张三"},
				"applicant_phone": {"13800000000"}, "org_address": {"500102006001", "滨江路 1 号"}, "food_items": {"hot"}, "area": {"40"}},
			Answers: map[string]string{"cold_or_raw": "no"}, Materials: mats})
		if err != nil {
			t.Fatal(err)
		}
		if c, err = f.cases.Act(f.ctx, f.users["clerk"], c.No, cases.ActionRequest{Action: "accept"}); err != nil || c.VerifyDueAt == nil {
			t.Fatalf("accepted on a promise: %v %v", err, c)
		}
		due := *c.VerifyDueAt
		f.pass()
		if s := f.signals()[c.No+"/verify"]; s != "" {
			t.Fatalf("a verification 20 working days away signals %s", s)
		}
		f.SetNow(due.Add(-2 * time.Hour)) // its last working day
		f.pass()
		if s := f.signals()[c.No+"/verify"]; s != "warning" {
			t.Fatalf("on the last day: %q", s)
		}
		handler := f.users["handler"]
		if n := f.count(`SELECT COUNT(*) FROM notifications WHERE case_id = $1 AND kind = 'remind' AND user_id = $2`, c.ID, handler.ID); n != 1 {
			t.Errorf("the department's handler was reminded %d times", n)
		}
		f.SetNow(due.Add(7 * 24 * time.Hour)) // a week late: red
		f.pass()
		if s := f.signals()[c.No+"/verify"]; s != "red" {
			t.Fatalf("a week late: %q", s)
		}
		for _, who := range []string{"approver", "supervisor"} {
			if n := f.count(`SELECT COUNT(*) FROM notifications WHERE case_id = $1 AND kind = 'escalate' AND user_id = $2`, c.ID, f.users[who].ID); n != 1 {
				t.Errorf("the %s was told %d times", who, n)
			}
		}
		if _, err := f.cases.Act(f.ctx, handler, c.No, cases.ActionRequest{Action: "verify", Outcome: "confirmed"}); err != nil {
			t.Fatal(err)
		}
		f.pass()
		if s := f.signals()[c.No+"/verify"]; s != "" {
			t.Fatalf("after the verification: %q", s)
		}
	})
}

// 转办: a case's signals follow it to the receiving department, which sees
// and counts them from the next pass; the old department no longer does.
func TestScannerSignalsFollowTransfer(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		a := f.file(true) // due at the end of Tuesday 09-29
		f.setNow("2026-09-30 10:00")
		f.pass()
		var from, to string
		if err := d.View(f.ctx, func(tx *db.Tx) error {
			if err := tx.QueryRow(`SELECT department_id FROM case_signals WHERE case_id = $1 AND clock = 'decision'`, a.ID).Scan(&from); err != nil {
				return err
			}
			return tx.QueryRow(`SELECT id FROM departments WHERE name = '重庆市涪陵区民政局'`).Scan(&to)
		}); err != nil {
			t.Fatal(err)
		}
		if from != a.DepartmentID {
			t.Fatalf("signal counted for %s, case held by %s", from, a.DepartmentID)
		}
		if _, err := f.cases.Act(f.ctx, f.users["handler"], a.No, cases.ActionRequest{Action: "transfer", Department: to, Reason: "涉及民政事项"}); err != nil {
			t.Fatal(err)
		}
		f.pass()
		if n := f.count(`SELECT COUNT(*) FROM case_signals WHERE case_id = $1 AND department_id = $2`, a.ID, to); n < 1 {
			t.Errorf("the receiving department has %d of the case's signals", n)
		}
		if n := f.count(`SELECT COUNT(*) FROM case_signals WHERE case_id = $1 AND department_id = $2`, a.ID, from); n != 0 {
			t.Errorf("the old department still has %d of its signals", n)
		}
		sig := f.signals()
		if sig[a.No+"/decision"] != "yellow" {
			t.Errorf("the level moved with the transfer: %v", sig)
		}
	})
}
