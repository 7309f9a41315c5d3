package cases_test

import (
	"context"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
)

// benchFixture is the demo database on SQLite with the case service.
func benchFixture(b *testing.B) *fixture {
	b.Helper()
	d := dbtest.SQLite(b)
	f := setup(b, d)
	d.SetClock(time.Now) // real time: the benchmark measures real commits
	return f
}

// BenchmarkLifecycle runs whole cases: filed at the window, accepted, passed
// by the handler and the reviewer, granted by the approver (办结) and
// delivered — six actions, each its own transaction with its event, as six
// requests would. Reports complete cases per second.
func BenchmarkLifecycle(b *testing.B) {
	f := benchFixture(b)
	code := f.codes[soleTrader]
	vals := soleTraderValues()
	steps := []struct {
		who string
		req cases.ActionRequest
	}{
		{"clerk", cases.ActionRequest{Action: "accept"}},
		{"handler", cases.ActionRequest{Action: "pass"}},
		{"reviewer", cases.ActionRequest{Action: "pass"}},
		{"approver", cases.ActionRequest{Action: "grant"}},
		{"clerk", cases.ActionRequest{Action: "deliver", Delivery: "window"}},
	}
	ctx := context.Background()
	start := time.Now()
	for b.Loop() {
		c, _, err := f.svc.Create(ctx, f.users["clerk"], cases.NewCase{ItemCode: code, Values: vals,
			Applicant: "500102198506120011", Submit: true})
		if err != nil {
			b.Fatal(err)
		}
		for _, s := range steps {
			if c, err = f.svc.Act(ctx, f.users[s.who], c.No, s.req); err != nil {
				b.Fatal(err)
			}
		}
		if c.State != "delivered" {
			b.Fatal(c.State)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "cases/s")
}

// BenchmarkRawInsert is the floor a case transition stands on: one
// transaction inserting one row, on the same database and settings.
func BenchmarkRawInsert(b *testing.B) {
	d := dbtest.SQLite(b)
	ctx := context.Background()
	if err := d.Update(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(`CREATE TABLE bench_rows (id TEXT PRIMARY KEY, body TEXT NOT NULL, at TIMESTAMP NOT NULL)`)
		return err
	}); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	for b.Loop() {
		if err := d.Update(ctx, func(tx *db.Tx) error {
			_, err := tx.Exec(`INSERT INTO bench_rows (id, body, at) VALUES ($1, $2, $3)`, db.NewID(), "{}", tx.Now)
			return err
		}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "rows/s")
}
