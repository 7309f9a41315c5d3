package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// Group commit for SQLite. SQLite has one writer; each transaction's commit
// writes its pages to the WAL with a system call per page, and the writer is
// idle while a request prepares its work. So the writer's transactions run
// in one goroutine that takes every request waiting when it is free and runs
// them in one SQLite transaction, each inside its own savepoint: a request
// that fails rolls back to its savepoint and the others go on; all of them
// are committed at once, and each caller hears only after the commit. An
// idle server commits each request at once (nothing waits for a batch).
//
// Each request keeps its own "now" (Tx.Now) and its own context; a request
// whose context ends before its turn is not run. A panic in a request is
// caught, its savepoint rolled back, and re-raised in the caller.

// maxGroup bounds a batch: a long batch delays its first caller's answer.
const maxGroup = 32

type groupRequest struct {
	ctx      context.Context
	fn       func(tx *Tx) error
	err      error
	panicked any
	done     chan struct{}
}

// errGroupFailed marks a batch that failed as a whole (its BEGIN or COMMIT):
// the request is retried alone on the ordinary path.
var errGroupFailed = errors.New("db: group commit failed")

func (d *DB) startGroupCommit() {
	d.group = make(chan *groupRequest, 4*maxGroup)
	d.quit = make(chan struct{})
	d.loopDone = make(chan struct{})
	go d.groupLoop()
}

// stopGroupCommit refuses new requests, fails the queued ones and waits for
// a batch under way to finish (Close, before the pools close).
func (d *DB) stopGroupCommit() {
	d.groupMu.Lock()
	if d.closed {
		d.groupMu.Unlock()
		return
	}
	d.closed = true
	d.groupMu.Unlock()
	close(d.quit)
	<-d.loopDone
}

// errClosed answers a write after Close.
var errClosed = errors.New("db: closed")

// submit hands fn to the committer and waits for the outcome.
func (d *DB) submit(ctx context.Context, fn func(tx *Tx) error) error {
	r := &groupRequest{ctx: ctx, fn: fn, done: make(chan struct{})}
	d.groupMu.RLock()
	if d.closed {
		d.groupMu.RUnlock()
		return errClosed
	}
	select {
	case d.group <- r:
	case <-ctx.Done():
		d.groupMu.RUnlock()
		return ctx.Err()
	}
	d.groupMu.RUnlock()
	<-r.done
	if r.panicked != nil {
		panic(r.panicked)
	}
	return r.err
}

func (d *DB) groupLoop() {
	defer close(d.loopDone)
	for {
		var first *groupRequest
		select {
		case first = <-d.group:
		case <-d.quit:
			// No request can arrive any more (closed is set): fail those queued.
			for {
				select {
				case r := <-d.group:
					r.err = errClosed
					close(r.done)
				default:
					return
				}
			}
		}
		batch := []*groupRequest{first}
	more:
		for len(batch) < maxGroup {
			select {
			case r := <-d.group:
				batch = append(batch, r)
			default:
				break more
			}
		}
		d.commitGroup(batch)
		// Statements first met in this batch are prepared while no
		// transaction holds the writer's connection (once per statement).
		d.writeStmts.prepare(context.Background())
		for _, r := range batch {
			close(r.done)
		}
	}
}

// commitGroup runs a batch in one transaction, a savepoint per request.
func (d *DB) commitGroup(batch []*groupRequest) {
	ctx := context.Background()
	var stx *sql.Tx
	var err error
	for attempt := 1; ; attempt++ {
		if stx, err = d.writer.BeginTx(ctx, nil); err == nil || !Retryable(err) || attempt >= d.MaxAttempts {
			break
		}
		time.Sleep(time.Duration(rand.Int64N(int64(time.Millisecond) << min(attempt, 7))))
	}
	if err != nil {
		for _, r := range batch {
			r.err = fmt.Errorf("%w: %w", errGroupFailed, err)
		}
		return
	}
	// abandon rolls the whole batch back when the transaction itself fails:
	// the requests it had run are retried alone.
	abandon := func(err error) {
		_ = stx.Rollback()
		for _, o := range batch {
			if o.err == nil && o.panicked == nil {
				o.err = fmt.Errorf("%w: %w", errGroupFailed, err)
			}
		}
	}
	// One request alone needs no savepoint: its failure rolls back the
	// transaction. The savepoint statements are prepared once (Tx.Exec).
	alone := len(batch) == 1
	done := 0
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.err = err
			continue
		}
		own := &Tx{Tx: stx, Dialect: d.Dialect, ctx: ctx, cache: d.writeStmts}
		if !alone {
			if _, err := own.Exec("SAVEPOINT request"); err != nil {
				abandon(err)
				return
			}
		}
		tx := &Tx{Tx: stx, Now: d.Now(), Dialect: d.Dialect, ctx: r.ctx, cache: d.writeStmts}
		r.panicked, r.err = run1(tx, r.fn)
		failed := r.err != nil || r.panicked != nil
		switch {
		case failed && alone:
			_ = stx.Rollback()
			return
		case failed:
			if _, err := own.Exec("ROLLBACK TO request"); err != nil {
				abandon(err)
				return
			}
		default:
			done++
		}
		if !alone {
			if _, err := own.Exec("RELEASE request"); err != nil {
				abandon(err)
				return
			}
		}
	}
	if done == 0 {
		_ = stx.Rollback()
		return
	}
	if err := stx.Commit(); err != nil {
		abandon(err)
	}
}

// run1 runs one request's function, catching a panic.
func run1(tx *Tx, fn func(tx *Tx) error) (panicked any, err error) {
	defer func() {
		if p := recover(); p != nil {
			panicked = p
		}
	}()
	return nil, fn(tx)
}
