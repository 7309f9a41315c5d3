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
	"github.com/tongban/tongban/internal/codes"
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
	Code      string // the second factor: a TOTP code or a recovery code
	Kind      SessionKind
	IP        string
	UserAgent string
	Device    string // the browser's device cookie, "" for the API (throttle.go)
	// Method is how the login proves who it is, for the audit record:
	// "" a password, "sms" an SMS code, "register" a registration.
	Method string
}

// LoginResult is an opened session, or a web login's second step.
type LoginResult struct {
	Token   string
	Session *Session
	User    *User
	// Challenge is set instead of a session when the password was right and
	// the account's second factor is asked next (CompleteLogin).
	Challenge string
}

// ChallengeTTL is how long the second step of a web login waits for its
// code; ChallengeAttempts how many wrong codes end it.
const (
	ChallengeTTL      = 5 * time.Minute
	ChallengeAttempts = 5
)

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// NewSecret is a new random secret (256 bits, base64url): what sessions,
// invitation links and outside clients' keys (Open311) are made of.
func NewSecret() string { return randomToken() }

// HashSecret is what is kept of a secret made by NewSecret: its SHA-256
// in hex (a 256-bit random value needs no slow hash).
func HashSecret(secret string) string { return hashToken(secret) }

func hashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// Login checks the password and, for an account with a second factor, the
// code sent with it, and opens a session. Returns TooMany while the attempt
// must wait (throttle.go), Unauthenticated for a wrong user name or password
// (the same message for both, so names cannot be probed), a missing
// (auth.second_factor_required) or wrong (auth.second_factor_wrong) code,
// and Forbidden for a disabled account or, on the API, an account that must
// enrol a second factor first (auth.second_factor_enrol).
func (s *Service) Login(ctx context.Context, req LoginRequest) (string, *Session, *User, error) {
	res, err := s.login(ctx, req, false)
	if err != nil {
		return "", nil, nil, err
	}
	return res.Token, res.Session, res.User, nil
}

// BeginLogin is a web login's first step: as Login, except that a right
// password of an account with a second factor and no code answers a
// Challenge for CompleteLogin instead of an error.
func (s *Service) BeginLogin(ctx context.Context, req LoginRequest) (*LoginResult, error) {
	return s.login(ctx, req, true)
}

func (s *Service) login(ctx context.Context, req LoginRequest, challenge bool) (*LoginResult, error) {
	if req.Kind != SessionAPI {
		req.Kind = SessionWeb
	}
	req.Username = s.loginName(ctx, req.Username)
	a, err := s.beginAttempt(ctx, req)
	if err != nil {
		return nil, err
	}
	hash, disabled, closed := dummyHash, false, false // an unknown name takes as long as a wrong password
	if a.userID != "" {
		err := s.db.View(ctx, func(tx *db.Tx) error {
			return tx.QueryRow(`SELECT password_hash, disabled, closed_at IS NOT NULL FROM users WHERE id = $1`, a.userID).Scan(&hash, &disabled, &closed)
		})
		if err != nil {
			return nil, apperr.Internalf("identity: login", err)
		}
	}
	if closed {
		// A closed account has no password left to check (pipl.go): its
		// holder is told it was closed, whatever they typed.
		VerifyPassword(dummyHash, req.Password)
		return nil, s.refuse(ctx, a.userID, req, "closed", apperr.E(apperr.Forbidden, "auth.closed"))
	}
	if ok := VerifyPassword(hash, req.Password); !ok || a.userID == "" {
		return nil, s.refuse(ctx, a.userID, req, "bad_credentials", apperr.E(apperr.Unauthenticated, "auth.bad_credentials"))
	}
	if disabled {
		return nil, s.refuse(ctx, a.userID, req, "disabled", apperr.E(apperr.Forbidden, "auth.disabled"))
	}
	u, err := s.UserByID(ctx, a.userID)
	if err != nil {
		return nil, err
	}
	switch {
	case u.SecondFactor && req.Code == "":
		// The password was right: its count is taken back, and the code
		// comes next (counted like a password).
		res := &LoginResult{User: u}
		err := s.db.Update(ctx, func(tx *db.Tx) error {
			if err := refund(tx, a); err != nil || !challenge {
				return err
			}
			res.Challenge = randomToken()
			if _, err := tx.Exec(`DELETE FROM login_challenges WHERE expires_at < $1`, tx.Now); err != nil {
				return err
			}
			_, err := tx.Exec(`INSERT INTO login_challenges (token_hash, user_id, expires_at) VALUES ($1, $2, $3)`, hashToken(res.Challenge), u.ID, tx.Now.Add(ChallengeTTL))
			return err
		})
		if err != nil {
			return nil, apperr.Internalf("identity: login challenge", err)
		}
		if !challenge {
			return nil, apperr.E(apperr.Unauthenticated, "auth.second_factor_required")
		}
		return res, nil
	case u.SecondFactor:
		method, err := s.secondFactor(ctx, u.ID, req, "")
		if err != nil {
			return nil, err
		}
		return s.open(ctx, a, u, req, method)
	case u.MustEnrol() && req.Kind == SessionAPI:
		// Enrolment is a page (it shows a QR code): the API opens no session
		// without the second factor.
		return nil, s.refuse(ctx, u.ID, req, "second_factor_not_enrolled", apperr.E(apperr.Forbidden, "auth.second_factor_enrol"))
	}
	return s.open(ctx, a, u, req, "")
}

// CompleteLogin is a web login's second step: the code for the challenge
// BeginLogin answered. Unauthenticated auth.challenge_expired when the
// challenge is unknown, past ChallengeTTL or ended by ChallengeAttempts
// wrong codes; auth.second_factor_wrong for a wrong code.
func (s *Service) CompleteLogin(ctx context.Context, challenge string, req LoginRequest) (*LoginResult, error) {
	req.Kind = SessionWeb
	var userID string
	var expires time.Time
	err := s.db.View(ctx, func(tx *db.Tx) error {
		return tx.QueryRow(`SELECT user_id, expires_at FROM login_challenges WHERE token_hash = $1`, hashToken(challenge)).Scan(&userID, &expires)
	})
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !s.db.Now().Before(expires)) {
		return nil, apperr.E(apperr.Unauthenticated, "auth.challenge_expired")
	}
	if err != nil {
		return nil, apperr.Internalf("identity: login challenge", err)
	}
	u, err := s.UserByID(ctx, userID)
	if err != nil {
		return nil, err
	}
	if !u.SecondFactor {
		return nil, apperr.E(apperr.Unauthenticated, "auth.challenge_expired")
	}
	req.Username = u.Username
	a, err := s.beginAttempt(ctx, req)
	if err != nil {
		return nil, err
	}
	if u.Disabled {
		return nil, s.refuse(ctx, u.ID, req, "disabled", apperr.E(apperr.Forbidden, "auth.disabled"))
	}
	method, err := s.secondFactor(ctx, u.ID, req, challenge)
	if err != nil {
		return nil, err
	}
	return s.open(ctx, a, u, req, method)
}

// loginName is the user name a login names: a mobile number that is no
// user name stands for the account whose verified number it is (persons
// who registered themselves sign in with it). Anything else is itself.
func (s *Service) loginName(ctx context.Context, name string) string {
	phone, err := codes.ParseMobile(name)
	if err != nil {
		return name
	}
	var username string
	_ = s.db.View(ctx, func(tx *db.Tx) error {
		err := tx.QueryRow(`SELECT username FROM users WHERE username = $1`, name).Scan(&username)
		if err == nil {
			return nil
		}
		return tx.QueryRow(`SELECT u.username FROM account_phones p JOIN users u ON u.id = p.user_id WHERE p.phone_index = $1`, s.PhoneIndex(phone)).Scan(&username)
	})
	if username == "" {
		return name
	}
	return username
}

// beginAttempt counts the attempt (throttle.go) or answers its wait.
func (s *Service) beginAttempt(ctx context.Context, req LoginRequest) (*attempt, error) {
	var a *attempt
	err := s.db.Update(ctx, func(tx *db.Tx) (err error) {
		a, err = s.begin(tx, req.Username, req.IP, req.Device)
		return err
	})
	if apperr.CodeOf(err) == apperr.TooMany {
		return nil, err
	}
	return a, apperr.Internalf("identity: throttle", err)
}

// secondFactor checks req.Code; a wrong one is audited and, with a
// challenge, counted on it (ChallengeAttempts end it). A right one ends the
// challenge.
func (s *Service) secondFactor(ctx context.Context, userID string, req LoginRequest, challenge string) (string, error) {
	var method string
	err := s.db.Update(ctx, func(tx *db.Tx) (err error) {
		if method, err = s.checkSecondFactor(tx, userID, req.Code); err != nil {
			return err
		}
		if challenge != "" {
			q := `DELETE FROM login_challenges WHERE token_hash = $1`
			if method == "" {
				q = `UPDATE login_challenges SET attempts = attempts + 1 WHERE token_hash = $1`
			}
			if _, err := tx.Exec(q, hashToken(challenge)); err != nil {
				return err
			}
			if _, err := tx.Exec(`DELETE FROM login_challenges WHERE token_hash = $1 AND attempts >= $2`, hashToken(challenge), ChallengeAttempts); err != nil {
				return err
			}
		}
		if method == "" {
			return auditFailure(tx, userID, req, "bad_second_factor")
		}
		return nil
	})
	if err != nil {
		return "", apperr.Internalf("identity: second factor", err)
	}
	if method == "" {
		return "", apperr.E(apperr.Unauthenticated, "auth.second_factor_wrong")
	}
	return method, nil
}

// refuse audits a refused login (the attempt stays counted) and answers why.
func (s *Service) refuse(ctx context.Context, userID string, req LoginRequest, reason string, why error) error {
	if err := s.db.Update(ctx, func(tx *db.Tx) error { return auditFailure(tx, userID, req, reason) }); err != nil {
		return apperr.Internalf("identity: login", err)
	}
	return why
}

// open opens the session of a successful login.
func (s *Service) open(ctx context.Context, a *attempt, u *User, req LoginRequest, method string) (*LoginResult, error) {
	res := &LoginResult{Token: randomToken(), User: u, Session: &Session{Kind: req.Kind, UserID: u.ID, CSRFToken: randomToken()}}
	sess := res.Session
	err := s.db.Update(ctx, func(tx *db.Tx) error {
		max := s.Sessions.WebMax
		if req.Kind == SessionAPI {
			max = s.Sessions.APIMax
		}
		sess.CreatedAt, sess.LastSeenAt, sess.ExpiresAt = tx.Now, tx.Now, tx.Now.Add(max)
		if err := succeed(tx, s.Throttle, a, req.IP, req.Device); err != nil {
			return err
		}
		// Expired sessions are swept here, where a write happens anyway.
		if _, err := tx.Exec(`DELETE FROM sessions WHERE expires_at < $1`, tx.Now); err != nil {
			return err
		}
		if _, err := tx.Exec(`INSERT INTO sessions (token_hash, user_id, kind, csrf_token, created_at, last_seen_at, expires_at, ip, user_agent)
			VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8)`,
			hashToken(res.Token), u.ID, string(req.Kind), sess.CSRFToken, tx.Now, sess.ExpiresAt, req.IP, truncate(req.UserAgent, 300)); err != nil {
			return err
		}
		return auditLogin(tx, u.ID, req, method)
	})
	if err != nil {
		return nil, apperr.Internalf("identity: open session", err)
	}
	return res, nil
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
		// The session, its user and the user's roles in one statement
		// (issue 20: every request pays for it); then, for a person, the
		// enterprises they act for.
		rows, err := tx.Query(`SELECT s.kind, s.user_id, s.csrf_token, s.created_at, s.last_seen_at, s.expires_at, `+userColumns+`,
			`+grantColumns+`
			FROM sessions s JOIN users u ON u.id = s.user_id `+grantJoins+`
			WHERE s.token_hash = $1 ORDER BY g.created_at, g.id`, th)
		if err != nil {
			return err
		}
		defer rows.Close()
		var k, userKind string
		user := &User{}
		for rows.Next() {
			var g grantRow
			if err := rows.Scan(append(append([]any{&k, &sess.UserID, &sess.CSRFToken, &sess.CreatedAt, &sess.LastSeenAt, &sess.ExpiresAt},
				user.targets(&userKind)...), g.targets()...)...); err != nil {
				return err
			}
			if g.role.Valid {
				user.Grants = append(user.Grants, g.grant())
			}
			u = user
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()
		if u == nil {
			return apperr.E(apperr.NotFound, "auth.session_expired")
		}
		sess.Kind = SessionKind(k)
		if sess.Kind != kind {
			return apperr.E(apperr.NotFound, "auth.session_expired")
		}
		u.Kind = Kind(userKind)
		return loadEnterprises(tx, u)
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
