package demo_test

import (
	"context"
	"strings"
	"testing"

	"github.com/pquerna/otp/totp"

	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/demo"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/license"
	"github.com/tongban/tongban/internal/site"
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
		builtThroughServices(t, d, ids)
		// An administrator's change to the organisation survives a re-run.
		admin, _ := ids.UserByUsername(ctx, "admin")
		cat := catalog.New(d)
		hs, _ := cat.Halls(ctx, nantuo)
		phone := "023-72709999"
		if _, err := cat.UpdateHall(ctx, admin, hs[0].ID, catalog.HallInput{Phone: &phone}); err != nil {
			t.Fatal(err)
		}
		counts := organisationCounts(t, d)
		// A withdrawn adoption stays withdrawn when the demo runs again.
		adopted, _ := cat.Adoptions(ctx, admin)
		if _, err := cat.WithdrawAdoption(ctx, admin, adopted[0].ImplCode); err != nil {
			t.Fatal(err)
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
		if again := organisationCounts(t, d); again != counts {
			t.Errorf("organisation after a second seed %v, after the first %v", again, counts)
		}
		if a, _ := cat.Adoption(ctx, admin, adopted[0].ImplCode); !a.Withdrawn {
			t.Errorf("re-seeding adopted a withdrawn adoption again: %+v", a)
		}
		if again, _ := cat.Adoptions(ctx, admin); len(again) != len(adopted) {
			t.Errorf("%d adoptions after a second seed, %d after the first", len(again), len(adopted))
		}
		if hs, _ := cat.Halls(ctx, nantuo); hs[0].Phone != phone {
			t.Errorf("re-seeding reset a changed hall: %+v", hs[0])
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
		if users != len(demo.Accounts) || depts != 13+27 {
			t.Errorf("after two seeds: %d users, %d departments", users, depts)
		}
		clerk, _ := ids.UserByUsername(ctx, "clerk")
		if !clerk.Has(identity.RoleClerk) || clerk.Grants[0].DepartmentName != "重庆市涪陵区政务服务管理办公室" || clerk.Grants[0].RegionName != "涪陵区" {
			t.Errorf("clerk = %+v", clerk)
		}
	})
}

// nantuo is 南沱镇, the demo agent's town.
const nantuo = "500102103000"

func organisationCounts(t *testing.T, d *db.DB) [3]int {
	t.Helper()
	var n [3]int
	for i, table := range []string{"departments", "halls", "windows"} {
		if err := d.Reader().QueryRow(`SELECT count(*) FROM ` + table).Scan(&n[i]); err != nil {
			t.Fatal(err)
		}
	}
	return n
}

// builtThroughServices checks that the demo is what a county's
// installation makes with setup, the organisation import and the staff
// administration (issue 15): the site's identity and an installation
// administrator, halls at every level with the windows of their kinds, and
// every staff account created by the administrator (audited as such), its
// demo password not to be changed at the first login.
func builtThroughServices(t *testing.T, d *db.DB, ids *identity.Service) {
	t.Helper()
	ctx := context.Background()
	info, err := site.Load(ctx, d)
	if err != nil || info.Region != demo.Region || info.CentreName != demo.Site.CentreName {
		t.Errorf("site = %+v, %v", info, err)
	}
	admin, _ := ids.UserByUsername(ctx, "admin")
	if !admin.Installation(identity.RoleAdmin, demo.Region) || !admin.SecondFactor {
		t.Errorf("admin = %+v: not setup's installation administrator", admin)
	}
	var villages, villageHalls, townHalls, countyHalls int
	r := d.Reader()
	r.QueryRow(`SELECT count(*) FROM regions WHERE level = 5 AND code LIKE '500102%'`).Scan(&villages)
	r.QueryRow(`SELECT count(*) FROM halls h JOIN regions g ON g.code = h.region_code WHERE g.level = 5`).Scan(&villageHalls)
	r.QueryRow(`SELECT count(*) FROM halls h JOIN regions g ON g.code = h.region_code WHERE g.level = 4`).Scan(&townHalls)
	r.QueryRow(`SELECT count(*) FROM halls h JOIN regions g ON g.code = h.region_code WHERE g.level = 3`).Scan(&countyHalls)
	if villages < 400 || villageHalls != villages || townHalls != 27 || countyHalls != 1 {
		t.Errorf("halls: %d county, %d township, %d of %d villages", countyHalls, townHalls, villageHalls, villages)
	}
	for _, kind := range []string{"comprehensive", "special", "assisted", "elderly"} {
		var n int
		r.QueryRow(`SELECT count(*) FROM windows w JOIN halls h ON h.id = w.hall_id WHERE w.kind = $1 AND h.region_code = $2`, kind, demo.Region).Scan(&n)
		if n == 0 {
			t.Errorf("the district's centre has no %s window", kind)
		}
	}
	var nantuoWindows int
	r.QueryRow(`SELECT count(*) FROM windows w JOIN halls h ON h.id = w.hall_id JOIN window_departments wd ON wd.window_id = w.id
		JOIN departments dp ON dp.id = wd.department_id WHERE h.region_code = $1 AND dp.region_code = $1`, nantuo).Scan(&nantuoWindows)
	if nantuoWindows == 0 {
		t.Errorf("南沱镇's centre has no window of its government")
	}
	for _, a := range demo.Accounts {
		u, _ := ids.UserByUsername(ctx, a.Username)
		if u.MustChangePassword {
			t.Errorf("%s must change the demo password", a.Username)
		}
		if u.Kind != identity.KindStaff || a.Username == "admin" {
			continue
		}
		var actor string
		if err := r.QueryRow(`SELECT actor_id FROM (SELECT actor_id, action, object_id FROM audit_pending UNION ALL SELECT actor_id, action, object_id FROM audit_records) a WHERE action = 'staff.create' AND object_id = $1`, u.ID).Scan(&actor); err != nil || actor != admin.ID {
			t.Errorf("%s was not created by the administrator (actor %q, %v)", a.Username, actor, err)
		}
	}
	// Every demo town's government adopted what the district offers the
	// townships, at its own centre: 南沱镇's items come from adoption.
	adoptions, err := catalog.New(d).Adoptions(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	perTown := map[string]int{}
	for _, a := range adoptions {
		perTown[a.RegionCode]++
		if a.Withdrawn || a.Level != 5 || !strings.HasSuffix(a.HallName, "便民服务中心") || len(a.Windows) != 1 {
			t.Errorf("adoption %+v", a)
		}
	}
	if len(perTown) != 3 || perTown[nantuo] == 0 || perTown[nantuo] != len(adoptions)/3 {
		t.Errorf("adoptions per town: %v", perTown)
	}
	var orgRecords int
	r.QueryRow(`SELECT count(*) FROM (SELECT actor_id, action FROM audit_pending UNION ALL SELECT actor_id, action FROM audit_records) a WHERE action IN ('department.create', 'hall.create', 'window.create') AND actor_id = $1`, admin.ID).Scan(&orgRecords)
	if orgRecords < 13+27+1+27+villages {
		t.Errorf("%d organisation records by the administrator", orgRecords)
	}
}
