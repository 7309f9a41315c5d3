package identity_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/identity"
)

const (
	district = "500102"       // 涪陵区, the installation's root in the demo
	town     = "500102103000" // 南沱镇
	street   = "500102006000" // a street office of the district
	amr      = "dept-amr"
	gov      = "dept-gov"
)

func staff(gs ...identity.Grant) *identity.User {
	return &identity.User{Kind: identity.KindStaff, Grants: gs}
}

func TestScopeCovers(t *testing.T) {
	districtApprover := staff(identity.Grant{Role: identity.RoleApprover, DepartmentID: amr, RegionCode: district})
	townApprover := staff(identity.Grant{Role: identity.RoleApprover, DepartmentID: amr, RegionCode: town})
	deptOnly := staff(identity.Grant{Role: identity.RoleHandler, DepartmentID: amr})
	townSupervisor := staff(identity.Grant{Role: identity.RoleSupervisor, DepartmentID: gov, RegionCode: town})
	noRegionSupervisor := staff(identity.Grant{Role: identity.RoleSupervisor, DepartmentID: gov})
	townAdmin := staff(identity.Grant{Role: identity.RoleAdmin, RegionCode: town})
	for _, c := range []struct {
		name         string
		u            *identity.User
		roles        []identity.Role
		dept, region string
		want         bool
	}{
		{"district approver, own department in a town", districtApprover, []identity.Role{identity.RoleApprover}, amr, town, true},
		{"district approver, own department in the district", districtApprover, []identity.Role{identity.RoleApprover}, amr, district, true},
		{"district approver, another department", districtApprover, []identity.Role{identity.RoleApprover}, gov, town, false},
		{"town approver, own department in the district", townApprover, []identity.Role{identity.RoleApprover}, amr, district, false},
		{"town approver, own department in a street office", townApprover, []identity.Role{identity.RoleApprover}, amr, street, false},
		{"town approver, own department in the town", townApprover, []identity.Role{identity.RoleApprover}, amr, town, true},
		{"town approver, a thing of no region", townApprover, []identity.Role{identity.RoleApprover}, amr, "", false},
		{"town approver, as a handler", townApprover, []identity.Role{identity.RoleHandler}, amr, town, false},
		{"department-only grant, any region", deptOnly, []identity.Role{identity.RoleHandler}, amr, street, true},
		{"department-only grant, a region's setting", deptOnly, []identity.Role{identity.RoleHandler}, "", district, false},
		{"supervisor's department is no limit", townSupervisor, []identity.Role{identity.RoleSupervisor}, amr, town, true},
		{"town supervisor, the district", townSupervisor, []identity.Role{identity.RoleSupervisor}, amr, district, false},
		{"supervisor without a region covers nothing", noRegionSupervisor, []identity.Role{identity.RoleSupervisor}, gov, town, false},
		{"town admin, the town's setting", townAdmin, []identity.Role{identity.RoleAdmin}, "", town, true},
		{"town admin, the district's setting", townAdmin, []identity.Role{identity.RoleAdmin}, "", district, false},
		{"town admin, an installation-wide setting", townAdmin, []identity.Role{identity.RoleAdmin}, "", "", false},
		{"nobody", nil, []identity.Role{identity.RoleAdmin}, "", town, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := c.u.ScopeOf(c.roles...).Covers(c.dept, c.region); got != c.want {
				t.Errorf("Covers(%q, %q) = %v, want %v", c.dept, c.region, got, c.want)
			}
		})
	}
}

func TestScopeSQL(t *testing.T) {
	for _, c := range []struct {
		name    string
		u       *identity.User
		deptCol string
		want    string
	}{
		{"none", staff(identity.Grant{Role: identity.RoleClerk, DepartmentID: amr}), "d", "1 = 0"},
		{"department and region", staff(identity.Grant{Role: identity.RoleApprover, DepartmentID: amr, RegionCode: town}), "d",
			"((d = $1 AND r LIKE $2))[dept-amr 500102103%]"},
		{"regional post", staff(identity.Grant{Role: identity.RoleSupervisor, DepartmentID: gov, RegionCode: district}), "d",
			"((r LIKE $1))[500102%]"},
		{"no department column", staff(identity.Grant{Role: identity.RoleApprover, DepartmentID: amr, RegionCode: town},
			identity.Grant{Role: identity.RoleSupervisor, RegionCode: street}), "", "((r LIKE $1))[500102006%]"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var args []any
			arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
			sc := c.u.ScopeOf(identity.RoleClerk, identity.RoleApprover, identity.RoleSupervisor)
			got := sc.SQL(c.deptCol, "r", arg)
			if len(args) > 0 {
				got += fmt.Sprint(args)
			}
			if got != c.want {
				t.Errorf("SQL = %s, want %s", got, c.want)
			}
		})
	}
}

func TestInstallation(t *testing.T) {
	for _, c := range []struct {
		name string
		u    *identity.User
		role identity.Role
		want bool
	}{
		{"district admin", staff(identity.Grant{Role: identity.RoleAdmin, RegionCode: district}), identity.RoleAdmin, true},
		{"municipal admin", staff(identity.Grant{Role: identity.RoleAdmin, RegionCode: "500100"}), identity.RoleAdmin, true},
		{"town admin", staff(identity.Grant{Role: identity.RoleAdmin, RegionCode: town}), identity.RoleAdmin, false},
		{"a department's admin", staff(identity.Grant{Role: identity.RoleAdmin, DepartmentID: amr, RegionCode: district}), identity.RoleAdmin, false},
		{"district supervisor sitting in a department", staff(identity.Grant{Role: identity.RoleSupervisor, DepartmentID: gov, RegionCode: district}),
			identity.RoleSupervisor, true},
		{"street supervisor", staff(identity.Grant{Role: identity.RoleSupervisor, RegionCode: street}), identity.RoleSupervisor, false},
		{"district admin is no supervisor", staff(identity.Grant{Role: identity.RoleAdmin, RegionCode: district}), identity.RoleSupervisor, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := c.u.Installation(c.role, district); got != c.want {
				t.Errorf("Installation(%s) = %v, want %v", c.role, got, c.want)
			}
		})
	}
}

// Reminders and urgings go to who may act: the same scoping rule.
func TestHoldersFollowTheScope(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		const town = "500102100000" // 龙潭镇 in the fixture
		ids := map[string]string{}
		for name, g := range map[string]identity.Grant{
			"district-approver": {Role: identity.RoleApprover, DepartmentID: f.dept, RegionCode: "500102"},
			"town-approver":     {Role: identity.RoleApprover, DepartmentID: f.dept, RegionCode: town},
			"dept-approver":     {Role: identity.RoleApprover, DepartmentID: f.dept},
			"town-supervisor":   {Role: identity.RoleSupervisor, RegionCode: town},
			"dept-supervisor":   {Role: identity.RoleSupervisor, DepartmentID: f.dept},
		} {
			u, err := f.svc.CreateStaff(ctx, identity.NewStaff{Account: identity.Account{Username: name, Password: pw}, Name: name, Grants: []identity.Grant{g}})
			if err != nil {
				t.Fatal(err)
			}
			ids[u.ID] = name
		}
		holders := func(region string) []string {
			var out []string
			err := d.View(ctx, func(tx *db.Tx) error {
				got, err := identity.Holders(tx, []string{"approver", "supervisor"}, f.dept, region)
				for _, id := range got {
					out = append(out, ids[id])
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(out)
			return out
		}
		if got := holders("500102"); !slices.Equal(got, []string{"dept-approver", "district-approver"}) {
			t.Errorf("a district case: %v", got)
		}
		if got := holders(town); !slices.Equal(got, []string{"dept-approver", "district-approver", "town-approver", "town-supervisor"}) {
			t.Errorf("a town case: %v", got)
		}
	})
}
