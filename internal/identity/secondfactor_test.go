package identity_test

import (
	"context"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/identity"
)

func code(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSecondFactor: an administrator enrols a TOTP secret, then logs in only
// with a code from it; a code is never accepted twice, a recovery code once;
// enrolment, recovery codes and refusals are audited.
func TestSecondFactor(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		admin, err := f.svc.CreateStaff(ctx, identity.NewStaff{Account: identity.Account{Username: "admin", Password: pw}, Name: "管理员",
			Grants: []identity.Grant{{Role: identity.RoleAdmin, RegionCode: "500102"}}})
		if err != nil {
			t.Fatal(err)
		}
		login := func(c string) error {
			_, _, _, err := f.svc.Login(ctx, identity.LoginRequest{Username: "admin", Password: pw, Code: c, Kind: identity.SessionAPI, IP: "10.0.0.1"})
			return err
		}
		if !admin.MustEnrol() {
			t.Fatal("an administrator without a second factor need not enrol")
		}
		if err := login(""); !apperr.Is(err, apperr.Forbidden, "auth.second_factor_enrol") {
			t.Fatalf("API login before enrolment: %v", err)
		}
		// The web logs an unenrolled administrator in, to enrol.
		res, err := f.svc.BeginLogin(ctx, identity.LoginRequest{Username: "admin", Password: pw, IP: "10.0.0.1"})
		if err != nil || res.Token == "" || !res.User.MustEnrol() {
			t.Fatalf("web login before enrolment: %v %+v", err, res)
		}

		en, err := f.svc.BeginEnrolment(ctx, admin)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.ConfirmEnrolment(ctx, admin, "000000"); !apperr.Is(err, apperr.Invalid, "auth.second_factor_wrong") {
			t.Fatalf("a wrong code enrolled: %v", err)
		}
		recovery, err := f.svc.ConfirmEnrolment(ctx, admin, code(t, en.Secret, f.now))
		if err != nil || len(recovery) != identity.RecoveryCodeCount {
			t.Fatalf("enrol: %v %v", err, recovery)
		}
		if _, err := f.svc.BeginEnrolment(ctx, admin); apperr.CodeOf(err) != apperr.Conflict {
			t.Errorf("a second enrolment over the first: %v", err)
		}
		var sealed []byte
		d.Reader().QueryRow(`SELECT totp_sealed FROM users WHERE id = $1`, admin.ID).Scan(&sealed)
		if len(sealed) == 0 || string(sealed) == en.Secret {
			t.Error("the TOTP secret is not sealed")
		}

		// The code used to enrol is spent; the next step's code works once.
		if err := login(code(t, en.Secret, f.now)); !apperr.Is(err, apperr.Unauthenticated, "auth.second_factor_wrong") {
			t.Errorf("the enrolment's code replayed: %v", err)
		}
		if err := login(""); !apperr.Is(err, apperr.Unauthenticated, "auth.second_factor_required") {
			t.Errorf("no code: %v", err)
		}
		f.now = f.now.Add(30 * time.Second)
		c := code(t, en.Secret, f.now)
		if err := login(c); err != nil {
			t.Fatalf("a fresh code: %v", err)
		}
		if err := login(c); !apperr.Is(err, apperr.Unauthenticated, "auth.second_factor_wrong") {
			t.Errorf("the same code twice: %v", err)
		}
		// An earlier step's code (within the drift allowed) is not accepted after a later one.
		if err := login(code(t, en.Secret, f.now.Add(-30*time.Second))); err == nil {
			t.Error("an older code after a newer one")
		}
		f.now = f.now.Add(5 * time.Minute)
		if err := login(code(t, en.Secret, f.now.Add(-2*time.Minute))); err == nil {
			t.Error("a code four steps old")
		}
		// A recovery code, in any case and grouping, works once.
		if err := login("  " + recovery[0] + " "); err != nil {
			t.Fatalf("recovery code: %v", err)
		}
		if err := login(recovery[0]); !apperr.Is(err, apperr.Unauthenticated, "auth.second_factor_wrong") {
			t.Errorf("a recovery code twice: %v", err)
		}

		// The web's two steps: the password answers a challenge, the code a session.
		f.now = f.now.Add(30 * time.Second)
		res, err = f.svc.BeginLogin(ctx, identity.LoginRequest{Username: "admin", Password: pw, IP: "10.0.0.1"})
		if err != nil || res.Challenge == "" || res.Token != "" {
			t.Fatalf("web first step: %v %+v", err, res)
		}
		if _, err := f.svc.CompleteLogin(ctx, res.Challenge, identity.LoginRequest{Code: "123456", IP: "10.0.0.1"}); !apperr.Is(err, apperr.Unauthenticated, "auth.second_factor_wrong") {
			t.Errorf("wrong code: %v", err)
		}
		done, err := f.svc.CompleteLogin(ctx, res.Challenge, identity.LoginRequest{Code: code(t, en.Secret, f.now), IP: "10.0.0.1"})
		if err != nil || done.Token == "" || done.User.ID != admin.ID {
			t.Fatalf("web second step: %v", err)
		}
		if _, err := f.svc.CompleteLogin(ctx, res.Challenge, identity.LoginRequest{Code: recovery[1], IP: "10.0.0.1"}); !apperr.Is(err, apperr.Unauthenticated, "auth.challenge_expired") {
			t.Errorf("a challenge used twice: %v", err)
		}
		// Five wrong codes end a challenge; an old one has expired.
		res, _ = f.svc.BeginLogin(ctx, identity.LoginRequest{Username: "admin", Password: pw, IP: "10.0.0.1", Device: "d"})
		for range identity.ChallengeAttempts {
			f.now = f.now.Add(20 * time.Second) // past the throttle's waits
			f.svc.CompleteLogin(ctx, res.Challenge, identity.LoginRequest{Code: "999999", IP: "10.0.0.1", Device: "d"})
		}
		if _, err := f.svc.CompleteLogin(ctx, res.Challenge, identity.LoginRequest{Code: recovery[1], IP: "10.0.0.1", Device: "d"}); !apperr.Is(err, apperr.Unauthenticated, "auth.challenge_expired") {
			t.Errorf("after five wrong codes: %v", err)
		}
		f.now = f.now.Add(time.Hour)
		res, _ = f.svc.BeginLogin(ctx, identity.LoginRequest{Username: "admin", Password: pw, IP: "10.0.0.1"})
		f.now = f.now.Add(identity.ChallengeTTL)
		if _, err := f.svc.CompleteLogin(ctx, res.Challenge, identity.LoginRequest{Code: recovery[1], IP: "10.0.0.1"}); !apperr.Is(err, apperr.Unauthenticated, "auth.challenge_expired") {
			t.Errorf("an expired challenge: %v", err)
		}

		for action, want := range map[string]int{"auth.second_factor_enrolled": 1, "auth.recovery_code_used": 1} {
			var n int
			d.Reader().QueryRow(`SELECT count(*) FROM audit_pending WHERE action = $1 AND object_id = $2`, action, admin.ID).Scan(&n)
			if n != want {
				t.Errorf("%d %s records, want %d", n, action, want)
			}
		}
		for _, reason := range []string{"bad_second_factor", "second_factor_not_enrolled"} {
			var n int
			d.Reader().QueryRow(`SELECT count(*) FROM audit_pending WHERE action = 'auth.login_failed' AND object_id = $1 AND payload LIKE $2`, admin.ID, `%"reason":"`+reason+`"%`).Scan(&n)
			if n == 0 {
				t.Errorf("no refusal audited as %s", reason)
			}
		}

		// Reset (a lost phone): enrol again at the next login.
		if err := f.svc.ResetSecondFactor(ctx, "admin"); err != nil {
			t.Fatal(err)
		}
		if u, _ := f.svc.UserByUsername(ctx, "admin"); !u.MustEnrol() {
			t.Error("reset kept the second factor")
		}
	})
}

// TestDemoSecondFactor: the demo's administrator has the demo's published
// secret until its password changes.
func TestDemoSecondFactor(t *testing.T) {
	f := setup(t, dbtest.SQLite(t))
	ctx := context.Background()
	f.svc.CreateStaff(ctx, identity.NewStaff{Account: identity.Account{Username: "admin", Password: identity.DemoPassword, Demo: true}, Name: "管理员",
		Grants: []identity.Grant{{Role: identity.RoleAdmin, RegionCode: "500102"}}})
	f.svc.CreateStaff(ctx, identity.NewStaff{Account: identity.Account{Username: "clerk", Password: identity.DemoPassword, Demo: true}, Name: "窗口",
		Grants: []identity.Grant{{Role: identity.RoleClerk, RegionCode: "500102"}}})
	for _, u := range []string{"admin", "clerk"} {
		if err := f.svc.EnrolDemoSecondFactor(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	if u, _ := f.svc.UserByUsername(ctx, "clerk"); u.SecondFactor {
		t.Error("a clerk got the demo's second factor")
	}
	if _, _, _, err := f.svc.Login(ctx, identity.LoginRequest{Username: "admin", Password: identity.DemoPassword, Code: code(t, identity.DemoTOTPSecret, f.now)}); err != nil {
		t.Fatalf("demo admin with the demo code: %v", err)
	}
	if err := f.svc.SetPassword(ctx, "admin", "a private password"); err != nil {
		t.Fatal(err)
	}
	if u, _ := f.svc.UserByUsername(ctx, "admin"); !u.MustEnrol() {
		t.Error("the published demo secret outlived the demo password")
	}
}
