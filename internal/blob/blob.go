// Package blob stores uploaded files behind a small interface: a local
// directory by default (a county on one machine), S3-compatible object
// storage at scale. Blobs are named by their content's SHA-256, so a file
// uploaded twice is stored once; Sealed encrypts them and stores them under a
// keyed hash of that name.
package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/tongban/tongban/internal/apperr"
)

// Store keeps blobs by key (a lowercase hex SHA-256, or Sealed's keyed hash).
type Store interface {
	// Put stores r under key. Storing an existing key keeps its bytes and
	// marks it stored now.
	Put(ctx context.Context, key string, r io.Reader) error
	// Open returns the blob; NotFound if there is none.
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	// Delete removes the blob unless it was stored (or stored again) at or
	// after since: an upload of the same file racing the removal keeps it.
	// Deleting a missing blob is not an error.
	Delete(ctx context.Context, key string, since time.Time) error
}

// Dir is a Store in a local directory: root/ab/abcdef….
type Dir struct{ Root string }

var keyRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

func (d Dir) path(key string) (string, error) {
	if !keyRE.MatchString(key) {
		return "", fmt.Errorf("blob: bad key %q", key)
	}
	return filepath.Join(d.Root, key[:2], key), nil
}

// Put writes to a temporary file and renames it into place, so a crash
// never leaves half a blob under a real key.
func (d Dir) Put(ctx context.Context, key string, r io.Reader) error {
	p, err := d.path(key)
	if err != nil {
		return err
	}
	if _, err := os.Stat(p); err == nil {
		now := time.Now()
		return os.Chtimes(p, now, now) // stored again: Delete's since sees it
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return fmt.Errorf("blob: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".put-*")
	if err != nil {
		return fmt.Errorf("blob: %w", err)
	}
	defer os.Remove(f.Name())
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return fmt.Errorf("blob: write %s: %w", key, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("blob: sync %s: %w", key, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("blob: %w", err)
	}
	return os.Rename(f.Name(), p)
}

// Open opens a stored blob.
func (d Dir) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	p, err := d.path(key)
	if err != nil {
		return nil, apperr.E(apperr.NotFound, "error.not_found")
	}
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, apperr.E(apperr.NotFound, "error.not_found")
	}
	return f, err
}

// Delete removes a stored blob last stored before since.
func (d Dir) Delete(ctx context.Context, key string, since time.Time) error {
	p, err := d.path(key)
	if err != nil {
		return err
	}
	fi, err := os.Stat(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("blob: %w", err)
	}
	if !fi.ModTime().Before(since) {
		return nil
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("blob: %w", err)
	}
	return nil
}
