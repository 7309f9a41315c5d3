package stats_test

import (
	"testing"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/stats"
)

// Statistics for department staff follow the region of their grant too.
func TestScope(t *testing.T) {
	const district, town, street, amr, gov = "500102", "500102103000", "500102006000", "amr", "gov"
	user := func(gs ...identity.Grant) *identity.User { return &identity.User{Kind: identity.KindStaff, Grants: gs} }
	townApprover := user(identity.Grant{Role: identity.RoleApprover, DepartmentID: amr, RegionCode: town})
	districtApprover := user(identity.Grant{Role: identity.RoleApprover, DepartmentID: amr, RegionCode: district})
	supervisor := user(identity.Grant{Role: identity.RoleSupervisor, DepartmentID: gov, RegionCode: district})
	townSupervisor := user(identity.Grant{Role: identity.RoleSupervisor, DepartmentID: gov, RegionCode: town})
	for _, c := range []struct {
		name              string
		u                 *identity.User
		dept, region      string
		wantDept, wantReg string
		key               string // the refusal's key, "" when allowed
	}{
		{"town approver by default", townApprover, "", "", amr, town, ""},
		{"town approver, the district", townApprover, "", district, "", "", "stats.region_forbidden"},
		{"town approver, own department in the district", townApprover, amr, district, "", "", "stats.region_forbidden"},
		{"town approver, a street office", townApprover, "", street, "", "", "stats.region_forbidden"},
		{"town approver, another department", townApprover, gov, "", "", "", "stats.department_forbidden"},
		{"town approver, a village of the town", townApprover, "", "500102103001", amr, "500102103001", ""},
		{"district approver, a town", districtApprover, "", town, amr, town, ""},
		{"district approver by default", districtApprover, "", "", amr, district, ""},
		{"supervisor by default: the district, every department", supervisor, "", "", "", district, ""},
		{"supervisor, one department of a town", supervisor, amr, town, amr, town, ""},
		{"town supervisor, the district", townSupervisor, "", district, "", "", "stats.region_forbidden"},
		{"a clerk", user(identity.Grant{Role: identity.RoleClerk, DepartmentID: gov, RegionCode: district}), "", "", "", "", "error.forbidden"},
	} {
		t.Run(c.name, func(t *testing.T) {
			q, err := stats.Scope(c.u, stats.Query{Department: c.dept, Region: c.region})
			if c.key != "" {
				if !apperr.Is(err, apperr.Forbidden, c.key) {
					t.Fatalf("got %+v, %v; want %s", q, err, c.key)
				}
				return
			}
			if err != nil || q.Department != c.wantDept || q.Region != c.wantReg {
				t.Fatalf("got %q in %q, %v; want %q in %q", q.Department, q.Region, err, c.wantDept, c.wantReg)
			}
		})
	}
}
