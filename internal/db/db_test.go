package db_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
)

func TestMigrateTwiceIsHarmless(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if err := d.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		st, err := d.MigrationStatus(ctx)
		if err != nil || len(st) == 0 {
			t.Fatalf("status: %v, %d", err, len(st))
		}
		for _, s := range st {
			if s.State != "applied" {
				t.Errorf("migration %d is %s", s.Source.Version, s.State)
			}
		}
	})
}

func TestTxFixesNowAndRollsBack(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		fixed := time.Date(2026, 2, 14, 9, 30, 0, 123456000, time.UTC)
		d.SetClock(func() time.Time { return fixed })
		err := d.Update(ctx, func(tx *db.Tx) error {
			if !tx.Now.Equal(fixed) {
				t.Errorf("tx.Now = %v", tx.Now)
			}
			_, err := tx.Exec(`INSERT INTO settings (key, value) VALUES ($1, $2)`, "a", "1")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		// A failing transaction leaves nothing half-written.
		boom := errors.New("boom")
		err = d.Update(ctx, func(tx *db.Tx) error {
			if _, err := tx.Exec(`INSERT INTO settings (key, value) VALUES ($1, $2)`, "b", "2"); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v", err)
		}
		var n int
		d.View(ctx, func(tx *db.Tx) error {
			return tx.QueryRow(`SELECT count(*) FROM settings`).Scan(&n)
		})
		if n != 1 {
			t.Errorf("%d settings rows, want 1", n)
		}
	})
}

func TestTimesRoundTripAndSQLiteDateFunctions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		at := time.Date(2026, 10, 9, 23, 59, 58, 500000000, time.UTC)
		err := d.Update(ctx, func(tx *db.Tx) error {
			_, err := tx.Exec(`INSERT INTO regions (code, name, level) VALUES ('500102', '涪陵区', 3)`)
			if err != nil {
				return err
			}
			_, err = tx.Exec(`INSERT INTO departments (id, name, credit_code, region_code, created_at) VALUES ($1, $2, $3, $4, $5)`,
				db.NewID(), "区政务服务管理办公室", "11500102MB0000013H", "500102", at)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		var got time.Time
		var day string
		q := `SELECT created_at, date(created_at) FROM departments`
		if d.Dialect == db.Postgres {
			q = `SELECT created_at, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') FROM departments`
		}
		if err := d.Reader().QueryRow(q).Scan(&got, &day); err != nil {
			t.Fatal(err)
		}
		if !got.Equal(at) || day != "2026-10-09" {
			t.Errorf("got %v / %s", got, day)
		}
	})
}

func TestUniqueViolationIsRecognised(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		ins := func() error {
			return d.Update(ctx, func(tx *db.Tx) error {
				_, err := tx.Exec(`INSERT INTO settings (key, value) VALUES ('k', 'v')`)
				return err
			})
		}
		if err := ins(); err != nil {
			t.Fatal(err)
		}
		if err := ins(); !db.IsUniqueViolation(err) {
			t.Fatalf("second insert: %v", err)
		}
	})
}

// Concurrent read-modify-write transactions must not lose updates: on SQLite
// the single writer serialises them; on PostgreSQL SELECT … FOR UPDATE and the
// retry loop do.
func TestConcurrentWritersLoseNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		d.Update(ctx, func(tx *db.Tx) error {
			_, err := tx.Exec(`INSERT INTO settings (key, value) VALUES ('counter', '0')`)
			return err
		})
		const workers, each = 8, 25
		var wg sync.WaitGroup
		errs := make(chan error, workers*each)
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < each; i++ {
					errs <- d.Update(ctx, func(tx *db.Tx) error {
						q := `SELECT value FROM settings WHERE key = 'counter'`
						if tx.Dialect == db.Postgres {
							q += ` FOR UPDATE`
						}
						var v int
						if err := tx.QueryRow(q).Scan(&v); err != nil {
							return err
						}
						_, err := tx.Exec(`UPDATE settings SET value = $1 WHERE key = 'counter'`, strconv.Itoa(v+1))
						return err
					})
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		var v int
		d.Reader().QueryRow(`SELECT value FROM settings WHERE key = 'counter'`).Scan(&v)
		if v != workers*each {
			t.Errorf("counter = %d, want %d", v, workers*each)
		}
	})
}

func TestOpenRejectsUnknownDSN(t *testing.T) {
	_, err := db.Open(context.Background(), "mysql://x")
	if !apperr.Is(err, apperr.Invalid, "db.dsn") {
		t.Fatalf("err = %v", err)
	}
}

func TestReaderIsReadOnlyOnSQLite(t *testing.T) {
	d := dbtest.SQLite(t)
	_, err := d.Reader().Exec(`INSERT INTO settings (key, value) VALUES ('x', 'y')`)
	if err == nil {
		t.Fatal("reader pool accepted a write")
	}
}

// The SQLite durability is chosen in the address: NORMAL by default, FULL
// with ?sync=full; anything else is refused before the file is touched.
func TestSQLiteSync(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		suffix string
		want   int // PRAGMA synchronous: 1 NORMAL, 2 FULL
	}{{"", 1}, {"?sync=normal", 1}, {"?sync=full", 2}} {
		d, err := db.Open(ctx, "sqlite:"+t.TempDir()+"/t.db"+tt.suffix)
		if err != nil {
			t.Fatal(err)
		}
		var got int
		if err := d.Writer().QueryRow(`PRAGMA synchronous`).Scan(&got); err != nil || got != tt.want {
			t.Errorf("%q: synchronous %d (%v), want %d", tt.suffix, got, err, tt.want)
		}
		d.Close()
	}
	for _, bad := range []string{"?sync=off", "?cache=big", "?sync=full&journal=delete"} {
		if _, err := db.Open(ctx, "sqlite:"+t.TempDir()+"/t.db"+bad); !apperr.Is(err, apperr.Invalid, "db.sqlite_option") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// Snapshot copies a SQLite database as of one commit into an owner-only
// file that opens as the same database; on PostgreSQL it refuses, naming
// pg_dump. LatestVersion is the same on both dialects.
func TestSnapshot(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		dest := filepath.Join(t.TempDir(), "copy.db")
		err := d.Snapshot(t.Context(), dest)
		if d.Dialect == db.Postgres {
			if err == nil || !strings.Contains(err.Error(), "pg_dump") {
				t.Fatalf("snapshot on PostgreSQL: %v", err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if st, err := os.Stat(dest); err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("the copy: %v %v", st, err)
		}
		if err := d.Snapshot(t.Context(), dest); err == nil {
			t.Error("a snapshot over an existing file")
		}
		c, err := db.Open(t.Context(), "sqlite:"+dest)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		var a, b int
		d.View(t.Context(), func(tx *db.Tx) error { return tx.QueryRow(`SELECT COUNT(*) FROM users`).Scan(&a) })
		c.View(t.Context(), func(tx *db.Tx) error { return tx.QueryRow(`SELECT COUNT(*) FROM users`).Scan(&b) })
		if a == 0 || a != b {
			t.Errorf("users: %d in the database, %d in the copy", a, b)
		}
	})
	s, err1 := db.LatestVersion(db.SQLite)
	p, err2 := db.LatestVersion(db.Postgres)
	if err1 != nil || err2 != nil || s == 0 || s != p {
		t.Errorf("LatestVersion: sqlite %d %v, postgres %d %v", s, err1, p, err2)
	}
	if _, err := db.LatestVersion("oracle"); err == nil {
		t.Error("LatestVersion of an unknown dialect")
	}
}
