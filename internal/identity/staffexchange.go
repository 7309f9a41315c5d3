package identity

import (
	"context"
	"fmt"
	"strings"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/db"
)

// StaffExchangeFormat names the staff exchange document (JSON).
const StaffExchangeFormat = "tongban-staff/1"

// MaxStaffImport bounds one import (docs/ARCHITECTURE.md "Bounds").
const MaxStaffImport = 1000

// StaffExchange is the staff exchange document: accounts with their grants.
type StaffExchange struct {
	Format string        `json:"format"`
	Staff  []StaffRecord `json:"staff"`
}

// StaffRecord is one account of the exchange document.
type StaffRecord struct {
	Username string        `json:"username"`
	Name     string        `json:"name"`
	Phone    string        `json:"phone,omitempty"`
	Disabled bool          `json:"disabled,omitempty"`
	Grants   []GrantRecord `json:"grants"`
}

// GrantRecord is one grant of the exchange document. The department is
// named by its id or its unified social credit code (the workbook uses the
// code, which stays the same in another installation); when both are
// given the code decides, and an id of another department here is a fault. DepartmentName is written to
// the workbook for its reader and never read.
type GrantRecord struct {
	Role                 string `json:"role"`
	DepartmentID         string `json:"department_id,omitempty"`
	DepartmentCreditCode string `json:"department_credit_code,omitempty"`
	DepartmentName       string `json:"-"`
	RegionCode           string `json:"region_code,omitempty"`
}

// StaffLocator names where account i's field ("username", "grants[2].role")
// is in the file it was read from; nil for JSON ("staff[i]").
type StaffLocator func(i int, field string) string

// ImportedStaff is an account an import created, with its one-time password.
type ImportedStaff struct {
	ID              string `json:"id"`
	Username        string `json:"username"`
	OneTimePassword string `json:"one_time_password"`
}

// ExportStaff is the exchange document of the staff by sees (ListStaff),
// each with the grants of theirs inside by's scope.
func (s *Service) ExportStaff(ctx context.Context, by *User) (*StaffExchange, error) {
	all, err := s.StaffVisibleTo(ctx, by)
	if err != nil {
		return nil, err
	}
	ex := &StaffExchange{Format: StaffExchangeFormat, Staff: []StaffRecord{}}
	phones := map[string]string{}
	credit := map[string]string{}
	err = s.db.View(ctx, func(tx *db.Tx) error {
		rows, err := tx.Query(`SELECT id, phone FROM users WHERE kind = 'staff' AND phone <> ''`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id, phone string
			if err := rows.Scan(&id, &phone); err != nil {
				return err
			}
			phones[id] = phone
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = tx.Query(`SELECT id, credit_code FROM departments`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id, code string
			if err := rows.Scan(&id, &code); err != nil {
				return err
			}
			credit[id] = code
		}
		return rows.Err()
	})
	if err != nil {
		return nil, apperr.Internalf("identity: export staff", err)
	}
	for _, u := range all {
		r := StaffRecord{Username: u.Username, Name: u.DisplayName, Phone: phones[u.ID], Disabled: u.Disabled, Grants: []GrantRecord{}}
		for _, g := range u.Grants {
			r.Grants = append(r.Grants, GrantRecord{Role: string(g.Role), DepartmentID: g.DepartmentID,
				DepartmentCreditCode: credit[g.DepartmentID], DepartmentName: g.DepartmentName, RegionCode: g.RegionCode})
		}
		ex.Staff = append(ex.Staff, r)
	}
	return ex, nil
}

// ImportStaff creates every account of ex, each with a one-time password,
// under the rules of CreateStaffAccount — or none: every fault is listed
// (staff[i] and the field), and nothing is written when there is one. An
// import that would give a grant beyond by's is Forbidden, otherwise Invalid.
// Accounts that exist already are faults (an import creates; changes are
// the account's page or PATCH). Audited as staff.create for each account.
func (s *Service) ImportStaff(ctx context.Context, by *User, root string, ex StaffExchange) ([]ImportedStaff, error) {
	return s.ImportStaffFrom(ctx, by, root, ex, nil)
}

// ImportStaffFrom is ImportStaff naming each fault's place with loc (the
// workbook's sheet, row and column; ReadStaffXLSX).
func (s *Service) ImportStaffFrom(ctx context.Context, by *User, root string, ex StaffExchange, loc StaffLocator) ([]ImportedStaff, error) {
	if loc == nil {
		loc = func(i int, _ string) string { return fmt.Sprintf("staff[%d]", i) }
	}
	if !by.Has(RoleAdmin) {
		return nil, apperr.E(apperr.Forbidden, "error.forbidden")
	}
	if ex.Format != StaffExchangeFormat {
		return nil, apperr.E(apperr.Invalid, "staff.import_format", "want", StaffExchangeFormat, "got", ex.Format)
	}
	if len(ex.Staff) == 0 || len(ex.Staff) > MaxStaffImport {
		return nil, apperr.E(apperr.Invalid, "staff.import_count", "max", MaxStaffImport)
	}
	var out []ImportedStaff
	err := s.db.Update(ctx, func(tx *db.Tx) error {
		var faults []*apperr.Error
		code := apperr.Invalid
		// field names the fault's place when the error does not ("grants[1].role").
		fault := func(i int, field string, err error) {
			ae := apperr.As(err)
			if ae.Code == apperr.Internal || ae.Code == apperr.Unavailable {
				return
			}
			if ae.Code == apperr.Forbidden {
				code = apperr.Forbidden
			}
			if f, ok := ae.Args["field"].(string); ok && strings.HasPrefix(f, "grants") {
				field = f
			}
			if len(faults) < 100 {
				faults = append(faults, apperr.E(apperr.Invalid, "staff.import_fault", "where", loc(i, field), "reason", ae))
			}
		}
		seen := map[string]int{}
		type checked struct {
			name, phone string
			grants      []Grant
		}
		ok := make([]checked, len(ex.Staff))
		for i, r := range ex.Staff {
			if !usernameRE.MatchString(r.Username) {
				fault(i, "username", apperr.E(apperr.Invalid, "auth.username_format"))
			} else if j, dup := seen[r.Username]; dup {
				fault(i, "username", apperr.E(apperr.Invalid, "staff.import_duplicate", "username", r.Username, "other", loc(j, "username")))
			} else {
				seen[r.Username] = i
				var n int
				if err := tx.QueryRow(`SELECT count(*) FROM users WHERE username = $1`, r.Username).Scan(&n); err != nil {
					return err
				}
				if n > 0 {
					fault(i, "username", apperr.E(apperr.Conflict, "auth.username_taken", "username", r.Username))
				}
			}
			var err error
			if ok[i].name, err = checkName(r.Name); err != nil {
				fault(i, "name", err)
			}
			if ok[i].phone, err = checkPhone(r.Phone); err != nil {
				fault(i, "phone", err)
			}
			gs := make([]Grant, 0, len(r.Grants))
			resolved := true
			for j, g := range r.Grants {
				id, err := grantDepartment(tx, g, fmt.Sprintf("grants[%d]", j))
				if err != nil {
					if apperr.CodeOf(err) == apperr.Internal {
						return err
					}
					fault(i, "", err)
					resolved = false
				}
				gs = append(gs, Grant{Role: Role(g.Role), DepartmentID: id, RegionCode: g.RegionCode})
			}
			if !resolved {
				continue
			}
			if ok[i].grants, err = checkGrants(tx, by, root, gs); err != nil {
				if ae := apperr.As(err); ae.Code == apperr.Internal {
					return err
				}
				fault(i, "grants", err)
			}
		}
		if len(faults) > 0 {
			return apperr.E(code, "staff.import_rejected", "count", len(faults), "first", faults[0]).WithDetails(faults)
		}
		for i, r := range ex.Staff {
			otp := OneTimePassword()
			id, err := s.insertUser(tx, Account{Username: r.Username, Password: otp}, KindStaff, ok[i].name)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(`UPDATE users SET password_must_change = $1, phone = $2, disabled = $3 WHERE id = $4`, true, ok[i].phone, r.Disabled, id); err != nil {
				return err
			}
			for _, g := range ok[i].grants {
				if err := insertGrant(tx, id, g); err != nil {
					return err
				}
			}
			if err := staffAudit(tx, by, "staff.create", id, map[string]any{"grants": grantsJSON(ok[i].grants), "import": true}); err != nil {
				return err
			}
			out = append(out, ImportedStaff{ID: id, Username: r.Username, OneTimePassword: otp})
		}
		return nil
	})
	if err != nil {
		return nil, apperr.Internalf("identity: import staff", err)
	}
	return out, nil
}

// grantDepartment is the id of g's department: its id, or the department
// holding its credit code; both given must name the same one.
func grantDepartment(tx *db.Tx, g GrantRecord, field string) (string, error) {
	code := strings.TrimSpace(g.DepartmentCreditCode)
	if code == "" {
		return g.DepartmentID, nil
	}
	var id string
	err := tx.QueryRow(`SELECT id FROM departments WHERE credit_code = $1`, code).Scan(&id)
	if err != nil {
		if e := db.NotFound(err, ""); apperr.CodeOf(e) == apperr.NotFound {
			return "", apperr.E(apperr.Invalid, "staff.grant_department_code", "field", field+".department_credit_code", "code", code)
		}
		return "", err
	}
	if other := strings.TrimSpace(g.DepartmentID); other != "" && other != id {
		// An id of another installation (a document exported there) is
		// not this one's: the credit code names the department. An id of
		// a department here that is not the code's is a contradiction.
		var n int
		if err := tx.QueryRow(`SELECT count(*) FROM departments WHERE id = $1`, other).Scan(&n); err != nil {
			return "", err
		}
		if n > 0 {
			return "", apperr.E(apperr.Invalid, "staff.grant_department_mismatch", "field", field+".department_id", "code", code)
		}
	}
	return id, nil
}
