package db_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
)

func TestLease(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
		d.SetClock(func() time.Time { return now })
		take := func(holder string, want bool) {
			t.Helper()
			got, err := d.Lease(ctx, "scanner", holder, time.Minute)
			if err != nil || got != want {
				t.Fatalf("%s at %s: %v, %v; want %v", holder, now.Format(time.TimeOnly), got, err, want)
			}
		}
		take("a", true)
		take("b", false)
		now = now.Add(50 * time.Second)
		take("a", true) // renewed until 09:01:50
		now = now.Add(50 * time.Second)
		take("b", false)
		now = now.Add(11 * time.Second) // a's lease expired at 09:01:50
		take("b", true)
		take("a", false)
		if err := d.ReleaseLease(ctx, "scanner", "a"); err != nil { // not a's to release
			t.Fatal(err)
		}
		take("a", false)
		if err := d.ReleaseLease(ctx, "scanner", "b"); err != nil {
			t.Fatal(err)
		}
		take("a", true)

		// Racing for an expired lease: exactly one wins.
		now = now.Add(time.Hour)
		var wins atomic.Int32
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := d.Lease(ctx, "scanner", fmt.Sprintf("r%d", i), time.Minute)
				if err != nil {
					t.Error(err)
				}
				if ok {
					wins.Add(1)
				}
			}()
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("%d replicas hold the lease", wins.Load())
		}
	})
}

// A one-time step runs once however many replicas start at once, and never
// again; a failed run leaves it to the next start.
func TestOnce(t *testing.T) {
	dbtest.EachPair(t, func(t *testing.T, a, b *db.DB) {
		ctx := context.Background()
		failed, err := a.Once(ctx, "step", "r0", func(context.Context, func() error) error { return errors.New("crashed midway") })
		if !failed || err == nil {
			t.Fatalf("a failing step: %v %v", failed, err)
		}
		var mu sync.Mutex
		runs := 0
		var wg sync.WaitGroup
		for i, d := range []*db.DB{a, b, a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := d.Once(ctx, "step", "r"+strconv.Itoa(i+1), func(ctx context.Context, renew func() error) error {
					mu.Lock()
					runs++
					mu.Unlock()
					time.Sleep(50 * time.Millisecond)
					return renew()
				})
				if err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if runs != 1 {
			t.Fatalf("the step ran %d times", runs)
		}
		if ran, err := b.Once(ctx, "step", "later", func(context.Context, func() error) error { return nil }); ran || err != nil {
			t.Errorf("the step ran again: %v %v", ran, err)
		}
	})
}
