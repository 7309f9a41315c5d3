package rating

import (
	"context"
	"encoding/json"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
)

// Rules lists the regions' rating rules an administrator's grants cover,
// and the defaults.
func (s *Service) Rules(ctx context.Context, u *identity.User) ([]Rule, error) {
	sc, err := adminScope(u)
	if err != nil {
		return nil, err
	}
	out := []Rule{}
	err = s.DB.View(ctx, func(tx *db.Tx) error {
		all, err := allRules(tx)
		for _, r := range all {
			if sc.CoversRegion(r.Region) {
				out = append(out, r)
			}
		}
		return err
	})
	return out, apperr.Internalf("rating: rules", err)
}

// SaveRule stores a region's rule (the window, a default rating at its end,
// the 差评 limits) for an administrator whose grant covers the region; an
// audit record keeps it.
func (s *Service) SaveRule(ctx context.Context, u *identity.User, r Rule) (*Rule, error) {
	sc, err := adminScope(u)
	if err != nil {
		return nil, err
	}
	if !sc.CoversRegion(r.Region) {
		return nil, apperr.E(apperr.Forbidden, "error.forbidden")
	}
	err = s.DB.Update(ctx, func(tx *db.Tx) error {
		var n int
		if err := tx.QueryRow(`SELECT COUNT(*) FROM regions WHERE code = $1`, r.Region).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return apperr.E(apperr.Invalid, "rating.rule_region", "region", r.Region)
		}
		if err := SetRule(tx, r); err != nil {
			return err
		}
		b, _ := json.Marshal(r)
		return audit.Append(tx, &audit.Record{Actor: u.ID, Role: string(identity.RoleAdmin), Action: "rating.rule", ObjectType: "region", ObjectID: r.Region}, b)
	})
	if err != nil {
		return nil, apperr.Internalf("rating: save rule", err)
	}
	return &r, nil
}

func adminScope(u *identity.User) (identity.Scope, error) {
	if u == nil {
		return identity.Scope{}, apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	sc := u.ScopeOf(identity.RoleAdmin)
	if u.Kind != identity.KindStaff || sc.Empty() {
		return identity.Scope{}, apperr.E(apperr.Forbidden, "error.forbidden")
	}
	return sc, nil
}
