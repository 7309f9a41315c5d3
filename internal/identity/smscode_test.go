package identity_test

import (
	"context"
	"errors"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/identity"
)

// phoneBox is a Texter that keeps what it was given (the SMS channels are
// tested with real servers in internal/deliver).
type phoneBox struct {
	mu   sync.Mutex
	sent []texted
	fail error
}

type texted struct {
	phone, kind, idem string
	args              map[string]any
}

func (p *phoneBox) Text(_ context.Context, phone, kind string, args map[string]any, idem string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail != nil {
		return p.fail
	}
	p.sent = append(p.sent, texted{phone, kind, idem, args})
	return nil
}

func (p *phoneBox) last(t *testing.T) string {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.sent) == 0 {
		t.Fatal("no code texted")
	}
	code, _ := p.sent[len(p.sent)-1].args["otp"].(string)
	if !regexp.MustCompile(`^[0-9]{6}$`).MatchString(code) {
		t.Fatalf("code %q", code)
	}
	return code
}

func TestSMSCodes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		box := &phoneBox{}
		f.svc.Texter = box
		ctx := context.Background()
		ask := func(phone string, p identity.CodePurpose) error {
			_, err := f.svc.SendCode(ctx, identity.CodeRequest{Phone: phone, Purpose: p, IP: "203.0.113.7"})
			return err
		}
		ran := 0
		use := func(phone string, p identity.CodePurpose, code string) error {
			return f.svc.UseCode(ctx, phone, p, code, func(tx *db.Tx, phone string) error { ran++; return nil })
		}

		// A malformed number and a missing code say so.
		if err := ask("1380013800", identity.CodeRegister); !apperr.Is(err, apperr.Invalid, "codes.mobile") {
			t.Fatalf("malformed number: %v", err)
		}
		if err := use("13800138000", identity.CodeRegister, "123456"); !apperr.Is(err, apperr.Invalid, "auth.code_missing") {
			t.Fatalf("no code asked: %v", err)
		}
		// Asked, texted with the number as written by people.
		if err := ask("+86 138 0013 8000", identity.CodeRegister); err != nil {
			t.Fatal(err)
		}
		code := box.last(t)
		if box.sent[0].phone != "13800138000" || box.sent[0].kind != "verify_code" {
			t.Fatalf("texted %+v", box.sent[0])
		}
		// Another purpose's code does not serve.
		if err := use("13800138000", identity.CodeLogin, code); !apperr.Is(err, apperr.Invalid, "auth.code_missing") {
			t.Fatalf("other purpose: %v", err)
		}
		// A wrong guess counts, although the transaction rolled back.
		wrong := "000000"
		if code == wrong {
			wrong = "111111"
		}
		err := use("13800138000", identity.CodeRegister, wrong)
		if !apperr.Is(err, apperr.Invalid, "auth.code_wrong") {
			t.Fatalf("wrong code: %v", err)
		}
		var ae *apperr.Error
		errors.As(err, &ae)
		if ae.Args["left"] != 4 {
			t.Errorf("left after one wrong of 5: %v, want 4", ae.Args["left"])
		}
		// Right: fn runs once; the code is then used.
		if err := use("13800138000", identity.CodeRegister, code); err != nil || ran != 1 {
			t.Fatalf("right code: %v, ran %d", err, ran)
		}
		if err := use("13800138000", identity.CodeRegister, code); !apperr.Is(err, apperr.Invalid, "auth.code_used") {
			t.Fatalf("reused code: %v", err)
		}
		// fn failing leaves the code unused (nothing half-done).
		f.now = f.now.Add(2 * time.Minute)
		if err := ask("13800138000", identity.CodeRegister); err != nil {
			t.Fatal(err)
		}
		code = box.last(t)
		boom := apperr.E(apperr.Conflict, "auth.phone_taken")
		if err := f.svc.UseCode(ctx, "13800138000", identity.CodeRegister, code, func(*db.Tx, string) error { return boom }); !errors.Is(err, boom) {
			t.Fatalf("fn's error: %v", err)
		}
		if err := use("13800138000", identity.CodeRegister, code); err != nil {
			t.Fatalf("code after a failed fn: %v", err)
		}
		// Expired.
		f.now = f.now.Add(2 * time.Minute)
		if err := ask("13800138000", identity.CodeRegister); err != nil {
			t.Fatal(err)
		}
		code = box.last(t)
		f.now = f.now.Add(identity.DefaultCodes.TTL)
		if err := use("13800138000", identity.CodeRegister, code); !apperr.Is(err, apperr.Invalid, "auth.code_expired") {
			t.Fatalf("expired: %v", err)
		}
		// Five wrong guesses void a code, the right one included.
		if err := ask("13800138000", identity.CodeRegister); err != nil {
			t.Fatal(err)
		}
		code = box.last(t)
		for range 5 {
			use("13800138000", identity.CodeRegister, wrong)
		}
		if err := use("13800138000", identity.CodeRegister, code); !apperr.Is(err, apperr.TooMany, "auth.code_locked") {
			t.Fatalf("after 5 wrong: %v", err)
		}
		// Asking again within a minute, and the fifth in an hour, are refused.
		if err := ask("13800138000", identity.CodeRegister); !apperr.Is(err, apperr.TooMany, "auth.code_throttled") {
			t.Fatalf("again at once: %v", err)
		}
		f.now = f.now.Add(time.Minute)
		if err := ask("13800138000", identity.CodeRegister); err != nil { // the fifth in the hour
			t.Fatal(err)
		}
		f.now = f.now.Add(time.Minute)
		if err := ask("13800138000", identity.CodeRegister); !apperr.Is(err, apperr.TooMany, "auth.code_throttled_phone") {
			t.Fatalf("sixth in an hour: %v", err)
		}
		// A newer code voids the older one.
		f.now = f.now.Add(time.Hour)
		ask("13900139000", identity.CodeLogin)
		old := box.last(t)
		f.now = f.now.Add(time.Minute)
		ask("13900139000", identity.CodeLogin)
		if newer := box.last(t); newer != old {
			if err := use("13900139000", identity.CodeLogin, old); !apperr.Is(err, apperr.Invalid, "auth.code_wrong") {
				t.Fatalf("older code: %v", err)
			}
		}
		// A gateway failure is said, and the code never verifies.
		f.now = f.now.Add(time.Minute)
		box.fail = errors.New("gateway 500")
		if err := ask("13700137000", identity.CodeRegister); !apperr.Is(err, apperr.Unavailable, "auth.sms_failed") {
			t.Fatalf("gateway failure: %v", err)
		}
		box.fail = nil
		// Without a gateway there are no codes.
		f.svc.Texter = nil
		if err := ask("13700137000", identity.CodeRegister); !apperr.Is(err, apperr.Unavailable, "auth.sms_unavailable") {
			t.Fatalf("no gateway: %v", err)
		}
	})
}

// A code "for a registered number" answers alike whether or not the number
// is an account's, and texts only an account's.
func TestSMSCodeRegisteredNoOracle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		box := &phoneBox{}
		f.svc.Texter = box
		ctx := context.Background()
		u, err := f.svc.CreatePerson(ctx, identity.NewPerson{Account: identity.Account{Username: "zhangsan", Password: pw}, Name: "张三", IDNumber: "11010519491231002X"})
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Update(ctx, func(tx *db.Tx) error { return f.svc.SetAccountPhoneTx(tx, u.ID, "13800138000") }); err != nil {
			t.Fatal(err)
		}
		m1, err1 := f.svc.SendCode(ctx, identity.CodeRequest{Phone: "13800138000", Purpose: identity.CodeLogin, Registered: true})
		m2, err2 := f.svc.SendCode(ctx, identity.CodeRequest{Phone: "13900139000", Purpose: identity.CodeLogin, Registered: true})
		if err1 != nil || err2 != nil || m1 != "138****8000" || m2 != "139****9000" {
			t.Fatalf("answers %q %v / %q %v", m1, err1, m2, err2)
		}
		if len(box.sent) != 1 || box.sent[0].phone != "13800138000" {
			t.Fatalf("texted %+v", box.sent)
		}
		// The unregistered number's request counted, and no code verifies it.
		if err := f.svc.UseCode(ctx, "13900139000", identity.CodeLogin, "000000", func(*db.Tx, string) error { return nil }); !apperr.Is(err, apperr.Invalid, "auth.code_wrong") {
			t.Fatalf("unregistered: %v", err)
		}
		var id string
		err = f.svc.UseCode(ctx, "13800138000", identity.CodeLogin, box.last(t), func(tx *db.Tx, phone string) error {
			var err error
			id, err = f.svc.UserIDByPhoneTx(tx, phone)
			return err
		})
		if err != nil || id != u.ID {
			t.Fatalf("login by code: %q %v", id, err)
		}
		// One account per number.
		v, _ := f.svc.CreatePerson(ctx, identity.NewPerson{Account: identity.Account{Username: "lisi", Password: pw}, Name: "李四", IDNumber: "110105194912310038"})
		if err := d.Update(ctx, func(tx *db.Tx) error { return f.svc.SetAccountPhoneTx(tx, v.ID, "13800138000") }); !apperr.Is(err, apperr.Conflict, "auth.phone_taken") {
			t.Fatalf("second account on a number: %v", err)
		}
		if m, _ := f.svc.AccountPhone(ctx, u.ID); m != "138****8000" {
			t.Errorf("account phone %q", m)
		}
	})
}
