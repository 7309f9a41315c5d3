package license

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/emmansun/gmsm/smx509"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
)

// Verdicts. Only "valid" means the licence may be relied on; every other
// verdict says precisely why not.
const (
	VerdictValid         = "valid"
	VerdictExpired       = "expired"
	VerdictSuspended     = "suspended"
	VerdictRevoked       = "revoked"
	VerdictNotFound      = "not_found"      // no licence with this identifier in the library
	VerdictMalformed     = "malformed"      // not an identifier of the GB/T 36904 form
	VerdictBadCheck      = "bad_check"      // the MOD 37,36 check character is wrong
	VerdictBadSignature  = "bad_signature"  // the signature does not match the licence (tampered)
	VerdictUnknownSigner = "unknown_signer" // the certificate is not one the platform's CA issued
	VerdictSignerRevoked = "signer_revoked" // offline only: the signer's certificate is on the revoked list (CheckRevoked)
	VerdictBadFile       = "bad_file"       // not a licence file
	VerdictMismatch      = "mismatch"       // a signed file that differs from the library's licence
	VerdictShareUnknown  = "share_unknown"
	VerdictShareExpired  = "share_expired"
	VerdictShareUsed     = "share_used"
)

// Verdict is the answer to a verification.
type Verdict struct {
	Identifier   string    `json:"identifier"`
	Verdict      string    `json:"verdict"`
	Valid        bool      `json:"valid"` // verdict == valid
	Status       string    `json:"status,omitempty"`
	StatusReason string    `json:"status_reason,omitempty"`
	Name         string    `json:"name,omitempty"`
	Issuer       string    `json:"issuer,omitempty"`
	IssuerCode   string    `json:"issuer_code,omitempty"`
	Holder       string    `json:"holder,omitempty"` // masked, except through a share link
	HolderCode   string    `json:"holder_code,omitempty"`
	Number       string    `json:"number,omitempty"`
	IssuedOn     string    `json:"issued_on,omitempty"`
	ValidFrom    string    `json:"valid_from,omitempty"`
	ValidTo      string    `json:"valid_to,omitempty"` // "" for 长期
	Signature    *SigCheck `json:"signature,omitempty"`
	CheckedAt    time.Time `json:"checked_at"`
	// Through a share link, the licence itself.
	Fields []LabelledValue `json:"fields,omitempty"`
	Reason string          `json:"share_reason,omitempty"`
}

// LabelledValue is a field as shown.
type LabelledValue struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	Value string `json:"value"`
}

// SigCheck is the result of checking the signature and the certificate chain.
type SigCheck struct {
	Algorithm  string `json:"algorithm"`
	Valid      bool   `json:"valid"`
	Result     string `json:"result"` // ok, bad_signature, unknown_signer
	Signer     string `json:"signer,omitempty"`
	CertSerial string `json:"cert_serial,omitempty"`
}

// Check is a request's context: how it came and who asked.
type Check struct {
	Channel   string // page, api, share, file
	Reason    string // 申请事由
	Checker   string // a signed-in checker's name, else the masked address
	CheckerID string // a signed-in checker's user id
	Viewer    string // share links: the opening browser's key
}

// identifierVerdict classifies an identifier that does not parse.
func identifierVerdict(err error) string {
	var ae *apperr.Error
	if errors.As(err, &ae) && ae.Key == "codes.licence_id.check" {
		return VerdictBadCheck
	}
	return VerdictMalformed
}

// signature checks a signed payload with the certificate it names, at the
// time it was signed (a licence outlives its signer's certificate).
func signature(roots *smx509.CertPool, cert *smx509.Certificate, payload, sig []byte, signed time.Time) *SigCheck {
	c := &SigCheck{Result: "ok", Valid: true}
	if cert == nil {
		c.Result, c.Valid = VerdictUnknownSigner, false
		return c
	}
	c.Signer, c.CertSerial = cert.Subject.CommonName, strings.ToLower(cert.SerialNumber.Text(16))
	if alg, err := algOf(cert.PublicKey); err == nil {
		c.Algorithm = alg
	}
	switch err := Verify(roots, cert, payload, sig, signed); {
	case errors.Is(err, ErrUnknownSigner):
		c.Result, c.Valid = VerdictUnknownSigner, false
	case err != nil:
		c.Result, c.Valid = VerdictBadSignature, false
	}
	return c
}

// describe fills a verdict from a licence the library holds.
func describe(v *Verdict, l *Licence) {
	m := l.Metadata
	v.Identifier, v.Status, v.StatusReason = m.Identifier, l.Status, l.StatusReason
	v.Name, v.Issuer, v.IssuerCode, v.Number = m.Name, m.Issuer, m.IssuerCode, m.Number
	// A person's name is masked in public; an organisation's is public data.
	v.Holder, v.HolderCode = m.Holder, l.HolderMasked
	if m.HolderCodeType != "001" {
		v.Holder = codes.MaskName(m.Holder)
	}
	v.IssuedOn, v.ValidFrom, v.ValidTo = m.IssuedOn, m.ValidFrom, m.ValidTo
	v.Verdict = l.Status
}

// Verify checks a licence by its identifier: the identifier's form and
// check character, the library's record, the signature and the chain, and
// the status now. Every verification is recorded, whatever its verdict. The
// check runs in a read; only the record takes the writer.
func (s *Service) Verify(ctx context.Context, identifier string, ck Check) (*Verdict, error) {
	v := &Verdict{Identifier: identifier}
	var licenceID string
	if _, err := ParseIdentifier(identifier); err != nil {
		v.Verdict = identifierVerdict(err)
	} else if err := s.DB.View(ctx, func(tx *db.Tx) error {
		l, err := s.byIdentifier(tx, identifier)
		if apperr.Is(err, apperr.NotFound, "") {
			v.Verdict = VerdictNotFound
			return nil
		}
		if err != nil {
			return err
		}
		licenceID = l.ID
		s.judge(v, l)
		return nil
	}); err != nil {
		return nil, apperr.Internalf("license: verify", err)
	}
	return v, s.record(ctx, v, licenceID, identifier, ck)
}

// record writes a verification down: against the licence it found, else
// as a question (what was asked).
func (s *Service) record(ctx context.Context, v *Verdict, licenceID, asked string, ck Check) error {
	err := s.DB.Update(ctx, func(tx *db.Tx) error {
		v.CheckedAt = tx.Now
		if licenceID == "" {
			return s.recordQuery(tx, asked, v.Verdict, ck)
		}
		return s.recordCheck(tx, licenceID, "", v.Verdict, ck)
	})
	return apperr.Internalf("license: record a verification", err)
}

// judge sets the verdict of a stored licence: its signature first (a row
// changed behind the library's back), then its status.
func (s *Service) judge(v *Verdict, l *Licence) {
	describe(v, l)
	cert, _ := l.Cert()
	v.Signature = signature(s.Keys.Roots(), cert, l.Payload, l.Signature, l.Metadata.Signed)
	if !v.Signature.Valid {
		v.Verdict = v.Signature.Result
	}
	v.Valid = v.Verdict == VerdictValid
}

// recordCheck records a verification of a licence in its checks (the
// holder sees them) and in the audit log.
func (s *Service) recordCheck(tx *db.Tx, licenceID, shareID, verdict string, ck Check) error {
	if _, err := tx.Exec(`INSERT INTO licence_checks (id, licence_id, share_id, channel, verdict, reason, checker, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, db.NewID(), licenceID, shareID, ck.Channel, verdict, clip(ck.Reason, 200), clip(ck.Checker, 100), tx.Now); err != nil {
		return err
	}
	body, _ := json.Marshal(map[string]string{"channel": ck.Channel, "verdict": verdict, "reason": clip(ck.Reason, 200), "checker": clip(ck.Checker, 100), "share": shareID})
	return s.audit(tx, ck.CheckerID, "verifier", "licence.verify", licenceID, body)
}

// recordQuery records a verification that found no licence: the audit log
// keeps what was asked (clipped), under the hash of the question.
func (s *Service) recordQuery(tx *db.Tx, asked, verdict string, ck Check) error {
	body, _ := json.Marshal(map[string]string{"identifier": clip(asked, 200), "channel": ck.Channel, "verdict": verdict,
		"reason": clip(ck.Reason, 200), "checker": clip(ck.Checker, 100)})
	return audit.Append(tx, &audit.Record{Actor: ck.CheckerID, Role: "verifier", Action: "licence.verify", ObjectType: "licence_query",
		ObjectID: audit.PayloadHash([]byte(asked))}, body)
}

// clip cuts s to n characters (free text from outside).
func clip(s string, n int) string {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
