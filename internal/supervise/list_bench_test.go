package supervise_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/supervise"
	"github.com/tongban/tongban/internal/synth"
	"github.com/tongban/tongban/internal/vault"
)

// benchDB is the benchmark's database: SQLite, or PostgreSQL when
// TONGBAN_BENCH_DB=postgres.
func benchDB(b *testing.B) *db.DB {
	if os.Getenv("TONGBAN_BENCH_DB") == "postgres" {
		return dbtest.Postgres(b)
	}
	return dbtest.SQLite(b)
}

// p99 runs fn b.N times (use a fixed count: -benchtime 2000x) and reports
// the 99th percentile of its latency.
func p99(b *testing.B, fn func() error) {
	b.Helper()
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		t := time.Now()
		if err := fn(); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
}

// explain logs a query's plan (EXPLAIN QUERY PLAN on SQLite, EXPLAIN on
// PostgreSQL).
func explain(b *testing.B, d *db.DB, q string, args ...any) {
	b.Helper()
	prefix := "EXPLAIN QUERY PLAN "
	if d.Dialect == db.Postgres {
		prefix = "EXPLAIN "
	}
	err := d.View(context.Background(), func(tx *db.Tx) error {
		rows, err := tx.Query(prefix+q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		var plan []string
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				return err
			}
			plan = append(plan, fmt.Sprint(vals[len(vals)-1]))
		}
		b.Logf("plan of %s:\n  %s", strings.Join(strings.Fields(q), " "), strings.Join(plan, "\n  "))
		return rows.Err()
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkSignalPages is the supervisor's signal list (电子监察) over a
// backlog of open cases (TONGBAN_BENCH_CASES, default 50,000; one in fifty
// near or past its deadline, as BenchmarkScannerPass): the first page and
// a deep one (the 100th, or the last) of 50, read by keyset, with the
// capped count, the first with the counts by department (as the API's
// first page and the web page); beside the anchor, the raw
// read of 50 signals with their cases by the same driver. Setup (synth and
// the first scanner pass) is outside the timer.
func BenchmarkSignalPages(b *testing.B) {
	n := benchSize(b, 50000)
	d := benchDB(b)
	f := setup(b, d)
	v, _ := vault.New(vault.NewKey())
	start := time.Now()
	if _, err := synth.Run(f.ctx, synth.Deps{DB: d, Catalog: f.cat, Identity: identity.NewService(d, v), Calendars: calendar.National(),
		Cases: f.cases}, synth.Options{Cases: n, Months: 1, Now: f.Now(), Seed: 7, OpenOnly: true, Applicants: 20}); err != nil {
		b.Fatal(err)
	}
	b.Logf("synth: %d open cases in %s", n, time.Since(start).Round(time.Second))
	first := f.pass()
	b.Logf("first pass: %d signals recorded", first.Changed)
	r := f.scanReader()
	sup := f.users["supervisor"]
	deep, pages := "", 0
	for pages < 99 {
		pg, err := r.Signals(f.ctx, sup, supervise.SignalFilter{PerPage: 50, After: deep})
		if err != nil {
			b.Fatal(err)
		}
		if pg.Next == "" {
			break
		}
		deep, pages = pg.Next, pages+1
	}
	b.Logf("deep page: %d", pages+1)
	// The plans of the page's queries at this size (the keyset of one level
	// after a place; a department's; the capped count).
	key := []any{"500102%", "red", time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC), "x", "decision"}
	explain(b, d, `SELECT s.case_id FROM case_signals s JOIN cases c ON c.id = s.case_id JOIN departments d ON d.id = s.department_id
		WHERE s.region_code LIKE $1 AND s.level = $2 AND s.due_at >= $3 AND (s.due_at, s.case_id, s.clock) > ($3, $4, $5)
		ORDER BY s.due_at, s.case_id, s.clock LIMIT 51`, key...)
	explain(b, d, `SELECT s.case_id FROM case_signals s JOIN cases c ON c.id = s.case_id JOIN departments d ON d.id = s.department_id
		WHERE s.region_code LIKE $1 AND s.department_id = $2 AND s.level = 'red' ORDER BY s.due_at, s.case_id, s.clock LIMIT 51`, "500102%", f.users["handler"].Grants[0].DepartmentID)
	explain(b, d, `SELECT COUNT(*) FROM (SELECT 1 FROM case_signals s WHERE s.region_code LIKE $1 LIMIT 1000) n`, "500102%")
	b.Run("first", func(b *testing.B) {
		p99(b, func() error {
			_, err := r.Signals(f.ctx, sup, supervise.SignalFilter{PerPage: 50, Counts: true})
			return err
		})
	})
	b.Run("deep", func(b *testing.B) {
		p99(b, func() error {
			_, err := r.Signals(f.ctx, sup, supervise.SignalFilter{PerPage: 50, After: deep})
			return err
		})
	})
	b.Run("red_of_a_department", func(b *testing.B) {
		dept := f.users["handler"].Grants[0].DepartmentID
		p99(b, func() error {
			_, err := r.Signals(f.ctx, sup, supervise.SignalFilter{PerPage: 50, Level: "red", Dept: dept})
			return err
		})
	})
	b.Run("anchor_raw_50", func(b *testing.B) {
		p99(b, func() error {
			return d.View(f.ctx, func(tx *db.Tx) error {
				rows, err := tx.Query(`SELECT s.case_id, s.clock, s.level, s.due_at, c.case_no FROM case_signals s JOIN cases c ON c.id = s.case_id LIMIT 50`)
				if err != nil {
					return err
				}
				defer rows.Close()
				for rows.Next() {
					var a, b, c, e string
					var t time.Time
					if err := rows.Scan(&a, &b, &c, &t, &e); err != nil {
						return err
					}
				}
				return rows.Err()
			})
		})
	})
}
