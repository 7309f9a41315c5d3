package site

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
)

// Setup is what `tongban setup` asks: the installation's identity and its
// first administrator.
type Setup struct {
	Info
	AdminUsername string
	AdminName     string
	AdminPassword string
	// TOTPSecret is the administrator's second factor; "" makes a new one
	// (tests give a known one to log in with).
	TOTPSecret string
	// Demo is for the demo's seed alone (internal/demo; `tongban setup`
	// never sets it): the administrator's password may be the demo's
	// published one (identity.DemoPassword), and the account is marked as
	// holding a default password, which `serve` refuses to start with.
	Demo bool
}

// Result is what a first setup made: the administrator, the second factor
// to add to an authenticator app, and the recovery codes, shown this once.
type Result struct {
	Admin         *identity.User
	Enrolment     *identity.Enrolment
	RecoveryCodes []string
	Regions       int
}

// State says whether the database is set up: its stored identity (Region
// "" when never) and how many enabled administrators it has.
func State(ctx context.Context, d *db.DB, ids *identity.Service) (*Info, int, error) {
	info, err := Load(ctx, d)
	if err != nil {
		return nil, 0, err
	}
	n, err := ids.AdminCount(ctx)
	return info, n, err
}

// CheckAgain compares a setup asked on a database already set up with what
// is stored: nil when every value given is the stored one (the second run
// changes nothing), Conflict (setup.differs) naming the first field that
// differs, or (setup.admin_exists) on a database with administrators that
// `tongban setup` never set up (the demo's).
func CheckAgain(stored *Info, s *Setup) error {
	if stored.Region == "" {
		return apperr.E(apperr.Conflict, "setup.admin_exists")
	}
	for _, f := range fields {
		if v := *f.get(&s.Info); v != "" && v != *f.get(stored) {
			return apperr.E(apperr.Conflict, "setup.differs", "field", f.Name, "stored", *f.get(stored), "given", v)
		}
	}
	return nil
}

// Validate checks everything a first setup needs before anything is
// written; Invalid naming the field otherwise.
func (s *Setup) Validate() error {
	if err := s.Info.Check(); err != nil {
		return err
	}
	if _, err := catalog.CheckRoot(s.Region); err != nil {
		return err
	}
	if s.AdminUsername == "" {
		return apperr.E(apperr.Invalid, "setup.field_required", "field", "admin-username")
	}
	if err := identity.CheckUsername(s.AdminUsername); err != nil {
		return apperr.E(apperr.Invalid, "setup.field_invalid", "field", "admin-username", "reason", err)
	}
	if err := identity.CheckPasswordPolicy(s.AdminPassword, s.Demo); err != nil {
		return apperr.E(apperr.Invalid, "setup.field_invalid", "field", "password", "reason", err)
	}
	if s.AdminName = strings.TrimSpace(s.AdminName); s.AdminName == "" {
		return apperr.E(apperr.Invalid, "setup.field_required", "field", "admin-name")
	}
	return nil
}

// Run sets up an empty installation in one transaction: the region tree
// below the root (catalog.LoadRegionTree), the site's identity, and the
// first administrator — an installation administrator (SECURITY.md: the
// administrator role with no department, granted at the root region, so
// identity.User.Installation holds) — created by identity.CreateStaffTx
// with a TOTP second factor enrolled at once (the administrator must log
// in with two factors, 等保 2.0 level 3). Anything refused writes nothing.
// Conflict when the database is set up already or has an administrator;
// the caller asks State and CheckAgain first to say "nothing to do".
func Run(ctx context.Context, d *db.DB, ids *identity.Service, s *Setup) (*Result, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	res := &Result{}
	var adminID string
	err := d.Update(ctx, func(tx *db.Tx) error {
		var stored Info
		if err := load(tx, &stored); err != nil {
			return err
		}
		var admins int
		if err := tx.QueryRow(`SELECT COUNT(*) FROM role_grants WHERE role = $1`, string(identity.RoleAdmin)).Scan(&admins); err != nil {
			return err
		}
		if stored.Region != "" || admins > 0 {
			return apperr.E(apperr.Conflict, "setup.admin_exists")
		}
		n, err := catalog.LoadRegionTree(tx, s.Region)
		if err != nil {
			return err
		}
		res.Regions = n
		if err := save(tx, &s.Info); err != nil {
			return err
		}
		adminID, err = ids.CreateStaffTx(tx, identity.NewStaff{
			Account: identity.Account{Username: s.AdminUsername, Password: s.AdminPassword, Demo: s.Demo},
			Name:    s.AdminName,
			Grants:  []identity.Grant{{Role: identity.RoleAdmin, RegionCode: s.Region}},
		})
		if err != nil {
			return err
		}
		if res.Enrolment, res.RecoveryCodes, err = ids.EnrolSecondFactorTx(tx, adminID, s.AdminUsername, s.TOTPSecret); err != nil {
			return err
		}
		detail, _ := json.Marshal(map[string]any{"region": s.Region, "centre_name": s.CentreName, "admin": s.AdminUsername, "regions": n})
		return audit.Append(tx, &audit.Record{Action: "site.setup", ObjectType: "site", ObjectID: s.Region}, detail)
	})
	if err != nil {
		return nil, apperr.Internalf("site: setup", err)
	}
	if res.Admin, err = ids.UserByID(ctx, adminID); err != nil {
		return nil, err
	}
	return res, nil
}
