package identity

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
)

// Self-registration, signing in by SMS code and resetting a password by
// SMS (issue 16). A natural person registers with their name, citizen ID
// number, a mobile number proven by an SMS code (CodeRegister) and a
// password; the account is L1 and signs in with its mobile number (or the
// user name it chose) and the password, or with an SMS code.
//
// A citizen ID number already registered is no oracle: the answer has the
// same status and shape as a success (a session token that opens nothing),
// nothing is created, and the holder is told by SMS (account_exists) on
// their verified number if they have one.

// Registration is what a person fills in to register.
type Registration struct {
	Name, IDNumber, Phone, Code, Password string
	// Username is optional: without one the account signs in with its
	// mobile number, and a user name "p" + 12 hex digits is made up.
	Username string
	// The request, for the session opened and the audit record.
	IP, UserAgent, Device string
	Kind                  SessionKind
}

// check validates what needs no database, field by field.
func (r *Registration) check(today time.Time) error {
	r.Name = strings.TrimSpace(r.Name)
	if r.Name == "" {
		return apperr.E(apperr.Invalid, "auth.name_required")
	}
	if len([]rune(r.Name)) > 50 {
		return apperr.E(apperr.Invalid, "auth.name_long")
	}
	cid, err := codes.ParseCitizenID(strings.TrimSpace(r.IDNumber), today)
	if err != nil {
		return err
	}
	r.IDNumber = cid.Number
	phone, err := codes.ParseMobile(r.Phone)
	if err != nil {
		return err
	}
	r.Phone = phone
	r.Username = strings.TrimSpace(r.Username)
	if r.Username != "" {
		if err := CheckUsername(r.Username); err != nil {
			return err
		}
		if _, err := codes.ParseMobile(r.Username); err == nil {
			return apperr.E(apperr.Invalid, "auth.username_mobile") // a name that is a number would shadow one
		}
	}
	if strings.TrimSpace(r.Code) == "" {
		return apperr.E(apperr.Invalid, "auth.code_required")
	}
	return CheckPasswordPolicy(r.Password, false)
}

// Register makes an L1 person account from r in one transaction with the
// use of the SMS code, and signs it in. For an ID number already
// registered it answers a result of the same shape whose token opens
// nothing, creates nothing and texts the holder (account_exists). Errors:
// each field's (auth.name_required, codes.*, auth.username_format,
// auth.password_short …), the code's (auth.code_*), Conflict
// auth.phone_taken (the registrant proved they hold the number) and
// auth.username_taken.
func (s *Service) Register(ctx context.Context, r Registration) (*LoginResult, error) {
	if err := r.check(s.db.Now().In(calendar.China)); err != nil {
		return nil, err
	}
	if r.Kind != SessionAPI {
		r.Kind = SessionWeb
	}
	username := r.Username
	if username == "" {
		b := make([]byte, 6)
		rand.Read(b)
		username = "p" + hex.EncodeToString(b)
	}
	var userID, holder string
	err := s.UseCode(ctx, r.Phone, CodeRegister, strings.TrimSpace(r.Code), func(tx *db.Tx, phone string) error {
		// What may be said is checked before the number, so that its
		// answer does not depend on whether the number is registered.
		if _, err := s.UserIDByPhoneTx(tx, phone); err == nil {
			return apperr.E(apperr.Conflict, "auth.phone_taken")
		} else if apperr.CodeOf(err) != apperr.NotFound {
			return err
		}
		var n int
		if err := tx.QueryRow(`SELECT count(*) FROM users WHERE username = $1`, username).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return apperr.E(apperr.Conflict, "auth.username_taken", "username", username)
		}
		err := tx.QueryRow(`SELECT user_id FROM persons WHERE id_number_index = $1`, s.vault.Index(r.IDNumber, purposeIDNumber)).Scan(&holder)
		if err == nil {
			// Registered already: nothing is made; the attempt is audited
			// against the holder (no number in the record).
			return audit.Append(tx, &audit.Record{Action: "account.register_duplicate", ObjectType: "user", ObjectID: holder},
				[]byte(fmt.Sprintf(`{"ip":%q}`, r.IP)))
		}
		if err := db.NotFound(err, ""); apperr.CodeOf(err) != apperr.NotFound {
			return err
		}
		holder = ""
		if userID, err = s.insertUser(tx, Account{Username: username, Password: r.Password}, KindPerson, r.Name); err != nil {
			return err
		}
		_, err = tx.Exec(`INSERT INTO persons (user_id, name, id_number_index, id_number_masked, id_number_sealed) VALUES ($1, $2, $3, $4, $5)`,
			userID, r.Name, s.vault.Index(r.IDNumber, purposeIDNumber), codes.MaskCitizenID(r.IDNumber), s.vault.Seal(r.IDNumber, purposeIDNumber))
		if db.IsUniqueViolation(err) {
			return apperr.E(apperr.Conflict, "auth.id_number_taken") // a race with the same number: answered as a duplicate
		}
		if err != nil {
			return err
		}
		if err := s.SetAccountPhoneTx(tx, userID, phone); err != nil {
			return err
		}
		return audit.Append(tx, &audit.Record{Actor: userID, Action: "account.register", ObjectType: "user", ObjectID: userID},
			[]byte(fmt.Sprintf(`{"assurance":1,"ip":%q}`, r.IP)))
	})
	if apperr.Is(err, apperr.Conflict, "auth.id_number_taken") {
		// Registered by a request racing this one: no oracle either.
		return s.decoy(username, r.Name, r.Kind), nil
	}
	if err != nil {
		return nil, err
	}
	req := LoginRequest{Username: username, Kind: r.Kind, IP: r.IP, UserAgent: r.UserAgent, Device: r.Device, Method: "register"}
	if holder != "" {
		s.tellHolder(ctx, holder)
		return s.decoy(username, r.Name, r.Kind), nil
	}
	u, err := s.UserByID(ctx, userID)
	if err != nil {
		return nil, err
	}
	return s.open(ctx, &attempt{userID: userID}, u, req, "")
}

// decoy is the answer to a registration of a number already registered:
// the shape of a signed-in registration, a token that opens nothing.
func (s *Service) decoy(username, name string, kind SessionKind) *LoginResult {
	max := s.Sessions.WebMax
	if kind == SessionAPI {
		max = s.Sessions.APIMax
	}
	now, id := s.db.Now(), db.NewID()
	return &LoginResult{Token: randomToken(),
		Session: &Session{Kind: kind, UserID: id, CSRFToken: randomToken(), CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(max)},
		User:    &User{ID: id, Username: username, Kind: KindPerson, DisplayName: name, Assurance: AssuranceL1}}
}

// tellHolder texts the holder of a registered number that someone tried
// to register it (best effort: the answer must not wait on, or differ by,
// the gateway).
func (s *Service) tellHolder(ctx context.Context, userID string) {
	if s.Texter == nil {
		return
	}
	var phone string
	err := s.db.View(ctx, func(tx *db.Tx) (err error) {
		phone, err = s.AccountPhoneNumberTx(tx, userID)
		return err
	})
	if err != nil || phone == "" {
		return
	}
	_ = s.Texter.Text(ctx, phone, "account_exists", map[string]any{}, db.NewID()+":account_exists")
}

// SMSLogin is a sign-in by SMS code.
type SMSLogin struct {
	Phone, Code           string
	Kind                  SessionKind
	IP, UserAgent, Device string
}

// LoginBySMS signs a person or an organisation in with an SMS code sent
// to the account's verified number (CodeLogin, asked with Registered). The
// login throttle counts it as a password attempt on the account; it is
// audited as auth.login with method sms. Staff accounts sign in with their
// password and second factor only (Forbidden auth.sms_login_staff).
// Unauthenticated auth.sms_login_failed for a number that is no account's.
func (s *Service) LoginBySMS(ctx context.Context, l SMSLogin) (*LoginResult, error) {
	phone, err := codes.ParseMobile(l.Phone)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(l.Code) == "" {
		return nil, apperr.E(apperr.Invalid, "auth.code_required")
	}
	if l.Kind != SessionAPI {
		l.Kind = SessionWeb
	}
	req := LoginRequest{Kind: l.Kind, IP: l.IP, UserAgent: l.UserAgent, Device: l.Device, Method: "sms"}
	// The throttle's name: the account's user name, or the number's index
	// for a number that is no account's (counted all the same).
	req.Username = "sms:" + s.PhoneIndex(phone)[:16]
	_ = s.db.View(ctx, func(tx *db.Tx) error {
		return tx.QueryRow(`SELECT u.username FROM account_phones p JOIN users u ON u.id = p.user_id WHERE p.phone_index = $1`, s.PhoneIndex(phone)).Scan(&req.Username)
	})
	a, err := s.beginAttempt(ctx, req)
	if err != nil {
		return nil, err
	}
	var u *User
	err = s.UseCode(ctx, phone, CodeLogin, strings.TrimSpace(l.Code), func(tx *db.Tx, phone string) error {
		id, err := s.UserIDByPhoneTx(tx, phone)
		if err != nil {
			return err
		}
		u, err = userBy(tx, "id", id)
		return err
	})
	switch {
	case apperr.CodeOf(err) == apperr.NotFound:
		// Registered numbers only get codes: no code here is ever right.
		return nil, s.refuse(ctx, a.userID, req, "bad_sms_code", apperr.E(apperr.Unauthenticated, "auth.sms_login_failed"))
	case err != nil && (apperr.CodeOf(err) == apperr.Invalid || apperr.CodeOf(err) == apperr.TooMany):
		return nil, s.refuse(ctx, a.userID, req, "bad_sms_code", err)
	case err != nil:
		return nil, err
	case u.Kind == KindStaff:
		return nil, s.refuse(ctx, u.ID, req, "sms_staff", apperr.E(apperr.Forbidden, "auth.sms_login_staff"))
	case u.Disabled:
		return nil, s.refuse(ctx, u.ID, req, "disabled", apperr.E(apperr.Forbidden, "auth.disabled"))
	}
	return s.open(ctx, a, u, req, "")
}

// PasswordReset sets a new password proven by an SMS code (CodeReset).
type PasswordReset struct {
	Phone, Code, Password string
	IP                    string
}

// ResetPasswordBySMS replaces the password of the account whose verified
// number is r.Phone, in one transaction with the code's use, and ends all
// the account's sessions; audited account.password_reset. Staff passwords
// are reset by their administrators (Forbidden auth.reset_staff).
func (s *Service) ResetPasswordBySMS(ctx context.Context, r PasswordReset) error {
	phone, err := codes.ParseMobile(r.Phone)
	if err != nil {
		return err
	}
	if strings.TrimSpace(r.Code) == "" {
		return apperr.E(apperr.Invalid, "auth.code_required")
	}
	if err := CheckPasswordPolicy(r.Password, false); err != nil {
		return err
	}
	err = s.UseCode(ctx, phone, CodeReset, strings.TrimSpace(r.Code), func(tx *db.Tx, phone string) error {
		id, err := s.UserIDByPhoneTx(tx, phone)
		if err != nil {
			return apperr.E(apperr.Invalid, "auth.code_wrong", "left", 0) // never sent: a number that is no account's
		}
		var kind string
		if err := tx.QueryRow(`SELECT kind FROM users WHERE id = $1`, id).Scan(&kind); err != nil {
			return err
		}
		if Kind(kind) == KindStaff {
			return apperr.E(apperr.Forbidden, "auth.reset_staff")
		}
		if _, err := tx.Exec(`UPDATE users SET password_hash = $1, password_default = $2, password_must_change = $2, updated_at = $3 WHERE id = $4`,
			HashPassword(r.Password), false, tx.Now, id); err != nil {
			return err
		}
		if _, err := tx.Exec(`DELETE FROM sessions WHERE user_id = $1`, id); err != nil {
			return err
		}
		return audit.Append(tx, &audit.Record{Actor: id, Action: "account.password_reset", ObjectType: "user", ObjectID: id},
			[]byte(fmt.Sprintf(`{"method":"sms","ip":%q}`, r.IP)))
	})
	return err
}
