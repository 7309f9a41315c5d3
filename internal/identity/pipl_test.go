package identity_test

import (
	"context"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/identity"
)

func strp(s string) *string { return &s }

// Who corrects what (PIPL Art. 46): the language and the registered region
// are the person's own; the name and ID number are theirs only while the
// account is L1 and has filed nothing, else a window clerk's; an
// organisation or a staff account corrects only its language here.
func TestCorrectionRules(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		l1, err := f.svc.CreatePerson(ctx, identity.NewPerson{Account: identity.Account{Username: "wangwu", Password: "a-long-password-1"}, Name: "王五", IDNumber: "110101199003070011"})
		if err != nil {
			t.Fatal(err)
		}
		l2, err := f.svc.CreatePerson(ctx, identity.NewPerson{Account: identity.Account{Username: "zhaoliu", Password: "a-long-password-1"}, Name: "赵六", IDNumber: "110101199003070038", Assurance: identity.AssuranceL2})
		if err != nil {
			t.Fatal(err)
		}
		org, err := f.svc.CreateOrganisation(ctx, identity.NewOrganisation{Account: identity.Account{Username: "corp", Password: "a-long-password-1"}, Name: "某某公司", CreditCode: "91350100M000100Y43"})
		if err != nil {
			t.Fatal(err)
		}
		staff, err := f.svc.CreateStaff(ctx, identity.NewStaff{Account: identity.Account{Username: "clerk", Password: "a-long-password-1"}, Name: "窗口",
			Grants: []identity.Grant{{Role: identity.RoleClerk, RegionCode: "500102"}}})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name string
			u    *identity.User
			c    identity.Correction
			code apperr.Code
			key  string
		}{
			{"language", l1, identity.Correction{Locale: strp("en")}, "", ""},
			{"language spelt loosely", l2, identity.Correction{Locale: strp("zh")}, "", ""},
			{"language unknown", l1, identity.Correction{Locale: strp("fr")}, apperr.Invalid, "profile.locale_invalid"},
			{"region of the installation", l2, identity.Correction{Region: strp("500102100000")}, "", ""},
			{"region malformed", l1, identity.Correction{Region: strp("50010")}, apperr.Invalid, "codes.division.length"},
			{"region not served", l1, identity.Correction{Region: strp("110101")}, apperr.Invalid, "profile.region_unknown"},
			{"region cleared", l2, identity.Correction{Region: strp("")}, "", ""},
			{"L1 name", l1, identity.Correction{Name: strp(" 王 五 ")}, "", ""},
			{"L1 name empty", l1, identity.Correction{Name: strp("  ")}, apperr.Invalid, "auth.name_required"},
			{"L1 name with markup", l1, identity.Correction{Name: strp("<b>王</b>")}, apperr.Invalid, "profile.name_invalid"},
			{"L1 name too long", l1, identity.Correction{Name: strp(strings.Repeat("王", 51))}, apperr.Invalid, "profile.name_invalid"},
			{"L1 ID number, bad check digit", l1, identity.Correction{IDNumber: strp("110101199003070012")}, apperr.Invalid, ""},
			{"L1 ID number another holds", l1, identity.Correction{IDNumber: strp("110101199003070038")}, apperr.Conflict, "profile.id_number_window"},
			{"L1 ID number", l1, identity.Correction{IDNumber: strp("11010119900307002x")}, "", ""},
			{"L1 ID number empty keeps it", l1, identity.Correction{IDNumber: strp("")}, "", ""},
			{"L2 name", l2, identity.Correction{Name: strp("赵七")}, apperr.Forbidden, "profile.window_only"},
			{"L2 same name is no change", l2, identity.Correction{Name: strp("赵六")}, "", ""},
			{"L2 ID number", l2, identity.Correction{IDNumber: strp("110101199003070054")}, apperr.Forbidden, "profile.window_only"},
			{"organisation language", org, identity.Correction{Locale: strp("en")}, "", ""},
			{"organisation name", org, identity.Correction{Name: strp("另一公司")}, apperr.Forbidden, "profile.window_only"},
			{"organisation region", org, identity.Correction{Region: strp("500102")}, apperr.Forbidden, "profile.window_only"},
			{"staff language", staff, identity.Correction{Locale: strp("en")}, "", ""},
			{"staff ID number", staff, identity.Correction{IDNumber: strp("110101199003070054")}, apperr.Forbidden, "profile.window_only"},
			{"nobody", nil, identity.Correction{Locale: strp("en")}, apperr.Unauthenticated, ""},
		} {
			t.Run(c.name, func(t *testing.T) {
				err := f.svc.CorrectProfile(ctx, c.u, c.c)
				if c.code == "" && err != nil || c.code != "" && !apperr.Is(err, c.code, c.key) {
					t.Fatalf("got %v, want %s %s", err, c.code, c.key)
				}
			})
		}
		// The corrections took: the name on the account and the person, the
		// number found by its new value (and not the old), each change audited masked.
		p, err := f.svc.PersonalProfileOf(ctx, l1)
		if err != nil {
			t.Fatal(err)
		}
		if p.Name != "王 五" || p.Locale != "en" || p.Identifier != "110101********002X" || !p.SelfIdentity {
			t.Errorf("l1 after corrections: %+v", p)
		}
		if u, _ := f.svc.UserByID(ctx, l1.ID); u.DisplayName != "王 五" {
			t.Errorf("display name %q", u.DisplayName)
		}
		if id, err := f.svc.PersonIDByNumber(ctx, "11010119900307002X"); err != nil || id != l1.ID {
			t.Errorf("by the new number: %q %v", id, err)
		}
		if _, err := f.svc.PersonIDByNumber(ctx, "110101199003070011"); !apperr.Is(err, apperr.NotFound, "") {
			t.Errorf("the old number still finds: %v", err)
		}
		p2, _ := f.svc.PersonalProfileOf(ctx, l2)
		if p2.Region != "" || p2.Locale != "zh-CN" || p2.SelfIdentity || p2.Assurance != 2 {
			t.Errorf("l2: %+v", p2)
		}
		var payload string
		if err := d.Reader().QueryRow(`SELECT payload FROM audit_pending WHERE action = 'account.correct' AND object_id = $1 AND payload LIKE '%id_number%'`, l1.ID).Scan(&payload); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(payload, "110101199003070011") || strings.Contains(payload, "11010119900307002X") || !strings.Contains(payload, "110101********002X") {
			t.Errorf("the audit record of the number: %s", payload)
		}
	})
}

// A window clerk corrects an L2 person's name and number, seeing the card;
// the answer and the record are masked; another account's number is
// refused without saying whose; only clerks may.
func TestCorrectAtWindow(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		l2, err := f.svc.CreatePerson(ctx, identity.NewPerson{Account: identity.Account{Username: "zhaoliu", Password: "a-long-password-1"}, Name: "赵六", IDNumber: "110101199003070038", Assurance: identity.AssuranceL2})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.CreatePerson(ctx, identity.NewPerson{Account: identity.Account{Username: "other", Password: "a-long-password-1"}, Name: "王五", IDNumber: "110101199003070011"}); err != nil {
			t.Fatal(err)
		}
		clerk, err := f.svc.CreateStaff(ctx, identity.NewStaff{Account: identity.Account{Username: "clerk", Password: "a-long-password-1"}, Name: "窗口",
			Grants: []identity.Grant{{Role: identity.RoleClerk, RegionCode: "500102"}}})
		if err != nil {
			t.Fatal(err)
		}
		handler, err := f.svc.CreateStaff(ctx, identity.NewStaff{Account: identity.Account{Username: "handler", Password: "a-long-password-1"}, Name: "承办",
			Grants: []identity.Grant{{Role: identity.RoleHandler, DepartmentID: f.dept}}})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name string
			u    *identity.User
			wc   identity.WindowCorrection
			code apperr.Code
			key  string
		}{
			{"not a clerk", handler, identity.WindowCorrection{Number: "110101199003070038", Name: "赵七", Note: "户口簿"}, apperr.Forbidden, ""},
			{"no ground", clerk, identity.WindowCorrection{Number: "110101199003070038", Name: "赵七"}, apperr.Invalid, "error.field_required"},
			{"nothing", clerk, identity.WindowCorrection{Number: "110101199003070038", Note: "户口簿"}, apperr.Invalid, "profile.nothing_to_correct"},
			{"the same name", clerk, identity.WindowCorrection{Number: "110101199003070038", Name: "赵六", Note: "户口簿"}, apperr.Invalid, "profile.nothing_to_correct"},
			{"unknown person", clerk, identity.WindowCorrection{Number: "110101199003070054", Name: "赵七", Note: "户口簿"}, apperr.NotFound, ""},
			{"malformed number", clerk, identity.WindowCorrection{Number: "1101011990", Name: "赵七", Note: "户口簿"}, apperr.Invalid, ""},
			{"another's number", clerk, identity.WindowCorrection{Number: "110101199003070038", IDNumber: "110101199003070011", Note: "户口簿"}, apperr.Conflict, "profile.id_number_taken"},
			{"organisation", clerk, identity.WindowCorrection{Number: "91350100M000100Y43", Name: "公司", Note: "x"}, apperr.NotFound, ""},
		} {
			t.Run(c.name, func(t *testing.T) {
				if _, err := f.svc.CorrectAtWindow(ctx, c.u, c.wc); !apperr.Is(err, c.code, c.key) {
					t.Fatalf("got %v, want %s %s", err, c.code, c.key)
				}
			})
		}
		a, err := f.svc.CorrectAtWindow(ctx, clerk, identity.WindowCorrection{Number: "110101199003070038", Name: "赵七", IDNumber: "110101199003070054", Note: "户口簿变更"})
		if err != nil {
			t.Fatal(err)
		}
		if a.UserID != l2.ID || a.Name != "赵七" || a.Masked != "110101********0054" {
			t.Errorf("corrected: %+v", a)
		}
		var actor, payload string
		if err := d.Reader().QueryRow(`SELECT actor_id, payload FROM audit_pending WHERE action = 'account.correct' AND object_id = $1`, l2.ID).Scan(&actor, &payload); err != nil {
			t.Fatal(err)
		}
		if actor != clerk.ID || strings.Contains(payload, "110101199003070054") || strings.Contains(payload, "赵七") || !strings.Contains(payload, "户口簿变更") || !strings.Contains(payload, `"window"`) {
			t.Errorf("the record: %s %s", actor, payload)
		}
	})
}

// Changing one's mobile: a code to the new number and the password; the
// verified number and the SMS contact change together; the old number is
// told; a wrong password does not use the code up.
func TestChangePhone(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		box := &phoneBox{}
		f.svc.Texter = box
		ctx := context.Background()
		u, err := f.svc.CreatePerson(ctx, identity.NewPerson{Account: identity.Account{Username: "wangwu", Password: "a-long-password-1"}, Name: "王五", IDNumber: "110101199003070011"})
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Update(ctx, func(tx *db.Tx) error { return f.svc.SetAccountPhoneTx(tx, u.ID, "13800138000") }); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SendPhoneCode(ctx, u, "139 0013 9000", "203.0.113.7"); err != nil {
			t.Fatal(err)
		}
		code := box.last(t)
		if _, err := f.svc.ChangePhone(ctx, u, "13900139000", code, "wrong-password"); !apperr.Is(err, apperr.Invalid, "auth.password_current_wrong") {
			t.Fatalf("wrong password: %v", err)
		}
		if _, err := f.svc.ChangePhone(ctx, u, "13900139000", "000000", "a-long-password-1"); !apperr.Is(err, apperr.Invalid, "auth.code_wrong") && code != "000000" {
			t.Fatalf("wrong code: %v", err)
		}
		if _, err := f.svc.ChangePhone(ctx, u, "13900139000", "", "a-long-password-1"); !apperr.Is(err, apperr.Invalid, "error.field_required") {
			t.Fatalf("no code: %v", err)
		}
		masked, err := f.svc.ChangePhone(ctx, u, "13900139000", code, "a-long-password-1")
		if err != nil || masked != "139****9000" {
			t.Fatalf("change: %q %v", masked, err)
		}
		if m, _ := f.svc.AccountPhone(ctx, u.ID); m != "139****9000" {
			t.Errorf("verified number %q", m)
		}
		var contact string
		if err := d.Reader().QueryRow(`SELECT phone_masked FROM contacts WHERE user_id = $1`, u.ID).Scan(&contact); err != nil || contact != "139****9000" {
			t.Errorf("SMS contact %q %v", contact, err)
		}
		last := box.sent[len(box.sent)-1]
		if last.phone != "13800138000" || last.kind != "phone_changed" || len(last.args) != 0 {
			t.Errorf("the old number's notice: %+v", last)
		}
		// The old number is free: another account may take it; the code is used.
		if _, err := f.svc.ChangePhone(ctx, u, "13900139000", code, "a-long-password-1"); !apperr.Is(err, apperr.Invalid, "auth.code_used") {
			t.Errorf("the code again: %v", err)
		}
		if err := d.Update(ctx, func(tx *db.Tx) error {
			_, err := tx.Exec(`INSERT INTO users (id, username, kind, display_name, password_hash, created_at, updated_at) VALUES ('u2', 'u2', 'person', 'x', '!', $1, $1)`, tx.Now)
			if err != nil {
				return err
			}
			return f.svc.SetAccountPhoneTx(tx, "u2", "13800138000")
		}); err != nil {
			t.Errorf("the old number is not free: %v", err)
		}
	})
}

// Closing an account (PIPL Art. 47): refused for staff, with a wrong
// password, while a role for others is held or a registered check objects;
// otherwise sessions end, credentials and contacts are erased, pending
// deliveries cancelled, the person's record kept, and a login is refused
// with its own message.
func TestCloseAccount(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		u, err := f.svc.CreatePerson(ctx, identity.NewPerson{Account: identity.Account{Username: "wangwu", Password: "a-long-password-1"}, Name: "王五", IDNumber: "110101199003070011"})
		if err != nil {
			t.Fatal(err)
		}
		staff, err := f.svc.CreateStaff(ctx, identity.NewStaff{Account: identity.Account{Username: "clerk", Password: "a-long-password-1"}, Name: "窗口",
			Grants: []identity.Grant{{Role: identity.RoleClerk, RegionCode: "500102"}}})
		if err != nil {
			t.Fatal(err)
		}
		agent, err := f.svc.CreatePerson(ctx, identity.NewPerson{Account: identity.Account{Username: "agent", Password: "a-long-password-1"}, Name: "代办", IDNumber: "110101199003070038"})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.svc.GrantRole(ctx, "agent", identity.Grant{Role: identity.RoleAgent, RegionCode: "500102100000"}); err != nil {
			t.Fatal(err)
		}
		busy := false
		f.svc.CloseChecks = append(f.svc.CloseChecks, func(tx *db.Tx, userID string) error {
			if busy {
				return apperr.E(apperr.Conflict, "account.close_open_cases", "count", 1)
			}
			return nil
		})
		err = d.Update(ctx, func(tx *db.Tx) error {
			if err := f.svc.SetAccountPhoneTx(tx, u.ID, "13800138000"); err != nil {
				return err
			}
			for _, q := range []string{
				`INSERT INTO notifications (id, user_id, kind, body, dedup, created_at) VALUES ('n1', $1, 'remind', '{}', 'd1', $2)`,
				`INSERT INTO outbox (id, notification_id, channel, recipient, payload, created_at) VALUES ('o1', 'n1', 'inapp', $1, '{}', $2)`,
				`INSERT INTO deliveries (id, outbox_id, channel, idem_key, next_at, created_at) SELECT 'd1', 'o1', 'sms', 'n1:sms', $2, $2 FROM users WHERE id = $1`,
				`INSERT INTO deliveries (id, outbox_id, channel, idem_key, state, next_at, created_at, done_at) SELECT 'd2', 'o1', 'email', 'n1:email', 'sent', $2, $2, $2 FROM users WHERE id = $1`,
			} {
				if _, err := tx.Exec(q, u.ID, tx.Now); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, _, err := f.svc.Login(ctx, identity.LoginRequest{Username: "wangwu", Password: "a-long-password-1", IP: "203.0.113.7"}); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name     string
			u        *identity.User
			password string
			busy     bool
			code     apperr.Code
			key      string
		}{
			{"staff", staff, "a-long-password-1", false, apperr.Forbidden, "account.close_staff"},
			{"no password", u, "", false, apperr.Invalid, "error.field_required"},
			{"wrong password", u, "a-long-password-2", false, apperr.Invalid, "auth.password_current_wrong"},
			{"a village agent", agent, "a-long-password-1", false, apperr.Conflict, "account.close_roles"},
			{"an open case", u, "a-long-password-1", true, apperr.Conflict, "account.close_open_cases"},
		} {
			t.Run(c.name, func(t *testing.T) {
				busy = c.busy
				if err := f.svc.CloseAccount(ctx, c.u, c.password); !apperr.Is(err, c.code, c.key) {
					t.Fatalf("got %v, want %s %s", err, c.code, c.key)
				}
			})
		}
		busy = false
		if n := count(t, d, "sessions"); n != 1 {
			t.Fatalf("a refused closing ended sessions: %d", n)
		}
		if err := f.svc.CloseAccount(ctx, u, "a-long-password-1"); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{
			`SELECT COUNT(*) FROM sessions WHERE user_id = $1`,
			`SELECT COUNT(*) FROM account_phones WHERE user_id = $1`,
			`SELECT COUNT(*) FROM contacts WHERE user_id = $1`,
			`SELECT COUNT(*) FROM login_known WHERE user_id = $1`,
			`SELECT COUNT(*) FROM users WHERE id = $1 AND (password_hash <> '!' OR disabled = FALSE OR closed_at IS NULL)`,
			`SELECT COUNT(*) FROM deliveries d JOIN outbox o ON o.id = d.outbox_id WHERE o.recipient = $1 AND d.state = 'pending'`,
		} {
			var n int
			if err := d.Reader().QueryRow(q, u.ID).Scan(&n); err != nil || n != 0 {
				t.Errorf("%s: %d %v", q, n, err)
			}
		}
		var sent string
		if err := d.Reader().QueryRow(`SELECT state FROM deliveries WHERE id = 'd2'`).Scan(&sent); err != nil || sent != "sent" {
			t.Errorf("a sent delivery changed: %q %v", sent, err)
		}
		// Kept: the person (name, sealed number) for the records naming them.
		if id, err := f.svc.PersonIDByNumber(ctx, "110101199003070011"); err != nil || id != u.ID {
			t.Errorf("the person's record: %q %v", id, err)
		}
		if _, _, _, err := f.svc.Login(ctx, identity.LoginRequest{Username: "wangwu", Password: "a-long-password-1", IP: "203.0.113.7"}); !apperr.Is(err, apperr.Forbidden, "auth.closed") {
			t.Errorf("login after closing: %v", err)
		}
		if _, _, _, err := f.svc.Login(ctx, identity.LoginRequest{Username: "wangwu", Password: "!", IP: "203.0.113.7"}); !apperr.Is(err, apperr.Forbidden, "auth.closed") {
			t.Errorf("login with the erased hash: %v", err)
		}
		p, err := f.svc.PersonalProfileOf(ctx, u)
		if err != nil || p.ClosedAt == nil || !p.ClosedAt.Equal(f.now) || p.Phone != "" {
			t.Errorf("profile of the closed account: %+v %v", p, err)
		}
		// The number is free for someone else.
		if err := d.Update(ctx, func(tx *db.Tx) error { return f.svc.SetAccountPhoneTx(tx, agent.ID, "13800138000") }); err != nil {
			t.Errorf("the number was not freed: %v", err)
		}
		var n int
		if err := d.Reader().QueryRow(`SELECT COUNT(*) FROM audit_pending WHERE action = 'account.close' AND object_id = $1 AND payload LIKE '%"deliveries_cancelled":1%'`, u.ID).Scan(&n); err != nil || n != 1 {
			t.Errorf("the closing's audit record: %d %v", n, err)
		}
	})
}
