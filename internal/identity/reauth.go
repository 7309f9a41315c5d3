package identity

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/db"
)

// A signed-in user re-enters their own password to change it, to change
// their mobile or to close their account. A session taken over (a hall
// terminal left signed in) must not turn these forms into a password
// oracle: wrong entries are counted per account (reauth:USERID, in the
// login throttle's table, so every replica sees them), counted before the
// check; after ReauthFree of them each further one waits — 1 s, then twice
// the last, up to the login throttle's MaxDelay — and a right one clears the
// count. The owner who mistypes a few times is never slowed.

// ReauthFree is how many wrong re-entries cost nothing.
const ReauthFree = 3

func reauthKey(userID string) string { return "reauth:" + userID }

// reauthCount checks the wait of u's re-entries and counts this one, in its
// own transaction (the count stands whatever the check finds). TooMany
// auth.reauth_throttled(_seconds) while a wait has not passed.
func (s *Service) reauthCount(ctx context.Context, userID string) error {
	p := s.Throttle
	return s.db.Update(ctx, func(tx *db.Tx) error {
		q := `SELECT failures, window_start, last_failure_at FROM login_throttle WHERE key = $1`
		if tx.Dialect == db.Postgres {
			q += ` FOR UPDATE`
		}
		var n int
		var start, last time.Time
		err := tx.QueryRow(q, reauthKey(userID)).Scan(&n, &start, &last)
		exists := err == nil
		switch {
		case errors.Is(err, sql.ErrNoRows) || (exists && tx.Now.Sub(last) >= p.Forget):
			n, start = 0, tx.Now
		case err != nil:
			return err
		}
		if wait := last.Add(p.delay(n, ReauthFree)).Sub(tx.Now); n > ReauthFree && wait > 0 {
			if wait >= time.Minute {
				return apperr.E(apperr.TooMany, "auth.reauth_throttled", "minutes", int(math.Ceil(wait.Minutes())))
			}
			return apperr.E(apperr.TooMany, "auth.reauth_throttled_seconds", "seconds", int(math.Ceil(wait.Seconds())))
		}
		_, err = tx.Exec(`INSERT INTO login_throttle (key, failures, window_start, last_failure_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, window_start = excluded.window_start, last_failure_at = excluded.last_failure_at`,
			reauthKey(userID), n+1, start, tx.Now)
		return err
	})
}

// reauthClear forgets u's wrong re-entries: the password was right.
func reauthClear(tx *db.Tx, userID string) error {
	_, err := tx.Exec(`DELETE FROM login_throttle WHERE key = $1`, reauthKey(userID))
	return err
}
