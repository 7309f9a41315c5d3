package identity

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"strings"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
)

// Applicant is who a case is for, as a case records it: the identifying
// number only masked (a credit code is public and kept whole).
type Applicant struct {
	UserID string
	Name   string
	Kind   Kind
	Masked string
	Region string // a person's registered region, '' when not known (an organisation's is not kept)
}

// ApplicantOf returns the applicant record of a person's or an
// organisation's own account.
func (s *Service) ApplicantOf(ctx context.Context, u *User) (*Applicant, error) {
	var a *Applicant
	err := s.db.View(ctx, func(tx *db.Tx) error {
		var err error
		a, err = s.ApplicantOfTx(tx, u)
		return err
	})
	return a, apperr.Internalf("identity: applicant", err)
}

// ApplicantOfTx is ApplicantOf inside the caller's transaction (the case
// engine files an application in one).
func (s *Service) ApplicantOfTx(tx *db.Tx, u *User) (*Applicant, error) {
	return applicantBy(tx, "user_id", u.ID, u.Kind)
}

// ApplicantByNumber finds a registered applicant by citizen ID number (a
// natural person, through the keyed index) or unified social credit code (an
// organisation). Agents and window clerks name applicants this way. Returns
// Invalid for a malformed number and NotFound for an unregistered one.
func (s *Service) ApplicantByNumber(ctx context.Context, number string) (*Applicant, error) {
	var a *Applicant
	err := s.db.View(ctx, func(tx *db.Tx) error {
		var err error
		a, err = s.ApplicantByNumberTx(tx, number)
		return err
	})
	return a, apperr.Internalf("identity: applicant by number", err)
}

// ApplicantByNumberTx is ApplicantByNumber inside the caller's transaction.
func (s *Service) ApplicantByNumberTx(tx *db.Tx, number string) (*Applicant, error) {
	number = strings.ToUpper(strings.TrimSpace(number))
	if codes.Detect(number, tx.Now.In(calendar.China)) == codes.KindCreditCode {
		if _, err := codes.ParseCreditCode(number); err != nil {
			return nil, err
		}
		return applicantBy(tx, "credit_code", number, KindOrganisation)
	}
	if _, err := codes.ParseCitizenID(number, tx.Now.In(calendar.China)); err != nil {
		return nil, err
	}
	return applicantBy(tx, "id_number_index", s.vault.Index(number, purposeIDNumber), KindPerson)
}

func applicantBy(tx *db.Tx, column, value string, kind Kind) (*Applicant, error) {
	a := &Applicant{Kind: kind}
	q := `SELECT user_id, name, id_number_masked, region_code FROM persons WHERE ` + column + ` = $1`
	if kind == KindOrganisation {
		q = `SELECT user_id, name, credit_code, '' FROM organisations WHERE ` + column + ` = $1`
	}
	err := tx.QueryRow(q, value).Scan(&a.UserID, &a.Name, &a.Masked, &a.Region)
	if err != nil {
		return nil, db.NotFound(err, "case.applicant_unknown")
	}
	return a, nil
}

// RegisterWalkIn registers a natural person who came to a window without an
// account, by name and citizen ID number. The account has no usable
// password: the person sets one later through real-name registration.
func (s *Service) RegisterWalkIn(ctx context.Context, name, idNumber string) (*Applicant, error) {
	var a *Applicant
	err := s.db.Update(ctx, func(tx *db.Tx) error {
		var err error
		a, err = s.RegisterWalkInTx(tx, name, idNumber)
		return err
	})
	return a, apperr.Internalf("identity: register walk-in", err)
}

// RegisterWalkInTx is RegisterWalkIn inside the caller's transaction: a
// window filing registers the person and files the case together, or
// neither.
func (s *Service) RegisterWalkInTx(tx *db.Tx, name, idNumber string) (*Applicant, error) {
	// The clerk saw the person and their ID card: L2.
	return s.registerPersonTx(tx, name, idNumber, "walkin-", AssuranceL2)
}

// RegisterByAgentTx registers an unregistered villager whom a village
// agent (代办员) names, in the caller's transaction (the mandate's, after an
// SMS code to the villager's mobile proved the number and the consent): an
// L1 account without a password (the person signs in by SMS code or sets
// one by SMS), raised to L2 at a window. Conflict auth.id_number_taken when
// the number is registered.
func (s *Service) RegisterByAgentTx(tx *db.Tx, name, idNumber string) (*Applicant, error) {
	return s.registerPersonTx(tx, name, idNumber, "villager-", AssuranceL1)
}

func (s *Service) registerPersonTx(tx *db.Tx, name, idNumber, prefix string, assurance int) (*Applicant, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, apperr.E(apperr.Invalid, "auth.name_required")
	}
	b := make([]byte, 6)
	rand.Read(b)
	cid, err := codes.ParseCitizenID(idNumber, tx.Now.In(calendar.China))
	if err != nil {
		return nil, err
	}
	id := db.NewID()
	// "!" is no PHC hash: no password ever verifies against it.
	if _, err := tx.Exec(`INSERT INTO users (id, username, kind, display_name, password_hash, assurance, created_at, updated_at)
		VALUES ($1, $2, 'person', $3, '!', $5, $4, $4)`, id, prefix+hex.EncodeToString(b), name, tx.Now, assurance); err != nil {
		return nil, err
	}
	_, err = tx.Exec(`INSERT INTO persons (user_id, name, id_number_index, id_number_masked, id_number_sealed) VALUES ($1, $2, $3, $4, $5)`,
		id, name, s.vault.Index(cid.Number, purposeIDNumber), codes.MaskCitizenID(cid.Number), s.vault.Seal(cid.Number, purposeIDNumber))
	if db.IsUniqueViolation(err) {
		return nil, apperr.E(apperr.Conflict, "auth.id_number_taken")
	}
	if err != nil {
		return nil, err
	}
	return &Applicant{UserID: id, Name: name, Kind: KindPerson, Masked: codes.MaskCitizenID(cid.Number)}, nil
}

// OwnIDNumber unseals a person's own citizen ID number, to pre-fill their
// own application form (数据沉淀). Only the person themselves may ask.
func (s *Service) OwnIDNumber(ctx context.Context, u *User) (string, error) {
	if u == nil || u.Kind != KindPerson {
		return "", nil
	}
	var sealed []byte
	err := s.db.View(ctx, func(tx *db.Tx) error {
		return tx.QueryRow(`SELECT id_number_sealed FROM persons WHERE user_id = $1`, u.ID).Scan(&sealed)
	})
	if err != nil {
		return "", apperr.Internalf("identity: own id number", db.NotFound(err, "error.not_found"))
	}
	n, err := s.vault.Open(sealed, purposeIDNumber)
	return n, apperr.Internalf("identity: unseal", err)
}

// Holder is an applicant as a licence names them (持证主体, GB/T 36903):
// their name and full code — a citizen ID number (type 111) or a unified
// social credit code (type 001) — and the code masked for lists.
type Holder struct {
	Name, Code, CodeType, Masked string
}

// HolderCodeTypes are GB/T 36904's holder code types.
const (
	HolderCitizenID  = "111"
	HolderCreditCode = "001"
)

// HolderOf reads an applicant's licence identity inside tx, unsealing a
// person's ID number: issuing a licence to them is the purpose it was kept for.
func (s *Service) HolderOf(tx *db.Tx, userID string) (*Holder, error) {
	var h Holder
	var sealed []byte
	err := tx.QueryRow(`SELECT name, id_number_sealed, id_number_masked FROM persons WHERE user_id = $1`, userID).Scan(&h.Name, &sealed, &h.Masked)
	if err == nil {
		if h.Code, err = s.vault.Open(sealed, purposeIDNumber); err != nil {
			return nil, err
		}
		h.CodeType = HolderCitizenID
		return &h, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	if err := tx.QueryRow(`SELECT name, credit_code FROM organisations WHERE user_id = $1`, userID).Scan(&h.Name, &h.Code); err != nil {
		return nil, db.NotFound(err, "case.applicant_unknown")
	}
	h.CodeType, h.Masked = HolderCreditCode, h.Code
	return &h, nil
}
