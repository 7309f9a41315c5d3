package license

import (
	"database/sql"
	"errors"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/db"
)

// serialBlock is how many serials one block of a type's, issuer's and
// year's serials holds: block b numbers b·serialBlock+1 … (b+1)·serialBlock.
const serialBlock = 100_000

// nextSerial takes the next serial of licences of a type from an issuer in
// a year, unique on SQLite and PostgreSQL alike.
//
// Serials come from blocks, a row each (migration 00053), as case numbers
// do: on PostgreSQL a grant updates the first block of the year no other
// transaction holds at that moment (FOR UPDATE SKIP LOCKED) and, when every
// block is held, opens the next one — taking the block's advisory lock
// without waiting, so two grants opening blocks at once do not queue
// either. Concurrent grants of one licence type by one department (every
// 营业执照 a bureau issues) no longer wait for each other's commits on one
// row (issue 20); unhurried, serials run 1, 2 … as before. There is no cap:
// past 9,999,999 the serial has eight digits, as before. SQLite has a
// single writer: one block, counting on.
func nextSerial(tx *db.Tx, typeCode, issuer string, year int) (int, error) {
	var n int
	if tx.Dialect != db.Postgres {
		err := tx.QueryRow(`INSERT INTO licence_serials (type_code, issuer_code, year, block, last) VALUES ($1, $2, $3, 0, 1)
			ON CONFLICT (type_code, issuer_code, year, block) DO UPDATE SET last = licence_serials.last + 1 RETURNING last`,
			typeCode, issuer, year).Scan(&n)
		return n, err
	}
	skip := 0 // blocks passed over because another grant is opening them
	for range 8 {
		var block, last int
		err := tx.QueryRow(`UPDATE licence_serials SET last = last + 1
			WHERE type_code = $1 AND issuer_code = $2 AND year = $3 AND block = (SELECT block FROM licence_serials
				WHERE type_code = $1 AND issuer_code = $2 AND year = $3 AND last < $4 ORDER BY block LIMIT 1 FOR UPDATE SKIP LOCKED)
			RETURNING block, last`, typeCode, issuer, year, serialBlock).Scan(&block, &last)
		if err == nil {
			return block*serialBlock + last, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return 0, err
		}
		err = tx.QueryRow(`INSERT INTO licence_serials (type_code, issuer_code, year, block, last)
			SELECT $1, $2, $3, m.b, 1 FROM (SELECT COALESCE(MAX(block) + 1, 0) + $4 AS b FROM licence_serials
				WHERE type_code = $1 AND issuer_code = $2 AND year = $3) m
			WHERE pg_try_advisory_xact_lock(hashtext('licence_serials ' || $1 || ' ' || $2 || ' ' || $3::text), m.b)
			ON CONFLICT (type_code, issuer_code, year, block) DO NOTHING RETURNING block`, typeCode, issuer, year, skip).Scan(&block)
		if err == nil {
			return block*serialBlock + 1, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return 0, err
		}
		skip++
	}
	// Still contended after several tries: wait for the first block with room.
	var block, last int
	err := tx.QueryRow(`UPDATE licence_serials SET last = last + 1
		WHERE type_code = $1 AND issuer_code = $2 AND year = $3 AND block = (SELECT block FROM licence_serials
			WHERE type_code = $1 AND issuer_code = $2 AND year = $3 AND last < $4 ORDER BY block LIMIT 1 FOR UPDATE)
		AND last < $4 RETURNING block, last`, typeCode, issuer, year, serialBlock).Scan(&block, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, apperr.E(apperr.Unavailable, "licence.serial_busy")
	}
	return block*serialBlock + last, err
}
