package db_test

import (
	"context"
	"sync"
	"testing"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
)

// Concurrent write transactions of one process hold distinct counter
// shards; a lone writer keeps writing the same one (one row per figure);
// SQLite, with its one writer, always writes shard 0.
func TestShardsOfConcurrentWriters(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		shard := func() int {
			var s int
			if err := d.Update(ctx, func(tx *db.Tx) error { s = tx.Shard(); return nil }); err != nil {
				t.Fatal(err)
			}
			return s
		}
		first := shard()
		for range 5 {
			if s := shard(); s != first {
				t.Fatalf("a lone writer moved from shard %d to %d", first, s)
			}
		}
		if d.Dialect != db.Postgres {
			if first != 0 {
				t.Fatalf("SQLite shard %d", first)
			}
			return
		}
		// Eight transactions open at once: eight different shards, each
		// fixed for its transaction.
		const n = 8
		var mu sync.Mutex
		seen := map[int]bool{}
		var ready, hold sync.WaitGroup
		ready.Add(n)
		hold.Add(1)
		var wg sync.WaitGroup
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := d.Update(ctx, func(tx *db.Tx) error {
					s := tx.Shard()
					mu.Lock()
					if seen[s] {
						t.Errorf("shard %d given twice", s)
					}
					seen[s] = true
					mu.Unlock()
					ready.Done()
					hold.Wait()
					if tx.Shard() != s {
						t.Errorf("shard changed within a transaction")
					}
					return nil
				})
				if err != nil {
					t.Error(err)
				}
			}()
		}
		ready.Wait()
		hold.Done()
		wg.Wait()
		if len(seen) != n || !seen[first] {
			t.Fatalf("shards %v (lone writer's %d)", seen, first)
		}
		if s := shard(); s != first {
			t.Fatalf("after the crowd a lone writer writes shard %d, not %d", s, first)
		}
	})
}
