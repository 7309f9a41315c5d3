package cases

import (
	"database/sql"
	"errors"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/db"
)

// CountersignSequential is 依次会签: the departments in the order given,
// one at a time (R3.3).
const CountersignSequential = "sequential"

// Countersign results.
const (
	CountersignAgreed    = "agreed"
	CountersignDisagreed = "disagreed"
)

// inTurn restricts open tasks (alias t) to those whose turn it is: in a
// sequential countersign, the first department that has not answered.
const inTurn = ` AND (NOT x.ordered OR NOT EXISTS (SELECT 1 FROM case_countersign_tasks t2
	WHERE t2.countersign_id = t.countersign_id AND t2.opinion = '' AND t2.seq < t.seq))`

// countersignResult is how a countersign of mode ends after an opinion,
// with pending departments still to answer: "" while it stays open. A
// sequential countersign is stored as "all".
func countersignResult(mode, opinion string, pending int) string {
	switch {
	case mode == "any" && opinion == "agree":
		return CountersignAgreed
	case mode == "any" && pending == 0:
		return CountersignDisagreed // nobody agreed
	case mode == "any":
		return ""
	case opinion == "disagree":
		return CountersignDisagreed // unanimity is lost
	case pending == 0:
		return CountersignAgreed
	}
	return ""
}

// grantable refuses a grant over a disagreed countersign (the last one
// decides: a new countersign after coordination may agree).
func grantable(tx *db.Tx, c *Case) error {
	if c.history != nil && c.history.signs == 0 {
		return nil // never asked to countersign
	}
	var result string
	err := tx.QueryRow(`SELECT result FROM case_countersigns WHERE case_id = $1 AND done_at IS NOT NULL
		ORDER BY started_at DESC, id DESC LIMIT 1`, c.ID).Scan(&result)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	if result == CountersignDisagreed {
		return apperr.E(apperr.Conflict, "case.countersign_disagreed")
	}
	return nil
}
