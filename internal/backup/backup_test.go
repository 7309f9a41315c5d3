package backup

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// entry is one raw tar entry of a crafted archive.
type entry struct {
	name     string
	typeflag byte
	body     string
	link     string
}

// craft builds a gzip'd tar of entries; when manifest is true it closes it
// with a manifest listing every regular entry with its true sum.
func craft(t testing.TB, manifest bool, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	m := Manifest{Format: Format, Version: "test", Dialect: "sqlite", Created: time.Unix(1_800_000_000, 0).UTC()}
	for _, e := range entries {
		tf := e.typeflag
		if tf == 0 {
			tf = tar.TypeReg
		}
		hdr := &tar.Header{Typeflag: tf, Name: e.name, Mode: 0o600, Linkname: e.link}
		if tf == tar.TypeReg {
			hdr.Size = int64(len(e.body))
			sum := sha256.Sum256([]byte(e.body))
			m.Files = append(m.Files, File{Path: e.name, Size: hdr.Size, SHA256: hex.EncodeToString(sum[:])})
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		io.WriteString(tw, e.body)
	}
	if manifest {
		data, _ := json.Marshal(m)
		tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: ManifestName, Size: int64(len(data)), Mode: 0o600})
		tw.Write(data)
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

func writeArchive(t *testing.T, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "a.tar.gz")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// A tree written and read back: the same bytes, owner-only modes, the
// store's temporary files left out, the manifest listing every file.
func TestRoundTrip(t *testing.T) {
	src := t.TempDir()
	files := map[string]string{"ab/ab01": "first blob", "cd/cd02": strings.Repeat("x", 100_000), "top": ""}
	for name, body := range files {
		p := filepath.Join(src, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(body), 0o644)
	}
	os.WriteFile(filepath.Join(src, "ab", ".put-123"), []byte("half"), 0o600)
	key := filepath.Join(t.TempDir(), "data.key")
	os.WriteFile(key, []byte("a key"), 0o600)

	out := filepath.Join(t.TempDir(), "b.tar.gz")
	w, err := Create(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.AddTree(FilesPrefix, src); err != nil {
		t.Fatal(err)
	}
	if err := w.AddTree(AuditPrefix, filepath.Join(src, "missing")); err != nil {
		t.Fatal(err)
	}
	if err := w.AddFile(DataKeyName, key); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Close(Manifest{Version: "v1", Schema: 21, Dialect: "sqlite", Created: time.Now(), Keys: true}); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(out); st.Mode().Perm() != 0o600 {
		t.Errorf("archive mode %o", st.Mode().Perm())
	}
	m, err := Verify(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Files) != 4 || m.Schema != 21 || !m.Keys || m.Version != "v1" {
		t.Fatalf("manifest: %+v", m)
	}
	dst := filepath.Join(t.TempDir(), "restored")
	keyDir := t.TempDir()
	err = Extract(out, m, func(name string) (string, string, bool) {
		if rel, ok := strings.CutPrefix(name, FilesPrefix); ok {
			return dst, rel, true
		}
		if name == DataKeyName {
			return keyDir, "data.key", true
		}
		return "", "", false
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range files {
		p := filepath.Join(dst, filepath.FromSlash(name))
		got, err := os.ReadFile(p)
		st, _ := os.Stat(p)
		if err != nil || string(got) != body || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: %q %v %v", name, got, err, st.Mode())
		}
	}
	for _, d := range []string{dst, filepath.Join(dst, "ab")} {
		if st, _ := os.Stat(d); st.Mode().Perm() != 0o700 {
			t.Errorf("%s: %v", d, st.Mode())
		}
	}
	if _, err := os.Stat(filepath.Join(dst, "ab", ".put-123")); err == nil {
		t.Error("a temporary upload was archived")
	}
	if got, _ := os.ReadFile(filepath.Join(keyDir, "data.key")); string(got) != "a key" {
		t.Errorf("key: %q", got)
	}
}

// A symbolic link in a directory being archived is refused, not followed.
func TestAddTreeRefusesLinks(t *testing.T) {
	src := t.TempDir()
	os.Symlink("/etc/passwd", filepath.Join(src, "passwd"))
	w, err := Create(filepath.Join(t.TempDir(), "c.tar.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	if err := w.AddTree(FilesPrefix, src); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("a symlink archived: %v", err)
	}
}

// Every kind of bad archive is refused by Verify with the file named, and
// nothing is written.
func TestVerifyRefuses(t *testing.T) {
	ok := entry{name: "files/ab/x", body: "blob"}
	// A manifest whose sum of one file is wrong: one flipped byte of content.
	flipped := func() []byte {
		var buf bytes.Buffer
		gz := gzip.NewWriter(&buf)
		tw := tar.NewWriter(gz)
		tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "db/tongban.db", Size: 4, Mode: 0o600})
		tw.Write([]byte("SQLitf"[:4]))
		sum := sha256.Sum256([]byte("SQLi"))
		sum[0] ^= 1
		data, _ := json.Marshal(Manifest{Format: Format, Files: []File{{Path: "db/tongban.db", Size: 4, SHA256: hex.EncodeToString(sum[:])}}})
		tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: ManifestName, Size: int64(len(data)), Mode: 0o600})
		tw.Write(data)
		tw.Close()
		gz.Close()
		return buf.Bytes()
	}()
	tests := []struct {
		name, data, wantName, wantReason string
		raw                              []byte
	}{
		{name: "traversal", raw: craft(t, true, entry{name: "files/../../etc/cron.d/x", body: "boom"}), wantName: "files/../../etc/cron.d/x", wantReason: "leaving"},
		{name: "absolute", raw: craft(t, true, entry{name: "/etc/passwd", body: "boom"}), wantName: "/etc/passwd", wantReason: "absolute"},
		{name: "outside the prefixes", raw: craft(t, true, entry{name: "etc/passwd", body: "boom"}), wantName: "etc/passwd", wantReason: "outside"},
		{name: "symlink", raw: craft(t, true, entry{name: "files/ab/link", typeflag: tar.TypeSymlink, link: "/etc/passwd"}), wantName: "files/ab/link", wantReason: "not a regular file"},
		{name: "hard link", raw: craft(t, true, ok, entry{name: "files/ab/hard", typeflag: tar.TypeLink, link: "files/ab/x"}), wantName: "files/ab/hard", wantReason: "not a regular file"},
		{name: "directory", raw: craft(t, true, entry{name: "files/ab/", typeflag: tar.TypeDir}), wantName: "files/ab/", wantReason: "not a regular file"},
		{name: "duplicate", raw: craft(t, true, ok, ok), wantName: "files/ab/x", wantReason: "twice"},
		{name: "no manifest", raw: craft(t, false, ok), wantName: ManifestName, wantReason: "missing"},
		{name: "flipped byte", raw: flipped, wantName: "db/tongban.db", wantReason: "SHA-256"},
		{name: "not gzip", raw: []byte("PK\x03\x04 a zip"), wantReason: "not gzip"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Verify(writeArchive(t, tt.raw))
			var d *Damaged
			if !errors.As(err, &d) || d.Name != tt.wantName || !strings.Contains(d.Reason, tt.wantReason) {
				t.Fatalf("got %v; want %s: …%s…", err, tt.wantName, tt.wantReason)
			}
		})
	}
}

// A manifest listing a file the archive lacks, or missing one it holds, or
// a size that differs, is refused naming that file.
func TestVerifyManifestMismatch(t *testing.T) {
	write := func(m Manifest, entries ...entry) string {
		var buf bytes.Buffer
		gz := gzip.NewWriter(&buf)
		tw := tar.NewWriter(gz)
		for _, e := range entries {
			tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: e.name, Size: int64(len(e.body)), Mode: 0o600})
			io.WriteString(tw, e.body)
		}
		m.Format = Format
		data, _ := json.Marshal(m)
		tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: ManifestName, Size: int64(len(data)), Mode: 0o600})
		tw.Write(data)
		tw.Close()
		gz.Close()
		return writeArchive(t, buf.Bytes())
	}
	sum := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
	tests := []struct {
		name     string
		path     string
		wantName string
		reason   string
	}{
		{"unlisted file", write(Manifest{}, entry{name: "files/a", body: "x"}), "files/a", "not in the manifest"},
		{"absent file", write(Manifest{Files: []File{{Path: "files/a", Size: 1, SHA256: sum("x")}}}), "files/a", "not in the archive"},
		{"size", write(Manifest{Files: []File{{Path: "files/a", Size: 2, SHA256: sum("x")}}}, entry{name: "files/a", body: "x"}), "files/a", "bytes"},
		{"database absent", write(Manifest{Database: SQLiteName}), SQLiteName, "not in the archive"},
		{"bad name in manifest", write(Manifest{Files: []File{{Path: "../x"}}}), "../x", "in the manifest"},
	}
	for _, tt := range tests {
		_, err := Verify(tt.path)
		var d *Damaged
		if !errors.As(err, &d) || d.Name != tt.wantName || !strings.Contains(d.Reason, tt.reason) {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
	// The format is checked.
	if _, err := Verify(writeArchive(t, craft(t, false, entry{name: ManifestName, body: `{"format":"other/9"}`}))); err == nil || !strings.Contains(err.Error(), "other/9") {
		t.Errorf("foreign format: %v", err)
	}
}

// One flipped byte anywhere in the compressed archive is refused (gzip's
// CRC-32 or a file's SHA-256) unless it changed nothing of what the archive
// holds (the gzip header's flags and time, padding bits of the deflate
// stream): no flip is ever accepted with different content.
func TestFlippedCompressedByte(t *testing.T) {
	raw := craft(t, true, entry{name: "files/ab/x", body: strings.Repeat("material ", 2000)}, entry{name: "keys/data.key", body: "k"})
	if _, err := Verify(writeArchive(t, raw)); err != nil {
		t.Fatal(err)
	}
	content := func(b []byte) []byte {
		gz, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil
		}
		data, _ := io.ReadAll(gz)
		return data
	}
	want := content(raw)
	refused := 0
	for i := range raw {
		bad := bytes.Clone(raw)
		bad[i] ^= 0x20
		if _, err := Verify(writeArchive(t, bad)); err != nil {
			refused++
		} else if !bytes.Equal(content(bad), want) {
			t.Fatalf("byte %d flipped: accepted with other content", i)
		}
	}
	if refused < len(raw)*9/10 {
		t.Errorf("only %d of %d flips refused", refused, len(raw))
	}
}

// The reader of outside archives never panics, never accepts a name that
// is not plain and relative, and never writes outside its directory.
func FuzzVerify(f *testing.F) {
	f.Add(craft(f, true, entry{name: "files/ab/x", body: "blob"}))
	f.Add(craft(f, true, entry{name: "files/../x", body: "blob"}))
	f.Add(craft(f, true, entry{name: "files/l", typeflag: tar.TypeSymlink, link: "../../x"}))
	f.Add(craft(f, false, entry{name: ManifestName, body: `{"format":"tongban-backup/1","files":[{"path":"keys/../../x"}]}`}))
	f.Add([]byte{0x1f, 0x8b})
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := verify(bytes.NewReader(data))
		if err != nil {
			var d *Damaged
			if !errors.As(err, &d) {
				t.Fatalf("not a Damaged: %v", err)
			}
			return
		}
		dir := t.TempDir()
		target := filepath.Join(dir, "target")
		for _, fl := range m.Files {
			if CheckName(fl.Path) != nil {
				t.Fatalf("accepted %q", fl.Path)
			}
		}
		p := filepath.Join(dir, "a.tar.gz")
		os.WriteFile(p, data, 0o600)
		if err := Extract(p, m, func(name string) (string, string, bool) { return target, name, true }); err != nil {
			return
		}
		filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
			if err == nil && p != dir && p != filepath.Join(dir, "a.tar.gz") && !strings.HasPrefix(p, target+string(filepath.Separator)) && p != target {
				t.Fatalf("wrote outside the target: %s", p)
			}
			if err == nil && e.Type()&os.ModeSymlink != 0 {
				t.Fatalf("made a link: %s", p)
			}
			return nil
		})
	})
}
