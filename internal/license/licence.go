package license

import (
	"context"
	"fmt"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/paging"
	"github.com/tongban/tongban/internal/vault"
)

// Statuses of a licence. A stored licence is valid, suspended or revoked;
// expired is read from its end of validity.
const (
	StatusValid     = "valid"
	StatusSuspended = "suspended"
	StatusRevoked   = "revoked"
	StatusExpired   = "expired"
)

// Service is the licence library (电子证照库).
type Service struct {
	DB       *db.DB
	Keys     *Keyring
	Identity *identity.Service
	// Home is the installation's root region: licence types apply
	// everywhere, so only administrators whose grant covers it define them.
	Home string
}

// Licence is a licence as the library keeps it: the signed payload (whose
// metadata and fields are read back from it), the signature and the
// signer's certificate, and its status now.
type Licence struct {
	ID           string            `json:"-"`
	Metadata     Metadata          `json:"metadata"`
	Fields       map[string]string `json:"fields"`
	Labels       []Field           `json:"field_labels"` // the type's fields, in display order
	Status       string            `json:"status"`       // valid, suspended, revoked, expired
	StatusReason string            `json:"status_reason,omitempty"`
	HolderID     string            `json:"-"`
	HolderMasked string            `json:"holder_masked"`
	DepartmentID string            `json:"-"`
	Region       string            `json:"-"` // the region it was issued for: its case's, else the issuing department's
	CaseID       string            `json:"-"`
	CaseNo       string            `json:"case_no,omitempty"`
	FiledBy      string            `json:"-"` // the applicant of its case (another than the holder for an enterprise a bundle registered)
	Payload      []byte            `json:"-"`
	Signature    []byte            `json:"-"`
	Algorithm    string            `json:"algorithm"`
	CertSerial   string            `json:"cert_serial"`
	CertPEM      string            `json:"-"`
	Layout       Layout            `json:"-"`
	IssuedAt     time.Time         `json:"issued_at"`
}

// Today is the date in China at t, as licences write dates.
func Today(t time.Time) string { return t.In(calendar.China).Format(time.DateOnly) }

// effective is the status a reader sees at t.
func effective(stored, validTo string, t time.Time) string {
	if stored == StatusValid && validTo != "" && validTo < Today(t) {
		return StatusExpired
	}
	return stored
}

// payloadPurpose binds a licence's sealed payload to its row. The payload
// names the holder and their ID number or credit code (PIPL Art. 51): the
// library stores it sealed with the data key and opens it on every read, so
// the signature — over the canonical payload, not the stored text — verifies
// as before, and a licence file carries the payload in clear for its holder.
func payloadPurpose(licenceID string) string { return "licences.payload/" + licenceID }

// vault is the data key's vault, which seals payloads at rest.
func (s *Service) vault() *vault.Vault { return s.Identity.Vault() }

const licenceSelect = `SELECT l.id, l.payload, l.signature, l.status, l.status_reason, l.holder_id, l.holder_masked,
	l.department_id, COALESCE(c.region_code, dp.region_code), COALESCE(l.case_id, ''), COALESCE(c.case_no, ''), COALESCE(c.applicant_id, ''), COALESCE(l.valid_to, ''), l.issued_at,
	k.algorithm, k.serial, k.pem, t.fields, t.layout
	FROM licences l JOIN licence_certs k ON k.serial = l.cert_serial JOIN licence_types t ON t.code = l.type_code
	JOIN departments dp ON dp.id = l.department_id LEFT JOIN cases c ON c.id = l.case_id`

func scanLicence(row interface{ Scan(...any) error }, v *vault.Vault, at time.Time) (*Licence, error) {
	var l Licence
	var payload, validTo, fields, layout string
	if err := row.Scan(&l.ID, &payload, &l.Signature, &l.Status, &l.StatusReason, &l.HolderID, &l.HolderMasked,
		&l.DepartmentID, &l.Region, &l.CaseID, &l.CaseNo, &l.FiledBy, &validTo, &l.IssuedAt, &l.Algorithm, &l.CertSerial, &l.CertPEM, &fields, &layout); err != nil {
		return nil, err
	}
	plain, err := v.OpenText(payload, payloadPurpose(l.ID))
	if err != nil {
		return nil, err
	}
	l.Payload = []byte(plain)
	m, f, err := ParsePayload(l.Payload)
	if err != nil {
		return nil, err
	}
	l.Metadata, l.Fields = m, f
	t := Type{}
	if err := jsonInto(fields, &t.Fields); err != nil {
		return nil, err
	}
	if err := jsonInto(layout, &l.Layout); err != nil {
		return nil, err
	}
	l.Labels = t.Fields
	l.Status = effective(l.Status, validTo, at)
	return &l, nil
}

// byIdentifier reads a licence; NotFound when the library has none.
func (s *Service) byIdentifier(tx *db.Tx, identifier string) (*Licence, error) {
	l, err := scanLicence(tx.QueryRow(licenceSelect+` WHERE l.identifier = $1`, identifier), s.vault(), tx.Now)
	if err != nil {
		return nil, db.NotFound(err, "licence.not_found")
	}
	return l, nil
}

// Cert parses the signer's certificate.
func (l *Licence) Cert() (*smx509.Certificate, error) { return ParseCertPEM([]byte(l.CertPEM)) }

// Get returns a licence to its holder, or to staff of the issuing
// department (whose read of the holder's data is recorded).
func (s *Service) Get(ctx context.Context, u *identity.User, identifier string) (*Licence, error) {
	if u == nil {
		return nil, apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	var l *Licence
	err := s.DB.Update(ctx, func(tx *db.Tx) error {
		var err error
		if l, err = s.byIdentifier(tx, identifier); err != nil {
			return err
		}
		if l.HolderID == u.ID || l.FiledBy == u.ID {
			return nil // its holder, or who applied for it (企业开办: the enterprise's licence, to its founder)
		}
		if !staffReads(u, l) {
			return apperr.E(apperr.NotFound, "licence.not_found")
		}
		return s.audit(tx, u.ID, "staff", "licence.read", l.ID, nil)
	})
	if err != nil {
		return nil, apperr.Internalf("license: get", err)
	}
	return l, nil
}

// staffRoles read a department's licences within their grant's region: its
// back office, and supervisors (电子监察 watches every department of its
// region, as it does their cases). Window clerks see a licence only where a
// case shows it.
var staffRoles = []identity.Role{identity.RoleHandler, identity.RoleReviewer, identity.RoleApprover, identity.RoleSupervisor}

// licenceRegion is the SQL for the region a licence was issued for.
const licenceRegion = "COALESCE(c.region_code, dp.region_code)"

// staffReads: u's scope (the one scoping rule, identity.Scope) covers the
// issuing department in the region l was issued for.
func staffReads(u *identity.User, l *Licence) bool {
	return u.ScopeOf(staffRoles...).Covers(l.DepartmentID, l.Region)
}

// List is the holder's wallet (我的证照), newest first.
func (s *Service) List(ctx context.Context, u *identity.User) ([]Licence, error) {
	if u == nil {
		return nil, apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	var out []Licence
	err := s.DB.View(ctx, func(tx *db.Tx) error {
		var err error
		// With the holder's own, the licences issued to an enterprise a
		// bundle u applied for registered (企业开办: u is its founder).
		out, err = s.queryLicences(tx, licenceSelect+` WHERE l.holder_id = $1 OR c.applicant_id = $1 ORDER BY l.issued_at DESC, l.id`, u.ID)
		return err
	})
	return out, apperr.Internalf("license: list", err)
}

// queryLicences reads the licences a licenceSelect query finds.
func (s *Service) queryLicences(tx *db.Tx, q string, args ...any) ([]Licence, error) {
	rows, err := tx.Query(q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Licence
	for rows.Next() {
		l, err := scanLicence(rows, s.vault(), tx.Now)
		if err != nil {
			return nil, err
		}
		out = append(out, *l)
	}
	return out, rows.Err()
}

// ParseIdentifier validates an identifier (GB/T 36904 with its MOD 37,36
// check character) before any lookup.
func ParseIdentifier(s string) (codes.LicenceID, error) { return codes.ParseLicenceID(s) }

// IssuedFilter narrows the issuing staff's list.
type IssuedFilter struct {
	Number string // a licence number or identifier, exactly
	Status string // valid, suspended, revoked ("" all; expiry is shown, not filtered)
	After  string // a continuation token (paging): "" the first page
	Limit  int    // rows a page, at most paging.MaxSize
}

// IssuedList is the name issued-licence pages' continuation tokens carry.
const IssuedList = "licences_issued"

// Issued lists a page of the licences the departments u works in have
// issued for their grants' regions, and to a supervisor those issued for
// their region, newest first (证照管理): holders masked, as lists are; and
// the next page's token ("" on the last). Forbidden to anyone who holds
// neither a back-office post in a department nor a supervisor's grant.
// Pages are read by keyset (issued_at, id) on licences_issued_page (a
// department) or licences_issued_at (a region).
func (s *Service) Issued(ctx context.Context, u *identity.User, f IssuedFilter) ([]Licence, string, error) {
	if u == nil {
		return nil, "", apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	sc := u.ScopeOf(staffRoles...)
	if sc.Empty() {
		return nil, "", apperr.E(apperr.Forbidden, "error.forbidden")
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	if f.Limit > paging.MaxSize {
		return nil, "", apperr.E(apperr.Invalid, "paging.size_too_large", "max", paging.MaxSize)
	}
	switch f.Status {
	case "", StatusValid, StatusSuspended, StatusRevoked:
	default:
		return nil, "", apperr.E(apperr.Invalid, "licence.status_filter", "value", f.Status)
	}
	fp := paging.Fingerprint(u.ID, f.Number, f.Status)
	key, err := paging.Decode(f.After, IssuedList, fp, s.DB.Now())
	if err != nil {
		return nil, "", err
	}
	args := []any{}
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	q := licenceSelect + ` WHERE ` + sc.SQL("l.department_id", licenceRegion, arg)
	if f.Number != "" {
		args = append(args, f.Number)
		q += fmt.Sprintf(" AND (l.number = $%d OR l.identifier = $%d)", len(args), len(args))
	}
	if f.Status != "" {
		args = append(args, f.Status)
		q += fmt.Sprintf(" AND l.status = $%d", len(args))
	}
	if key != nil {
		if len(key) != 2 {
			return nil, "", apperr.E(apperr.Invalid, "paging.token_malformed")
		}
		at, err := time.Parse(time.RFC3339Nano, key[0])
		if err != nil {
			return nil, "", apperr.E(apperr.Invalid, "paging.token_malformed")
		}
		q += " AND l.issued_at <= " + arg(at) + " AND (l.issued_at, l.id) < (" + arg(at) + ", " + arg(key[1]) + ")"
	}
	q += fmt.Sprintf(" ORDER BY l.issued_at DESC, l.id DESC LIMIT %d", f.Limit+1)
	var out []Licence
	err = s.DB.View(ctx, func(tx *db.Tx) error {
		var err error
		out, err = s.queryLicences(tx, q, args...)
		return err
	})
	for i := range out {
		l := &out[i]
		if l.Metadata.HolderCodeType != "001" {
			l.Metadata.Holder = codes.MaskName(l.Metadata.Holder)
		}
		l.Metadata.HolderCode, l.Fields, l.Payload = l.HolderMasked, nil, nil
	}
	if err != nil {
		return nil, "", apperr.Internalf("license: issued", err)
	}
	next := ""
	if len(out) > f.Limit {
		out = out[:f.Limit]
		last := out[len(out)-1]
		next = paging.Encode(IssuedList, fp, []string{last.IssuedAt.UTC().Format(time.RFC3339Nano), last.ID}, s.DB.Now())
	}
	return out, next, nil
}

// SealStored seals the payloads versions before sealing stored in clear,
// part of the one-time step run at start (db.Once, cases.SealStored); it
// returns how many it sealed. The signature is over the payload, not the
// stored text, so every licence verifies as before.
func (s *Service) SealStored(ctx context.Context, renew func() error) (int, error) {
	v := s.vault()
	return s.DB.RewriteColumn(ctx, renew, "licences", "payload", func(id, text string) (string, bool) {
		if vault.IsSealedText(text) {
			return "", false
		}
		return v.SealText(text, payloadPurpose(id)), true
	})
}
