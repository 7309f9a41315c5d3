package cases

import (
	"context"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/vault"
)

// SealStored seals what versions before sealing stored in clear: cases' form
// values and materials (PIPL Art. 51). It is part of the one-time step run
// at start (db.Once); every row and file is checked and changed on its own,
// so it is idempotent, readers see either form meanwhile, and a concurrent
// edit of a case simply wins (the update matches the old text only). It
// returns how many rows and files it sealed.
func (s *Service) SealStored(ctx context.Context, renew func() error) (rows, files int, err error) {
	v := s.vault()
	rows, err = s.db.RewriteColumn(ctx, renew, "cases", "form_values", func(id, text string) (string, bool) {
		if vault.IsSealedText(text) {
			return "", false
		}
		return v.SealText(text, valuesPurpose(id)), true
	})
	if err != nil {
		return rows, 0, err
	}
	last := ""
	for {
		var sums []string
		err := s.db.View(ctx, func(tx *db.Tx) error {
			var err error
			sums, err = tx.Strings(`SELECT DISTINCT sha256 FROM case_materials WHERE sha256 > $1 ORDER BY sha256 LIMIT 500`, last)
			return err
		})
		if err != nil || len(sums) == 0 {
			return rows, files, err
		}
		for _, sum := range sums {
			sealed, err := s.blobs.SealPlain(ctx, sum)
			if err != nil {
				return rows, files, err
			}
			if sealed {
				files++
			}
		}
		last = sums[len(sums)-1]
		if err := renew(); err != nil {
			return rows, files, err
		}
	}
}
