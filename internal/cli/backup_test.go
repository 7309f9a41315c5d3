package cli

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/tongban/tongban/internal/backup"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
)

// installation is the paths of one test installation, as flags.
type installation struct {
	dsn, dir string
}

func newInstallation(t *testing.T, dsn string) installation {
	dir := t.TempDir()
	os.Chmod(dir, 0o700)
	if dsn == "" {
		dsn = "sqlite:" + filepath.Join(dir, "tongban.db")
	}
	return installation{dsn: dsn, dir: dir}
}

func (in installation) flags() []string {
	return []string{"--db", in.dsn, "--data-key-file", filepath.Join(in.dir, "data.key"), "--audit-keys", filepath.Join(in.dir, "audit-keys"),
		"--files", filepath.Join(in.dir, "files"), "--licence-keys", filepath.Join(in.dir, "licence-keys")}
}

// counts answers the departments and the audit records of their creation
// (sequenced or pending) in the database of dsn.
func counts(t *testing.T, dsn string) (depts, audited int) {
	t.Helper()
	d, err := db.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.View(t.Context(), func(tx *db.Tx) error {
		return tx.QueryRow(`SELECT (SELECT COUNT(*) FROM departments),
			(SELECT COUNT(*) FROM audit_records WHERE action = 'department.create') + (SELECT COUNT(*) FROM audit_pending WHERE action = 'department.create')`).Scan(&depts, &audited)
	}); err != nil {
		t.Fatal(err)
	}
	return depts, audited
}

// dropSchema empties a test PostgreSQL schema (pg_dump --schema recreates it).
func dropSchema(t *testing.T, dsn string) {
	t.Helper()
	u, _ := url.Parse(dsn)
	admin, err := sql.Open("pgx", os.Getenv("TONGBAN_TEST_PG"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("DROP SCHEMA " + u.Query().Get("search_path") + " CASCADE"); err != nil {
		t.Fatal(err)
	}
}

// A backup taken while the server writes (both databases) restores into an
// empty installation: the audit log verifies, every department has the
// audit record of its creation (one commit's state, not a torn one), and
// the files and keys come back byte for byte; a second backup after the
// writes stopped restores exactly the rows there were. Restoring over the
// running installation is refused.
func TestBackupWhileServing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		pg := d.Dialect == db.Postgres
		src := newInstallation(t, d.DSN())
		key := keyFile(t)
		data, _ := os.ReadFile(key)
		os.WriteFile(filepath.Join(src.dir, "data.key"), data, 0o600)
		code, out, errOut := run(t, "a county secret\n", append(append([]string{"setup"}, src.flags()...), setupFlagsFuling...)...)
		if code != 0 {
			t.Fatalf("setup: %s %s", out, errOut)
		}
		secret := setupSecret(t, out)
		// Materials in the file store, as uploads leave them.
		blobs := map[string]string{"ab/ab" + strings.Repeat("0", 62): "a scanned ID card", "cd/cd" + strings.Repeat("1", 62): strings.Repeat("pdf ", 5000)}
		for name, body := range blobs {
			p := filepath.Join(src.dir, "files", filepath.FromSlash(name))
			os.MkdirAll(filepath.Dir(p), 0o700)
			os.WriteFile(p, []byte(body), 0o600)
		}
		u, stopServer := startServer(t, append([]string{"serve", "--addr", "127.0.0.1:0", "--log-level", "warn"}, src.flags()...)...)
		if u == "" {
			_, out := stopServer()
			t.Fatalf("serve: %s", out)
		}
		stop := sync.OnceValues(stopServer)
		defer stop()
		otp, _ := totp.GenerateCode(secret, time.Now())
		b, _ := json.Marshal(map[string]string{"username": "itadmin", "password": "a county secret", "code": otp})
		st, m := installCall(t, "POST", u+"api/v1/auth/login", "", string(b))
		if st != 200 {
			t.Fatalf("login: %d %v", st, m)
		}
		admin := m["token"].(string)

		// The administrator creates departments, one after another, until stopped.
		var created atomic.Int64
		quit := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-quit:
					return
				default:
				}
				credit, err := codes.CompleteCreditCode(fmt.Sprintf("11500102MB%04dXA", i))
				if err != nil {
					t.Error(err)
					return
				}
				st, m := installCall(t, "POST", u+"api/v1/admin/departments", admin, `{"name":"涪陵区第`+fmt.Sprint(i)+`局","credit_code":"`+credit+`","region_code":"500102","kind":"government"}`)
				if st != 201 {
					t.Errorf("department %d: %d %v", i, st, m)
					return
				}
				created.Add(1)
			}
		}()
		for created.Load() < 3 {
			time.Sleep(10 * time.Millisecond)
		}
		during := filepath.Join(t.TempDir(), "during.tar.gz")
		code, out, errOut = run(t, "", append([]string{"backup", "--out", during}, src.flags()...)...)
		if code != 0 || !strings.Contains(out, "protect it as the keys") {
			t.Fatalf("backup while serving: %d %s %s", code, out, errOut)
		}
		for n := created.Load(); created.Load() < n+3; {
			time.Sleep(10 * time.Millisecond)
		}
		close(quit)
		wg.Wait()
		after := filepath.Join(t.TempDir(), "after.tar.gz")
		if code, out, errOut := run(t, "", append([]string{"backup", "--out", after}, src.flags()...)...); code != 0 {
			t.Fatalf("backup after: %d %s %s", code, out, errOut)
		}
		wantDepts, wantAudited := counts(t, src.dsn)
		if wantDepts != int(created.Load()) || wantAudited != wantDepts {
			t.Fatalf("source: %d departments, %d audited, %d created", wantDepts, wantAudited, created.Load())
		}
		for _, a := range []string{during, after} {
			if st, _ := os.Stat(a); st.Mode().Perm() != 0o600 {
				t.Errorf("%s: mode %o", a, st.Mode().Perm())
			}
		}

		// Over the running installation: refused, nothing written.
		code, _, errOut = run(t, "", append([]string{"restore", during}, src.flags()...)...)
		if code != 1 || !strings.Contains(errOut, "nothing restored: not empty") || !strings.Contains(errOut, "--force") {
			t.Fatalf("restore over the source: %d %s", code, errOut)
		}
		stop()

		restore := func(archive string) installation {
			t.Helper()
			dst := newInstallation(t, "")
			if pg {
				dropSchema(t, src.dsn)
				dst.dsn = src.dsn
			}
			code, out, errOut := run(t, "", append([]string{"restore", archive}, dst.flags()...)...)
			if code != 0 || !strings.Contains(out, "archive verified") || !strings.Contains(out, "ok: the audit log verifies") {
				t.Fatalf("restore %s: %d %s %s", archive, code, out, errOut)
			}
			if code, out, _ := run(t, "", append([]string{"audit", "verify"}, dst.flags()...)...); code != 0 {
				t.Errorf("audit verify after restore: %s", out)
			}
			return dst
		}
		dst := restore(during)
		depts, audited := counts(t, dst.dsn)
		if depts < 3 || depts > wantDepts || audited != depts {
			t.Errorf("restored mid-write: %d departments, %d audit records of their creation (%d at the end)", depts, audited, wantDepts)
		}
		for name, body := range blobs {
			p := filepath.Join(dst.dir, "files", filepath.FromSlash(name))
			got, err := os.ReadFile(p)
			st, _ := os.Stat(p)
			if err != nil || string(got) != body || st.Mode().Perm() != 0o600 {
				t.Errorf("blob %s: %v %v", name, err, st)
			}
		}
		if got, _ := os.ReadFile(filepath.Join(dst.dir, "data.key")); !bytes.Equal(got, data) {
			t.Error("the data key was not restored")
		}
		if _, err := os.Stat(filepath.Join(dst.dir, "audit-keys", "audit-ed25519.key")); err != nil {
			t.Errorf("audit keys: %v", err)
		}
		dst = restore(after)
		if depts, audited := counts(t, dst.dsn); depts != wantDepts || audited != wantAudited {
			t.Errorf("restored after the writes: %d departments, %d audited; want %d, %d", depts, audited, wantDepts, wantAudited)
		}
		// The restored installation serves.
		u, stopServer = startServer(t, append([]string{"serve", "--addr", "127.0.0.1:0", "--log-level", "warn"}, dst.flags()...)...)
		if u == "" {
			_, out := stopServer()
			t.Fatalf("serve after restore: %s", out)
		}
		stopServer()

		if pg {
			// --force replaces a populated schema (pg_restore --clean) in one transaction.
			code, out, errOut := run(t, "", append([]string{"restore", during, "--force"}, dst.flags()...)...)
			if code != 0 || !strings.Contains(out, "ok: the audit log verifies") {
				t.Fatalf("restore --force over PostgreSQL: %d %s %s", code, out, errOut)
			}
			if depts, audited := counts(t, dst.dsn); depts > wantDepts || audited != depts {
				t.Errorf("after --force: %d departments, %d audited", depts, audited)
			}
			// doctor compares the database server's clock with this machine's.
			if _, out, _ := run(t, "", append([]string{"doctor"}, dst.flags()...)...); !strings.Contains(out, "ok    clock: the database server's clock agrees") {
				t.Errorf("doctor on PostgreSQL: %s", out)
			}
			// Without pg_dump's part: the file store and keys, and the command to run.
			fs := filepath.Join(t.TempDir(), "fs.tar.gz")
			code, out, errOut = run(t, "", append([]string{"backup", "--out", fs, "--without-database"}, dst.flags()...)...)
			if code != 0 || !strings.Contains(out, "pg_dump --format=custom") {
				t.Fatalf("backup --without-database: %d %s %s", code, out, errOut)
			}
			m, err := backup.Verify(fs)
			if err != nil || m.Database != "" || len(m.Files) < 3 {
				t.Fatalf("--without-database: %+v %v", m, err)
			}
			code, _, errOut = run(t, "", append([]string{"backup", "--out", filepath.Join(t.TempDir(), "x.tar.gz"), "--pg-dump", "/nonexistent/pg_dump"}, dst.flags()...)...)
			if code != 1 || !strings.Contains(errOut, "/nonexistent/pg_dump") {
				t.Errorf("backup with a missing pg_dump: %d %s", code, errOut)
			}
		}
	})
}

// rewrite decompresses an archive, hands its tar to fn, and compresses the
// result again: damage that gzip's CRC does not see.
func rewrite(t *testing.T, archive string, fn func(tarball []byte) []byte) string {
	t.Helper()
	f, _ := os.Open(archive)
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(gz)
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(fn(raw))
	w.Close()
	out := filepath.Join(t.TempDir(), "rewritten.tar.gz")
	os.WriteFile(out, buf.Bytes(), 0o600)
	return out
}

// A damaged archive is refused naming the file, before anything is
// written; so are a path leaving the target, a link, an archive of the
// other database, and a non-empty target — which --force replaces.
func TestRestoreRefuses(t *testing.T) {
	src := newInstallation(t, "")
	key := keyFile(t)
	data, _ := os.ReadFile(key)
	os.WriteFile(filepath.Join(src.dir, "data.key"), data, 0o600)
	if code, out, errOut := run(t, "a county secret\n", append(append([]string{"setup"}, src.flags()...), setupFlagsFuling...)...); code != 0 {
		t.Fatalf("setup: %s %s", out, errOut)
	}
	blob := "ef" + strings.Repeat("2", 62)
	os.MkdirAll(filepath.Join(src.dir, "files", "ef"), 0o700)
	os.WriteFile(filepath.Join(src.dir, "files", "ef", blob), []byte("the original material, byte for byte"), 0o600)
	good := filepath.Join(t.TempDir(), "good.tar.gz")
	if code, _, errOut := run(t, "", append([]string{"backup", "--out", good}, src.flags()...)...); code != 0 {
		t.Fatal(errOut)
	}

	flipped := rewrite(t, good, func(tb []byte) []byte {
		i := bytes.Index(tb, []byte("the original material"))
		tb[i+4] ^= 1
		return tb
	})
	traversal := rewrite(t, good, func(tb []byte) []byte {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "files/../../../tmp/evil", Size: 4, Mode: 0o600})
		tw.Write([]byte("evil"))
		tw.Flush()
		return append(buf.Bytes(), tb...)
	})
	link := rewrite(t, good, func(tb []byte) []byte {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: "keys/audit/evil", Linkname: "/etc/shadow"})
		tw.Flush()
		return append(buf.Bytes(), tb...)
	})
	raw, _ := os.ReadFile(good)
	raw[len(raw)/2] ^= 0x10
	cut := filepath.Join(t.TempDir(), "cut.tar.gz")
	os.WriteFile(cut, raw, 0o600)

	tests := []struct {
		name, archive, want string
	}{
		{"one flipped byte of a material", flipped, "files/ef/" + blob + ": SHA-256"},
		{"a path leaving the target", traversal, "files/../../../tmp/evil"},
		{"a symbolic link", link, "keys/audit/evil: not a regular file"},
		{"a flipped byte of the compressed stream", cut, "the archive is damaged"},
		{"not an archive", key, "not gzip"},
	}
	for _, tt := range tests {
		dst := newInstallation(t, "")
		code, out, errOut := run(t, "", append([]string{"restore", tt.archive}, dst.flags()...)...)
		if code != 1 || !strings.Contains(errOut, tt.want) {
			t.Errorf("%s: %d %s %s; want %q", tt.name, code, out, errOut, tt.want)
		}
		if entries, _ := os.ReadDir(dst.dir); len(entries) != 0 {
			t.Errorf("%s: written: %v", tt.name, entries)
		}
	}
	if _, err := os.Stat("/tmp/evil"); err == nil {
		t.Error("/tmp/evil written")
	}

	// Into the installation itself: refused, listing each conflict; with
	// --force, replaced and verified.
	code, _, errOut := run(t, "", append([]string{"restore", good}, src.flags()...)...)
	for _, want := range []string{"the database", "the file store", "the audit keys"} {
		if code != 1 || !strings.Contains(errOut, want) {
			t.Errorf("restore over itself: %d %s; want %q", code, errOut, want)
		}
	}
	if strings.Contains(errOut, "the data key") {
		t.Errorf("the same data key is a conflict: %s", errOut)
	}
	if code, out, errOut := run(t, "", append([]string{"restore", good, "--force"}, src.flags()...)...); code != 0 || !strings.Contains(out, "ok: the audit log verifies") {
		t.Errorf("restore --force: %d %s %s", code, out, errOut)
	}
	// Another key is a conflict.
	other := newInstallation(t, "")
	os.WriteFile(filepath.Join(other.dir, "data.key"), []byte("another key"), 0o600)
	if code, _, errOut := run(t, "", append([]string{"restore", good}, other.flags()...)...); code != 1 || !strings.Contains(errOut, "a different key") {
		t.Errorf("restore over another key: %d %s", code, errOut)
	}
	// A SQLite archive into PostgreSQL.
	if dsn := os.Getenv("TONGBAN_TEST_PG"); dsn != "" {
		pg := newInstallation(t, dbtest.PostgresSchema(t))
		if code, _, errOut := run(t, "", append([]string{"restore", good}, pg.flags()...)...); code != 1 || !strings.Contains(errOut, "sqlite installation") {
			t.Errorf("a SQLite archive into PostgreSQL: %d %s", code, errOut)
		}
	}
	// Without keys: none in the archive.
	nokeys := filepath.Join(t.TempDir(), "nokeys.tar.gz")
	if code, out, _ := run(t, "", append([]string{"backup", "--out", nokeys, "--without-keys"}, src.flags()...)...); code != 0 || !strings.Contains(out, "holds no keys") {
		t.Errorf("--without-keys: %d %s", code, out)
	}
	if m, err := backup.Verify(nokeys); err != nil || m.Keys {
		t.Errorf("--without-keys manifest: %+v %v", m, err)
	} else {
		for _, f := range m.Files {
			if strings.HasPrefix(f.Path, "keys/") {
				t.Errorf("--without-keys archived %s", f.Path)
			}
		}
	}
	// Into a directory, keeping the newest two.
	dir := t.TempDir()
	for i := 0; i < 3; i++ {
		if code, _, errOut := run(t, "", append([]string{"backup", "--out", dir, "--keep", "2"}, src.flags()...)...); code != 0 {
			t.Fatal(errOut)
		}
		time.Sleep(1100 * time.Millisecond)
	}
	if names, _ := filepath.Glob(filepath.Join(dir, "tongban-*.tar.gz")); len(names) != 2 {
		t.Errorf("--keep 2: %v", names)
	}
}

// doctor names the fix of an unsynchronised clock and of missing or old
// backups, and is content with a synchronised clock and a fresh backup.
func TestDoctorClockAndBackups(t *testing.T) {
	in := newInstallation(t, "")
	data, _ := os.ReadFile(keyFile(t))
	os.WriteFile(filepath.Join(in.dir, "data.key"), data, 0o600)
	if code, out, errOut := run(t, "a county secret\n", append(append([]string{"setup"}, in.flags()...), setupFlagsFuling...)...); code != 0 {
		t.Fatalf("setup: %s %s", out, errOut)
	}
	backups := filepath.Join(in.dir, "backups")
	os.Mkdir(backups, 0o700)
	flags := append(in.flags(), "--calendar-fallback", "weekdays", "--backup-dir", backups)
	doctor := func(sync func() (bool, time.Duration, error)) (int, string) {
		var out strings.Builder
		code := Main(t.Context(), &Env{Args: append([]string{"doctor"}, flags...), Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }, ClockSync: sync})
		return code, out.String()
	}
	tests := []struct {
		name string
		sync func() (bool, time.Duration, error)
		want string
	}{
		{"unsynchronised", func() (bool, time.Duration, error) { return false, 16 * time.Second, nil }, "FAIL  clock: not synchronised"},
		{"unsynchronised: the fix", func() (bool, time.Duration, error) { return false, 0, nil }, "→ install and enable a time service: apt-get install chrony"},
		{"a large error", func() (bool, time.Duration, error) { return true, 3 * time.Second, nil }, "estimated error is 3s"},
		{"unreadable", func() (bool, time.Duration, error) { return false, 0, fmt.Errorf("operation not permitted") }, "FAIL  clock: operation not permitted"},
		{"no backup yet", syncedClock, "FAIL  backups: none in " + backups},
	}
	for _, tt := range tests {
		if code, out := doctor(tt.sync); code != 1 || !strings.Contains(out, tt.want) {
			t.Errorf("%s: %d %s", tt.name, code, out)
		}
	}
	if code, _, errOut := run(t, "", append([]string{"backup"}, flags...)...); code != 0 {
		t.Fatalf("backup into --backup-dir: %s", errOut)
	}
	if code, out := doctor(syncedClock); code != 0 || !strings.Contains(out, "ok    clock: synchronised") || !strings.Contains(out, "ok    backups: the newest is") {
		t.Errorf("with a fresh backup: %d %s", code, out)
	}
	names, _ := filepath.Glob(filepath.Join(backups, "tongban-*.tar.gz"))
	old := time.Now().Add(-50 * time.Hour)
	os.Chtimes(names[0], old, old)
	if code, out := doctor(syncedClock); code != 1 || !strings.Contains(out, "hours old") || !strings.Contains(out, "systemctl status tongban-backup.timer") {
		t.Errorf("with an old backup: %d %s", code, out)
	}
}
