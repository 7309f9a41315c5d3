package license

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
)

// Share links (Diia's model, PEERS.md): the holder states why they share,
// the library re-checks the licence, and issues a link valid for a short
// time (default ten minutes) that opens once — the first browser to open it
// keeps it until it expires (so the verifier may reload and sees a
// revocation at once); anyone else is told it was used.
const (
	DefaultShareTTL = 10 * time.Minute
	MaxShareTTL     = 24 * time.Hour
)

// Share is a share link as its holder sees it. Token is set only when the
// link is made: the library keeps its hash.
type Share struct {
	ID        string     `json:"id"`
	Token     string     `json:"token,omitempty"`
	Path      string     `json:"path,omitempty"` // "/s/<token>", on the platform's address
	Reason    string     `json:"reason"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt time.Time  `json:"expires_at"`
	UsedAt    *time.Time `json:"used_at,omitempty"`
}

// CheckEntry is one verification of a licence, as its holder sees it.
type CheckEntry struct {
	Channel string    `json:"channel"`
	Verdict string    `json:"verdict"`
	Reason  string    `json:"reason,omitempty"`
	Checker string    `json:"checker,omitempty"`
	At      time.Time `json:"at"`
}

func tokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// NewShare makes a one-time link to the holder's licence, valid for ttl
// (0: the default). The licence must be valid now; the reason is required.
func (s *Service) NewShare(ctx context.Context, u *identity.User, identifier, reason string, ttl time.Duration) (*Share, error) {
	if u == nil {
		return nil, apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return nil, apperr.E(apperr.Invalid, "licence.share_reason_required")
	}
	if len([]rune(reason)) > 200 {
		return nil, apperr.E(apperr.Invalid, "licence.reason_too_long", "max", 200)
	}
	if ttl == 0 {
		ttl = DefaultShareTTL
	}
	if ttl < time.Minute || ttl > MaxShareTTL {
		return nil, apperr.E(apperr.Invalid, "licence.share_ttl", "min", 1, "max", int(MaxShareTTL/time.Minute))
	}
	raw := make([]byte, 24)
	if _, err := rand.Read(raw); err != nil {
		return nil, apperr.Internalf("license: token", err)
	}
	sh := &Share{ID: db.NewID(), Token: base64.RawURLEncoding.EncodeToString(raw), Reason: reason}
	sh.Path = "/s/" + sh.Token
	err := s.DB.Update(ctx, func(tx *db.Tx) error {
		l, err := s.byIdentifier(tx, identifier)
		if err != nil {
			return err
		}
		if l.HolderID != u.ID {
			return apperr.E(apperr.NotFound, "licence.not_found")
		}
		// Re-checked at the source before the link is made (Diia).
		if l.Status != StatusValid {
			return apperr.E(apperr.Conflict, "licence.not_shareable", "status", l.Status)
		}
		sh.CreatedAt, sh.ExpiresAt = tx.Now, tx.Now.Add(ttl)
		if _, err := tx.Exec(`INSERT INTO licence_shares (id, licence_id, token_hash, reason, created_by, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, sh.ID, l.ID, tokenHash(sh.Token), reason, u.ID, tx.Now, sh.ExpiresAt); err != nil {
			return err
		}
		body, _ := json.Marshal(map[string]any{"share": sh.ID, "reason": reason, "expires_at": sh.ExpiresAt})
		return s.audit(tx, u.ID, "holder", "licence.share", l.ID, body)
	})
	if err != nil {
		return nil, apperr.Internalf("license: share", err)
	}
	return sh, nil
}

// OpenShare verifies a licence through a share link: the link must exist,
// be within its time and unused — or used by this same viewer. The verdict
// carries the licence's fields and the holder's name (the holder chose to
// show them). Each opening is recorded.
func (s *Service) OpenShare(ctx context.Context, token string, ck Check) (*Verdict, error) {
	ck.Channel = "share"
	v := &Verdict{}
	err := s.DB.Update(ctx, func(tx *db.Tx) error {
		v.CheckedAt = tx.Now
		var id, licenceID, reason, viewer string
		var expires time.Time
		var used *time.Time
		err := tx.QueryRow(`SELECT id, licence_id, reason, expires_at, used_at, viewer_hash FROM licence_shares WHERE token_hash = $1`,
			tokenHash(token)).Scan(&id, &licenceID, &reason, &expires, &used, &viewer)
		if errors.Is(err, sql.ErrNoRows) {
			v.Verdict = VerdictShareUnknown
			return s.recordQuery(tx, "share:"+clip(token, 64), v.Verdict, ck)
		}
		if err != nil {
			return err
		}
		ck.Reason = reason
		switch {
		case !tx.Now.Before(expires):
			v.Verdict = VerdictShareExpired
		case used != nil && (ck.Viewer == "" || viewer != ck.Viewer):
			v.Verdict = VerdictShareUsed
		case used == nil:
			res, err := tx.Exec(`UPDATE licence_shares SET used_at = $1, viewer_hash = $2 WHERE id = $3 AND used_at IS NULL`, tx.Now, ck.Viewer, id)
			if err != nil {
				return err
			}
			if k, _ := res.RowsAffected(); k == 0 {
				v.Verdict = VerdictShareUsed // another opening won the race
			}
		}
		if v.Verdict != "" {
			return s.recordCheck(tx, licenceID, id, v.Verdict, ck)
		}
		l, err := scanLicence(tx.QueryRow(licenceSelect+` WHERE l.id = $1`, licenceID), s.vault(), tx.Now)
		if err != nil {
			return err
		}
		s.judge(v, l)
		v.Holder, v.Reason = l.Metadata.Holder, reason
		for _, f := range l.Labels {
			v.Fields = append(v.Fields, LabelledValue{Key: f.Key, Label: f.Label, Value: l.Fields[f.Key]})
		}
		return s.recordCheck(tx, licenceID, id, v.Verdict, ck)
	})
	if err != nil {
		return nil, apperr.Internalf("license: open share", err)
	}
	return v, nil
}

// Activity is what the holder sees of a licence's use: the links they made
// and every check, newest first.
func (s *Service) Activity(ctx context.Context, u *identity.User, l *Licence) ([]Share, []CheckEntry, error) {
	if u == nil || l.HolderID != u.ID {
		return nil, nil, nil
	}
	var shares []Share
	var checks []CheckEntry
	err := s.DB.View(ctx, func(tx *db.Tx) error {
		rows, err := tx.Query(`SELECT id, reason, created_at, expires_at, used_at FROM licence_shares WHERE licence_id = $1
			ORDER BY created_at DESC, id DESC LIMIT 50`, l.ID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var sh Share
			if err := rows.Scan(&sh.ID, &sh.Reason, &sh.CreatedAt, &sh.ExpiresAt, &sh.UsedAt); err != nil {
				rows.Close()
				return err
			}
			shares = append(shares, sh)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = tx.Query(`SELECT channel, verdict, reason, checker, at FROM licence_checks WHERE licence_id = $1
			ORDER BY at DESC, id DESC LIMIT 100`, l.ID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c CheckEntry
			if err := rows.Scan(&c.Channel, &c.Verdict, &c.Reason, &c.Checker, &c.At); err != nil {
				return err
			}
			checks = append(checks, c)
		}
		return rows.Err()
	})
	return shares, checks, apperr.Internalf("license: activity", err)
}
