package identity

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
)

// WindowBinding is what a clerk enters at a window after seeing an
// enterprise's 营业执照 (business licence) and its legal representative's
// ID card: the enterprise as its licence names it, and the person.
type WindowBinding struct {
	CreditCode string
	Name       string // the enterprise's name on its licence
	PersonID   string // the legal representative's account (found by ID number and name)
	PersonName string
}

// WindowBound is the outcome: the enterprise, whether it was new to the
// platform, and the legal representative it had before (a change of 法定代表人).
type WindowBound struct {
	OrganisationID string `json:"-"`
	CreditCode     string `json:"credit_code"`
	Name           string `json:"name"`
	New            bool   `json:"new"`
	Changed        bool   `json:"changed"` // another person held it before
}

// BindAtWindowTx makes the person the legal representative (法定代表人) of
// the enterprise, as a clerk at a window has verified from the originals:
// an enterprise the platform has no record of is recorded (an organisation
// account nobody logs in as), one held by someone else changes hands (the
// licence names a new legal representative), one held by the person already
// is answered again. The clerk's region must cover the enterprise's
// registering authority (credit code positions 3–8): a clerk binds the
// enterprises registered in their own area. The person must be at L2 (the
// same window raises them first). 经办人 authorised by a previous legal
// representative keep their authority until it expires or the new one
// revokes it. Audited as enterprise.bind_window, naming the clerk.
func (s *Service) BindAtWindowTx(tx *db.Tx, clerk *User, b WindowBinding) (*WindowBound, error) {
	b.CreditCode = strings.ToUpper(strings.TrimSpace(b.CreditCode))
	b.Name = strings.TrimSpace(b.Name)
	cc, err := codes.ParseCreditCode(b.CreditCode)
	if err != nil {
		return nil, err
	}
	if b.Name == "" {
		return nil, apperr.E(apperr.Invalid, "enterprise.name_required")
	}
	if !clerk.ScopeOf(RoleClerk).Covers("", cc.Division) {
		return nil, apperr.E(apperr.Forbidden, "enterprise.window_outside_region", "division", cc.Division)
	}
	var assurance int
	if err := tx.QueryRow(`SELECT u.assurance FROM users u JOIN persons p ON p.user_id = u.id WHERE u.id = $1`, b.PersonID).Scan(&assurance); err != nil {
		return nil, db.NotFound(err, "enterprise.person_only")
	}
	if assurance < AssuranceL2 {
		return nil, apperr.E(apperr.Invalid, "enterprise.window_l2_first")
	}
	out := &WindowBound{CreditCode: b.CreditCode, Name: b.Name}
	var orgName string
	var rep sql.NullString
	err = tx.QueryRow(`SELECT user_id, name, legal_rep_id FROM organisations WHERE credit_code = $1`, b.CreditCode).Scan(&out.OrganisationID, &orgName, &rep)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		out.New = true
		k := make([]byte, 4)
		rand.Read(k)
		out.OrganisationID = db.NewID()
		if _, err := tx.Exec(`INSERT INTO users (id, username, kind, display_name, password_hash, created_at, updated_at)
			VALUES ($1, $2, 'organisation', $3, '!', $4, $4)`, out.OrganisationID, "org-"+hex.EncodeToString(k)+"-"+strings.ToLower(b.CreditCode[8:17]), b.Name, tx.Now); err != nil {
			return nil, err
		}
		if _, err := tx.Exec(`INSERT INTO organisations (user_id, name, credit_code, legal_rep_name, legal_rep_id, bound_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			out.OrganisationID, b.Name, b.CreditCode, b.PersonName, b.PersonID, tx.Now); err != nil {
			return nil, err
		}
		if err := audit.Append(tx, &audit.Record{Actor: clerk.ID, Role: string(RoleClerk), Action: "account.create", ObjectType: "user", ObjectID: out.OrganisationID},
			[]byte(`{"kind":"organisation"}`)); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, err
	case orgName != b.Name:
		return nil, apperr.E(apperr.Invalid, "enterprise.name_mismatch")
	case rep.String == b.PersonID:
		return out, nil // theirs already
	default:
		out.Changed = rep.Valid
		if _, err := tx.Exec(`UPDATE organisations SET legal_rep_id = $1, legal_rep_name = $2, bound_at = $3 WHERE user_id = $4`,
			b.PersonID, b.PersonName, tx.Now, out.OrganisationID); err != nil {
			return nil, err
		}
	}
	return out, audit.Append(tx, &audit.Record{Actor: clerk.ID, Role: string(RoleClerk), Action: "enterprise.bind_window", ObjectType: "user", ObjectID: out.OrganisationID},
		fmt.Appendf(nil, `{"credit_code":%q,"legal_rep":%q,"new":%t,"previous":%q,"evidence":"business_licence_and_id_card_originals"}`,
			b.CreditCode, b.PersonID, out.New, rep.String))
}
