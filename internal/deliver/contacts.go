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
	// Quiet is the person's quiet hours: "default" (the installation's,
	// 22:00–08:00), "none", or "custom" from QuietFrom to QuietTo o'clock
	// (Asia/Shanghai; crossing midnight when from > to). QuietEmail holds
	// back e-mail in them too; an SMS always is, unless urgent.
	Quiet      string `json:"quiet"`
	QuietFrom  int    `json:"quiet_from"`
	QuietTo    int    `json:"quiet_to"`
	QuietEmail bool   `json:"quiet_email"`
}

// setQuiet fills the quiet hours from the stored columns.
func (c *Contact) setQuiet(from, to sql.NullInt64) {
	var q Quiet
	q.set(from, to)
	switch {
	case q.Window == nil:
		c.Quiet, c.QuietFrom, c.QuietTo = QuietDefault, 22, 8
	case q.Window.From == q.Window.To:
		c.Quiet, c.QuietFrom, c.QuietTo = QuietNone, 0, 0
	default:
		c.Quiet, c.QuietFrom, c.QuietTo = QuietCustom, q.Window.From, q.Window.To
	}
}

// quietColumns are the stored quiet_from and quiet_to of c's choice (nil:
// the installation's), or the message key of what is wrong with it.
func (c Contact) quietColumns() (from, to any, key string) {
	switch c.Quiet {
	case QuietDefault, "":
		return nil, nil, ""
	case QuietNone:
		return 0, 0, ""
	case QuietCustom:
		if c.QuietFrom < 0 || c.QuietFrom > 23 || c.QuietTo < 0 || c.QuietTo > 23 {
			return nil, nil, "contacts.quiet_hour_invalid"
		}
		return c.QuietFrom, c.QuietTo, ""
	}
	return nil, nil, "contacts.quiet_invalid"
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
	var from, to sql.NullInt64
	err := c.DB.View(ctx, func(tx *db.Tx) error {
		err := tx.QueryRow(`SELECT phone_sealed, phone_masked, email_sealed, email_masked, sms, email, quiet_from, quiet_to, quiet_email
			FROM contacts WHERE user_id = $1`,
			u.ID).Scan(&phone, &out.PhoneMasked, &email, &out.EmailMasked, &out.SMS, &out.EmailOn, &from, &to, &out.QuietEmail)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		return err
	})
	out.setQuiet(from, to)
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
// channel chosen without its address is refused. The quiet hours stay as
// they were.
func (c *Contacts) Set(ctx context.Context, u *identity.User, phone, email string, sms, emailOn bool) error {
	return c.save(ctx, u, Contact{Phone: phone, Email: email, SMS: sms, EmailOn: emailOn}, false)
}

// Save replaces u's own contact, chosen channels and quiet hours at once:
// bad input (an hour outside 0–23, an unknown choice) writes nothing.
func (c *Contacts) Save(ctx context.Context, u *identity.User, in Contact) error {
	return c.save(ctx, u, in, true)
}

func (c *Contacts) save(ctx context.Context, u *identity.User, in Contact, quiet bool) error {
	if u == nil {
		return apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	phone, email, sms, emailOn := in.Phone, in.Email, in.SMS, in.EmailOn
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
	from, to, key := in.quietColumns()
	if key != "" {
		return apperr.E(apperr.Invalid, key)
	}
	seal := func(v, purpose string) string {
		if v == "" {
			return ""
		}
		return c.Vault.SealText(v, purpose)
	}
	quietSet := ""
	if quiet {
		quietSet = `, quiet_from = excluded.quiet_from, quiet_to = excluded.quiet_to, quiet_email = excluded.quiet_email`
	}
	return apperr.Internalf("deliver: set contact", c.DB.Update(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(`INSERT INTO contacts (user_id, phone_sealed, phone_masked, email_sealed, email_masked, sms, email, updated_at,
			quiet_from, quiet_to, quiet_email)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
			ON CONFLICT (user_id) DO UPDATE SET phone_sealed = excluded.phone_sealed, phone_masked = excluded.phone_masked,
			email_sealed = excluded.email_sealed, email_masked = excluded.email_masked, sms = excluded.sms,
			email = excluded.email, updated_at = excluded.updated_at`+quietSet,
			u.ID, seal(phone, PurposePhone), MaskPhone(phone), seal(email, PurposeEmail), MaskEmail(email), sms, emailOn, tx.Now,
			from, to, in.QuietEmail && quiet); err != nil {
			return err
		}
		rec := map[string]any{"phone": MaskPhone(phone), "email": MaskEmail(email), "sms": sms, "email_on": emailOn}
		if quiet {
			q := in.Quiet
			if q == "" {
				q = QuietDefault
			}
			rec["quiet"], rec["quiet_email"] = q, in.QuietEmail
			if q == QuietCustom {
				rec["quiet_from"], rec["quiet_to"] = in.QuietFrom, in.QuietTo
			}
		}
		b, _ := json.Marshal(rec)
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

// StaffWithChannel lists the staff who chose a channel (SMS or e-mail):
// those told of their new work in a digest (cases.TellNewWork).
func (c *Contacts) StaffWithChannel(ctx context.Context) ([]string, error) {
	out := []string{}
	err := c.DB.View(ctx, func(tx *db.Tx) error {
		rows, err := tx.Query(`SELECT c.user_id FROM contacts c JOIN users u ON u.id = c.user_id
			WHERE u.kind = 'staff' AND (c.sms OR c.email) ORDER BY c.user_id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			out = append(out, id)
		}
		return rows.Err()
	})
	return out, apperr.Internalf("deliver: staff with a channel", err)
}
