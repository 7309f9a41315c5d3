package audit_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
)

// BenchmarkSequencer integrates pending records into the tree, in batches of
// 2,000 (the target: at least 20,000 records a second). Reports
// records per second.
func BenchmarkSequencer(b *testing.B) {
	d := dbtest.SQLite(b)
	ctx := context.Background()
	const per = 2000
	fill := func() {
		if err := d.Update(ctx, func(tx *db.Tx) error {
			for i := range per {
				if err := audit.Append(tx, &audit.Record{Actor: "u1", Role: "handler", Action: "case.pass", ObjectType: "case",
					ObjectID: fmt.Sprintf("C%06d", i)}, []byte(`{"seq":3,"from":"handling","to":"review"}`)); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	s := &audit.Sequencer{DB: d, Holder: "bench", Batch: per}
	var took time.Duration
	records := 0
	for b.Loop() {
		b.StopTimer()
		fill()
		b.StartTimer()
		start := time.Now()
		n, err := s.Step(ctx)
		if err != nil || n != per {
			b.Fatal(n, err)
		}
		took += time.Since(start)
		records += n
	}
	b.ReportMetric(float64(records)/took.Seconds(), "records/s")
}
