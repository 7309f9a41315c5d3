package demo_test

import (
	"context"
	"testing"

	"github.com/pquerna/otp/totp"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/demo"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/license"
	"github.com/tongban/tongban/internal/vault"
)

func TestSeedIsIdempotentAndKeepsChanges(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		v, _ := vault.New(vault.NewKey())
		ids := identity.NewService(d, v)
		if err := demo.Seed(ctx, d, ids); err != nil {
			t.Fatal(err)
		}
		for _, a := range demo.Accounts {
			req := identity.LoginRequest{Username: a.Username, Password: identity.DemoPassword}
			if u, _ := ids.UserByUsername(ctx, a.Username); u.NeedsSecondFactor() {
				// The demo's administrator and supervisor have its published second factor.
				req.Code, _ = totp.GenerateCode(identity.DemoTOTPSecret, d.Now())
			}
			if _, _, _, err := ids.Login(ctx, req); err != nil {
				t.Errorf("%s cannot log in: %v", a.Username, err)
			}
		}
		if n, _ := ids.DefaultPasswordCount(ctx); n != len(demo.Accounts) {
			t.Errorf("%d default passwords, want %d", n, len(demo.Accounts))
		}
		if err := ids.SetPassword(ctx, "admin", "a changed password"); err != nil {
			t.Fatal(err)
		}
		changed := demo.LicenceTypes()[0]
		changed.ValidityYears = 7
		if err := license.SaveType(ctx, d, "", changed); err != nil {
			t.Fatal(err)
		}
		if err := demo.Seed(ctx, d, ids); err != nil {
			t.Fatalf("second seed: %v", err)
		}
		if _, _, _, err := ids.Login(ctx, identity.LoginRequest{Username: "admin", Password: "a changed password"}); err != nil {
			t.Errorf("re-seeding reset a changed password: %v", err)
		}
		types, _ := license.Types(ctx, d)
		if len(types) != len(demo.LicenceTypes()) {
			t.Errorf("%d licence types after two seeds", len(types))
		}
		for _, ty := range types {
			if ty.Code == changed.Code && ty.ValidityYears != 7 {
				t.Errorf("re-seeding reset a changed licence type: %+v", ty)
			}
		}
		var users, depts int
		d.Reader().QueryRow(`SELECT count(*) FROM users WHERE username <> 'system'`).Scan(&users)
		d.Reader().QueryRow(`SELECT count(*) FROM departments`).Scan(&depts)
		if users != len(demo.Accounts) || depts != 12+27 {
			t.Errorf("after two seeds: %d users, %d departments", users, depts)
		}
		clerk, _ := ids.UserByUsername(ctx, "clerk")
		if !clerk.Has(identity.RoleClerk) || clerk.Grants[0].DepartmentName != "重庆市涪陵区政务服务管理办公室" || clerk.Grants[0].RegionName != "涪陵区" {
			t.Errorf("clerk = %+v", clerk)
		}
	})
}
