package supervise

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
)

// Settings is the configuration the scanner decides by, as administrators
// and supervisors read it.
type Settings struct {
	Defaults   Thresholds     `json:"defaults"`
	Thresholds []ThresholdRow `json:"thresholds"`
	Rules      []RuleView     `json:"rules"`
}

// RuleView is a rule as data, with its level named.
type RuleView struct {
	Rule
	LevelName string `json:"level"`
	Enabled   bool   `json:"enabled"`
	// KeepEnabled: the request did not say (an API body without
	// "enabled"): a stored rule keeps its state, a new one is enabled.
	// Never a silent switch-off.
	KeepEnabled bool `json:"-"`
}

// Admin reads and changes the thresholds and the escalation rules.
type Admin struct {
	DB *db.DB
	// Home is the installation's root region: settings that apply everywhere
	// (no region) belong to administrators whose grant covers it.
	Home string
}

// Settings lists the configuration (supervisors and administrators).
func (a *Admin) Settings(ctx context.Context, u *identity.User) (*Settings, error) {
	if u == nil {
		return nil, apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	if !identity.CanSupervise(u) && !u.Has(identity.RoleAdmin) {
		return nil, apperr.E(apperr.Forbidden, "error.forbidden")
	}
	out := &Settings{Defaults: DefaultThresholds, Thresholds: []ThresholdRow{}, Rules: []RuleView{}}
	err := a.DB.View(ctx, func(tx *db.Tx) error {
		cfg, err := LoadConfig(tx)
		if err != nil {
			return err
		}
		for _, t := range cfg.Thresholds {
			if a.applies(u, t.Region) {
				out.Thresholds = append(out.Thresholds, t)
			}
		}
		rows, err := tx.Query(`SELECT id, region_code, clock, state, level, action, role, enabled FROM escalation_rules ORDER BY clock, level, id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r RuleView
			if err := rows.Scan(&r.ID, &r.Region, &r.Clock, &r.State, &r.LevelName, &r.Action, &r.Role, &r.Enabled); err != nil {
				return err
			}
			r.Level, _ = ParseLevel(r.LevelName)
			if a.applies(u, r.Region) {
				out.Rules = append(out.Rules, r)
			}
		}
		return rows.Err()
	})
	return out, apperr.Internalf("supervise: settings", err)
}

// settingsRoles are the roles that read the supervision settings.
var settingsRoles = []identity.Role{identity.RoleSupervisor, identity.RoleApprover, identity.RoleAdmin}

// applies: a setting of region concerns u — it applies everywhere, or in a
// region above u's (it governs their cases), or inside u's scope. Another
// town's settings are not theirs to read.
func (a *Admin) applies(u *identity.User, region string) bool {
	if region == "" {
		return true
	}
	for _, r := range u.ScopeOf(settingsRoles...).Regions() {
		if r == "" || codes.DivisionCovers(r, region) || codes.DivisionCovers(region, r) {
			return true
		}
	}
	return false
}

// mayConfigure checks that u administers region by the one scoping rule
// (identity.Scope). A setting of no region applies everywhere: only an
// installation administrator (a grant covering the home region) sets it.
func (a *Admin) mayConfigure(u *identity.User, region string) error {
	if u == nil {
		return apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	if !u.Has(identity.RoleAdmin) {
		return apperr.E(apperr.Forbidden, "error.forbidden")
	}
	if region == "" {
		if u.Installation(identity.RoleAdmin, a.Home) {
			return nil
		}
		return apperr.E(apperr.Forbidden, "supervise.installation_only")
	}
	if u.ScopeOf(identity.RoleAdmin).CoversRegion(region) {
		return nil
	}
	return apperr.E(apperr.Forbidden, "supervise.region_forbidden", "region", region)
}

// adminRegion is the region an administrator's settings apply to when they
// name none: their own (a district administrator configures the district).
func adminRegion(u *identity.User) string {
	if u == nil {
		return ""
	}
	for _, g := range u.Grants {
		if g.Role == identity.RoleAdmin {
			return g.RegionCode
		}
	}
	return ""
}

// SetThresholds sets the thresholds of a region and item type.
func (a *Admin) SetThresholds(ctx context.Context, u *identity.User, r ThresholdRow) error {
	r.Region, r.ItemType = strings.TrimSpace(r.Region), strings.TrimSpace(r.ItemType)
	if r.Region == "" {
		r.Region = adminRegion(u)
	}
	if r.Region != "" {
		if _, err := codes.ParseDivision(r.Region); err != nil {
			return err
		}
	}
	if err := r.Thresholds.Validate(); err != nil {
		return apperr.E(apperr.Invalid, "supervise.thresholds_order", "warn", r.Warn, "yellow", r.Yellow, "red", r.Red, "max", MaxThresholdDays)
	}
	// An item type is one of the catalog's (事项类型), or none: anything
	// else would be stored as a threshold that never applies.
	if r.ItemType != "" && !slices.Contains(catalog.ItemTypes, r.ItemType) {
		return apperr.E(apperr.Invalid, "supervise.item_type_unknown", "type", r.ItemType)
	}
	if err := a.mayConfigure(u, r.Region); err != nil {
		return err
	}
	return apperr.Internalf("supervise: thresholds", a.DB.Update(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(`INSERT INTO signal_thresholds (region_code, item_type, warn_days, yellow_days, red_days, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (region_code, item_type) DO UPDATE SET warn_days = excluded.warn_days,
			yellow_days = excluded.yellow_days, red_days = excluded.red_days, updated_at = excluded.updated_at`,
			r.Region, r.ItemType, r.Warn, r.Yellow, r.Red, tx.Now)
		if err != nil {
			return err
		}
		return audit.Append(tx, &audit.Record{Actor: u.ID, Role: "admin", Action: "supervision.thresholds", ObjectType: "region",
			ObjectID: r.Region + ":" + r.ItemType}, []byte(fmt.Sprintf(`{"warn_days":%d,"yellow_days":%d,"red_days":%d}`, r.Warn, r.Yellow, r.Red)))
	}))
}

// DeleteThresholds removes a region's and item type's thresholds (the
// wider ones apply again).
func (a *Admin) DeleteThresholds(ctx context.Context, u *identity.User, region, itemType string) error {
	if err := a.mayConfigure(u, region); err != nil {
		return err
	}
	return apperr.Internalf("supervise: thresholds", a.DB.Update(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(`DELETE FROM signal_thresholds WHERE region_code = $1 AND item_type = $2`, region, itemType)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.E(apperr.NotFound, "supervise.thresholds_unknown")
		}
		return audit.Append(tx, &audit.Record{Actor: u.ID, Role: "admin", Action: "supervision.thresholds_removed", ObjectType: "region",
			ObjectID: region + ":" + itemType}, nil)
	}))
}

// AddRule creates an enabled escalation rule under a new id, and returns it.
func (a *Admin) AddRule(ctx context.Context, u *identity.User, r RuleView) (string, error) {
	r.ID, r.Enabled = "rule-"+db.NewID(), true
	return r.ID, a.SetRule(ctx, u, r)
}

// RuleClocks and RuleActions are what a rule may name (SetRule checks the
// combinations); RuleRoles are the roles an escalation may notify.
var (
	RuleClocks  = append(append(slices.Clone(Clocks), ClockTolerance), OrderClockNames...)
	RuleActions = []Action{ActRemind, ActEscalate, ActUrge, ActDeem, ActTerminate}
	RuleRoles   = []string{"clerk", "handler", "reviewer", "approver", "supervisor"}
)

// SetRule creates or replaces an escalation rule.
func (a *Admin) SetRule(ctx context.Context, u *identity.User, r RuleView) error {
	lv, ok := ParseLevel(r.LevelName)
	switch {
	case strings.TrimSpace(r.ID) == "" || len(r.ID) > 64:
		return apperr.E(apperr.Invalid, "supervise.rule_id")
	case !slices.Contains(RuleClocks, r.Clock):
		return apperr.E(apperr.Invalid, "signal.clock_unknown", "clock", string(r.Clock))
	case !ok || lv == Normal:
		return apperr.E(apperr.Invalid, "signal.level_unknown", "level", r.LevelName)
	case !slices.Contains(RuleActions, r.Action):
		return apperr.E(apperr.Invalid, "supervise.action_unknown", "action", string(r.Action))
	case r.Action == ActTerminate && r.Clock != ClockTolerance,
		r.Clock == ClockTolerance && r.Action != ActTerminate && r.Action != ActRemind:
		// Only late 容缺 materials end a case by rule; on their clock the
		// platform reminds the applicant or terminates, nothing else.
		return apperr.E(apperr.Invalid, "supervise.terminate_tolerance_only")
	case isOrderClock(r.Clock) && r.Action != ActRemind && r.Action != ActEscalate:
		// A work order is reminded or escalated; urging, deeming and ending
		// are acts of the case engine.
		return apperr.E(apperr.Invalid, "supervise.order_actions")
	case r.Action == ActEscalate && !slices.Contains(RuleRoles, r.Role):
		return apperr.E(apperr.Invalid, "supervise.rule_role", "role", r.Role)
	case r.Action == ActDeem && r.Clock != ClockNotice:
		// 行政许可法 Art. 32 deems acceptance only when the correction notice is late.
		return apperr.E(apperr.Invalid, "supervise.deem_notice_only")
	}
	r.Region = strings.TrimSpace(r.Region)
	if r.Region != "" {
		if _, err := codes.ParseDivision(r.Region); err != nil {
			return err
		}
	}
	return apperr.Internalf("supervise: rule", a.DB.Update(ctx, func(tx *db.Tx) error {
		// The upsert replaces any rule of that id: the stored rule's region
		// must be the caller's too (a town administrator must not overwrite
		// an installation-wide rule by naming their town). A rule changed
		// without naming a region keeps its own (switching it off does not
		// move it); a new one applies in the administrator's region.
		var stored string
		var storedEnabled bool
		err := tx.QueryRow(`SELECT region_code, enabled FROM escalation_rules WHERE id = $1`, r.ID).Scan(&stored, &storedEnabled)
		switch {
		case err == nil:
			if err := a.mayConfigure(u, stored); err != nil {
				return err
			}
			if r.Region == "" {
				r.Region = stored
			}
			if r.KeepEnabled {
				r.Enabled = storedEnabled
			}
		case errors.Is(err, sql.ErrNoRows):
			if r.Region == "" {
				r.Region = adminRegion(u)
			}
			if r.KeepEnabled {
				r.Enabled = true
			}
		default:
			return err
		}
		if err := a.mayConfigure(u, r.Region); err != nil {
			return err
		}
		_, err = tx.Exec(`INSERT INTO escalation_rules (id, region_code, clock, state, level, action, role, enabled)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO UPDATE SET region_code = excluded.region_code, clock = excluded.clock,
			state = excluded.state, level = excluded.level, action = excluded.action, role = excluded.role, enabled = excluded.enabled`,
			r.ID, r.Region, string(r.Clock), r.State, lv.String(), string(r.Action), r.Role, r.Enabled)
		if err != nil {
			return err
		}
		return audit.Append(tx, &audit.Record{Actor: u.ID, Role: "admin", Action: "supervision.rule", ObjectType: "rule", ObjectID: r.ID},
			[]byte(fmt.Sprintf(`{"clock":%q,"state":%q,"level":%q,"action":%q,"role":%q,"enabled":%t}`, r.Clock, r.State, lv, r.Action, r.Role, r.Enabled)))
	}))
}
