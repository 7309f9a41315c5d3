// Package db opens Tongban's database — an embedded SQLite file for a county
// on one machine, or PostgreSQL (and compatible distributed SQL) for a
// province — runs the embedded migrations, and runs transactions that fix
// "now" when they start and retry when the database asks them to.
//
// SQL is written once with $N placeholders, which both drivers accept;
// dialect differences live in the two migration folders.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	_ "modernc.org/sqlite"             // registers "sqlite"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/vault"
)

// Dialect names the database family.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is a handle on the database. On SQLite, writes go through exactly one
// connection (SQLite allows one writer; queueing in Go beats spinning on
// SQLITE_BUSY) and reads through a pool; on PostgreSQL both are one pool.
type DB struct {
	Dialect Dialect
	writer  *sql.DB
	reader  *sql.DB
	clock   func() time.Time
	// MaxAttempts bounds retries of a transaction that hit a serialization
	// failure or a busy database.
	MaxAttempts int
	// Prepared statements of each SQLite pool.
	writeStmts, readStmts *stmtCache
	// group receives SQLite write transactions for the group committer
	// (group.go); nil on PostgreSQL, which has concurrent writers.
	group    chan *groupRequest
	quit     chan struct{}
	loopDone chan struct{}
	groupMu  sync.RWMutex // guards closed against sends to group
	closed   bool
	dsn      string
	// shards hands out counter shards to PostgreSQL writers (shard.go).
	shards *shardSet
}

// Open connects to dsn: "sqlite:PATH" or a "postgres://" / "postgresql://" URL.
func Open(ctx context.Context, dsn string) (*DB, error) {
	var d *DB
	var err error
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		d, err = openSQLite(strings.TrimPrefix(dsn, "sqlite:"))
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		d, err = openPostgres(dsn)
	default:
		return nil, apperr.E(apperr.Invalid, "db.dsn", "dsn", redact(dsn))
	}
	if err != nil {
		return nil, err
	}
	if err := d.Ping(ctx); err != nil {
		d.Close()
		return nil, fmt.Errorf("db: unable to reach %s: %w", redact(dsn), err)
	}
	d.dsn = dsn
	return d, nil
}

// SQLite durability (sqlite:PATH?sync=…). "normal", the default, the usual
// setting for WAL: every commit survives a crash of the process, and the file
// stays consistent through a power cut, which may undo the last seconds of
// commits (the WAL pages the kernel had not written back yet). "full" syncs
// the WAL at every group commit, so nothing answered is lost to a power cut —
// one fsync per commit, about 45% of the throughput of one client and 80% of
// eight's on this machine (docs/PERFORMANCE.md). An installation without a
// UPS or battery-backed storage should choose it.
var sqliteSync = map[string]string{"normal": "NORMAL", "full": "FULL"}

func openSQLite(path string) (*DB, error) {
	path, rawOpts, _ := strings.Cut(path, "?")
	if path == "" {
		return nil, apperr.E(apperr.Invalid, "db.dsn", "dsn", "sqlite:")
	}
	opts, err := url.ParseQuery(rawOpts)
	if err != nil {
		return nil, apperr.E(apperr.Invalid, "db.sqlite_option", "option", rawOpts)
	}
	sync := "NORMAL"
	for k, vs := range opts {
		mode, ok := sqliteSync[vs[len(vs)-1]]
		if k != "sync" || !ok {
			return nil, apperr.E(apperr.Invalid, "db.sqlite_option", "option", k+"="+vs[len(vs)-1])
		}
		sync = mode
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, vault.DirMode); err != nil {
			return nil, fmt.Errorf("db: unable to create %s: %w", dir, err)
		}
	}
	if err := privateSQLite(path); err != nil {
		return nil, err
	}
	// cache_size: 32 MiB of pages per connection (the default is 2 MiB), so
	// that scans such as catalog search stay in memory.
	// _time_format=sqlite stores "YYYY-MM-DD HH:MM:SS.fffffffff+00:00", which
	// SQLite's date functions read; all times are written in UTC so that text
	// order is time order.
	common := "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(" + sync + ")&_pragma=cache_size(-32768)&_time_format=sqlite"
	u := "file:" + (&url.URL{Path: path}).EscapedPath()
	w, err := sql.Open("sqlite", u+"?"+common+"&_pragma=journal_mode(WAL)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("db: unable to open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	// Create the file and switch it to WAL before readers open it.
	if _, err := w.Exec(`PRAGMA journal_mode=WAL`); err != nil {
		w.Close()
		return nil, fmt.Errorf("db: unable to set WAL on %s: %w", path, err)
	}
	if err := privateSQLite(path); err != nil { // the WAL and SHM files exist now
		w.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite", u+"?"+common+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("db: unable to open %s for reading: %w", path, err)
	}
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(8)
	d := &DB{Dialect: SQLite, writer: w, reader: r, clock: time.Now, MaxAttempts: 8,
		writeStmts: newStmtCache(w), readStmts: newStmtCache(r)}
	d.startGroupCommit()
	return d, nil
}

// privateSQLite makes the database file (created empty when missing), its
// WAL and its shared-memory index readable by the service's account only
// (0600), whatever the umask and however they were made: they hold every
// personal record. SQLite creates the WAL and SHM files with the database
// file's mode; files made by older versions (0644) are tightened here.
func privateSQLite(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, vault.FileMode)
	if err != nil {
		return fmt.Errorf("db: unable to open %s: %w", path, err)
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		if err := vault.PrivateFile(p); err != nil {
			return fmt.Errorf("db: %w", err)
		}
	}
	return nil
}

func openPostgres(dsn string) (*DB, error) {
	p, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("db: unable to open %s: %w", redact(dsn), err)
	}
	p.SetMaxOpenConns(32)
	p.SetMaxIdleConns(16)
	p.SetConnMaxIdleTime(5 * time.Minute)
	return &DB{Dialect: Postgres, writer: p, reader: p, clock: time.Now, MaxAttempts: 8, shards: newShardSet()}, nil
}

// DSN is what the database was opened with (tests open a second handle).
func (d *DB) DSN() string { return d.dsn }

// SetClock replaces the clock transactions read "now" from (tests).
func (d *DB) SetClock(c func() time.Time) { d.clock = c }

// Now is the current time as the database layer sees it, in UTC.
func (d *DB) Now() time.Time { return d.clock().UTC() }

// Ping checks that both pools can reach the database.
func (d *DB) Ping(ctx context.Context) error {
	if err := d.writer.PingContext(ctx); err != nil {
		return err
	}
	if d.reader != d.writer {
		return d.reader.PingContext(ctx)
	}
	return nil
}

// Close closes the pools.
func (d *DB) Close() error {
	if d.group != nil {
		d.stopGroupCommit()
	}
	if d.writeStmts != nil {
		d.writeStmts.close()
		d.readStmts.close()
	}
	err := d.writer.Close()
	if d.reader != d.writer {
		err = errors.Join(err, d.reader.Close())
	}
	return err
}

// Writer and Reader expose the pools for migrations and tools.
func (d *DB) Writer() *sql.DB { return d.writer }
func (d *DB) Reader() *sql.DB { return d.reader }

// redact hides a password in a DSN before it reaches a log or a user.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// Compact rewrites a SQLite database and empties its WAL, so that nothing
// deleted or overwritten lingers in free pages or old WAL frames — after a
// one-time step that sealed rows stored in clear. On PostgreSQL it does
// nothing: old row versions stay until the operator runs VACUUM FULL on the
// tables concerned (docs/SECURITY.md), which locks them, so it is not done
// at start.
func (d *DB) Compact(ctx context.Context) error {
	if d.Dialect != SQLite {
		return nil
	}
	for _, q := range []string{`PRAGMA wal_checkpoint(TRUNCATE)`, `VACUUM`, `PRAGMA wal_checkpoint(TRUNCATE)`} {
		if _, err := d.writer.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("db: compact: %w", err)
		}
	}
	return nil
}

// Snapshot writes a consistent copy of a SQLite database to dest, which
// must not exist, with VACUUM INTO: one read transaction, so the server's
// writers carry on (WAL) and the copy is the database as of one commit, its
// free pages left out. The copy is made owner-only (0600). PostgreSQL's copy
// is pg_dump's job.
func (d *DB) Snapshot(ctx context.Context, dest string) error {
	if d.Dialect != SQLite {
		return errors.New("db: a snapshot is made of a SQLite database; on PostgreSQL use pg_dump")
	}
	if _, err := os.Lstat(dest); err == nil {
		return fmt.Errorf("db: snapshot: %s exists", dest)
	}
	path, _, _ := strings.Cut(strings.TrimPrefix(d.dsn, "sqlite:"), "?")
	// The reader pool is query_only, which VACUUM INTO refuses; the writer
	// is the group committer's. A connection of its own reads the file.
	c, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?_pragma=busy_timeout(10000)&_pragma=query_only(0)")
	if err != nil {
		return fmt.Errorf("db: snapshot: %w", err)
	}
	defer c.Close()
	c.SetMaxOpenConns(1)
	if _, err := c.ExecContext(ctx, `VACUUM INTO $1`, dest); err != nil {
		os.Remove(dest)
		return fmt.Errorf("db: snapshot of %s: %w", path, err)
	}
	if err := os.Chmod(dest, vault.FileMode); err != nil {
		return fmt.Errorf("db: snapshot: %w", err)
	}
	return nil
}
