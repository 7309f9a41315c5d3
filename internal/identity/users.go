package identity

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
)

// Account holds what every new user needs. Demo marks an account seeded by
// demo mode with the demo password (serve refuses to start while one exists).
type Account struct {
	Username string
	Password string
	Demo     bool
}

// NewPerson registers a natural person (自然人) by citizen ID number.
type NewPerson struct {
	Account
	Name     string
	IDNumber string
	// Region is the person's registered region (户籍或居住地), a division
	// code, when known: a village agent of that area may file for them
	// without a written mandate.
	Region string
	// Assurance is AssuranceL2 for a person seen at a window (the demo's
	// residents, a clerk's registration); otherwise L1.
	Assurance int
}

// NewOrganisation registers a legal person by unified social credit code.
type NewOrganisation struct {
	Account
	Name       string
	CreditCode string
	LegalRep   string
}

// NewStaff creates a staff account with its grants.
type NewStaff struct {
	Account
	Name   string
	Grants []Grant
}

var usernameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{3,32}$`)

func (a Account) check() error {
	if err := CheckUsername(a.Username); err != nil {
		return err
	}
	return CheckPasswordPolicy(a.Password, a.Demo)
}

// CheckUsername rejects a user name of another shape than 3–32 letters,
// digits, underscores or hyphens (auth.username_format).
func CheckUsername(name string) error {
	if !usernameRE.MatchString(name) {
		return apperr.E(apperr.Invalid, "auth.username_format")
	}
	return nil
}

// CreatePerson registers a natural person. Returns Invalid for a malformed
// citizen ID number and Conflict if the user name or number is registered.
func (s *Service) CreatePerson(ctx context.Context, p NewPerson) (*User, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	if strings.TrimSpace(p.Name) == "" {
		return nil, apperr.E(apperr.Invalid, "auth.name_required")
	}
	if p.Region != "" {
		if _, err := codes.ParseDivision(p.Region); err != nil {
			return nil, err
		}
	}
	var id string
	err := s.db.Update(ctx, func(tx *db.Tx) error {
		cid, err := codes.ParseCitizenID(p.IDNumber, tx.Now.In(calendar.China))
		if err != nil {
			return err
		}
		if id, err = s.insertUser(tx, p.Account, KindPerson, p.Name); err != nil {
			return err
		}
		if p.Assurance == AssuranceL2 {
			if _, err := tx.Exec(`UPDATE users SET assurance = 2 WHERE id = $1`, id); err != nil {
				return err
			}
		}
		_, err = tx.Exec(`INSERT INTO persons (user_id, name, id_number_index, id_number_masked, id_number_sealed, region_code) VALUES ($1, $2, $3, $4, $5, $6)`,
			id, p.Name, s.vault.Index(cid.Number, purposeIDNumber), codes.MaskCitizenID(cid.Number), s.vault.Seal(cid.Number, purposeIDNumber), p.Region)
		if db.IsUniqueViolation(err) {
			return apperr.E(apperr.Conflict, "auth.id_number_taken")
		}
		return err
	})
	if err != nil {
		return nil, apperr.Internalf("identity: create person", err)
	}
	return s.UserByID(ctx, id)
}

// CreateOrganisation registers a legal person.
func (s *Service) CreateOrganisation(ctx context.Context, o NewOrganisation) (*User, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	if strings.TrimSpace(o.Name) == "" {
		return nil, apperr.E(apperr.Invalid, "auth.name_required")
	}
	if _, err := codes.ParseCreditCode(o.CreditCode); err != nil {
		return nil, err
	}
	var id string
	err := s.db.Update(ctx, func(tx *db.Tx) error {
		var err error
		if id, err = s.insertUser(tx, o.Account, KindOrganisation, o.Name); err != nil {
			return err
		}
		_, err = tx.Exec(`INSERT INTO organisations (user_id, name, credit_code, legal_rep_name) VALUES ($1, $2, $3, $4)`,
			id, o.Name, o.CreditCode, o.LegalRep)
		if db.IsUniqueViolation(err) {
			return apperr.E(apperr.Conflict, "auth.credit_code_taken")
		}
		return err
	})
	if err != nil {
		return nil, apperr.Internalf("identity: create organisation", err)
	}
	return s.UserByID(ctx, id)
}

// CreateStaff creates a staff account and its grants in one transaction.
func (s *Service) CreateStaff(ctx context.Context, st NewStaff) (*User, error) {
	if err := st.check(); err != nil {
		return nil, err
	}
	if strings.TrimSpace(st.Name) == "" {
		return nil, apperr.E(apperr.Invalid, "auth.name_required")
	}
	var id string
	err := s.db.Update(ctx, func(tx *db.Tx) error {
		var err error
		id, err = s.CreateStaffTx(tx, st)
		return err
	})
	if err != nil {
		return nil, apperr.Internalf("identity: create staff", err)
	}
	return s.UserByID(ctx, id)
}

// CreateStaffTx is CreateStaff inside the caller's transaction, for a
// caller that writes more in the same one (`tongban setup` writes the
// installation's regions, its settings and the first administrator
// together, or nothing). Returns the new user's ID.
func (s *Service) CreateStaffTx(tx *db.Tx, st NewStaff) (string, error) {
	if err := st.check(); err != nil {
		return "", err
	}
	if strings.TrimSpace(st.Name) == "" {
		return "", apperr.E(apperr.Invalid, "auth.name_required")
	}
	id, err := s.insertUser(tx, st.Account, KindStaff, st.Name)
	if err != nil {
		return "", err
	}
	for _, g := range st.Grants {
		if err := s.grant(tx, id, g); err != nil {
			return "", err
		}
	}
	return id, nil
}

// AdminCount counts the enabled accounts that hold the administrator role:
// `serve` refuses an installation without one (nobody could administer it)
// and `tongban setup` does nothing where one exists.
func (s *Service) AdminCount(ctx context.Context) (int, error) {
	var n int
	err := s.db.View(ctx, func(tx *db.Tx) error {
		return tx.QueryRow(`SELECT COUNT(DISTINCT u.id) FROM users u JOIN role_grants g ON g.user_id = u.id
			WHERE g.role = $1 AND u.disabled = $2`, string(RoleAdmin), false).Scan(&n)
	})
	return n, apperr.Internalf("identity: admin count", err)
}

// GrantRole gives an existing user a role in a scope. Staff roles need a
// department or a region; an agent needs a region.
func (s *Service) GrantRole(ctx context.Context, username string, g Grant) error {
	return apperr.Internalf("identity: grant", s.db.Update(ctx, func(tx *db.Tx) error {
		var id string
		err := tx.QueryRow(`SELECT id FROM users WHERE username = $1`, username).Scan(&id)
		if err != nil {
			return db.NotFound(err, "auth.user_unknown", "username", username)
		}
		return s.grant(tx, id, g)
	}))
}

func (s *Service) grant(tx *db.Tx, userID string, g Grant) error {
	if !g.Role.Valid() {
		return apperr.E(apperr.Invalid, "auth.role_unknown", "role", g.Role)
	}
	if g.Role != RoleApplicant && g.DepartmentID == "" && g.RegionCode == "" {
		return apperr.E(apperr.Invalid, "auth.scope_required", "role", g.Role)
	}
	var dept, region sql.NullString
	if g.DepartmentID != "" {
		if err := tx.QueryRow(`SELECT id FROM departments WHERE id = $1`, g.DepartmentID).Scan(&dept); err != nil {
			return db.NotFound(err, "auth.department_unknown")
		}
	}
	if g.RegionCode != "" {
		if err := tx.QueryRow(`SELECT code FROM regions WHERE code = $1`, g.RegionCode).Scan(&region); err != nil {
			return db.NotFound(err, "auth.region_unknown", "code", g.RegionCode)
		}
	}
	if _, err := tx.Exec(`INSERT INTO role_grants (id, user_id, role, department_id, region_code, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		db.NewID(), userID, string(g.Role), dept, region, tx.Now); err != nil {
		return err
	}
	// Who may do what is audited (R4.7).
	return audit.Append(tx, &audit.Record{Action: "account.grant", ObjectType: "user", ObjectID: userID},
		[]byte(fmt.Sprintf(`{"role":%q,"department_id":%q,"region_code":%q}`, g.Role, g.DepartmentID, g.RegionCode)))
}

func (s *Service) insertUser(tx *db.Tx, a Account, kind Kind, name string) (string, error) {
	id := db.NewID()
	_, err := tx.Exec(`INSERT INTO users (id, username, kind, display_name, password_hash, password_default, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`,
		id, a.Username, string(kind), strings.TrimSpace(name), HashPassword(a.Password), a.Demo && a.Password == DemoPassword, tx.Now)
	if db.IsUniqueViolation(err) {
		return "", apperr.E(apperr.Conflict, "auth.username_taken", "username", a.Username)
	}
	if err != nil {
		return "", err
	}
	// The account's creation is audited; its identifiers are not in the log.
	return id, audit.Append(tx, &audit.Record{Action: "account.create", ObjectType: "user", ObjectID: id},
		[]byte(fmt.Sprintf(`{"kind":%q}`, kind)))
}

// SetPassword replaces a user's password and ends all their sessions.
func (s *Service) SetPassword(ctx context.Context, username, password string) error {
	if err := CheckPasswordPolicy(password, false); err != nil {
		return err
	}
	return apperr.Internalf("identity: set password", s.db.Update(ctx, func(tx *db.Tx) error {
		var id string
		if err := tx.QueryRow(`SELECT id FROM users WHERE username = $1`, username).Scan(&id); err != nil {
			return db.NotFound(err, "auth.user_unknown", "username", username)
		}
		if err := audit.Append(tx, &audit.Record{Action: "account.password", ObjectType: "user", ObjectID: id}, nil); err != nil {
			return err
		}
		if _, err := tx.Exec(`UPDATE users SET password_hash = $1, password_default = $2, password_must_change = $2, updated_at = $3 WHERE id = $4`,
			HashPassword(password), false, tx.Now, id); err != nil {
			return err
		}
		if err := s.dropDemoSecondFactor(tx, id); err != nil {
			return err
		}
		_, err := tx.Exec(`DELETE FROM sessions WHERE user_id = $1`, id)
		return err
	}))
}

// DefaultPasswordCount counts accounts that still have the demo password.
func (s *Service) DefaultPasswordCount(ctx context.Context) (int, error) {
	var n int
	err := s.db.View(ctx, func(tx *db.Tx) error {
		return tx.QueryRow(`SELECT count(*) FROM users WHERE password_default = $1`, true).Scan(&n)
	})
	return n, apperr.Internalf("identity: count default passwords", err)
}

// UserByID loads a user and their grants. Returns NotFound if there is none.
func (s *Service) UserByID(ctx context.Context, id string) (*User, error) {
	var u *User
	err := s.db.View(ctx, func(tx *db.Tx) error {
		var err error
		u, err = userBy(tx, "id", id)
		return err
	})
	return u, apperr.Internalf("identity: user by id", err)
}

// UserByUsername loads a user by user name.
func (s *Service) UserByUsername(ctx context.Context, username string) (*User, error) {
	var u *User
	err := s.db.View(ctx, func(tx *db.Tx) error {
		var err error
		u, err = userBy(tx, "username", username)
		return err
	})
	return u, apperr.Internalf("identity: user by name", err)
}

// PersonIDByNumber finds a natural person's user id by citizen ID number,
// through the keyed index: the number itself is never compared in SQL.
func (s *Service) PersonIDByNumber(ctx context.Context, idNumber string) (string, error) {
	var id string
	err := s.db.View(ctx, func(tx *db.Tx) error {
		err := tx.QueryRow(`SELECT user_id FROM persons WHERE id_number_index = $1`,
			s.vault.Index(strings.ToUpper(idNumber), purposeIDNumber)).Scan(&id)
		return db.NotFound(err, "error.not_found")
	})
	return id, apperr.Internalf("identity: person by number", err)
}

// userBy loads a user by "id" or "username" (the column name is never user input).
func userBy(tx *db.Tx, column, value string) (*User, error) {
	u := &User{}
	var kind string
	err := tx.QueryRow(`SELECT `+userColumns+` FROM users u WHERE u.`+column+` = $1`, value).Scan(u.targets(&kind)...)
	if err != nil {
		return nil, db.NotFound(err, "auth.user_unknown", "username", value)
	}
	u.Kind = Kind(kind)
	return u, userRoles(tx, u)
}

// userColumns are the columns of users (as u) that userBy reads, in the
// order of User.targets.
const userColumns = `u.id, u.username, u.kind, u.display_name, u.locale, u.disabled, u.totp_enrolled_at IS NOT NULL, u.password_must_change, u.assurance`

func (u *User) targets(kind *string) []any {
	return []any{&u.ID, &u.Username, kind, &u.DisplayName, &u.Locale, &u.Disabled, &u.SecondFactor, &u.MustChangePassword, &u.Assurance}
}

// grantColumns and grantJoins read a user's role grants (g) with their
// department's and region's names; a user without grants has one row of
// NULLs in a LEFT JOIN.
const (
	grantColumns = `g.role, g.department_id, d.name, g.region_code, r.name`
	grantNames   = `LEFT JOIN departments d ON d.id = g.department_id LEFT JOIN regions r ON r.code = g.region_code`
	grantJoins   = `LEFT JOIN role_grants g ON g.user_id = u.id ` + grantNames
)

type grantRow struct{ role, dept, deptName, region, regionName sql.NullString }

func (g *grantRow) targets() []any {
	return []any{&g.role, &g.dept, &g.deptName, &g.region, &g.regionName}
}

func (g *grantRow) grant() Grant {
	return Grant{Role: Role(g.role.String), DepartmentID: g.dept.String, DepartmentName: g.deptName.String,
		RegionCode: g.region.String, RegionName: g.regionName.String}
}

// userRoles fills u's grants and enterprises.
func userRoles(tx *db.Tx, u *User) error {
	rows, err := tx.Query(`SELECT `+grantColumns+` FROM role_grants g `+grantNames+`
		WHERE g.user_id = $1 ORDER BY g.created_at, g.id`, u.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var g grantRow
		if err := rows.Scan(g.targets()...); err != nil {
			return err
		}
		u.Grants = append(u.Grants, g.grant())
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows.Close()
	// The enterprises a person holds or acts for, as of this transaction:
	// an expired or revoked authorisation is gone from the next request.
	return loadEnterprises(tx, u)
}
