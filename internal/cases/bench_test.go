package cases_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
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
	ctx := context.Background()
	c, _, err := f.svc.Create(ctx, f.users["clerk"], cases.NewCase{ItemCode: f.codes[soleTrader], Values: soleTraderValues(),
		Applicant: "500102198506120011", Submit: true})
	if err != nil {
		b.Fatal(err)
	}
	for _, s := range lifecycleSteps {
		if c, err = f.svc.Act(ctx, f.users[s.who], c.No, s.req); err != nil {
			b.Fatal(err)
		}
	}
	if c.State != "delivered" {
		b.Fatal(c.State)
	}
}

// BenchmarkLifecycle runs whole cases: filed at the window, accepted, passed
// by the handler and the reviewer, granted by the approver (办结) and
// delivered — six actions, each its own transaction with its event, as six
// requests would. Reports complete cases per second: "serial" is one
// client after another; "clients=8" is eight at once, as a service hall
// would be (each client waits for its reply before its next action).
//
// The process runs with the collector setting of the tongban command
// (config.TuneGC); GOGC=100 in the environment measures Go's default.
func BenchmarkLifecycle(b *testing.B) {
	was := debug.SetGCPercent(100)
	debug.SetGCPercent(was)
	defer debug.SetGCPercent(was)
	config.TuneGC(os.Getenv)
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
				start := time.Now()
				if clients == 1 {
					for b.Loop() {
						lifecycle(b, f)
					}
				} else {
					b.SetParallelism((clients + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							lifecycle(b, f)
						}
					})
				}
				b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "cases/s")
			})
		}
	}
}

// BenchmarkRawInsert is the floor a case transition stands on: one
// transaction inserting one row, on the same database and settings ("full":
// sqlite:PATH?sync=full).
func BenchmarkRawInsert(b *testing.B) {
	for _, synced := range []bool{false, true} {
		d, prefix := dbtest.SQLite(b), ""
		if synced {
			d, prefix = dbtest.SQLiteSynced(b), "full/"
		}
		ctx := context.Background()
		if err := d.Update(ctx, func(tx *db.Tx) error {
			_, err := tx.Exec(`CREATE TABLE bench_rows (id TEXT PRIMARY KEY, body TEXT NOT NULL, at TIMESTAMP NOT NULL)`)
			return err
		}); err != nil {
			b.Fatal(err)
		}
		insert := func() {
			if err := d.Update(ctx, func(tx *db.Tx) error {
				_, err := tx.Exec(`INSERT INTO bench_rows (id, body, at) VALUES ($1, $2, $3)`, db.NewID(), "{}", tx.Now)
				return err
			}); err != nil {
				b.Error(err)
			}
		}
		b.Run(prefix+"serial", func(b *testing.B) {
			start := time.Now()
			for b.Loop() {
				insert()
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "rows/s")
		})
		// Eight writers at once: the group committer takes them in one commit.
		b.Run(prefix+"clients=8", func(b *testing.B) {
			start := time.Now()
			b.SetParallelism(4)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					insert()
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "rows/s")
		})
	}
}
