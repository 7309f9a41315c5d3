package cases

import (
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/mandate"
)

// 代办 (issues 14 and 16). A village agent names the applicant by name AND
// number, matched without an oracle and throttled per agent
// (mandate.MatchTx), and files only under a mandate (授权委托) of that
// applicant's that is active, unexpired and covers the item
// (mandate.CoveringTx): the case records it. Without one the filing is
// refused saying why — none, still pending, expired, revoked, or outside
// its scope. A signed 授权委托书 attached to a filing (the material
// MandateKey) is kept with the case as any material is, but no longer
// stands in for a mandate: the agent uploads it as a written mandate
// (/agent/mandates) for a clerk to check, before filing.

// MandateKey is the material key of a written mandate (授权委托书): the
// catalog's common key for it. An agent's filing may carry it whether or not
// the item lists it.
const MandateKey = "proxy"

// MandateName names the mandate material where the item does not.
const MandateName = "授权委托书"

// agentApplicant finds the applicant an agent names and the mandate the
// agent files under.
func (s *Service) agentApplicant(tx *db.Tx, u *identity.User, implCode string, nc NewCase) (*identity.Applicant, *mandate.Ref, error) {
	app, err := mandate.MatchTx(tx, s.identity, u, nc.ApplicantName, nc.Applicant)
	if err != nil {
		return nil, nil, err
	}
	m, err := mandate.CoveringTx(tx, u.ID, app.UserID, implCode)
	if err != nil {
		return nil, nil, err
	}
	return app, m, nil
}
