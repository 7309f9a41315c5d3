package identity

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
)

// Staff administration (issue 15): administrators create staff accounts,
// edit them and give them role grants. The rules, each refused with its
// own message and nothing written:
//
//   - An administrator acts in the regions of their own admin grants (the
//     one scoping rule, Scope): every grant they give or take away must be
//     covered by their admin scope, at the grant's department and region
//     (a grant naming only a department is in that department's region).
//   - The ladder: an installation administrator (User.Installation(RoleAdmin,
//     root)) grants every role; any other administrator grants clerk,
//     handler, reviewer, approver and agent only. Administrators and
//     supervisors (who watch the administrators' work, 电子监察) are made by
//     an installation administrator alone.
//   - An administrator manages an account (edits it, disables it, resets
//     its password or second factor, changes its grants) only when they
//     could have given every grant it holds: a town's administrator does
//     not disable the district's handler who also works in the town.
//   - Nobody administers their own account here (their own password is
//     ChangePassword), and the last enabled installation administrator is
//     never disabled or loses that grant.

// GrantableRoles are the roles by may grant: every staff role and agent for
// an installation administrator, the working roles for any other
// administrator, none for anyone else.
func GrantableRoles(by *User, root string) []Role {
	switch {
	case by.Installation(RoleAdmin, root):
		return []Role{RoleClerk, RoleHandler, RoleReviewer, RoleApprover, RoleAgent, RoleSupervisor, RoleAdmin}
	case by.Has(RoleAdmin):
		return []Role{RoleClerk, RoleHandler, RoleReviewer, RoleApprover, RoleAgent}
	}
	return nil
}

// StaffInput is a staff account as an administrator creates it.
type StaffInput struct {
	Username string
	Name     string
	Phone    string
	Grants   []Grant
	// DemoAccount is for the demo's seed alone (internal/demo; the API and
	// the staff exchange never set it): the account gets the demo's
	// published password (DemoPassword) instead of a one-time one, marked
	// as a default password (`serve` refuses to start while one is left)
	// and not to be changed at the first login, so that the demo's
	// accounts log in as the demo's page says.
	DemoAccount bool
}

// StaffPatch changes some of an account's fields: nil leaves one as it is.
// DepartmentID moves the account: every grant naming a department names
// this one instead (checked as a new grant).
type StaffPatch struct {
	Name         *string
	Phone        *string
	Disabled     *bool
	DepartmentID *string
}

// StaffAccount is an account as its administrators see it.
type StaffAccount struct {
	*User
	Phone string
}

// StaffFilter narrows the staff list. Disabled is "", "true" or "false".
type StaffFilter struct {
	Role, DepartmentID, Region, Disabled, Query string
	Page, PerPage                               int
}

// StaffPage is one page of the staff list.
type StaffPage struct {
	Staff   []*User
	Total   int
	Page    int
	PerPage int
}

var phoneRE = regexp.MustCompile(`^\+?[0-9][0-9 -]{2,19}$`)

// maxNameRunes bounds a display name (a person's name, maybe with a post).
const maxNameRunes = 64

func checkName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", apperr.E(apperr.Invalid, "error.field_required", "field", "name")
	}
	if utf8.RuneCountInString(name) > maxNameRunes {
		return "", apperr.E(apperr.Invalid, "staff.name_long", "max", maxNameRunes)
	}
	return name, nil
}

func checkPhone(phone string) (string, error) {
	phone = strings.TrimSpace(phone)
	if phone != "" && !phoneRE.MatchString(phone) {
		return "", apperr.E(apperr.Invalid, "staff.phone_format")
	}
	return phone, nil
}

// OneTimePassword is a random password an administrator hands over once:
// 16 characters of an alphabet without look-alikes (80 bits), in groups of
// four for reading aloud.
func OneTimePassword() string {
	const alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
	b := make([]byte, 16)
	rand.Read(b)
	var sb strings.Builder
	for i, c := range b {
		if i > 0 && i%4 == 0 {
			sb.WriteByte('-')
		}
		sb.WriteByte(alphabet[int(c)%len(alphabet)])
	}
	return sb.String()
}

// checkGrant checks that by may give g (field names the grant, grants[i])
// and returns it completed with its department's region.
func checkGrant(tx *db.Tx, by *User, root string, g Grant, field string) (Grant, string, error) {
	g.DepartmentID, g.RegionCode = strings.TrimSpace(g.DepartmentID), strings.TrimSpace(g.RegionCode)
	if !g.Role.Valid() || g.Role == RoleApplicant {
		return g, "", apperr.E(apperr.Invalid, "staff.grant_role", "field", field+".role", "role", g.Role)
	}
	if g.DepartmentID == "" && g.RegionCode == "" {
		return g, "", apperr.E(apperr.Invalid, "staff.grant_scope", "field", field)
	}
	if (g.Role == RoleClerk || g.Role == RoleSupervisor || g.Role == RoleAgent) && g.RegionCode == "" {
		// Regional posts (Scope): a grant without a region would cover nothing.
		return g, "", apperr.E(apperr.Invalid, "staff.grant_region_required", "field", field+".region_code", "role", g.Role)
	}
	if g.RegionCode != "" {
		if _, err := codes.ParseDivision(g.RegionCode); err != nil {
			return g, "", apperr.E(apperr.Invalid, "staff.grant_region_unknown", "field", field+".region_code", "code", g.RegionCode)
		}
		err := tx.QueryRow(`SELECT name FROM regions WHERE code = $1`, g.RegionCode).Scan(&g.RegionName)
		if err != nil {
			if e := db.NotFound(err, ""); apperr.CodeOf(e) == apperr.NotFound {
				return g, "", apperr.E(apperr.Invalid, "staff.grant_region_unknown", "field", field+".region_code", "code", g.RegionCode)
			}
			return g, "", err
		}
	}
	effective := g.RegionCode
	if g.DepartmentID != "" {
		var deptRegion string
		err := tx.QueryRow(`SELECT name, region_code FROM departments WHERE id = $1`, g.DepartmentID).Scan(&g.DepartmentName, &deptRegion)
		if err != nil {
			if e := db.NotFound(err, ""); apperr.CodeOf(e) == apperr.NotFound {
				return g, "", apperr.E(apperr.Invalid, "staff.grant_department_unknown", "field", field+".department_id")
			}
			return g, "", err
		}
		if g.RegionCode != "" && !codes.DivisionCovers(deptRegion, g.RegionCode) {
			return g, "", apperr.E(apperr.Invalid, "staff.grant_department_region", "field", field+".region_code", "code", g.RegionCode)
		}
		if effective == "" {
			effective = deptRegion
		}
	}
	if !slices.Contains(GrantableRoles(by, root), g.Role) {
		return g, "", apperr.E(apperr.Forbidden, "staff.grant_above", "field", field+".role", "role", g.Role)
	}
	if !by.ScopeOf(RoleAdmin).Covers(g.DepartmentID, effective) {
		return g, "", apperr.E(apperr.Forbidden, "staff.grant_outside", "field", field)
	}
	return g, effective, nil
}

// checkGrants checks a whole list of grants; repeats are refused.
func checkGrants(tx *db.Tx, by *User, root string, gs []Grant) ([]Grant, error) {
	if len(gs) == 0 {
		return nil, apperr.E(apperr.Invalid, "staff.grants_required")
	}
	if len(gs) > 50 {
		return nil, apperr.E(apperr.Invalid, "staff.grants_many", "max", 50)
	}
	out := make([]Grant, 0, len(gs))
	for i, g := range gs {
		g, _, err := checkGrant(tx, by, root, g, fmt.Sprintf("grants[%d]", i))
		if err != nil {
			return nil, err
		}
		if slices.ContainsFunc(out, func(o Grant) bool {
			return o.Role == g.Role && o.DepartmentID == g.DepartmentID && o.RegionCode == g.RegionCode
		}) {
			return nil, apperr.E(apperr.Invalid, "staff.grant_repeated", "field", fmt.Sprintf("grants[%d]", i))
		}
		out = append(out, g)
	}
	return out, nil
}

func insertGrant(tx *db.Tx, userID string, g Grant) error {
	var dept, region any
	if g.DepartmentID != "" {
		dept = g.DepartmentID
	}
	if g.RegionCode != "" {
		region = g.RegionCode
	}
	_, err := tx.Exec(`INSERT INTO role_grants (id, user_id, role, department_id, region_code, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		db.NewID(), userID, string(g.Role), dept, region, tx.Now)
	return err
}

// grantsJSON is the audit payload's view of grants: role and scope, no names.
func grantsJSON(gs []Grant) []map[string]string {
	out := make([]map[string]string, 0, len(gs))
	for _, g := range gs {
		out = append(out, map[string]string{"role": string(g.Role), "department_id": g.DepartmentID, "region_code": g.RegionCode})
	}
	return out
}

func staffAudit(tx *db.Tx, by *User, action, userID string, payload any) error {
	b, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	return audit.Append(tx, &audit.Record{Actor: by.ID, Role: string(RoleAdmin), Action: action, ObjectType: "user", ObjectID: userID}, b)
}

// CreateStaffAccount creates a staff account with its grants for by, with a
// one-time password that it returns (shown once; the account must change it
// at its first login; the demo password for in.DemoAccount). Audited as
// staff.create, naming by.
func (s *Service) CreateStaffAccount(ctx context.Context, by *User, root string, in StaffInput) (*User, string, error) {
	otp := OneTimePassword()
	if in.DemoAccount {
		otp = DemoPassword
	}
	u, err := s.createStaff(ctx, by, root, in, otp, nil)
	if err != nil {
		return nil, "", err
	}
	return u, otp, nil
}

// createStaff checks in and creates the account with password (to change
// at the first login), then calls then in the same transaction.
func (s *Service) createStaff(ctx context.Context, by *User, root string, in StaffInput, password string, then func(tx *db.Tx, id string) error) (*User, error) {
	if !by.Has(RoleAdmin) {
		return nil, apperr.E(apperr.Forbidden, "error.forbidden")
	}
	in.Username = strings.TrimSpace(in.Username)
	if !usernameRE.MatchString(in.Username) {
		return nil, apperr.E(apperr.Invalid, "auth.username_format")
	}
	name, err := checkName(in.Name)
	if err != nil {
		return nil, err
	}
	phone, err := checkPhone(in.Phone)
	if err != nil {
		return nil, err
	}
	var id string
	err = s.db.Update(ctx, func(tx *db.Tx) error {
		grants, err := checkGrants(tx, by, root, in.Grants)
		if err != nil {
			return err
		}
		if id, err = s.insertUser(tx, Account{Username: in.Username, Password: password, Demo: in.DemoAccount}, KindStaff, name); err != nil {
			return err
		}
		if _, err := tx.Exec(`UPDATE users SET password_must_change = $1, phone = $2 WHERE id = $3`, !in.DemoAccount, phone, id); err != nil {
			return err
		}
		for _, g := range grants {
			if err := insertGrant(tx, id, g); err != nil {
				return err
			}
		}
		payload := map[string]any{"grants": grantsJSON(grants)}
		if then != nil {
			payload["invitation"] = true
		}
		if err := staffAudit(tx, by, "staff.create", id, payload); err != nil {
			return err
		}
		if then != nil {
			return then(tx, id)
		}
		return nil
	})
	if err != nil {
		return nil, apperr.Internalf("identity: create staff account", err)
	}
	return s.UserByID(ctx, id)
}

// manage loads the staff account id for by to change: NotFound when by
// cannot see it (no grant of it in by's admin scope, or not a staff
// account), Forbidden when it holds a grant by could not give, or is by's own.
func manage(tx *db.Tx, by *User, root, id string) (*User, error) {
	u, err := visible(tx, by, id)
	if err != nil {
		return nil, err
	}
	for i, g := range u.Grants {
		if _, _, err := checkGrant(tx, by, root, g, fmt.Sprintf("grants[%d]", i)); err != nil {
			if apperr.CodeOf(err) == apperr.Forbidden {
				return nil, apperr.E(apperr.Forbidden, "staff.account_above")
			}
			return nil, err
		}
	}
	return u, nil
}

// visible loads the staff account id when by's admin scope covers one of
// its grants (the one scoping rule); NotFound otherwise.
func visible(tx *db.Tx, by *User, id string) (*User, error) {
	u, err := userBy(tx, "id", id)
	if apperr.CodeOf(err) == apperr.NotFound || (err == nil && u.Kind != KindStaff) {
		return nil, apperr.E(apperr.NotFound, "staff.unknown")
	}
	if err != nil {
		return nil, err
	}
	sc := by.ScopeOf(RoleAdmin)
	for _, g := range u.Grants {
		region := g.RegionCode
		if region == "" && g.DepartmentID != "" {
			if err := tx.QueryRow(`SELECT region_code FROM departments WHERE id = $1`, g.DepartmentID).Scan(&region); err != nil {
				return nil, err
			}
		}
		if sc.Covers(g.DepartmentID, region) {
			return u, nil
		}
	}
	// An account without grants (the platform's own "system" account) is
	// nobody's to administer: every account made here has a grant.
	return nil, apperr.E(apperr.NotFound, "staff.unknown")
}

// notSelf refuses a change of by's own account.
func notSelf(by *User, id string) error {
	if by.ID == id {
		return apperr.E(apperr.Forbidden, "staff.self")
	}
	return nil
}

// keepInstallationAdmin refuses (rolling the transaction back) when no
// enabled account is left holding the admin role for the whole installation.
func keepInstallationAdmin(tx *db.Tx, root string) error {
	rows, err := tx.Query(`SELECT g.region_code FROM role_grants g JOIN users u ON u.id = g.user_id
		WHERE g.role = 'admin' AND g.department_id IS NULL AND g.region_code IS NOT NULL AND u.disabled = $1`, false)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var region string
		if err := rows.Scan(&region); err != nil {
			return err
		}
		if codes.DivisionCovers(region, root) {
			return nil
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return apperr.E(apperr.Conflict, "staff.last_admin")
}

// StaffAccountFor returns the staff account id as by sees it.
func (s *Service) StaffAccountFor(ctx context.Context, by *User, root, id string) (*StaffAccount, error) {
	var a *StaffAccount
	err := s.db.View(ctx, func(tx *db.Tx) error {
		u, err := visible(tx, by, id)
		if err != nil {
			return err
		}
		a = &StaffAccount{User: u}
		return tx.QueryRow(`SELECT phone FROM users WHERE id = $1`, id).Scan(&a.Phone)
	})
	if err != nil {
		return nil, apperr.Internalf("identity: staff account", err)
	}
	return a, nil
}

// UpdateStaffAccount applies p to the account id. Disabling ends its
// sessions. Audited as staff.update with the fields changed.
func (s *Service) UpdateStaffAccount(ctx context.Context, by *User, root, id string, p StaffPatch) error {
	var name, phone string
	var err error
	if p.Name != nil {
		if name, err = checkName(*p.Name); err != nil {
			return err
		}
	}
	if p.Phone != nil {
		if phone, err = checkPhone(*p.Phone); err != nil {
			return err
		}
	}
	return apperr.Internalf("identity: update staff account", s.db.Update(ctx, func(tx *db.Tx) error {
		u, err := manage(tx, by, root, id)
		if err != nil {
			return err
		}
		changed := map[string]any{}
		if p.Name != nil {
			if _, err := tx.Exec(`UPDATE users SET display_name = $1, updated_at = $2 WHERE id = $3`, name, tx.Now, id); err != nil {
				return err
			}
			changed["name"] = true
		}
		if p.Phone != nil {
			if _, err := tx.Exec(`UPDATE users SET phone = $1, updated_at = $2 WHERE id = $3`, phone, tx.Now, id); err != nil {
				return err
			}
			changed["phone"] = true
		}
		if p.DepartmentID != nil {
			moved := slices.Clone(u.Grants)
			n := 0
			for i := range moved {
				if moved[i].DepartmentID != "" {
					moved[i].DepartmentID = strings.TrimSpace(*p.DepartmentID)
					n++
				}
			}
			if n == 0 {
				return apperr.E(apperr.Invalid, "staff.move_no_department")
			}
			if err := s.replaceGrants(tx, by, root, u, moved); err != nil {
				if ae, ok := err.(*apperr.Error); ok && ae.Args["field"] != nil {
					ae.Args["field"] = "department_id"
				}
				return err
			}
			changed["department_id"] = *p.DepartmentID
		}
		if p.Disabled != nil && *p.Disabled != u.Disabled {
			if _, err := tx.Exec(`UPDATE users SET disabled = $1, updated_at = $2 WHERE id = $3`, *p.Disabled, tx.Now, id); err != nil {
				return err
			}
			if *p.Disabled {
				if err := keepInstallationAdmin(tx, root); err != nil {
					return err
				}
				if _, err := tx.Exec(`DELETE FROM sessions WHERE user_id = $1`, id); err != nil {
					return err
				}
			}
			changed["disabled"] = *p.Disabled
		}
		if err := notSelf(by, id); err != nil {
			return err
		}
		if len(changed) == 0 {
			return nil
		}
		return staffAudit(tx, by, "staff.update", id, changed)
	}))
}

// replaceGrants sets u's grants to gs (each checked), keeping an
// installation administrator.
func (s *Service) replaceGrants(tx *db.Tx, by *User, root string, u *User, gs []Grant) error {
	grants, err := checkGrants(tx, by, root, gs)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(`DELETE FROM role_grants WHERE user_id = $1`, u.ID); err != nil {
		return err
	}
	for _, g := range grants {
		if err := insertGrant(tx, u.ID, g); err != nil {
			return err
		}
	}
	if err := keepInstallationAdmin(tx, root); err != nil {
		return err
	}
	return staffAudit(tx, by, "staff.grants", u.ID, map[string]any{"before": grantsJSON(u.Grants), "after": grantsJSON(grants)})
}

// SetStaffGrants replaces the grants of account id with gs. Audited as
// staff.grants with the grants before and after.
func (s *Service) SetStaffGrants(ctx context.Context, by *User, root, id string, gs []Grant) error {
	return apperr.Internalf("identity: set staff grants", s.db.Update(ctx, func(tx *db.Tx) error {
		u, err := manage(tx, by, root, id)
		if err != nil {
			return err
		}
		if err := s.replaceGrants(tx, by, root, u, gs); err != nil {
			return err
		}
		return notSelf(by, id)
	}))
}

// ResetStaffPassword gives account id a new one-time password, returned
// once; its sessions end and it must change the password at its next login.
func (s *Service) ResetStaffPassword(ctx context.Context, by *User, root, id string) (string, error) {
	otp := OneTimePassword()
	err := s.db.Update(ctx, func(tx *db.Tx) error {
		if _, err := manage(tx, by, root, id); err != nil {
			return err
		}
		if err := notSelf(by, id); err != nil {
			return err
		}
		if _, err := tx.Exec(`UPDATE users SET password_hash = $1, password_default = $2, password_must_change = $3, updated_at = $4 WHERE id = $5`,
			HashPassword(otp), false, true, tx.Now, id); err != nil {
			return err
		}
		if err := s.dropDemoSecondFactor(tx, id); err != nil {
			return err
		}
		if _, err := tx.Exec(`DELETE FROM sessions WHERE user_id = $1`, id); err != nil {
			return err
		}
		// A one-time password replaces an invitation link still open.
		if _, err := revokeInvitations(tx, by, id, "password_reset"); err != nil {
			return err
		}
		return staffAudit(tx, by, "staff.password_reset", id, nil)
	})
	if err != nil {
		return "", apperr.Internalf("identity: reset staff password", err)
	}
	return otp, nil
}

// ResetStaffSecondFactor removes account id's second factor and recovery
// codes (a lost phone): it enrols again at its next login; its sessions end.
func (s *Service) ResetStaffSecondFactor(ctx context.Context, by *User, root, id string) error {
	return apperr.Internalf("identity: reset staff second factor", s.db.Update(ctx, func(tx *db.Tx) error {
		if _, err := manage(tx, by, root, id); err != nil {
			return err
		}
		if err := notSelf(by, id); err != nil {
			return err
		}
		if err := clearSecondFactor(tx, id); err != nil {
			return err
		}
		if _, err := tx.Exec(`DELETE FROM sessions WHERE user_id = $1`, id); err != nil {
			return err
		}
		return staffAudit(tx, by, "staff.second_factor_reset", id, nil)
	}))
}

// UnlockStaff clears the login throttling of account id (its own counters,
// from every address; an address's counter over all accounts stays).
func (s *Service) UnlockStaff(ctx context.Context, by *User, root, id string) error {
	return apperr.Internalf("identity: unlock staff", s.db.Update(ctx, func(tx *db.Tx) error {
		u, err := manage(tx, by, root, id)
		if err != nil {
			return err
		}
		pair := "pair:" + u.Username + "|"
		// substr, not LIKE: a user name may hold "_", a LIKE wildcard.
		if _, err := tx.Exec(`DELETE FROM login_throttle WHERE key = $1 OR substr(key, 1, $2) = $3`,
			"user:"+u.Username, utf8.RuneCountInString(pair), pair); err != nil {
			return err
		}
		return staffAudit(tx, by, "staff.unlock", id, nil)
	}))
}

// ListStaff is one page of the staff accounts by may see (StaffVisibleTo),
// filtered: a role held, a department, a region enclosing the grant's
// region, disabled or not, and a search in the user name and name.
func (s *Service) ListStaff(ctx context.Context, by *User, f StaffFilter) (*StaffPage, error) {
	if f.Disabled != "" && f.Disabled != "true" && f.Disabled != "false" {
		return nil, apperr.E(apperr.Invalid, "staff.filter_disabled")
	}
	if f.Role != "" && !Role(f.Role).Valid() {
		return nil, apperr.E(apperr.Invalid, "staff.grant_role", "field", "role", "role", f.Role)
	}
	if f.Region != "" {
		if _, err := codes.ParseDivision(f.Region); err != nil {
			return nil, apperr.E(apperr.Invalid, "staff.grant_region_unknown", "field", "region", "code", f.Region)
		}
	}
	// Bounds (docs/ARCHITECTURE.md "Bounds"): page ≤ 10000, search ≤ 64 characters.
	if f.Page > 10000 {
		return nil, apperr.E(apperr.Invalid, "staff.page_invalid", "field", "page")
	}
	if utf8.RuneCountInString(f.Query) > 64 {
		return nil, apperr.E(apperr.Invalid, "staff.query_long", "max", 64)
	}
	if f.PerPage <= 0 {
		f.PerPage = 50
	}
	if f.PerPage > 200 {
		f.PerPage = 200
	}
	if f.Page <= 0 {
		f.Page = 1
	}
	all, err := s.StaffVisibleTo(ctx, by)
	if err != nil {
		return nil, err
	}
	q := strings.ToLower(strings.TrimSpace(f.Query))
	p := &StaffPage{Page: f.Page, PerPage: f.PerPage, Staff: []*User{}}
	for _, u := range all {
		if f.Disabled != "" && u.Disabled != (f.Disabled == "true") {
			continue
		}
		if q != "" && !strings.Contains(strings.ToLower(u.Username), q) && !strings.Contains(strings.ToLower(u.DisplayName), q) {
			continue
		}
		if !slices.ContainsFunc(u.Grants, func(g Grant) bool {
			return (f.Role == "" || string(g.Role) == f.Role) &&
				(f.DepartmentID == "" || g.DepartmentID == f.DepartmentID) &&
				(f.Region == "" || (g.RegionCode != "" && codes.DivisionCovers(f.Region, g.RegionCode)))
		}) {
			continue
		}
		p.Total++
		if p.Total > (f.Page-1)*f.PerPage && len(p.Staff) < f.PerPage {
			p.Staff = append(p.Staff, u)
		}
	}
	return p, nil
}

// ChangePassword changes u's own password after checking the current one;
// it lifts the must-change flag, and ends u's other sessions (keep is the
// token of the session asking). The new password must differ.
func (s *Service) ChangePassword(ctx context.Context, u *User, keep, current, next string) error {
	if current == "" {
		return apperr.E(apperr.Invalid, "error.field_required", "field", "current_password")
	}
	if err := CheckPasswordPolicy(next, false); err != nil {
		return err
	}
	if next == current {
		return apperr.E(apperr.Invalid, "auth.password_same")
	}
	if err := s.reauthCount(ctx, u.ID); err != nil {
		return apperr.Internalf("identity: change password", err)
	}
	return apperr.Internalf("identity: change password", s.db.Update(ctx, func(tx *db.Tx) error {
		var hash string
		if err := tx.QueryRow(`SELECT password_hash FROM users WHERE id = $1`, u.ID).Scan(&hash); err != nil {
			return err
		}
		if !VerifyPassword(hash, current) {
			return apperr.E(apperr.Invalid, "auth.password_current_wrong")
		}
		if err := reauthClear(tx, u.ID); err != nil {
			return err
		}
		if _, err := tx.Exec(`UPDATE users SET password_hash = $1, password_default = $2, password_must_change = $2, updated_at = $3 WHERE id = $4`,
			HashPassword(next), false, tx.Now, u.ID); err != nil {
			return err
		}
		if err := s.dropDemoSecondFactor(tx, u.ID); err != nil {
			return err
		}
		if _, err := tx.Exec(`DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2`, u.ID, hashToken(keep)); err != nil {
			return err
		}
		return audit.Append(tx, &audit.Record{Actor: u.ID, Action: "account.password", ObjectType: "user", ObjectID: u.ID}, nil)
	}))
}
