package cases_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/config"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/server"
)

// BenchmarkCaseListPage times case list pages (issue 20: every list costs
// the page, not the table) over a database made by `tongban synth` — named
// by TONGBAN_BENCH_DB (sqlite:PATH or a postgres:// URL; skipped without):
// the first page and a deep page (after 50 pages of 20, by token) of the
// clerk's default list (every case of the region, newest change first),
// the handler's inbox (待办) and the supervisor's 在办 by filing time. Each
// reports its p50 and p99 in ms beside the raw anchor measured in the same run:
// reading the same 20 rows by primary key (raw-p50-ms, raw-p99-ms). Opening the
// database and walking to the deep page happen outside the timer; use a
// fixed count (-benchtime 200x).
func BenchmarkCaseListPage(b *testing.B) {
	dsn := os.Getenv("TONGBAN_BENCH_DB")
	if dsn == "" {
		b.Skip("TONGBAN_BENCH_DB names a database filled by tongban synth")
	}
	ctx := context.Background()
	var cfg config.Config
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	if err := config.Register(fs, &cfg, func(string) string { return "" }); err != nil {
		b.Fatal(err)
	}
	cfg.DB = dsn
	app, err := server.Open(ctx, cfg, server.ModeDemo)
	if err != nil {
		b.Fatal(err)
	}
	defer app.Close()
	user := func(name string) *identity.User {
		u, err := app.Identity.UserByUsername(ctx, name)
		if err != nil {
			b.Fatal(err)
		}
		return u
	}
	var n int
	app.DB.Reader().QueryRow(`SELECT COUNT(*) FROM cases`).Scan(&n)
	for _, l := range []struct {
		name string
		who  string
		f    cases.Filter
	}{
		{"clerk-default", "clerk", cases.Filter{}},
		{"handler-inbox", "handler", cases.Filter{Tab: cases.TabTodo}},
		{"supervisor-doing-filed", "supervisor", cases.Filter{Tab: cases.TabDoing, Sort: "filed"}},
		{"supervisor-default", "supervisor", cases.Filter{}},
	} {
		for _, deep := range []int{0, 50} {
			page := "first"
			if deep > 0 {
				page = fmt.Sprintf("page%d", deep+1)
			}
			b.Run(fmt.Sprintf("cases=%d/%s/%s", n, l.name, page), func(b *testing.B) {
				// Walking to the page, outside the timer (b.Loop starts it).
				u := user(l.who)
				f := l.f
				f.PerPage = 20
				for range deep {
					p, err := app.Cases.ListPage(ctx, u, f)
					if err != nil {
						b.Fatal(err)
					}
					if p.Next == "" {
						break
					}
					f.After = p.Next
				}
				p, err := app.Cases.ListPage(ctx, u, f)
				if err != nil {
					b.Fatal(err)
				}
				var ids []any
				for _, c := range p.Cases {
					ids = append(ids, c.ID)
				}
				var ours, raw []time.Duration
				for b.Loop() {
					t0 := time.Now()
					if _, err := app.Cases.ListPage(ctx, u, f); err != nil {
						b.Fatal(err)
					}
					ours = append(ours, time.Since(t0))
					t0 = time.Now()
					if err := readByID(app, ids); err != nil {
						b.Fatal(err)
					}
					raw = append(raw, time.Since(t0))
				}
				b.ReportMetric(pct(ours, 50), "p50-ms")
				b.ReportMetric(pct(ours, 99), "p99-ms")
				b.ReportMetric(pct(raw, 50), "raw-p50-ms")
				b.ReportMetric(pct(raw, 99), "raw-p99-ms")
				b.ReportMetric(float64(len(p.Cases)), "rows")
			})
		}
	}
}

// readByID reads whole case rows by primary key in one query: the anchor
// of a page (the same rows, found without a list's filter and order).
func readByID(app *server.App, ids []any) error {
	var marks []string
	for i := range ids {
		marks = append(marks, fmt.Sprintf("$%d", i+1))
	}
	rows, err := app.DB.Reader().Query(`SELECT * FROM cases WHERE id IN (`+strings.Join(marks, ", ")+`)`, ids...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
	}
	return rows.Err()
}

// pct is the q-th percentile of ds in milliseconds.
func pct(ds []time.Duration, q int) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return float64(s[min(len(s)-1, len(s)*q/100)].Microseconds()) / 1000
}
