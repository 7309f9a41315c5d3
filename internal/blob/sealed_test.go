package blob

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/tongban/tongban/internal/apperr"
)

func key32() []byte {
	k := make([]byte, 32)
	rand.Read(k)
	return k
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func read(t *testing.T, s Store, key string) ([]byte, error) {
	t.Helper()
	rc, err := s.Open(context.Background(), key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func TestSealed(t *testing.T) {
	ctx := context.Background()
	dir := Dir{Root: t.TempDir()}
	s, err := NewSealed(dir, key32(), key32())
	if err != nil {
		t.Fatal(err)
	}
	scan := []byte("%PDF-1.4 公民身份号码 500102198506120011")
	k := sum(scan)
	for range 2 { // the same content is stored once
		if err := s.Put(ctx, k, bytes.NewReader(scan)); err != nil {
			t.Fatal(err)
		}
	}
	stored := filepath.Join(dir.Root, s.Name(k)[:2], s.Name(k))
	raw, err := os.ReadFile(stored)
	if err != nil {
		t.Fatalf("not stored under the keyed name: %v", err)
	}
	if bytes.Contains(raw, []byte("500102198506120011")) || s.Name(k) == k {
		t.Fatal("stored in clear or under the plain SHA-256")
	}
	if entries, _ := os.ReadDir(filepath.Dir(stored)); len(entries) != 1 {
		t.Errorf("%d files for one content", len(entries))
	}
	if got, err := read(t, s, k); err != nil || !bytes.Equal(got, scan) {
		t.Fatalf("Open = %q, %v", got, err)
	}
	// Another data key neither finds nor opens it.
	other, _ := NewSealed(dir, key32(), key32())
	if _, err := read(t, other, k); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("another key: %v", err)
	}
	// A file swapped for another's sealed file, or tampered with, does not open.
	scan2 := []byte("%PDF-1.4 another")
	s.Put(ctx, sum(scan2), bytes.NewReader(scan2))
	raw2, _ := os.ReadFile(filepath.Join(dir.Root, s.Name(sum(scan2))[:2], s.Name(sum(scan2))))
	os.WriteFile(stored, raw2, 0o600)
	if _, err := read(t, s, k); err == nil {
		t.Error("a swapped file opened")
	}
	raw[len(raw)-1] ^= 1
	os.WriteFile(stored, raw, 0o600)
	if _, err := read(t, s, k); err == nil {
		t.Error("a tampered file opened")
	}

	// Files of an older version, in clear under their SHA-256: read as they
	// are, sealed once by SealPlain (twice is harmless), a mismatch left.
	old := []byte("%PDF-1.4 old scan 500102198506120011")
	dir.Put(ctx, sum(old), bytes.NewReader(old))
	if got, err := read(t, s, sum(old)); err != nil || !bytes.Equal(got, old) {
		t.Fatalf("a clear file of an older version reads %q, %v", got, err)
	}
	for i, want := range []bool{true, false} {
		done, err := s.SealPlain(ctx, sum(old))
		if err != nil || done != want {
			t.Fatalf("SealPlain #%d = %v, %v", i+1, done, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir.Root, sum(old)[:2], sum(old))); !os.IsNotExist(err) {
		t.Error("the clear copy is still there")
	}
	if got, err := read(t, s, sum(old)); err != nil || !bytes.Equal(got, old) {
		t.Fatalf("sealed from clear reads %q, %v", got, err)
	}
	bad := sum([]byte("something else"))
	dir.Put(ctx, bad, bytes.NewReader(old))
	if done, err := s.SealPlain(ctx, bad); err == nil || done {
		t.Errorf("a clear file not matching its name was sealed: %v %v", done, err)
	}
}
