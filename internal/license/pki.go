// Package license is electronic licences (电子证照, R5): the platform's SM2
// certificate authority and the issuing departments' certificates, the
// canonical encoding of a licence's metadata and fields, and its SM2/SM3
// signature (GB/T 36901…36906; STANDARDS.md §6); the licence library —
// types, issuance when a case is granted, the holder's wallet, one-time
// share links, verification, revocation and reuse as case materials.
package license

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
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

// Signature algorithms: SM2 over SM3 (the national standard) or Ed25519
// (the alternative for exchanges with systems without SM2).
const (
	AlgSM2     = "sm2-sm3"
	AlgEd25519 = "ed25519"
)

// Signer is an issuing department: its key and the certificate the CA gave
// it (subject: the department's name and unified social credit code).
type Signer struct {
	Alg  string
	Key  crypto.Signer // *sm2.PrivateKey or ed25519.PrivateKey
	Cert *smx509.Certificate
}

// Issue gives a department an SM2 signing certificate.
func (ca *CA) Issue(deptName, creditCode string, now time.Time, years int) (*Signer, error) {
	return ca.IssueAlg(AlgSM2, deptName, creditCode, now, years)
}

// IssueAlg gives a department a signing key of the algorithm and its
// certificate, signed by the CA with SM2.
func (ca *CA) IssueAlg(alg, deptName, creditCode string, now time.Time, years int) (*Signer, error) {
	var key crypto.Signer
	switch alg {
	case AlgSM2:
		k, err := sm2.GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		key = k
	case AlgEd25519:
		_, k, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		key = k
	default:
		return nil, fmt.Errorf("license: unknown algorithm %q", alg)
	}
	return ca.Certify(key, deptName, creditCode, now, years)
}

// Certify issues a certificate for a department's existing key.
func (ca *CA) Certify(key crypto.Signer, deptName, creditCode string, now time.Time, years int) (*Signer, error) {
	alg, err := algOf(key.Public())
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
	der, err := smx509.CreateCertificate(rand.Reader, tpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		return nil, fmt.Errorf("license: department certificate: %w", err)
	}
	cert, err := smx509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &Signer{Alg: alg, Key: key, Cert: cert}, nil
}

// algOf names the signature algorithm a public key signs with.
func algOf(pub crypto.PublicKey) (string, error) {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if k.Curve == sm2.P256() {
			return AlgSM2, nil
		}
	case ed25519.PublicKey:
		return AlgEd25519, nil
	}
	return "", fmt.Errorf("license: unsupported key type %T", pub)
}

// Sign signs the canonical payload: SM2 over SM3 with the standard's
// default distinguishing ID 1234567812345678 (GM/T 0009), DER-encoded; or
// Ed25519 (RFC 8032, the 64-byte signature).
func (s *Signer) Sign(payload []byte) ([]byte, error) {
	if s.Alg == AlgEd25519 {
		return s.Key.Sign(rand.Reader, payload, crypto.Hash(0))
	}
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
	switch pub := cert.PublicKey.(type) {
	case *ecdsa.PublicKey:
		if pub.Curve != sm2.P256() || !sm2.VerifyASN1WithSM2(pub, nil, payload, sig) {
			return ErrBadSignature
		}
	case ed25519.PublicKey:
		if !ed25519.Verify(pub, payload, sig) {
			return ErrBadSignature
		}
	default:
		return ErrUnknownSigner
	}
	return nil
}
