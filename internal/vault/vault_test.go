package vault

import (
	"bytes"
	"path/filepath"
	"testing"
)

func TestSealOpenIndex(t *testing.T) {
	v, err := New(NewKey())
	if err != nil {
		t.Fatal(err)
	}
	const id = "11010519491231002X"
	s1, s2 := v.Seal(id, "persons.id_number"), v.Seal(id, "persons.id_number")
	if bytes.Equal(s1, s2) {
		t.Error("two seals of one value are equal: nonce reuse")
	}
	if bytes.Contains(s1, []byte(id)) {
		t.Error("sealed value contains the clear text")
	}
	if got, err := v.Open(s1, "persons.id_number"); err != nil || got != id {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := v.Open(s1, "other.column"); err == nil {
		t.Error("a sealed value opened under another purpose")
	}
	s1[len(s1)-1] ^= 1
	if _, err := v.Open(s1, "persons.id_number"); err == nil {
		t.Error("a tampered sealed value opened")
	}
	if again := v.Index(id, "p"); v.Index(id, "p") != again || v.Index(id, "p") == v.Index(id, "q") {
		t.Error("index is not deterministic per purpose")
	}
	other, _ := New(NewKey())
	if other.Index(id, "p") == v.Index(id, "p") {
		t.Error("index does not depend on the key")
	}
}

func TestKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data.key")
	k1, err := EnsureKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := EnsureKeyFile(path)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("key changed on second load: %v", err)
	}
	if _, err := New(k1[:16]); err == nil {
		t.Error("short key accepted")
	}
}
