package cases

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
)

// 代办 (issue 14). A village agent names the applicant by name AND number,
// and both must match one registered applicant: "no such applicant" and
// "another name" are one answer (case.applicant_unmatched), so an agent who
// types a number learns nobody's name, and the failures are throttled per
// agent. The agent files without a written mandate only for a natural person
// whose registered region lies in the agent's area; anyone else — a person of
// another area or of unknown region, any enterprise — only with their
// 授权委托书 attached to the filing as the material MandateKey, kept with the
// case. Mandates as records of their own (scope, validity, revocation) are a
// later issue.

// MandateKey is the material key of a written mandate (授权委托书): the
// catalog's common key for it. An agent's filing may carry it whether or not
// the item lists it.
const MandateKey = "proxy"

// MandateName names the mandate material where the item does not.
const MandateName = "授权委托书"

// MatchLimit failed attempts to name an applicant are allowed per agent
// within MatchWindow; then the agent names nobody until the window ends.
var (
	MatchLimit  = 10
	MatchWindow = time.Hour
)

// agentApplicant finds the applicant an agent names, and checks that the
// agent may file for them.
func (s *Service) agentApplicant(tx *db.Tx, u *identity.User, nc NewCase) (*identity.Applicant, error) {
	name := strings.TrimSpace(nc.ApplicantName)
	if name == "" || strings.TrimSpace(nc.Applicant) == "" {
		return nil, apperr.E(apperr.Invalid, "case.agent_applicant_required")
	}
	if err := matchThrottled(tx, u.ID); err != nil {
		return nil, err
	}
	app, err := s.identity.ApplicantByNumberTx(tx, nc.Applicant)
	switch {
	case apperr.Is(err, apperr.NotFound, ""), err == nil && app.Name != name:
		return nil, apperr.E(apperr.Invalid, "case.applicant_unmatched")
	case err != nil:
		return nil, err // a malformed number: its own fault, which says nothing of anyone
	}
	if !agentCovers(u, app) && !slices.ContainsFunc(nc.Materials, func(m MaterialRef) bool { return m.Key == MandateKey }) {
		if app.Kind == identity.KindOrganisation {
			return nil, apperr.E(apperr.Invalid, "case.mandate_required_org")
		}
		return nil, apperr.E(apperr.Invalid, "case.mandate_required")
	}
	return app, nil
}

// agentCovers: a natural person whose registered region lies in one of the
// agent's areas.
func agentCovers(u *identity.User, app *identity.Applicant) bool {
	if app.Kind != identity.KindPerson || app.Region == "" {
		return false
	}
	for _, g := range u.Grants {
		if g.Role == identity.RoleAgent && g.RegionCode != "" && codes.DivisionCovers(g.RegionCode, app.Region) {
			return true
		}
	}
	return false
}

// matchThrottled refuses an agent who failed MatchLimit times within the
// window.
func matchThrottled(tx *db.Tx, userID string) error {
	var n int
	var start time.Time
	err := tx.QueryRow(`SELECT failures, window_start FROM applicant_match_failures WHERE user_id = $1`, userID).Scan(&n, &start)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	if end := start.Add(MatchWindow); n >= MatchLimit && tx.Now.Before(end) {
		return apperr.E(apperr.TooMany, "case.applicant_throttled", "minutes", int(math.Ceil(end.Sub(tx.Now).Minutes())))
	}
	return nil
}

// noteUnmatched counts a failed attempt after the filing's transaction
// rolled back: err is the filing's outcome, passed through.
func (s *Service) noteUnmatched(ctx context.Context, u *identity.User, err error) error {
	if !apperr.Is(err, apperr.Invalid, "case.applicant_unmatched") {
		return err
	}
	if nerr := s.db.Update(ctx, func(tx *db.Tx) error {
		q := `SELECT failures, window_start FROM applicant_match_failures WHERE user_id = $1`
		if tx.Dialect == db.Postgres {
			q += ` FOR UPDATE`
		}
		var n int
		var start time.Time
		err := tx.QueryRow(q, u.ID).Scan(&n, &start)
		if errors.Is(err, sql.ErrNoRows) || err == nil && !tx.Now.Before(start.Add(MatchWindow)) {
			n, start, err = 0, tx.Now, nil
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(`INSERT INTO applicant_match_failures (user_id, failures, window_start) VALUES ($1, $2, $3)
			ON CONFLICT (user_id) DO UPDATE SET failures = excluded.failures, window_start = excluded.window_start`, u.ID, n+1, start); err != nil {
			return err
		}
		// A supervisor can see an agent probing; what was typed is not kept.
		role := identity.RoleAgent
		if !u.Has(role) {
			role = identity.RoleClerk // a clerk verifying a person at a window (assurance.go)
		}
		return audit.Append(tx, &audit.Record{Actor: u.ID, Role: string(role), Action: "case.applicant_unmatched",
			ObjectType: "user", ObjectID: u.ID}, nil)
	}); nerr != nil {
		return apperr.Internalf("cases: note unmatched applicant", nerr)
	}
	return err
}
