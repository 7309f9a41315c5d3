// Package identity is unified identity (统一身份认证, R6): natural persons,
// organisations and staff, their roles and the department and region each
// staff role is scoped to, passwords, sessions and login throttling.
package identity

import (
	"slices"

	"github.com/tongban/tongban/internal/codes"
)

// Role is what a user may do. Staff roles are held in a scope.
type Role string

const (
	RoleApplicant  Role = "applicant"  // 申请人: natural or legal person
	RoleAgent      Role = "agent"      // 代办员: applies on an applicant's behalf
	RoleClerk      Role = "clerk"      // 综合窗口人员
	RoleHandler    Role = "handler"    // 承办人
	RoleReviewer   Role = "reviewer"   // 审核人
	RoleApprover   Role = "approver"   // 批准人
	RoleSupervisor Role = "supervisor" // 监察人员
	RoleAdmin      Role = "admin"      // 事项/系统管理员
)

// Roles lists every role.
var Roles = []Role{RoleApplicant, RoleAgent, RoleClerk, RoleHandler, RoleReviewer, RoleApprover, RoleSupervisor, RoleAdmin}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// Staff reports whether r is held by government staff in a scope.
func (r Role) Staff() bool { return r != RoleApplicant && r != RoleAgent }

// Kind is the kind of account.
type Kind string

const (
	KindPerson       Kind = "person"       // 自然人
	KindOrganisation Kind = "organisation" // 法人
	KindStaff        Kind = "staff"        // 工作人员
)

// Grant is one role held in a scope: a department, a region, or both.
type Grant struct {
	Role           Role
	DepartmentID   string
	DepartmentName string
	RegionCode     string
	RegionName     string
}

// User is an account with its grants.
type User struct {
	ID          string
	Username    string
	Kind        Kind
	DisplayName string
	Locale      string
	Disabled    bool
	Grants      []Grant
	// SecondFactor: a TOTP secret is enrolled (secondfactor.go).
	SecondFactor bool
	// MustChangePassword: an administrator set the password (a one-time
	// password, staffadmin.go); the account changes it before anything else.
	MustChangePassword bool
	// Assurance is a person's level of assurance (身份认证等级): AssuranceL1
	// self-registered, AssuranceL2 verified face to face at a window.
	Assurance int
	// Enterprises are the enterprises a person holds as legal
	// representative or acts for as a current 经办人 (enterprise.go).
	Enterprises []EnterpriseRole
}

// Levels of assurance of natural persons' accounts.
const (
	AssuranceL1 = 1 // self-registered: number and name checked for form, mobile proven by SMS
	AssuranceL2 = 2 // a clerk saw the ID card at a window
)

// Has reports whether u holds role in any scope. Persons and organisations
// are applicants for themselves.
func (u *User) Has(role Role) bool {
	if u == nil {
		return false
	}
	if role == RoleApplicant && u.Kind != KindStaff {
		return true
	}
	for _, g := range u.Grants {
		if g.Role == role {
			return true
		}
	}
	return false
}

// HasAny reports whether u holds any of roles.
func (u *User) HasAny(roles ...Role) bool {
	for _, r := range roles {
		if u.Has(r) {
			return true
		}
	}
	return false
}

// Roles lists the distinct roles u holds.
func (u *User) Roles() []Role {
	var rs []Role
	for _, r := range Roles {
		if u.Has(r) {
			rs = append(rs, r)
		}
	}
	return rs
}

// CanActIn reports whether u holds role for the given department in the given
// region: a grant matches when its department (if any) is the department and
// its region (if any) encloses the region. Later domains call it to scope
// every read and write.
func (u *User) CanActIn(role Role, departmentID, regionCode string) bool {
	if u == nil {
		return false
	}
	for _, g := range u.Grants {
		if g.Role != role {
			continue
		}
		if g.DepartmentID != "" && g.DepartmentID != departmentID {
			continue
		}
		if g.RegionCode != "" && !codes.DivisionCovers(g.RegionCode, regionCode) {
			continue
		}
		return true
	}
	return false
}
