package license

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/notify"
)

// The library is the case engine's Licensing.
var _ cases.Licensing = (*Service)(nil)

func jsonInto(s string, v any) error { return json.Unmarshal([]byte(s), v) }

// signerFor is the department's signing key, if it has one that is not
// revoked. A revoked key in memory is dropped and the files read again (the
// key may have been rotated from the command line); where the CA's key is
// at hand and keys are made on demand (the demo), a new one is made.
func (s *Service) signerFor(tx *db.Tx, credit, deptName string) (*Signer, error) {
	for attempt := 0; ; attempt++ {
		signer, err := s.Keys.Signer(credit, deptName)
		if errors.Is(err, ErrNoSigner) {
			return nil, apperr.E(apperr.Conflict, "licence.no_signer", "dept", deptName)
		}
		if err != nil {
			return nil, err
		}
		revoked, err := certRevoked(tx, serialOf(signer.Cert))
		if err != nil || !revoked {
			return signer, err
		}
		s.Keys.Forget(credit)
		switch {
		case attempt == 0:
			continue // read the files again
		case s.Keys.create && s.Keys.ca.Key != nil:
			return s.Keys.Rotate(credit, deptName)
		default:
			return nil, apperr.E(apperr.Conflict, "licence.signer_revoked", "dept", deptName)
		}
	}
}

// IssueFor issues the licence a granted case yields (R5.1), in the case's
// transaction: identifier per GB/T 36904 with its check character, metadata
// per GB/T 36903, signed by the issuing department's key. The holder is the
// applicant. Returns "" when the library has no type of that code.
func (s *Service) IssueFor(tx *db.Tx, g cases.Grant) (string, error) {
	typ, ok, err := typeTx(tx, g.Item.Result.LicenceType)
	if err != nil || !ok {
		return "", err
	}
	var deptName, credit, region string
	if err := tx.QueryRow(`SELECT name, credit_code, region_code FROM departments WHERE id = $1`, g.DepartmentID).
		Scan(&deptName, &credit, &region); err != nil {
		return "", err
	}
	holderID := g.ApplicantID
	if g.HolderID != "" {
		holderID = g.HolderID // 企业开办: the enterprise the case registered
	}
	holder, err := s.Identity.HolderOf(tx, holderID)
	if err != nil {
		return "", err
	}
	signer, err := s.signerFor(tx, credit, deptName)
	if err != nil {
		return "", err
	}
	serialHex := serialOf(signer.Cert)
	if _, err := tx.Exec(`INSERT INTO licence_certs (serial, department_id, algorithm, pem, created_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (serial) DO NOTHING`, serialHex, g.DepartmentID, signer.Alg, string(CertPEM(signer.Cert)), tx.Now); err != nil {
		return "", err
	}
	today := calendar.DateIn(tx.Now)
	n, err := nextSerial(tx, typ.Code, credit, today.Year)
	if err != nil {
		return "", err
	}
	serial := fmt.Sprintf("%d%07d", today.Year, n)
	id, err := codes.NewLicenceID(typ.Code, credit, serial, "001")
	if err != nil {
		return "", err
	}
	validTo := ""
	if typ.ValidityYears > 0 {
		// Valid for N whole years: to the day before the anniversary.
		validTo = today.Start(calendar.China).AddDate(typ.ValidityYears, 0, -1).Format(time.DateOnly)
	}
	m := Metadata{Name: typ.Name, TypeName: typ.Name, TypeCode: typ.Code, Number: typ.NumberPrefix + region[:min(6, len(region))] + serial,
		Identifier: id.ID, Issuer: deptName, IssuerCode: credit, IssuedOn: today.String(), Jurisdiction: region[:min(6, len(region))],
		Holder: holder.Name, HolderCode: holder.Code, HolderCodeType: holder.CodeType, ValidFrom: today.String(), ValidTo: validTo,
		Authority: typ.Authority, Signed: tx.Now.UTC().Truncate(time.Second)}
	fields, err := s.fieldValues(tx, typ, g, holder.Name, deptName)
	if err != nil {
		return "", err
	}
	payload := Payload(m, fields)
	sig, err := signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("license: sign: %w", err)
	}
	lid := db.NewID()
	var vt any
	if validTo != "" {
		vt = validTo
	}
	if _, err := tx.Exec(`INSERT INTO licences (id, identifier, type_code, number, holder_id, holder_name, holder_masked, department_id,
		case_id, valid_from, valid_to, payload, signature, cert_serial, status, issued_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'valid', $15, $15)`,
		lid, id.ID, typ.Code, m.Number, holderID, holder.Name, holder.Masked, g.DepartmentID, g.CaseID, m.ValidFrom, vt,
		s.vault().SealText(string(payload), payloadPurpose(lid)), sig, serialHex, tx.Now); err != nil {
		return "", err
	}
	if err := event(tx, lid, "issue", "", g.ActorID, g.ActorName); err != nil {
		return "", err
	}
	// The record holds the payload's hash; the payload stays in the licence.
	if err := audit.AppendRef(tx, &audit.Record{Actor: g.ActorID, Role: "approver", Action: "licence.issue", ObjectType: "licence", ObjectID: lid},
		audit.PayloadHash(payload)); err != nil {
		return "", err
	}
	err = notify.Send(tx, g.ApplicantID, g.CaseID, "licence", notify.Message{Key: "notify.licence_issued",
		Args: map[string]any{"name": typ.Name, "case_no": g.CaseNo}}, "licence:"+lid)
	return id.ID, err
}

// fieldValues fills a type's fields from the case: form values as a reader
// reads them (option labels, place names), and the named sources.
func (s *Service) fieldValues(tx *db.Tx, typ *Type, g cases.Grant, holder, dept string) (map[string]string, error) {
	out := map[string]string{}
	for _, f := range typ.Fields {
		var v string
		for _, from := range strings.Split(f.From, "|") {
			switch from {
			case "applicant.name":
				v = holder
			case "case.no":
				v = g.CaseNo
			case "item.name":
				v = g.Item.Name
			case "department.name":
				v = dept
			default:
				key, _ := strings.CutPrefix(from, "form:")
				var err error
				if v, err = formText(tx, g.Item, g.Values, key); err != nil {
					return nil, err
				}
			}
			if v != "" {
				break
			}
		}
		out[f.Key] = v
	}
	return out, nil
}

// formText is one form value as text: option labels for choices, the
// place's name for an address's division code.
func formText(tx *db.Tx, it *catalog.Item, vals catalog.Values, key string) (string, error) {
	vs := vals[key]
	if len(vs) == 0 {
		return "", nil
	}
	var field *catalog.Field
	for i := range it.Form {
		if it.Form[i].Key == key {
			field = &it.Form[i]
		}
	}
	if field == nil {
		return strings.Join(vs, " "), nil
	}
	switch field.Type {
	case "select", "multiselect":
		labels := make([]string, 0, len(vs))
		for _, x := range vs {
			label := x
			for _, o := range field.Options {
				if o.Value == x {
					label = o.Label
				}
			}
			labels = append(labels, label)
		}
		return strings.Join(labels, "、"), nil
	case "address":
		place, err := placeName(tx, vs[0])
		if err != nil {
			return "", err
		}
		return strings.TrimSpace(place + strings.Join(vs[1:], " ")), nil
	}
	return strings.Join(vs, " "), nil
}

// placeName is a division's full name, from the top of the tree down
// (重庆市涪陵区敦仁街道…), as an address is written on a licence; an
// unknown code is kept as it is.
func placeName(tx *db.Tx, code string) (string, error) {
	var parts []string
	for c := code; c != "" && len(parts) < 6; {
		var name string
		var parent sql.NullString
		err := tx.QueryRow(`SELECT name, parent_code FROM regions WHERE code = $1`, c).Scan(&name, &parent)
		if errors.Is(err, sql.ErrNoRows) {
			break
		}
		if err != nil {
			return "", err
		}
		// GB/T 2260's placeholder levels (重庆市市辖区, 县, 省直辖县级行政区划)
		// are not written in an address.
		if !strings.HasSuffix(name, "市辖区") && !strings.HasSuffix(name, "直辖县级行政区划") && name != "县" {
			parts = append([]string{name}, parts...)
		}
		c = parent.String
	}
	if len(parts) == 0 {
		return code, nil
	}
	return strings.Join(parts, ""), nil
}

// event appends a change to a licence's history.
func event(tx *db.Tx, licenceID, action, reason, actorID, actorName string) error {
	_, err := tx.Exec(`INSERT INTO licence_events (id, licence_id, action, reason, actor_id, actor_name, at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		db.NewID(), licenceID, action, reason, actorID, actorName, tx.Now)
	return err
}

// audit appends an audit record of a licence; payload is what it records.
func (s *Service) audit(tx *db.Tx, actor, role, action, licenceID string, payload []byte) error {
	if actor == "" {
		actor = "-"
	}
	return audit.Append(tx, &audit.Record{Actor: actor, Role: role, Action: action, ObjectType: "licence", ObjectID: licenceID}, payload)
}

// Held is a valid licence of the type the holder holds at t (the newest),
// or nil (免提交, R5.2).
func (s *Service) Held(tx *db.Tx, holderID, typeCode string, t time.Time) (*cases.LicenceRef, error) {
	var r cases.LicenceRef
	today := Today(t)
	err := tx.QueryRow(`SELECT l.id, l.identifier, t.name, l.number, l.status, COALESCE(l.valid_to, '') FROM licences l
		JOIN licence_types t ON t.code = l.type_code
		WHERE l.holder_id = $1 AND l.type_code = $2 AND l.status = 'valid' AND (l.valid_to IS NULL OR l.valid_to >= $3)
		ORDER BY l.issued_at DESC LIMIT 1`, holderID, typeCode, today).Scan(&r.ID, &r.Identifier, &r.Name, &r.Number, &r.Status, &r.ValidTo)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// RevokeFor revokes the licences a case issued: the decision behind them
// was revoked (a false 告知承诺).
func (s *Service) RevokeFor(tx *db.Tx, caseID, reason, actorID string) error {
	ids, err := tx.Strings(`SELECT id FROM licences WHERE case_id = $1 AND status <> 'revoked'`, caseID)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := s.change(tx, id, StatusRevoked, reason, actorID, ""); err != nil {
			return err
		}
	}
	return nil
}
