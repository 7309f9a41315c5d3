package db

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache keeps statements prepared once on a pool. SQLite's driver
// parses and plans a statement on every call, which costs more than running
// most of our queries; database/sql re-uses a pool statement on whichever
// connection a transaction holds (preparing it there once). PostgreSQL's
// driver caches prepared statements per connection itself.
//
// A query first seen inside a transaction runs unprepared and is prepared
// after the transaction ends: preparing on the pool needs a connection, and
// the SQLite writer pool's only connection is the transaction's.
type stmtCache struct {
	pool    *sql.DB
	mu      sync.RWMutex
	m       map[string]*sql.Stmt
	pending map[string]bool
}

func newStmtCache(pool *sql.DB) *stmtCache {
	return &stmtCache{pool: pool, m: map[string]*sql.Stmt{}, pending: map[string]bool{}}
}

// maxCachedStatements bounds the cache: queries built at run time (list
// filters) vary, and past the bound run unprepared.
const maxCachedStatements = 512

func (c *stmtCache) get(query string) *sql.Stmt {
	c.mu.RLock()
	st, ok := c.m[query]
	c.mu.RUnlock()
	if ok {
		return st
	}
	c.mu.Lock()
	if len(c.m)+len(c.pending) < maxCachedStatements {
		c.pending[query] = true
	}
	c.mu.Unlock()
	return nil
}

// prepare prepares the queries seen since the last call. The caller holds
// no connection of the pool.
func (c *stmtCache) prepare(ctx context.Context) {
	c.mu.Lock()
	if len(c.pending) == 0 {
		c.mu.Unlock()
		return
	}
	todo := c.pending
	c.pending = map[string]bool{}
	c.mu.Unlock()
	for q := range todo {
		st, err := c.pool.PrepareContext(ctx, q)
		if err != nil {
			continue // the query itself reports its error when it runs
		}
		c.mu.Lock()
		if c.m == nil || c.m[q] != nil {
			st.Close()
		} else {
			c.m[q] = st
		}
		c.mu.Unlock()
	}
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		st.Close()
	}
	c.m = nil
}

// Exec, Query and QueryRow run through a cached prepared statement when the
// transaction has a cache (SQLite), else directly.
func (tx *Tx) Exec(query string, args ...any) (sql.Result, error) {
	if st := tx.stmt(query); st != nil {
		return st.Exec(args...)
	}
	return tx.Tx.Exec(query, args...)
}

func (tx *Tx) Query(query string, args ...any) (*sql.Rows, error) {
	if st := tx.stmt(query); st != nil {
		return st.Query(args...)
	}
	return tx.Tx.Query(query, args...)
}

func (tx *Tx) QueryRow(query string, args ...any) *sql.Row {
	if st := tx.stmt(query); st != nil {
		return st.QueryRow(args...)
	}
	return tx.Tx.QueryRow(query, args...)
}

// stmt returns the cached statement bound to this transaction's connection.
func (tx *Tx) stmt(query string) *sql.Stmt {
	if tx.cache == nil {
		return nil
	}
	st := tx.cache.get(query)
	if st == nil {
		return nil
	}
	return tx.Tx.StmtContext(tx.ctx, st)
}

// Strings runs a query of one text column and returns its values, the rows
// closed before it returns (so the caller may write while it iterates).
func (tx *Tx) Strings(query string, args ...any) ([]string, error) {
	rows, err := tx.Query(query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
