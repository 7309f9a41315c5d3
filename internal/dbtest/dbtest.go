// Package dbtest gives tests a migrated database on every dialect: SQLite
// always, PostgreSQL when TONGBAN_TEST_PG holds a DSN. With
// TONGBAN_REQUIRE_PG=1 (CI) a missing PostgreSQL fails the test instead of
// skipping it. Each PostgreSQL test gets its own schema, dropped afterwards.
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/db"
)

// Each runs fn as a subtest per available dialect.
func Each(t *testing.T, fn func(t *testing.T, d *db.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// SQLite opens a migrated database in a temporary file.
func SQLite(t testing.TB) *db.DB {
	t.Helper()
	return open(t, "sqlite:"+filepath.Join(t.TempDir(), "tongban.db"))
}

// SQLiteSynced is SQLite with every commit synced to disk (?sync=full), for
// benchmarks of the durable setting.
func SQLiteSynced(t testing.TB) *db.DB {
	t.Helper()
	return open(t, "sqlite:"+filepath.Join(t.TempDir(), "tongban.db")+"?sync=full")
}

// PostgresDSN returns the test server's DSN, skipping (or failing, when
// required) if there is none.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("TONGBAN_TEST_PG")
	if dsn == "" {
		if os.Getenv("TONGBAN_REQUIRE_PG") == "1" {
			t.Fatal("TONGBAN_REQUIRE_PG=1 but TONGBAN_TEST_PG is empty")
		}
		t.Skip("TONGBAN_TEST_PG not set")
	}
	return dsn
}

// Postgres opens a migrated database in a fresh schema of the test server.
func Postgres(t testing.TB) *db.DB {
	t.Helper()
	return open(t, PostgresSchema(t))
}

// PostgresSchema makes a fresh, empty schema on the test server (dropped
// after the test) and returns a DSN whose connections use it.
func PostgresSchema(t testing.TB) string {
	t.Helper()
	dsn := PostgresDSN(t)
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("pgx", dsn)
		if err != nil {
			return
		}
		defer a.Close()
		a.Exec("DROP SCHEMA " + schema + " CASCADE")
	})
	return WithSearchPath(dsn, schema)
}

// WithSearchPath sets the schema a DSN's connections use.
func WithSearchPath(dsn, schema string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		sep := " "
		if strings.Contains(dsn, "://") {
			sep = "&"
		}
		return dsn + sep + "search_path=" + schema
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func open(t testing.TB, dsn string) *db.DB {
	t.Helper()
	ctx := context.Background()
	d, err := db.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("open %s: %v", dsn, err)
	}
	t.Cleanup(func() { d.Close() })
	if err := d.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return d
}

// EachPair runs fn per dialect with two handles on one database, as two
// processes (replicas) would hold: separate pools, one schema.
func EachPair(t *testing.T, fn func(t *testing.T, a, b *db.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		dsn := "sqlite:" + filepath.Join(t.TempDir(), "tongban.db")
		a := open(t, dsn)
		fn(t, a, open(t, dsn))
	})
	t.Run("postgres", func(t *testing.T) {
		a := Postgres(t)
		fn(t, a, open(t, a.DSN()))
	})
}
