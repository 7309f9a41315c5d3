package cases

import (
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/db"
)

// Corrected reports whether the case was sent a correction notice: any
// later one is 再次补正 and may only repeat the first's entries.
func (c *Case) Corrected() bool {
	return slices.ContainsFunc(c.Notices, func(n Notice) bool { return n.Kind == "correction" })
}

// firstCorrection is the first correction notice of a case (its entries
// and when it was issued), nil when there was none.
func firstCorrection(tx *db.Tx, caseID string) ([]Correction, time.Time, error) {
	var body string
	var at time.Time
	err := tx.QueryRow(`SELECT body, issued_at FROM case_notices WHERE case_id = $1 AND kind = 'correction' ORDER BY issued_at, id LIMIT 1`, caseID).Scan(&body, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, at, nil
	}
	if err != nil {
		return nil, at, err
	}
	var n struct {
		Corrections []Correction `json:"corrections"`
	}
	if err := json.Unmarshal([]byte(body), &n); err != nil {
		return nil, at, err
	}
	return n.Corrections, at, nil
}

// repeatsOnly refuses a later notice naming what the first did not: the
// same material or field (a general entry repeats a general one).
func repeatsOnly(first, later []Correction) error {
	for _, x := range later {
		if !slices.ContainsFunc(first, func(f Correction) bool { return f.Material == x.Material && f.Field == x.Field }) {
			name := x.Name
			if name == "" {
				name = x.Problem
			}
			return apperr.E(apperr.Invalid, "case.correction_not_in_first", "name", name)
		}
	}
	return nil
}
