package stats_test

import (
	"context"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/demo"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/stats"
	"github.com/tongban/tongban/internal/vault"
)

// No hot row (issue 20): while one transaction has counted on an item's
// day and not yet committed, another counts on the same figure (and the
// same member of staff) without waiting for it; the figures read, before
// and after the month is compacted, are the exact sums.
func TestConcurrentCountersDoNotWait(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		v, _ := vault.New(vault.NewKey())
		if err := demo.Seed(ctx, d, identity.NewService(d, v)); err != nil {
			t.Fatal(err)
		}
		var dept, clerk string
		d.Reader().QueryRow(`SELECT id FROM departments WHERE name LIKE '%税务局%' AND region_code = '500102'`).Scan(&dept)
		d.Reader().QueryRow(`SELECT id FROM users WHERE username = 'clerk'`).Scan(&clerk)
		if dept == "" || clerk == "" {
			t.Fatal("demo data not found")
		}
		d.SetClock(func() time.Time { return day("2026-10-08 10:00") })
		k := stats.Key{Day: day("2026-10-08 10:00"), Department: dept, ItemCode: "A", Region: "500102"}
		count := func(tx *db.Tx, submitted int) error {
			if err := stats.Add(tx, k, stats.Delta{Submitted: submitted, Accepted: 1}); err != nil {
				return err
			}
			return stats.AddStaff(tx, clerk, dept, "500102", submitted%2 == 1)
		}
		if d.Dialect == db.Postgres {
			// The first writer counts and holds its transaction open …
			counted, release, firstDone := make(chan struct{}), make(chan struct{}), make(chan error, 1)
			go func() {
				firstDone <- d.Update(ctx, func(tx *db.Tx) error {
					if err := count(tx, 1); err != nil {
						return err
					}
					close(counted)
					<-release
					return nil
				})
			}()
			<-counted
			// … while the second counts on the same figures and commits.
			err := d.Update(ctx, func(tx *db.Tx) error {
				if _, err := tx.Exec(`SET LOCAL lock_timeout = '3s'`); err != nil {
					return err
				}
				return count(tx, 2)
			})
			close(release)
			if err != nil {
				t.Fatalf("the second writer waited for the first: %v", err)
			}
			if err := <-firstDone; err != nil {
				t.Fatal(err)
			}
		} else {
			for _, n := range []int{1, 2} {
				if err := d.Update(ctx, func(tx *db.Tx) error { return count(tx, n) }); err != nil {
					t.Fatal(err)
				}
			}
		}
		// A third, alone, and all read as one figure.
		if err := d.Update(ctx, func(tx *db.Tx) error { return count(tx, 4) }); err != nil {
			t.Fatal(err)
		}
		oct := stats.Query{From: calendar.Date{Year: 2026, Month: 10, Day: 1}, To: calendar.Date{Year: 2026, Month: 10, Day: 31}, Items: true, Staff: true}
		check := func(when string) {
			t.Helper()
			s, err := stats.Summarize(ctx, d, oct)
			if err != nil {
				t.Fatal(err)
			}
			if s.Totals.Submitted != 7 || s.Totals.Accepted != 3 || len(s.Items) != 1 || s.Items[0].Submitted != 7 {
				t.Fatalf("%s: totals %+v items %+v", when, s.Totals, s.Items)
			}
			if len(s.Staff) != 1 || s.Staff[0].Acted != 3 || s.Staff[0].OnTime != 1 {
				t.Fatalf("%s: staff %+v", when, s.Staff)
			}
		}
		check("daily rows")
		var rows int
		d.Reader().QueryRow(`SELECT COUNT(*) FROM stats_daily WHERE impl_code = 'A'`).Scan(&rows)
		if want := map[db.Dialect]int{db.SQLite: 1, db.Postgres: 2}[d.Dialect]; rows != want {
			t.Errorf("%d rows for one figure, want %d (one per writer at once)", rows, want)
		}
		if n, err := stats.Compact(ctx, d, day("2026-11-20 10:00")); err != nil || n != 1 {
			t.Fatalf("compact: %d %v", n, err)
		}
		s, err := stats.Summarize(ctx, d, stats.Query{From: calendar.Date{Year: 2026, Month: 9, Day: 1}, To: calendar.Date{Year: 2026, Month: 11, Day: 30}, Items: true})
		if err != nil {
			t.Fatal(err)
		}
		if s.Totals.Submitted != 7 || s.Totals.Accepted != 3 || len(s.Items) != 1 || s.Items[0].Submitted != 7 {
			t.Fatalf("compacted: totals %+v items %+v", s.Totals, s.Items)
		}
	})
}
