package blob

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/tongban/tongban/internal/apperr"
)

// Sealed encrypts blobs at rest (PIPL Art. 51; materials are ID-card scans,
// certificates, contracts): AES-256-GCM under a key derived from the data
// key, each file with a fresh nonce and its stored name as associated data,
// so a file cannot be swapped for another's. Callers still name a blob by
// the SHA-256 of its content; the inner store keeps it under the keyed hash
// of that name, HMAC-SHA-256 under a second derived key, so the store's
// listing is no dictionary oracle (whoever holds a known document cannot
// tell whether it was uploaded) while the same content still gets the same
// name (stored once).
type Sealed struct {
	Inner   Store
	aead    cipher.AEAD
	nameKey []byte
}

// sealVersion prefixes every sealed blob, so the format can change later.
const sealVersion byte = 1

// NewSealed seals blobs into inner with encKey (32 bytes, AES-256) and names
// them with nameKey.
func NewSealed(inner Store, encKey, nameKey []byte) (*Sealed, error) {
	if len(encKey) != 32 || len(nameKey) < 32 {
		return nil, errors.New("blob: sealing keys must be 32 bytes")
	}
	block, err := aes.NewCipher(encKey)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealed{Inner: inner, aead: aead, nameKey: nameKey}, nil
}

// Name is where the blob of content SHA-256 key is stored in the inner store.
func (s *Sealed) Name(key string) string {
	m := hmac.New(sha256.New, s.nameKey)
	m.Write([]byte(key))
	return hex.EncodeToString(m.Sum(nil))
}

// Put seals r's content and stores it under the keyed name of key.
func (s *Sealed) Put(ctx context.Context, key string, r io.Reader) error {
	if !keyRE.MatchString(key) {
		return fmt.Errorf("blob: bad key %q", key)
	}
	plain, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("blob: read %s: %w", key, err)
	}
	name := s.Name(key)
	return s.Inner.Put(ctx, name, bytes.NewReader(s.seal(plain, name)))
}

func (s *Sealed) seal(plain []byte, name string) []byte {
	nonce := make([]byte, s.aead.NonceSize(), 1+s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	rand.Read(nonce)
	out := append([]byte{sealVersion}, nonce...)
	return s.aead.Seal(out, nonce, plain, []byte(name))
}

// Open returns the blob's content. A blob stored before sealing (under its
// plain SHA-256, not yet moved by SealPlain) is read as it is.
func (s *Sealed) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	if !keyRE.MatchString(key) {
		return nil, apperr.E(apperr.NotFound, "error.not_found")
	}
	name := s.Name(key)
	rc, err := s.Inner.Open(ctx, name)
	if apperr.CodeOf(err) == apperr.NotFound {
		return s.Inner.Open(ctx, key)
	}
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	sealed, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("blob: read %s: %w", key, err)
	}
	n := s.aead.NonceSize()
	if len(sealed) < 1+n || sealed[0] != sealVersion {
		return nil, fmt.Errorf("blob: %s: unknown sealed format", key)
	}
	plain, err := s.aead.Open(nil, sealed[1:1+n], sealed[1+n:], []byte(name))
	if err != nil {
		return nil, fmt.Errorf("blob: %s does not open with this key", key)
	}
	return io.NopCloser(bytes.NewReader(plain)), nil
}

// SealPlain moves a blob stored before sealing — in clear under its plain
// SHA-256 — to its sealed form, and removes the clear copy. It is idempotent
// and safe to run from several replicas at once: storing is atomic and
// storing an existing name a no-op, and the clear copy goes only once the
// sealed one is in place. A clear copy whose content does not match its name
// is left alone and reported. It reports whether it sealed anything.
func (s *Sealed) SealPlain(ctx context.Context, key string) (bool, error) {
	rm, ok := s.Inner.(Remover)
	if !ok || !keyRE.MatchString(key) {
		return false, nil
	}
	rc, err := s.Inner.Open(ctx, key)
	if apperr.CodeOf(err) == apperr.NotFound {
		return false, nil // sealed already, or never stored
	}
	if err != nil {
		return false, err
	}
	plain, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		return false, fmt.Errorf("blob: read %s: %w", key, err)
	}
	if sum := sha256.Sum256(plain); hex.EncodeToString(sum[:]) != key {
		return false, fmt.Errorf("blob: %s: the stored content does not match its name; left in place", key)
	}
	name := s.Name(key)
	if err := s.Inner.Put(ctx, name, bytes.NewReader(s.seal(plain, name))); err != nil {
		return false, err
	}
	return true, rm.Remove(ctx, key)
}

// Delete removes the sealed blob of key unless it was stored (or stored
// again) at or after since.
func (s *Sealed) Delete(ctx context.Context, key string, since time.Time) error {
	if !keyRE.MatchString(key) {
		return fmt.Errorf("blob: bad key %q", key)
	}
	return s.Inner.Delete(ctx, s.Name(key), since)
}

// Remover is a Store that can delete a blob.
type Remover interface {
	// Remove deletes the blob; a missing one is no error.
	Remove(ctx context.Context, key string) error
}

// Remove deletes a stored blob.
func (d Dir) Remove(ctx context.Context, key string) error {
	p, err := d.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("blob: %w", err)
	}
	return nil
}

// Restrict makes the store's directory and its shard directories 0700
// (files are written 0600): older versions made the directories 0750.
func (d Dir) Restrict() error {
	if err := os.MkdirAll(d.Root, 0o700); err != nil {
		return fmt.Errorf("blob: %w", err)
	}
	entries, err := os.ReadDir(d.Root)
	if err != nil {
		return fmt.Errorf("blob: %w", err)
	}
	dirs := []string{d.Root}
	for _, e := range entries {
		if e.IsDir() {
			dirs = append(dirs, filepath.Join(d.Root, e.Name()))
		}
	}
	for _, p := range dirs {
		if st, err := os.Stat(p); err == nil && st.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(p, 0o700); err != nil {
				return fmt.Errorf("blob: %w", err)
			}
		}
	}
	return nil
}
