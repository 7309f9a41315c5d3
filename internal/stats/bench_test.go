package stats_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
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

// BenchmarkDashboard answers the supervision dashboard's question (the
// figures of a period in a district, by day, department, item and region)
// over the daily rollups of TONGBAN_BENCH_CASES cases (default 1,000,000;
// the target is 10,000,000 in under 200 ms) filed over two years
// across 200 items and the district's towns. The rollups are written
// directly: the dashboard reads only them, never cases.
func BenchmarkDashboard(b *testing.B) {
	n := 1_000_000
	if v := os.Getenv("TONGBAN_BENCH_CASES"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatal(err)
		}
	}
	ctx := context.Background()
	d := dbtest.SQLite(b)
	v, _ := vault.New(vault.NewKey())
	if err := demo.Seed(ctx, d, identity.NewService(d, v)); err != nil {
		b.Fatal(err)
	}
	var depts, towns []string
	rows, _ := d.Reader().Query(`SELECT id FROM departments WHERE region_code = '500102'`)
	for rows.Next() {
		var id string
		rows.Scan(&id)
		depts = append(depts, id)
	}
	rows.Close()
	rows, _ = d.Reader().Query(`SELECT code FROM regions WHERE code LIKE '500102%' AND length(code) = 12 AND code LIKE '%000'`)
	for rows.Next() {
		var c string
		rows.Scan(&c)
		towns = append(towns, c)
	}
	rows.Close()
	towns = append(towns, "500102")
	r := rand.New(rand.NewPCG(1, 2))
	type combo struct{ dept, item, region string }
	var combos []combo
	for i := range 200 {
		dept := depts[i%len(depts)]
		for _, t := range towns {
			combos = append(combos, combo{dept, fmt.Sprintf("ITEM%04d", i), t})
		}
	}
	end := calendar.Date{Year: 2026, Month: 11, Day: 20}
	days := 730
	perDay := n / days
	start := time.Now()
	written := 0
	for i := range days {
		day := end.AddDays(-i).Start(calendar.China)
		left := perDay
		if err := d.Update(ctx, func(tx *db.Tx) error {
			for left > 0 {
				c := combos[r.IntN(len(combos))]
				k := min(left, 1+r.IntN(20))
				left -= k
				online := r.IntN(k + 1)
				dl := stats.Delta{Submitted: k, Online: online, Accepted: k, Concluded: k, Granted: k, OnTime: k - r.IntN(2), Workdays: 3 * k}
				if err := stats.Add(tx, stats.Key{Day: day, Department: c.dept, ItemCode: c.item, Region: c.region}, dl); err != nil {
					return err
				}
				written++
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	var total int
	d.Reader().QueryRow(`SELECT COUNT(*) FROM stats_daily`).Scan(&total)
	b.Logf("rollups of %d cases: %d upserts, %d rows, written in %s", n, written, total, time.Since(start).Round(time.Second))
	start = time.Now()
	months, err := stats.Compact(ctx, d, end.AddDays(1).Start(calendar.China))
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%d closed months summed in %s", months, time.Since(start).Round(time.Millisecond))
	for _, p := range []struct {
		name string
		days int
	}{{"month", 30}, {"quarter", 91}, {"year", 365}} {
		b.Run(p.name, func(b *testing.B) {
			q := stats.Query{From: end.AddDays(-p.days + 1), To: end, Region: "500102"} // as the dashboard page asks
			for b.Loop() {
				s, err := stats.Summarize(ctx, d, q)
				if err != nil {
					b.Fatal(err)
				}
				if s.Totals.Submitted == 0 {
					b.Fatal("no figures")
				}
			}
		})
	}
}
