// Package vault protects personal identifiers at rest (R9.3): values are
// sealed with AES-256-GCM and found again through a keyed hash (HMAC-SHA256,
// a "blind index"), so the database never holds an ID number in clear text
// and a copy of it cannot be searched by number without the key.
//
// Both keys derive from one 32-byte master key (HKDF-SHA256), kept in a file
// outside the database. All primitives are the Go standard library's.
package vault

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
)

// version prefixes every sealed value, so that keys can be rotated later.
const version byte = 1

// Vault seals and indexes personal identifiers.
type Vault struct {
	aead     cipher.AEAD
	indexKey []byte
	master   []byte
}

// New derives the vault's keys from a 32-byte master key.
func New(master []byte) (*Vault, error) {
	if len(master) != 32 {
		return nil, fmt.Errorf("vault: master key must be 32 bytes, got %d", len(master))
	}
	encKey, err := hkdf.Key(sha256.New, master, nil, "tongban vault v1 seal", 32)
	if err != nil {
		return nil, err
	}
	idxKey, err := hkdf.Key(sha256.New, master, nil, "tongban vault v1 index", 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(encKey)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Vault{aead: aead, indexKey: idxKey, master: master}, nil
}

// Derive returns a 32-byte key for another use of the data key (HKDF-SHA256
// with label as its info), such as the material store's encryption and
// addressing keys: one key file, independent keys per purpose.
func (v *Vault) Derive(label string) []byte {
	k, err := hkdf.Key(sha256.New, v.master, nil, "tongban "+label, 32)
	if err != nil {
		panic(err) // 32 bytes of SHA-256 HKDF never fail
	}
	return k
}

// textPrefix marks a value sealed as text (SealText): no JSON document and
// no value this platform stores in clear starts with it.
const textPrefix = "sealed:1:"

// SealText is Seal for a text column: the prefix, then the sealed bytes in
// base64, so the column keeps its type on both databases.
func (v *Vault) SealText(value, purpose string) string {
	return textPrefix + base64.RawStdEncoding.EncodeToString(v.Seal(value, purpose))
}

// IsSealedText reports whether s was made by SealText.
func IsSealedText(s string) bool { return strings.HasPrefix(s, textPrefix) }

// OpenText opens a value made by SealText. A value without the prefix is
// returned as it is: a row written before sealing, which the one-time
// sealing at start (cases.SealAtRest) replaces.
func (v *Vault) OpenText(s, purpose string) (string, error) {
	b64, ok := strings.CutPrefix(s, textPrefix)
	if !ok {
		return s, nil
	}
	sealed, err := base64.RawStdEncoding.DecodeString(b64)
	if err != nil {
		return "", errors.New("vault: sealed text is not base64")
	}
	return v.Open(sealed, purpose)
}

// Seal encrypts value; purpose (such as "persons.id_number") is bound as
// associated data, so a sealed value cannot be moved to another column.
func (v *Vault) Seal(value, purpose string) []byte {
	nonce := make([]byte, v.aead.NonceSize())
	rand.Read(nonce)
	out := append([]byte{version}, nonce...)
	return v.aead.Seal(out, nonce, []byte(value), []byte(purpose))
}

// Open decrypts a sealed value.
func (v *Vault) Open(sealed []byte, purpose string) (string, error) {
	n := v.aead.NonceSize()
	if len(sealed) < 1+n || sealed[0] != version {
		return "", errors.New("vault: unknown sealed value format")
	}
	plain, err := v.aead.Open(nil, sealed[1:1+n], sealed[1+n:], []byte(purpose))
	if err != nil {
		return "", errors.New("vault: sealed value does not open with this key")
	}
	return string(plain), nil
}

// Index is the keyed hash used to look a value up.
func (v *Vault) Index(value, purpose string) string {
	m := hmac.New(sha256.New, v.indexKey)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write([]byte(value))
	return hex.EncodeToString(m.Sum(nil))
}

// NewKey returns a fresh random master key.
func NewKey() []byte {
	k := make([]byte, 32)
	rand.Read(k)
	return k
}

// LoadKeyFile reads a master key stored as base64 text.
func LoadKeyFile(path string) ([]byte, error) {
	if err := PrivateFile(path); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("vault: unable to read key file: %w", err)
	}
	k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(data)))
	if err != nil || len(k) != 32 {
		return nil, fmt.Errorf("vault: %s does not hold a base64 32-byte key", path)
	}
	return k, nil
}

// EnsureKeyFile loads the key at path, creating it (mode 0600) if missing.
// Demo mode uses it; production is given a key file.
func EnsureKeyFile(path string) ([]byte, error) {
	if _, err := os.Stat(path); err == nil {
		return LoadKeyFile(path)
	}
	k := NewKey()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, FileMode)
	if err != nil {
		return nil, fmt.Errorf("vault: unable to create key file: %w", err)
	}
	defer f.Close()
	if _, err := f.WriteString(base64.StdEncoding.EncodeToString(k) + "\n"); err != nil {
		return nil, err
	}
	return k, f.Close()
}
