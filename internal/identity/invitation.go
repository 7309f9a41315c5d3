package identity

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/db"
)

// Invitation links (邀请链接, issue 15): instead of a one-time password an
// administrator may give a staff account a link, /invite/{token}, with which
// its person sets their own password. The rules:
//
//   - The token is 256 random bits; only its SHA-256 is stored. It is shown
//     once, to the administrator who issued it.
//   - It lasts its TTL (DefaultInvitationTTL, MinInvitationTTL to
//     MaxInvitationTTL) and is used once. Issuing another for the account,
//     resetting its password or revoking it ends the one still open.
//   - A link that is unknown, expired, used or revoked (or whose account is
//     disabled) answers NotFound with its reason and never names the
//     account. Unknown tokens are guesses: each counts against the address
//     (invite:ADDR in login_throttle), and past InvitationGuesses in the
//     login throttle's IPWindow the address waits for the window to end.
//   - Using it sets the password (the password policy of every account),
//     lifts the must-change flag and ends the account's sessions; the
//     person then logs in, and an account whose roles need a second factor
//     is sent to enrol it as at any first login.
//   - Issue, use and revocation are audit records: staff.invitation_create
//     and staff.invitation_revoke naming the administrator,
//     staff.invitation_use naming the person.

// Invitation TTLs.
const (
	DefaultInvitationTTL = 72 * time.Hour
	MinInvitationTTL     = time.Hour
	MaxInvitationTTL     = 168 * time.Hour
)

// InvitationGuesses is how many unknown tokens an address may try in the
// login throttle's IPWindow.
const InvitationGuesses = 20

// Invitation is an issued link's token, shown once, and its end.
type Invitation struct {
	Token     string    `json:"-"`
	Path      string    `json:"path"`
	ExpiresAt time.Time `json:"expires_at"`
}

// InvitationPath is the page of a token.
func InvitationPath(token string) string { return "/invite/" + token }

// InvitationTTL checks a TTL in hours (0: the default).
func InvitationTTL(hours int) (time.Duration, error) {
	if hours == 0 {
		return DefaultInvitationTTL, nil
	}
	ttl := time.Duration(hours) * time.Hour
	if hours < 0 || ttl < MinInvitationTTL || ttl > MaxInvitationTTL {
		return 0, apperr.E(apperr.Invalid, "invite.ttl", "field", "invite_ttl_hours", "min", int(MinInvitationTTL.Hours()), "max", int(MaxInvitationTTL.Hours()))
	}
	return ttl, nil
}

// issueInvitation revokes account id's open links and writes a new one.
func issueInvitation(tx *db.Tx, by *User, id string, ttl time.Duration) (*Invitation, error) {
	if _, err := revokeInvitations(tx, by, id, "reissued"); err != nil {
		return nil, err
	}
	token := randomToken()
	inv := &Invitation{Token: token, Path: InvitationPath(token), ExpiresAt: tx.Now.Add(ttl)}
	if _, err := tx.Exec(`INSERT INTO staff_invitations (id, user_id, token_hash, created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		db.NewID(), id, hashToken(token), by.ID, tx.Now, inv.ExpiresAt); err != nil {
		return nil, err
	}
	return inv, staffAudit(tx, by, "staff.invitation_create", id, map[string]any{"expires_at": inv.ExpiresAt.UTC().Format(time.RFC3339)})
}

// revokeInvitations ends account id's open links (why: "reissued",
// "password_reset", "revoked"), audited when there was one.
func revokeInvitations(tx *db.Tx, by *User, id, why string) (bool, error) {
	res, err := tx.Exec(`UPDATE staff_invitations SET revoked_at = $1 WHERE user_id = $2 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $1`, tx.Now, id)
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	return true, staffAudit(tx, by, "staff.invitation_revoke", id, map[string]any{"reason": why})
}

// InviteStaffAccount creates a staff account as CreateStaffAccount does,
// but with an invitation link instead of a one-time password: its password
// is random and told to nobody until the person sets theirs with the link.
func (s *Service) InviteStaffAccount(ctx context.Context, by *User, root string, in StaffInput, ttl time.Duration) (*User, *Invitation, error) {
	if ttl < MinInvitationTTL || ttl > MaxInvitationTTL {
		return nil, nil, apperr.E(apperr.Invalid, "invite.ttl", "field", "invite_ttl_hours", "min", int(MinInvitationTTL.Hours()), "max", int(MaxInvitationTTL.Hours()))
	}
	var inv *Invitation
	u, err := s.createStaff(ctx, by, root, in, randomToken(), func(tx *db.Tx, id string) (err error) {
		inv, err = issueInvitation(tx, by, id, ttl)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return u, inv, nil
}

// IssueStaffInvitation gives account id a new invitation link (its open one
// is revoked), under the rules of every change of the account.
func (s *Service) IssueStaffInvitation(ctx context.Context, by *User, root, id string, ttl time.Duration) (*Invitation, error) {
	if ttl < MinInvitationTTL || ttl > MaxInvitationTTL {
		return nil, apperr.E(apperr.Invalid, "invite.ttl", "field", "invite_ttl_hours", "min", int(MinInvitationTTL.Hours()), "max", int(MaxInvitationTTL.Hours()))
	}
	var inv *Invitation
	err := s.db.Update(ctx, func(tx *db.Tx) error {
		if _, err := manage(tx, by, root, id); err != nil {
			return err
		}
		if err := notSelf(by, id); err != nil {
			return err
		}
		var err error
		inv, err = issueInvitation(tx, by, id, ttl)
		return err
	})
	if err != nil {
		return nil, apperr.Internalf("identity: issue invitation", err)
	}
	return inv, nil
}

// RevokeStaffInvitation ends account id's open invitation link; NotFound
// (invite.none) when it has none.
func (s *Service) RevokeStaffInvitation(ctx context.Context, by *User, root, id string) error {
	return apperr.Internalf("identity: revoke invitation", s.db.Update(ctx, func(tx *db.Tx) error {
		if _, err := manage(tx, by, root, id); err != nil {
			return err
		}
		if err := notSelf(by, id); err != nil {
			return err
		}
		ok, err := revokeInvitations(tx, by, id, "revoked")
		if err != nil {
			return err
		}
		if !ok {
			return apperr.E(apperr.NotFound, "invite.none")
		}
		return nil
	}))
}

// StaffInvitationOpen says until when account id's link is open (zero: none).
func (s *Service) StaffInvitationOpen(ctx context.Context, id string) (time.Time, error) {
	var until time.Time
	err := s.db.View(ctx, func(tx *db.Tx) error {
		err := tx.QueryRow(`SELECT expires_at FROM staff_invitations WHERE user_id = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $2`, id, tx.Now).Scan(&until)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		return err
	})
	return until, apperr.Internalf("identity: invitation", err)
}

// Invited is what an open link's page shows its person.
type Invited struct {
	Username  string
	Name      string
	ExpiresAt time.Time
}

// invitation finds token's open link, counting an unknown token against ip.
// The second answer is the refusal to show (the transaction commits the
// count); the first error is the database's.
func (s *Service) invitation(tx *db.Tx, token, ip string) (userID string, inv *Invited, refusal error, err error) {
	key := "invite:" + ip
	q := `SELECT failures, window_start FROM login_throttle WHERE key = $1`
	if tx.Dialect == db.Postgres {
		q += ` FOR UPDATE`
	}
	var n int
	var start time.Time
	err = tx.QueryRow(q, key).Scan(&n, &start)
	exists := err == nil
	if errors.Is(err, sql.ErrNoRows) || (err == nil && tx.Now.Sub(start) >= s.Throttle.IPWindow) {
		n, start, err = 0, tx.Now, nil
	}
	if err != nil {
		return "", nil, nil, err
	}
	if n >= InvitationGuesses {
		wait := start.Add(s.Throttle.IPWindow).Sub(tx.Now)
		return "", nil, apperr.E(apperr.TooMany, "invite.throttled", "minutes", max(1, int(math.Ceil(wait.Minutes())))), nil
	}
	var used, revoked sql.NullTime
	var expires time.Time
	var disabled bool
	inv = &Invited{}
	err = tx.QueryRow(`SELECT i.user_id, i.expires_at, i.used_at, i.revoked_at, u.username, u.display_name, u.disabled
		FROM staff_invitations i JOIN users u ON u.id = i.user_id WHERE i.token_hash = $1`, hashToken(token)).
		Scan(&userID, &expires, &used, &revoked, &inv.Username, &inv.Name, &disabled)
	if errors.Is(err, sql.ErrNoRows) {
		q := `UPDATE login_throttle SET failures = $2, window_start = $3, last_failure_at = $4 WHERE key = $1`
		if !exists {
			q = `INSERT INTO login_throttle (key, failures, window_start, last_failure_at) VALUES ($1, $2, $3, $4)
				ON CONFLICT (key) DO UPDATE SET failures = login_throttle.failures + 1, last_failure_at = excluded.last_failure_at`
		}
		if _, err := tx.Exec(q, key, n+1, start, tx.Now); err != nil {
			return "", nil, nil, err
		}
		return "", nil, apperr.E(apperr.NotFound, "invite.unknown"), nil
	}
	if err != nil {
		return "", nil, nil, err
	}
	inv.ExpiresAt = expires
	switch {
	case used.Valid:
		return "", nil, apperr.E(apperr.NotFound, "invite.used"), nil
	case revoked.Valid:
		return "", nil, apperr.E(apperr.NotFound, "invite.revoked"), nil
	case !tx.Now.Before(expires):
		return "", nil, apperr.E(apperr.NotFound, "invite.expired"), nil
	case disabled:
		return "", nil, apperr.E(apperr.NotFound, "invite.revoked"), nil
	}
	return userID, inv, nil, nil
}

// OpenInvitation is the open link of token for its page; NotFound with the
// reason (invite.unknown, used, revoked, expired) otherwise, TooMany when
// the address has guessed too often.
func (s *Service) OpenInvitation(ctx context.Context, token, ip string) (*Invited, error) {
	var inv *Invited
	var refusal error
	err := s.db.Update(ctx, func(tx *db.Tx) (err error) {
		_, inv, refusal, err = s.invitation(tx, token, ip)
		return err
	})
	if err != nil {
		return nil, apperr.Internalf("identity: open invitation", err)
	}
	return inv, refusal
}

// AcceptInvitation sets the password of token's account (the password
// policy of every account) and uses the link up: the must-change flag is
// lifted and the account's sessions end. It answers the account's user
// name, for the login that follows.
func (s *Service) AcceptInvitation(ctx context.Context, token, ip, password string) (string, error) {
	if err := CheckPasswordPolicy(password, false); err != nil {
		return "", err
	}
	var username string
	var refusal error
	err := s.db.Update(ctx, func(tx *db.Tx) error {
		id, inv, r, err := s.invitation(tx, token, ip)
		if err != nil || r != nil {
			refusal = r
			return err
		}
		// Used once: the row is claimed before anything else is written,
		// so two submissions of the link cannot both set a password.
		res, err := tx.Exec(`UPDATE staff_invitations SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND revoked_at IS NULL`, tx.Now, hashToken(token))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			refusal = apperr.E(apperr.NotFound, "invite.used")
			return nil
		}
		if _, err := tx.Exec(`UPDATE users SET password_hash = $1, password_default = $2, password_must_change = $2, updated_at = $3 WHERE id = $4`,
			HashPassword(password), false, tx.Now, id); err != nil {
			return err
		}
		if err := s.dropDemoSecondFactor(tx, id); err != nil {
			return err
		}
		if _, err := tx.Exec(`DELETE FROM sessions WHERE user_id = $1`, id); err != nil {
			return err
		}
		username = inv.Username
		return audit.Append(tx, &audit.Record{Actor: id, Action: "staff.invitation_use", ObjectType: "user", ObjectID: id}, nil)
	})
	if err != nil {
		return "", apperr.Internalf("identity: accept invitation", err)
	}
	if refusal != nil {
		return "", refusal
	}
	return username, nil
}
