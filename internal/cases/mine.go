package cases

import (
	"context"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
)

// Mine returns every case u filed for themselves or as an agent — drafts,
// sub-cases of bundles and all — with the form values unsealed and the
// materials' metadata (never their contents): the copy of one's own data
// that PIPL Art. 45 gives a right to. Nobody else's case is read, so no
// staff view is recorded.
func (s *Service) Mine(ctx context.Context, u *identity.User) ([]Case, error) {
	if u == nil {
		return nil, apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	var out []Case
	err := s.db.View(ctx, func(tx *db.Tx) error {
		rows, err := tx.Query(caseSelect+` WHERE c.applicant_id = $1 OR c.agent_id = $1 ORDER BY c.created_at, c.id`, u.ID)
		if err != nil {
			return err
		}
		for rows.Next() {
			c, err := scanCase(rows, s.vault())
			if err != nil {
				rows.Close()
				return err
			}
			out = append(out, *c)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return err
		}
		for i := range out {
			c := &out[i]
			c.Actions = []string{} // a copy, not a page: nothing to do from it
			if err := attachments(tx, c, false); err != nil {
				return err
			}
			if it, err := s.catalog.ItemAt(tx, c.ItemCode, c.ItemVersion); err == nil {
				for j := range c.Materials {
					if m, ok := it.Material(c.Materials[j].Key); ok {
						c.Materials[j].Name = m.Name
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, apperr.Internalf("cases: mine", err)
	}
	if out == nil {
		out = []Case{}
	}
	return out, nil
}
