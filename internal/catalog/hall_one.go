package catalog

import (
	"context"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/db"
)

// Hall is one hall by id (public facts: name, address, hours, active);
// an unknown hall is NotFound (queue.hall_unknown, the message the hall's pages share).
func (c *Catalog) Hall(ctx context.Context, id string) (Hall, error) {
	var h Hall
	err := c.db.View(ctx, func(tx *db.Tx) error {
		var err error
		h, err = scanHall(tx.QueryRow(hallSelect+` WHERE h.id = $1`, id))
		return db.NotFound(err, "queue.hall_unknown", "id", id)
	})
	return h, apperr.Internalf("catalog: hall", err)
}
