package cases_test

import (
	"testing"

	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/db"
)

// Every event of a case has its audit record, whose payload hash is the
// canonical encoding of the event row (docs/AUDIT.md): the row keeps the
// payload, the log commits to it.
func TestEventsAreAudited(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		c := f.submitSoleTrader()
		c = f.act("clerk", c, cases.ActionRequest{Action: "accept"})
		err := f.db.View(f.ctx, func(tx *db.Tx) error {
			rows, err := tx.Query(`SELECT e.id, e.seq, e.from_state, e.to_state, e.reason, e.data, a.payload_sha256, a.action, a.actor_id
				FROM case_events e JOIN audit_pending a ON a.id = e.audit_id WHERE e.case_id = $1 ORDER BY e.seq`, c.ID)
			if err != nil {
				return err
			}
			defer rows.Close()
			n := 0
			for rows.Next() {
				var id, from, to, reason, data, hash, action, actor string
				var seq int
				if err := rows.Scan(&id, &seq, &from, &to, &reason, &data, &hash, &action, &actor); err != nil {
					return err
				}
				if want := audit.PayloadHash(cases.EventPayload(c.ID, seq, id, from, to, reason, data)); hash != want {
					t.Errorf("event %d (%s): payload hash %s, the row gives %s", seq, action, hash, want)
				}
				n++
			}
			// submit (filed and submitted at once: one event), accept
			if n != 2 {
				t.Errorf("%d audited events", n)
			}
			return rows.Err()
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
