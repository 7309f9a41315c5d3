package rating

import (
	"testing"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/demo"
)

// concludeBundle brings 张三's demo 企业开办一件事 to its conclusion: the
// registration granted by the market regulator, then every other sub-case
// accepted (decided at once). It returns the bundle's number and its
// sub-cases' numbers.
func (f *fixture) concludeBundle() (string, []string) {
	f.t.Helper()
	var parent string
	if err := f.DB.Reader().QueryRow(`SELECT case_no FROM cases WHERE bundle_code = 'qykb' AND parent_id IS NULL AND applicant_id = $1`,
		f.Users["zhangsan"].ID).Scan(&parent); err != nil {
		f.t.Fatal(err)
	}
	p, err := f.cases.Get(f.Ctx, f.Users["zhangsan"], parent)
	if err != nil {
		f.t.Fatal(err)
	}
	act := func(user, no, action string) {
		f.t.Helper()
		if _, err := f.cases.Act(f.Ctx, f.Users[user], no, cases.ActionRequest{Action: action}); err != nil {
			f.t.Fatalf("%s %s %s: %v", user, action, no, err)
		}
	}
	var nos []string
	for _, ch := range p.Children {
		nos = append(nos, ch.No)
		if ch.State == "handling" { // the registration
			act("handler", ch.No, "pass")
			act("reviewer", ch.No, "pass")
			act("approver", ch.No, "grant")
		}
	}
	for _, ch := range p.Children {
		if c, _ := f.cases.Get(f.Ctx, f.Users["zhangsan"], ch.No); c.ConcludedAt == nil {
			act("clerk", ch.No, "accept")
		}
	}
	if c, _ := f.cases.Get(f.Ctx, f.Users["zhangsan"], parent); c.State != "concluded" || c.ConcludedAt == nil {
		f.t.Fatalf("the bundle is %s", c.State)
	}
	return parent, nos
}

// A 一件事 is rated once as a whole (issue 18): refused before it
// concludes; by its number or a sub-case's, the rating is recorded for each
// sub-case in its own department, a bad one opening each department's work
// order; a second first rating is refused, one 追评 fans out alike; staff
// never rate; the applicant's lists on the bundle show every part.
func TestRateBundle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		zs := f.Users["zhangsan"]
		var parent string
		if err := d.Reader().QueryRow(`SELECT case_no FROM cases WHERE bundle_code = 'qykb' AND parent_id IS NULL`).Scan(&parent); err != nil {
			t.Fatal(err)
		}
		_, err := f.svc.Rate(f.Ctx, zs, parent, bad)
		refused(t, err, apperr.Conflict, "rating.not_concluded")
		parent, parts := f.concludeBundle()
		if f.count(`SELECT COUNT(*) FROM ratings`) != 0 {
			t.Fatal("a refusal wrote a rating")
		}
		_, err = f.svc.Rate(f.Ctx, f.Users["clerk"], parent, bad)
		refused(t, err, apperr.Forbidden, "rating.staff")

		// Rated by a sub-case's number (its own notice): the bundle is rated.
		r, err := f.svc.Rate(f.Ctx, zs, parts[1], bad)
		if err != nil {
			t.Fatal(err)
		}
		if r.SubjectNo != parent || r.ID != "" || len(r.Parts) != len(parts) {
			t.Fatalf("bundle rating %+v", r)
		}
		depts, nos := map[string]bool{}, map[string]bool{}
		for i, p := range r.Parts {
			if p.Level != Dissatisfied || p.OrderID == "" || p.DepartmentID == "" || p.Kind != KindFirst {
				t.Errorf("part %d: %+v", i, p)
			}
			depts[p.DepartmentID], nos[p.SubjectNo] = true, true
		}
		for _, no := range parts {
			if !nos[no] {
				t.Errorf("sub-case %s not rated", no)
			}
		}
		if len(depts) < 2 {
			t.Errorf("the parts' departments: %v", depts)
		}
		if n := f.count(`SELECT COUNT(*) FROM rating_orders`); n != len(parts) {
			t.Errorf("work orders: %d, want %d", n, len(parts))
		}
		if n := f.count(`SELECT COUNT(*) FROM ratings WHERE subject_no = $1`, parent); n != 0 {
			t.Errorf("the parent itself was rated %d times", n)
		}
		_, err = f.svc.Rate(f.Ctx, zs, parent, bad)
		refused(t, err, apperr.Conflict, "rating.already_rated")
		fu, err := f.svc.Rate(f.Ctx, zs, parent, Input{Kind: KindFollowUp, Level: Basic, Comment: "后来补办了。", Channel: "pc"})
		if err != nil || len(fu.Parts) != len(parts) || fu.Parts[0].OrderID != "" {
			t.Fatalf("追评: %v %+v", err, fu)
		}
		_, err = f.svc.Rate(f.Ctx, zs, parts[0], Input{Kind: KindFollowUp, Level: Basic, Channel: "pc"})
		refused(t, err, apperr.Conflict, "rating.follow_up_twice")
		list, err := f.svc.OfCase(f.Ctx, zs, r.SubjectID)
		if err != nil || len(list) != 2*len(parts) {
			t.Errorf("the bundle's ratings for 张三: %d %v", len(list), err)
		}
		orders, err := f.svc.OrdersOfCase(f.Ctx, zs, r.SubjectID)
		if err != nil || len(orders) != len(parts) {
			t.Errorf("the bundle's orders for 张三: %d %v", len(orders), err)
		}
	})
}

// When a bundle's window passes under a region's default rule, each of
// its sub-cases takes the default rating, the bundle's parent none.
func TestExpireBundle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		parent, parts := f.concludeBundle()
		if err := f.DB.Update(f.Ctx, func(tx *db.Tx) error {
			return SetRule(tx, Rule{Region: demo.Region, WindowDays: 7, DefaultLevel: Satisfied, VerifyDays: 1, RectifyDays: 15})
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Expire(f.Ctx, 1000); err != nil {
			t.Fatal(err)
		}
		if n := f.count(`SELECT COUNT(*) FROM ratings r JOIN cases c ON c.id = r.subject_id WHERE c.bundle_code = 'qykb'`); n != 0 {
			t.Fatalf("defaulted within the window: %d", n)
		}
		f.Advance(8 * 24 * time.Hour)
		if _, err := f.svc.Expire(f.Ctx, 1000); err != nil {
			t.Fatal(err)
		}
		if n := f.count(`SELECT COUNT(*) FROM ratings WHERE subject_no = $1`, parent); n != 0 {
			t.Errorf("the bundle's parent was rated by default")
		}
		if n := f.count(`SELECT COUNT(*) FROM ratings r JOIN cases c ON c.id = r.subject_id WHERE c.parent_id IS NOT NULL AND c.bundle_code = 'qykb'
			AND r.defaulted AND r.level = 4`); n != len(parts) {
			t.Errorf("sub-cases rated by default: %d, want %d", n, len(parts))
		}
		// As for any case rated by default: that rating is the first.
		_, err := f.svc.Rate(f.Ctx, f.Users["zhangsan"], parent, bad)
		refused(t, err, apperr.Conflict, "rating.already_rated")
	})
}
