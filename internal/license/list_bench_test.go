package license_test

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/license"
)

// BenchmarkIssuedPages is the issuing staff's list (证照管理) over a large
// licences table (TONGBAN_BENCH_ROWS, default 100,000 copies of one granted
// licence, a minute apart, all of the district's market regulator): an
// approver's (their department) and a supervisor's (their region) first
// page and a deep one (the 100th) of 50; beside the anchor, a raw read of
// 50 licences by primary key order. Setup is outside the timer;
// TONGBAN_BENCH_DB=postgres runs it on PostgreSQL.
func BenchmarkIssuedPages(b *testing.B) {
	n := 100000
	if v := os.Getenv("TONGBAN_BENCH_ROWS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatal(err)
		}
	}
	var d *db.DB
	if os.Getenv("TONGBAN_BENCH_DB") == "postgres" {
		d = dbtest.Postgres(b)
	} else {
		d = dbtest.SQLite(b)
	}
	f := setup(b, d, license.AlgEd25519)
	_, l := f.licensed()
	start := time.Now()
	t0 := l.IssuedAt.Add(-time.Duration(n) * time.Minute)
	const batch = 5000
	for done := 0; done < n; done += batch {
		err := d.Update(f.ctx, func(tx *db.Tx) error {
			if _, err := tx.Exec(`CREATE TEMP TABLE lcopy AS SELECT * FROM licences WHERE id = $1`, l.ID); err != nil {
				return err
			}
			for i := done; i < min(done+batch, n); i++ {
				if _, err := tx.Exec(`UPDATE lcopy SET id = $1, identifier = $2, case_id = NULL, issued_at = $3, payload = $4`,
					db.NewID(), fmt.Sprint("bench-", i), t0.Add(time.Duration(i)*time.Minute).UTC(), string(l.Payload)); err != nil {
					return err
				}
				if _, err := tx.Exec(`INSERT INTO licences SELECT * FROM lcopy`); err != nil {
					return err
				}
			}
			_, err := tx.Exec(`DROP TABLE lcopy`)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	if d.Dialect == db.Postgres { // as autovacuum would have
		if _, err := d.Reader().Exec(`ANALYZE licences`); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("%d licences written in %s", n, time.Since(start).Round(time.Second))
	for _, who := range []string{"approver", "supervisor"} {
		u := f.users[who]
		deep := ""
		for range 99 {
			_, next, err := f.lib.Issued(f.ctx, u, license.IssuedFilter{Limit: 50, After: deep})
			if err != nil {
				b.Fatal(err)
			}
			if next == "" {
				break
			}
			deep = next
		}
		for _, c := range []struct{ name, after string }{{"first", ""}, {"deep", deep}} {
			b.Run(who+"_"+c.name, func(b *testing.B) {
				lat := make([]time.Duration, 0, b.N)
				b.ResetTimer()
				for range b.N {
					t := time.Now()
					if _, _, err := f.lib.Issued(f.ctx, u, license.IssuedFilter{Limit: 50, After: c.after}); err != nil {
						b.Fatal(err)
					}
					lat = append(lat, time.Since(t))
				}
				b.StopTimer()
				slices.Sort(lat)
				b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
				b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			})
		}
	}
	b.Run("anchor_raw_50", func(b *testing.B) {
		lat := make([]time.Duration, 0, b.N)
		b.ResetTimer()
		for range b.N {
			t := time.Now()
			err := d.View(f.ctx, func(tx *db.Tx) error {
				rows, err := tx.Query(`SELECT id, payload, issued_at FROM licences ORDER BY id LIMIT 50`)
				if err != nil {
					return err
				}
				defer rows.Close()
				for rows.Next() {
					var id, p string
					var at time.Time
					if err := rows.Scan(&id, &p, &at); err != nil {
						return err
					}
				}
				return rows.Err()
			})
			if err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t))
		}
		b.StopTimer()
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	})
	// The plans at this size: a department's page after a place, and a
	// region's.
	prefix := "EXPLAIN QUERY PLAN "
	if d.Dialect == db.Postgres {
		prefix = "EXPLAIN "
	}
	for _, q := range []string{
		`SELECT l.id FROM licences l JOIN departments dp ON dp.id = l.department_id LEFT JOIN cases c ON c.id = l.case_id
			WHERE l.department_id = $1 AND l.issued_at <= $2 AND (l.issued_at, l.id) < ($2, $3) ORDER BY l.issued_at DESC, l.id DESC LIMIT 51`,
		`SELECT l.id FROM licences l JOIN departments dp ON dp.id = l.department_id LEFT JOIN cases c ON c.id = l.case_id
			WHERE COALESCE(c.region_code, dp.region_code) LIKE $1 AND l.issued_at <= $2 AND (l.issued_at, l.id) < ($2, $3) AND $4 = $4
			ORDER BY l.issued_at DESC, l.id DESC LIMIT 51`,
	} {
		args := []any{l.DepartmentID, l.IssuedAt.UTC(), "x"}
		if strings.Contains(q, "LIKE") {
			args = []any{"500102%", l.IssuedAt.UTC(), "x", 1}
		}
		rows, err := d.Reader().Query(prefix+q, args...)
		if err != nil {
			b.Fatal(err)
		}
		cols, _ := rows.Columns()
		var plan []string
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				b.Fatal(err)
			}
			plan = append(plan, fmt.Sprint(vals[len(vals)-1]))
		}
		rows.Close()
		b.Logf("plan of %s:\n  %s", strings.Join(strings.Fields(q), " "), strings.Join(plan, "\n  "))
	}
}
