package db_test

import (
	"context"
	"database/sql"
	"errors"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
)

// A database that cannot be reached is Unavailable (503 with Retry-After),
// on both drivers; contention and faults of the request are not.
func TestUnreachable(t *testing.T) {
	ctx := context.Background()

	// pgx: nothing listens (connection refused).
	refused, _ := sql.Open("pgx", "postgres://postgres@127.0.0.1:1/postgres?sslmode=disable&connect_timeout=2")
	defer refused.Close()
	errRefused := refused.PingContext(ctx)

	// pgx: the server accepts and never answers; the deadline ends the connect.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	silent, _ := sql.Open("pgx", "postgres://postgres@"+ln.Addr().String()+"/postgres?sslmode=disable")
	defer silent.Close()
	dctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	errDeadline := silent.PingContext(dctx)
	cancel()

	// SQLite: one connection holds the write lock, another without a busy
	// timeout is told SQLITE_BUSY — contention, retried, not an outage.
	path := filepath.Join(t.TempDir(), "busy.db")
	a, _ := sql.Open("sqlite", path+"?_pragma=journal_mode(wal)")
	b, _ := sql.Open("sqlite", path+"?_pragma=busy_timeout(0)")
	defer a.Close()
	defer b.Close()
	if _, err := a.Exec(`CREATE TABLE t (x INTEGER)`); err != nil {
		t.Fatal(err)
	}
	ta, err := a.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer ta.Rollback()
	if _, err := ta.Exec(`INSERT INTO t VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	_, errBusy := b.Exec(`INSERT INTO t VALUES (2)`)

	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"pgx connection refused", errRefused, true},
		{"pgx deadline while connecting", errDeadline, true},
		{"sqlite busy", errBusy, false},
		{"no rows", sql.ErrNoRows, false},
		{"a request's own fault", apperr.E(apperr.NotFound, "case.not_found"), false},
		{"a request cancelled", context.Canceled, false},
		{"a bug", errors.New("boom"), false},
	} {
		if tc.want && tc.err == nil {
			t.Errorf("%s: no error to classify", tc.name)
			continue
		}
		if got := db.Unreachable(tc.err); got != tc.want {
			t.Errorf("%s: Unreachable(%v) = %v", tc.name, tc.err, got)
		}
	}
	if !db.Retryable(errBusy) {
		t.Errorf("busy is not retryable: %v", errBusy)
	}
}

// A closed pool answers every transaction with Unavailable.
func TestClosedPoolIsUnavailable(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		h, err := db.Open(ctx, d.DSN())
		if err != nil {
			t.Fatal(err)
		}
		h.Close()
		noop := func(tx *db.Tx) error { _, err := tx.Exec(`SELECT 1`); return err }
		if err := h.Update(ctx, noop); !apperr.Is(err, apperr.Unavailable, "error.unavailable") {
			t.Errorf("update: %v", err)
		}
		if err := h.View(ctx, noop); !apperr.Is(err, apperr.Unavailable, "error.unavailable") {
			t.Errorf("view: %v", err)
		}
	})
}
