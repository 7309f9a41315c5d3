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

// BenchmarkVerify recomputes and checks a log of 100,000 records with a
// checkpoint every 10,000 (tongban audit verify). Reports records per second;
// -benchmem shows that what it holds does not grow with the log.
func BenchmarkVerify(b *testing.B) {
	d := dbtest.SQLite(b)
	ctx := context.Background()
	keys, err := audit.GenerateKeys("tongban.bench/audit")
	if err != nil {
		b.Fatal(err)
	}
	verifiers, _ := keys.Verifiers()
	s := &audit.Sequencer{DB: d, Holder: "bench", Batch: 5000}
	const total, every = 100000, 10000
	for done := 0; done < total; done += every {
		if err := d.Update(ctx, func(tx *db.Tx) error {
			for i := range every {
				if err := audit.Append(tx, &audit.Record{Actor: "u1", Role: "handler", Action: "case.pass", ObjectType: "case",
					ObjectID: fmt.Sprintf("C%07d", done+i)}, []byte(`{"seq":3}`)); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		for {
			n, err := s.Step(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if n == 0 {
				break
			}
		}
		if _, _, err := keys.Checkpoint(ctx, d); err != nil {
			b.Fatal(err)
		}
	}
	start := time.Now()
	for b.Loop() {
		rep, err := audit.Verify(ctx, d, verifiers)
		if err != nil || rep.Records != total || rep.Checkpoints != total/every {
			b.Fatal(rep, err)
		}
	}
	b.ReportMetric(float64(total*b.N)/time.Since(start).Seconds(), "records/s")
}
