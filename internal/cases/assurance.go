package cases

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/mandate"
)

// Levels of assurance (issue 16): a clerk at a window sees a person's ID
// card and raises their account to L2. The clerk names the person by ID
// number and name, matched as an agent's applicant is (the same message
// for an unknown number and a wrong name, the same throttle), so the page
// is no oracle of who is registered under which name.

// InPersonCheck is what the clerk enters: the number, the name, and the
// confirmation that the original ID card was seen.
type InPersonCheck struct {
	Number, Name string
	Confirmed    bool // 身份证原件已核验
	// Phone and Code, optional: the person's mobile number, proven by the
	// SMS code (identity.CodePhone) the person reads out to the clerk,
	// becomes the account's verified number — a person registered at a
	// window (a walk-in, without a password) can then sign in by SMS code
	// and set a password by SMS.
	Phone, Code string
}

// Verified is a person raised to L2 (or found at L2 already).
type Verified struct {
	Applicant *identity.Applicant
	Changed   bool   // false: the person was L2 already
	Phone     string // the number bound, masked ("" when none was given)
}

// VerifyInPerson raises the person that chk names to L2. Only clerks;
// Invalid assurance.confirm_required without the confirmation,
// case.applicant_unmatched for a number or name that does not match a
// person (counted: mandate.MatchLimit), TooMany case.applicant_throttled. The staff
// read of the person's record and the change are audited, naming the
// clerk's department and region. With a phone, the code's errors
// (auth.code_*) and Conflict auth.phone_taken too.
func (s *Service) VerifyInPerson(ctx context.Context, u *identity.User, chk InPersonCheck) (*Verified, error) {
	if !u.Has(identity.RoleClerk) {
		return nil, apperr.E(apperr.Forbidden, "error.forbidden")
	}
	name := strings.TrimSpace(chk.Name)
	if name == "" || strings.TrimSpace(chk.Number) == "" {
		return nil, apperr.E(apperr.Invalid, "case.agent_applicant_required")
	}
	if !chk.Confirmed {
		return nil, apperr.E(apperr.Invalid, "assurance.confirm_required")
	}
	var out *Verified
	run := func(fn func(tx *db.Tx) error) error { return s.db.Update(ctx, fn) }
	if strings.TrimSpace(chk.Phone) != "" {
		if strings.TrimSpace(chk.Code) == "" {
			return nil, apperr.E(apperr.Invalid, "auth.code_required")
		}
		// The code's use, the verification and the number bound: one transaction.
		run = func(fn func(tx *db.Tx) error) error {
			return s.identity.UseCode(ctx, chk.Phone, identity.CodePhone, strings.TrimSpace(chk.Code), func(tx *db.Tx, phone string) error {
				if err := fn(tx); err != nil {
					return err
				}
				if err := s.identity.SetAccountPhoneTx(tx, out.Applicant.UserID, phone); err != nil {
					return err
				}
				out.Phone = codes.MaskMobile(phone)
				return audit.Append(tx, &audit.Record{Actor: u.ID, Role: string(identity.RoleClerk), Action: "account.phone", ObjectType: "user", ObjectID: out.Applicant.UserID},
					[]byte(`{"verified_at":"window"}`))
			})
		}
	}
	err := run(func(tx *db.Tx) error {
		// The staff read of the person's record (R9.3), then the change.
		app, err := s.personAtWindow(tx, u, chk.Number, name, "assurance")
		if err != nil {
			return err
		}
		changed, err := s.identity.RaiseAssuranceTx(tx, app.UserID)
		if err != nil {
			return err
		}
		out = &Verified{Applicant: app, Changed: changed}
		if !changed {
			return nil
		}
		g := clerkGrant(u)
		payload, _ := json.Marshal(map[string]any{"assurance": identity.AssuranceL2, "evidence": "id_card_original",
			"department_id": g.DepartmentID, "department": g.DepartmentName, "region_code": g.RegionCode, "region": g.RegionName})
		return audit.Append(tx, &audit.Record{Actor: u.ID, Role: string(identity.RoleClerk), Action: "account.assurance", ObjectType: "user", ObjectID: app.UserID}, payload)
	})
	if err := mandate.NoteUnmatched(ctx, s.db, u, err); err != nil {
		return nil, apperr.Internalf("cases: verify in person", err)
	}
	return out, nil
}

// personAtWindow finds the person a clerk names by ID number and name, the
// same answer for an unknown number and a wrong name (counted:
// mandate.MatchLimit), and records the clerk's read of their record
// (person.read.<purpose>, R9.3).
func (s *Service) personAtWindow(tx *db.Tx, u *identity.User, number, name, purpose string) (*identity.Applicant, error) {
	if err := mandate.MatchThrottled(tx, u.ID); err != nil {
		return nil, err
	}
	app, err := s.identity.ApplicantByNumberTx(tx, number)
	switch {
	case apperr.Is(err, apperr.NotFound, ""), err == nil && (app.Name != name || app.Kind != identity.KindPerson):
		return nil, apperr.E(apperr.Invalid, "case.applicant_unmatched")
	case err != nil:
		return nil, err
	}
	return app, audit.Append(tx, &audit.Record{Actor: u.ID, Role: string(identity.RoleClerk), Action: "person.read." + purpose, ObjectType: "user", ObjectID: app.UserID}, nil)
}

// clerkGrant is the clerk's first clerk grant: where they sit.
func clerkGrant(u *identity.User) identity.Grant {
	for _, g := range u.Grants {
		if g.Role == identity.RoleClerk {
			return g
		}
	}
	return identity.Grant{}
}
