package queue_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/queue"
)

func eachDialect(b *testing.B, fn func(b *testing.B, d *db.DB)) {
	b.Run("sqlite", func(b *testing.B) { fn(b, dbtest.SQLite(b)) })
	b.Run("postgres", func(b *testing.B) { fn(b, dbtest.Postgres(b)) })
}

// BenchmarkTake measures tickets taken per second at one hall's kiosk by
// concurrent takers (every take increments the same counter row).
func BenchmarkTake(b *testing.B) {
	eachDialect(b, func(b *testing.B, d *db.DB) {
		f := newFixture(b, d, 2, 1)
		a := f.service(b, "A", 10, f.windows...)
		ctx := context.Background()
		b.SetParallelism(4)
		b.ResetTimer()
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := f.q.Take(ctx, nil, queue.TakeInput{HallID: f.hall, ServiceID: a.ID, Source: queue.SourceKiosk}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "tickets/s")
	})
}

// BenchmarkCallNext measures "call next" with 50 windows calling at once
// (each window calls, starts and finishes in a loop over a full queue) and
// reports its p99 latency.
func BenchmarkCallNext(b *testing.B) {
	const windows = 50
	eachDialect(b, func(b *testing.B, d *db.DB) {
		f := newFixture(b, d, windows, windows)
		a := f.service(b, "A", 10, f.windows...)
		ctx := context.Background()
		for i, w := range f.windows {
			if _, err := f.q.SignOn(ctx, f.clerks[i], w); err != nil {
				b.Fatal(err)
			}
		}
		// Enough tickets for every call of the run.
		n := b.N + windows
		var wg sync.WaitGroup
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				for i := g; i < n; i += 8 {
					if _, err := f.q.Take(ctx, nil, queue.TakeInput{HallID: f.hall, ServiceID: a.ID, Source: queue.SourceKiosk}); err != nil {
						b.Error(err)
						return
					}
				}
			}(g)
		}
		wg.Wait()
		var mu sync.Mutex
		lat := make([]time.Duration, 0, b.N)
		calls := make(chan struct{}, b.N)
		for i := 0; i < b.N; i++ {
			calls <- struct{}{}
		}
		close(calls)
		b.ResetTimer()
		for w := 0; w < windows; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				clerk := f.clerks[w]
				for range calls {
					t0 := time.Now()
					tk, err := f.q.CallNext(ctx, clerk)
					el := time.Since(t0)
					if err != nil || tk == nil {
						b.Errorf("call next: %v %v", tk, err)
						return
					}
					mu.Lock()
					lat = append(lat, el)
					mu.Unlock()
					if _, err := f.q.Start(ctx, clerk, tk.ID); err != nil {
						b.Error(err)
						return
					}
					if _, err := f.q.Finish(ctx, clerk, tk.ID, queue.FinishInput{Outcome: queue.OutcomeEnquiry}); err != nil {
						b.Error(err)
						return
					}
				}
			}(w)
		}
		wg.Wait()
		b.StopTimer()
		slices.Sort(lat)
		if len(lat) > 0 {
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		}
	})
}
