package cases_test

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/config"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
)

// benchFixture is the demo database with the case service, on SQLite or
// (when TONGBAN_TEST_PG is set) PostgreSQL.
func benchFixture(b testing.TB, dbName string) *fixture {
	b.Helper()
	var d *db.DB
	switch dbName {
	case "postgres":
		d = dbtest.Postgres(b)
	case "sqlite-full":
		d = dbtest.SQLiteSynced(b)
	default:
		d = dbtest.SQLite(b)
	}
	f := setup(b, d)
	d.SetClock(time.Now) // real time: the benchmark measures real commits
	return f
}

// lifecycleSteps follow a window filing: accept, handler pass, reviewer
// pass, approver grant (办结), deliver.
var lifecycleSteps = []struct {
	who string
	req cases.ActionRequest
}{
	{"clerk", cases.ActionRequest{Action: "accept"}},
	{"handler", cases.ActionRequest{Action: "pass"}},
	{"reviewer", cases.ActionRequest{Action: "pass"}},
	{"approver", cases.ActionRequest{Action: "grant"}},
	{"clerk", cases.ActionRequest{Action: "deliver"}}, // as the applicant chose (online, the default)
}

// lifecycle runs one whole case through the service.
func lifecycle(b testing.TB, f *fixture) {
	if err := lifecycleCase(f); err != nil {
		b.Fatal(err)
	}
}

// lifecycleCase is lifecycle for any goroutine (it answers, not fails).
func lifecycleCase(f *fixture) error {
	ctx := context.Background()
	c, _, err := f.svc.Create(ctx, f.users["clerk"], cases.NewCase{ItemCode: f.codes[soleTrader], Values: soleTraderValues(),
		Applicant: "500102198506120011", Submit: true})
	if err != nil {
		return err
	}
	for _, s := range lifecycleSteps {
		if c, err = f.svc.Act(ctx, f.users[s.who], c.No, s.req); err != nil {
			return fmt.Errorf("%s by %s: %w", s.req.Action, s.who, err)
		}
	}
	if c.State != "delivered" {
		return fmt.Errorf("case ended %s", c.State)
	}
	return nil
}

// drive runs fn n times with exactly clients goroutines, each calling fn
// again as soon as its last call returned (a client waiting for its reply),
// and answers how long that took and the first error.
func drive(n, clients int, fn func() error) (time.Duration, error) {
	var next atomic.Int64
	var first atomic.Pointer[error]
	var wg sync.WaitGroup
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				if err := fn(); err != nil {
					first.CompareAndSwap(nil, &err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if p := first.Load(); p != nil {
		return time.Since(start), *p
	}
	return time.Since(start), nil
}

// warm runs fn twice per client before the timer starts: the pool has
// opened its connections and prepared its statements.
func warm(b testing.TB, clients int, fn func() error) {
	if _, err := drive(2*clients, clients, fn); err != nil {
		b.Fatal(err)
	}
}

// tuneGC runs the benchmark with the collector setting of the tongban
// command (config.TuneGC); GOGC=100 in the environment measures Go's
// default. It answers the restore.
func tuneGC() func() {
	was := debug.SetGCPercent(100)
	debug.SetGCPercent(was)
	config.TuneGC(os.Getenv)
	return func() { debug.SetGCPercent(was) }
}

// BenchmarkLifecycle runs whole cases: filed at the window, accepted, passed
// by the handler and the reviewer, granted by the approver (办结) and
// delivered — six actions, each its own transaction with its event, as six
// requests would. Reports complete cases per second: "serial" is one
// client after another; "clients=8" is eight at once (exactly eight
// goroutines), as a service hall would be (each client waits for its reply
// before its next action). The database is set up before the timer starts;
// run it with a fixed count (-benchtime 2000x): b.N cases in all.
func BenchmarkLifecycle(b *testing.B) {
	defer tuneGC()()
	// sqlite is the default; sqlite-full syncs every commit to disk
	// (sqlite:PATH?sync=full: nothing answered is lost to a power cut).
	for _, dbName := range []string{"sqlite", "sqlite-full", "postgres"} {
		for _, clients := range []int{1, 8} {
			name := dbName + "/serial"
			if clients > 1 {
				name = fmt.Sprintf("%s/clients=%d", dbName, clients)
			}
			b.Run(name, func(b *testing.B) {
				f := benchFixture(b, dbName)
				warm(b, clients, func() error { return lifecycleCase(f) })
				b.ResetTimer()
				took, err := drive(b.N, clients, func() error { return lifecycleCase(f) })
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(b.N)/took.Seconds(), "cases/s")
			})
		}
	}
}

// rawInsert makes the anchor's table in d and answers one transaction
// inserting one row into it.
func rawInsert(b testing.TB, d *db.DB) func() error {
	ctx := context.Background()
	if err := d.Update(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(`CREATE TABLE bench_rows (id TEXT PRIMARY KEY, body TEXT NOT NULL, at TIMESTAMP NOT NULL)`)
		return err
	}); err != nil {
		b.Fatal(err)
	}
	return func() error {
		return d.Update(ctx, func(tx *db.Tx) error {
			_, err := tx.Exec(`INSERT INTO bench_rows (id, body, at) VALUES ($1, $2, $3)`, db.NewID(), "{}", tx.Now)
			return err
		})
	}
}

// BenchmarkRawInsert is the floor a case transition stands on: one
// transaction inserting one row, on the same database and settings ("full":
// sqlite:PATH?sync=full; "postgres": the test server, through the same pool
// and transaction code as the service) — serially and from eight clients.
func BenchmarkRawInsert(b *testing.B) {
	for _, dbName := range []string{"sqlite", "sqlite-full", "postgres"} {
		for _, clients := range []int{1, 8} {
			name := dbName + "/serial"
			if clients > 1 {
				name = fmt.Sprintf("%s/clients=%d", dbName, clients)
			}
			b.Run(name, func(b *testing.B) {
				var d *db.DB
				switch dbName {
				case "postgres":
					d = dbtest.Postgres(b)
				case "sqlite-full":
					d = dbtest.SQLiteSynced(b)
				default:
					d = dbtest.SQLite(b)
				}
				insert := rawInsert(b, d)
				warm(b, clients, insert)
				b.ResetTimer()
				took, err := drive(b.N, clients, insert)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(b.N)/took.Seconds(), "rows/s")
			})
		}
	}
}

// BenchmarkLifecycleGain measures, in one run on one database and one
// pool, the four figures the scaling targets are ratios of (issue 20):
// single-row insert transactions (the raw anchor, as pgbench would be) and
// whole cases, each serially and from eight clients, interleaved raw,
// cases, raw, cases so that a change in the machine's load falls on both.
// b.N is the number of cases per arm; the raw arms run six transactions
// per case (a case is six). It reports cases/s and rows/s of each arm, the
// gains of eight clients over one ("gain" for cases, "raw-gain" for the
// anchor) and the anchor's transactions per case at eight clients
// ("raw/case": the case's cost in raw transactions; 1/8 of pgbench's TPS
// means 8).
//
//	TONGBAN_TEST_PG=postgres://…(fsync on) go test ./internal/cases -run XXX -bench LifecycleGain/postgres -benchtime 300x -count 3
func BenchmarkLifecycleGain(b *testing.B) {
	defer tuneGC()()
	for _, dbName := range []string{"sqlite", "sqlite-full", "postgres"} {
		b.Run(dbName, func(b *testing.B) {
			f := benchFixture(b, dbName)
			insert := rawInsert(b, f.db)
			run := func(n, clients int, fn func() error) float64 {
				took, err := drive(n, clients, fn)
				if err != nil {
					b.Fatal(err)
				}
				return float64(n) / took.Seconds()
			}
			one := func() error { return lifecycleCase(f) }
			warm(b, 8, insert)
			warm(b, 8, one)
			b.ResetTimer()
			raw1 := run(6*b.N, 1, insert)
			cases1 := run(b.N, 1, one)
			raw8 := run(6*b.N, 8, insert)
			cases8 := run(b.N, 8, one)
			b.ReportMetric(cases1, "cases/s-serial")
			b.ReportMetric(cases8, "cases/s-8")
			b.ReportMetric(cases8/cases1, "gain")
			b.ReportMetric(raw1, "rows/s-serial")
			b.ReportMetric(raw8, "rows/s-8")
			b.ReportMetric(raw8/raw1, "raw-gain")
			b.ReportMetric(raw8/cases8, "raw/case")
		})
	}
}
