package mandate

import (
	"context"
	"math"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
)

// An agent names a person by name AND number (issue 14), at filing and
// when asking for a mandate, and both must match one registered applicant:
// "no such applicant" and "another name" are one answer
// (case.applicant_unmatched), so an agent who types a number learns
// nobody's name, and the failures are throttled per agent.

// MatchLimit failed attempts to name an applicant are allowed per agent
// within MatchWindow; then the agent names nobody until the window ends.
var (
	MatchLimit  = 10
	MatchWindow = time.Hour
)

// MatchTx finds the applicant an agent names by name and number.
func MatchTx(tx *db.Tx, ids *identity.Service, agent *identity.User, name, number string) (*identity.Applicant, error) {
	name = strings.TrimSpace(name)
	if name == "" || strings.TrimSpace(number) == "" {
		return nil, apperr.E(apperr.Invalid, "case.agent_applicant_required")
	}
	if err := MatchThrottled(tx, agent.ID); err != nil {
		return nil, err
	}
	app, err := ids.ApplicantByNumberTx(tx, number)
	switch {
	case apperr.Is(err, apperr.NotFound, ""), err == nil && app.Name != name:
		return nil, apperr.E(apperr.Invalid, "case.applicant_unmatched")
	case err != nil:
		return nil, err // a malformed number: its own fault, which says nothing of anyone
	}
	return app, nil
}

// MatchThrottled refuses an agent (or a clerk verifying a person at a
// window) who failed MatchLimit times within the window.
func MatchThrottled(tx *db.Tx, userID string) error {
	wait, err := identity.MatchWait(tx, userID, MatchLimit, MatchWindow)
	if err != nil || wait == 0 {
		return err
	}
	return apperr.E(apperr.TooMany, "case.applicant_throttled", "minutes", int(math.Ceil(wait.Minutes())))
}

// NoteUnmatched counts a failed attempt after the transaction that named
// the applicant rolled back: err is its outcome, passed through.
func NoteUnmatched(ctx context.Context, d *db.DB, u *identity.User, err error) error {
	if !apperr.Is(err, apperr.Invalid, "case.applicant_unmatched") {
		return err
	}
	if nerr := d.Update(ctx, func(tx *db.Tx) error {
		if err := identity.CountMatchFailure(tx, u.ID, MatchWindow); err != nil {
			return err
		}
		// A supervisor can see an agent probing; what was typed is not kept.
		role := identity.RoleAgent
		if !u.Has(role) {
			role = identity.RoleClerk // a clerk verifying a person at a window (cases/assurance.go)
		}
		return audit.Append(tx, &audit.Record{Actor: u.ID, Role: string(role), Action: "case.applicant_unmatched",
			ObjectType: "user", ObjectID: u.ID}, nil)
	}); nerr != nil {
		return apperr.Internalf("mandate: note unmatched applicant", nerr)
	}
	return err
}
