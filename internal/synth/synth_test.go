package synth_test

import (
	"context"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/blob"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/demo"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/stats"
	"github.com/tongban/tongban/internal/synth"
	"github.com/tongban/tongban/internal/vault"
)

// Synthetic cases are consistent with what the engine writes: valid unique
// numbers and serials the engine continues from, events numbered by the
// revision, figures that add up to the cases.
func TestSynth(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)
		d.SetClock(func() time.Time { return now })
		v, _ := vault.New(vault.NewKey())
		ids := identity.NewService(d, v)
		if err := demo.Seed(ctx, d, ids); err != nil {
			t.Fatal(err)
		}
		cat := catalog.New(d)
		cals := calendar.National()
		cs, err := cases.New(d, cat, ids, cals, blob.Dir{Root: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		deps := synth.Deps{DB: d, Catalog: cat, Identity: ids, Calendars: cals, Cases: cs}
		rep, err := synth.Run(ctx, deps, synth.Options{Cases: 600, Months: 3, Now: now, Seed: 3, Applicants: 5})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Cases != 600 || rep.ByState["delivered"] == 0 || rep.ByState["refused"] == 0 || rep.ByState["correction"]+rep.ByState["pre_review"] == 0 {
			t.Fatalf("a poor mix: %v", rep.ByState)
		}
		var n, distinct, badSeq int
		err = d.View(ctx, func(tx *db.Tx) error {
			rows, err := tx.Query(`SELECT case_no FROM cases`)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var no string
				rows.Scan(&no)
				if err := codes.CheckCaseNo(no); err != nil {
					t.Errorf("case number %s: %v", no, err)
				}
				n++
			}
			tx.QueryRow(`SELECT COUNT(DISTINCT case_no) FROM cases`).Scan(&distinct)
			return tx.QueryRow(`SELECT COUNT(*) FROM cases c WHERE c.rev <> (SELECT MAX(seq) FROM case_events e WHERE e.case_id = c.id)`).Scan(&badSeq)
		})
		if err != nil || n != 600 || distinct != 600 || badSeq != 0 {
			t.Fatalf("cases %d, distinct numbers %d, revisions not matching events %d: %v", n, distinct, badSeq, err)
		}
		sum, err := stats.Summarize(ctx, d, stats.Query{From: calendar.Date{Year: 2026, Month: 8, Day: 1}, To: calendar.DateIn(now)})
		if err != nil || sum.Totals.Submitted != 600 || sum.Totals.Concluded == 0 || sum.Totals.OnTime > sum.Totals.Concluded {
			t.Fatalf("figures %+v: %v", sum.Totals, err)
		}
		// The engine's next number follows the synthetic ones, and a second run
		// reuses the applicants.
		if _, err := synth.Run(ctx, deps, synth.Options{Cases: 100, Months: 3, Now: now, Seed: 3, Applicants: 5}); err != nil {
			t.Fatal(err)
		}
		var users int
		d.Reader().QueryRow(`SELECT COUNT(*) FROM users WHERE username LIKE 'synth-%'`).Scan(&users)
		if users != 5 {
			t.Fatalf("%d synthetic applicants", users)
		}
	})
}
