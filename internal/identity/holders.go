package identity

import (
	"slices"
	"strconv"
	"strings"

	"github.com/tongban/tongban/internal/db"
)

// Holders are the enabled staff holding any of roles over something in a
// department and region, as case lists scope them: window clerks and
// supervisors by region (a grant without one covers nothing), the back
// office by department within its region.
// Reminders, escalations and urgings are sent to them.
func Holders(tx *db.Tx, roles []string, dept, region string) ([]string, error) {
	if len(roles) == 0 {
		return nil, nil
	}
	args := []any{}
	var ph []string
	for _, r := range roles {
		args = append(args, r)
		ph = append(ph, "$"+strconv.Itoa(len(args)))
	}
	// Only grants that may cover dept are read: a back-office grant of
	// another department never does (regional posts — clerks, supervisors —
	// are scoped by region alone, see ScopeOf); Scope decides the rest.
	rows, err := tx.Query(`SELECT g.user_id, g.role, COALESCE(g.department_id, ''), COALESCE(g.region_code, '')
		FROM role_grants g JOIN users u ON u.id = g.user_id
		WHERE NOT u.disabled AND g.role IN (`+strings.Join(ph, ", ")+`)
		AND (g.role IN ($`+strconv.Itoa(len(args)+1)+`, $`+strconv.Itoa(len(args)+2)+`) OR COALESCE(g.department_id, '') IN ('', $`+strconv.Itoa(len(args)+3)+`))
		ORDER BY g.user_id`, append(args, string(RoleClerk), string(RoleSupervisor), dept)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, role, gdept, gregion string
		if err := rows.Scan(&id, &role, &gdept, &gregion); err != nil {
			return nil, err
		}
		// The one scoping rule (Scope): who is told is who may act on it.
		g := Grant{Role: Role(role), DepartmentID: gdept, RegionCode: gregion}
		if !(&User{Grants: []Grant{g}}).ScopeOf(g.Role).Covers(dept, region) {
			continue
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out, rows.Err()
}

// SupervisionScope is the SQL condition for the rows of supervision u may
// read — signals, anomalies: a supervisor's region, an approver's department
// within the approver's region (a department head watches their own). It is
// the one scoping rule (Scope) over those two roles. deptCol and regionCol
// name the columns; arg binds a value. "" when u may read none.
func SupervisionScope(u *User, deptCol, regionCol string, arg func(any) string) string {
	sc := u.ScopeOf(RoleSupervisor, RoleApprover)
	if sc.Empty() {
		return ""
	}
	return sc.SQL(deptCol, regionCol, arg)
}

// CanSupervise says whether u may read supervision at all.
func CanSupervise(u *User) bool {
	return u != nil && (u.Has(RoleSupervisor) || u.Has(RoleApprover))
}
