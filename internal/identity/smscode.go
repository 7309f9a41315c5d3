package identity

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"math/big"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
)

// SMS codes (短信验证码) prove that the person in front of the form holds a
// mobile number: at registration, for signing in and resetting a password
// by SMS, and where a person confirms something (a mandate) from their
// phone. A code is six random digits, valid for one number and one purpose,
// for CodePolicy.TTL, used once; only the newest code of a number and
// purpose counts (asking again voids the last); CodePolicy.Attempts wrong
// guesses void it. Only a keyed hash of a code is stored.
//
// Codes are sent at once through the Texter, not through the outbox: a code
// that arrives after it expired is useless, so a failed send is answered
// as such ("try again") instead of being retried for hours.

// CodePurpose is what an SMS code proves.
type CodePurpose string

// The purposes of SMS codes.
const (
	CodeRegister CodePurpose = "register" // a new account's number
	CodeLogin    CodePurpose = "login"    // signing in by SMS code
	CodeReset    CodePurpose = "reset"    // resetting the password
	CodePhone    CodePurpose = "phone"    // changing the account's number
	CodeMandate  CodePurpose = "mandate"  // a person confirming a mandate (授权委托)
)

// Valid reports whether p is one of the purposes.
func (p CodePurpose) Valid() bool {
	switch p {
	case CodeRegister, CodeLogin, CodeReset, CodePhone, CodeMandate:
		return true
	}
	return false
}

// Texter sends one short message now. kind names the notification template
// (notify.Kinds) and args fill it; idemKey is the same for a retry of the
// same message.
type Texter interface {
	Text(ctx context.Context, phone, kind string, args map[string]any, idemKey string) error
}

// CodePolicy bounds SMS codes: how long one lives, how soon a number may
// ask again, how many a number may ask for per hour and per day and an
// address per hour, and how many wrong guesses void one.
type CodePolicy struct {
	TTL, Gap                             time.Duration
	PerPhoneHour, PerPhoneDay, PerIPHour int
	Attempts                             int
}

// DefaultCodes: five minutes, one a minute, 5 an hour and 10 a day per
// number (what gateways themselves allow by default), 30 an hour per
// address (a hall's shared address serves many people), 5 guesses.
var DefaultCodes = CodePolicy{TTL: 5 * time.Minute, Gap: time.Minute, PerPhoneHour: 5, PerPhoneDay: 10, PerIPHour: 30, Attempts: 5}

// DemoCodes are the demo's (its texts go to /demo/sms): a code every 5
// seconds, so that one number can register, sign in and reset at once.
var DemoCodes = CodePolicy{TTL: 5 * time.Minute, Gap: 5 * time.Second, PerPhoneHour: 20, PerPhoneDay: 40, PerIPHour: 100, Attempts: 5}

// purposePhone binds sealed and indexed account phones to their column.
const purposePhone = "account.phone"

// PurposeContactPhone is deliver.PurposePhone (contacts.phone_sealed): a
// verified number becomes the account's SMS contact too.
const PurposeContactPhone = "contacts.phone"

// PhoneIndex is the keyed hash a mobile number is found by (already parsed
// by codes.ParseMobile).
func (s *Service) PhoneIndex(phone string) string { return s.vault.Index(phone, purposePhone) }

// CodeRequest asks for an SMS code to Phone for Purpose from address IP.
// With Registered, the code is sent only if Phone is an account's verified
// number — and the answer is the same when it is not (no oracle of who is
// registered), the request counted all the same.
type CodeRequest struct {
	Phone      string
	Purpose    CodePurpose
	IP         string
	Registered bool
	// Args are extra template arguments (a mandate's agent and scope).
	Args map[string]any
	// Kind is the template (default verify_code).
	Kind string
}

// SendCode makes a code for r and texts it. Returns the number masked (to
// show "sent to 138****8000"); Invalid codes.mobile for a malformed number,
// TooMany auth.code_throttled past a limit, Unavailable auth.sms_unavailable
// without an SMS gateway or auth.sms_failed when the gateway refused.
func (s *Service) SendCode(ctx context.Context, r CodeRequest) (string, error) {
	phone, err := codes.ParseMobile(r.Phone)
	if err != nil {
		return "", err
	}
	if !r.Purpose.Valid() {
		return "", apperr.E(apperr.Invalid, "auth.code_purpose")
	}
	if s.Texter == nil {
		return "", apperr.E(apperr.Unavailable, "auth.sms_unavailable")
	}
	p := s.codePolicy()
	idx := s.PhoneIndex(phone)
	id, code := db.NewID(), randomDigits(6)
	send := true
	err = s.db.Update(ctx, func(tx *db.Tx) error {
		if err := codeThrottled(tx, p, idx, r.IP); err != nil {
			return err
		}
		hash := s.codeHash(id, code)
		if r.Registered {
			var uid string
			err := tx.QueryRow(`SELECT user_id FROM account_phones WHERE phone_index = $1`, idx).Scan(&uid)
			if errors.Is(err, sql.ErrNoRows) {
				send, hash = false, "" // counted, never verifies
			} else if err != nil {
				return err
			}
		}
		_, err := tx.Exec(`INSERT INTO sms_codes (id, phone_index, purpose, code_hash, ip, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, id, idx, string(r.Purpose), hash, r.IP, tx.Now, tx.Now.Add(p.TTL))
		return err
	})
	if err != nil {
		return "", apperr.Internalf("identity: sms code", err)
	}
	masked := codes.MaskMobile(phone)
	if !send {
		return masked, nil
	}
	kind := r.Kind
	if kind == "" {
		kind = "verify_code"
	}
	args := map[string]any{"otp": code, "minutes": int(p.TTL.Minutes())}
	for k, v := range r.Args {
		args[k] = v
	}
	if err := s.Texter.Text(ctx, phone, kind, args, id+":sms"); err != nil {
		// The code was never seen: void it so that it counts but cannot verify.
		_ = s.db.Update(context.WithoutCancel(ctx), func(tx *db.Tx) error {
			_, err := tx.Exec(`UPDATE sms_codes SET used_at = $1 WHERE id = $2`, tx.Now, id)
			return err
		})
		return "", apperr.E(apperr.Unavailable, "auth.sms_failed")
	}
	return masked, nil
}

// codeThrottled refuses a request past a limit, naming the wait.
func codeThrottled(tx *db.Tx, p CodePolicy, idx, ip string) error {
	var hour, day int
	if err := tx.QueryRow(`SELECT COUNT(CASE WHEN created_at > $2 THEN 1 END), COUNT(*)
		FROM sms_codes WHERE phone_index = $1 AND created_at > $3`, idx, tx.Now.Add(-time.Hour), tx.Now.Add(-24*time.Hour)).
		Scan(&hour, &day); err != nil {
		return err
	}
	var last sql.NullTime
	if day > 0 {
		if err := tx.QueryRow(`SELECT created_at FROM sms_codes WHERE phone_index = $1 ORDER BY created_at DESC LIMIT 1`, idx).Scan(&last); err != nil {
			return err
		}
	}
	wait := time.Duration(0)
	if last.Valid && tx.Now.Sub(last.Time) < p.Gap {
		wait = p.Gap - tx.Now.Sub(last.Time)
	}
	if hour >= p.PerPhoneHour || day >= p.PerPhoneDay {
		return apperr.E(apperr.TooMany, "auth.code_throttled_phone")
	}
	if wait > 0 {
		return apperr.E(apperr.TooMany, "auth.code_throttled", "seconds", int(math.Ceil(wait.Seconds())))
	}
	if ip != "" {
		var n int
		if err := tx.QueryRow(`SELECT COUNT(*) FROM sms_codes WHERE ip = $1 AND created_at > $2`, ip, tx.Now.Add(-time.Hour)).Scan(&n); err != nil {
			return err
		}
		if n >= p.PerIPHour {
			return apperr.E(apperr.TooMany, "auth.code_throttled_ip")
		}
	}
	return nil
}

// UseCode checks code against the newest code of phone for purpose and,
// when it matches, uses it up and runs fn in the same transaction (what the
// code proves and what it allows happen together, or neither). fn gets the
// number parsed. Errors: codes.mobile, auth.code_missing (none asked for),
// auth.code_used, auth.code_expired, auth.code_locked (too many wrong
// guesses: ask for a new one), auth.code_wrong (with the guesses left, the
// wrong guess counted although fn's transaction rolled back).
func (s *Service) UseCode(ctx context.Context, phone string, purpose CodePurpose, code string, fn func(tx *db.Tx, phone string) error) error {
	phone, err := codes.ParseMobile(phone)
	if err != nil {
		return err
	}
	p := s.codePolicy()
	idx := s.PhoneIndex(phone)
	var wrongID string
	err = s.db.Update(ctx, func(tx *db.Tx) error {
		wrongID = ""
		var id, hash string
		var attempts int
		var expires time.Time
		var used sql.NullTime
		err := tx.QueryRow(`SELECT id, code_hash, attempts, expires_at, used_at FROM sms_codes
			WHERE phone_index = $1 AND purpose = $2 ORDER BY created_at DESC, id DESC LIMIT 1`, idx, string(purpose)).
			Scan(&id, &hash, &attempts, &expires, &used)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return apperr.E(apperr.Invalid, "auth.code_missing")
		case err != nil:
			return err
		case used.Valid:
			return apperr.E(apperr.Invalid, "auth.code_used")
		case !tx.Now.Before(expires):
			return apperr.E(apperr.Invalid, "auth.code_expired")
		case attempts >= p.Attempts:
			return apperr.E(apperr.TooMany, "auth.code_locked")
		}
		if len(code) != 6 || hash == "" || subtle.ConstantTimeCompare([]byte(hash), []byte(s.codeHash(id, code))) != 1 {
			wrongID = id
			return apperr.E(apperr.Invalid, "auth.code_wrong", "left", max(p.Attempts-attempts-1, 0))
		}
		res, err := tx.Exec(`UPDATE sms_codes SET used_at = $1 WHERE id = $2 AND used_at IS NULL`, tx.Now, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.E(apperr.Invalid, "auth.code_used") // used by a request racing this one
		}
		return fn(tx, phone)
	})
	if wrongID != "" {
		if uerr := s.db.Update(context.WithoutCancel(ctx), func(tx *db.Tx) error {
			_, err := tx.Exec(`UPDATE sms_codes SET attempts = attempts + 1 WHERE id = $1`, wrongID)
			return err
		}); uerr != nil {
			return apperr.Internalf("identity: count wrong code", uerr)
		}
	}
	return apperr.Internalf("identity: use code", err)
}

func (s *Service) codePolicy() CodePolicy {
	if s.Codes.TTL == 0 {
		return DefaultCodes
	}
	return s.Codes
}

// codeHash binds a code to its row: the same digits hash differently in
// every row, and a copy of the table is no list of codes.
func (s *Service) codeHash(id, code string) string {
	return s.vault.Index(id+":"+code, "sms_codes.code")
}

// randomDigits is n decimal digits from the system's CSPRNG.
func randomDigits(n int) string {
	v, err := rand.Int(rand.Reader, big.NewInt(int64(math.Pow10(n))))
	if err != nil {
		panic(err) // crypto/rand does not fail on supported systems
	}
	return fmt.Sprintf("%0*d", n, v)
}

// SetAccountPhoneTx records phone (parsed) as u's verified number, in the
// caller's transaction (after UseCode proved it): it signs in and resets
// the password by SMS, and becomes the account's SMS contact (switched on).
// Conflict auth.phone_taken when another account holds it.
func (s *Service) SetAccountPhoneTx(tx *db.Tx, userID, phone string) error {
	masked := codes.MaskMobile(phone)
	_, err := tx.Exec(`INSERT INTO account_phones (user_id, phone_index, phone_sealed, phone_masked, verified_at)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (user_id) DO UPDATE SET phone_index = excluded.phone_index, phone_sealed = excluded.phone_sealed,
		phone_masked = excluded.phone_masked, verified_at = excluded.verified_at`,
		userID, s.PhoneIndex(phone), s.vault.SealText(phone, purposePhone), masked, tx.Now)
	if db.IsUniqueViolation(err) {
		return apperr.E(apperr.Conflict, "auth.phone_taken")
	}
	if err != nil {
		return err
	}
	_, err = tx.Exec(`INSERT INTO contacts (user_id, phone_sealed, phone_masked, sms, updated_at) VALUES ($1, $2, $3, TRUE, $4)
		ON CONFLICT (user_id) DO UPDATE SET phone_sealed = excluded.phone_sealed, phone_masked = excluded.phone_masked,
		sms = TRUE, updated_at = excluded.updated_at`,
		userID, s.vault.SealText(phone, PurposeContactPhone), masked, tx.Now)
	return err
}

// UserIDByPhoneTx finds the account whose verified number is phone
// (parsed); NotFound auth.phone_unknown.
func (s *Service) UserIDByPhoneTx(tx *db.Tx, phone string) (string, error) {
	var id string
	err := tx.QueryRow(`SELECT user_id FROM account_phones WHERE phone_index = $1`, s.PhoneIndex(phone)).Scan(&id)
	return id, db.NotFound(err, "auth.phone_unknown")
}

// AccountPhone is u's verified number, masked ("" when none).
func (s *Service) AccountPhone(ctx context.Context, userID string) (string, error) {
	var m string
	err := s.db.View(ctx, func(tx *db.Tx) error {
		err := tx.QueryRow(`SELECT phone_masked FROM account_phones WHERE user_id = $1`, userID).Scan(&m)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		return err
	})
	return m, apperr.Internalf("identity: account phone", err)
}

// AccountPhoneNumberTx unseals userID's verified number inside tx ("" when
// none): to text a code to an account holder (a mandate's principal).
func (s *Service) AccountPhoneNumberTx(tx *db.Tx, userID string) (string, error) {
	var sealed string
	err := tx.QueryRow(`SELECT phone_sealed FROM account_phones WHERE user_id = $1`, userID).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return s.vault.OpenText(sealed, purposePhone)
}
