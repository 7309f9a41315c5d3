package supervise_test

import (
	"testing"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/demo"
	"github.com/tongban/tongban/internal/supervise"
)

// A work order's clocks go through the same levels and rules as a case's:
// a 差评 verified late turns yellow then red on the working-day calendar
// (across the National Day holiday), reminds the department and escalates
// to its approver and the supervisors; stopped, it records whether it was on
// time and its signal goes away. An hourly clock goes by instants.
func TestOrderClocks(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		handler := f.users["handler"]
		dept, region := handler.Grants[0].DepartmentID, handler.Grants[0].RegionCode
		start := at("2026-09-30 10:00")
		// One working day from the day before the National Day holiday:
		// due at the end of the first working day after it (2026-10-08).
		last, err := calendar.National().For(region).AddWorkdays(calendar.DateIn(start), 1)
		if err != nil || last.String() != "2026-10-08" {
			t.Fatalf("one working day after 2026-09-30: %v %v", last, err)
		}
		due := last.AddDays(1).Start(calendar.China)
		err = f.db.Update(f.ctx, func(tx *db.Tx) error {
			if err := supervise.StartOrderClock(tx, supervise.OrderClock{Kind: supervise.OrderRating, OrderID: "r1", OrderNo: "CP-1",
				Clock: supervise.ClockRatingVerify, State: "pending", Dept: dept, Region: region, Roles: []string{"handler"},
				Start: start, Due: due}); err != nil {
				return err
			}
			// An urgent 诉求 to dispatch within an hour, no department yet.
			return supervise.StartOrderClock(tx, supervise.OrderClock{Kind: supervise.OrderAppeal, OrderID: "a1", OrderNo: "SQ-1",
				Clock: supervise.ClockAppealDispatch, State: "accepted", Region: region, Roles: []string{"supervisor"},
				Start: start, Due: start.Add(time.Hour), Hourly: true})
		})
		if err != nil {
			t.Fatal(err)
		}
		level := func(id string) string {
			t.Helper()
			var lv string
			if err := f.db.View(f.ctx, func(tx *db.Tx) error {
				return tx.QueryRow(`SELECT level FROM order_clocks WHERE order_id = $1`, id).Scan(&lv)
			}); err != nil {
				t.Fatal(err)
			}
			return lv
		}
		notified := func(kind, user string) int {
			return f.count(`SELECT COUNT(*) FROM notifications WHERE kind = $1 AND user_id = $2 AND body LIKE '%CP-1%'`, kind, user)
		}
		f.SetNow(start.Add(10 * time.Minute))
		f.pass()
		// A one-working-day limit is within the warning threshold (1 day
		// left) from the start.
		if lv := level("r1"); lv != "warning" {
			t.Errorf("a rating verification due after the holiday, on 09-30: %s", lv)
		}
		if lv := level("a1"); lv != "normal" {
			t.Errorf("an hourly clock 10 minutes in: %s", lv)
		}
		f.SetNow(start.Add(40 * time.Minute))
		f.pass()
		if lv := level("a1"); lv != "warning" {
			t.Errorf("an hourly clock past half its limit: %s", lv)
		}
		f.SetNow(at("2026-10-05 10:00")) // in the holiday: not late, its last working day is ahead
		f.pass()
		if lv := level("r1"); lv != "warning" {
			t.Errorf("during the holiday, before its last working day: %s", lv)
		}
		if lv := level("a1"); lv != "red" {
			t.Errorf("an hourly clock days late: %s", lv)
		}
		if n := notified("order_remind", handler.ID); n != 1 {
			t.Errorf("the department's handler was reminded %d times", n)
		}
		f.SetNow(at("2026-10-09 10:00")) // one working day late
		f.pass()
		if lv := level("r1"); lv != "yellow" {
			t.Errorf("one working day late: %s", lv)
		}
		f.SetNow(at("2026-10-16 10:00")) // several working days late
		f.pass()
		if lv := level("r1"); lv != "red" {
			t.Errorf("a week late: %s", lv)
		}
		if n := notified("order_escalate", f.users["approver"].ID); n != 1 {
			t.Errorf("the approver was told %d times", n)
		}
		if n := notified("order_escalate", f.users["supervisor"].ID); n != 1 {
			t.Errorf("the supervisor was told %d times", n)
		}
		// Supervisors list it, and the department's approver; nobody else.
		pg, err := f.scanReader().OrderSignals(f.ctx, f.users["supervisor"], supervise.OrderFilter{Level: "red"})
		if err != nil || pg.Total != 2 || len(pg.Signals) != 2 || pg.Next != "" {
			t.Fatalf("the supervisor's red work orders: %+v %v", pg, err)
		}
		// Page by page: one, then the other, by the token.
		p1, err := f.scanReader().OrderSignals(f.ctx, f.users["supervisor"], supervise.OrderFilter{Level: "red", PerPage: 1})
		if err != nil || len(p1.Signals) != 1 || p1.Next == "" || p1.Signals[0] != pg.Signals[0] {
			t.Fatalf("the first page of one: %+v %v", p1, err)
		}
		p2, err := f.scanReader().OrderSignals(f.ctx, f.users["supervisor"], supervise.OrderFilter{Level: "red", PerPage: 1, After: p1.Next})
		if err != nil || len(p2.Signals) != 1 || p2.Next != "" || p2.Signals[0] != pg.Signals[1] {
			t.Fatalf("the second page of one: %+v %v", p2, err)
		}
		for _, bad := range []supervise.OrderFilter{{After: p1.Next}, {Level: "red", After: "zz"}, {PerPage: 101}} {
			if _, err := f.scanReader().OrderSignals(f.ctx, f.users["supervisor"], bad); apperr.CodeOf(err) != apperr.Invalid {
				t.Errorf("%+v: %v", bad, err)
			}
		}
		if _, err := f.scanReader().OrderSignals(f.ctx, f.users["zhangsan"], supervise.OrderFilter{}); apperr.CodeOf(err) != apperr.Forbidden {
			t.Errorf("an applicant reads order signals: %v", err)
		}
		if _, err := f.scanReader().OrderSignals(f.ctx, f.users["supervisor"], supervise.OrderFilter{Level: "green"}); apperr.CodeOf(err) != apperr.Invalid {
			t.Errorf("an unknown level: %v", err)
		}
		// A repeated pass changes nothing and tells nobody again.
		before := f.count(`SELECT COUNT(*) FROM order_signal_events`)
		f.pass()
		if after := f.count(`SELECT COUNT(*) FROM order_signal_events`); after != before {
			t.Errorf("an idle pass recorded %d events", after-before)
		}
		var onTime bool
		err = f.db.Update(f.ctx, func(tx *db.Tx) error {
			onTime, err = supervise.StopOrderClock(tx, supervise.OrderRating, "r1", supervise.ClockRatingVerify)
			return err
		})
		if err != nil || onTime {
			t.Fatalf("stopped a week late: on time %v, %v", onTime, err)
		}
		if lv := level("r1"); lv != "normal" {
			t.Errorf("a stopped clock keeps its level %s", lv)
		}
		var views []supervise.OrderClockView
		if err := f.db.View(f.ctx, func(tx *db.Tx) error {
			views, err = supervise.OrderClocks(tx, supervise.OrderRating, "r1")
			return err
		}); err != nil || len(views) != 1 || views[0].StoppedAt == nil || views[0].OnTime == nil || *views[0].OnTime {
			t.Fatalf("the order's clocks: %+v %v", views, err)
		}
		// A stopped clock is stopped once: stopping again says how it ended.
		err = f.db.Update(f.ctx, func(tx *db.Tx) error {
			onTime, err = supervise.StopOrderClock(tx, supervise.OrderRating, "r1", supervise.ClockRatingVerify)
			return err
		})
		if err != nil || onTime {
			t.Errorf("stopping again: %v %v", onTime, err)
		}
		f.pass()
		if pg, _ := f.scanReader().OrderSignals(f.ctx, f.users["supervisor"], supervise.OrderFilter{}); pg == nil || pg.Total != 1 {
			t.Errorf("after the verification the supervisor still sees %+v order signals", pg)
		}
	})
}

// Rules on a work-order clock may only remind or escalate.
func TestOrderClockRules(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		a := &supervise.Admin{DB: d, Home: demo.Region}
		admin := f.users["admin"]
		for _, tc := range []struct {
			action supervise.Action
			ok     bool
		}{{supervise.ActRemind, true}, {supervise.ActEscalate, true}, {supervise.ActUrge, false}, {supervise.ActDeem, false}, {supervise.ActTerminate, false}} {
			r := supervise.RuleView{Rule: supervise.Rule{ID: "r-" + string(tc.action), Clock: supervise.ClockAppealReply, Action: tc.action, Role: "approver"},
				LevelName: "yellow", Enabled: true}
			err := a.SetRule(f.ctx, admin, r)
			if tc.ok && err != nil {
				t.Errorf("%s on a work-order clock refused: %v", tc.action, err)
			}
			if !tc.ok && apperr.CodeOf(err) != apperr.Invalid {
				t.Errorf("%s on a work-order clock: %v", tc.action, err)
			}
		}
	})
}

func (f *fixture) scanReader() *supervise.Reader { return &supervise.Reader{DB: f.db} }
