package license

import (
	"crypto"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"github.com/tongban/tongban/internal/vault"
)

// Keyring holds the platform CA's certificate (the root verifiers trust)
// and the issuing departments' signing keys, from a directory:
//
//	ca.pem                  the CA certificate
//	ca.key                  the CA's private key (only where certificates are issued: demo)
//	dept-<credit code>.pem  a department's certificate, issued by the CA
//	dept-<credit code>.key  its private key (PKCS #8, SM2 or Ed25519)
//
// In demo mode the directory is created with a new CA, and a department
// without a key gets one on its first licence; in production the files are
// made beforehand (docs/LICENCES.md) and a missing key is an error.
type Keyring struct {
	dir    string
	create bool
	alg    string // algorithm of keys made on demand
	ca     *CA    // Key is nil without ca.key
	roots  *smx509.CertPool
	now    func() time.Time

	mu      sync.Mutex
	signers map[string]*Signer
}

// demoBackdate: certificates made here (demo, tests) are valid from this
// many years before they are made, so that the demo's sample cases, decided
// on back-dated clocks, are signed within their certificates' validity.
const demoBackdate = 1

// ErrNoSigner: the department has no signing key and none may be made here.
var ErrNoSigner = errors.New("license: the issuing department has no signing key")

// OpenKeyring loads the keys in dir. With create, a missing directory or
// CA is made, and departments' keys are made on demand with alg.
func OpenKeyring(dir string, create bool, alg string, now func() time.Time) (*Keyring, error) {
	if now == nil {
		now = time.Now
	}
	if alg == "" {
		alg = AlgSM2
	}
	if alg != AlgSM2 && alg != AlgEd25519 {
		return nil, fmt.Errorf("license: unknown algorithm %q (want %s or %s)", alg, AlgSM2, AlgEd25519)
	}
	k := &Keyring{dir: dir, create: create, alg: alg, now: now, signers: map[string]*Signer{}}
	certPath := filepath.Join(dir, "ca.pem")
	if _, err := os.Stat(certPath); errors.Is(err, os.ErrNotExist) && create {
		if err := os.MkdirAll(dir, vault.DirMode); err != nil {
			return nil, err
		}
		ca, err := NewCA("通办电子证照根证书", now().AddDate(-demoBackdate, 0, 0), 20+demoBackdate)
		if err != nil {
			return nil, err
		}
		if err := writeKeyPair(dir, "ca", ca.Key, ca.Cert); err != nil {
			return nil, err
		}
	}
	// Every file of the key directory is the service's alone (0600, the
	// directory 0700), however it was made: tightened at every start.
	if err := vault.PrivateTree(dir); err != nil {
		return nil, err
	}
	cert, err := readCert(certPath)
	if err != nil {
		return nil, fmt.Errorf("license: CA certificate: %w", err)
	}
	k.ca = &CA{Cert: cert}
	if key, err := readKey(filepath.Join(dir, "ca.key")); err == nil {
		sk, ok := key.(*sm2.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("license: ca.key is not an SM2 key")
		}
		k.ca.Key = sk
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("license: CA key: %w", err)
	}
	k.roots = smx509.NewCertPool()
	k.roots.AddCert(cert)
	return k, nil
}

// NewMemoryKeyring is a keyring with a new CA that makes department keys on
// demand and keeps nothing on disk (tests).
func NewMemoryKeyring(alg string, now func() time.Time) (*Keyring, error) {
	if now == nil {
		now = time.Now
	}
	ca, err := NewCA("通办电子证照根证书（测试）", now().AddDate(-demoBackdate, 0, 0), 20+demoBackdate)
	if err != nil {
		return nil, err
	}
	if alg == "" {
		alg = AlgSM2
	}
	roots := smx509.NewCertPool()
	roots.AddCert(ca.Cert)
	return &Keyring{create: true, alg: alg, ca: ca, roots: roots, now: now, signers: map[string]*Signer{}}, nil
}

// Roots is the pool of trusted CA certificates.
func (k *Keyring) Roots() *smx509.CertPool { return k.roots }

// CACert is the platform CA's certificate.
func (k *Keyring) CACert() *smx509.Certificate { return k.ca.Cert }

// Signer returns the department's signing key, making it when allowed.
func (k *Keyring) Signer(creditCode, deptName string) (*Signer, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if s, ok := k.signers[creditCode]; ok && k.now().Before(s.Cert.NotAfter) {
		return s, nil
	}
	base := "dept-" + creditCode
	if k.dir != "" {
		cert, cerr := readCert(filepath.Join(k.dir, base+".pem"))
		key, kerr := readKey(filepath.Join(k.dir, base+".key"))
		if cerr == nil && kerr == nil {
			signer, ok := key.(crypto.Signer)
			if !ok {
				return nil, fmt.Errorf("license: %s.key: not a signing key", base)
			}
			alg, err := algOf(cert.PublicKey)
			if err != nil {
				return nil, err
			}
			s := &Signer{Alg: alg, Key: signer, Cert: cert}
			if k.now().Before(cert.NotAfter) {
				k.signers[creditCode] = s
				return s, nil
			}
		} else if !errors.Is(cerr, os.ErrNotExist) && cerr != nil {
			return nil, fmt.Errorf("license: %s.pem: %w", base, cerr)
		} else if !errors.Is(kerr, os.ErrNotExist) && kerr != nil {
			return nil, fmt.Errorf("license: %s.key: %w", base, kerr)
		}
	}
	if !k.create || k.ca.Key == nil {
		return nil, fmt.Errorf("%w (%s: %s)", ErrNoSigner, creditCode, filepath.Join(k.dir, base+".pem"))
	}
	s, err := k.ca.IssueAlg(k.alg, deptName, creditCode, k.now().AddDate(-demoBackdate, 0, 0), 5+demoBackdate)
	if err != nil {
		return nil, err
	}
	if k.dir != "" {
		if err := writeKeyPair(k.dir, base, s.Key, s.Cert); err != nil {
			return nil, err
		}
	}
	k.signers[creditCode] = s
	return s, nil
}

func writeKeyPair(dir, base string, key any, cert *smx509.Certificate) error {
	der, err := smx509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	if err := vault.WriteFile(filepath.Join(dir, base+".key"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})); err != nil {
		return err
	}
	return vault.WriteFile(filepath.Join(dir, base+".pem"), CertPEM(cert))
}

// CertPEM encodes a certificate as PEM.
func CertPEM(c *smx509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

// ParseCertPEM decodes one PEM certificate.
func ParseCertPEM(b []byte) (*smx509.Certificate, error) {
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "CERTIFICATE" {
		return nil, errors.New("license: not a PEM certificate")
	}
	return smx509.ParseCertificate(blk.Bytes)
}

func readCert(path string) (*smx509.Certificate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseCertPEM(b)
}

func readKey(path string) (any, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, errors.New("not PEM")
	}
	return smx509.ParsePKCS8PrivateKey(blk.Bytes)
}

// Forget drops a department's signer from memory: the next Signer reads its
// files again (a key rotated by `tongban licence keys --rotate` elsewhere).
func (k *Keyring) Forget(creditCode string) {
	k.mu.Lock()
	delete(k.signers, creditCode)
	k.mu.Unlock()
}

// ErrNoCAKey: a department's key cannot be replaced here, because the CA's
// private key is kept elsewhere (production keeps it offline).
var ErrNoCAKey = errors.New("license: the CA's private key (ca.key) is not in this keyring")

// Rotate replaces a department's signing key and certificate with new ones
// the CA issues, of the same algorithm: after its key was revoked. The old
// pair stays beside, named by its certificate's serial, for the record.
func (k *Keyring) Rotate(creditCode, deptName string) (*Signer, error) {
	if k.ca.Key == nil {
		return nil, ErrNoCAKey
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	alg := k.alg
	base := "dept-" + creditCode
	old := k.signers[creditCode]
	if k.dir != "" {
		if cert, err := readCert(filepath.Join(k.dir, base+".pem")); err == nil {
			old = &Signer{Cert: cert}
		}
	}
	if old != nil {
		if a, err := algOf(old.Cert.PublicKey); err == nil {
			alg = a
		}
	}
	s, err := k.ca.IssueAlg(alg, deptName, creditCode, k.now(), 5)
	if err != nil {
		return nil, err
	}
	if k.dir != "" {
		if old != nil {
			kept := fmt.Sprintf("%s.%x", base, old.Cert.SerialNumber)
			for _, ext := range []string{".pem", ".key"} {
				if err := os.Rename(filepath.Join(k.dir, base+ext), filepath.Join(k.dir, kept+ext)); err != nil && !errors.Is(err, os.ErrNotExist) {
					return nil, err
				}
			}
		}
		if err := writeKeyPair(k.dir, base, s.Key, s.Cert); err != nil {
			return nil, err
		}
	}
	k.signers[creditCode] = s
	return s, nil
}

// ReadDeptCert reads a department's current certificate from a keys
// directory (to revoke it).
func ReadDeptCert(dir, creditCode string) (*smx509.Certificate, error) {
	return readCert(filepath.Join(dir, "dept-"+creditCode+".pem"))
}
