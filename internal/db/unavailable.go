package db

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/tongban/tongban/internal/apperr"
)

// Unreachable reports whether err means the database cannot be reached —
// the server is down, the network to it is cut, the pool is closed — rather
// than that the request or the data is wrong. Such a failure answers 503
// with Retry-After (apperr.Unavailable), not 500: it is nobody's bug and
// passes by itself. A busy or locked SQLite database is not unreachable:
// that is contention, which Update retries (Retryable).
func Unreachable(err error) bool {
	if err == nil || Retryable(err) {
		return false
	}
	if errors.Is(err, errClosed) || errors.Is(err, sql.ErrConnDone) || errors.Is(err, driver.ErrBadConn) {
		return true
	}
	// database/sql's own "closed" error is unexported.
	if strings.Contains(err.Error(), "sql: database is closed") {
		return true
	}
	// pgx: a failed connect (refused, DNS, TLS, authentication timeouts, a
	// context deadline while connecting) is a *pgconn.ConnectError.
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// Class 08 connection exception; 57P01–57P03 the server shutting
		// down, restarting or not yet accepting; 53300 too many connections.
		return strings.HasPrefix(pe.Code, "08") || pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03" || pe.Code == "53300"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		// The file cannot be opened or read (a lost volume, a removed file).
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_NOTADB:
			return true
		}
		return false
	}
	// A connection lost mid-query: the network says so, not the database.
	// (A request's own deadline or cancellation is not the database's.)
	var oe *net.OpError
	return errors.As(err, &oe)
}

// classify turns an unreachable database into apperr.Unavailable, keeping
// the cause for the log; other errors pass unchanged, classified ones too.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var ae *apperr.Error
	if errors.As(err, &ae) && ae.Code != apperr.Internal {
		return err
	}
	if Unreachable(err) {
		return &apperr.Error{Code: apperr.Unavailable, Key: "error.unavailable", Op: "db", Err: err}
	}
	return err
}
