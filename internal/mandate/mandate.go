// Package mandate keeps agents' mandates (授权委托, issue 16): a village
// agent (代办员) files for a person only under one. A mandate names the
// agent, the person (the principal), a scope (all items or listed
// implementation codes) and an expiry, and becomes active one of two ways:
//
//   - online (method sms): the agent names the person by name and ID number
//     (matched without an oracle, throttled per agent), an SMS code goes to
//     the person's verified mobile, and the agent enters the code the person
//     reads out; or the person, signed in, confirms the request on their
//     account page (/me/mandates) — or refuses it there;
//   - written (method document): the agent uploads the signed 授权委托书
//     and a clerk of the agent's region checks it (active, or refused with
//     a reason).
//
// The person revokes an active mandate at any time. A mandate past its
// expiry is expired; a request not confirmed within PendingTTL lapses. An
// agent may also register an unregistered villager: the SMS code to the
// villager's mobile proves the number and the consent, and one transaction
// makes the L1 account with that verified number and the active mandate.
package mandate

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
)

// Methods of confirmation.
const (
	MethodSMS      = "sms"      // online: an SMS code, or the person's own account
	MethodDocument = "document" // a signed 授权委托书 a clerk checks
)

// States of a mandate.
const (
	StatePending = "pending"
	StateActive  = "active"
	StateRefused = "refused"
	StateRevoked = "revoked"
	StateExpired = "expired"
)

// allItems is the items column of a mandate for every item.
const allItems = "*"

// Bounds: a mandate lasts at most MaxValidity; a request not confirmed
// within PendingTTL lapses; at most MaxItems listed items.
var (
	MaxValidity = 3 * 365 * 24 * time.Hour
	PendingTTL  = 7 * 24 * time.Hour
	MaxItems    = 50
)

// CodeKind is the notification template of a mandate's SMS code: which
// agent asks, no ID number.
const CodeKind = "mandate_code"

// Service keeps mandates.
type Service struct {
	DB       *db.DB
	Identity *identity.Service
	// Files opens a stored upload by its SHA-256 (cases.Service.OpenStored):
	// the 授权委托书 a clerk reads.
	Files func(ctx context.Context, sha256 string) (io.ReadCloser, error)
}

// Mandate is one mandate as its agent, its principal and the checking
// clerk see it (the principal's number masked).
type Mandate struct {
	ID              string     `json:"id"`
	AgentName       string     `json:"agent_name"`
	PrincipalName   string     `json:"principal_name"`
	PrincipalMasked string     `json:"principal_identifier"`
	AllItems        bool       `json:"all_items"`
	Items           []string   `json:"items"`
	ExpiresAt       time.Time  `json:"expires_at"`
	ValidUntil      string     `json:"valid_until"` // the last day it covers (China)
	Method          string     `json:"method"`
	State           string     `json:"state"`
	ConfirmedVia    string     `json:"confirmed_via,omitempty"` // code, account, clerk
	Reason          string     `json:"reason,omitempty"`
	CheckedBy       string     `json:"checked_by,omitempty"`
	CheckedAt       *time.Time `json:"checked_at,omitempty"`
	CreatedAt       time.Time  `json:"created_at"`
	ActivatedAt     *time.Time `json:"activated_at,omitempty"`
	EndedAt         *time.Time `json:"ended_at,omitempty"`
	Document        *Document  `json:"document,omitempty"`
	// CodeSentTo is the masked number a request's code went to ("" when
	// none: the person confirms on their account page).
	CodeSentTo string `json:"code_sent_to,omitempty"`

	AgentID     string `json:"-"`
	PrincipalID string `json:"-"`
	Region      string `json:"-"`
	stored      string // the state column
	sha         string
}

// Document is a mandate's 授权委托书 upload.
type Document struct {
	ID          string `json:"id"`
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
}

// Covers reports whether m's scope includes the item.
func (m *Mandate) Covers(implCode string) bool {
	return m.AllItems || slices.Contains(m.Items, implCode)
}

// Request is an agent's request for a mandate.
type Request struct {
	Name     string   `json:"name"`      // the person's name (an organisation's name)
	Number   string   `json:"id_number"` // citizen ID number or unified social credit code
	AllItems bool     `json:"all_items"`
	Items    []string `json:"items,omitempty"` // implementation codes
	// ValidUntil is the last day the mandate covers (YYYY-MM-DD, China).
	ValidUntil string `json:"valid_until"`
	Method     string `json:"method"`             // sms or document
	Document   string `json:"document,omitempty"` // document: the upload's id (POST /api/v1/materials)
}

const mandateSelect = `SELECT m.id, m.agent_id, ag.display_name, m.principal_id, COALESCE(p.name, o.name, pu.display_name),
	COALESCE(p.id_number_masked, o.credit_code, ''), m.region_code, m.items, m.expires_at, m.method, m.state, m.confirmed_via,
	m.reason, COALESCE(ck.display_name, ''), m.checked_at, m.created_at, m.activated_at, m.ended_at,
	COALESCE(cm.id, ''), COALESCE(cm.filename, ''), COALESCE(cm.content_type, ''), COALESCE(cm.size, 0), COALESCE(cm.sha256, '')
	FROM mandates m JOIN users ag ON ag.id = m.agent_id JOIN users pu ON pu.id = m.principal_id
	LEFT JOIN persons p ON p.user_id = m.principal_id LEFT JOIN organisations o ON o.user_id = m.principal_id
	LEFT JOIN users ck ON ck.id = m.checked_by LEFT JOIN case_materials cm ON cm.id = m.material_id`

func scan(row interface{ Scan(...any) error }, now time.Time) (*Mandate, error) {
	m := &Mandate{}
	var items string
	var checked, activated, ended sql.NullTime
	var doc Document
	if err := row.Scan(&m.ID, &m.AgentID, &m.AgentName, &m.PrincipalID, &m.PrincipalName, &m.PrincipalMasked, &m.Region,
		&items, &m.ExpiresAt, &m.Method, &m.stored, &m.ConfirmedVia, &m.Reason, &m.CheckedBy, &checked, &m.CreatedAt,
		&activated, &ended, &doc.ID, &doc.Filename, &doc.ContentType, &doc.Size, &m.sha); err != nil {
		return nil, err
	}
	m.AllItems = items == allItems
	m.Items = []string{}
	if !m.AllItems {
		m.Items = strings.Fields(items)
	}
	m.ExpiresAt, m.CreatedAt = m.ExpiresAt.UTC(), m.CreatedAt.UTC()
	m.ValidUntil = calendar.DateIn(m.ExpiresAt.Add(-time.Second)).String()
	for _, p := range []struct {
		v *sql.NullTime
		t **time.Time
	}{{&checked, &m.CheckedAt}, {&activated, &m.ActivatedAt}, {&ended, &m.EndedAt}} {
		if p.v.Valid {
			t := p.v.Time.UTC()
			*p.t = &t
		}
	}
	if doc.ID != "" {
		m.Document = &doc
	}
	m.State = effective(m.stored, m.ExpiresAt, m.CreatedAt, now)
	return m, nil
}

// effective is a mandate's state at now: an active mandate past its
// expiry, or a request past PendingTTL or the expiry, is expired.
func effective(stored string, expires, created, now time.Time) string {
	switch {
	case stored == StateActive && !now.Before(expires):
		return StateExpired
	case stored == StatePending && (!now.Before(expires) || !now.Before(created.Add(PendingTTL))):
		return StateExpired
	}
	return stored
}

// agentRegion is the area u serves as an agent ("" when u is no agent).
func agentRegion(u *identity.User) string {
	for _, g := range u.Grants {
		if g.Role == identity.RoleAgent && g.RegionCode != "" {
			return g.RegionCode
		}
	}
	return ""
}

// checkRequest validates scope, expiry and method; returns the items
// column and the expiry.
func checkRequest(tx *db.Tx, r *Request) (string, time.Time, error) {
	var zero time.Time
	switch r.Method {
	case MethodSMS, MethodDocument:
	default:
		return "", zero, apperr.E(apperr.Invalid, "mandate.method_invalid")
	}
	items, err := checkScope(tx, r.AllItems, r.Items)
	if err != nil {
		return "", zero, err
	}
	expires, err := checkUntil(tx.Now, r.ValidUntil)
	return items, expires, err
}

// checkScope: all items, or one to MaxItems implementation codes of the
// catalog.
func checkScope(tx *db.Tx, all bool, list []string) (string, error) {
	var items []string
	for _, it := range list {
		if it = strings.TrimSpace(it); it != "" && !slices.Contains(items, it) {
			items = append(items, it)
		}
	}
	switch {
	case all && len(items) > 0:
		return "", apperr.E(apperr.Invalid, "mandate.scope_ambiguous")
	case all:
		return allItems, nil
	case len(items) == 0:
		return "", apperr.E(apperr.Invalid, "mandate.scope_required")
	case len(items) > MaxItems:
		return "", apperr.E(apperr.Invalid, "mandate.scope_too_many", "max", MaxItems)
	}
	for _, it := range items {
		var n int
		if err := tx.QueryRow(`SELECT COUNT(*) FROM items WHERE impl_code = $1`, it).Scan(&n); err != nil {
			return "", err
		}
		if n == 0 {
			return "", apperr.E(apperr.Invalid, "mandate.item_unknown", "code", it)
		}
	}
	return strings.Join(items, " "), nil
}

// checkUntil parses the last day covered: today at the earliest, at most
// MaxValidity ahead. The mandate expires at the start of the next day.
func checkUntil(now time.Time, s string) (time.Time, error) {
	d, err := calendar.ParseDate(strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, apperr.E(apperr.Invalid, "mandate.until_invalid")
	}
	today := calendar.DateIn(now)
	if d.Before(today) {
		return time.Time{}, apperr.E(apperr.Invalid, "mandate.until_past")
	}
	last := calendar.DateIn(now.Add(MaxValidity))
	if d.After(last) {
		return time.Time{}, apperr.E(apperr.Invalid, "mandate.until_too_far", "max", last.String())
	}
	n := d.AddDays(1)
	return time.Date(n.Year, n.Month, n.Day, 0, 0, 0, 0, calendar.China).UTC(), nil
}

// Request records an agent's request for a mandate. Online (sms): the
// person's verified mobile gets a code for the agent to enter (Confirm);
// a person without one confirms on their own account page. Written
// (document): the upload is kept with the mandate for a clerk to check.
// The person is named by name and number, matched as at filing (no
// oracle, throttled per agent).
func (s *Service) Request(ctx context.Context, agent *identity.User, ip string, r Request) (*Mandate, error) {
	region := ""
	if agent != nil {
		region = agentRegion(agent)
	}
	if region == "" {
		return nil, apperr.E(apperr.Forbidden, "error.forbidden")
	}
	var id, phone string
	err := s.DB.Update(ctx, func(tx *db.Tx) error {
		items, expires, err := checkRequest(tx, &r)
		if err != nil {
			return err
		}
		if r.Method == MethodDocument && strings.TrimSpace(r.Document) == "" {
			return apperr.E(apperr.Invalid, "mandate.document_required")
		}
		if r.Method == MethodSMS && r.Document != "" {
			return apperr.E(apperr.Invalid, "mandate.document_unexpected")
		}
		app, err := MatchTx(tx, s.Identity, agent, r.Name, r.Number)
		if err != nil {
			return err
		}
		if r.Method == MethodSMS {
			if phone, err = s.Identity.AccountPhoneNumberTx(tx, app.UserID); err != nil {
				return err
			}
		}
		id, err = s.insert(tx, agent, app.UserID, region, items, expires, r.Method, StatePending, "", r.Document)
		return err
	})
	if err = NoteUnmatched(ctx, s.DB, agent, err); err != nil {
		return nil, apperr.Internalf("mandate: request", err)
	}
	m, err := s.get(ctx, id)
	if err != nil {
		return nil, err
	}
	if phone != "" {
		if m.CodeSentTo, err = s.sendCode(ctx, agent, phone, ip); err != nil {
			return m, err
		}
	}
	return m, nil
}

// sendCode texts the confirmation code to a principal's (or a villager's)
// number.
func (s *Service) sendCode(ctx context.Context, agent *identity.User, phone, ip string) (string, error) {
	return s.Identity.SendCode(ctx, identity.CodeRequest{Phone: phone, Purpose: identity.CodeMandate, IP: ip,
		Kind: CodeKind, Args: map[string]any{"agent": agent.DisplayName}})
}

// insert writes a mandate and its audit record; a document's upload is
// claimed for it (the agent's own, not attached elsewhere).
func (s *Service) insert(tx *db.Tx, agent *identity.User, principal, region, items string, expires time.Time, method, state, via, doc string) (string, error) {
	id := db.NewID()
	var activated any
	if state == StateActive {
		activated = tx.Now
	}
	var material any
	if doc != "" {
		var n int
		if err := tx.QueryRow(`SELECT COUNT(*) FROM case_materials WHERE id = $1 AND owner_id = $2 AND case_id IS NULL AND mandate_id IS NULL`,
			doc, agent.ID).Scan(&n); err != nil {
			return "", err
		}
		if n != 1 {
			return "", apperr.E(apperr.Invalid, "mandate.document_unknown")
		}
		material = doc
	}
	if _, err := tx.Exec(`INSERT INTO mandates (id, agent_id, principal_id, region_code, items, expires_at, method, state,
		confirmed_via, material_id, created_at, activated_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $11)`,
		id, agent.ID, principal, region, items, expires, method, state, via, material, tx.Now, activated); err != nil {
		return "", err
	}
	if doc != "" {
		res, err := tx.Exec(`UPDATE case_materials SET mandate_id = $1, material_key = 'proxy'
			WHERE id = $2 AND owner_id = $3 AND case_id IS NULL AND mandate_id IS NULL`, id, doc, agent.ID)
		if err != nil {
			return "", err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return "", apperr.E(apperr.Invalid, "mandate.document_unknown")
		}
	}
	return id, audit.Append(tx, &audit.Record{Actor: agent.ID, Role: string(identity.RoleAgent), Action: "mandate." + state,
		ObjectType: "mandate", ObjectID: id}, []byte(`{"method":"`+method+`","items":"`+items+`","expires_at":"`+expires.Format(time.RFC3339)+`"}`))
}

// get reads one mandate.
func (s *Service) get(ctx context.Context, id string) (*Mandate, error) {
	var m *Mandate
	err := s.DB.View(ctx, func(tx *db.Tx) error {
		var err error
		m, err = getTx(tx, id)
		return err
	})
	return m, apperr.Internalf("mandate: read", err)
}

func getTx(tx *db.Tx, id string) (*Mandate, error) {
	m, err := scan(tx.QueryRow(mandateSelect+` WHERE m.id = $1`, id), tx.Now)
	return m, db.NotFound(err, "mandate.not_found")
}

// forUpdate reads a mandate to change it (locked on PostgreSQL).
func forUpdate(tx *db.Tx, id string) (*Mandate, error) {
	q := mandateSelect + ` WHERE m.id = $1`
	if tx.Dialect == db.Postgres {
		q += ` FOR UPDATE OF m`
	}
	m, err := scan(tx.QueryRow(q, id), tx.Now)
	return m, db.NotFound(err, "mandate.not_found")
}

// setState moves a mandate and audits the change.
func setState(tx *db.Tx, m *Mandate, u *identity.User, role identity.Role, state, via, reason string) error {
	q := `UPDATE mandates SET state = $1, confirmed_via = $2, reason = $3, updated_at = $4`
	args := []any{state, via, reason, tx.Now, m.ID}
	switch state {
	case StateActive:
		q += `, activated_at = $4`
	case StateRefused, StateRevoked:
		q += `, ended_at = $4`
	}
	if m.Method == MethodDocument && role == identity.RoleClerk {
		q += `, checked_by = $6, checked_at = $4`
		args = append(args, u.ID)
	}
	res, err := tx.Exec(q+` WHERE id = $5 AND state = '`+m.stored+`'`, args...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return apperr.E(apperr.Conflict, "mandate.changed")
	}
	payload := []byte(nil)
	if reason != "" {
		payload = []byte(reason)
	}
	return audit.Append(tx, &audit.Record{Actor: u.ID, Role: string(role), Action: "mandate." + state, ObjectType: "mandate", ObjectID: m.ID}, payload)
}

// pendingFor refuses a mandate that is not a pending request (naming what
// it is).
func pendingFor(m *Mandate) error {
	if m.State == StatePending {
		return nil
	}
	return apperr.E(apperr.Conflict, "mandate.not_pending", "state", "mandate.state."+m.State)
}

// pendingPhone is the verified number of the person a pending online
// request of agent's asks: where its code goes. NotFound for another
// agent's request, Invalid mandate.not_sms / mandate.no_phone, Conflict
// when it is no longer pending.
func (s *Service) pendingPhone(ctx context.Context, agent *identity.User, id string) (string, error) {
	var phone string
	err := s.DB.View(ctx, func(tx *db.Tx) error {
		m, err := getTx(tx, id)
		if err != nil {
			return err
		}
		if agent == nil || m.AgentID != agent.ID {
			return apperr.E(apperr.NotFound, "mandate.not_found")
		}
		if m.Method != MethodSMS {
			return apperr.E(apperr.Invalid, "mandate.not_sms")
		}
		if err := pendingFor(m); err != nil {
			return err
		}
		if phone, err = s.Identity.AccountPhoneNumberTx(tx, m.PrincipalID); err != nil {
			return err
		}
		if phone == "" {
			return apperr.E(apperr.Invalid, "mandate.no_phone")
		}
		return nil
	})
	return phone, err
}

// Confirm: the agent enters the code the person read out; the request
// becomes active.
func (s *Service) Confirm(ctx context.Context, agent *identity.User, id, code string) (*Mandate, error) {
	phone, err := s.pendingPhone(ctx, agent, id)
	if err != nil {
		return nil, apperr.Internalf("mandate: confirm", err)
	}
	err = s.Identity.UseCode(ctx, phone, identity.CodeMandate, strings.TrimSpace(code), func(tx *db.Tx, _ string) error {
		m, err := forUpdate(tx, id)
		if err != nil {
			return err
		}
		if err := pendingFor(m); err != nil {
			return err
		}
		return setState(tx, m, agent, identity.RoleAgent, StateActive, "code", "")
	})
	if err != nil {
		return nil, err
	}
	return s.get(ctx, id)
}

// Resend texts a new code for a pending online request.
func (s *Service) Resend(ctx context.Context, agent *identity.User, id, ip string) (*Mandate, error) {
	phone, err := s.pendingPhone(ctx, agent, id)
	if err != nil {
		return nil, apperr.Internalf("mandate: resend", err)
	}
	m, err := s.get(ctx, id)
	if err != nil {
		return nil, err
	}
	m.CodeSentTo, err = s.sendCode(ctx, agent, phone, ip)
	return m, err
}

// Answer is the principal's own answer to a request on their account
// page: confirm (active) or refuse it.
func (s *Service) Answer(ctx context.Context, principal *identity.User, id string, confirm bool) (*Mandate, error) {
	err := s.DB.Update(ctx, func(tx *db.Tx) error {
		m, err := s.principals(tx, principal, id)
		if err != nil {
			return err
		}
		if err := pendingFor(m); err != nil {
			return err
		}
		if m.Method != MethodSMS {
			return apperr.E(apperr.Invalid, "mandate.document_checked_by_clerk")
		}
		if confirm {
			return setState(tx, m, principal, identity.RoleApplicant, StateActive, "account", "")
		}
		return setState(tx, m, principal, identity.RoleApplicant, StateRefused, "", "")
	})
	if err != nil {
		return nil, apperr.Internalf("mandate: answer", err)
	}
	return s.get(ctx, id)
}

// Revoke: the principal ends a mandate (active or still pending) at any
// time.
func (s *Service) Revoke(ctx context.Context, principal *identity.User, id string) (*Mandate, error) {
	err := s.DB.Update(ctx, func(tx *db.Tx) error {
		m, err := s.principals(tx, principal, id)
		if err != nil {
			return err
		}
		if m.State != StateActive && m.State != StatePending {
			return apperr.E(apperr.Conflict, "mandate.not_active", "state", "mandate.state."+m.State)
		}
		return setState(tx, m, principal, identity.RoleApplicant, StateRevoked, m.ConfirmedVia, "")
	})
	if err != nil {
		return nil, apperr.Internalf("mandate: revoke", err)
	}
	return s.get(ctx, id)
}

// principals reads a mandate of principal's for a change; another's is
// not found.
func (s *Service) principals(tx *db.Tx, principal *identity.User, id string) (*Mandate, error) {
	if principal == nil || principal.Kind == identity.KindStaff {
		return nil, apperr.E(apperr.Forbidden, "error.forbidden")
	}
	m, err := forUpdate(tx, id)
	if err != nil {
		return nil, err
	}
	if m.PrincipalID != principal.ID {
		return nil, apperr.E(apperr.NotFound, "mandate.not_found")
	}
	return m, nil
}

// Check: a clerk of the agent's region decides a written mandate: active,
// or refused with a reason.
func (s *Service) Check(ctx context.Context, clerk *identity.User, id string, approve bool, reason string) (*Mandate, error) {
	reason = strings.TrimSpace(reason)
	err := s.DB.Update(ctx, func(tx *db.Tx) error {
		m, err := forUpdate(tx, id)
		if err != nil {
			return err
		}
		if err := clerkMay(clerk, m); err != nil {
			return err
		}
		if err := pendingFor(m); err != nil {
			return err
		}
		if approve {
			return setState(tx, m, clerk, identity.RoleClerk, StateActive, "clerk", "")
		}
		if reason == "" {
			return apperr.E(apperr.Invalid, "mandate.reason_required")
		}
		if len([]rune(reason)) > 500 {
			return apperr.E(apperr.Invalid, "mandate.reason_too_long", "max", 500)
		}
		return setState(tx, m, clerk, identity.RoleClerk, StateRefused, "clerk", reason)
	})
	if err != nil {
		return nil, apperr.Internalf("mandate: check", err)
	}
	return s.get(ctx, id)
}

// clerkMay: a clerk whose region covers the agent's area, for a written
// mandate; anything else is not found.
func clerkMay(u *identity.User, m *Mandate) error {
	if u == nil || !u.Has(identity.RoleClerk) {
		return apperr.E(apperr.Forbidden, "error.forbidden")
	}
	if m.Method != MethodDocument || !u.ScopeOf(identity.RoleClerk).CoversRegion(m.Region) {
		return apperr.E(apperr.NotFound, "mandate.not_found")
	}
	return nil
}

// OpenDocument opens a mandate's 授权委托书 for its agent or a clerk who
// may check it; a clerk's read of it is recorded.
func (s *Service) OpenDocument(ctx context.Context, u *identity.User, id string) (*Document, io.ReadCloser, error) {
	m, err := s.get(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if u == nil {
		return nil, nil, apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	if m.AgentID != u.ID {
		if err := clerkMay(u, m); err != nil {
			return nil, nil, err
		}
		if err := s.DB.Update(ctx, func(tx *db.Tx) error {
			return audit.Append(tx, &audit.Record{Actor: u.ID, Role: string(identity.RoleClerk), Action: "mandate.document_read",
				ObjectType: "mandate", ObjectID: m.ID}, nil)
		}); err != nil {
			return nil, nil, apperr.Internalf("mandate: record read", err)
		}
	}
	if m.Document == nil || s.Files == nil {
		return nil, nil, apperr.E(apperr.NotFound, "error.not_found")
	}
	rc, err := s.Files(ctx, m.sha)
	if err != nil {
		return nil, nil, apperr.Internalf("mandate: open document", err)
	}
	return m.Document, rc, nil
}

// Of lists the mandates an agent asked for (as agent) and those of a
// person (as principal), newest first.
func (s *Service) Of(ctx context.Context, u *identity.User) ([]*Mandate, error) {
	if u == nil {
		return nil, apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	col := "m.principal_id"
	switch {
	case u.Has(identity.RoleAgent):
		col = "m.agent_id"
	case u.Kind == identity.KindStaff:
		return nil, apperr.E(apperr.Forbidden, "error.forbidden")
	}
	return s.list(ctx, mandateSelect+` WHERE `+col+` = $1 ORDER BY m.created_at DESC, m.id`, u.ID)
}

// Checks lists the written mandates waiting for a clerk of u's regions,
// oldest first.
func (s *Service) Checks(ctx context.Context, u *identity.User) ([]*Mandate, error) {
	if u == nil || !u.Has(identity.RoleClerk) {
		return nil, apperr.E(apperr.Forbidden, "error.forbidden")
	}
	var out []*Mandate
	all, err := s.list(ctx, mandateSelect+` WHERE m.state = 'pending' AND m.method = 'document' ORDER BY m.created_at, m.id`)
	if err != nil {
		return nil, err
	}
	sc := u.ScopeOf(identity.RoleClerk)
	for _, m := range all {
		if m.State == StatePending && sc.CoversRegion(m.Region) {
			out = append(out, m)
		}
	}
	return out, nil
}

func (s *Service) list(ctx context.Context, q string, args ...any) ([]*Mandate, error) {
	out := []*Mandate{}
	err := s.DB.View(ctx, func(tx *db.Tx) error {
		rows, err := tx.Query(q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			m, err := scan(rows, tx.Now)
			if err != nil {
				return err
			}
			out = append(out, m)
		}
		return rows.Err()
	})
	return out, apperr.Internalf("mandate: list", err)
}

// Get reads one mandate for its agent, its principal or a clerk who may
// check it; anyone else: not found.
func (s *Service) Get(ctx context.Context, u *identity.User, id string) (*Mandate, error) {
	m, err := s.get(ctx, id)
	if err != nil {
		return nil, err
	}
	if u == nil || (m.AgentID != u.ID && m.PrincipalID != u.ID && clerkMay(u, m) != nil) {
		return nil, apperr.E(apperr.NotFound, "mandate.not_found")
	}
	return m, nil
}

// Ref is what a case shows of the mandate it was filed under.
type Ref struct {
	ID         string   `json:"id"`
	AllItems   bool     `json:"all_items"`
	Items      []string `json:"items"`
	ValidUntil string   `json:"valid_until"`
	Method     string   `json:"method"`
}

// CoveringTx finds the active, unexpired mandate of agent for principal
// whose scope covers the item, in the filing's transaction; else a clear
// refusal: outside the scope of an active one, else what the newest is
// (pending, expired, revoked, refused), else none.
func CoveringTx(tx *db.Tx, agentID, principalID, implCode string) (*Ref, error) {
	rows, err := tx.Query(`SELECT id, items, expires_at, method, state, created_at FROM mandates
		WHERE agent_id = $1 AND principal_id = $2 ORDER BY created_at DESC, id`, agentID, principalID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var best *Ref
	var bestExp time.Time
	seen := map[string]bool{}
	newest := "" // the state of the newest mandate that does not serve
	for rows.Next() {
		var id, items, method, state string
		var exp, created time.Time
		if err := rows.Scan(&id, &items, &exp, &method, &state, &created); err != nil {
			return nil, err
		}
		st := effective(state, exp, created, tx.Now)
		all := items == allItems
		list := []string{}
		if !all {
			list = strings.Fields(items)
		}
		if st == StateActive && (all || slices.Contains(list, implCode)) {
			if best == nil || exp.After(bestExp) {
				best, bestExp = RefOf(id, items, method, exp), exp
			}
			continue
		}
		if st == StateActive {
			st = "out_of_scope"
		}
		seen[st] = true
		if newest == "" {
			newest = st
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if best != nil {
		return best, nil
	}
	switch {
	case seen["out_of_scope"]: // an active mandate for other items says the most
		return nil, apperr.E(apperr.Invalid, "mandate.filing_out_of_scope")
	case newest != "":
		return nil, apperr.E(apperr.Invalid, "mandate.filing_"+newest)
	}
	return nil, apperr.E(apperr.Invalid, "mandate.filing_none")
}

// RefOf is what a case shows of its mandate, from the mandate's columns.
func RefOf(id, items, method string, expires time.Time) *Ref {
	r := &Ref{ID: id, AllItems: items == allItems, Items: []string{}, Method: method, ValidUntil: calendar.DateIn(expires.UTC().Add(-time.Second)).String()}
	if !r.AllItems {
		r.Items = strings.Fields(items)
	}
	return r
}

// EndOnClose is an identity.CloseCheck: a person closing their account
// (注销) ends the mandates they gave — active and pending — in the closing
// transaction, audited; no agent acts for a closed account. It refuses
// nothing.
func EndOnClose(tx *db.Tx, userID string) error {
	res, err := tx.Exec(`UPDATE mandates SET state = 'revoked', ended_at = $1, updated_at = $1
		WHERE principal_id = $2 AND state IN ('active', 'pending')`, tx.Now, userID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n > 0 {
		b, _ := json.Marshal(map[string]any{"mandates_revoked": n, "cause": "account.close"})
		return audit.Append(tx, &audit.Record{Actor: userID, Role: "self", Action: "mandate.revoke", ObjectType: "user", ObjectID: userID}, b)
	}
	return nil
}
