package db

import (
	"context"
	"database/sql"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/tongban/tongban/internal/apperr"
)

// Tx is a transaction with the time fixed when it started: everything
// written in one transaction agrees on "now".
type Tx struct {
	*sql.Tx
	Now     time.Time
	Dialect Dialect
	ctx     context.Context
	cache   *stmtCache // SQLite: statements prepared once per connection
	// Counter shard (shard.go): PostgreSQL write transactions only.
	shards *shardSet
	slot   int
	held   bool
}

// Update runs fn in a read-write transaction and commits it. When the
// database reports a serialization failure, a deadlock or a busy lock, the
// whole transaction is retried with a fresh "now": fn must not keep state
// from an earlier attempt.
//
// A database that cannot be reached answers apperr.Unavailable (Unreachable).
func (d *DB) Update(ctx context.Context, fn func(tx *Tx) error) error {
	if d.group != nil {
		// SQLite: committed together with whatever else waits (group.go).
		// A batch that failed as a whole is retried alone.
		if err := d.submit(ctx, fn); !errors.Is(err, errGroupFailed) {
			return classify(err)
		}
	}
	return classify(d.run(ctx, d.writer, false, fn))
}

// View runs fn in a read-only transaction on the reader pool; like Update,
// an unreachable database answers apperr.Unavailable.
func (d *DB) View(ctx context.Context, fn func(tx *Tx) error) error {
	return classify(d.run(ctx, d.reader, true, fn))
}

func (d *DB) run(ctx context.Context, pool *sql.DB, readOnly bool, fn func(tx *Tx) error) error {
	var err error
	if d.writeStmts != nil {
		defer func() {
			// Now that this transaction holds no connection, prepare the
			// statements it met for the first time.
			if pool == d.writer {
				d.writeStmts.prepare(ctx)
			} else {
				d.readStmts.prepare(ctx)
			}
		}()
	}
	for attempt := 1; ; attempt++ {
		err = d.once(ctx, pool, readOnly, fn)
		if err == nil || !Retryable(err) || attempt >= d.MaxAttempts {
			break
		}
		// Full jitter keeps colliding writers from retrying in lock-step.
		backoff := time.Duration(rand.Int64N(int64(time.Millisecond) << min(attempt, 7)))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
	}
	return err
}

func (d *DB) once(ctx context.Context, pool *sql.DB, readOnly bool, fn func(tx *Tx) error) (err error) {
	opts := &sql.TxOptions{ReadOnly: readOnly && d.Dialect == Postgres}
	stx, err := pool.BeginTx(ctx, opts)
	if err != nil {
		return err
	}
	tx := &Tx{Tx: stx, Now: d.Now(), Dialect: d.Dialect, ctx: ctx, slot: -1}
	if d.Dialect == Postgres && !readOnly {
		tx.shards = d.shards
		defer tx.releaseShard() // runs after the commit or rollback below
	}
	if d.Dialect == SQLite {
		tx.cache = d.readStmts
		if pool == d.writer {
			tx.cache = d.writeStmts
		}
	}
	defer func() {
		if p := recover(); p != nil {
			_ = stx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = stx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	return stx.Commit()
}

// Retryable reports whether err means "try the transaction again":
// PostgreSQL 40001 (serialization_failure) and 40P01 (deadlock_detected), or
// SQLite BUSY/LOCKED.
func Retryable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "40001" || pe.Code == "40P01"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return true
		}
	}
	return false
}

// IsUniqueViolation reports whether err is a unique-constraint violation:
// PostgreSQL 23505 or SQLite CONSTRAINT_UNIQUE / CONSTRAINT_PRIMARYKEY.
func IsUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// NotFound turns sql.ErrNoRows into a NotFound error with the given key.
func NotFound(err error, key string, kv ...any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return apperr.E(apperr.NotFound, key, kv...)
	}
	return err
}
