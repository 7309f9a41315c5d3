package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base32"
	"encoding/hex"
	"net/url"
	"strings"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/db"
)

// A second factor for the accounts that can change the platform or read
// all of it (等保 2.0 level 3 asks two factors of administrators; OWASP ASVS
// 4.0 V2.8): TOTP (RFC 6238, 30-second steps, 6 digits, SHA-1 — what every
// authenticator app reads from the QR code), with the arithmetic of
// github.com/pquerna/otp, and ten one-time recovery codes.

// SecondFactorRoles must log in with a second factor.
var SecondFactorRoles = []Role{RoleAdmin, RoleSupervisor}

// NeedsSecondFactor reports whether u must log in with a second factor.
func (u *User) NeedsSecondFactor() bool { return u.HasAny(SecondFactorRoles...) }

// MustEnrol reports whether u must enrol a second factor before anything else.
func (u *User) MustEnrol() bool { return u.NeedsSecondFactor() && !u.SecondFactor }

// DemoTOTPSecret is the second factor of the demo's administrator and
// supervisor (printed by `tongban demo` and in the README), so the demo stays
// usable. Changing the account's password removes it: the next login enrols
// a secret of the user's own.
const DemoTOTPSecret = "TONGBANDEMOTOTPSECRETFORADMINS22"

// TOTPIssuer names the platform in authenticator apps.
const TOTPIssuer = "Tongban 通办"

// purposeTOTP binds sealed TOTP secrets to their column.
const purposeTOTP = "users.totp"

// RecoveryCodeCount is how many recovery codes an enrolment gives.
const RecoveryCodeCount = 10

var totpOpts = hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

const totpPeriod = 30

// Enrolment is a second factor being set up: the secret to type in, and
// the otpauth:// URL its QR code carries.
type Enrolment struct {
	Secret string
	URL    string
}

// BeginEnrolment makes u a new TOTP secret, kept sealed as pending until a
// code from it is confirmed. Conflict (auth.second_factor_enrolled) when u
// has one already: a second factor is replaced only after a reset.
// A pending secret is kept until confirmed, so reloading the page shows
// the same QR code.
func (s *Service) BeginEnrolment(ctx context.Context, u *User) (*Enrolment, error) {
	var secret string
	err := s.db.Update(ctx, func(tx *db.Tx) error {
		var pending []byte
		var enrolled sql.NullTime
		if err := tx.QueryRow(`SELECT totp_pending, totp_enrolled_at FROM users WHERE id = $1`, u.ID).Scan(&pending, &enrolled); err != nil {
			return db.NotFound(err, "auth.user_unknown", "username", u.Username)
		}
		if enrolled.Valid {
			return apperr.E(apperr.Conflict, "auth.second_factor_enrolled")
		}
		if pending != nil {
			var err error
			secret, err = s.vault.Open(pending, purposeTOTP)
			return err
		}
		key, err := totp.Generate(totp.GenerateOpts{Issuer: TOTPIssuer, AccountName: u.Username})
		if err != nil {
			return err
		}
		secret = key.Secret()
		_, err = tx.Exec(`UPDATE users SET totp_pending = $1 WHERE id = $2`, s.vault.Seal(secret, purposeTOTP), u.ID)
		return err
	})
	if err != nil {
		return nil, apperr.Internalf("identity: begin enrolment", err)
	}
	key, err := otp.NewKeyFromURL(otpauthURL(u.Username, secret))
	if err != nil {
		return nil, apperr.Internalf("identity: totp url", err)
	}
	return &Enrolment{Secret: secret, URL: key.URL()}, nil
}

// EnrolSecondFactorTx gives userID, in the caller's transaction, the TOTP
// secret (a new one when secret is "") as its confirmed second factor and
// answers the enrolment and the recovery codes, shown this once. For an
// account created at a terminal (`tongban setup` prints the QR code and the
// codes to the operator who chose the password): no web enrolment follows.
// Audited as any enrolment.
func (s *Service) EnrolSecondFactorTx(tx *db.Tx, userID, username, secret string) (*Enrolment, []string, error) {
	if secret == "" {
		key, err := totp.Generate(totp.GenerateOpts{Issuer: TOTPIssuer, AccountName: username})
		if err != nil {
			return nil, nil, err
		}
		secret = key.Secret()
	}
	if _, err := tx.Exec(`UPDATE users SET totp_sealed = $1, totp_pending = NULL, totp_enrolled_at = $2, totp_last_step = 0, updated_at = $2 WHERE id = $3`,
		s.vault.Seal(secret, purposeTOTP), tx.Now, userID); err != nil {
		return nil, nil, err
	}
	codes, err := newRecoveryCodes(tx, userID)
	if err != nil {
		return nil, nil, err
	}
	if err := audit.Append(tx, &audit.Record{Action: "auth.second_factor_enrolled", ObjectType: "user", ObjectID: userID}, []byte(`{"method":"totp","by":"setup"}`)); err != nil {
		return nil, nil, err
	}
	return &Enrolment{Secret: secret, URL: otpauthURL(username, secret)}, codes, nil
}

// otpauthURL is the key URI authenticator apps read from the QR code.
func otpauthURL(account, secret string) string {
	v := url.Values{"secret": {secret}, "issuer": {TOTPIssuer}, "algorithm": {"SHA1"}, "digits": {"6"}, "period": {"30"}}
	return (&url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + TOTPIssuer + ":" + account, RawQuery: v.Encode()}).String()
}

// ConfirmEnrolment checks a code from the pending secret, makes it u's
// second factor and answers the recovery codes, shown this once (only
// their hashes are kept). Invalid (auth.second_factor_wrong) for a wrong
// code; the enrolment is audited.
func (s *Service) ConfirmEnrolment(ctx context.Context, u *User, code string) ([]string, error) {
	var codes []string
	err := s.db.Update(ctx, func(tx *db.Tx) error {
		var pending []byte
		var enrolled sql.NullTime
		if err := tx.QueryRow(`SELECT totp_pending, totp_enrolled_at FROM users WHERE id = $1`, u.ID).Scan(&pending, &enrolled); err != nil {
			return err
		}
		if enrolled.Valid {
			return apperr.E(apperr.Conflict, "auth.second_factor_enrolled")
		}
		if pending == nil {
			return apperr.E(apperr.Invalid, "auth.second_factor_wrong")
		}
		secret, err := s.vault.Open(pending, purposeTOTP)
		if err != nil {
			return err
		}
		step, ok := matchTOTP(secret, normaliseCode(code), tx.Now.Unix()/totpPeriod, 0)
		if !ok {
			return apperr.E(apperr.Invalid, "auth.second_factor_wrong")
		}
		if _, err := tx.Exec(`UPDATE users SET totp_sealed = totp_pending, totp_pending = NULL, totp_enrolled_at = $1, totp_last_step = $2, updated_at = $1 WHERE id = $3`,
			tx.Now, step, u.ID); err != nil {
			return err
		}
		if codes, err = newRecoveryCodes(tx, u.ID); err != nil {
			return err
		}
		return audit.Append(tx, &audit.Record{Actor: u.ID, Action: "auth.second_factor_enrolled", ObjectType: "user", ObjectID: u.ID}, []byte(`{"method":"totp"}`))
	})
	if err != nil {
		return nil, apperr.Internalf("identity: confirm enrolment", err)
	}
	return codes, nil
}

// ResetSecondFactor removes username's second factor and recovery codes
// (a lost phone); the account enrols again at its next login, and its
// sessions end. Audited.
func (s *Service) ResetSecondFactor(ctx context.Context, username string) error {
	return apperr.Internalf("identity: reset second factor", s.db.Update(ctx, func(tx *db.Tx) error {
		var id string
		if err := tx.QueryRow(`SELECT id FROM users WHERE username = $1`, username).Scan(&id); err != nil {
			return db.NotFound(err, "auth.user_unknown", "username", username)
		}
		if err := clearSecondFactor(tx, id); err != nil {
			return err
		}
		if _, err := tx.Exec(`DELETE FROM sessions WHERE user_id = $1`, id); err != nil {
			return err
		}
		return audit.Append(tx, &audit.Record{Action: "auth.second_factor_reset", ObjectType: "user", ObjectID: id}, nil)
	}))
}

func clearSecondFactor(tx *db.Tx, userID string) error {
	if _, err := tx.Exec(`UPDATE users SET totp_sealed = NULL, totp_pending = NULL, totp_enrolled_at = NULL, totp_last_step = 0 WHERE id = $1`, userID); err != nil {
		return err
	}
	_, err := tx.Exec(`DELETE FROM recovery_codes WHERE user_id = $1`, userID)
	return err
}

// EnrolDemoSecondFactor gives a demo account that needs a second factor
// and has none the demo's fixed secret (DemoTOTPSecret). Accounts whose
// password is no longer the demo's are left alone.
func (s *Service) EnrolDemoSecondFactor(ctx context.Context, username string) error {
	u, err := s.UserByUsername(ctx, username)
	if err != nil || !u.MustEnrol() {
		return err
	}
	return apperr.Internalf("identity: demo second factor", s.db.Update(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(`UPDATE users SET totp_sealed = $1, totp_pending = NULL, totp_enrolled_at = $2 WHERE id = $3 AND password_default = $4 AND totp_enrolled_at IS NULL`,
			s.vault.Seal(DemoTOTPSecret, purposeTOTP), tx.Now, u.ID, true)
		return err
	}))
}

// dropDemoSecondFactor removes the demo's fixed secret from an account
// whose password changes: the secret is public.
func (s *Service) dropDemoSecondFactor(tx *db.Tx, userID string) error {
	var sealed []byte
	if err := tx.QueryRow(`SELECT totp_sealed FROM users WHERE id = $1`, userID).Scan(&sealed); err != nil || sealed == nil {
		return err
	}
	if secret, err := s.vault.Open(sealed, purposeTOTP); err == nil && secret == DemoTOTPSecret {
		return clearSecondFactor(tx, userID)
	}
	return nil
}

// normaliseCode drops the spaces and hyphens people type or copy.
func normaliseCode(code string) string {
	return strings.ToLower(strings.NewReplacer(" ", "", "-", "", "\t", "").Replace(code))
}

// matchTOTP finds the time step within one of now (clock drift) whose code
// is code and that is later than last; RFC 6238 §5.2: a code once accepted
// is never accepted again.
func matchTOTP(secret, code string, now, last int64) (int64, bool) {
	if len(code) != 6 {
		return 0, false
	}
	for step := now - 1; step <= now+1; step++ {
		if step <= last || step < 0 {
			continue
		}
		if ok, err := hotp.ValidateCustom(code, uint64(step), secret, totpOpts); err == nil && ok {
			return step, true
		}
	}
	return 0, false
}

// checkSecondFactor checks code for userID in tx: a TOTP code (its step
// recorded, so it cannot be replayed) or an unused recovery code (marked
// used). It answers how ("totp", "recovery") or "" when neither.
func (s *Service) checkSecondFactor(tx *db.Tx, userID, code string) (string, error) {
	code = normaliseCode(code)
	if len(code) == 6 {
		var sealed []byte
		var last int64
		if err := tx.QueryRow(`SELECT totp_sealed, totp_last_step FROM users WHERE id = $1`, userID).Scan(&sealed, &last); err != nil {
			return "", err
		}
		if sealed == nil {
			return "", nil
		}
		secret, err := s.vault.Open(sealed, purposeTOTP)
		if err != nil {
			return "", err
		}
		step, ok := matchTOTP(secret, code, tx.Now.Unix()/totpPeriod, last)
		if !ok {
			return "", nil
		}
		// Conditional, so that two replicas never both accept one step.
		res, err := tx.Exec(`UPDATE users SET totp_last_step = $1 WHERE id = $2 AND totp_last_step < $1`, step, userID)
		if err != nil {
			return "", err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return "", nil
		}
		return "totp", nil
	}
	if len(code) != recoveryLen {
		return "", nil
	}
	res, err := tx.Exec(`UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL`, tx.Now, userID, hashRecovery(code))
	if err != nil {
		return "", err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return "", nil
	}
	if err := audit.Append(tx, &audit.Record{Actor: userID, Action: "auth.recovery_code_used", ObjectType: "user", ObjectID: userID}, nil); err != nil {
		return "", err
	}
	return "recovery", nil
}

// Recovery codes are 16 base32 characters (80 random bits), shown in groups
// of four; so much entropy needs no slow hash.
const recoveryLen = 16

var recoveryEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

func hashRecovery(code string) string {
	h := sha256.Sum256([]byte(code))
	return hex.EncodeToString(h[:])
}

// newRecoveryCodes replaces userID's recovery codes with fresh ones.
func newRecoveryCodes(tx *db.Tx, userID string) ([]string, error) {
	if _, err := tx.Exec(`DELETE FROM recovery_codes WHERE user_id = $1`, userID); err != nil {
		return nil, err
	}
	var out []string
	for range RecoveryCodeCount {
		b := make([]byte, 10)
		rand.Read(b)
		c := strings.ToLower(recoveryEncoding.EncodeToString(b))
		if _, err := tx.Exec(`INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)`, userID, hashRecovery(c)); err != nil {
			return nil, err
		}
		out = append(out, c[0:4]+"-"+c[4:8]+"-"+c[8:12]+"-"+c[12:16])
	}
	return out, nil
}
