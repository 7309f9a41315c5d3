package vault

import (
	"bytes"
	"path/filepath"
	"strings"
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

func TestSealText(t *testing.T) {
	v, err := New(NewKey())
	if err != nil {
		t.Fatal(err)
	}
	const doc = `{"applicant_id":["500102198506120011"],"applicant_phone":["13800000000"]}`
	s := v.SealText(doc, "cases.form_values/a")
	if !IsSealedText(s) || strings.Contains(s, "500102198506120011") || strings.Contains(s, "13800000000") {
		t.Fatalf("sealed text %q", s)
	}
	if got, err := v.OpenText(s, "cases.form_values/a"); err != nil || got != doc {
		t.Fatalf("OpenText = %q, %v", got, err)
	}
	// Bound to its row: the same text under another case's purpose fails.
	if _, err := v.OpenText(s, "cases.form_values/b"); err == nil {
		t.Error("sealed text opened under another row's purpose")
	}
	// A row written before sealing reads as it is (the startup step seals it).
	if got, err := v.OpenText(doc, "cases.form_values/a"); err != nil || got != doc {
		t.Errorf("plain text read back as %q, %v", got, err)
	}
	if _, err := v.OpenText(textPrefix+"!!", "cases.form_values/a"); err == nil {
		t.Error("a broken sealed text opened")
	}
	// Derived keys differ by label and from one master to another.
	w, _ := New(NewKey())
	if bytes.Equal(v.Derive("blob seal"), v.Derive("blob address")) || bytes.Equal(v.Derive("blob seal"), w.Derive("blob seal")) {
		t.Error("derived keys collide")
	}
}

// BenchmarkSealText is the price of sealing and opening a case's form
// values (a typical form, ~300 bytes of JSON) on every save and read.
func BenchmarkSealText(b *testing.B) {
	v, _ := New(NewKey())
	doc := `{"applicant_id":["500102198506120011"],"applicant_name":["张三"],"applicant_phone":["13800000000"],` +
		`"business_name":["张三小吃店"],"capital":["5"],"form_of":["person"],"org_address":["500102006001","滨江路 1 号"],"scope":["小吃服务"]}`
	for b.Loop() {
		s := v.SealText(doc, "cases.form_values/0193")
		if _, err := v.OpenText(s, "cases.form_values/0193"); err != nil {
			b.Fatal(err)
		}
	}
}
