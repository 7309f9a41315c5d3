package rating

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/blob"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/demo"
	"github.com/tongban/tongban/internal/demotest"
	"github.com/tongban/tongban/internal/identity"
)

type fixture struct {
	*demotest.Env
	t     *testing.T
	svc   *Service
	cases *cases.Service
}

func setup(t *testing.T, d *db.DB) *fixture {
	t.Helper()
	e := demotest.New(t, d, demotest.At("2026-09-28 10:00"))
	cals := calendar.National()
	cs, err := cases.New(d, e.Catalog, e.IDs, cals, blob.Dir{Root: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if err := demo.SeedCases(e.Ctx, d, e.IDs, cs, e.Now); err != nil {
		t.Fatal(err)
	}
	return &fixture{Env: e, t: t, svc: &Service{DB: d, Calendars: cals}, cases: cs}
}

// caseOf is a case of the user's in the state.
func (f *fixture) caseOf(user, state string) string {
	f.t.Helper()
	var id string
	err := f.DB.View(f.Ctx, func(tx *db.Tx) error {
		return tx.QueryRow(`SELECT id FROM cases WHERE applicant_id = $1 AND state = $2 AND parent_id IS NULL ORDER BY id LIMIT 1`,
			f.Users[user].ID, state).Scan(&id)
	})
	if err != nil {
		f.t.Fatalf("%s's case in %s: %v", user, state, err)
	}
	return id
}

func (f *fixture) count(q string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.DB.View(f.Ctx, func(tx *db.Tx) error { return tx.QueryRow(q, args...).Scan(&n) }); err != nil {
		f.t.Fatal(err)
	}
	return n
}

func refused(t *testing.T, err error, code apperr.Code, key string) {
	t.Helper()
	var e *apperr.Error
	if !errors.As(err, &e) || e.Code != code || e.Key != key {
		t.Fatalf("got %v, want %s %s", err, code, key)
	}
}

var bad = Input{Level: Dissatisfied, Indicators: []string{"online.overdue", "online.extra_materials"}, Comment: "补了两次材料，超过承诺时限才办结。", Channel: "pc"}

func TestRateCase(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := f.Ctx
		granted := f.caseOf("zhangsan", "concluded")
		open := f.caseOf("zhangsan", "handling")
		writes := func() int {
			return f.count(`SELECT COUNT(*) FROM ratings`) + f.count(`SELECT COUNT(*) FROM rating_orders`)
		}

		// Bad input first: each refused precisely, nothing written.
		for _, c := range []struct {
			name string
			u    string
			ref  string
			in   Input
			code apperr.Code
			key  string
		}{
			{"by staff", "clerk", granted, bad, apperr.Forbidden, "rating.staff"},
			{"by the handler who acted", "handler", granted, bad, apperr.Forbidden, "rating.staff"},
			{"by someone else", "legalrep", granted, bad, apperr.NotFound, "case.not_found"},
			{"before conclusion", "zhangsan", open, bad, apperr.Conflict, "rating.not_concluded"},
			{"unknown indicator", "zhangsan", granted, Input{Level: Dissatisfied, Indicators: []string{"online.nope"}, Channel: "pc"}, apperr.Invalid, "rating.indicator_unknown"},
			{"bad without indicator", "zhangsan", granted, Input{Level: VeryDissatisfied, Channel: "pc"}, apperr.Invalid, "rating.indicator_required"},
			{"unknown channel", "zhangsan", granted, Input{Level: Satisfied, Channel: "fax"}, apperr.Invalid, "rating.channel_unknown"},
			{"follow-up first", "zhangsan", granted, Input{Kind: KindFollowUp, Level: Satisfied, Channel: "pc"}, apperr.Conflict, "rating.follow_up_first"},
		} {
			_, err := f.svc.Rate(ctx, f.Users[c.u], c.ref, c.in)
			refused(t, err, c.code, c.key)
			if n := writes(); n != 0 {
				t.Fatalf("%s: %d rows written", c.name, n)
			}
		}

		r, err := f.svc.Rate(ctx, f.Users["zhangsan"], granted, bad)
		if err != nil {
			t.Fatal(err)
		}
		if r.Level != Dissatisfied || r.Direction != Direction || r.IndicatorSet != Indicators.Version || len(r.Indicators) != 2 ||
			r.ItemName == "" || r.DepartmentID == "" || r.Region != demo.Region || r.Defaulted || r.OrderID == "" {
			t.Fatalf("rating %+v", r)
		}
		// The staff who acted on the case: clerk, handler, reviewer, approver.
		if len(r.StaffIDs) != 4 {
			t.Fatalf("staff %v", r.StaffIDs)
		}
		_, err = f.svc.Rate(ctx, f.Users["zhangsan"], granted, Input{Level: VerySatisfied, Channel: "mobile"})
		refused(t, err, apperr.Conflict, "rating.already_rated")
		// The unique index holds even past the rules.
		err = f.DB.Update(ctx, func(tx *db.Tx) error {
			r2 := *r
			r2.ID = db.NewID()
			return insert(tx, &r2, nil)
		})
		if !db.IsUniqueViolation(err) {
			t.Fatalf("a second first rating inserted: %v", err)
		}

		f.Advance(24 * time.Hour)
		fu, err := f.svc.Rate(ctx, f.Users["zhangsan"], granted, Input{Kind: KindFollowUp, Level: Basic, Comment: "后来电话解释了。", Channel: "mobile"})
		if err != nil || fu.OrderID != "" {
			t.Fatalf("follow-up %+v %v", fu, err)
		}
		_, err = f.svc.Rate(ctx, f.Users["zhangsan"], granted, Input{Kind: KindFollowUp, Level: Basic, Channel: "mobile"})
		refused(t, err, apperr.Conflict, "rating.follow_up_twice")

		o, err := f.svc.Order(ctx, f.Users["handler"], r.OrderID)
		if err != nil {
			t.Fatal(err)
		}
		if o.State != Pending || o.CaseID != granted || !o.VerifyDueAt.After(o.CreatedAt) || !o.RectifyDueAt.After(o.VerifyDueAt) {
			t.Fatalf("order %+v", o)
		}
		// 1 working day: rated on Monday 2026-09-28, verification due at the end of Tuesday 29th (China).
		if got := o.VerifyDueAt.In(calendar.China).Format("2006-01-02 15:04"); got != "2026-09-30 00:00" {
			t.Fatalf("verify due %s", got)
		}
		// 15 working days across the National Day holiday (Oct 1–8 2026 off; Sep 27 and Oct 10 worked? per the notice).
		if o.RectifyDueAt.Before(demotest.At("2026-10-20 00:00")) {
			t.Fatalf("rectify due %s ignores the holiday", o.RectifyDueAt.In(calendar.China))
		}
		mine, err := f.svc.OfCase(ctx, f.Users["zhangsan"], granted)
		if err != nil || len(mine) != 2 {
			t.Fatalf("own ratings %d %v", len(mine), err)
		}
	})
}

func TestRateWindowAndAgent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		granted := f.caseOf("zhangsan", "concluded")
		f.Advance(8 * 24 * time.Hour)
		_, err := f.svc.Rate(f.Ctx, f.Users["zhangsan"], granted, Input{Level: Satisfied, Channel: "pc"})
		refused(t, err, apperr.Conflict, "rating.window_closed")

		// A region's longer window is data.
		if err := f.DB.Update(f.Ctx, func(tx *db.Tx) error {
			return SetRule(tx, Rule{Region: demo.Region, WindowDays: 30, VerifyDays: 2, RectifyDays: 10})
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Rate(f.Ctx, f.Users["zhangsan"], granted, Input{Level: Satisfied, Channel: "pc"}); err != nil {
			t.Fatal(err)
		}

		// An enterprise's refused case: its legal representative rates it, the enterprise's 经办人 for the item too.
		corp := f.caseOf("democorp", "refused")
		if _, err := f.svc.Rate(f.Ctx, f.Users["legalrep"], corp, Input{Level: Basic, Channel: "mobile"}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Rate(f.Ctx, f.Users["legalrep"], corp, Input{Level: Basic, Channel: "mobile"}); err == nil {
			t.Fatal("rated twice")
		}
	})
}

func TestExpireDefault(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		// Without a region's rule, the window passes and nothing is recorded.
		f.Advance(8 * 24 * time.Hour)
		if n, err := f.svc.Expire(f.Ctx, 100); err != nil || n != 0 {
			t.Fatalf("expired %d %v", n, err)
		}
		if err := f.DB.Update(f.Ctx, func(tx *db.Tx) error {
			return SetRule(tx, Rule{Region: demo.Region, WindowDays: 7, DefaultLevel: Satisfied, VerifyDays: 1, RectifyDays: 15})
		}); err != nil {
			t.Fatal(err)
		}
		rated := f.caseOf("zhangsan", "delivered")
		n, err := f.svc.Expire(f.Ctx, 100)
		if err != nil || n == 0 {
			t.Fatalf("expired %d %v", n, err)
		}
		if again, _ := f.svc.Expire(f.Ctx, 100); again != 0 {
			t.Fatalf("expired again %d", again)
		}
		if got := f.count(`SELECT COUNT(*) FROM ratings WHERE defaulted AND subject_id = $1 AND level = 4`, rated); got != 1 {
			t.Fatalf("default ratings of the delivered case: %d", got)
		}
		if got := f.count(`SELECT COUNT(*) FROM ratings WHERE subject_id IN (SELECT id FROM cases WHERE state = 'withdrawn')`); got != 0 {
			t.Fatal("a withdrawn case rated by default")
		}
		if got := f.count(`SELECT COUNT(*) FROM rating_orders`); got != 0 {
			t.Fatal("an order for a default rating")
		}
	})
}

func TestBurstFlagged(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		text := "非常满意，工作人员服务热情周到！"
		var last *Rating
		for i, u := range []string{"zhangsan", "legalrep", "jingban"} {
			last = &Rating{ID: db.NewID(), SubjectKind: SubjectVisit, SubjectID: db.NewID(), Kind: KindFirst, RaterID: f.Users[u].ID, Level: VerySatisfied,
				Direction: Direction, IndicatorSet: Indicators.Version, Comment: text, Channel: "hall_tablet", DepartmentID: f.deptID(), Region: demo.Region,
				CreatedAt: f.Now()}
			if err := f.DB.Update(f.Ctx, func(tx *db.Tx) error {
				if err := insert(tx, last, nil); err != nil {
					return err
				}
				return flagBurst(tx, last)
			}); err != nil {
				t.Fatal(err)
			}
			if want := i == 2; last.Flagged != want {
				t.Fatalf("rater %d flagged %v", i+1, last.Flagged)
			}
			f.Advance(time.Hour)
		}
		if n := f.count(`SELECT COUNT(*) FROM ratings WHERE flagged`); n != 3 {
			t.Fatalf("flagged %d", n)
		}
	})
}

func (f *fixture) deptID() string {
	var id string
	if err := f.DB.View(context.Background(), func(tx *db.Tx) error {
		return tx.QueryRow(`SELECT department_id FROM cases ORDER BY id LIMIT 1`).Scan(&id)
	}); err != nil {
		f.t.Fatal(err)
	}
	return id
}

var _ = identity.KindStaff
