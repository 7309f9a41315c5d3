package cases_test

import (
	"testing"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/identity"
)

// Issue 16: an item that requires L2 refuses a person below it online and
// through an agent, not at a window; a clerk raises the person to L2,
// naming them by number and name as an agent does (no oracle, throttled).
func TestAssuranceRequired(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		const id = "110101199003071233"
		p, err := f.ids.CreatePerson(f.ctx, identity.NewPerson{Account: identity.Account{Username: "zhaoliu", Password: "a-long-test-password"},
			Name: "赵六", IDNumber: id, Region: "500102103000"}) // 南沱镇: the demo agent's town
		if err != nil {
			t.Fatal(err)
		}
		marriage := f.codes["内地居民结婚登记"]
		if marriage == "" {
			t.Fatal("no marriage registration in the demo")
		}
		draft := func(u *identity.User, nc cases.NewCase) error {
			nc.ItemCode = marriage
			_, _, err := f.svc.Create(f.ctx, u, nc)
			return err
		}
		agent, clerk := f.users["agent"], f.users["clerk"]
		for _, tc := range []struct {
			name    string
			u       *identity.User
			nc      cases.NewCase
			refused bool
		}{
			{"online, L1", p, cases.NewCase{}, true},
			{"agent for an L1 person", agent, cases.NewCase{Applicant: id, ApplicantName: "赵六"}, true},
			{"window", clerk, cases.NewCase{Applicant: id}, false},
			{"online, L2 (张三)", f.users["zhangsan"], cases.NewCase{}, false},
		} {
			err := draft(tc.u, tc.nc)
			if got := apperr.Is(err, apperr.Forbidden, "case.assurance_required"); got != tc.refused {
				t.Errorf("%s: %v", tc.name, err)
			}
		}

		// The clerk's verification.
		for _, tc := range []struct {
			name string
			u    *identity.User
			chk  cases.InPersonCheck
			code apperr.Code
			key  string
		}{
			{"an agent", agent, cases.InPersonCheck{Number: id, Name: "赵六", Confirmed: true}, apperr.Forbidden, "error.forbidden"},
			{"the person", p, cases.InPersonCheck{Number: id, Name: "赵六", Confirmed: true}, apperr.Forbidden, "error.forbidden"},
			{"not confirmed", clerk, cases.InPersonCheck{Number: id, Name: "赵六"}, apperr.Invalid, "assurance.confirm_required"},
			{"no name", clerk, cases.InPersonCheck{Number: id, Confirmed: true}, apperr.Invalid, "case.agent_applicant_required"},
			{"wrong name", clerk, cases.InPersonCheck{Number: id, Name: "赵七", Confirmed: true}, apperr.Invalid, "case.applicant_unmatched"},
			{"unregistered", clerk, cases.InPersonCheck{Number: "110101198506154562", Name: "赵六", Confirmed: true}, apperr.Invalid, "case.applicant_unmatched"},
			{"an enterprise", clerk, cases.InPersonCheck{Number: "91500102MA5U7X2K", Name: "赵六", Confirmed: true}, apperr.Invalid, ""},
		} {
			_, err := f.svc.VerifyInPerson(f.ctx, tc.u, tc.chk)
			if apperr.CodeOf(err) != tc.code || (tc.key != "" && !apperr.Is(err, tc.code, tc.key)) {
				t.Errorf("%s: %v", tc.name, err)
			}
		}
		v, err := f.svc.VerifyInPerson(f.ctx, clerk, cases.InPersonCheck{Number: id, Name: " 赵六 ", Confirmed: true})
		if err != nil || !v.Changed || v.Applicant.UserID != p.ID || v.Applicant.Masked == id {
			t.Fatalf("verify: %+v %v", v, err)
		}
		if v, err := f.svc.VerifyInPerson(f.ctx, clerk, cases.InPersonCheck{Number: id, Name: "赵六", Confirmed: true}); err != nil || v.Changed {
			t.Fatalf("again: %+v %v", v, err)
		}
		u, _ := f.ids.UserByID(f.ctx, p.ID)
		if u.Assurance != identity.AssuranceL2 {
			t.Fatalf("assurance %d", u.Assurance)
		}
		if err := draft(u, cases.NewCase{}); err != nil {
			t.Fatalf("an L2 person files: %v", err)
		}
		var n int
		if err := f.db.Reader().QueryRow(`SELECT count(*) FROM audit_pending WHERE action = 'account.assurance' AND object_id = $1 AND actor_id = $2`, p.ID, clerk.ID).Scan(&n); err != nil || n != 1 {
			t.Fatalf("account.assurance records: %d %v", n, err)
		}

		// Guessing names is throttled as an agent's is.
		var last error
		for i := 0; i <= cases.MatchLimit; i++ {
			_, last = f.svc.VerifyInPerson(f.ctx, clerk, cases.InPersonCheck{Number: id, Name: "猜测", Confirmed: true})
		}
		if !apperr.Is(last, apperr.TooMany, "case.applicant_throttled") {
			t.Fatalf("after %d wrong names: %v", cases.MatchLimit+1, last)
		}
	})
}
