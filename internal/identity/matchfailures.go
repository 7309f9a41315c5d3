package identity

import (
	"database/sql"
	"errors"
	"time"

	"github.com/tongban/tongban/internal/db"
)

// Naming a person by number and name (an agent naming an applicant, a
// legal representative naming a 经办人, a clerk verifying someone at a
// window) matches or fails with one answer, and the failures of each caller
// are counted in one table (applicant_match_failures), so that nobody learns
// whose number is whose by trying many: past a limit within a window, the
// caller names nobody until the window ends.

// MatchWait is how long userID must wait before naming a person again: 0
// while under limit failures within window.
func MatchWait(tx *db.Tx, userID string, limit int, window time.Duration) (time.Duration, error) {
	var n int
	var start time.Time
	err := tx.QueryRow(`SELECT failures, window_start FROM applicant_match_failures WHERE user_id = $1`, userID).Scan(&n, &start)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if end := start.Add(window); n >= limit && tx.Now.Before(end) {
		return end.Sub(tx.Now), nil
	}
	return 0, nil
}

// CountMatchFailure counts one failed naming by userID, in a window that
// starts with the first failure after the last window ended. Call it in a
// transaction of its own after the failed one rolled back.
func CountMatchFailure(tx *db.Tx, userID string, window time.Duration) error {
	q := `SELECT failures, window_start FROM applicant_match_failures WHERE user_id = $1`
	if tx.Dialect == db.Postgres {
		q += ` FOR UPDATE`
	}
	var n int
	var start time.Time
	err := tx.QueryRow(q, userID).Scan(&n, &start)
	if errors.Is(err, sql.ErrNoRows) || err == nil && !tx.Now.Before(start.Add(window)) {
		n, start, err = 0, tx.Now, nil
	}
	if err != nil {
		return err
	}
	_, err = tx.Exec(`INSERT INTO applicant_match_failures (user_id, failures, window_start) VALUES ($1, $2, $3)
		ON CONFLICT (user_id) DO UPDATE SET failures = excluded.failures, window_start = excluded.window_start`, userID, n+1, start)
	return err
}
