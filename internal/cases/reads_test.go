package cases_test

import (
	"testing"
	"time"

	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
)

// Issue 20: with a buffer, a staff read answers before its record is
// written; the record is written with the batch (here: on Flush), once, as
// the read's — the staff member, the case, the read's time; an applicant's
// reads of their own case are still not staff reads.
func TestStaffReadsBuffered(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		f.svc.Reads = &audit.Buffer{DB: d, Delay: time.Hour}
		c := f.submitSoleTrader()
		views := func() (n int, at time.Time) {
			t.Helper()
			if err := d.View(f.ctx, func(tx *db.Tx) error {
				rows, err := tx.Query(`SELECT at FROM audit_pending WHERE object_type = 'case' AND object_id = $1 AND actor_id = $2
					AND role = 'staff' AND action = 'case.read.view'`, c.ID, f.users["clerk"].ID)
				if err != nil {
					return err
				}
				defer rows.Close()
				for rows.Next() {
					n++
					if err := rows.Scan(&at); err != nil {
						return err
					}
				}
				return rows.Err()
			}); err != nil {
				t.Fatal(err)
			}
			return n, at.UTC()
		}
		readAt := f.Now()
		for range 2 {
			if _, err := f.svc.Get(f.ctx, f.users["clerk"], c.No); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := f.svc.Page(f.ctx, f.users["zhangsan"], c.No); err != nil {
			t.Fatal(err)
		}
		if n, _ := views(); n != 0 || f.svc.Reads.Pending() != 2 {
			t.Fatalf("before the flush: %d written, %d waiting; want 0 and 2 (the applicant's own read is none)", n, f.svc.Reads.Pending())
		}
		f.setNow("2026-02-12 11:00") // written later, the record keeps the read's time
		if err := f.svc.Reads.Flush(f.ctx); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.Reads.Flush(f.ctx); err != nil {
			t.Fatal(err)
		}
		n, at := views()
		if n != 2 || !at.Equal(readAt.UTC().Truncate(time.Microsecond)) {
			t.Fatalf("after the flush: %d reads at %v; want 2 at %v", n, at, readAt)
		}
		var own int
		d.View(f.ctx, func(tx *db.Tx) error {
			return tx.QueryRow(`SELECT COUNT(*) FROM audit_pending WHERE actor_id = $1 AND action LIKE 'case.read.%'`, f.users["zhangsan"].ID).Scan(&own)
		})
		if own != 0 {
			t.Error("the applicant's views of their own case were recorded as staff reads")
		}
	})
}
