package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/backup"
	"github.com/tongban/tongban/internal/config"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/vault"
)

// backupFlags are the flags of backup and restore.
type backupFlags struct {
	out, pgDump            string
	withoutKeys, withoutDB bool
	force                  bool
	keep                   int
}

func backupFlagSet(fs *flag.FlagSet, lf *localFlags) {
	fs.StringVar(&lf.backup.out, "out", "", "the archive to write (FILE.tar.gz), or a directory to write tongban-YYYYMMDD-HHMMSS.tar.gz in (default: --backup-dir)")
	fs.BoolVar(&lf.backup.withoutKeys, "without-keys", false, "leave the data key and the audit and licence key directories out (keep them apart; without them the archive cannot be read back)")
	fs.BoolVar(&lf.backup.withoutDB, "without-database", false, "PostgreSQL without pg_dump: archive the file store and keys alone (dump the database yourself)")
	fs.StringVar(&lf.backup.pgDump, "pg-dump", "", "PostgreSQL: the pg_dump program (default: pg_dump on PATH, else the newest /usr/lib/postgresql/*/bin/pg_dump)")
	fs.IntVar(&lf.backup.keep, "keep", 0, "writing into a directory: keep the newest N tongban-*.tar.gz there and delete older ones (0: keep all)")
}

func restoreFlagSet(fs *flag.FlagSet, lf *localFlags) {
	fs.BoolVar(&lf.backup.force, "force", false, "replace a non-empty database, file store or key directory (stop the service first)")
	fs.StringVar(&lf.backup.pgDump, "pg-restore", "", "PostgreSQL: the pg_restore program (default: pg_restore on PATH, else the newest /usr/lib/postgresql/*/bin/pg_restore)")
}

// programVersion is the module version and VCS revision the binary was
// built from.
func programVersion() string {
	version, rev := "(devel)", ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				rev = " " + s.Value
			}
		}
	}
	return version + rev
}

// sqlitePath is the file of a sqlite: DSN ("" for PostgreSQL).
func sqlitePath(dsn string) string {
	p, ok := strings.CutPrefix(dsn, "sqlite:")
	if !ok {
		return ""
	}
	p, _, _ = strings.Cut(p, "?")
	return p
}

// dataKeyPath is the data key file of the installation: --data-key-file,
// or the demo's key beside a SQLite database.
func dataKeyPath(cfg *config.Config) string {
	if cfg.DataKeyFile != "" {
		return cfg.DataKeyFile
	}
	return cfg.Beside("tongban-data.key")
}

// schemaVersion is the last applied migration (0: none).
func schemaVersion(ctx context.Context, d *db.DB) (int64, error) {
	st, err := d.MigrationStatus(ctx)
	if err != nil {
		return 0, err
	}
	var v int64
	for _, s := range st {
		if s.State == "applied" && s.Source.Version > v {
			v = s.Source.Version
		}
	}
	return v, nil
}

// pgTool finds pg_dump or pg_restore: the flag, PATH, then the newest
// Debian cluster's.
func pgTool(flagValue, name string) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name)
	if len(found) == 0 {
		return "", fmt.Errorf("%s not found", name)
	}
	sort.Slice(found, func(i, j int) bool {
		return len(found[i]) < len(found[j]) || (len(found[i]) == len(found[j]) && found[i] < found[j])
	})
	return found[len(found)-1], nil
}

// pgArgs turns the platform's PostgreSQL DSN into what libpq's tools take:
// the URL without its password (given as PGPASSWORD, not on the command
// line) and without search_path (a pgx parameter), which becomes --schema
// (pg_dump's -n) when set.
func pgArgs(dsn string) (conn, schema, password string, err error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", "", "", fmt.Errorf("the database URL cannot be read")
	}
	if u.User != nil {
		password, _ = u.User.Password()
		u.User = url.User(u.User.Username())
	}
	q := u.Query()
	schema = q.Get("search_path")
	q.Del("search_path")
	u.RawQuery = q.Encode()
	return u.String(), schema, password, nil
}

func pgCommand(ctx context.Context, tool, password string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, tool, args...)
	cmd.Env = os.Environ()
	if password != "" {
		cmd.Env = append(cmd.Env, "PGPASSWORD="+password)
	}
	return cmd
}

// runBackup: `tongban backup --out FILE.tar.gz` copies a running
// installation into one archive: the database as of one commit (SQLite:
// VACUUM INTO; PostgreSQL: pg_dump when found), then the file store, then
// (unless --without-keys) the data key and the key directories, closed by a
// manifest of SHA-256 sums. The database is copied first: a material it
// names was stored before it, so it is in the file store when that is read.
func runBackup(ctx context.Context, e *Env, cfg *config.Config, lf *localFlags, args []string) error {
	bf := lf.backup
	out := bf.out
	if out == "" {
		out = cfg.BackupDir
	}
	if len(args) != 0 || out == "" {
		fmt.Fprintln(e.Stderr, "usage: tongban backup --out FILE.tar.gz|DIR [--without-keys] [--keep N] (or set --backup-dir)")
		return errUsage
	}
	intoDir := false
	if st, err := os.Stat(out); err == nil && st.IsDir() {
		intoDir = true
		out = filepath.Join(out, "tongban-"+time.Now().UTC().Format("20060102-150405")+".tar.gz")
	} else if bf.keep != 0 {
		fmt.Fprintln(e.Stderr, "tongban backup: --keep needs --out (or --backup-dir) to be a directory")
		return errUsage
	}
	if _, err := os.Stat(out); err == nil {
		return fmt.Errorf("%s exists; give another --out", out)
	}
	path := sqlitePath(cfg.DB)
	if path != "" {
		if _, err := os.Stat(path); err != nil {
			return fmt.Errorf("no database at %s: check --db", path)
		}
	}
	d, err := db.Open(ctx, cfg.DB)
	if err != nil {
		return err
	}
	defer d.Close()
	schema, err := schemaVersion(ctx, d)
	if err != nil {
		return err
	}
	if schema == 0 {
		return fmt.Errorf("the database holds no schema: nothing to back up (check --db)")
	}
	tmp, err := os.MkdirTemp(filepath.Dir(out), ".tongban-backup-db-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	m := backup.Manifest{Version: programVersion(), Schema: schema, Dialect: string(d.Dialect), Keys: !bf.withoutKeys}
	w, err := backup.Create(out)
	if err != nil {
		return err
	}
	ok := false
	defer func() {
		if !ok {
			w.Abort()
		}
	}()
	m.Created = time.Now().UTC()
	switch {
	case d.Dialect == db.SQLite:
		snap := filepath.Join(tmp, "tongban.db")
		if err := d.Snapshot(ctx, snap); err != nil {
			return err
		}
		if err := w.AddFile(backup.SQLiteName, snap); err != nil {
			return err
		}
		m.Database = backup.SQLiteName
	case bf.withoutDB:
		conn, schemaName, _, err := pgArgs(cfg.DB)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.Stdout, "the database is not in this archive (--without-database); dump it with:\n  pg_dump --format=custom --file=tongban.pgdump %s'%s'\n", schemaFlag(schemaName), conn)
	default:
		if err := pgDump(ctx, bf.pgDump, cfg.DB, filepath.Join(tmp, "tongban.pgdump")); err != nil {
			return err
		}
		if err := w.AddFile(backup.PGDumpName, filepath.Join(tmp, "tongban.pgdump")); err != nil {
			return err
		}
		m.Database = backup.PGDumpName
	}
	if err := w.AddTree(backup.FilesPrefix, cfg.Or(cfg.FilesDir, "tongban-files")); err != nil {
		return err
	}
	if !bf.withoutKeys {
		if err := w.AddFile(backup.DataKeyName, dataKeyPath(cfg)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		} else if err != nil {
			return fmt.Errorf("no data key at %s: give --data-key-file, or --without-keys", dataKeyPath(cfg))
		}
		if err := w.AddTree(backup.AuditPrefix, cfg.Or(cfg.AuditKeys, "audit-keys")); err != nil {
			return err
		}
		if err := w.AddTree(backup.LicencePrefix, cfg.Or(cfg.LicenceKeys, "licence-keys")); err != nil {
			return err
		}
	}
	done, err := w.Close(m)
	if err != nil {
		return err
	}
	ok = true
	var size int64
	for _, f := range done.Files {
		size += f.Size
	}
	fmt.Fprintf(e.Stdout, "备份已写入 backup written: %s (%d files, %d MiB before compression; schema %d)\n", out, len(done.Files), size>>20, schema)
	if w.Vanished > 0 {
		fmt.Fprintf(e.Stdout, "%d stored files were removed while the backup ran (collected as unused) and are not in it\n", w.Vanished)
	}
	if done.Keys {
		fmt.Fprintln(e.Stdout, "其中含数据密钥和签名密钥，须按密钥本身保护 — it holds the data key and the signing keys: protect it as the keys themselves (owner-only, an encrypted copy off the machine)")
	} else {
		fmt.Fprintln(e.Stdout, "其中不含密钥 — it holds no keys (--without-keys): without the data key kept apart, nothing sealed in it can be read")
	}
	if intoDir && bf.keep > 0 {
		return prune(e, filepath.Dir(out), bf.keep)
	}
	return nil
}

func schemaFlag(schema string) string {
	if schema == "" {
		return ""
	}
	return "--schema=" + schema + " "
}

// pgDump runs pg_dump into file (custom format: one consistent snapshot of
// the database, restored with pg_restore).
func pgDump(ctx context.Context, tool, dsn, file string) error {
	tool, err := pgTool(tool, "pg_dump")
	if err != nil {
		conn, schema, _, _ := pgArgs(dsn)
		return fmt.Errorf("pg_dump not found: install postgresql-client or give --pg-dump PATH; or dump the database yourself (pg_dump --format=custom --file=tongban.pgdump %s'%s') and give --without-database to archive the file store and keys alone", schemaFlag(schema), conn)
	}
	conn, schema, password, err := pgArgs(dsn)
	if err != nil {
		return err
	}
	args := []string{"--format=custom", "--no-owner", "--file=" + file}
	if schema != "" {
		args = append(args, "--schema="+schema)
	}
	args = append(args, "--dbname="+conn)
	var stderr bytes.Buffer
	cmd := pgCommand(ctx, tool, password, args...)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %v: %s", tool, err, strings.TrimSpace(stderr.String()))
	}
	return os.Chmod(file, vault.FileMode)
}

// prune keeps the newest keep archives tongban-*.tar.gz in dir.
func prune(e *Env, dir string, keep int) error {
	names, err := filepath.Glob(filepath.Join(dir, "tongban-*.tar.gz"))
	if err != nil {
		return err
	}
	sort.Strings(names) // tongban-YYYYMMDD-HHMMSS: name order is time order
	for len(names) > keep {
		if err := os.Remove(names[0]); err != nil {
			return err
		}
		fmt.Fprintf(e.Stdout, "removed the older backup %s\n", names[0])
		names = names[1:]
	}
	return nil
}

// runRestore: `tongban restore FILE` puts an archive back into an empty
// installation — the database of --db, the --files store, the data key and
// key directories — after checking every file's SHA-256 against the
// manifest and that nothing would be overwritten (--force replaces), then
// verifies the restored audit log as `tongban audit verify` does.
func runRestore(ctx context.Context, e *Env, cfg *config.Config, lf *localFlags, args []string) error {
	if len(args) != 1 {
		fmt.Fprintln(e.Stderr, "usage: tongban restore FILE.tar.gz [--force]")
		return errUsage
	}
	archive := args[0]
	m, err := backup.Verify(archive)
	if err != nil {
		return fmt.Errorf("未恢复任何内容 nothing restored: %w", err)
	}
	fmt.Fprintf(e.Stdout, "备份校验通过 archive verified: %d files, made %s by tongban %s, schema %d\n", len(m.Files), m.Created.Format(time.RFC3339), m.Version, m.Schema)
	path := sqlitePath(cfg.DB)
	if (path != "") != (m.Dialect == string(db.SQLite)) {
		return fmt.Errorf("the archive is of a %s installation; --db names a different kind of database", m.Dialect)
	}
	filesDir := cfg.Or(cfg.FilesDir, "tongban-files")
	auditDir := cfg.Or(cfg.AuditKeys, "audit-keys")
	licenceDir := cfg.Or(cfg.LicenceKeys, "licence-keys")
	keyFile := dataKeyPath(cfg)
	has := map[string]bool{}
	for _, f := range m.Files {
		has[f.Path] = true
		has[f.Path[:strings.Index(f.Path, "/")+1]] = true
		for _, p := range []string{backup.AuditPrefix, backup.LicencePrefix} {
			if strings.HasPrefix(f.Path, p) {
				has[p] = true
			}
		}
	}

	// Nothing is written before every conflict is known.
	var conflicts []string
	var pgd *db.DB
	if path != "" {
		for _, p := range []string{path, path + "-wal"} {
			if st, err := os.Stat(p); err == nil && st.Size() > 0 {
				conflicts = append(conflicts, "the database "+p)
				break
			}
		}
	} else {
		if pgd, err = db.Open(ctx, cfg.DB); err != nil {
			return err
		}
		defer pgd.Close()
		if m.Database != "" {
			var tables int
			if err := pgd.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()`).Scan(&tables); err != nil {
				return err
			}
			if tables > 0 {
				conflicts = append(conflicts, fmt.Sprintf("the database (%d tables)", tables))
			}
		}
	}
	if has[backup.FilesPrefix] && !emptyDir(filesDir) {
		conflicts = append(conflicts, "the file store "+filesDir)
	}
	if has[backup.AuditPrefix] && !emptyDir(auditDir) {
		conflicts = append(conflicts, "the audit keys "+auditDir)
	}
	if has[backup.LicencePrefix] && !emptyDir(licenceDir) {
		conflicts = append(conflicts, "the licence keys "+licenceDir)
	}
	if has[backup.DataKeyName] {
		if cur, err := os.ReadFile(keyFile); err == nil && !sameKey(m, cur) {
			conflicts = append(conflicts, "the data key "+keyFile+" (a different key)")
		}
	}
	if len(conflicts) > 0 && !lf.backup.force {
		return fmt.Errorf("未恢复任何内容：目标不为空 nothing restored: not empty: %s; restore into an empty installation, or give --force to replace them (stop the service first)", strings.Join(conflicts, ", "))
	}
	if latest, err := db.LatestVersion(db.Dialect(m.Dialect)); err != nil {
		return err
	} else if m.Schema > latest {
		return fmt.Errorf("nothing restored: the archive's schema %d is newer than this tongban's (%d): restore with tongban %s or later", m.Schema, latest, m.Version)
	}

	// Write: the database first into a temporary file renamed into place.
	tmpDB := ""
	if path != "" {
		if err := os.MkdirAll(filepath.Dir(path), vault.DirMode); err != nil {
			return err
		}
		tmpDB = filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".restore")
	}
	var pgDumpFile string
	if m.Database == backup.PGDumpName {
		tmp, err := os.MkdirTemp("", "tongban-restore-*")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		pgDumpFile = filepath.Join(tmp, "tongban.pgdump")
	}
	err = backup.Extract(archive, m, func(name string) (string, string, bool) {
		switch {
		case name == backup.SQLiteName && tmpDB != "":
			return filepath.Dir(tmpDB), filepath.Base(tmpDB), true
		case name == backup.PGDumpName && pgDumpFile != "":
			return filepath.Dir(pgDumpFile), filepath.Base(pgDumpFile), true
		case name == backup.DataKeyName:
			return filepath.Dir(keyFile), filepath.Base(keyFile), true
		case strings.HasPrefix(name, backup.FilesPrefix):
			return filesDir, strings.TrimPrefix(name, backup.FilesPrefix), true
		case strings.HasPrefix(name, backup.AuditPrefix):
			return auditDir, strings.TrimPrefix(name, backup.AuditPrefix), true
		case strings.HasPrefix(name, backup.LicencePrefix):
			return licenceDir, strings.TrimPrefix(name, backup.LicencePrefix), true
		}
		return "", "", false
	})
	if err != nil {
		if tmpDB != "" {
			os.Remove(tmpDB)
		}
		return fmt.Errorf("恢复中断 the restore stopped part-way (the database was not put in place; fix the cause and restore again with --force): %w", err)
	}
	if tmpDB != "" {
		for _, p := range []string{path + "-wal", path + "-shm", path + "-journal"} {
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
		if err := os.Rename(tmpDB, path); err != nil {
			return err
		}
	}
	if pgDumpFile != "" {
		if err := pgRestore(ctx, lf.backup.pgDump, cfg.DB, pgDumpFile, lf.backup.force); err != nil {
			return fmt.Errorf("恢复中断 the restore stopped part-way (the file store and keys are in place, the database unchanged; fix the cause and restore again with --force): %w", err)
		}
	}
	fmt.Fprintf(e.Stdout, "已恢复 restored: the file store into %s", filesDir)
	if m.Keys {
		fmt.Fprintf(e.Stdout, ", the data key into %s, the keys into %s and %s", keyFile, auditDir, licenceDir)
	}
	fmt.Fprintln(e.Stdout)
	if m.Database == "" {
		conn, schema, _, _ := pgArgs(cfg.DB)
		fmt.Fprintf(e.Stdout, "the archive holds no database: restore its dump with\n  pg_restore --no-owner --exit-on-error %s--dbname='%s' tongban.pgdump\nthen run `tongban audit verify`\n", schemaFlag(schema), conn)
		return nil
	}
	return verifyRestored(ctx, e, cfg, pgd)
}

// verifyRestored opens the restored database, says whether it needs
// `tongban migrate`, and verifies the audit log.
func verifyRestored(ctx context.Context, e *Env, cfg *config.Config, d *db.DB) error {
	if d == nil {
		var err error
		if d, err = db.Open(ctx, cfg.DB); err != nil {
			return err
		}
		defer d.Close()
	}
	schema, err := schemaVersion(ctx, d)
	if err != nil {
		return err
	}
	latest, err := db.LatestVersion(d.Dialect)
	if err != nil {
		return err
	}
	if schema < latest {
		fmt.Fprintf(e.Stdout, "the database is at schema %d, this tongban's is %d: run `tongban migrate` before `tongban serve`\n", schema, latest)
	}
	dir := cfg.Or(cfg.AuditKeys, "audit-keys")
	keys, err := audit.LoadKeys(dir, cfg.AuditOrigin, false)
	if err != nil {
		fmt.Fprintf(e.Stdout, "FAIL the audit log cannot be verified: no signing keys in %s (restore them, then run `tongban audit verify`)\n", dir)
		return errSilent
	}
	verifiers, err := keys.Verifiers()
	if err != nil {
		return err
	}
	rep, err := audit.Verify(ctx, d, verifiers)
	var bad *audit.BadRecord
	switch {
	case errors.As(err, &bad):
		fmt.Fprintf(e.Stdout, "FAIL 审计日志验证失败 the restored audit log: record %d does not verify: %s\n", bad.Index, bad.Reason)
		return errSilent
	case err != nil:
		fmt.Fprintf(e.Stdout, "FAIL the restored audit log: %v\n", err)
		return errSilent
	}
	fmt.Fprintf(e.Stdout, "审计日志验证通过 ok: the audit log verifies: %d records, %d checkpoints\n", rep.Records, rep.Checkpoints)
	return nil
}

// pgRestore loads a custom-format dump into the database of dsn.
func pgRestore(ctx context.Context, tool, dsn, file string, clean bool) error {
	tool, err := pgTool(tool, "pg_restore")
	if err != nil {
		return fmt.Errorf("pg_restore not found: install postgresql-client or give --pg-restore PATH (the file store and keys are restored)")
	}
	conn, _, password, err := pgArgs(dsn)
	if err != nil {
		return err
	}
	args := []string{"--no-owner", "--exit-on-error", "--single-transaction"}
	if clean {
		args = append(args, "--clean", "--if-exists")
	}
	args = append(args, "--dbname="+conn, file)
	var stderr bytes.Buffer
	cmd := pgCommand(ctx, tool, password, args...)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %v: %s", tool, err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// emptyDir: dir is missing or holds nothing.
func emptyDir(dir string) bool {
	f, err := os.Open(dir)
	if err != nil {
		return errors.Is(err, fs.ErrNotExist)
	}
	defer f.Close()
	_, err = f.Readdirnames(1)
	return err == io.EOF
}

// sameKey: the archive's data key is cur (restoring onto a machine that
// already holds the same key is no conflict).
func sameKey(m *backup.Manifest, cur []byte) bool {
	sum := sha256.Sum256(cur)
	for _, f := range m.Files {
		if f.Path == backup.DataKeyName {
			return f.SHA256 == hex.EncodeToString(sum[:])
		}
	}
	return false
}
