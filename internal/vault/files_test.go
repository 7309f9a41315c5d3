package vault

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// Key files and their directories are tightened at open, whatever the
// umask and however they were made; what is already tighter stays.
func TestPrivateTree(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "keys")
	if err := os.MkdirAll(filepath.Join(dir, "old"), 0o755); err != nil {
		t.Fatal(err)
	}
	files := []struct {
		name       string
		mode, want fs.FileMode
	}{
		{"ca.pem", 0o644, 0o600}, {"ca.key", 0o666, 0o600}, {"old/dept.key", 0o640, 0o600},
		{"readonly.key", 0o400, 0o400}, {"private.key", 0o600, 0o600},
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f.name), []byte("k"), f.mode); err != nil {
			t.Fatal(err)
		}
	}
	if err := PrivateTree(dir); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		st, _ := os.Stat(filepath.Join(dir, f.name))
		if st.Mode().Perm() != f.want {
			t.Errorf("%s: %v, want %v", f.name, st.Mode().Perm(), f.want)
		}
	}
	for _, d := range []string{dir, filepath.Join(dir, "old")} {
		if st, _ := os.Stat(d); st.Mode().Perm() != DirMode {
			t.Errorf("%s: %v, want 0700", d, st.Mode().Perm())
		}
	}
	if err := PrivateTree(filepath.Join(dir, "missing")); err != nil {
		t.Errorf("a missing directory: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "missing")); err == nil {
		t.Error("PrivateTree made a missing directory")
	}
	// The data key: written 0600 even over a world-readable file, and an
	// existing one tightened when it is loaded.
	p := filepath.Join(dir, "data.key")
	os.WriteFile(p, nil, 0o644)
	if err := WriteFile(p, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(p); st.Mode().Perm() != FileMode {
		t.Errorf("WriteFile over a 0644 file left %v", st.Mode().Perm())
	}
	k := filepath.Join(dir, "tongban-data.key")
	if _, err := EnsureKeyFile(k); err != nil {
		t.Fatal(err)
	}
	os.Chmod(k, 0o644)
	if _, err := LoadKeyFile(k); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(k); st.Mode().Perm() != FileMode {
		t.Errorf("a loaded data key is %v", st.Mode().Perm())
	}
}
