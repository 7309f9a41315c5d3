package cases

import (
	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/db"
)

// OpenCasesBlockClosing is the case engine's identity.CloseCheck: an
// account is not closed while a case it filed, for itself or as an agent,
// is open (submitted and not in a terminal state); a case must reach its
// end with someone to tell. Drafts do not block (nothing was filed).
func OpenCasesBlockClosing(tx *db.Tx, userID string) error {
	var n int
	if err := tx.QueryRow(`SELECT COUNT(*) FROM cases WHERE (applicant_id = $1 OR agent_id = $1)
		AND state NOT IN ('draft', 'concluded', 'delivered', 'refused', 'withdrawn', 'terminated')`, userID).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return apperr.E(apperr.Conflict, "account.close_open_cases", "count", n)
	}
	return nil
}
