package identity_test

import (
	"context"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/identity"
)

// The rules of an enterprise role: the legal representative acts on every
// item without end; a 经办人 within their items (none listed: every item)
// until the start of the day after their last day.
func TestEnterpriseRoleAllows(t *testing.T) {
	end := time.Date(2026, 3, 31, 16, 0, 0, 0, time.UTC) // 2026-04-01 00:00 China: the last day is 03-31
	at := func(s string) time.Time { tm, _ := time.Parse(time.RFC3339, s); return tm }
	for _, tc := range []struct {
		name string
		role identity.EnterpriseRole
		item string
		now  time.Time
		want bool
	}{
		{"legal rep, any item", identity.EnterpriseRole{LegalRep: true}, "X", at("2099-01-01T00:00:00Z"), true},
		{"all items, in time", identity.EnterpriseRole{Expires: end}, "X", at("2026-03-31T15:59:59Z"), true},
		{"all items, at the end", identity.EnterpriseRole{Expires: end}, "X", end, false},
		{"all items, after", identity.EnterpriseRole{Expires: end}, "X", at("2026-04-02T00:00:00Z"), false},
		{"listed item", identity.EnterpriseRole{Items: []string{"A", "B"}, Expires: end}, "B", at("2026-03-01T00:00:00Z"), true},
		{"unlisted item", identity.EnterpriseRole{Items: []string{"A", "B"}, Expires: end}, "C", at("2026-03-01T00:00:00Z"), false},
		{"listed, expired", identity.EnterpriseRole{Items: []string{"A"}, Expires: end}, "A", at("2026-05-01T00:00:00Z"), false},
	} {
		if got := tc.role.Allows(tc.item, tc.now); got != tc.want {
			t.Errorf("%s: Allows = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestParseExpiry(t *testing.T) {
	now := time.Date(2026, 3, 2, 17, 0, 0, 0, time.UTC) // 2026-03-03 01:00 in China
	for _, tc := range []struct {
		in   string
		want string // the end in China time; "" = refused
	}{
		{"2026-03-03", "2026-03-04T00:00:00+08:00"}, // today (China) is allowed
		{"2026-03-02", ""},                          // yesterday in China, though today in UTC
		{"2031-03-03", "2031-03-04T00:00:00+08:00"},
		{"2031-03-04", ""}, // beyond five years
		{"2026-3-3", ""},
		{"", ""},
		{"2026-02-30", ""},
	} {
		got, err := identity.ParseExpiry(tc.in, now)
		if tc.want == "" {
			if !apperr.Is(err, apperr.Invalid, "enterprise.expiry_invalid") {
				t.Errorf("%q: %v, %v; want refused", tc.in, got, err)
			}
			continue
		}
		if err != nil || got.In(calendar.China).Format(time.RFC3339) != tc.want {
			t.Errorf("%q: %v, %v; want %s", tc.in, got.In(calendar.China), err, tc.want)
		}
	}
}

func creditCode(t *testing.T, prefix16 string) string {
	t.Helper()
	c, err := codes.CompleteCreditCode(prefix16)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func idNumber(t *testing.T, first17 string) string {
	t.Helper()
	c, err := codes.CitizenIDCheck(first17)
	if err != nil {
		t.Fatal(err)
	}
	return first17 + string(c)
}

func TestEnterpriseBindingAndOperators(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		corp := creditCode(t, "91500102MA5U7X2K")
		other := creditCode(t, "91500102MA5U7X3K")
		fresh := creditCode(t, "91500102MA5U7X4K")
		if _, err := f.svc.CreateOrganisation(ctx, identity.NewOrganisation{Account: identity.Account{Username: "corp", Password: pw}, Name: "甲公司", CreditCode: corp, LegalRep: "王五"}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.CreateOrganisation(ctx, identity.NewOrganisation{Account: identity.Account{Username: "other", Password: pw}, Name: "乙公司", CreditCode: other, LegalRep: "赵四"}); err != nil {
			t.Fatal(err)
		}
		person := func(user, name, first17 string, level int) *identity.User {
			u, err := f.svc.CreatePerson(ctx, identity.NewPerson{Account: identity.Account{Username: user, Password: pw}, Name: name, IDNumber: idNumber(t, first17), Assurance: level})
			if err != nil {
				t.Fatal(err)
			}
			return u
		}
		rep := person("wangwu", "王五", "50010219780315001", identity.AssuranceL2)
		l1 := person("wangwu2", "王五", "50010219780315002", identity.AssuranceL1)
		zhao := person("zhaosi", "赵四", "50010219780315003", identity.AssuranceL2)
		op := person("zhoufang", "周芳", "50010219900820002", identity.AssuranceL1)
		opID := idNumber(t, "50010219900820002")

		// Binding: who may, and what must match.
		for _, tc := range []struct {
			name       string
			u          *identity.User
			code, org  string
			code2, key string
		}{
			{"L1 refused", l1, corp, "甲公司", "forbidden", "enterprise.l2_required"},
			{"name of the rep differs", zhao, corp, "甲公司", "invalid", "enterprise.rep_mismatch"},
			{"enterprise name differs", rep, corp, "甲有限公司", "invalid", "enterprise.name_mismatch"},
			{"bad credit code", rep, "91500102MA5U7X2KX", "甲公司", "invalid", ""},
			{"no name", rep, corp, " ", "invalid", "enterprise.name_required"},
		} {
			_, err := f.svc.BindEnterprise(ctx, tc.u, tc.code, tc.org)
			if !apperr.Is(err, apperr.Code(tc.code2), tc.key) {
				t.Errorf("%s: %v", tc.name, err)
			}
		}
		if _, err := f.svc.BindEnterprise(ctx, rep, corp, "甲公司"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.BindEnterprise(ctx, rep, corp, "甲公司"); err != nil {
			t.Fatalf("binding again: %v", err)
		}
		// Held: another L2 person of the same name cannot take it.
		twin := person("wangwu3", "王五", "50010219780315004", identity.AssuranceL2)
		if _, err := f.svc.BindEnterprise(ctx, twin, corp, "甲公司"); !apperr.Is(err, apperr.Conflict, "enterprise.held") {
			t.Errorf("held: %v", err)
		}
		// An unregistered code: nothing online proves who represents it —
		// refused, nothing written; a clerk of its region binds it at a
		// window (a new organisation without a password), one of another
		// region cannot.
		if _, err := f.svc.BindEnterprise(ctx, rep, fresh, "丙公司"); !apperr.Is(err, apperr.NotFound, "enterprise.unknown_window") {
			t.Fatalf("online binding of an unknown enterprise: %v", err)
		}
		var orgs int
		if err := d.Reader().QueryRow(`SELECT COUNT(*) FROM organisations WHERE credit_code = $1`, fresh).Scan(&orgs); err != nil || orgs != 0 {
			t.Fatalf("an organisation was written: %d %v", orgs, err)
		}
		window := func(clerkRegion, person, personName, name string) (*identity.WindowBound, error) {
			clerk := &identity.User{ID: "clerk-" + clerkRegion, Kind: identity.KindStaff, Grants: []identity.Grant{{Role: identity.RoleClerk, RegionCode: clerkRegion}}}
			var out *identity.WindowBound
			err := d.Update(ctx, func(tx *db.Tx) error {
				var err error
				out, err = f.svc.BindAtWindowTx(tx, clerk, identity.WindowBinding{CreditCode: fresh, Name: name, PersonID: person, PersonName: personName})
				return err
			})
			return out, err
		}
		for _, tc := range []struct {
			name, region, person, org string
			code                      apperr.Code
			key                       string
		}{
			{"another region's clerk", "500103", rep.ID, "丙公司", apperr.Forbidden, "enterprise.window_outside_region"},
			{"an L1 person", "500102", l1.ID, "丙公司", apperr.Invalid, "enterprise.window_l2_first"},
			{"no enterprise name", "500102", rep.ID, " ", apperr.Invalid, "enterprise.name_required"},
		} {
			if _, err := window(tc.region, tc.person, "王五", tc.org); !apperr.Is(err, tc.code, tc.key) {
				t.Errorf("%s: %v", tc.name, err)
			}
		}
		if b, err := window("500102", rep.ID, "王五", "丙公司"); err != nil || !b.New || b.Changed {
			t.Fatalf("window binding: %+v %v", b, err)
		}
		// The licence names a new legal representative: the window changes it.
		if b, err := window("5001", zhao.ID, "赵四", "丙公司"); err != nil || b.New || !b.Changed {
			t.Fatalf("a change of legal representative: %+v %v", b, err)
		}
		if b, err := window("5001", rep.ID, "王五", "丙公司"); err != nil || !b.Changed {
			t.Fatalf("changing back: %+v %v", b, err)
		}
		var hash, repName string
		if err := d.Reader().QueryRow(`SELECT u.password_hash, o.legal_rep_name FROM organisations o JOIN users u ON u.id = o.user_id WHERE o.credit_code = $1`, fresh).Scan(&hash, &repName); err != nil {
			t.Fatal(err)
		}
		if hash != "!" || repName != "王五" {
			t.Errorf("new organisation: hash %q, legal rep %q", hash, repName)
		}
		rep, _ = f.svc.UserByID(ctx, rep.ID)
		if len(rep.Enterprises) != 2 || !rep.Enterprises[0].LegalRep {
			t.Fatalf("rep's enterprises: %+v", rep.Enterprises)
		}

		// Authorising: the person by number and name, one answer for both faults.
		tomorrow := "2026-03-03"
		for _, tc := range []struct {
			name string
			u    *identity.User
			code string
			in   identity.OperatorInput
			c    apperr.Code
			key  string
		}{
			{"another's enterprise", zhao, corp, identity.OperatorInput{IDNumber: opID, Name: "周芳", ExpiresOn: tomorrow}, apperr.NotFound, "enterprise.not_found"},
			{"unheld enterprise", rep, other, identity.OperatorInput{IDNumber: opID, Name: "周芳", ExpiresOn: tomorrow}, apperr.NotFound, "enterprise.not_found"},
			{"wrong name", rep, corp, identity.OperatorInput{IDNumber: opID, Name: "周方", ExpiresOn: tomorrow}, apperr.Invalid, "enterprise.person_unmatched"},
			{"unknown number", rep, corp, identity.OperatorInput{IDNumber: idNumber(t, "50010219900820003"), Name: "周芳", ExpiresOn: tomorrow}, apperr.Invalid, "enterprise.person_unmatched"},
			{"an organisation", rep, corp, identity.OperatorInput{IDNumber: other, Name: "乙公司", ExpiresOn: tomorrow}, apperr.Invalid, "enterprise.person_unmatched"},
			{"self", rep, corp, identity.OperatorInput{IDNumber: idNumber(t, "50010219780315001"), Name: "王五", ExpiresOn: tomorrow}, apperr.Invalid, "enterprise.operator_self"},
			{"past expiry", rep, corp, identity.OperatorInput{IDNumber: opID, Name: "周芳", ExpiresOn: "2026-03-01"}, apperr.Invalid, "enterprise.expiry_invalid"},
			{"unknown item", rep, corp, identity.OperatorInput{IDNumber: opID, Name: "周芳", ExpiresOn: tomorrow, Items: []string{"NOPE"}}, apperr.Invalid, "enterprise.item_unknown"},
		} {
			_, err := f.svc.AuthoriseOperator(ctx, tc.u, tc.code, tc.in)
			if !apperr.Is(err, tc.c, tc.key) {
				t.Errorf("%s: %v", tc.name, err)
			}
		}
		a, err := f.svc.AuthoriseOperator(ctx, rep, corp, identity.OperatorInput{IDNumber: opID, Name: "周芳", ExpiresOn: tomorrow})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.AuthoriseOperator(ctx, rep, corp, identity.OperatorInput{IDNumber: opID, Name: "周芳", ExpiresOn: tomorrow}); !apperr.Is(err, apperr.Conflict, "enterprise.operator_exists") {
			t.Errorf("twice: %v", err)
		}
		roleOf := func() (*identity.User, error) {
			u, err := f.svc.UserByID(ctx, op.ID)
			if err != nil {
				t.Fatal(err)
			}
			var rerr error
			err = d.View(ctx, func(tx *db.Tx) error { _, rerr = f.svc.EnterpriseRoleTx(tx, op.ID, corp); return nil })
			if err != nil {
				t.Fatal(err)
			}
			return u, rerr
		}
		u, err := roleOf()
		if err != nil || !u.ActsFor(rep.Enterprises[0].OrganisationID, "ANY") || u.ActsFor("other-org", "ANY") {
			t.Fatalf("current 经办人: %v %+v", err, u.Enterprises)
		}
		// Expired at the start of the day after its last day (China time).
		f.now = time.Date(2026, 3, 3, 16, 0, 0, 0, time.UTC)
		if u, err := roleOf(); len(u.Enterprises) != 0 || !apperr.Is(err, apperr.Forbidden, "enterprise.authorisation_expired") {
			t.Errorf("expired: %v %+v", err, u.Enterprises)
		}
		ops, err := f.svc.Operators(ctx, rep, corp)
		if err != nil || len(ops) != 1 || ops[0].Status != "expired" || ops[0].IDMasked == opID {
			t.Errorf("operators: %v %+v", err, ops)
		}
		// A new one, revoked: gone at once.
		f.now = time.Date(2026, 3, 4, 1, 0, 0, 0, time.UTC)
		b, err := f.svc.AuthoriseOperator(ctx, rep, corp, identity.OperatorInput{IDNumber: opID, Name: "周芳", ExpiresOn: "2026-12-31", Items: []string{}})
		if err != nil || b.ID == a.ID {
			t.Fatal(err)
		}
		if err := f.svc.RevokeOperator(ctx, zhao, corp, b.ID); !apperr.Is(err, apperr.NotFound, "enterprise.not_found") {
			t.Errorf("revoke by another: %v", err)
		}
		if err := f.svc.RevokeOperator(ctx, rep, corp, b.ID); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.RevokeOperator(ctx, rep, corp, b.ID); !apperr.Is(err, apperr.Conflict, "enterprise.operator_revoked") {
			t.Errorf("revoke twice: %v", err)
		}
		if u, err := roleOf(); len(u.Enterprises) != 0 || !apperr.Is(err, apperr.Forbidden, "enterprise.authorisation_revoked") {
			t.Errorf("revoked: %v %+v", err, u.Enterprises)
		}
		// Each change an audit record.
		var n int
		if err := d.Reader().QueryRow(`SELECT (SELECT COUNT(*) FROM audit_records WHERE action LIKE 'enterprise.%') + (SELECT COUNT(*) FROM audit_pending WHERE action LIKE 'enterprise.%')`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 10 { // four bindings (one online, three at the window), three failed matches, two authorisations, one revocation
			t.Errorf("%d enterprise audit records, want 10", n)
		}
		// Failed matches are counted per legal representative: past the
		// limit, nobody is named until the window ends.
		for i := 0; i < identity.OperatorMatchLimit; i++ { // the earlier failures were days ago: a new window
			if _, err := f.svc.AuthoriseOperator(ctx, rep, corp, identity.OperatorInput{IDNumber: opID, Name: "周方", ExpiresOn: "2026-12-31"}); !apperr.Is(err, apperr.Invalid, "enterprise.person_unmatched") {
				t.Fatalf("failure %d: %v", i, err)
			}
		}
		if _, err := f.svc.AuthoriseOperator(ctx, rep, corp, identity.OperatorInput{IDNumber: opID, Name: "周芳", ExpiresOn: "2026-12-31"}); !apperr.Is(err, apperr.TooMany, "enterprise.match_throttled") {
			t.Errorf("throttled: %v", err)
		}
		f.now = f.now.Add(identity.OperatorMatchWindow)
		if _, err := f.svc.AuthoriseOperator(ctx, rep, corp, identity.OperatorInput{IDNumber: opID, Name: "周芳", ExpiresOn: "2026-12-31"}); err != nil {
			t.Errorf("after the window: %v", err)
		}

		// Closing (注销): the legal representative first has the enterprise
		// handed over at a window; a 经办人's authorisations end with the account.
		if err := f.svc.CloseAccount(ctx, rep, pw); !apperr.Is(err, apperr.Conflict, "account.close_legal_rep") {
			t.Errorf("a legal representative closes: %v", err)
		}
		if err := f.svc.CloseAccount(ctx, op, pw); err != nil {
			t.Fatal(err)
		}
		var open int
		d.Reader().QueryRow(`SELECT COUNT(*) FROM enterprise_operators WHERE person_id = $1 AND revoked_at IS NULL`, op.ID).Scan(&open)
		if open != 0 {
			t.Errorf("a closed account keeps %d enterprise authorisations", open)
		}
	})
}
