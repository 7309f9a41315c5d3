package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/config"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/server"
	"github.com/tongban/tongban/internal/site"
	"github.com/tongban/tongban/internal/vault"
)

// Free disk below which doctor reports a problem: the database, the
// materials and the audit log grow every day, and SQLite needs room to
// checkpoint its WAL.
const (
	minFreeBytes   = 1 << 30
	minFreePercent = 5
	// A synchronised clock's estimated error above which doctor complains,
	// and the difference from the database server's clock.
	maxClockError = time.Second
	maxDBSkew     = 2 * time.Second
	// The newest backup older than this is reported: the timer runs daily.
	maxBackupAge = 26 * time.Hour
)

// doctor collects what it found: a line per check, and whether any failed.
type doctor struct {
	w      io.Writer
	failed bool
}

func (dr *doctor) ok(what string, args ...any) {
	fmt.Fprintf(dr.w, "ok    %s\n", fmt.Sprintf(what, args...))
}

// fail reports a problem and what to do about it.
func (dr *doctor) fail(what, fix string) {
	dr.failed = true
	fmt.Fprintf(dr.w, "FAIL  %s\n      → %s\n", what, fix)
}

// runDoctor: `tongban doctor` checks an installation as its IT officer would
// before calling it healthy — the schema, an administrator, owner-only
// permissions of the data key, the database and the key directories, the
// working-day calendar's horizon, free disk, the clock's synchronisation,
// the newest backup's age (with --backup-dir), and that the audit log
// verifies — and prints what to fix. Exit 1 on any problem.
func runDoctor(ctx context.Context, e *Env, cfg *config.Config, lf *localFlags, args []string) error {
	if len(args) != 0 {
		fmt.Fprintln(e.Stderr, "usage: tongban doctor")
		return errUsage
	}
	dr := &doctor{w: e.Stdout}
	d, err := db.Open(ctx, cfg.DB)
	if err != nil {
		return err
	}
	defer d.Close()
	migrated := dr.schema(ctx, d)
	sync := e.ClockSync
	if sync == nil {
		sync = clockSync
	}
	dr.clock(ctx, d, sync)
	dr.dataKey(cfg)
	if path, ok := strings.CutPrefix(cfg.DB, "sqlite:"); ok {
		path, _, _ = strings.Cut(path, "?")
		for _, p := range []string{path, path + "-wal", path + "-shm"} {
			dr.private(p, false, "the database")
		}
		dr.private(filepath.Dir(path), true, "the database's directory")
		dr.freeDisk(filepath.Dir(path))
	}
	dr.private(cfg.Or(cfg.FilesDir, "tongban-files"), true, "the materials (--files)")
	dr.privateTree(cfg.Or(cfg.AuditKeys, "audit-keys"), "the audit log's keys (--audit-keys)")
	dr.privateTree(cfg.Or(cfg.LicenceKeys, "licence-keys"), "the licence keys (--licence-keys)")
	if cfg.BackupDir != "" {
		dr.backups(cfg.BackupDir, time.Now())
	}
	if migrated {
		dr.installation(ctx, d, cfg)
		dr.auditLog(ctx, d, cfg)
	}
	if dr.failed {
		return errSilent
	}
	fmt.Fprintln(e.Stdout, "no problem found")
	return nil
}

func (dr *doctor) schema(ctx context.Context, d *db.DB) bool {
	st, err := d.MigrationStatus(ctx)
	if err != nil {
		dr.fail("the database's schema cannot be read: "+err.Error(), "check --db and that the database is reachable")
		return false
	}
	for _, s := range st {
		if s.State != "applied" {
			dr.fail(fmt.Sprintf("migration %d is %s", s.Source.Version, s.State), "run `tongban migrate`")
			return false
		}
	}
	dr.ok("schema: %d migrations applied", len(st))
	return true
}

const clockFix = "install and enable a time service: apt-get install chrony (or timedatectl set-ntp true for systemd-timesyncd); `timedatectl` then says \"System clock synchronized: yes\""

// clock: the kernel's clock is kept synchronised (deadlines, one-time
// codes, sessions and the audit log's times depend on it), and the
// database server's clock agrees with this machine's (PostgreSQL fixes
// now() on its side).
func (dr *doctor) clock(ctx context.Context, d *db.DB, sync func() (bool, time.Duration, error)) {
	synced, maxErr, err := sync()
	switch {
	case err != nil:
		dr.fail("clock: "+err.Error(), "check the clock with `timedatectl`; "+clockFix)
	case !synced:
		dr.fail("clock: not synchronised — deadlines, one-time codes and the audit log's times rest on it", clockFix)
	case maxErr > maxClockError:
		dr.fail(fmt.Sprintf("clock: synchronised, but its estimated error is %s", maxErr), "check the time service's sources (chronyc sources, or timedatectl timesync-status)")
	default:
		dr.ok("clock: synchronised (estimated error at most %s)", maxErr)
	}
	if d.Dialect != db.Postgres {
		return
	}
	var dbNow time.Time
	before := time.Now()
	if err := d.Reader().QueryRowContext(ctx, `SELECT now()`).Scan(&dbNow); err != nil {
		dr.fail("clock: the database server's time cannot be read: "+err.Error(), "check --db")
		return
	}
	skew := dbNow.Sub(before.Add(time.Since(before) / 2)).Round(time.Millisecond)
	if skew < -maxDBSkew || skew > maxDBSkew {
		dr.fail(fmt.Sprintf("clock: the database server's clock differs from this machine's by %s", skew), "synchronise both machines' clocks: "+clockFix)
		return
	}
	dr.ok("clock: the database server's clock agrees within %s", maxDBSkew)
}

// backups: the newest archive in the backup directory is recent.
func (dr *doctor) backups(dir string, now time.Time) {
	if !dr.private(dir, true, "the backups (--backup-dir)") {
		return
	}
	names, _ := filepath.Glob(filepath.Join(dir, "tongban-*.tar.gz"))
	var newest string
	var at time.Time
	for _, n := range names {
		if st, err := os.Stat(n); err == nil && st.ModTime().After(at) {
			newest, at = n, st.ModTime()
		}
	}
	switch {
	case newest == "":
		dr.fail("backups: none in "+dir, "run `tongban backup`, and schedule it: deploy/systemd/tongban-backup.timer (README, 县级安装)")
	case now.Sub(at) > maxBackupAge:
		dr.fail(fmt.Sprintf("backups: the newest, %s, is %d hours old", newest, int(now.Sub(at).Hours())), "check the timer: systemctl status tongban-backup.timer; journalctl -u tongban-backup")
	default:
		dr.ok("backups: the newest is %s (%s old)", newest, now.Sub(at).Round(time.Minute))
	}
}

func (dr *doctor) dataKey(cfg *config.Config) {
	if cfg.DataKeyFile == "" {
		dr.fail("no data key given", "give --data-key-file (TONGBAN_DATA_KEY_FILE); create one with (umask 077; head -c 32 /dev/urandom | base64 > data.key)")
		return
	}
	if !dr.private(cfg.DataKeyFile, false, "the data key") {
		return
	}
	if _, err := vault.LoadKeyFile(cfg.DataKeyFile); err != nil {
		dr.fail("the data key cannot be used: "+err.Error(), "restore the key file from its backup")
	}
}

// private checks that path, when it exists, is for its owner alone (0600
// files, 0700 directories). Reports and answers false otherwise.
func (dr *doctor) private(path string, dir bool, what string) bool {
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		if what == "the data key" {
			dr.fail(what+" "+path+" does not exist", "restore it from its backup, or create it for a new installation")
			return false
		}
		return true
	}
	if err != nil {
		dr.fail(what+": "+err.Error(), "check "+path)
		return false
	}
	if st.Mode().Perm()&0o077 != 0 {
		mode := "600"
		if dir {
			mode = "700"
		}
		dr.fail(fmt.Sprintf("%s %s is %04o: others than its owner may read it", what, path, st.Mode().Perm()), "chmod "+mode+" "+path)
		return false
	}
	dr.ok("%s %s: %04o", what, path, st.Mode().Perm())
	return true
}

// privateTree checks a key directory and the files in it.
func (dr *doctor) privateTree(dir, what string) {
	if !dr.private(dir, true, what) {
		return
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return // absent: serve says what it does without them
	}
	for _, en := range entries {
		if en.Type().IsRegular() {
			p := filepath.Join(dir, en.Name())
			if st, err := os.Stat(p); err == nil && st.Mode().Perm()&0o077 != 0 {
				dr.fail(fmt.Sprintf("%s: %s is %04o", what, p, st.Mode().Perm()), "chmod 600 "+p)
			}
		}
	}
}

func (dr *doctor) freeDisk(dir string) {
	free, total, err := diskSpace(dir)
	if err != nil {
		dr.fail("free disk of "+dir+": "+err.Error(), "check "+dir)
		return
	}
	if free < minFreeBytes || (total > 0 && free*100/total < minFreePercent) {
		dr.fail(fmt.Sprintf("only %d MiB free on the database's file system (%s)", free>>20, dir), "free space or move the data directory to a larger disk")
		return
	}
	dr.ok("free disk: %d MiB on %s", free>>20, dir)
}

// installation: an administrator, and the calendar's horizon for the
// installation's region.
func (dr *doctor) installation(ctx context.Context, d *db.DB, cfg *config.Config) {
	info, err := site.Load(ctx, d)
	if err != nil {
		dr.fail("the installation's settings cannot be read: "+err.Error(), "check the database")
		return
	}
	region := cfg.Region
	if info.Region != "" {
		region = info.Region
	}
	// Counting needs no personal data: no vault.
	if admins, err := identity.NewService(d, nil).AdminCount(ctx); err != nil || admins == 0 {
		dr.fail("no enabled administrator", "run `tongban setup`")
	} else {
		dr.ok("administrators: %d", admins)
	}
	cals, err := server.LoadCalendars(cfg.CalendarPaths())
	if err != nil {
		dr.fail(err.Error(), "fix or remove the file given with --calendar")
		return
	}
	cals.WeekdayFallback = cfg.CalendarFallback == "weekdays"
	cal := cals.For(region)
	missing := calendar.Unannounced(cal, d.Now())
	switch {
	case len(missing) == 0:
		dr.ok("calendar: every year within the horizon has its holiday notice")
	case cal.Fallback():
		dr.ok("calendar: no holiday notice for %s; counted Monday to Friday less the statutory holidays (provisional) — load the notice with --calendar when published", calendar.YearList(missing))
	default:
		dr.fail("calendar: no holiday notice for "+calendar.YearList(missing)+": deadlines reaching it are refused",
			"load the year's calendar file with --calendar, or set --calendar-fallback weekdays")
	}
}

func (dr *doctor) auditLog(ctx context.Context, d *db.DB, cfg *config.Config) {
	dir := cfg.Or(cfg.AuditKeys, "audit-keys")
	keys, err := audit.LoadKeys(dir, cfg.AuditOrigin, false)
	if err != nil {
		dr.fail("audit log: no signing keys in "+dir, "run `tongban setup` on a new installation, or restore "+dir+" from its backup")
		return
	}
	verifiers, err := keys.Verifiers()
	if err != nil {
		dr.fail("audit log: "+err.Error(), "restore "+dir+" from its backup")
		return
	}
	rep, err := audit.Verify(ctx, d, verifiers)
	var bad *audit.BadRecord
	switch {
	case errors.As(err, &bad):
		dr.fail(fmt.Sprintf("audit log: record %d does not verify: %s", bad.Index, bad.Reason),
			"the log was changed outside the platform: restore the database from a backup whose log verifies, and report it (docs/AUDIT.md)")
	case err != nil:
		dr.fail("audit log: "+err.Error(), "see docs/AUDIT.md")
	default:
		dr.ok("audit log: %d records, %d checkpoints verified", rep.Records, rep.Checkpoints)
	}
}
