package cases

import (
	"context"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/db"
)

// archiveBatch is how many cases one archiving transaction marks: the
// single SQLite writer is never held for long.
const archiveBatch = 2000

// finished is the statuses of a case nothing more is done with.
const finished = "c.status IN ('delivered', 'refused', 'withdrawn', 'terminated')"

// Archive takes out of staff's everyday lists (and their indexes, migration
// 00051) the cases finished — delivered, refused, withdrawn or terminated,
// with no 事后核查 pending — whose last change is older than ArchiveAfter.
// They are still found by number and with the archive filter, and any later
// change brings a case back (save clears the mark). Each marked case's
// revision advances, so that an action that read it before is retried
// rather than saving over the mark. Returns how many were archived.
func (s *Service) Archive(ctx context.Context) (int, error) {
	total := 0
	for {
		var n int64
		err := s.db.Update(ctx, func(tx *db.Tx) error {
			res, err := tx.Exec(`UPDATE cases SET archived = TRUE, rev = rev + 1 WHERE id IN (SELECT c.id FROM cases c
				WHERE c.archived = FALSE AND c.submitted_at IS NOT NULL AND c.updated_at < $1 AND `+finished+`
				AND c.verify_due_at IS NULL AND c.clock = '' LIMIT $2)`, tx.Now.Add(-ArchiveAfter), archiveBatch)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		})
		if err != nil {
			return total, apperr.Internalf("cases: archive", err)
		}
		total += int(n)
		if n < archiveBatch || ctx.Err() != nil {
			return total, nil
		}
	}
}
