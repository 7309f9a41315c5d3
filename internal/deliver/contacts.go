package deliver

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net/mail"
	"strings"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/vault"
)

// Purposes bind sealed contacts to their columns.
const (
	PurposePhone = "contacts.phone"
	PurposeEmail = "contacts.email"
)

// Contact is where a user is reached besides the inbox, and which channels
// they chose. The in-app inbox is always on.
type Contact struct {
	Phone       string `json:"phone"` // the owner's own view only
	Email       string `json:"email"`
	PhoneMasked string `json:"phone_masked"`
	EmailMasked string `json:"email_masked"`
	SMS         bool   `json:"sms"`
	EmailOn     bool   `json:"email_on"`
}

// Contacts reads and changes users' contacts, sealed at rest.
type Contacts struct {
	DB    *db.DB
	Vault *vault.Vault
}

// Get reads u's own contact.
func (c *Contacts) Get(ctx context.Context, u *identity.User) (Contact, error) {
	if u == nil {
		return Contact{}, apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	var out Contact
	var phone, email string
	err := c.DB.View(ctx, func(tx *db.Tx) error {
		err := tx.QueryRow(`SELECT phone_sealed, phone_masked, email_sealed, email_masked, sms, email FROM contacts WHERE user_id = $1`,
			u.ID).Scan(&phone, &out.PhoneMasked, &email, &out.EmailMasked, &out.SMS, &out.EmailOn)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		return err
	})
	if err != nil {
		return out, apperr.Internalf("deliver: contact", err)
	}
	if out.Phone, err = c.Vault.OpenText(phone, PurposePhone); err != nil {
		return out, apperr.Internalf("deliver: contact", err)
	}
	if out.Email, err = c.Vault.OpenText(email, PurposeEmail); err != nil {
		return out, apperr.Internalf("deliver: contact", err)
	}
	return out, nil
}

// Set replaces u's own contact: a mainland mobile number and an e-mail
// address (either may be empty), and whether to be sent SMS and e-mail. A
// channel chosen without its address is refused.
func (c *Contacts) Set(ctx context.Context, u *identity.User, phone, email string, sms, emailOn bool) error {
	if u == nil {
		return apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	phone = strings.ReplaceAll(strings.TrimSpace(phone), " ", "")
	phone = strings.TrimPrefix(phone, "+86")
	email = strings.TrimSpace(email)
	if phone != "" && !mobile.MatchString(phone) {
		return apperr.E(apperr.Invalid, "contacts.phone_invalid")
	}
	if email != "" {
		a, err := mail.ParseAddress(email)
		if err != nil || a.Address != email || len(email) > 254 {
			return apperr.E(apperr.Invalid, "contacts.email_invalid")
		}
	}
	if sms && phone == "" {
		return apperr.E(apperr.Invalid, "contacts.sms_needs_phone")
	}
	if emailOn && email == "" {
		return apperr.E(apperr.Invalid, "contacts.email_needs_address")
	}
	seal := func(v, purpose string) string {
		if v == "" {
			return ""
		}
		return c.Vault.SealText(v, purpose)
	}
	return apperr.Internalf("deliver: set contact", c.DB.Update(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(`INSERT INTO contacts (user_id, phone_sealed, phone_masked, email_sealed, email_masked, sms, email, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (user_id) DO UPDATE SET phone_sealed = excluded.phone_sealed, phone_masked = excluded.phone_masked,
			email_sealed = excluded.email_sealed, email_masked = excluded.email_masked, sms = excluded.sms,
			email = excluded.email, updated_at = excluded.updated_at`,
			u.ID, seal(phone, PurposePhone), MaskPhone(phone), seal(email, PurposeEmail), MaskEmail(email), sms, emailOn, tx.Now); err != nil {
			return err
		}
		b, _ := json.Marshal(map[string]any{"phone": MaskPhone(phone), "email": MaskEmail(email), "sms": sms, "email_on": emailOn})
		return audit.Append(tx, &audit.Record{Actor: u.ID, Action: "account.contacts", ObjectType: "user", ObjectID: u.ID}, b)
	}))
}

// MaskPhone keeps a mobile number's first 3 and last 4 digits.
func MaskPhone(p string) string {
	if len(p) < 8 {
		return strings.Repeat("*", len(p))
	}
	return p[:3] + "****" + p[len(p)-4:]
}

// MaskEmail keeps an address's first character and its domain.
func MaskEmail(e string) string {
	local, domain, ok := strings.Cut(e, "@")
	if !ok || local == "" {
		return ""
	}
	r := []rune(local)
	return string(r[0]) + "***@" + domain
}
