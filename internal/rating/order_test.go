package rating

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/demo"
	"github.com/tongban/tongban/internal/demotest"
	"github.com/tongban/tongban/internal/stats"
	"github.com/tongban/tongban/internal/supervise"
)

func TestOrderLifecycle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := f.Ctx
		r, err := f.svc.Rate(ctx, f.Users["zhangsan"], f.caseOf("zhangsan", "concluded"), bad)
		if err != nil {
			t.Fatal(err)
		}
		id := r.OrderID
		act := func(user string, in OrderInput) (*Order, error) { return f.svc.Act(ctx, f.Users[user], id, in) }
		must := func(user string, in OrderInput, state string) *Order {
			t.Helper()
			o, err := act(user, in)
			if err != nil {
				t.Fatalf("%s by %s: %v", in.Action, user, err)
			}
			if o.State != state {
				t.Fatalf("%s: state %s, want %s", in.Action, o.State, state)
			}
			return o
		}
		// Another department's officer does not see the order; the rater cannot verify it.
		_, err = act("psb-officer", OrderInput{Action: "start"})
		refused(t, err, apperr.NotFound, "rating_order.not_found")
		_, err = act("zhangsan", OrderInput{Action: "verify", Note: "x"})
		refused(t, err, apperr.Forbidden, "rating_order.not_yours")
		_, err = act("handler", OrderInput{Action: "rectify", Note: "x"})
		refused(t, err, apperr.Conflict, "rating_order.wrong_state")
		_, err = act("handler", OrderInput{Action: "verify"})
		refused(t, err, apperr.Invalid, "rating_order.note_required")
		must("handler", OrderInput{Action: "start"}, Verifying)
		o := must("handler", OrderInput{Action: "verify", Note: "经核实，补正告知未一次性列明，情况属实。"}, Rectifying)
		if o.VerifiedAt == nil {
			t.Fatal("no verification time")
		}
		// The rater's answer comes only after the fix.
		_, err = act("zhangsan", OrderInput{Action: "revisit", Answer: "satisfied"})
		refused(t, err, apperr.Conflict, "rating_order.wrong_state")
		f.Advance(3 * 24 * time.Hour)
		o = must("handler", OrderInput{Action: "rectify", Note: "已对窗口人员进行培训，修订一次性告知清单。"}, Rectified)
		if o.OnTime == nil || !*o.OnTime {
			t.Fatalf("rectified on time: %v", o.OnTime)
		}
		// The rater is told.
		if n := f.count(`SELECT COUNT(*) FROM notify_pending WHERE user_id = $1 AND kind = 'rating_rectified'`, f.Users["zhangsan"].ID); n != 1 {
			t.Fatalf("rater told %d times", n)
		}
		_, err = act("zhangsan", OrderInput{Action: "revisit", Answer: "maybe"})
		refused(t, err, apperr.Invalid, "rating_order.revisit_answer")
		o = must("zhangsan", OrderInput{Action: "revisit", Answer: "satisfied"}, Revisited)
		if o.RevisitBy != "rater" {
			t.Fatalf("revisit by %q", o.RevisitBy)
		}
		must("handler", OrderInput{Action: "close"}, Closed)
		o, err = f.svc.Order(ctx, f.Users["handler"], id)
		if err != nil || o.Outcome != "rectified" || len(o.Events) != 6 || len(o.Actions) != 0 {
			t.Fatalf("closed order %+v %v", o, err)
		}
		for _, e := range o.Events {
			if e.Role == ByRater && e.Actor != "" {
				t.Fatal("the rater named in the history")
			}
		}
		// The figures: by the rating's day, never the rater.
		sum, err := stats.Summarize(ctx, d, stats.Query{From: calendar.Date{Year: 2026, Month: 9, Day: 1}, To: calendar.Date{Year: 2026, Month: 10, Day: 31}, Region: demo.Region, Items: true})
		if err != nil {
			t.Fatal(err)
		}
		tot := sum.Totals
		if tot.Rated != 1 || tot.Satisfied != 0 || tot.Bad != 1 || tot.Rectified != 1 || tot.RectifiedOnTime != 1 || tot.Revisited != 1 ||
			tot.RectifyRate != 1 || tot.OnTimeRectify != 1 || tot.RevisitRate != 1 || tot.Concluded == 0 || tot.RatingRate != 1/float64(tot.Concluded) {
			t.Fatalf("totals %+v", tot)
		}
		var byDept, byItem int
		for _, dp := range sum.Departments {
			byDept += dp.Bad
		}
		for _, it := range sum.Items {
			byItem += it.Bad
		}
		if byDept != 1 || byItem != 1 {
			t.Fatalf("by department %d, by item %d", byDept, byItem)
		}
		m, err := stats.BuildMonthly(ctx, d, "2026-09", demo.Region, "", f.Now())
		if err != nil {
			t.Fatal(err)
		}
		if m.Total.Bad != 1 || m.Total.Rated != 1 {
			t.Fatalf("monthly %+v", m.Total)
		}
		if _, err := m.PDF(); err != nil {
			t.Fatal(err)
		}
		// Every step an audit record.
		if n := f.count(`SELECT COUNT(*) FROM audit_pending WHERE object_id = $1`, id); n < 6 {
			t.Fatalf("audit records %d", n)
		}
	})
}

func TestOrderAppeal(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := f.Ctx
		r, err := f.svc.Rate(ctx, f.Users["zhangsan"], f.caseOf("zhangsan", "concluded"),
			Input{Level: VeryDissatisfied, Indicators: []string{"onsite.attitude"}, Channel: "hall_tablet"})
		if err != nil {
			t.Fatal(err)
		}
		id := r.OrderID
		if _, err := f.svc.Act(ctx, f.Users["handler"], id, OrderInput{Action: "appeal", Reason: "rude", Note: "x"}); err == nil {
			t.Fatal("an unknown appeal reason")
		}
		if _, err := f.svc.Act(ctx, f.Users["handler"], id, OrderInput{Action: "appeal", Reason: "misrated", Note: "申请人确认误选评价等级。"}); err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.Act(ctx, f.Users["handler"], id, OrderInput{Action: "uphold", Note: "x"})
		refused(t, err, apperr.Forbidden, "rating_order.not_yours")
		o, err := f.svc.Act(ctx, f.Users["supervisor"], id, OrderInput{Action: "uphold", Note: "经回访录音核实，属误评。"})
		if err != nil || o.State != Closed || o.Outcome != "misrated" {
			t.Fatalf("upheld %+v %v", o, err)
		}
	})
}

// The order's clocks are supervise's: started at the rating, levelled by
// the scanner on the working-day calendar, stopped when verified and
// rectified.
func TestOrderClocks(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := f.Ctx
		r, err := f.svc.Rate(ctx, f.Users["zhangsan"], f.caseOf("zhangsan", "concluded"), bad)
		if err != nil {
			t.Fatal(err)
		}
		o, err := f.svc.Order(ctx, f.Users["handler"], r.OrderID)
		if err != nil || len(o.Clocks) != 2 || o.Clocks[0].Clock != supervise.ClockRatingVerify || o.Clocks[0].StoppedAt != nil ||
			!o.Clocks[0].DueAt.Equal(o.VerifyDueAt) || !o.Clocks[1].DueAt.Equal(o.RectifyDueAt) {
			t.Fatalf("clocks %+v %v", o.Clocks, err)
		}
		// Rated Monday 28 September, verification due end of Tuesday; on
		// Wednesday the scanner shows the 核实 clock overdue.
		f.SetNow(demotest.At("2026-09-30 10:00"))
		scan := &supervise.Scanner{DB: d, Catalog: f.Catalog, Calendars: calendar.National(), Cases: f.cases,
			Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Holder: "test", Home: demo.Region}
		if _, err := scan.Pass(ctx); err != nil {
			t.Fatal(err)
		}
		var level string
		if err := d.Reader().QueryRow(`SELECT level FROM order_clocks WHERE kind = 'rating' AND order_id = $1 AND clock = 'rating_verify'`, r.OrderID).Scan(&level); err != nil {
			t.Fatal(err)
		}
		if level == "normal" || level == "" {
			t.Fatalf("verification overdue at level %q", level)
		}
		if _, err := f.svc.Act(ctx, f.Users["handler"], r.OrderID, OrderInput{Action: "verify", Note: "属实。"}); err != nil {
			t.Fatal(err)
		}
		o, _ = f.svc.Order(ctx, f.Users["handler"], r.OrderID)
		if c := o.Clocks[0]; c.StoppedAt == nil || c.OnTime == nil || *c.OnTime || o.Clocks[1].StoppedAt != nil {
			t.Fatalf("after a late verification: %+v", o.Clocks)
		}
		// Rectified within the 15 working days (past the National Day holiday): on time.
		f.SetNow(demotest.At("2026-10-16 10:00"))
		o, err = f.svc.Act(ctx, f.Users["handler"], r.OrderID, OrderInput{Action: "rectify", Note: "已整改。"})
		if err != nil || o.OnTime == nil || !*o.OnTime {
			t.Fatalf("rectified %+v %v", o, err)
		}
		o, _ = f.svc.Order(ctx, f.Users["handler"], r.OrderID)
		if c := o.Clocks[1]; c.StoppedAt == nil || c.OnTime == nil || !*c.OnTime {
			t.Fatalf("rectify clock %+v", c)
		}
	})
}

// A region's rule is an administrator's data, within their grant.
func TestSaveRule(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		r := Rule{Region: demo.Region, WindowDays: 10, DefaultLevel: Satisfied, VerifyDays: 2, RectifyDays: 10}
		if _, err := f.svc.SaveRule(f.Ctx, f.Users["handler"], r); err == nil {
			t.Fatal("a handler set a rule")
		}
		bad := r
		bad.WindowDays = 0
		_, err := f.svc.SaveRule(f.Ctx, f.Users["admin"], bad)
		refused(t, err, apperr.Invalid, "rating.rule_invalid")
		bad = r
		bad.Region = "999999"
		_, err = f.svc.SaveRule(f.Ctx, f.Users["admin"], bad)
		if err == nil {
			t.Fatal("a rule for an unknown region")
		}
		if _, err := f.svc.SaveRule(f.Ctx, f.Users["admin"], r); err != nil {
			t.Fatal(err)
		}
		rules, err := f.svc.Rules(f.Ctx, f.Users["admin"])
		if err != nil || len(rules) != 1 || rules[0] != r {
			t.Fatalf("rules %v %v", rules, err)
		}
		var got Rule
		d.View(f.Ctx, func(tx *db.Tx) error { got, err = RuleFor(tx, "500102103000"); return err })
		if got != r {
			t.Fatalf("a town's rule is its district's: %+v", got)
		}
	})
}
