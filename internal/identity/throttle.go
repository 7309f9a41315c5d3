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

// Failed logins are counted in the database, so every replica sees them.
// Keys: "user:NAME" and "ip:ADDRESS".

func throttleKeys(username, ip string) []string {
	keys := []string{"user:" + username}
	if ip != "" {
		keys = append(keys, "ip:"+ip)
	}
	return keys
}

func (s *Service) checkThrottle(ctx context.Context, username, ip string) error {
	var until time.Time
	now := s.db.Now()
	err := s.db.View(ctx, func(tx *db.Tx) error {
		for _, k := range throttleKeys(username, ip) {
			var lu sql.NullTime
			err := tx.QueryRow(`SELECT locked_until FROM login_failures WHERE key = $1`, k).Scan(&lu)
			if errors.Is(err, sql.ErrNoRows) {
				continue
			}
			if err != nil {
				return err
			}
			if lu.Valid && lu.Time.After(until) {
				until = lu.Time
			}
		}
		return nil
	})
	if err != nil {
		return apperr.Internalf("identity: throttle", err)
	}
	if until.After(now) {
		return apperr.E(apperr.TooMany, "auth.throttled", "minutes", int(math.Ceil(until.Sub(now).Minutes())))
	}
	return nil
}

// recordFailure counts a failure against the account and the address, locks
// either once it reaches its limit within the window, and audits the attempt
// (userID is the account's when the name is one).
func (s *Service) recordFailure(ctx context.Context, userID string, req LoginRequest, reason string) error {
	p := s.Throttle
	username, ip := req.Username, req.IP
	return apperr.Internalf("identity: record failure", s.db.Update(ctx, func(tx *db.Tx) error {
		lockedNow := false
		for _, k := range throttleKeys(username, ip) {
			limit := p.UserLimit
			if k[:3] == "ip:" {
				limit = p.IPLimit
			}
			q := `SELECT failures, window_start FROM login_failures WHERE key = $1`
			if tx.Dialect == db.Postgres {
				q += ` FOR UPDATE`
			}
			var n int
			var start time.Time
			err := tx.QueryRow(q, k).Scan(&n, &start)
			if errors.Is(err, sql.ErrNoRows) || (err == nil && tx.Now.Sub(start) >= p.Window) {
				n, start, err = 0, tx.Now, nil
			}
			if err != nil {
				return err
			}
			n++
			var locked any
			if n >= limit {
				locked = tx.Now.Add(p.Lockout)
				lockedNow = true
			}
			if _, err := tx.Exec(`INSERT INTO login_failures (key, failures, window_start, locked_until) VALUES ($1, $2, $3, $4)
				ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, window_start = excluded.window_start, locked_until = excluded.locked_until`,
				k, n, start, locked); err != nil {
				return err
			}
		}
		return auditFailure(tx, userID, req, reason, lockedNow)
	}))
}

// clearFailures resets the account's count after a successful login; the
// address's count stays, so one good password does not unlock a spraying host.
func (s *Service) clearFailures(tx *db.Tx, username string) error {
	_, err := tx.Exec(`DELETE FROM login_failures WHERE key = $1`, "user:"+username)
	return err
}
