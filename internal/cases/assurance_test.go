package cases_test

import (
	"context"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/mandate"
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
		// The agent acts for 赵六 under a mandate he confirmed: the level is
		// what refuses the filing.
		ms := &mandate.Service{DB: f.db, Identity: f.ids, Files: f.svc.OpenStored}
		m, err := ms.Request(f.ctx, agent, "", mandate.Request{Name: "赵六", Number: id, AllItems: true, ValidUntil: "2026-12-31", Method: mandate.MethodSMS})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ms.Answer(f.ctx, p, m.ID, true); err != nil {
			t.Fatal(err)
		}
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
			// Past the check, a window filing is refused as a draft: the applicant passed.
			if tc.u == clerk && !apperr.Is(err, apperr.Invalid, "case.window_draft") {
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
		for i := 0; i <= mandate.MatchLimit; i++ {
			_, last = f.svc.VerifyInPerson(f.ctx, clerk, cases.InPersonCheck{Number: id, Name: "猜测", Confirmed: true})
		}
		if !apperr.Is(last, apperr.TooMany, "case.applicant_throttled") {
			t.Fatalf("after %d wrong names: %v", mandate.MatchLimit+1, last)
		}
	})
}

// texts keeps the codes texted (the SMS channels are tested in deliver).
type texts struct{ last map[string]string }

func (x *texts) Text(_ context.Context, phone, kind string, args map[string]any, _ string) error {
	if code, ok := args["otp"].(string); ok {
		x.last[phone] = code
	}
	return nil
}

// A person registered at a window (a walk-in: no password, no number)
// gets online access there: the clerk binds the mobile number the person
// proves with a code; the person then sets a password by SMS.
func TestWindowBindsTheNumberOfAWalkIn(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		const id, phone = "110101199003071233", "13912345678"
		box := &texts{last: map[string]string{}}
		f.ids.Texter = box
		clerk := f.users["clerk"]
		if _, err := f.ids.RegisterWalkIn(f.ctx, "赵六", id); err != nil {
			t.Fatal(err)
		}
		chk := cases.InPersonCheck{Number: id, Name: "赵六", Confirmed: true, Phone: phone}
		if _, err := f.svc.VerifyInPerson(f.ctx, clerk, chk); !apperr.Is(err, apperr.Invalid, "auth.code_required") {
			t.Fatalf("no code: %v", err)
		}
		if _, err := f.ids.SendCode(f.ctx, identity.CodeRequest{Phone: phone, Purpose: identity.CodePhone}); err != nil {
			t.Fatal(err)
		}
		chk.Code = "000000"
		if box.last[phone] == chk.Code {
			chk.Code = "000001"
		}
		if _, err := f.svc.VerifyInPerson(f.ctx, clerk, chk); !apperr.Is(err, apperr.Invalid, "auth.code_wrong") {
			t.Fatalf("wrong code: %v", err)
		}
		chk.Code = box.last[phone]
		v, err := f.svc.VerifyInPerson(f.ctx, clerk, chk)
		if err != nil || v.Changed || v.Phone != "139****5678" { // a walk-in is L2 already
			t.Fatalf("bind: %+v %v", v, err)
		}
		f.SetNow(f.Now().Add(2 * time.Minute))
		if _, err := f.ids.SendCode(f.ctx, identity.CodeRequest{Phone: phone, Purpose: identity.CodeReset, Registered: true}); err != nil {
			t.Fatal(err)
		}
		if err := f.ids.ResetPasswordBySMS(f.ctx, identity.PasswordReset{Phone: phone, Code: box.last[phone], Password: "zhao-liu-password"}); err != nil {
			t.Fatalf("reset: %v", err)
		}
		if _, _, u, err := f.ids.Login(f.ctx, identity.LoginRequest{Username: phone, Password: "zhao-liu-password"}); err != nil || u.Assurance != identity.AssuranceL2 {
			t.Fatalf("the walk-in signs in: %v", err)
		}
	})
}
