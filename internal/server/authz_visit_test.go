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
	fx.r["ticket_done"] = servedTicketIn(t, fx.ts.db, fx.ref("hall_d"), fx.ref("svc_d"), fx.users["clerk"].ID, "")
}

// servedTicketIn writes a ticket of hall's service served to its end just
// now by staff, ending with an item, taken with person's account ("" for
// none); the queue's own tests cover how tickets get there.
func servedTicketIn(t *testing.T, d *db.DB, hall, svc, staff, person string) string {
	t.Helper()
	id := db.NewID()
	err := d.Update(t.Context(), func(tx *db.Tx) error {
		var impl string
		var seq int
		if err := tx.QueryRow(`SELECT impl_code FROM items ORDER BY impl_code LIMIT 1`).Scan(&impl); err != nil {
			return err
		}
		if err := tx.QueryRow(`SELECT COUNT(*) + 100 FROM queue_tickets`).Scan(&seq); err != nil {
			return err
		}
		var pid any
		if person != "" {
			pid = person
		}
		_, err := tx.Exec(`INSERT INTO queue_tickets (id, hall_id, service_id, day, prefix, seq, number, priority, rank, source, person_id, state,
			taken_at, queued_at, staff_id, finished_at, outcome, impl_code, changed_at)
			VALUES ($1, $2, $3, '2026-02-14', 'A', $4, $5, 'normal', 0, 'kiosk', $6, 'done', $7, $7, $8, $7, 'case', $9, $7)`,
			id, hall, svc, seq, fmt.Sprintf("A%03d", seq), pid, tx.Now, staff, impl)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}
