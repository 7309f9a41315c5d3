package identity

import (
	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/db"
)

// RaiseAssuranceTx sets a person's level of assurance to L2 (verified face
// to face at a window) in the caller's transaction, which records who
// verified them. Reports whether the level changed (false: L2 already).
// Invalid auth.assurance_person for an account that is not a person's.
func (s *Service) RaiseAssuranceTx(tx *db.Tx, userID string) (bool, error) {
	var kind string
	var level int
	if err := tx.QueryRow(`SELECT kind, assurance FROM users WHERE id = $1`, userID).Scan(&kind, &level); err != nil {
		return false, db.NotFound(err, "auth.user_unknown", "username", userID)
	}
	if Kind(kind) != KindPerson {
		return false, apperr.E(apperr.Invalid, "auth.assurance_person")
	}
	if level >= AssuranceL2 {
		return false, nil
	}
	_, err := tx.Exec(`UPDATE users SET assurance = $1, updated_at = $2 WHERE id = $3`, AssuranceL2, tx.Now, userID)
	return err == nil, err
}

// AssuranceOfTx is a user's level of assurance (0 for an organisation or
// staff account).
func (s *Service) AssuranceOfTx(tx *db.Tx, userID string) (int, error) {
	var kind string
	var level int
	if err := tx.QueryRow(`SELECT kind, assurance FROM users WHERE id = $1`, userID).Scan(&kind, &level); err != nil {
		return 0, db.NotFound(err, "auth.user_unknown", "username", userID)
	}
	if Kind(kind) != KindPerson {
		return 0, nil
	}
	return level, nil
}
