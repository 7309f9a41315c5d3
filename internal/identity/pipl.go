package identity

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/i18n"
)

// A person's rights over their own account (个人信息保护法): to correct
// their data (Art. 46), to change the mobile number it is reached by, and
// to close it (注销, Art. 47).
//
// What a person corrects themselves: the preferred language (of their
// notifications), the registered region (a division code of the
// installation's regions: it decides which village agent may serve them)
// and — on the account page's contacts section — their e-mail contact. The
// name and citizen ID number of an L1 account that has never filed a case
// they correct themselves too (nothing was decided on them yet); those of
// an L2 account (a clerk saw the ID card) or of anyone who filed a case
// only a window clerk corrects, seeing the card (CorrectAtWindow). Every
// correction is an audit record with the old and new values masked; a
// correction never rewrites a past case's record of its applicant (cases
// keep their own copy of the name and masked number).

// Correction is a change of one's profile: a nil field is left as it is.
type Correction struct {
	Locale   *string `json:"locale,omitempty"`            // "zh-CN" or "en"; "" follows the browser
	Region   *string `json:"registered_region,omitempty"` // a division code of the installation; "" clears it
	Name     *string `json:"name,omitempty"`
	IDNumber *string `json:"id_number,omitempty"`
}

// PersonalProfile is what the account page shows and the profile form
// edits: the identifier masked, and what may be corrected by whom.
type PersonalProfile struct {
	Kind         Kind       `json:"kind"`
	Name         string     `json:"name"`
	Identifier   string     `json:"identifier,omitempty"` // masked ID number or the credit code
	Assurance    int        `json:"assurance,omitempty"`
	Locale       string     `json:"locale"`
	Region       string     `json:"registered_region,omitempty"`
	RegionName   string     `json:"registered_region_name,omitempty"`
	Phone        string     `json:"verified_phone,omitempty"` // masked
	HasFiled     bool       `json:"has_filed"`
	SelfIdentity bool       `json:"identity_self_service"` // name and ID number correctable here; else at a window
	ClosedAt     *time.Time `json:"closed_at,omitempty"`
}

// MaxNameLen bounds a person's name (the longest Chinese names, and
// transliterated foreign ones, fit).
const MaxNameLen = 50

// PersonalProfileOf reads u's own profile.
func (s *Service) PersonalProfileOf(ctx context.Context, u *User) (*PersonalProfile, error) {
	if u == nil {
		return nil, apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	var p *PersonalProfile
	err := s.db.View(ctx, func(tx *db.Tx) error {
		var err error
		p, err = personalProfile(tx, u.ID)
		return err
	})
	return p, apperr.Internalf("identity: personal profile", err)
}

func personalProfile(tx *db.Tx, userID string) (*PersonalProfile, error) {
	p := &PersonalProfile{}
	var kind string
	var closed sql.NullTime
	if err := tx.QueryRow(`SELECT kind, display_name, locale, assurance, closed_at FROM users WHERE id = $1`, userID).
		Scan(&kind, &p.Name, &p.Locale, &p.Assurance, &closed); err != nil {
		return nil, db.NotFound(err, "auth.user_unknown")
	}
	p.Kind = Kind(kind)
	if closed.Valid {
		t := closed.Time.UTC()
		p.ClosedAt = &t
	}
	switch p.Kind {
	case KindPerson:
		err := tx.QueryRow(`SELECT p.name, p.id_number_masked, p.region_code, COALESCE(r.name, '') FROM persons p
			LEFT JOIN regions r ON r.code = p.region_code WHERE p.user_id = $1`, userID).Scan(&p.Name, &p.Identifier, &p.Region, &p.RegionName)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
	case KindOrganisation:
		p.Assurance = 0
		if err := tx.QueryRow(`SELECT name, credit_code FROM organisations WHERE user_id = $1`, userID).Scan(&p.Name, &p.Identifier); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
	default:
		p.Assurance = 0
	}
	if err := tx.QueryRow(`SELECT phone_masked FROM account_phones WHERE user_id = $1`, userID).Scan(&p.Phone); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	filed, err := hasFiled(tx, userID)
	if err != nil {
		return nil, err
	}
	p.HasFiled = filed
	p.SelfIdentity = p.Kind == KindPerson && p.Assurance == AssuranceL1 && !filed
	return p, nil
}

// hasFiled reports whether userID was ever the applicant of a case that
// left the draft state: from then on their name and number are on record.
func hasFiled(tx *db.Tx, userID string) (bool, error) {
	var n int
	err := tx.QueryRow(`SELECT COUNT(*) FROM cases WHERE applicant_id = $1 AND state <> 'draft'`, userID).Scan(&n)
	return n > 0, err
}

// change is one corrected field in an audit record, both values masked.
type change struct {
	Field string `json:"field"`
	Old   string `json:"old"`
	New   string `json:"new"`
}

// CorrectProfile applies u's own correction. Invalid for a malformed
// value; Forbidden profile.window_only for a name or ID number only a
// window may correct; Conflict profile.id_number_window for an ID number
// another account holds (whose is not said: "请到窗口办理").
func (s *Service) CorrectProfile(ctx context.Context, u *User, c Correction) error {
	if u == nil {
		return apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	if c.Locale != nil && *c.Locale != "" {
		l, ok := i18n.Parse(*c.Locale)
		if !ok {
			return apperr.E(apperr.Invalid, "profile.locale_invalid")
		}
		*c.Locale = string(l)
	}
	if (c.Region != nil || c.Name != nil || c.IDNumber != nil) && u.Kind != KindPerson {
		// An organisation's name is its registration's (企业登记); staff
		// accounts are an administrator's.
		if c.Region != nil || c.Name != nil && strings.TrimSpace(*c.Name) != u.DisplayName || c.IDNumber != nil && *c.IDNumber != "" {
			return apperr.E(apperr.Forbidden, "profile.window_only")
		}
		c.Region, c.Name, c.IDNumber = nil, nil, nil
	}
	if err := checkCorrection(&c); err != nil {
		return err
	}
	return apperr.Internalf("identity: correct profile", s.db.Update(ctx, func(tx *db.Tx) error {
		p, err := personalProfile(tx, u.ID)
		if err != nil {
			return err
		}
		var changes []change
		if c.Locale != nil && *c.Locale != p.Locale {
			if _, err := tx.Exec(`UPDATE users SET locale = $1, updated_at = $2 WHERE id = $3`, *c.Locale, tx.Now, u.ID); err != nil {
				return err
			}
			changes = append(changes, change{"locale", p.Locale, *c.Locale})
		}
		if c.Region != nil && *c.Region != p.Region {
			if *c.Region != "" {
				var name string
				err := tx.QueryRow(`SELECT name FROM regions WHERE code = $1`, *c.Region).Scan(&name)
				if errors.Is(err, sql.ErrNoRows) {
					return apperr.E(apperr.Invalid, "profile.region_unknown", "code", *c.Region)
				}
				if err != nil {
					return err
				}
			}
			if _, err := tx.Exec(`UPDATE persons SET region_code = $1 WHERE user_id = $2`, *c.Region, u.ID); err != nil {
				return err
			}
			changes = append(changes, change{"registered_region", p.Region, *c.Region})
		}
		ids, err := s.correctIdentity(tx, u.ID, p, c.Name, c.IDNumber, func() error {
			if !p.SelfIdentity {
				return apperr.E(apperr.Forbidden, "profile.window_only")
			}
			return nil
		}, apperr.E(apperr.Conflict, "profile.id_number_window"))
		if err != nil {
			return err
		}
		changes = append(changes, ids...)
		if len(changes) == 0 {
			return nil
		}
		b, _ := json.Marshal(map[string]any{"by": "self", "changes": changes})
		return audit.Append(tx, &audit.Record{Actor: u.ID, Role: "self", Action: "account.correct", ObjectType: "user", ObjectID: u.ID}, b)
	}))
}

// checkCorrection trims and checks the values' form.
func checkCorrection(c *Correction) error {
	if c.Region != nil {
		*c.Region = strings.TrimSpace(*c.Region)
		if *c.Region != "" {
			if _, err := codes.ParseDivision(*c.Region); err != nil {
				return err
			}
		}
	}
	if c.Name != nil {
		*c.Name = strings.TrimSpace(*c.Name)
		if *c.Name == "" {
			return apperr.E(apperr.Invalid, "auth.name_required")
		}
		if utf8.RuneCountInString(*c.Name) > MaxNameLen || strings.ContainsAny(*c.Name, "<>\x00\r\n\t") {
			return apperr.E(apperr.Invalid, "profile.name_invalid", "max", MaxNameLen)
		}
	}
	if c.IDNumber != nil {
		*c.IDNumber = strings.ToUpper(strings.TrimSpace(*c.IDNumber))
		if *c.IDNumber == "" {
			c.IDNumber = nil // left as it is (the form shows it masked)
		}
	}
	return nil
}

// correctIdentity changes a person's name and ID number when they differ
// from p's, after allowed() agrees; taken is the answer for a number
// another account holds. Returns the changes, masked.
func (s *Service) correctIdentity(tx *db.Tx, userID string, p *PersonalProfile, name, idNumber *string, allowed func() error, taken error) ([]change, error) {
	var changes []change
	if name != nil && *name != p.Name {
		if err := allowed(); err != nil {
			return nil, err
		}
		if _, err := tx.Exec(`UPDATE persons SET name = $1 WHERE user_id = $2`, *name, userID); err != nil {
			return nil, err
		}
		if _, err := tx.Exec(`UPDATE users SET display_name = $1, updated_at = $2 WHERE id = $3`, *name, tx.Now, userID); err != nil {
			return nil, err
		}
		changes = append(changes, change{"name", codes.MaskName(p.Name), codes.MaskName(*name)})
	}
	if idNumber != nil {
		cid, err := codes.ParseCitizenID(*idNumber, tx.Now.In(calendar.China))
		if err != nil {
			return nil, err
		}
		idx := s.vault.Index(cid.Number, purposeIDNumber)
		var cur string
		if err := tx.QueryRow(`SELECT id_number_index FROM persons WHERE user_id = $1`, userID).Scan(&cur); err != nil {
			return nil, err
		}
		if cur != idx {
			if err := allowed(); err != nil {
				return nil, err
			}
			var other string
			err := tx.QueryRow(`SELECT user_id FROM persons WHERE id_number_index = $1`, idx).Scan(&other)
			if err == nil {
				return nil, taken
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return nil, err
			}
			masked := codes.MaskCitizenID(cid.Number)
			if _, err := tx.Exec(`UPDATE persons SET id_number_index = $1, id_number_masked = $2, id_number_sealed = $3 WHERE user_id = $4`,
				idx, masked, s.vault.Seal(cid.Number, purposeIDNumber), userID); err != nil {
				if db.IsUniqueViolation(err) {
					return nil, taken
				}
				return nil, err
			}
			changes = append(changes, change{"id_number", p.Identifier, masked})
		}
	}
	return changes, nil
}

// WindowCorrection is a clerk's correction of a person's name or ID number
// at a window, having seen their ID card: Number finds the person (their
// number as on record), Note says on what ground (户口簿变更…).
type WindowCorrection struct {
	Number   string `json:"number"`
	Name     string `json:"name,omitempty"`
	IDNumber string `json:"new_id_number,omitempty"`
	Note     string `json:"note"`
}

// CorrectAtWindow applies a clerk's correction and answers the person as
// now on record (masked). Forbidden unless clerk is a window clerk;
// NotFound for an unknown number; Conflict profile.id_number_taken when
// another account holds the new number (the clerk is not told whose).
// The read of the person and the change are one audit record with the
// clerk, their grant and the old and new values masked.
func (s *Service) CorrectAtWindow(ctx context.Context, clerk *User, wc WindowCorrection) (*Applicant, error) {
	if clerk == nil || !clerk.Has(RoleClerk) {
		return nil, apperr.E(apperr.Forbidden, "error.forbidden")
	}
	wc.Note = strings.TrimSpace(wc.Note)
	if wc.Note == "" {
		return nil, apperr.E(apperr.Invalid, "error.field_required", "field", "note")
	}
	if utf8.RuneCountInString(wc.Note) > 200 {
		return nil, apperr.E(apperr.Invalid, "profile.note_too_long", "max", 200)
	}
	c := Correction{}
	if strings.TrimSpace(wc.Name) != "" {
		c.Name = &wc.Name
	}
	if strings.TrimSpace(wc.IDNumber) != "" {
		c.IDNumber = &wc.IDNumber
	}
	if err := checkCorrection(&c); err != nil {
		return nil, err
	}
	if c.Name == nil && c.IDNumber == nil {
		return nil, apperr.E(apperr.Invalid, "profile.nothing_to_correct")
	}
	var out *Applicant
	err := s.db.Update(ctx, func(tx *db.Tx) error {
		a, err := s.ApplicantByNumberTx(tx, wc.Number)
		if err != nil {
			return err
		}
		if a.Kind != KindPerson {
			return apperr.E(apperr.Invalid, "profile.not_person")
		}
		p, err := personalProfile(tx, a.UserID)
		if err != nil {
			return err
		}
		changes, err := s.correctIdentity(tx, a.UserID, p, c.Name, c.IDNumber, func() error { return nil },
			apperr.E(apperr.Conflict, "profile.id_number_taken"))
		if err != nil {
			return err
		}
		if len(changes) == 0 {
			return apperr.E(apperr.Invalid, "profile.nothing_to_correct")
		}
		var posts []string
		for _, g := range clerk.Grants {
			if g.Role == RoleClerk {
				posts = append(posts, g.RegionCode)
			}
		}
		b, _ := json.Marshal(map[string]any{"by": "window", "changes": changes, "note": wc.Note, "clerk_regions": posts})
		if err := audit.Append(tx, &audit.Record{Actor: clerk.ID, Role: string(RoleClerk), Action: "account.correct", ObjectType: "user", ObjectID: a.UserID}, b); err != nil {
			return err
		}
		out, err = applicantBy(tx, "user_id", a.UserID, KindPerson)
		return err
	})
	return out, apperr.Internalf("identity: correct at window", err)
}

// SendPhoneCode texts a code to the number u is changing to (CodePhone).
func (s *Service) SendPhoneCode(ctx context.Context, u *User, phone, ip string) (string, error) {
	if u == nil {
		return "", apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	return s.SendCode(ctx, CodeRequest{Phone: phone, Purpose: CodePhone, IP: ip})
}

// ChangePhone makes phone u's verified number and SMS contact, proven by
// the code texted to it and u's current password; the number it replaces
// is told (kind phone_changed, no digits of either number). Answers the
// new number masked. Invalid auth.password_current_wrong (the code is then
// not used up), the code's errors (UseCode), Conflict auth.phone_taken.
func (s *Service) ChangePhone(ctx context.Context, u *User, phone, code, password string) (string, error) {
	if u == nil {
		return "", apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	if code == "" {
		return "", apperr.E(apperr.Invalid, "error.field_required", "field", "code")
	}
	if err := s.checkOwnPassword(ctx, u, password); err != nil {
		return "", err
	}
	var old, id string
	err := s.UseCode(ctx, phone, CodePhone, code, func(tx *db.Tx, phone string) error {
		var err error
		if old, err = s.AccountPhoneNumberTx(tx, u.ID); err != nil {
			return err
		}
		if err := s.SetAccountPhoneTx(tx, u.ID, phone); err != nil {
			return err
		}
		b, _ := json.Marshal(change{"verified_phone", maskOrEmpty(old), codes.MaskMobile(phone)})
		r := &audit.Record{Actor: u.ID, Role: "self", Action: "account.phone", ObjectType: "user", ObjectID: u.ID}
		id = db.NewID()
		return audit.Append(tx, r, b)
	})
	if err != nil {
		return "", err
	}
	p, _ := codes.ParseMobile(phone)
	if old != "" && old != p && s.Texter != nil {
		// The change is made; a notice that fails to leave is logged, not
		// the change undone.
		if err := s.Texter.Text(context.WithoutCancel(ctx), old, "phone_changed", map[string]any{}, id+":old"); err != nil {
			slog.WarnContext(ctx, "identity: phone change notice", "err", err)
		}
	}
	return codes.MaskMobile(p), nil
}

func maskOrEmpty(p string) string {
	if p == "" {
		return ""
	}
	return codes.MaskMobile(p)
}

// checkOwnPassword checks u's current password (Invalid when empty or
// wrong).
func (s *Service) checkOwnPassword(ctx context.Context, u *User, password string) error {
	if password == "" {
		return apperr.E(apperr.Invalid, "error.field_required", "field", "password")
	}
	if err := s.reauthCount(ctx, u.ID); err != nil {
		return apperr.Internalf("identity: password", err)
	}
	var hash string
	err := s.db.View(ctx, func(tx *db.Tx) error {
		return tx.QueryRow(`SELECT password_hash FROM users WHERE id = $1`, u.ID).Scan(&hash)
	})
	if err != nil {
		return apperr.Internalf("identity: password", err)
	}
	if !VerifyPassword(hash, password) {
		return apperr.E(apperr.Invalid, "auth.password_current_wrong")
	}
	return apperr.Internalf("identity: password", s.db.Update(ctx, func(tx *db.Tx) error { return reauthClear(tx, u.ID) }))
}

// CloseCheck refuses closing userID's account while something of theirs
// is under way (an open case, an active mandate…): a Conflict naming it.
// Domains register theirs in Service.CloseChecks.
type CloseCheck func(tx *db.Tx, userID string) error

// CloseAccount closes u's own account (注销) with the current password.
// Forbidden account.close_staff for staff accounts (an administrator
// disables those); Conflict account.close_roles while u holds a role for
// others (a village agent's), or a CloseCheck's Conflict. In one
// transaction: every session ended, the account disabled and marked
// closed, the password, second factor, verified phone, contacts and known
// places erased (the number free for another account), the pending SMS and
// e-mail deliveries of its notifications cancelled. Kept, for records
// retention (PIPL Art. 47(2), 档案法): the person's name and sealed ID
// number, their cases, decisions, licences and the audit log.
func (s *Service) CloseAccount(ctx context.Context, u *User, password string) error {
	if u == nil {
		return apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	if u.Kind == KindStaff {
		return apperr.E(apperr.Forbidden, "account.close_staff")
	}
	if err := s.checkOwnPassword(ctx, u, password); err != nil {
		return err
	}
	return apperr.Internalf("identity: close account", s.db.Update(ctx, func(tx *db.Tx) error {
		var n int
		if err := tx.QueryRow(`SELECT COUNT(*) FROM role_grants WHERE user_id = $1 AND role <> $2`, u.ID, string(RoleApplicant)).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return apperr.E(apperr.Conflict, "account.close_roles")
		}
		for _, check := range s.CloseChecks {
			if err := check(tx, u.ID); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(`UPDATE users SET disabled = $1, closed_at = $2, password_hash = '!', password_default = $3,
			password_must_change = $3, totp_sealed = NULL, totp_pending = NULL, totp_enrolled_at = NULL, totp_last_step = 0,
			phone = '', updated_at = $2 WHERE id = $4`, true, tx.Now, false, u.ID); err != nil {
			return err
		}
		for _, q := range []string{
			`DELETE FROM sessions WHERE user_id = $1`,
			`DELETE FROM login_challenges WHERE user_id = $1`,
			`DELETE FROM recovery_codes WHERE user_id = $1`,
			`DELETE FROM login_known WHERE user_id = $1`,
			`DELETE FROM account_phones WHERE user_id = $1`,
			`DELETE FROM contacts WHERE user_id = $1`,
		} {
			if _, err := tx.Exec(q, u.ID); err != nil {
				return err
			}
		}
		res, err := tx.Exec(`UPDATE deliveries SET state = 'cancelled', done_at = $1, last_error = 'account closed'
			WHERE state = 'pending' AND outbox_id IN (SELECT id FROM outbox WHERE recipient = $2)`, tx.Now, u.ID)
		if err != nil {
			return err
		}
		cancelled, _ := res.RowsAffected()
		b, _ := json.Marshal(map[string]any{"deliveries_cancelled": cancelled})
		return audit.Append(tx, &audit.Record{Actor: u.ID, Role: "self", Action: "account.close", ObjectType: "user", ObjectID: u.ID}, b)
	}))
}

// enterprisesOnClose is the enterprises' CloseCheck: a legal
// representative holding an enterprise does not close their account (the
// enterprise would be held by nobody: the change of representative is done
// at a window first); a 经办人's authorisations end with the account.
func enterprisesOnClose(tx *db.Tx, userID string) error {
	var held int
	if err := tx.QueryRow(`SELECT COUNT(*) FROM organisations WHERE legal_rep_id = $1`, userID).Scan(&held); err != nil {
		return err
	}
	if held > 0 {
		return apperr.E(apperr.Conflict, "account.close_legal_rep", "count", held)
	}
	_, err := tx.Exec(`UPDATE enterprise_operators SET revoked_at = $1, revoked_by = $2
		WHERE person_id = $2 AND revoked_at IS NULL`, tx.Now, userID)
	return err
}
