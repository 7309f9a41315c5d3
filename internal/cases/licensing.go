package cases

import (
	"context"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
)

// Licensing is the electronic licence library (电子证照库, R5.1, R5.2) as the
// case engine uses it: it issues the licence a granted case yields, revokes
// it when the decision is revoked, and finds the licences that satisfy a
// material (免提交). Each method runs in the caller's transaction, so that a
// case and its licence change together or not at all.
type Licensing interface {
	// IssueFor issues the licence of a granted case; "" when the library
	// does not issue the item's licence type.
	IssueFor(tx *db.Tx, g Grant) (identifier string, err error)
	// RevokeFor revokes the licences a case issued.
	RevokeFor(tx *db.Tx, caseID, reason, actorID string) error
	// Held is a valid licence of the type the holder holds at t, or nil.
	Held(tx *db.Tx, holderID, typeCode string, t time.Time) (*LicenceRef, error)
}

// Grant is a case granted (准予) whose item yields a licence.
type Grant struct {
	CaseID, CaseNo string
	Item           *catalog.Item
	DepartmentID   string
	ApplicantID    string
	HolderID       string // the licence's holder when not the applicant: the enterprise a bundle registered
	Values         catalog.Values
	ActorID        string
	ActorName      string
}

// LicenceRef is a licence that satisfies a material of a case.
type LicenceRef struct {
	MaterialKey string `json:"material_key"`
	ID          string `json:"-"`
	Identifier  string `json:"identifier"`
	Name        string `json:"name"`
	Number      string `json:"number"`
	Status      string `json:"status"`
	ValidTo     string `json:"valid_to,omitempty"`
}

// SetLicensing connects the licence library (nil: licences are neither
// issued nor reused).
func (s *Service) SetLicensing(l Licensing) { s.licensing = l }

// issueLicence issues the licence of a case just granted; the identifier is
// recorded on the decision's event.
//
// A bundle's sub-case that registers an enterprise (结果实时共享) registers
// it first: the licence is the new enterprise's, and the credit code and
// licence are passed on to the later sub-cases.
func (s *Service) issueLicence(tx *db.Tx, c *Case, it *catalog.Item, who actor, data map[string]any) error {
	if c.Decision != Granted {
		return nil
	}
	holder, code, err := s.registerEnterprise(tx, c, who)
	if err != nil {
		return err
	}
	if code != "" {
		data["credit_code"] = code
	}
	var licenceID string
	if s.licensing != nil && it.Result.LicenceType != "" {
		id, err := s.licensing.IssueFor(tx, Grant{CaseID: c.ID, CaseNo: c.No, Item: it, DepartmentID: c.DepartmentID,
			ApplicantID: c.ApplicantID, HolderID: holder, Values: c.Values, ActorID: who.ID, ActorName: who.Name})
		if err != nil {
			return err
		}
		if id != "" {
			data["licence"] = id
			if err := tx.QueryRow(`SELECT id FROM licences WHERE identifier = $1`, id).Scan(&licenceID); err != nil {
				return err
			}
		}
	}
	if code == "" {
		return nil
	}
	return s.passOn(tx, c, code, licenceID, who)
}

// attachLicences records, for each material the applicant's situation asks
// for that a licence type satisfies and that was not uploaded, the valid
// licence of that type the applicant holds (免提交, R5.2). It returns the keys
// so satisfied.
func (s *Service) attachLicences(tx *db.Tx, c *Case, it *catalog.Item, have map[string]bool) (map[string]bool, error) {
	out := map[string]bool{}
	if s.licensing == nil {
		return out, nil
	}
	for _, m := range it.Select(c.Answers).Materials {
		if m.Of.LicenceType == "" || have[m.Of.Key] {
			continue
		}
		ref, err := s.licensing.Held(tx, c.ApplicantID, m.Of.LicenceType, tx.Now)
		if err != nil {
			return nil, err
		}
		if ref == nil {
			continue
		}
		if _, err := tx.Exec(`INSERT INTO case_licences (case_id, material_key, licence_id, at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (case_id, material_key) DO UPDATE SET licence_id = $3, at = $4`, c.ID, m.Of.Key, ref.ID, tx.Now); err != nil {
			return nil, err
		}
		out[m.Of.Key] = true
	}
	return out, nil
}

// caseLicences lists the licences attached to a case's materials, with
// their status now.
func caseLicences(tx *db.Tx, c *Case) ([]LicenceRef, error) {
	rows, err := tx.Query(`SELECT cl.material_key, l.id, l.identifier, t.name, l.number, l.status, COALESCE(l.valid_to, '')
		FROM case_licences cl JOIN licences l ON l.id = cl.licence_id JOIN licence_types t ON t.code = l.type_code
		WHERE cl.case_id = $1 ORDER BY cl.material_key`, c.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []LicenceRef
	today := tx.Now.In(calendar.China).Format(time.DateOnly)
	for rows.Next() {
		var r LicenceRef
		if err := rows.Scan(&r.MaterialKey, &r.ID, &r.Identifier, &r.Name, &r.Number, &r.Status, &r.ValidTo); err != nil {
			return nil, err
		}
		if r.Status == "valid" && r.ValidTo != "" && r.ValidTo < today {
			r.Status = "expired"
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// HeldLicences says, for the materials of an item that a licence satisfies,
// which the user holds a valid licence for now — the application form
// shows them as supplied (免提交) instead of asking for an upload.
func (s *Service) HeldLicences(ctx context.Context, u *identity.User, it *catalog.Item) (map[string]LicenceRef, error) {
	out := map[string]LicenceRef{}
	if s.licensing == nil || u == nil || u.Kind == identity.KindStaff {
		return out, nil
	}
	err := s.db.View(ctx, func(tx *db.Tx) error {
		for _, m := range it.Materials {
			if m.LicenceType == "" {
				continue
			}
			ref, err := s.licensing.Held(tx, u.ID, m.LicenceType, tx.Now)
			if err != nil {
				return err
			}
			if ref != nil {
				ref.MaterialKey = m.Key
				out[m.Key] = *ref
			}
		}
		return nil
	})
	return out, apperr.Internalf("cases: held licences", err)
}
