package identity

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
)

// Enterprises held by their legal representative (issue 16). An
// organisation (法人) is held by the person account of its 法定代表人, who
// proved who they are face to face (L2). There is no link to the market
// regulator's registry here, so the claim is confirmed by what is already
// known: an L2 person binds an enterprise at once when
//
//   - the organisation is registered and names this person's name as its
//     legal representative, under the name given, and nobody holds it yet;
//   - or the credit code is not registered at all: a new organisation
//     account is made for it, with no password (nobody logs in as it), held
//     by this person and naming them as legal representative.
//
// A registered organisation naming someone else, or already held, is
// refused (a change of legal representative is made at a window). The
// binding is an audit record, and every case filed for the enterprise
// carries its 营业执照 to the department's pre-review, which is where a false
// claim to an unregistered code is found out.
//
// The legal representative authorises 经办人: registered persons, named by
// ID number and name (one answer for "no such person" and "another name"),
// for every item or listed items (实施编码), until an expiry date, revocable.
// The person's current enterprise roles are loaded with the account at every
// authentication (User.Enterprises), so an expired or revoked authorisation
// stops working at the next request; a filing checks it again in its own
// transaction (EnterpriseRoleTx).

// EnterpriseRole is what a person may do for an enterprise: hold it as its
// legal representative (every item, no expiry) or act for it as a 经办人.
type EnterpriseRole struct {
	OrganisationID string    `json:"-"`
	Name           string    `json:"name"`
	CreditCode     string    `json:"credit_code"`
	LegalRep       bool      `json:"legal_rep"`
	Items          []string  `json:"items"`                // 经办人: the items in scope; empty: every item
	ExpiresOn      string    `json:"expires_on,omitempty"` // 经办人: the last day (China), YYYY-MM-DD
	Expires        time.Time `json:"-"`                    // 经办人: the first instant it no longer holds
}

// Covers says whether the role lets its holder act for the enterprise on
// the item (its 实施编码).
func (r EnterpriseRole) Covers(itemCode string) bool {
	return r.LegalRep || len(r.Items) == 0 || slices.Contains(r.Items, itemCode)
}

// Allows says whether the role lets its holder act on the item at now:
// in scope, and (for a 经办人) not expired.
func (r EnterpriseRole) Allows(itemCode string, now time.Time) bool {
	return r.Covers(itemCode) && (r.LegalRep || now.Before(r.Expires))
}

// ActsFor reports whether u may act for the organisation on the item: as
// its legal representative or a current 经办人 whose scope covers it.
func (u *User) ActsFor(orgID, itemCode string) bool {
	if u == nil {
		return false
	}
	for _, r := range u.Enterprises {
		if r.OrganisationID == orgID && r.Covers(itemCode) {
			return true
		}
	}
	return false
}

// Enterprise returns u's role for the enterprise of the credit code.
func (u *User) Enterprise(creditCode string) (EnterpriseRole, bool) {
	if u != nil {
		for _, r := range u.Enterprises {
			if r.CreditCode == creditCode {
				return r, true
			}
		}
	}
	return EnterpriseRole{}, false
}

// MaxOperatorItems bounds an authorisation's listed items; MaxOperatorYears
// how far ahead it may expire.
const (
	MaxOperatorItems = 50
	MaxOperatorYears = 5
)

// ParseExpiry reads an authorisation's last day (YYYY-MM-DD, China time)
// and returns the instant it ends (the start of the next day). The day must
// be today or later and within MaxOperatorYears.
func ParseExpiry(s string, now time.Time) (time.Time, error) {
	bad := apperr.E(apperr.Invalid, "enterprise.expiry_invalid", "max_years", MaxOperatorYears)
	d, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(s), calendar.China)
	if err != nil {
		return time.Time{}, bad
	}
	today := now.In(calendar.China)
	start := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, calendar.China)
	if d.Before(start) || d.After(start.AddDate(MaxOperatorYears, 0, 0)) {
		return time.Time{}, bad
	}
	return d.AddDate(0, 0, 1).UTC(), nil
}

// lastDay is the last day (China) of an authorisation ending at end.
func lastDay(end time.Time) string {
	return end.In(calendar.China).AddDate(0, 0, -1).Format("2006-01-02")
}

// parseItems reads an authorisation's stored scope.
func parseItems(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

// loadEnterprises reads the current enterprise roles of a person.
func loadEnterprises(tx *db.Tx, u *User) error {
	if u.Kind != KindPerson {
		return nil
	}
	rows, err := tx.Query(`SELECT user_id, name, credit_code FROM organisations WHERE legal_rep_id = $1 ORDER BY credit_code`, u.ID)
	if err != nil {
		return err
	}
	for rows.Next() {
		r := EnterpriseRole{LegalRep: true, Items: []string{}}
		if err := rows.Scan(&r.OrganisationID, &r.Name, &r.CreditCode); err != nil {
			rows.Close()
			return err
		}
		u.Enterprises = append(u.Enterprises, r)
	}
	if err := rows.Close(); err != nil {
		return err
	}
	rows, err = tx.Query(`SELECT o.user_id, o.name, o.credit_code, e.items, e.expires_at
		FROM enterprise_operators e JOIN organisations o ON o.user_id = e.organisation_id
		WHERE e.person_id = $1 AND e.revoked_at IS NULL AND e.expires_at > $2 ORDER BY o.credit_code, e.created_at`, u.ID, tx.Now)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var r EnterpriseRole
		var items string
		if err := rows.Scan(&r.OrganisationID, &r.Name, &r.CreditCode, &items, &r.Expires); err != nil {
			return err
		}
		r.Items, r.ExpiresOn = parseItems(items), lastDay(r.Expires)
		if !slices.ContainsFunc(u.Enterprises, func(x EnterpriseRole) bool { return x.OrganisationID == r.OrganisationID }) {
			u.Enterprises = append(u.Enterprises, r)
		}
	}
	return rows.Err()
}

// EnterpriseRoleTx is the role person holds for the enterprise of the
// credit code now, read inside the caller's transaction (a filing as the
// enterprise checks it there). Forbidden with the reason otherwise: not
// theirs (enterprise.not_yours), revoked, expired.
func (s *Service) EnterpriseRoleTx(tx *db.Tx, personID, creditCode string) (*EnterpriseRole, error) {
	creditCode = strings.ToUpper(strings.TrimSpace(creditCode))
	if _, err := codes.ParseCreditCode(creditCode); err != nil {
		return nil, err
	}
	r := EnterpriseRole{CreditCode: creditCode, Items: []string{}}
	var rep sql.NullString
	err := tx.QueryRow(`SELECT user_id, name, legal_rep_id FROM organisations WHERE credit_code = $1`, creditCode).Scan(&r.OrganisationID, &r.Name, &rep)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.E(apperr.Forbidden, "enterprise.not_yours")
	}
	if err != nil {
		return nil, err
	}
	if rep.String == personID {
		r.LegalRep = true
		return &r, nil
	}
	var items string
	var revoked sql.NullTime
	err = tx.QueryRow(`SELECT items, expires_at, revoked_at FROM enterprise_operators
		WHERE organisation_id = $1 AND person_id = $2 ORDER BY created_at DESC, id DESC LIMIT 1`, r.OrganisationID, personID).Scan(&items, &r.Expires, &revoked)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, apperr.E(apperr.Forbidden, "enterprise.not_yours")
	case err != nil:
		return nil, err
	case revoked.Valid:
		return nil, apperr.E(apperr.Forbidden, "enterprise.authorisation_revoked", "name", r.Name)
	case !tx.Now.Before(r.Expires):
		return nil, apperr.E(apperr.Forbidden, "enterprise.authorisation_expired", "name", r.Name, "date", lastDay(r.Expires))
	}
	r.Items, r.ExpiresOn = parseItems(items), lastDay(r.Expires)
	return &r, nil
}

// BindEnterprise makes u, an L2 natural person, the holder of the
// enterprise of the credit code as its legal representative (see above for
// when the claim is accepted). Binding one already held by u answers it
// again.
func (s *Service) BindEnterprise(ctx context.Context, u *User, creditCode, name string) (*EnterpriseRole, error) {
	if u == nil || u.Kind != KindPerson {
		return nil, apperr.E(apperr.Forbidden, "enterprise.person_only")
	}
	if u.Assurance < AssuranceL2 {
		return nil, apperr.E(apperr.Forbidden, "enterprise.l2_required")
	}
	name = strings.TrimSpace(name)
	creditCode = strings.ToUpper(strings.TrimSpace(creditCode))
	if name == "" {
		return nil, apperr.E(apperr.Invalid, "enterprise.name_required")
	}
	if _, err := codes.ParseCreditCode(creditCode); err != nil {
		return nil, err
	}
	r := &EnterpriseRole{Name: name, CreditCode: creditCode, LegalRep: true, Items: []string{}}
	err := s.db.Update(ctx, func(tx *db.Tx) error {
		var person string
		if err := tx.QueryRow(`SELECT name FROM persons WHERE user_id = $1`, u.ID).Scan(&person); err != nil {
			return db.NotFound(err, "enterprise.person_only")
		}
		var orgName, repName string
		var rep sql.NullString
		err := tx.QueryRow(`SELECT user_id, name, legal_rep_name, legal_rep_id FROM organisations WHERE credit_code = $1`, creditCode).
			Scan(&r.OrganisationID, &orgName, &repName, &rep)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			// An enterprise the platform has no record of: nothing online
			// proves that this person represents it (an L2 account proves
			// who they are, not what they hold). Its legal representative
			// binds it at a window, where a clerk sees the 营业执照
			// (BindAtWindowTx).
			return apperr.E(apperr.NotFound, "enterprise.unknown_window")
		case err != nil:
			return err
		case rep.String == u.ID:
			r.Name = orgName
			return nil // already theirs
		case rep.Valid:
			return apperr.E(apperr.Conflict, "enterprise.held")
		case orgName != name:
			return apperr.E(apperr.Invalid, "enterprise.name_mismatch")
		case repName != person:
			return apperr.E(apperr.Invalid, "enterprise.rep_mismatch")
		default:
			if _, err := tx.Exec(`UPDATE organisations SET legal_rep_id = $1, bound_at = $2 WHERE user_id = $3`, u.ID, tx.Now, r.OrganisationID); err != nil {
				return err
			}
		}
		return audit.Append(tx, &audit.Record{Actor: u.ID, Role: string(RoleApplicant), Action: "enterprise.bind", ObjectType: "user", ObjectID: r.OrganisationID},
			fmt.Appendf(nil, `{"credit_code":%q}`, creditCode))
	})
	if err != nil {
		return nil, apperr.Internalf("identity: bind enterprise", err)
	}
	return r, nil
}

// Operator is one authorisation of a 经办人, as its legal representative
// sees it: the person's ID number masked.
type Operator struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	IDMasked  string     `json:"id_number_masked"`
	Items     []string   `json:"items"` // empty: every item
	ExpiresOn string     `json:"expires_on"`
	Status    string     `json:"status"` // active, expired, revoked
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// OperatorInput authorises a 经办人: the person by ID number and name, the
// scope (no items: every item) and the last day.
type OperatorInput struct {
	IDNumber  string   `json:"id_number"`
	Name      string   `json:"name"`
	Items     []string `json:"items"`
	ExpiresOn string   `json:"expires_on"`
}

// heldBy finds the enterprise of the credit code that u holds as legal
// representative; another's (or none) does not exist for u.
func heldBy(tx *db.Tx, u *User, creditCode string) (id, name string, err error) {
	if u == nil || u.Kind != KindPerson {
		return "", "", apperr.E(apperr.Forbidden, "enterprise.person_only")
	}
	err = tx.QueryRow(`SELECT user_id, name FROM organisations WHERE credit_code = $1 AND legal_rep_id = $2`,
		strings.ToUpper(strings.TrimSpace(creditCode)), u.ID).Scan(&id, &name)
	return id, name, db.NotFound(err, "enterprise.not_found")
}

// AuthoriseOperator records a 经办人 of u's enterprise. The person is named
// by ID number and name, and an unknown number and another name get the
// same answer (enterprise.person_unmatched): the legal representative learns
// nobody's name.
func (s *Service) AuthoriseOperator(ctx context.Context, u *User, creditCode string, in OperatorInput) (*Operator, error) {
	var op *Operator
	err := s.db.Update(ctx, func(tx *db.Tx) error {
		orgID, _, err := heldBy(tx, u, creditCode)
		if err != nil {
			return err
		}
		if err := matchThrottled(tx, u.ID); err != nil {
			return err
		}
		end, err := ParseExpiry(in.ExpiresOn, tx.Now)
		if err != nil {
			return err
		}
		var items []string
		for _, it := range in.Items {
			if it = strings.TrimSpace(it); it != "" && !slices.Contains(items, it) {
				items = append(items, it)
			}
		}
		if len(items) > MaxOperatorItems {
			return apperr.E(apperr.Invalid, "enterprise.too_many_items", "max", MaxOperatorItems)
		}
		for _, it := range items {
			var one int
			if err := tx.QueryRow(`SELECT 1 FROM items WHERE impl_code = $1`, it).Scan(&one); err != nil {
				if errors.Is(err, sql.ErrNoRows) {
					return apperr.E(apperr.Invalid, "enterprise.item_unknown", "code", it)
				}
				return err
			}
		}
		name := strings.TrimSpace(in.Name)
		if name == "" || strings.TrimSpace(in.IDNumber) == "" {
			return apperr.E(apperr.Invalid, "enterprise.person_required")
		}
		if codes.Detect(strings.ToUpper(strings.TrimSpace(in.IDNumber)), tx.Now.In(calendar.China)) == codes.KindCreditCode {
			return apperr.E(apperr.Invalid, "enterprise.person_unmatched")
		}
		app, err := s.ApplicantByNumberTx(tx, in.IDNumber)
		switch {
		case apperr.Is(err, apperr.NotFound, ""), err == nil && app.Name != name:
			return apperr.E(apperr.Invalid, "enterprise.person_unmatched")
		case err != nil:
			return err // a malformed number: its own fault
		}
		if app.UserID == u.ID {
			return apperr.E(apperr.Invalid, "enterprise.operator_self")
		}
		var n int
		if err := tx.QueryRow(`SELECT COUNT(*) FROM enterprise_operators WHERE organisation_id = $1 AND person_id = $2 AND revoked_at IS NULL AND expires_at > $3`,
			orgID, app.UserID, tx.Now).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return apperr.E(apperr.Conflict, "enterprise.operator_exists")
		}
		op = &Operator{ID: db.NewID(), Name: app.Name, IDMasked: app.Masked, Items: items, ExpiresOn: lastDay(end), Status: "active", CreatedAt: tx.Now}
		if op.Items == nil {
			op.Items = []string{}
		}
		if _, err := tx.Exec(`INSERT INTO enterprise_operators (id, organisation_id, person_id, items, expires_at, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			op.ID, orgID, app.UserID, strings.Join(items, ","), end, u.ID, tx.Now); err != nil {
			return err
		}
		return audit.Append(tx, &audit.Record{Actor: u.ID, Role: string(RoleApplicant), Action: "enterprise.operator_authorise", ObjectType: "user", ObjectID: orgID},
			fmt.Appendf(nil, `{"operator":%q,"person":%q,"items":%q,"expires_on":%q}`, op.ID, app.UserID, strings.Join(items, ","), op.ExpiresOn))
	})
	if apperr.Is(err, apperr.Invalid, "enterprise.person_unmatched") {
		if nerr := s.noteUnmatched(ctx, u, orgID(ctx, s, creditCode)); nerr != nil {
			return nil, apperr.Internalf("identity: note unmatched person", nerr)
		}
	}
	if err != nil {
		return nil, apperr.Internalf("identity: authorise operator", err)
	}
	return op, nil
}

// OperatorMatchLimit failed attempts to name a person are allowed per
// legal representative within OperatorMatchWindow (the same counter as an
// agent's, table applicant_match_failures): a number and a name that do not
// match say only that, and not many times.
var (
	OperatorMatchLimit  = 10
	OperatorMatchWindow = time.Hour
)

// matchThrottled refuses a caller who failed OperatorMatchLimit times within
// the window.
func matchThrottled(tx *db.Tx, userID string) error {
	wait, err := MatchWait(tx, userID, OperatorMatchLimit, OperatorMatchWindow)
	if err != nil || wait == 0 {
		return err
	}
	return apperr.E(apperr.TooMany, "enterprise.match_throttled", "minutes", int(math.Ceil(wait.Minutes())))
}

// orgID is the organisation of the credit code, "" when unknown (for the
// audit record of a failed match).
func orgID(ctx context.Context, s *Service, creditCode string) string {
	var id string
	s.db.View(ctx, func(tx *db.Tx) error {
		return tx.QueryRow(`SELECT user_id FROM organisations WHERE credit_code = $1`, strings.ToUpper(strings.TrimSpace(creditCode))).Scan(&id)
	})
	return id
}

// noteUnmatched counts a failed match after the authorisation's
// transaction rolled back, and records it (what was typed is not kept).
func (s *Service) noteUnmatched(ctx context.Context, u *User, org string) error {
	return s.db.Update(ctx, func(tx *db.Tx) error {
		if err := CountMatchFailure(tx, u.ID, OperatorMatchWindow); err != nil {
			return err
		}
		return audit.Append(tx, &audit.Record{Actor: u.ID, Role: string(RoleApplicant), Action: "enterprise.person_unmatched", ObjectType: "user", ObjectID: org}, nil)
	})
}

// Operators lists the authorisations of u's enterprise, newest first, with
// the expired and revoked ones.
func (s *Service) Operators(ctx context.Context, u *User, creditCode string) ([]Operator, error) {
	out := []Operator{}
	err := s.db.View(ctx, func(tx *db.Tx) error {
		orgID, _, err := heldBy(tx, u, creditCode)
		if err != nil {
			return err
		}
		rows, err := tx.Query(`SELECT e.id, p.name, p.id_number_masked, e.items, e.expires_at, e.created_at, e.revoked_at
			FROM enterprise_operators e JOIN persons p ON p.user_id = e.person_id
			WHERE e.organisation_id = $1 ORDER BY e.created_at DESC, e.id DESC LIMIT 500`, orgID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var o Operator
			var items string
			var end time.Time
			var revoked sql.NullTime
			if err := rows.Scan(&o.ID, &o.Name, &o.IDMasked, &items, &end, &o.CreatedAt, &revoked); err != nil {
				return err
			}
			o.Items, o.ExpiresOn, o.Status = parseItems(items), lastDay(end), "active"
			switch {
			case revoked.Valid:
				o.Status, o.RevokedAt = "revoked", &revoked.Time
			case !tx.Now.Before(end):
				o.Status = "expired"
			}
			out = append(out, o)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, apperr.Internalf("identity: operators", err)
	}
	return out, nil
}

// RevokeOperator ends an authorisation of u's enterprise at once.
func (s *Service) RevokeOperator(ctx context.Context, u *User, creditCode, id string) error {
	return apperr.Internalf("identity: revoke operator", s.db.Update(ctx, func(tx *db.Tx) error {
		orgID, _, err := heldBy(tx, u, creditCode)
		if err != nil {
			return err
		}
		var revoked sql.NullTime
		if err := tx.QueryRow(`SELECT revoked_at FROM enterprise_operators WHERE id = $1 AND organisation_id = $2`, id, orgID).Scan(&revoked); err != nil {
			return db.NotFound(err, "enterprise.operator_unknown")
		}
		if revoked.Valid {
			return apperr.E(apperr.Conflict, "enterprise.operator_revoked")
		}
		if _, err := tx.Exec(`UPDATE enterprise_operators SET revoked_at = $1, revoked_by = $2 WHERE id = $3`, tx.Now, u.ID, id); err != nil {
			return err
		}
		return audit.Append(tx, &audit.Record{Actor: u.ID, Role: string(RoleApplicant), Action: "enterprise.operator_revoke", ObjectType: "user", ObjectID: orgID},
			fmt.Appendf(nil, `{"operator":%q}`, id))
	}))
}

// EnterpriseRecipients are the people told of an enterprise's case on the
// item: its legal representative and the current 经办人 whose scope covers
// the item.
func EnterpriseRecipients(tx *db.Tx, orgID, itemCode string) ([]string, error) {
	var out []string
	var rep sql.NullString
	if err := tx.QueryRow(`SELECT legal_rep_id FROM organisations WHERE user_id = $1`, orgID).Scan(&rep); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil
		}
		return nil, err
	}
	if rep.Valid {
		out = append(out, rep.String)
	}
	rows, err := tx.Query(`SELECT person_id, items FROM enterprise_operators WHERE organisation_id = $1 AND revoked_at IS NULL AND expires_at > $2 ORDER BY created_at, id`, orgID, tx.Now)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, items string
		if err := rows.Scan(&id, &items); err != nil {
			return nil, err
		}
		if (EnterpriseRole{Items: parseItems(items)}).Covers(itemCode) && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out, rows.Err()
}

// RegisterEnterpriseTx records an enterprise just registered (企业开办, issue
// 17): a new organisation account nobody logs in as and nobody holds yet,
// naming its legal representative. The person of that name binds it as
// they bind any registered enterprise (BindEnterprise: an L2 person whose
// name the registration gives). The code must be a new one.
func (s *Service) RegisterEnterpriseTx(tx *db.Tx, name, creditCode, legalRep, actorID string) (string, error) {
	if _, err := codes.ParseCreditCode(creditCode); err != nil {
		return "", err
	}
	b := make([]byte, 4)
	rand.Read(b)
	id := db.NewID()
	if _, err := tx.Exec(`INSERT INTO users (id, username, kind, display_name, password_hash, created_at, updated_at)
		VALUES ($1, $2, 'organisation', $3, '!', $4, $4)`, id, "org-"+hex.EncodeToString(b)+"-"+strings.ToLower(creditCode[8:17]), name, tx.Now); err != nil {
		return "", err
	}
	if _, err := tx.Exec(`INSERT INTO organisations (user_id, name, credit_code, legal_rep_name) VALUES ($1, $2, $3, $4)`,
		id, name, creditCode, legalRep); err != nil {
		return "", err
	}
	return id, audit.Append(tx, &audit.Record{Actor: actorID, Action: "account.create", ObjectType: "user", ObjectID: id},
		fmt.Appendf(nil, `{"kind":"organisation","credit_code":%q,"registered":true}`, creditCode))
}
