package supervise_test

import (
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/synth"
	"github.com/tongban/tongban/internal/vault"
)

// benchSize is how many cases a benchmark makes: TONGBAN_BENCH_CASES, or n.
func benchSize(b *testing.B, n int) int {
	if v := os.Getenv("TONGBAN_BENCH_CASES"); v != "" {
		k, err := strconv.Atoi(v)
		if err != nil {
			b.Fatal(err)
		}
		return k
	}
	return n
}

// BenchmarkScannerPass is a scanner pass over a backlog of open cases
// (TONGBAN_BENCH_CASES, default 50,000; the target is 1,000,000 in
// under a second) when few signals change: one pass records the signals,
// then each measured pass runs a minute later, as the job does.
func BenchmarkScannerPass(b *testing.B) {
	n := benchSize(b, 50000)
	d := dbtest.SQLite(b)
	f := setup(b, d)
	v, _ := vault.New(vault.NewKey())
	start := time.Now()
	rep, err := synth.Run(f.ctx, synth.Deps{DB: d, Catalog: f.cat, Identity: identity.NewService(d, v), Calendars: calendar.National(),
		Cases: f.cases}, synth.Options{Cases: n, Months: 1, Now: f.Now(), Seed: 7, OpenOnly: true, Applicants: 20})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("synth: %d open cases in %s", rep.Cases, time.Since(start).Round(time.Second))
	first := f.pass()
	b.Logf("first pass: %d clocks read, %d signals recorded, %.0f ms", first.Clocks, first.Changed, first.TookMS)
	var last float64
	for b.Loop() {
		f.Advance(time.Minute)
		rep := f.pass()
		last = float64(rep.Clocks)
	}
	b.ReportMetric(last, "clocks/pass")
	b.ReportMetric(float64(n), "open_cases")
}
