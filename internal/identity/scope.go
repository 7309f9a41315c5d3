package identity

import (
	"slices"
	"strings"

	"github.com/tongban/tongban/internal/codes"
)

// Scope is where a user holds some roles: the grants of those roles, each a
// department and a region. It is the one scoping rule of every domain
// outside the case engine (which applies the same rule through CanActIn):
// a grant covers department D in region R when its department, if it names
// one, is D and its region, if it names one, encloses R. Window clerks and
// supervisors are regional posts (一窗受理 takes every department's items,
// 电子监察 watches every department): their grant's department is where they
// sit, not a limit, and they need a region.
type Scope struct {
	grants []Grant
}

// regional reports whether a role is held over a whole region.
func regional(r Role) bool { return r == RoleClerk || r == RoleSupervisor }

// ScopeOf is u's scope in any of roles (none for nil).
func (u *User) ScopeOf(roles ...Role) Scope {
	var s Scope
	if u == nil {
		return s
	}
	for _, g := range u.Grants {
		if !slices.Contains(roles, g.Role) || !g.Role.Staff() {
			continue
		}
		if regional(g.Role) {
			if g.RegionCode == "" {
				continue
			}
			g.DepartmentID = ""
		}
		s.grants = append(s.grants, g)
	}
	return s
}

// Grants are the scope's grants, in grant order (a regional post's without
// its department): where a reader's default view is.
func (s Scope) Grants() []Grant { return slices.Clone(s.grants) }

// Empty reports whether the scope covers nothing.
func (s Scope) Empty() bool { return len(s.grants) == 0 }

// Covers reports whether the scope covers department dept in region. An
// empty dept (a thing of no department: a region's setting) is covered only
// by a grant naming no department; an empty region only by a grant naming
// no region (neither is ever read as "everywhere").
func (s Scope) Covers(dept, region string) bool {
	for _, g := range s.grants {
		if g.DepartmentID != "" && g.DepartmentID != dept {
			continue
		}
		if g.RegionCode != "" && (region == "" || !codes.DivisionCovers(g.RegionCode, region)) {
			continue
		}
		return true
	}
	return false
}

// CoversRegion reports whether some grant covers the whole of region, any
// department in it: the scope of a region's settings and figures.
func (s Scope) CoversRegion(region string) bool { return s.Covers("", region) }

// Departments are the departments the scope is limited to, nil when some
// grant names none (it covers every department of its region).
func (s Scope) Departments() []string {
	var out []string
	for _, g := range s.grants {
		if g.DepartmentID == "" {
			return nil
		}
		if !slices.Contains(out, g.DepartmentID) {
			out = append(out, g.DepartmentID)
		}
	}
	return out
}

// Regions are the grants' regions, in grant order, without repeats ("" for
// a grant naming none).
func (s Scope) Regions() []string {
	var out []string
	for _, g := range s.grants {
		if !slices.Contains(out, g.RegionCode) {
			out = append(out, g.RegionCode)
		}
	}
	return out
}

// SQL is the scope as an SQL condition on a row's department and region
// columns (deptCol "" when the rows have no department: then only grants
// naming no department match); arg binds a value and returns its
// placeholder. A scope that covers nothing is "1 = 0", so a caller that
// forgets to check Empty still reads nothing.
func (s Scope) SQL(deptCol, regionCol string, arg func(any) string) string {
	var ors []string
	for _, g := range s.grants {
		var parts []string
		if g.DepartmentID != "" {
			if deptCol == "" {
				continue
			}
			parts = append(parts, deptCol+" = "+arg(g.DepartmentID))
		}
		if g.RegionCode != "" {
			parts = append(parts, regionCol+" LIKE "+arg(codes.DivisionPrefix(g.RegionCode)+"%"))
		}
		if len(parts) == 0 {
			parts = append(parts, "1 = 1")
		}
		ors = append(ors, "("+strings.Join(parts, " AND ")+")")
	}
	if len(ors) == 0 {
		return "1 = 0"
	}
	return "(" + strings.Join(ors, " OR ") + ")"
}

// Installation reports whether u holds role for the whole installation: a
// grant naming no department (a supervisor's department never limits it)
// whose region encloses root, the installation's home region. Settings
// that apply everywhere — installation-wide escalation rules and thresholds,
// licence types, records about accounts — belong to such a grant only.
func (u *User) Installation(role Role, root string) bool {
	if u == nil || root == "" {
		return false
	}
	for _, g := range u.Grants {
		if g.Role != role || g.RegionCode == "" || (g.DepartmentID != "" && !regional(role)) {
			continue
		}
		if codes.DivisionCovers(g.RegionCode, root) {
			return true
		}
	}
	return false
}
