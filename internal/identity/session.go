package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/db"
)

// SessionKind separates browser sessions (cookie + CSRF token) from API
// sessions (bearer token): a token of one kind never opens the other.
type SessionKind string

const (
	SessionWeb SessionKind = "web"
	SessionAPI SessionKind = "api"
)

// Session is a logged-in session. The token itself is only ever in the
// client's hands; the database keeps its SHA-256.
type Session struct {
	Kind       SessionKind
	UserID     string
	CSRFToken  string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time // the absolute limit; the idle limit may end it sooner
}

// LoginRequest is what a login form or the API sends.
type LoginRequest struct {
	Username  string
	Password  string
	Kind      SessionKind
	IP        string
	UserAgent string
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// Login checks the password and opens a session. Returns TooMany when the
// account or address is locked out, Unauthenticated for a wrong user name or
// password (the same message for both, so names cannot be probed) and
// Forbidden for a disabled account.
func (s *Service) Login(ctx context.Context, req LoginRequest) (string, *Session, *User, error) {
	if req.Kind != SessionAPI {
		req.Kind = SessionWeb
	}
	if err := s.checkThrottle(ctx, req.Username, req.IP); err != nil {
		return "", nil, nil, err
	}
	var hash, userID string
	var disabled bool
	err := s.db.View(ctx, func(tx *db.Tx) error {
		return tx.QueryRow(`SELECT id, password_hash, disabled FROM users WHERE username = $1`, req.Username).Scan(&userID, &hash, &disabled)
	})
	found := err == nil
	if errors.Is(err, sql.ErrNoRows) {
		err = nil
		hash = dummyHash // verify anyway: an unknown name takes as long as a wrong password
	}
	if err != nil {
		return "", nil, nil, apperr.Internalf("identity: login", err)
	}
	if ok := VerifyPassword(hash, req.Password); !ok || !found {
		if !found {
			userID = ""
		}
		if ferr := s.recordFailure(ctx, userID, req, "bad_credentials"); ferr != nil {
			return "", nil, nil, ferr
		}
		return "", nil, nil, apperr.E(apperr.Unauthenticated, "auth.bad_credentials")
	}
	if disabled {
		if err := s.db.Update(ctx, func(tx *db.Tx) error { return auditFailure(tx, userID, req, "disabled", false) }); err != nil {
			return "", nil, nil, apperr.Internalf("identity: login", err)
		}
		return "", nil, nil, apperr.E(apperr.Forbidden, "auth.disabled")
	}
	token := randomToken()
	sess := &Session{Kind: req.Kind, UserID: userID, CSRFToken: randomToken()}
	err = s.db.Update(ctx, func(tx *db.Tx) error {
		max := s.Sessions.WebMax
		if req.Kind == SessionAPI {
			max = s.Sessions.APIMax
		}
		sess.CreatedAt, sess.LastSeenAt, sess.ExpiresAt = tx.Now, tx.Now, tx.Now.Add(max)
		if err := s.clearFailures(tx, req.Username); err != nil {
			return err
		}
		// Expired sessions are swept here, where a write happens anyway.
		if _, err := tx.Exec(`DELETE FROM sessions WHERE expires_at < $1`, tx.Now); err != nil {
			return err
		}
		if _, err := tx.Exec(`INSERT INTO sessions (token_hash, user_id, kind, csrf_token, created_at, last_seen_at, expires_at, ip, user_agent)
			VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8)`,
			hashToken(token), userID, string(req.Kind), sess.CSRFToken, tx.Now, sess.ExpiresAt, req.IP, truncate(req.UserAgent, 300)); err != nil {
			return err
		}
		return auditLogin(tx, userID, req)
	})
	if err != nil {
		return "", nil, nil, apperr.Internalf("identity: open session", err)
	}
	u, err := s.UserByID(ctx, userID)
	return token, sess, u, err
}

// Authenticate resolves a session token of the given kind. Returns
// Unauthenticated (auth.session_expired) if it is unknown, idle too long or
// past its limit, Forbidden if the account was disabled since.
func (s *Service) Authenticate(ctx context.Context, token string, kind SessionKind) (*Session, *User, error) {
	if token == "" {
		return nil, nil, apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	th := hashToken(token)
	sess := &Session{}
	var u *User
	now := s.db.Now()
	err := s.db.View(ctx, func(tx *db.Tx) error {
		var k string
		err := tx.QueryRow(`SELECT kind, user_id, csrf_token, created_at, last_seen_at, expires_at FROM sessions WHERE token_hash = $1`, th).
			Scan(&k, &sess.UserID, &sess.CSRFToken, &sess.CreatedAt, &sess.LastSeenAt, &sess.ExpiresAt)
		if err != nil {
			return db.NotFound(err, "auth.session_expired")
		}
		sess.Kind = SessionKind(k)
		if sess.Kind != kind {
			return apperr.E(apperr.NotFound, "auth.session_expired")
		}
		u, err = userBy(tx, "id", sess.UserID)
		return err
	})
	if apperr.CodeOf(err) == apperr.NotFound {
		return nil, nil, apperr.E(apperr.Unauthenticated, "auth.session_expired")
	}
	if err != nil {
		return nil, nil, apperr.Internalf("identity: authenticate", err)
	}
	idle := s.Sessions.WebIdle
	if kind == SessionAPI {
		idle = s.Sessions.APIIdle
	}
	if !now.Before(sess.ExpiresAt) || !now.Before(sess.LastSeenAt.Add(idle)) {
		return nil, nil, apperr.E(apperr.Unauthenticated, "auth.session_expired")
	}
	if u.Disabled {
		return nil, nil, apperr.E(apperr.Forbidden, "auth.disabled")
	}
	// Slide the idle limit, at most once a minute, to keep reads cheap.
	if now.Sub(sess.LastSeenAt) > time.Minute {
		err := s.db.Update(ctx, func(tx *db.Tx) error {
			_, err := tx.Exec(`UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2`, tx.Now, th)
			return err
		})
		if err != nil {
			return nil, nil, apperr.Internalf("identity: touch session", err)
		}
		sess.LastSeenAt = now
	}
	return sess, u, nil
}

// Logout ends the session of token. Ending an unknown session is not an error.
func (s *Service) Logout(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	return apperr.Internalf("identity: logout", s.db.Update(ctx, func(tx *db.Tx) error {
		var userID, kind string
		err := tx.QueryRow(`DELETE FROM sessions WHERE token_hash = $1 RETURNING user_id, kind`, hashToken(token)).Scan(&userID, &kind)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // already ended (expired, or logged out elsewhere): nothing to record
		}
		if err != nil {
			return err
		}
		return auditLogout(tx, userID, SessionKind(kind))
	}))
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}
