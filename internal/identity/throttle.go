package identity

import (
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"math"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/db"
)

// Failed logins slow the guesser down without locking anyone out (OWASP
// ASVS 4.0 V2.2.1; the lock-out it replaces let anyone who knew a user name
// keep its owner out). Three counters, in the database so that every
// replica sees them:
//
//   - pair:NAME|ADDR — this account from this address (a browser known to
//     the account has a pair of its own). After PairFree failures each
//     further one waits before the next attempt, 1 s and then twice the
//     last, up to MaxDelay. Only the guesser's own pair slows down.
//   - user:NAME — this account from everywhere it has never logged in from.
//     A distributed guesser meets the same doubling after UserFree failures;
//     the owner does not, from an address or a browser (device cookie) that
//     has logged in to this account successfully before.
//   - ip:ADDR — every account from this address: past IPLimit failures in
//     IPWindow the address waits for the window to end (a ceiling on
//     password spraying). A browser known to the account passes, so a
//     sprayer behind a hall's shared address does not keep the staff out.
//
// An attempt is counted before the password is checked, in the transaction
// that checks the wait, so parallel guesses cannot slip through together; a
// right password takes its count back.

// pairKey is the pair's counter: a browser known to the account (its device
// cookie) has a pair of its own, so a guesser behind the same shared address
// (a hall's, a company's) does not slow the owner's browser there.
func pairKey(username, ip, knownDevice string) string {
	k := "pair:" + username + "|" + ip
	if knownDevice != "" {
		k += "|" + knownDevice[:16]
	}
	return k
}

// attempt is one login attempt's place in the counters.
type attempt struct {
	userID  string   // the account named, "" when the name is no account's
	known   bool     // the address or device has logged in to the account before
	pair    string   // the pair's key
	counted []string // the keys this attempt was counted on
}

// DeviceHash is how a device cookie is kept: its SHA-256.
func DeviceHash(device string) string {
	if device == "" {
		return ""
	}
	h := sha256.Sum256([]byte(device))
	return hex.EncodeToString(h[:])
}

// begin checks the waits that apply to this attempt and counts it on each.
// TooMany (auth.throttled) when one has not passed; nothing is counted then.
func (s *Service) begin(tx *db.Tx, username, ip, device string) (*attempt, error) {
	p := s.Throttle
	a := &attempt{}
	err := tx.QueryRow(`SELECT id FROM users WHERE username = $1`, username).Scan(&a.userID)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	knownDevice := false
	if a.userID != "" {
		var n int
		if err := tx.QueryRow(`SELECT count(*) FROM login_known WHERE user_id = $1 AND ((kind = 'ip' AND value = $2) OR (kind = 'device' AND value = $3))`,
			a.userID, ip, DeviceHash(device)).Scan(&n); err != nil {
			return nil, err
		}
		a.known = n > 0
		if device != "" {
			if err := tx.QueryRow(`SELECT count(*) FROM login_known WHERE user_id = $1 AND kind = 'device' AND value = $2`, a.userID, DeviceHash(device)).Scan(&n); err != nil {
				return nil, err
			}
			knownDevice = n > 0
		}
	}
	type counter struct {
		key   string
		limit func(n int, start, last time.Time) time.Time // when the next attempt may come
		reset func(start, last time.Time) bool
	}
	doubling := func(free int) func(int, time.Time, time.Time) time.Time {
		return func(n int, _, last time.Time) time.Time { return last.Add(p.delay(n, free)) }
	}
	quiet := func(_, last time.Time) bool { return tx.Now.Sub(last) >= p.Forget }
	a.pair = pairKey(username, ip, "")
	if knownDevice {
		a.pair = pairKey(username, ip, DeviceHash(device))
	}
	cs := []counter{{a.pair, doubling(p.PairFree), quiet}}
	if !a.known {
		cs = append(cs, counter{"user:" + username, doubling(p.UserFree), quiet})
	}
	if ip != "" && !knownDevice {
		cs = append(cs, counter{"ip:" + ip,
			func(n int, start, _ time.Time) time.Time {
				if n >= p.IPLimit {
					return start.Add(p.IPWindow)
				}
				return time.Time{}
			},
			func(start, _ time.Time) bool { return tx.Now.Sub(start) >= p.IPWindow }})
	}
	q := `SELECT failures, window_start, last_failure_at FROM login_throttle WHERE key = $1`
	if tx.Dialect == db.Postgres {
		q += ` FOR UPDATE`
	}
	var wait time.Duration
	type row struct {
		key         string
		n           int
		start, last time.Time
		exists      bool
	}
	var rows []row
	for _, c := range cs {
		r := row{key: c.key}
		err := tx.QueryRow(q, c.key).Scan(&r.n, &r.start, &r.last)
		r.exists = err == nil
		if errors.Is(err, sql.ErrNoRows) || (err == nil && c.reset(r.start, r.last)) {
			r.n, r.start, err = 0, tx.Now, nil
		}
		if err != nil {
			return nil, err
		}
		if r.n > 0 {
			if w := c.limit(r.n, r.start, r.last).Sub(tx.Now); w > wait {
				wait = w
			}
		}
		rows = append(rows, r)
	}
	if wait > 0 {
		if wait >= time.Minute {
			return nil, apperr.E(apperr.TooMany, "auth.throttled", "minutes", int(math.Ceil(wait.Minutes())))
		}
		return nil, apperr.E(apperr.TooMany, "auth.throttled_seconds", "seconds", int(math.Ceil(wait.Seconds())))
	}
	for _, r := range rows {
		// A row read is locked (FOR UPDATE; SQLite has one writer): it is
		// set. A new one may be inserted by a concurrent attempt too: then
		// both count.
		q := `UPDATE login_throttle SET failures = $2, window_start = $3, last_failure_at = $4 WHERE key = $1`
		if !r.exists {
			q = `INSERT INTO login_throttle (key, failures, window_start, last_failure_at) VALUES ($1, $2, $3, $4)
				ON CONFLICT (key) DO UPDATE SET failures = login_throttle.failures + 1, last_failure_at = excluded.last_failure_at`
		}
		if _, err := tx.Exec(q, r.key, r.n+1, r.start, tx.Now); err != nil {
			return nil, err
		}
		a.counted = append(a.counted, r.key)
	}
	return a, nil
}

// delay is the wait after n failures of a doubling counter whose first
// free failures cost nothing: 1 s after the first one past them, then 2,
// 4, … s up to MaxDelay.
func (p ThrottlePolicy) delay(n, free int) time.Duration {
	if n <= free {
		return 0
	}
	if n-free > 30 {
		return p.MaxDelay
	}
	return min(time.Second<<(n-free-1), p.MaxDelay)
}

// refund takes an attempt's count back: its password was right.
func refund(tx *db.Tx, a *attempt) error {
	for _, k := range a.counted {
		if _, err := tx.Exec(`UPDATE login_throttle SET failures = failures - 1 WHERE key = $1 AND failures > 0`, k); err != nil {
			return err
		}
		if _, err := tx.Exec(`DELETE FROM login_throttle WHERE key = $1 AND failures = 0`, k); err != nil {
			return err
		}
	}
	return nil
}

// succeed ends the pair's slow-down and remembers the address and the
// device as places the account logs in from. The account's and the
// address's counters keep the failures of others.
func succeed(tx *db.Tx, p ThrottlePolicy, a *attempt, ip, device string) error {
	if err := refund(tx, a); err != nil {
		return err
	}
	if _, err := tx.Exec(`DELETE FROM login_throttle WHERE key = $1`, a.pair); err != nil {
		return err
	}
	// Swept here, where a write happens anyway: counters past both windows,
	// and places not logged in from for KnownFor.
	if _, err := tx.Exec(`DELETE FROM login_throttle WHERE last_failure_at < $1`, tx.Now.Add(-max(p.Forget, p.IPWindow))); err != nil {
		return err
	}
	if _, err := tx.Exec(`DELETE FROM login_known WHERE last_seen_at < $1`, tx.Now.Add(-p.KnownFor)); err != nil {
		return err
	}
	for kind, v := range map[string]string{"ip": ip, "device": DeviceHash(device)} {
		if v == "" {
			continue
		}
		if _, err := tx.Exec(`INSERT INTO login_known (user_id, kind, value, last_seen_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (user_id, kind, value) DO UPDATE SET last_seen_at = excluded.last_seen_at`, a.userID, kind, v, tx.Now); err != nil {
			return err
		}
	}
	return nil
}
