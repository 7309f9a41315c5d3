package audit

import (
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
	"golang.org/x/mod/sumdb/note"

	"github.com/tongban/tongban/internal/vault"
)

// Key files in a directory: the Ed25519 note keys as the note package
// writes them, and the SM2 private key as PKCS#8 PEM.
const (
	EdKeyFile  = "audit-ed25519.key"
	EdPubFile  = "audit-ed25519.pub"
	SM2KeyFile = "audit-sm2.pem"
)

// LoadKeys reads the keys from dir. With create, missing keys are made
// first (the demo); otherwise a missing key is an error.
func LoadKeys(dir, origin string, create bool) (*Keys, error) {
	ed, edPub, smPath := filepath.Join(dir, EdKeyFile), filepath.Join(dir, EdPubFile), filepath.Join(dir, SM2KeyFile)
	if _, err := os.Stat(ed); errors.Is(err, fs.ErrNotExist) && create {
		if err := os.MkdirAll(dir, vault.DirMode); err != nil {
			return nil, err
		}
		skey, vkey, err := note.GenerateKey(rand.Reader, origin)
		if err != nil {
			return nil, err
		}
		k, err := sm2.GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		der, err := smx509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			return nil, err
		}
		for _, f := range []struct {
			path string
			data []byte
		}{{ed, []byte(skey + "\n")}, {edPub, []byte(vkey + "\n")},
			{smPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})}} {
			if err := vault.WriteFile(f.path, f.data); err != nil {
				return nil, err
			}
		}
	}
	// Every file of the key directory is the service's alone (0600, the
	// directory 0700), however it was made: tightened at every start.
	if err := vault.PrivateTree(dir); err != nil {
		return nil, err
	}
	skey, err := os.ReadFile(ed)
	if err != nil {
		return nil, fmt.Errorf("audit: signing key: %w", err)
	}
	vkey, err := os.ReadFile(edPub)
	if err != nil {
		return nil, fmt.Errorf("audit: verifier key: %w", err)
	}
	pemBytes, err := os.ReadFile(smPath)
	if err != nil {
		return nil, fmt.Errorf("audit: SM2 key: %w", err)
	}
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, fmt.Errorf("audit: %s is not PEM", smPath)
	}
	key, err := smx509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("audit: SM2 key: %w", err)
	}
	sk, ok := key.(*sm2.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("audit: %s is not an SM2 key", smPath)
	}
	return NewKeys(origin, strings.TrimSpace(string(skey)), strings.TrimSpace(string(vkey)), sk)
}

// SM2PublicPEM is the SM2 public key as PKIX PEM (what verifiers need).
func (k *Keys) SM2PublicPEM() (string, error) {
	der, err := smx509.MarshalPKIXPublicKey(&k.SM2.key.PublicKey)
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), nil
}
