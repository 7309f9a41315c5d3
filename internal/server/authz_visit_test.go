package server

import (
	"fmt"
	"testing"

	"github.com/tongban/tongban/internal/db"
)

// servedTicket makes a ticket of the district hall served to its end
// (anonymous, by the district clerk, ending with an item) as
// "ticket_done": a visit is rated once, so each principal rates its own.
func servedTicket(t *testing.T, fx *authzFixture) {
	t.Helper()
	id := db.NewID()
	err := fx.ts.db.Update(fx.ctx, func(tx *db.Tx) error {
		var impl string
		var seq int
		if err := tx.QueryRow(`SELECT impl_code FROM items ORDER BY impl_code LIMIT 1`).Scan(&impl); err != nil {
			return err
		}
		if err := tx.QueryRow(`SELECT COUNT(*) + 100 FROM queue_tickets`).Scan(&seq); err != nil {
			return err
		}
		_, err := tx.Exec(`INSERT INTO queue_tickets (id, hall_id, service_id, day, prefix, seq, number, priority, rank, source, state,
			taken_at, queued_at, staff_id, finished_at, outcome, impl_code, changed_at)
			VALUES ($1, $2, $3, '2026-02-14', 'A', $4, $5, 'normal', 0, 'kiosk', 'done', $6, $6, $7, $6, 'case', $8, $6)`,
			id, fx.ref("hall_d"), fx.ref("svc_d"), seq, fmt.Sprintf("A%03d", seq), tx.Now, fx.users["clerk"].ID, impl)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	fx.r["ticket_done"] = id
}
