package identity

import (
	"context"
	"database/sql"
	"errors"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/db"
)

// Profile is what an account holder sees of their own identity: the
// identifying number is masked even for its owner, as on a printed voucher.
type Profile struct {
	User       *User
	Identifier string // masked citizen ID number, or the credit code
}

// Profile returns u's own profile.
func (s *Service) Profile(ctx context.Context, u *User) (*Profile, error) {
	p := &Profile{User: u}
	err := s.db.View(ctx, func(tx *db.Tx) error {
		var q string
		switch u.Kind {
		case KindPerson:
			q = `SELECT id_number_masked FROM persons WHERE user_id = $1`
		case KindOrganisation:
			q = `SELECT credit_code FROM organisations WHERE user_id = $1`
		default:
			return nil
		}
		err := tx.QueryRow(q, u.ID).Scan(&p.Identifier)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		return err
	})
	return p, apperr.Internalf("identity: profile", err)
}

// StaffVisibleTo lists the staff accounts an administrator may see: those
// holding a grant whose department and region (or its department's region)
// the administrator's scope covers (the one scoping rule, Scope). Staff data carries no personal
// identifiers, so listing it is not a personal-data read.
func (s *Service) StaffVisibleTo(ctx context.Context, admin *User) ([]*User, error) {
	sc := admin.ScopeOf(RoleAdmin)
	var out []*User
	err := s.db.View(ctx, func(tx *db.Tx) error {
		rows, err := tx.Query(`SELECT u.id, u.username, u.display_name, u.disabled, g.role,
				COALESCE(g.department_id, ''), COALESCE(d.name, ''), COALESCE(g.region_code, ''), COALESCE(r.name, ''),
				COALESCE(g.region_code, d.region_code, '')
			FROM users u
			JOIN role_grants g ON g.user_id = u.id
			LEFT JOIN departments d ON d.id = g.department_id
			LEFT JOIN regions r ON r.code = g.region_code
			WHERE u.kind = 'staff'
			ORDER BY u.username, g.created_at, g.id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		var cur *User
		for rows.Next() {
			var u User
			var g Grant
			var role, effective string
			if err := rows.Scan(&u.ID, &u.Username, &u.DisplayName, &u.Disabled, &role,
				&g.DepartmentID, &g.DepartmentName, &g.RegionCode, &g.RegionName, &effective); err != nil {
				return err
			}
			g.Role = Role(role)
			if !sc.Covers(g.DepartmentID, effective) {
				continue
			}
			if cur == nil || cur.ID != u.ID {
				u.Kind = KindStaff
				cur = &u
				out = append(out, cur)
			}
			cur.Grants = append(cur.Grants, g)
		}
		return rows.Err()
	})
	return out, apperr.Internalf("identity: list staff", err)
}
