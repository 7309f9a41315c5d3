package identity_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/vault"
)

const pw = "correct horse"

type fixture struct {
	d    *db.DB
	svc  *identity.Service
	now  time.Time
	dept string
}

func setup(t *testing.T, d *db.DB) *fixture {
	t.Helper()
	v, _ := vault.New(vault.NewKey())
	f := &fixture{d: d, svc: identity.NewService(d, v), now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), dept: db.NewID()}
	d.SetClock(func() time.Time { return f.now })
	err := d.Update(context.Background(), func(tx *db.Tx) error {
		for _, q := range []string{
			`INSERT INTO regions (code, name, level) VALUES ('500102', '涪陵区', 3)`,
			`INSERT INTO regions (code, name, level, parent_code) VALUES ('500102100000', '龙潭镇', 4, '500102')`,
		} {
			if _, err := tx.Exec(q); err != nil {
				return err
			}
		}
		_, err := tx.Exec(`INSERT INTO departments (id, name, credit_code, region_code, created_at) VALUES ($1, '区市场监督管理局', '11500102MB0000016P', '500102', $2)`, f.dept, tx.Now)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// count counts a table's rows; users are counted without the platform's own
// account (migration 00007), which every database has.
func count(t *testing.T, d *db.DB, table string) int {
	var n int
	q := `SELECT count(*) FROM ` + table
	if table == "users" {
		q += ` WHERE username <> 'system'`
	}
	if err := d.Reader().QueryRow(q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestPersonRegistrationSealsTheIDNumber(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		u, err := f.svc.CreatePerson(ctx, identity.NewPerson{Account: identity.Account{Username: "zhangsan", Password: pw}, Name: "张三", IDNumber: "11010519491231002x"})
		if err != nil {
			t.Fatal(err)
		}
		if u.Kind != identity.KindPerson || !u.Has(identity.RoleApplicant) || u.Has(identity.RoleClerk) {
			t.Errorf("user = %+v", u)
		}
		var masked string
		var sealed []byte
		d.Reader().QueryRow(`SELECT id_number_masked, id_number_sealed FROM persons`).Scan(&masked, &sealed)
		if masked != "110105********002X" || bytes.Contains(sealed, []byte("11010519491231002X")) {
			t.Errorf("masked %q, sealed holds clear text: %v", masked, bytes.Contains(sealed, []byte("1949")))
		}
		if id, err := f.svc.PersonIDByNumber(ctx, "11010519491231002X"); err != nil || id != u.ID {
			t.Errorf("lookup by number = %q, %v", id, err)
		}

		// Bad input: precise reasons, nothing half-written.
		_, err = f.svc.CreatePerson(ctx, identity.NewPerson{Account: identity.Account{Username: "lisi", Password: pw}, Name: "李四", IDNumber: "110105194912310021"})
		if !apperr.Is(err, apperr.Invalid, "codes.citizen_id.check") {
			t.Errorf("bad check digit: %v", err)
		}
		_, err = f.svc.CreatePerson(ctx, identity.NewPerson{Account: identity.Account{Username: "lisi", Password: pw}, Name: "李四", IDNumber: "11010519491231002X"})
		if !apperr.Is(err, apperr.Conflict, "auth.id_number_taken") {
			t.Errorf("duplicate number: %v", err)
		}
		_, err = f.svc.CreatePerson(ctx, identity.NewPerson{Account: identity.Account{Username: "zhangsan", Password: pw}, Name: "张三", IDNumber: "440524188001010014"})
		if !apperr.Is(err, apperr.Conflict, "auth.username_taken") {
			t.Errorf("duplicate name: %v", err)
		}
		_, err = f.svc.CreatePerson(ctx, identity.NewPerson{Account: identity.Account{Username: "wangwu", Password: "short"}, Name: "王五", IDNumber: "440524188001010014"})
		if !apperr.Is(err, apperr.Invalid, "auth.password_short") {
			t.Errorf("short password: %v", err)
		}
		_, err = f.svc.CreatePerson(ctx, identity.NewPerson{Account: identity.Account{Username: "wangwu", Password: identity.DemoPassword}, Name: "王五", IDNumber: "440524188001010014"})
		if !apperr.Is(err, apperr.Invalid, "auth.password_default") {
			t.Errorf("demo password outside demo: %v", err)
		}
		if n := count(t, d, "users"); n != 1 {
			t.Errorf("%d users after rejected registrations, want 1", n)
		}
	})
}

func TestOrganisationAndStaff(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		_, err := f.svc.CreateOrganisation(ctx, identity.NewOrganisation{Account: identity.Account{Username: "corp", Password: pw}, Name: "示例公司", CreditCode: "91350100M000100Y44"})
		if !apperr.Is(err, apperr.Invalid, "codes.credit_code.check") {
			t.Errorf("bad credit code: %v", err)
		}
		o, err := f.svc.CreateOrganisation(ctx, identity.NewOrganisation{Account: identity.Account{Username: "corp", Password: pw}, Name: "示例公司", CreditCode: "91350100M000100Y43"})
		if err != nil || o.Kind != identity.KindOrganisation {
			t.Fatalf("org: %v", err)
		}
		// A grant to an unknown department rolls back the whole account.
		_, err = f.svc.CreateStaff(ctx, identity.NewStaff{Account: identity.Account{Username: "clerk", Password: pw}, Name: "窗口", Grants: []identity.Grant{{Role: identity.RoleClerk, DepartmentID: "nope"}}})
		if !apperr.Is(err, apperr.NotFound, "auth.department_unknown") {
			t.Errorf("unknown department: %v", err)
		}
		_, err = f.svc.CreateStaff(ctx, identity.NewStaff{Account: identity.Account{Username: "clerk", Password: pw}, Name: "窗口", Grants: []identity.Grant{{Role: identity.RoleClerk}}})
		if !apperr.Is(err, apperr.Invalid, "auth.scope_required") {
			t.Errorf("unscoped staff role: %v", err)
		}
		if n := count(t, d, "users"); n != 1 {
			t.Fatalf("%d users, want 1", n)
		}
		s, err := f.svc.CreateStaff(ctx, identity.NewStaff{Account: identity.Account{Username: "handler", Password: pw}, Name: "承办人",
			Grants: []identity.Grant{{Role: identity.RoleHandler, DepartmentID: f.dept, RegionCode: "500102"}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Grants) != 1 || s.Grants[0].DepartmentName != "区市场监督管理局" || s.Grants[0].RegionName != "涪陵区" {
			t.Errorf("grants = %+v", s.Grants)
		}
		if !s.CanActIn(identity.RoleHandler, f.dept, "500102100201") || s.CanActIn(identity.RoleHandler, "other", "500102") ||
			s.CanActIn(identity.RoleHandler, f.dept, "500101") || s.CanActIn(identity.RoleApprover, f.dept, "500102") {
			t.Error("scope checks wrong")
		}
		if err := f.svc.GrantRole(ctx, "nobody", identity.Grant{Role: identity.RoleAdmin, RegionCode: "500102"}); !apperr.Is(err, apperr.NotFound, "auth.user_unknown") {
			t.Errorf("grant to unknown user: %v", err)
		}
		if err := f.svc.GrantRole(ctx, "handler", identity.Grant{Role: "boss", RegionCode: "500102"}); !apperr.Is(err, apperr.Invalid, "auth.role_unknown") {
			t.Errorf("unknown role: %v", err)
		}
	})
}

func TestLoginSessionsAndExpiry(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		f.svc.CreatePerson(ctx, identity.NewPerson{Account: identity.Account{Username: "zhangsan", Password: pw}, Name: "张三", IDNumber: "11010519491231002X"})

		_, _, _, err := f.svc.Login(ctx, identity.LoginRequest{Username: "zhangsan", Password: "wrong password", IP: "127.0.0.1"})
		if !apperr.Is(err, apperr.Unauthenticated, "auth.bad_credentials") {
			t.Fatalf("wrong password: %v", err)
		}
		_, _, _, err = f.svc.Login(ctx, identity.LoginRequest{Username: "nobody", Password: pw, IP: "127.0.0.1"})
		if !apperr.Is(err, apperr.Unauthenticated, "auth.bad_credentials") {
			t.Fatalf("unknown user: %v", err)
		}
		token, sess, u, err := f.svc.Login(ctx, identity.LoginRequest{Username: "zhangsan", Password: pw, IP: "127.0.0.1", Kind: identity.SessionWeb})
		if err != nil || u.Username != "zhangsan" || sess.CSRFToken == "" {
			t.Fatalf("login: %v", err)
		}
		var stored string
		d.Reader().QueryRow(`SELECT token_hash FROM sessions`).Scan(&stored)
		if stored == token {
			t.Error("the session token is stored in clear")
		}
		if _, _, err := f.svc.Authenticate(ctx, token, identity.SessionAPI); !apperr.Is(err, apperr.Unauthenticated, "") {
			t.Errorf("web token accepted as API token: %v", err)
		}
		// Used every 20 minutes, the session slides past the 30-minute idle limit.
		for i := 0; i < 3; i++ {
			f.now = f.now.Add(20 * time.Minute)
			if _, _, err := f.svc.Authenticate(ctx, token, identity.SessionWeb); err != nil {
				t.Fatalf("after %d×20 min: %v", i+1, err)
			}
		}
		f.now = f.now.Add(31 * time.Minute)
		if _, _, err := f.svc.Authenticate(ctx, token, identity.SessionWeb); !apperr.Is(err, apperr.Unauthenticated, "auth.session_expired") {
			t.Errorf("idle session still valid: %v", err)
		}

		// The absolute limit ends even a busy session.
		token, _, _, _ = f.svc.Login(ctx, identity.LoginRequest{Username: "zhangsan", Password: pw})
		for i := 0; i < 12*3; i++ {
			f.now = f.now.Add(20 * time.Minute)
			f.svc.Authenticate(ctx, token, identity.SessionWeb)
		}
		if _, _, err := f.svc.Authenticate(ctx, token, identity.SessionWeb); !apperr.Is(err, apperr.Unauthenticated, "auth.session_expired") {
			t.Errorf("session past 12 h still valid: %v", err)
		}

		token, _, _, _ = f.svc.Login(ctx, identity.LoginRequest{Username: "zhangsan", Password: pw, Kind: identity.SessionAPI})
		if _, _, err := f.svc.Authenticate(ctx, token, identity.SessionAPI); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.Logout(ctx, token); err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.svc.Authenticate(ctx, token, identity.SessionAPI); !apperr.Is(err, apperr.Unauthenticated, "") {
			t.Errorf("logged-out token valid: %v", err)
		}
	})
}

// TestLoginThrottling: failures slow the guesser, never lock the owner out.
// Each step is one login attempt, its expected answer ("" = a session),
// and the seconds the clock moves first.
func TestLoginThrottling(t *testing.T) {
	type step struct {
		wait          time.Duration
		user, ip, dev string
		right         bool
		want          string // "", "bad", "throttled"
		times         int    // repeated (default 1)
	}
	const victim, attacker, attacker2, home = "10.9.9.9", "10.6.6.6", "10.7.7.7", "10.1.1.1"
	for _, c := range []struct {
		name    string
		ipLimit int // the address's ceiling, when the case is about it
		steps   []step
	}{
		{"a person mistyping three times is not slowed", 0, []step{
			{user: "zhangsan", ip: home, want: "bad", times: 3},
			{user: "zhangsan", ip: home, right: true},
		}},
		{"the pair's wait doubles: 1 s after the 3 free failures and one more, then 2 s", 0, []step{
			{user: "zhangsan", ip: attacker, want: "bad", times: 4},
			{user: "zhangsan", ip: attacker, want: "throttled"},
			{wait: time.Second, user: "zhangsan", ip: attacker, want: "bad"},
			{wait: time.Second, user: "zhangsan", ip: attacker, want: "throttled"}, // 2 s now
			{wait: time.Second, user: "zhangsan", ip: attacker, right: true},
		}},
		{"one guesser does not slow the owner at another address", 0, []step{
			{user: "zhangsan", ip: attacker, want: "bad", times: 4},
			{user: "zhangsan", ip: attacker, want: "throttled"},
			{user: "zhangsan", ip: victim, right: true},
		}},
		{"the waits stop at MaxDelay (15 minutes), they never lock", 0, []step{
			{user: "zhangsan", ip: attacker, want: "bad", times: 4},
			{wait: time.Second, user: "zhangsan", ip: attacker, want: "bad"},
			{wait: 2 * time.Second, user: "zhangsan", ip: attacker, want: "bad"},
			{wait: 4 * time.Second, user: "zhangsan", ip: attacker, want: "bad"},
			{wait: 8 * time.Second, user: "zhangsan", ip: attacker, want: "bad"},
			{wait: 16 * time.Second, user: "zhangsan", ip: attacker, want: "bad"},
			{wait: 32 * time.Second, user: "zhangsan", ip: attacker, want: "bad"},
			{wait: 64 * time.Second, user: "zhangsan", ip: attacker, want: "bad"},
			{wait: 128 * time.Second, user: "zhangsan", ip: attacker, want: "bad"},
			{wait: 256 * time.Second, user: "zhangsan", ip: attacker, want: "bad"},
			{wait: 512 * time.Second, user: "zhangsan", ip: attacker, want: "bad"},
			{wait: 14 * time.Minute, user: "zhangsan", ip: attacker, want: "throttled"},
			{wait: time.Minute, user: "zhangsan", ip: attacker, right: true},
		}},
		{"many addresses: the account slows at unknown places after 10", 0, []step{
			{user: "zhangsan", ip: home, right: true}, // the owner's usual address
			{user: "zhangsan", ip: attacker, want: "bad", times: 3},
			{user: "zhangsan", ip: attacker2, want: "bad", times: 3},
			{user: "zhangsan", ip: "10.5.5.5", want: "bad", times: 3},
			{user: "zhangsan", ip: "10.4.4.4", want: "bad", times: 2}, // the 11th
			{user: "zhangsan", ip: "10.3.3.3", want: "throttled"},     // a new address waits
			{user: "zhangsan", ip: home, right: true},                 // the known one does not
		}},
		{"a known browser (device cookie) passes the account's limit at a new address", 0, []step{
			{user: "zhangsan", ip: home, dev: "browser-1", right: true},
			{user: "zhangsan", ip: attacker, want: "bad", times: 4},
			{user: "zhangsan", ip: attacker2, want: "bad", times: 4},
			{user: "zhangsan", ip: "10.5.5.5", want: "bad", times: 3},
			{user: "zhangsan", ip: "10.3.3.3", want: "throttled"},
			{user: "zhangsan", ip: "10.3.3.3", dev: "browser-1", right: true},
			{user: "zhangsan", ip: "10.2.2.2", dev: "browser-2", want: "throttled"}, // another browser is unknown
		}},
		{"an address spraying many accounts meets the ceiling; a known browser there passes", 10, []step{
			{user: "lisi", ip: home, dev: "hall-pc", right: true},
			{user: "nobody", ip: home, want: "bad", times: 3},
			{user: "nobody2", ip: home, want: "bad", times: 3},
			{user: "nobody3", ip: home, want: "bad", times: 3},
			{user: "nobody4", ip: home, want: "bad", times: 1}, // 10 = the ceiling in this test
			{user: "zhangsan", ip: home, want: "throttled"},
			{user: "lisi", ip: home, dev: "hall-pc", right: true},
			{wait: 15 * time.Minute, user: "zhangsan", ip: home, right: true}, // the window ends
		}},
		{"a guesser behind the owner's shared address does not slow the owner's known browser there", 0, []step{
			{user: "zhangsan", ip: home, dev: "owner-pc", right: true},
			{user: "zhangsan", ip: home, want: "bad", times: 4},
			{user: "zhangsan", ip: home, want: "throttled"},
			{user: "zhangsan", ip: home, dev: "guessers-pc", want: "throttled"}, // a device the account does not know
			{user: "zhangsan", ip: home, dev: "owner-pc", right: true},
		}},
		{"failures are forgotten after an hour without any", 0, []step{
			{user: "zhangsan", ip: attacker, want: "bad", times: 3},
			{wait: time.Second, user: "zhangsan", ip: attacker, want: "bad"},
			{wait: time.Hour, user: "zhangsan", ip: attacker, want: "bad", times: 4},
			{user: "zhangsan", ip: attacker, want: "throttled"},
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, d *db.DB) {
				f := setup(t, d)
				if c.ipLimit > 0 {
					f.svc.Throttle.IPLimit = c.ipLimit
				}
				ctx := context.Background()
				f.svc.CreatePerson(ctx, identity.NewPerson{Account: identity.Account{Username: "zhangsan", Password: pw}, Name: "张三", IDNumber: "11010519491231002X"})
				f.svc.CreatePerson(ctx, identity.NewPerson{Account: identity.Account{Username: "lisi", Password: pw}, Name: "李四", IDNumber: "440524188001010014"})
				for i, s := range c.steps {
					f.now = f.now.Add(s.wait)
					for range max(s.times, 1) {
						p := "guess guess"
						if s.right {
							p = pw
						}
						_, _, _, err := f.svc.Login(ctx, identity.LoginRequest{Username: s.user, Password: p, IP: s.ip, Device: s.dev})
						got := ""
						switch {
						case err == nil:
						case apperr.Is(err, apperr.Unauthenticated, "auth.bad_credentials"):
							got = "bad"
						case apperr.CodeOf(err) == apperr.TooMany:
							got = "throttled"
						default:
							got = err.Error()
						}
						if got != s.want {
							t.Fatalf("step %d (%s from %s): %q, want %q", i+1, s.user, s.ip, got, s.want)
						}
					}
				}
			})
		})
	}
}

// TestThrottledAnswerSaysHowLong: the refusal tells the wait, in seconds
// below a minute.
func TestThrottledAnswerSaysHowLong(t *testing.T) {
	f := setup(t, dbtest.SQLite(t))
	ctx := context.Background()
	for range 4 {
		f.svc.Login(ctx, identity.LoginRequest{Username: "nobody", Password: "guess guess", IP: "10.0.0.1"})
	}
	_, _, _, err := f.svc.Login(ctx, identity.LoginRequest{Username: "nobody", Password: "guess guess", IP: "10.0.0.1"})
	if !apperr.Is(err, apperr.TooMany, "auth.throttled_seconds") || apperr.As(err).Args["seconds"] != 1 {
		t.Fatalf("fifth attempt at once: %v", err)
	}
}

func TestSetPasswordAndDefaultCount(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		f.svc.CreateStaff(ctx, identity.NewStaff{Account: identity.Account{Username: "admin", Password: identity.DemoPassword, Demo: true}, Name: "管理员",
			Grants: []identity.Grant{{Role: identity.RoleAdmin, RegionCode: "500102"}}})
		if n, _ := f.svc.DefaultPasswordCount(ctx); n != 1 {
			t.Fatalf("default count = %d", n)
		}
		token, _, _, err := f.svc.Login(ctx, identity.LoginRequest{Username: "admin", Password: identity.DemoPassword})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.svc.SetPassword(ctx, "admin", identity.DemoPassword); !apperr.Is(err, apperr.Invalid, "auth.password_default") {
			t.Errorf("set demo password: %v", err)
		}
		if err := f.svc.SetPassword(ctx, "admin", "a new long secret"); err != nil {
			t.Fatal(err)
		}
		if n, _ := f.svc.DefaultPasswordCount(ctx); n != 0 {
			t.Errorf("default count after change = %d", n)
		}
		if _, _, err := f.svc.Authenticate(ctx, token, identity.SessionWeb); err == nil {
			t.Error("old session survived a password change")
		}
	})
}

func TestPasswordHashFormat(t *testing.T) {
	h := identity.HashPassword(pw)
	if !identity.VerifyPassword(h, pw) || identity.VerifyPassword(h, pw+"x") || identity.VerifyPassword("garbage", pw) {
		t.Error("verify wrong")
	}
	if h == identity.HashPassword(pw) {
		t.Error("hashes are not salted")
	}
}

// Logins, refused logins and logouts are in the audit log; a name that is no
// account's is kept only as its hash.
func TestLoginsAreAudited(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		zs, err := f.svc.CreatePerson(ctx, identity.NewPerson{Account: identity.Account{Username: "zhangsan", Password: pw}, Name: "张三", IDNumber: "11010519491231002X"})
		if err != nil {
			t.Fatal(err)
		}
		id := zs.ID
		req := func(user, pass string) identity.LoginRequest {
			return identity.LoginRequest{Username: user, Password: pass, IP: "10.1.2.3", UserAgent: "Firefox", Kind: identity.SessionAPI}
		}
		f.svc.Login(ctx, req("zhangsan", "wrong password"))
		f.svc.Login(ctx, req("my secret password", pw)) // a password typed as the name
		token, _, _, err := f.svc.Login(ctx, req("zhangsan", pw))
		if err != nil {
			t.Fatal(err)
		}
		if err := f.svc.Logout(ctx, token); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.Logout(ctx, token); err != nil { // ending it again records nothing
			t.Fatal(err)
		}
		d.Update(ctx, func(tx *db.Tx) error {
			_, err := tx.Exec(`UPDATE users SET disabled = TRUE WHERE id = $1`, id)
			return err
		})
		f.svc.Login(ctx, req("zhangsan", pw))

		rows, err := d.Reader().Query(`SELECT actor_id, action, object_type, object_id, payload FROM audit_pending WHERE action LIKE 'auth.%' ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var got []string
		for rows.Next() {
			var actor, action, otype, oid, payload string
			if err := rows.Scan(&actor, &action, &otype, &oid, &payload); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(payload, "my secret password") || strings.Contains(payload, pw) {
				t.Errorf("%s keeps what was typed: %s", action, payload)
			}
			if !strings.Contains(payload, `"ip":"10.1.2.3"`) && action != "auth.logout" {
				t.Errorf("%s without the address: %s", action, payload)
			}
			if actor == id {
				actor = "user"
			}
			if oid == id {
				oid = "user"
			} else if otype == "username" && len(oid) == 64 {
				oid = "hash"
			}
			var p map[string]any
			json.Unmarshal([]byte(payload), &p)
			got = append(got, fmt.Sprintf("%s %s %s/%s %v", actor, action, otype, oid, p["reason"]))
		}
		want := []string{
			"- auth.login_failed user/user bad_credentials",
			"- auth.login_failed username/hash bad_credentials",
			"user auth.login user/user <nil>",
			"user auth.logout user/user <nil>",
			"- auth.login_failed user/user disabled",
		}
		if !slices.Equal(got, want) {
			t.Errorf("audited:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})
}

// TestParallelGuessesAreCounted: guesses sent at once are counted before
// any password is checked, so no more pass than the free ones.
func TestParallelGuessesAreCounted(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		f.svc.CreatePerson(ctx, identity.NewPerson{Account: identity.Account{Username: "zhangsan", Password: pw}, Name: "张三", IDNumber: "11010519491231002X"})
		guess := func() error {
			_, _, _, err := f.svc.Login(ctx, identity.LoginRequest{Username: "zhangsan", Password: "guess guess", IP: "10.6.6.6"})
			return err
		}
		guess() // the pair's counter exists
		errs := make(chan error, 12)
		for range cap(errs) {
			go func() { errs <- guess() }()
		}
		checked := 1
		for range cap(errs) {
			if err := <-errs; apperr.Is(err, apperr.Unauthenticated, "auth.bad_credentials") {
				checked++
			} else if apperr.CodeOf(err) != apperr.TooMany {
				t.Errorf("a parallel guess: %v", err)
			}
		}
		if want := f.svc.Throttle.PairFree + 1; checked != want {
			t.Errorf("%d passwords checked at once, want %d", checked, want)
		}
	})
}

// TestThrottleRowsAreSwept: counters of names nobody owns do not pile up;
// a login sweeps those past both windows.
func TestThrottleRowsAreSwept(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		f.svc.CreatePerson(ctx, identity.NewPerson{Account: identity.Account{Username: "zhangsan", Password: pw}, Name: "张三", IDNumber: "11010519491231002X"})
		for i := range 5 {
			f.svc.Login(ctx, identity.LoginRequest{Username: fmt.Sprint("sprayed", i), Password: "guess guess", IP: "10.6.6.6"})
		}
		f.now = f.now.Add(30 * time.Minute)
		f.svc.Login(ctx, identity.LoginRequest{Username: "recent", Password: "guess guess", IP: "10.6.6.7"})
		f.now = f.now.Add(31 * time.Minute)
		if _, _, _, err := f.svc.Login(ctx, identity.LoginRequest{Username: "zhangsan", Password: pw, IP: "10.1.1.1"}); err != nil {
			t.Fatal(err)
		}
		if n := count(t, d, "login_throttle"); n != 3 { // recent's pair and name, and 10.6.6.7
			t.Errorf("%d throttle rows after the sweep, want 3", n)
		}
	})
}

// The demo's staff are made by the staff administration under its rules;
// StaffInput.DemoAccount only gives the demo password, flagged as a default
// one (serve refuses to start with it) and not to be changed at once.
func TestDemoAccountFollowsTheStaffRules(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		admin, err := f.svc.CreateStaff(ctx, identity.NewStaff{Account: identity.Account{Username: "admin", Password: pw}, Name: "管理员",
			Grants: []identity.Grant{{Role: identity.RoleAdmin, RegionCode: "500102"}}})
		if err != nil {
			t.Fatal(err)
		}
		townAdmin, err := f.svc.CreateStaff(ctx, identity.NewStaff{Account: identity.Account{Username: "town-admin", Password: pw}, Name: "镇管理员",
			Grants: []identity.Grant{{Role: identity.RoleAdmin, RegionCode: "500102100000"}}})
		if err != nil {
			t.Fatal(err)
		}
		// The demo flag lifts no rule: a town's administrator still cannot make a district handler.
		_, _, err = f.svc.CreateStaffAccount(ctx, townAdmin, "500102", identity.StaffInput{Username: "handler", Name: "承办人", DemoAccount: true,
			Grants: []identity.Grant{{Role: identity.RoleHandler, DepartmentID: f.dept, RegionCode: "500102"}}})
		if !apperr.Is(err, apperr.Forbidden, "staff.grant_outside") || count(t, d, "users") != 2 {
			t.Fatalf("a town admin's demo account beyond the town: %v", err)
		}
		u, given, err := f.svc.CreateStaffAccount(ctx, admin, "500102", identity.StaffInput{Username: "handler", Name: "承办人", DemoAccount: true,
			Grants: []identity.Grant{{Role: identity.RoleHandler, DepartmentID: f.dept, RegionCode: "500102"}}})
		if err != nil || given != identity.DemoPassword || u.MustChangePassword {
			t.Fatalf("demo account = %+v %q %v", u, given, err)
		}
		if _, _, _, err := f.svc.Login(ctx, identity.LoginRequest{Username: "handler", Password: identity.DemoPassword}); err != nil {
			t.Errorf("the demo account cannot log in: %v", err)
		}
		if n, _ := f.svc.DefaultPasswordCount(ctx); n != 1 {
			t.Errorf("%d default passwords, want the demo account's", n)
		}
		// Without the flag the account gets a one-time password it must change.
		u, given, err = f.svc.CreateStaffAccount(ctx, admin, "500102", identity.StaffInput{Username: "reviewer", Name: "审核人",
			Grants: []identity.Grant{{Role: identity.RoleReviewer, DepartmentID: f.dept, RegionCode: "500102"}}})
		if err != nil || given == identity.DemoPassword || !u.MustChangePassword {
			t.Fatalf("ordinary account = %+v %q %v", u, given, err)
		}
	})
}

// Re-entering one's own password (to change it, the mobile, or to close the
// account) is throttled per account: a session left open on a hall's
// terminal is no password oracle. Three wrong entries are free; then the
// waits double, across the three forms; the right one clears the count.
func TestReauthThrottling(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		u, err := f.svc.CreatePerson(ctx, identity.NewPerson{Account: identity.Account{Username: "zhangsan", Password: pw}, Name: "张三", IDNumber: "11010519491231002X"})
		if err != nil {
			t.Fatal(err)
		}
		wrong := func(form int) error {
			switch form % 3 {
			case 0:
				return f.svc.ChangePassword(ctx, u, "", "guess guess", "a new long password 1")
			case 1:
				_, err := f.svc.ChangePhone(ctx, u, "13800138000", "123456", "guess guess")
				return err
			}
			return f.svc.CloseAccount(ctx, u, "guess guess")
		}
		for i := range 4 { // three free, the fourth counted without a wait
			if err := wrong(i); !apperr.Is(err, apperr.Invalid, "auth.password_current_wrong") {
				t.Fatalf("wrong entry %d: %v", i+1, err)
			}
		}
		if err := wrong(4); !apperr.Is(err, apperr.TooMany, "auth.reauth_throttled_seconds") {
			t.Fatalf("fifth wrong entry at once: %v", err)
		}
		// Waiting does not lock the owner out; the right password clears.
		f.now = f.now.Add(time.Second)
		if err := f.svc.ChangePassword(ctx, u, "", pw, "a new long password 2"); err != nil {
			t.Fatalf("the right password after the wait: %v", err)
		}
		for i := range 4 {
			if err := f.svc.CloseAccount(ctx, u, "guess guess"); !apperr.Is(err, apperr.Invalid, "auth.password_current_wrong") {
				t.Fatalf("after clearing, wrong entry %d: %v", i+1, err)
			}
		}
	})
}
