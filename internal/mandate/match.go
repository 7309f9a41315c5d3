package mandate

import (
	"context"
	"database/sql"
	"errors"
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

// NoteUnmatched counts a failed attempt after the transaction that named
// the applicant rolled back: err is its outcome, passed through.
func NoteUnmatched(ctx context.Context, d *db.DB, u *identity.User, err error) error {
	if !apperr.Is(err, apperr.Invalid, "case.applicant_unmatched") {
		return err
	}
	if nerr := d.Update(ctx, func(tx *db.Tx) error {
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
			role = identity.RoleClerk // a clerk verifying a person at a window (cases/assurance.go)
		}
		return audit.Append(tx, &audit.Record{Actor: u.ID, Role: string(role), Action: "case.applicant_unmatched",
			ObjectType: "user", ObjectID: u.ID}, nil)
	}); nerr != nil {
		return apperr.Internalf("mandate: note unmatched applicant", nerr)
	}
	return err
}
