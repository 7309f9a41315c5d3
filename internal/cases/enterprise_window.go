package cases

import (
	"context"
	"strings"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/mandate"
)

// EnterpriseCheck is what a clerk enters to bind an enterprise to its legal
// representative at a window (企业身份核验): the enterprise as its 营业执照
// names it, the person by ID number and name, and the confirmation that
// both originals were seen.
type EnterpriseCheck struct {
	CreditCode, Name   string
	Number, PersonName string
	Confirmed          bool // 营业执照与身份证原件已核验
}

// BindEnterpriseAtWindow binds the enterprise to the person (an enterprise
// new to the platform, or a change of 法定代表人): what no online check
// can prove. Clerks only, of the enterprise's registering region; the person
// is matched as at the assurance window (one message for an unknown number
// and a wrong name, the same throttle), and must be at L2. The staff read of
// the person's record is audited as well as the binding.
func (s *Service) BindEnterpriseAtWindow(ctx context.Context, u *identity.User, chk EnterpriseCheck) (*identity.WindowBound, error) {
	if !u.Has(identity.RoleClerk) {
		return nil, apperr.E(apperr.Forbidden, "error.forbidden")
	}
	name := strings.TrimSpace(chk.PersonName)
	if name == "" || strings.TrimSpace(chk.Number) == "" {
		return nil, apperr.E(apperr.Invalid, "case.agent_applicant_required")
	}
	if !chk.Confirmed {
		return nil, apperr.E(apperr.Invalid, "enterprise.window_confirm_required")
	}
	var out *identity.WindowBound
	err := s.db.Update(ctx, func(tx *db.Tx) error {
		app, err := s.personAtWindow(tx, u, chk.Number, name, "enterprise")
		if err != nil {
			return err
		}
		out, err = s.identity.BindAtWindowTx(tx, u, identity.WindowBinding{CreditCode: chk.CreditCode, Name: chk.Name, PersonID: app.UserID, PersonName: app.Name})
		return err
	})
	if err := mandate.NoteUnmatched(ctx, s.db, u, err); err != nil {
		return nil, apperr.Internalf("cases: bind enterprise at window", err)
	}
	return out, nil
}
