// Package license is electronic licences (电子证照, R5): the platform's SM2
// certificate authority and the issuing departments' certificates, the
// canonical encoding of a licence's metadata and fields, and its SM2/SM3
// signature (GB/T 36901…36906; STANDARDS.md §6). Issuance, storage, sharing
// and verification pages are not built yet (issue 7).
package license

import (
	"crypto/ecdsa"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
)

// CA is the platform's certificate authority: an SM2 key and its
// self-signed certificate.
type CA struct {
	Key  *sm2.PrivateKey
	Cert *smx509.Certificate
}

func serial() (*big.Int, error) {
	return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
}

// NewCA makes a CA named name, valid for years from now.
func NewCA(name string, now time.Time, years int) (*CA, error) {
	key, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	sn, err := serial()
	if err != nil {
		return nil, err
	}
	tpl := &smx509.Certificate{
		SerialNumber:          sn,
		Subject:               pkixName(name, ""),
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(years, 0, 0),
		KeyUsage:              smx509.KeyUsageCertSign | smx509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := smx509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("license: CA certificate: %w", err)
	}
	cert, err := smx509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &CA{Key: key, Cert: cert}, nil
}

// Signer is an issuing department: its SM2 key and the certificate the CA
// gave it (subject: the department's name and unified social credit code).
type Signer struct {
	Key  *sm2.PrivateKey
	Cert *smx509.Certificate
}

// Issue gives a department a signing certificate.
func (ca *CA) Issue(deptName, creditCode string, now time.Time, years int) (*Signer, error) {
	key, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	sn, err := serial()
	if err != nil {
		return nil, err
	}
	tpl := &smx509.Certificate{
		SerialNumber: sn,
		Subject:      pkixName(deptName, creditCode),
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(years, 0, 0),
		KeyUsage:     smx509.KeyUsageDigitalSignature | smx509.KeyUsageContentCommitment,
	}
	der, err := smx509.CreateCertificate(rand.Reader, tpl, ca.Cert, &key.PublicKey, ca.Key)
	if err != nil {
		return nil, fmt.Errorf("license: department certificate: %w", err)
	}
	cert, err := smx509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &Signer{Key: key, Cert: cert}, nil
}

// Sign signs the canonical payload with SM2 over SM3 and the standard's
// default distinguishing ID 1234567812345678 (GM/T 0009), DER-encoded.
func (s *Signer) Sign(payload []byte) ([]byte, error) {
	return s.Key.Sign(rand.Reader, payload, sm2.DefaultSM2SignerOpts)
}

// Verdicts of a signature check: never "valid" unless everything holds.
var (
	ErrUnknownSigner = errors.New("license: the signer's certificate is not issued by the platform's CA")
	ErrBadSignature  = errors.New("license: the signature does not match the licence")
)

// Verify checks payload's signature by cert, and cert's chain to the CA at
// time at.
func Verify(roots *smx509.CertPool, cert *smx509.Certificate, payload, sig []byte, at time.Time) error {
	if _, err := cert.Verify(smx509.VerifyOptions{Roots: roots, CurrentTime: at, KeyUsages: []smx509.ExtKeyUsage{smx509.ExtKeyUsageAny}}); err != nil {
		return fmt.Errorf("%w: %v", ErrUnknownSigner, err)
	}
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok {
		return ErrUnknownSigner
	}
	if !sm2.VerifyASN1WithSM2(pub, nil, payload, sig) {
		return ErrBadSignature
	}
	return nil
}
