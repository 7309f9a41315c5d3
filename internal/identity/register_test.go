package identity_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/identity"
)

const (
	idA = "110101199003071233" // valid check digit and date
	idB = "110101198506154562"
)

// regFixture asks codes with the clock moved past the gap between them.
type regFixture struct {
	*fixture
	box *phoneBox
}

func (f *regFixture) code(t *testing.T, phone string, p identity.CodePurpose) string {
	t.Helper()
	f.now = f.now.Add(2 * time.Minute)
	n := len(f.box.sent)
	if _, err := f.svc.SendCode(context.Background(), identity.CodeRequest{Phone: phone, Purpose: p, IP: "203.0.113.9", Registered: p != identity.CodeRegister}); err != nil {
		t.Fatal(err)
	}
	if len(f.box.sent) == n {
		return "" // not texted (a number that is no account's)
	}
	return f.box.last(t)
}

func newReg(t *testing.T, d *db.DB) *regFixture {
	f := &regFixture{fixture: setup(t, d), box: &phoneBox{}}
	f.svc.Texter = f.box
	return f
}

func TestRegisterBadInput(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newReg(t, d)
		ctx := context.Background()
		good := identity.Registration{Name: "李四", IDNumber: idA, Phone: "13800138001", Password: pw}
		users := count(t, d, "users")
		for _, tc := range []struct {
			name string
			edit func(r *identity.Registration)
			code apperr.Code
			key  string
		}{
			{"no name", func(r *identity.Registration) { r.Name = "  " }, apperr.Invalid, "auth.name_required"},
			{"check digit", func(r *identity.Registration) { r.IDNumber = "110101199003071234" }, apperr.Invalid, "codes.citizen_id.check"},
			{"birth date", func(r *identity.Registration) { r.IDNumber = "110101199002301236" }, apperr.Invalid, ""},
			{"malformed phone", func(r *identity.Registration) { r.Phone = "1380013800" }, apperr.Invalid, "codes.mobile"},
			{"short password", func(r *identity.Registration) { r.Password = "short" }, apperr.Invalid, "auth.password_short"},
			{"user name shape", func(r *identity.Registration) { r.Username = "a b" }, apperr.Invalid, "auth.username_format"},
			{"user name a number", func(r *identity.Registration) { r.Username = "13900139000" }, apperr.Invalid, "auth.username_mobile"},
			{"no code", func(r *identity.Registration) { r.Code = "" }, apperr.Invalid, "auth.code_required"},
			{"code never asked", func(r *identity.Registration) { r.Phone = "13800138009" }, apperr.Invalid, "auth.code_missing"},
			{"wrong code", func(r *identity.Registration) { r.Code = "000000" }, apperr.Invalid, "auth.code_wrong"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := good
				r.Code = "999999"
				if tc.name == "wrong code" {
					real := f.code(t, r.Phone, identity.CodeRegister)
					if real == "000000" {
						t.Skip("the random code was the wrong guess")
					}
				}
				tc.edit(&r)
				_, err := f.svc.Register(ctx, r)
				if apperr.CodeOf(err) != tc.code || (tc.key != "" && !apperr.Is(err, tc.code, tc.key)) {
					t.Fatalf("got %v, want %s %s", err, tc.code, tc.key)
				}
				if n := count(t, d, "users"); n != users {
					t.Fatalf("%d users after a refused registration, want %d", n, users)
				}
			})
		}

		// Expired: the code outlived its five minutes.
		r := good
		r.Code = f.code(t, r.Phone, identity.CodeRegister)
		f.now = f.now.Add(6 * time.Minute)
		if _, err := f.svc.Register(ctx, r); !apperr.Is(err, apperr.Invalid, "auth.code_expired") {
			t.Fatalf("expired code: %v", err)
		}
		// A right code: an L1 person with a verified phone, signed in.
		r.Code = f.code(t, r.Phone, identity.CodeRegister)
		res, err := f.svc.Register(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		if res.User.Assurance != identity.AssuranceL1 || res.User.Kind != identity.KindPerson || res.User.DisplayName != "李四" {
			t.Fatalf("registered %+v", res.User)
		}
		if _, u, err := f.svc.Authenticate(ctx, res.Token, identity.SessionWeb); err != nil || u.ID != res.User.ID {
			t.Fatalf("the registration's session: %v", err)
		}
		if m, _ := f.svc.AccountPhone(ctx, res.User.ID); m != "138****8001" {
			t.Fatalf("verified phone %q", m)
		}
		// Reused: the same code again.
		if _, err := f.svc.Register(ctx, r); !apperr.Is(err, apperr.Invalid, "auth.code_used") {
			t.Fatalf("reused code: %v", err)
		}
		// Signs in with the mobile number and the password.
		if _, _, _, err := f.svc.Login(ctx, identity.LoginRequest{Username: "13800138001", Password: pw, IP: "203.0.113.9"}); err != nil {
			t.Fatalf("password login by mobile number: %v", err)
		}
		// Another ID number on a number already bound: said (the registrant holds it).
		r2 := identity.Registration{Name: "王五", IDNumber: idB, Phone: r.Phone, Password: pw}
		r2.Code = f.code(t, r2.Phone, identity.CodeRegister)
		if _, err := f.svc.Register(ctx, r2); !apperr.Is(err, apperr.Conflict, "auth.phone_taken") {
			t.Fatalf("phone taken: %v", err)
		}
		if n := count(t, d, "users"); n != users+1 {
			t.Fatalf("%d users, want %d", n, users+1)
		}
	})
}

func TestRegisterDuplicateIsNoOracle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newReg(t, d)
		ctx := context.Background()
		first := identity.Registration{Name: "李四", IDNumber: idA, Phone: "13800138001", Password: pw, Username: "lisi"}
		first.Code = f.code(t, first.Phone, identity.CodeRegister)
		ok, err := f.svc.Register(ctx, first)
		if err != nil {
			t.Fatal(err)
		}
		users, phones := count(t, d, "users"), count(t, d, "account_phones")
		// Someone else, with another phone they hold, types the same number.
		dup := identity.Registration{Name: "冒名", IDNumber: strings.ToLower(idA), Phone: "13900139002", Password: pw, Username: "fake1"}
		dup.Code = f.code(t, dup.Phone, identity.CodeRegister)
		sent := len(f.box.sent)
		res, err := f.svc.Register(ctx, dup)
		if err != nil {
			t.Fatalf("a duplicate must answer as a success: %v", err)
		}
		if res.Token == "" || res.Session == nil || res.User == nil || res.User.Kind != ok.User.Kind || res.User.Assurance != ok.User.Assurance || !res.Session.ExpiresAt.After(f.now) {
			t.Fatalf("not the shape of a success: %+v", res)
		}
		if _, _, err := f.svc.Authenticate(ctx, res.Token, identity.SessionWeb); apperr.CodeOf(err) != apperr.Unauthenticated {
			t.Fatalf("the decoy token opened something: %v", err)
		}
		if count(t, d, "users") != users || count(t, d, "account_phones") != phones {
			t.Fatal("a duplicate made something")
		}
		// The holder is told on their verified number; no ID number in the text.
		if len(f.box.sent) != sent+1 {
			t.Fatalf("%d texts, want the holder told", len(f.box.sent)-sent)
		}
		msg := f.box.sent[len(f.box.sent)-1]
		if msg.kind != "account_exists" || msg.phone != "13800138001" || len(msg.args) != 0 {
			t.Fatalf("holder's text: %+v", msg)
		}
		// The code was used: it cannot be tried again with another number.
		if _, err := f.svc.Register(ctx, dup); !apperr.Is(err, apperr.Invalid, "auth.code_used") {
			t.Fatalf("reused: %v", err)
		}
	})
}

func TestLoginAndResetBySMS(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newReg(t, d)
		ctx := context.Background()
		r := identity.Registration{Name: "李四", IDNumber: idA, Phone: "13800138001", Password: pw}
		r.Code = f.code(t, r.Phone, identity.CodeRegister)
		reg, err := f.svc.Register(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		// A number that is no account's gets no code, and no code opens it.
		if c := f.code(t, "13700137000", identity.CodeLogin); c != "" {
			t.Fatal("a code texted to a number that is no account's")
		}
		if _, err := f.svc.LoginBySMS(ctx, identity.SMSLogin{Phone: "13700137000", Code: "123456"}); apperr.CodeOf(err) != apperr.Invalid {
			t.Fatalf("unknown number: %v", err)
		}
		if _, err := f.svc.LoginBySMS(ctx, identity.SMSLogin{Phone: "138001380", Code: "123456"}); !apperr.Is(err, apperr.Invalid, "codes.mobile") {
			t.Fatalf("malformed: %v", err)
		}
		code := f.code(t, r.Phone, identity.CodeLogin)
		wrong := "000000"
		if code == wrong {
			wrong = "000001"
		}
		if _, err := f.svc.LoginBySMS(ctx, identity.SMSLogin{Phone: r.Phone, Code: wrong}); !apperr.Is(err, apperr.Invalid, "auth.code_wrong") {
			t.Fatalf("wrong code: %v", err)
		}
		res, err := f.svc.LoginBySMS(ctx, identity.SMSLogin{Phone: r.Phone, Code: code, IP: "203.0.113.9"})
		if err != nil || res.User.ID != reg.User.ID {
			t.Fatalf("sms login: %v", err)
		}
		if _, err := f.svc.LoginBySMS(ctx, identity.SMSLogin{Phone: r.Phone, Code: code}); !apperr.Is(err, apperr.Invalid, "auth.code_used") {
			t.Fatalf("reused login code: %v", err)
		}
		var method string
		if err := d.Reader().QueryRow(`SELECT count(*) FROM audit_pending WHERE action = 'auth.login' AND object_id = $1 AND payload LIKE '%"method":"sms"%'`, reg.User.ID).Scan(&method); err != nil || method != "1" {
			t.Fatalf("auth.login records: %q %v", method, err)
		}

		// Reset: every session ends, the old password stops, the new one works.
		code = f.code(t, r.Phone, identity.CodeReset)
		if err := f.svc.ResetPasswordBySMS(ctx, identity.PasswordReset{Phone: r.Phone, Code: code, Password: "short"}); !apperr.Is(err, apperr.Invalid, "auth.password_short") {
			t.Fatalf("short: %v", err)
		}
		if err := f.svc.ResetPasswordBySMS(ctx, identity.PasswordReset{Phone: r.Phone, Code: code, Password: "a new long password"}); err != nil {
			t.Fatal(err)
		}
		for _, tok := range []string{reg.Token, res.Token} {
			if _, _, err := f.svc.Authenticate(ctx, tok, identity.SessionWeb); apperr.CodeOf(err) != apperr.Unauthenticated {
				t.Fatalf("a session outlived the reset: %v", err)
			}
		}
		if _, _, _, err := f.svc.Login(ctx, identity.LoginRequest{Username: r.Phone, Password: pw}); apperr.CodeOf(err) != apperr.Unauthenticated {
			t.Fatalf("old password: %v", err)
		}
		if _, _, _, err := f.svc.Login(ctx, identity.LoginRequest{Username: r.Phone, Password: "a new long password"}); err != nil {
			t.Fatalf("new password: %v", err)
		}
		if err := f.svc.ResetPasswordBySMS(ctx, identity.PasswordReset{Phone: r.Phone, Code: code, Password: "another long one"}); !apperr.Is(err, apperr.Invalid, "auth.code_used") {
			t.Fatalf("reused reset code: %v", err)
		}
		var n int
		if err := d.Reader().QueryRow(`SELECT count(*) FROM audit_pending WHERE action = 'account.password_reset' AND object_id = $1`, reg.User.ID).Scan(&n); err != nil || n != 1 {
			t.Fatalf("reset audited %d times: %v", n, err)
		}

		// Staff: neither signed in nor reset by SMS.
		st, err := f.svc.CreateStaff(ctx, identity.NewStaff{Account: identity.Account{Username: "clerk1", Password: pw}, Name: "窗口",
			Grants: []identity.Grant{{Role: identity.RoleClerk, DepartmentID: f.dept}}})
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Update(ctx, func(tx *db.Tx) error { return f.svc.SetAccountPhoneTx(tx, st.ID, "13600136000") }); err != nil {
			t.Fatal(err)
		}
		code = f.code(t, "13600136000", identity.CodeLogin)
		if _, err := f.svc.LoginBySMS(ctx, identity.SMSLogin{Phone: "13600136000", Code: code}); !apperr.Is(err, apperr.Forbidden, "auth.sms_login_staff") {
			t.Fatalf("staff sms login: %v", err)
		}
		code = f.code(t, "13600136000", identity.CodeReset)
		if err := f.svc.ResetPasswordBySMS(ctx, identity.PasswordReset{Phone: "13600136000", Code: code, Password: "a new long password"}); !apperr.Is(err, apperr.Forbidden, "auth.reset_staff") {
			t.Fatalf("staff reset: %v", err)
		}
	})
}

// A registration's refusals that may be said (the number bound to another
// account, the user name taken) come before the duplicate check: they do
// not tell whether the ID number is registered.
func TestRegisterRefusalsAreNoOracle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newReg(t, d)
		ctx := context.Background()
		r := identity.Registration{Name: "李四", IDNumber: idA, Phone: "13800138001", Password: pw, Username: "lisi"}
		r.Code = f.code(t, r.Phone, identity.CodeRegister)
		if _, err := f.svc.Register(ctx, r); err != nil {
			t.Fatal(err)
		}
		for _, number := range []string{idA, idB} { // registered, and not
			// The registrant's own bound number, then a user name taken.
			r := identity.Registration{Name: "某人", IDNumber: number, Phone: "13800138001", Password: pw}
			r.Code = f.code(t, r.Phone, identity.CodeRegister)
			if _, err := f.svc.Register(ctx, r); !apperr.Is(err, apperr.Conflict, "auth.phone_taken") {
				t.Errorf("%s, bound number: %v", number, err)
			}
			r = identity.Registration{Name: "某人", IDNumber: number, Phone: "13900139000", Password: pw, Username: "lisi"}
			r.Code = f.code(t, r.Phone, identity.CodeRegister)
			if _, err := f.svc.Register(ctx, r); !apperr.Is(err, apperr.Conflict, "auth.username_taken") {
				t.Errorf("%s, name taken: %v", number, err)
			}
		}
	})
}

// Signing in by SMS code is counted by the login throttle as a password
// attempt is: past the free failures the next attempt waits.
func TestLoginBySMSIsThrottled(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newReg(t, d)
		ctx := context.Background()
		r := identity.Registration{Name: "李四", IDNumber: idA, Phone: "13800138001", Password: pw}
		r.Code = f.code(t, r.Phone, identity.CodeRegister)
		if _, err := f.svc.Register(ctx, r); err != nil {
			t.Fatal(err)
		}
		code := f.code(t, r.Phone, identity.CodeLogin)
		for i := 0; i <= f.svc.Throttle.PairFree; i++ {
			if _, err := f.svc.LoginBySMS(ctx, identity.SMSLogin{Phone: r.Phone, Code: wrongSix(code), IP: "203.0.113.9"}); !apperr.Is(err, apperr.Invalid, "auth.code_wrong") {
				t.Fatalf("attempt %d: %v", i+1, err)
			}
		}
		if _, err := f.svc.LoginBySMS(ctx, identity.SMSLogin{Phone: r.Phone, Code: code, IP: "203.0.113.9"}); !apperr.Is(err, apperr.TooMany, "auth.throttled_seconds") {
			t.Fatalf("past the free failures: %v", err)
		}
		var n int
		if err := d.Reader().QueryRow(`SELECT count(*) FROM audit_pending WHERE action = 'auth.login_failed' AND payload LIKE '%bad_sms_code%'`).Scan(&n); err != nil || n != f.svc.Throttle.PairFree+1 {
			t.Fatalf("failed SMS logins audited: %d %v", n, err)
		}
	})
}

func wrongSix(c string) string {
	if c == "000000" {
		return "000001"
	}
	return "000000"
}
