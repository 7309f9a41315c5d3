package license

import (
	"bytes"
	"context"
	"encoding/json"

	"github.com/emmansun/gmsm/smx509"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/db"
)

// FileFormat names the licence file: a JSON document that carries all a
// verifier needs offline — the signed payload, the signature and the
// signer's certificate (docs/LICENCES.md).
const FileFormat = "tongban-licence-file v1"

// File is a licence file (.tblic.json).
type File struct {
	Format      string `json:"format"`
	Payload     string `json:"payload"`     // the signed bytes, UTF-8
	Signature   []byte `json:"signature"`   // base64: SM2 DER (r, s) or Ed25519
	Algorithm   string `json:"algorithm"`   // sm2-sm3, ed25519
	Certificate string `json:"certificate"` // the signer's certificate, PEM
	CA          string `json:"ca"`          // the platform CA's certificate, PEM (for reference; trust comes from the verifier's own copy)
}

// FileOf is the licence file of a licence.
func (s *Service) FileOf(l *Licence) File {
	return File{Format: FileFormat, Payload: string(l.Payload), Signature: l.Signature, Algorithm: l.Algorithm,
		Certificate: l.CertPEM, CA: string(CertPEM(s.Keys.CACert()))}
}

// MaxFileSize bounds an uploaded licence file.
const MaxFileSize = 64 << 10

// VerifyFile verifies a licence file as a verifier without access to the
// library would — the payload's form, the identifier's check character, the
// signature and the certificate's chain to the platform's CA — and then
// reports the library's status. Recorded like every verification.
func (s *Service) VerifyFile(ctx context.Context, b []byte, ck Check) (*Verdict, error) {
	ck.Channel = "file"
	v, payload := CheckFile(s.Keys.Roots(), b)
	switch v.Verdict {
	case VerdictBadFile, VerdictBadCheck, VerdictMalformed:
		return v, s.record(ctx, v, "", "file:"+v.Identifier, ck)
	}
	var licenceID string
	err := s.DB.View(ctx, func(tx *db.Tx) error {
		l, err := s.byIdentifier(tx, v.Identifier)
		if apperr.Is(err, apperr.NotFound, "") {
			if v.Verdict == "" {
				v.Verdict = VerdictNotFound
			}
			return nil
		}
		if err != nil {
			return err
		}
		// A file that names a licence of the library is recorded against it,
		// whatever its verdict: its holder sees a forged copy was shown.
		licenceID = l.ID
		if v.Verdict != "" {
			return nil
		}
		sig := v.Signature
		s.judge(v, l)
		v.Signature = sig // the file's signature, checked offline
		if !bytes.Equal(l.Payload, []byte(payload)) {
			v.Verdict, v.Valid = VerdictMismatch, false
		}
		return nil
	})
	if err != nil {
		return nil, apperr.Internalf("license: verify file", err)
	}
	return v, s.record(ctx, v, licenceID, v.Identifier, ck)
}

// CheckFile checks a licence file without the library — the payload's
// form, the identifier's check character, the signature and the chain to
// roots — returning its payload; the verdict is left empty when everything
// holds (the library's status is for the caller to add).
func CheckFile(roots *smx509.CertPool, b []byte) (*Verdict, string) {
	v := &Verdict{}
	var f File
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if len(b) > MaxFileSize || dec.Decode(&f) != nil || f.Format != FileFormat {
		v.Verdict = VerdictBadFile
		return v, ""
	}
	m, _, err := ParsePayload([]byte(f.Payload))
	if err != nil {
		v.Verdict = VerdictBadFile
		return v, ""
	}
	v.Identifier = m.Identifier
	if _, err := ParseIdentifier(m.Identifier); err != nil {
		v.Verdict = identifierVerdict(err)
		return v, f.Payload
	}
	cert, _ := ParseCertPEM([]byte(f.Certificate))
	v.Signature = signature(roots, cert, []byte(f.Payload), f.Signature, m.Signed)
	if !v.Signature.Valid {
		v.Verdict = v.Signature.Result
	}
	return v, f.Payload
}
