// Package backup writes and reads Tongban's backup archive: one gzip'd tar
// holding the database copy, the file store and (unless left out) the key
// directories, closed by manifest.json, which lists every file with its size
// and SHA-256, the program's version, the schema version and when it was made.
//
// Reading is for outside input: an archive is believed only after every
// file's SHA-256 matched the manifest, every name is a plain relative path
// under a known prefix, and every entry is a regular file — a link, a device,
// a directory entry, "..", an absolute or duplicate name or a file the
// manifest does not list refuses the archive. Verify reads it whole before
// anything is written; Extract writes it through os.Root, so that no name can
// leave its target directory even if one is replaced by a symlink meanwhile.
package backup

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tongban/tongban/internal/vault"
)

// Format names this layout in the manifest.
const Format = "tongban-backup/1"

// The archive's names.
const (
	ManifestName  = "manifest.json"
	SQLiteName    = "db/tongban.db"     // the SQLite database (VACUUM INTO)
	PGDumpName    = "db/tongban.pgdump" // pg_dump --format=custom
	FilesPrefix   = "files/"            // the file store (--files)
	DataKeyName   = "keys/data.key"     // the data key (--data-key-file)
	AuditPrefix   = "keys/audit/"       // --audit-keys
	LicencePrefix = "keys/licence/"     // --licence-keys
)

// prefixes are the only places a file may be named.
var prefixes = []string{"db/", FilesPrefix, "keys/"}

// maxManifest bounds the manifest read into memory (a file store of a
// million blobs lists in about 150 MB; a county holds far fewer).
const maxManifest = 256 << 20

// Manifest describes an archive.
type Manifest struct {
	Format  string    `json:"format"`
	Version string    `json:"tongban_version"`
	Schema  int64     `json:"schema_version"` // the last applied migration; 0 when the database is not included
	Dialect string    `json:"dialect"`        // sqlite or postgres
	Created time.Time `json:"created"`
	// Database is the name of the database copy, "" when the archive holds
	// none (PostgreSQL without pg_dump: its dump is kept apart).
	Database string `json:"database"`
	Keys     bool   `json:"keys_included"`
	Files    []File `json:"files"`
}

// File is one archived file.
type File struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Damaged is a refused archive: Name is the file concerned ("" when the
// archive as a whole is), Reason why.
type Damaged struct{ Name, Reason string }

func (e *Damaged) Error() string {
	if e.Name == "" {
		return "备份文件已损坏或不是通办备份 — the archive is damaged or not a Tongban backup: " + e.Reason
	}
	return "备份文件已损坏或不是通办备份 — the archive is damaged or not a Tongban backup: " + e.Name + ": " + e.Reason
}

func damaged(name, format string, args ...any) error {
	return &Damaged{Name: name, Reason: fmt.Sprintf(format, args...)}
}

// CheckName refuses a name that is not a plain relative path under a known
// prefix: absolute, "..", ".", empty or backslashed components, NUL or
// invalid UTF-8.
func CheckName(name string) error {
	switch {
	case name == "" || len(name) > 1024 || !utf8.ValidString(name):
		return errors.New("not a valid file name")
	case strings.ContainsAny(name, "\\\x00"):
		return errors.New("a backslash or NUL in the name")
	case strings.HasPrefix(name, "/"):
		return errors.New("an absolute path")
	}
	for _, part := range strings.Split(name, "/") {
		if part == "" || part == "." || part == ".." {
			return errors.New("a path leaving its directory or not in clean form")
		}
	}
	for _, p := range prefixes {
		if strings.HasPrefix(name, p) {
			return nil
		}
	}
	return errors.New("outside db/, files/ and keys/")
}

// Writer writes an archive to a temporary file beside its destination and
// renames it into place on Close, so that a failed backup never leaves a
// file that looks like one.
type Writer struct {
	dest string
	f    *os.File
	gz   *gzip.Writer
	tw   *tar.Writer
	seen map[string]bool
	m    Manifest
	// Vanished counts files that disappeared while being archived (blobs
	// removed by the file store's collector meanwhile).
	Vanished int
}

// Create starts an archive at dest (mode 0600).
func Create(dest string) (*Writer, error) {
	f, err := os.CreateTemp(filepath.Dir(dest), ".tongban-backup-*")
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	if err := f.Chmod(vault.FileMode); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("backup: %w", err)
	}
	gz, _ := gzip.NewWriterLevel(f, gzip.BestSpeed) // blobs are mostly sealed: incompressible
	return &Writer{dest: dest, f: f, gz: gz, tw: tar.NewWriter(gz), seen: map[string]bool{}}, nil
}

// AddFile archives the regular file at src as name. A missing src is
// reported as fs.ErrNotExist (the caller decides whether that matters).
func (w *Writer) AddFile(name, src string) error {
	if err := CheckName(name); err != nil {
		return fmt.Errorf("backup: %s: %w", name, err)
	}
	if w.seen[name] {
		return fmt.Errorf("backup: %s twice", name)
	}
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("backup: %s is not a regular file", src)
	}
	hdr := &tar.Header{Typeflag: tar.TypeReg, Name: name, Size: st.Size(), Mode: int64(vault.FileMode), ModTime: st.ModTime().UTC().Truncate(time.Second), Format: tar.FormatPAX}
	if err := w.tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w.tw, h), io.LimitReader(f, st.Size()))
	if err != nil {
		return fmt.Errorf("backup: %s: %w", src, err)
	}
	if n != st.Size() {
		return fmt.Errorf("backup: %s shrank while it was read", src)
	}
	w.seen[name] = true
	w.m.Files = append(w.m.Files, File{Path: name, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))})
	return nil
}

// AddTree archives the regular files below dir under prefix (which ends in
// "/"). A missing dir adds nothing. Symbolic links and other special files
// are not followed and answered as an error, temporary files of the file
// store (".put-*") are left out, and a file that vanishes meanwhile is
// counted in Vanished.
func (w *Writer) AddTree(prefix, dir string) error {
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p != dir {
				return nil
			}
			return fmt.Errorf("backup: %w", err)
		}
		if e.IsDir() {
			return nil
		}
		if strings.HasPrefix(e.Name(), ".put-") {
			return nil
		}
		if !e.Type().IsRegular() {
			return fmt.Errorf("backup: %s is not a regular file (a link or a special file); move it out of %s", p, dir)
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return fmt.Errorf("backup: %w", err)
		}
		err = w.AddFile(prefix+filepath.ToSlash(rel), p)
		if errors.Is(err, fs.ErrNotExist) {
			w.Vanished++
			return nil
		}
		return err
	})
}

// Close writes the manifest (m, with the files added) and puts the archive
// in place.
func (w *Writer) Close(m Manifest) (*Manifest, error) {
	m.Format = Format
	m.Files = w.m.Files
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		w.Abort()
		return nil, err
	}
	err = w.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: ManifestName, Size: int64(len(data)), Mode: int64(vault.FileMode), ModTime: m.Created.UTC().Truncate(time.Second), Format: tar.FormatPAX})
	if err == nil {
		_, err = w.tw.Write(data)
	}
	if err == nil {
		err = w.tw.Close()
	}
	if err == nil {
		err = w.gz.Close()
	}
	if err == nil {
		err = w.f.Sync()
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(w.f.Name(), w.dest)
	}
	if err != nil {
		os.Remove(w.f.Name())
		return nil, fmt.Errorf("backup: %w", err)
	}
	return &m, nil
}

// Abort discards an unfinished archive.
func (w *Writer) Abort() {
	w.f.Close()
	os.Remove(w.f.Name())
}

// walk reads every entry of the archive in r, checking names and types,
// and hands each file's content to fn (which must read it to its end); the
// manifest is read and returned. Any fault is a *Damaged naming the entry.
func walk(r io.Reader, fn func(name string, body io.Reader) error) (*Manifest, error) {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return nil, damaged("", "not gzip: %v", err)
	}
	tr := tar.NewReader(gz)
	seen := map[string]bool{}
	var m *Manifest
	last := ""
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if last != "" {
				return nil, damaged(last, "unreadable after this file: %v", err)
			}
			return nil, damaged("", "%v", err)
		}
		name := hdr.Name
		if hdr.Typeflag != tar.TypeReg {
			return nil, damaged(name, "not a regular file (type %q): links, directories and devices are refused", hdr.Typeflag)
		}
		if seen[name] {
			return nil, damaged(name, "appears twice")
		}
		seen[name] = true
		last = name
		if m != nil {
			return nil, damaged(name, "after the manifest")
		}
		if name == ManifestName {
			if hdr.Size > maxManifest {
				return nil, damaged(name, "too large")
			}
			data, err := io.ReadAll(tr)
			if err != nil {
				return nil, damaged(name, "unreadable: %v", err)
			}
			m = new(Manifest)
			if err := json.Unmarshal(data, m); err != nil {
				return nil, damaged(name, "not valid JSON: %v", err)
			}
			continue
		}
		if err := CheckName(name); err != nil {
			return nil, damaged(name, "%v", err)
		}
		if err := fn(name, tr); err != nil {
			return nil, err
		}
	}
	// The gzip trailer (CRC-32 and length) is checked at the stream's end.
	if _, err := io.Copy(io.Discard, gz); err != nil {
		return nil, damaged(last, "unreadable after this file: %v", err)
	}
	if m == nil {
		return nil, damaged(ManifestName, "missing (the archive is cut short or not a Tongban backup)")
	}
	if m.Format != Format {
		return nil, damaged(ManifestName, "format %q, not %s", m.Format, Format)
	}
	return m, nil
}

// hashed reads body to its end and answers its size and SHA-256.
func hashed(name string, body io.Reader) (int64, string, error) {
	h := sha256.New()
	n, err := io.Copy(h, body)
	if err != nil {
		return n, "", damaged(name, "unreadable: %v", err)
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// Verify reads the archive at path whole and answers its manifest when
// every file's size and SHA-256 match it and it lists no file the archive
// lacks; otherwise a *Damaged names the first file that does not.
func Verify(path string) (*Manifest, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return verify(f)
}

func verify(r io.Reader) (*Manifest, error) {
	got := map[string]File{}
	m, err := walk(r, func(name string, body io.Reader) error {
		n, sum, err := hashed(name, body)
		if err != nil {
			return err
		}
		got[name] = File{Path: name, Size: n, SHA256: sum}
		return nil
	})
	if err != nil {
		return nil, err
	}
	listed := map[string]bool{}
	for _, f := range m.Files {
		if err := CheckName(f.Path); err != nil {
			return nil, damaged(f.Path, "in the manifest: %v", err)
		}
		if listed[f.Path] {
			return nil, damaged(f.Path, "listed twice in the manifest")
		}
		listed[f.Path] = true
		g, ok := got[f.Path]
		switch {
		case !ok:
			return nil, damaged(f.Path, "listed in the manifest but not in the archive")
		case g.Size != f.Size:
			return nil, damaged(f.Path, "%d bytes, the manifest says %d", g.Size, f.Size)
		case g.SHA256 != f.SHA256:
			return nil, damaged(f.Path, "SHA-256 %s does not match the manifest's %s", g.SHA256, f.SHA256)
		}
	}
	names := make([]string, 0, len(got))
	for n := range got {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if !listed[n] {
			return nil, damaged(n, "in the archive but not in the manifest")
		}
	}
	if m.Database != "" && !listed[m.Database] {
		return nil, damaged(m.Database, "the manifest's database is not in the archive")
	}
	return m, nil
}

// Place says where an archived file goes: the directory it is written in
// (created 0700 when missing) and its path below it. ok false skips it.
type Place func(name string) (dir, rel string, ok bool)

// Extract writes the files of a verified archive (m from Verify) where
// place says, each 0600 in directories made 0700, hashing them again as they
// are written: an archive changed since Verify fails with the file named.
// Existing files are replaced.
func Extract(path string, m *Manifest, place Place) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	want := map[string]File{}
	for _, fl := range m.Files {
		want[fl.Path] = fl
	}
	roots := map[string]*os.Root{}
	defer func() {
		for _, r := range roots {
			r.Close()
		}
	}()
	_, err = walk(f, func(name string, body io.Reader) error {
		dir, rel, ok := place(name)
		if !ok {
			_, err := io.Copy(io.Discard, body)
			return err
		}
		root := roots[dir]
		if root == nil {
			// A missing directory is made owner-only; an existing one
			// (/etc/tongban holding the data key) keeps its mode.
			if err := os.MkdirAll(dir, vault.DirMode); err != nil {
				return fmt.Errorf("restore: %w", err)
			}
			r, err := os.OpenRoot(dir)
			if err != nil {
				return err
			}
			roots[dir], root = r, r
		}
		return extractOne(root, name, rel, body, want[name])
	})
	return err
}

func extractOne(root *os.Root, name, rel string, body io.Reader, want File) error {
	if d := filepath.Dir(rel); d != "." {
		if err := root.MkdirAll(d, vault.DirMode); err != nil {
			return fmt.Errorf("restore %s: %w", name, err)
		}
	}
	tmp := rel + ".restore-tmp"
	out, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, vault.FileMode)
	if err != nil {
		return fmt.Errorf("restore %s: %w", name, err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), body)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil && (n != want.Size || hex.EncodeToString(h.Sum(nil)) != want.SHA256) {
		err = damaged(name, "changed since it was verified")
	}
	if err == nil {
		err = root.Chmod(tmp, vault.FileMode)
	}
	if err == nil {
		err = root.Rename(tmp, rel)
	}
	if err != nil {
		root.Remove(tmp)
		var d *Damaged
		if errors.As(err, &d) {
			return err
		}
		return fmt.Errorf("restore %s: %w", name, err)
	}
	return nil
}
