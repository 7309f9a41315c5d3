package license_test

import (
	"context"
	"sync"
	"testing"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/license"
)

// Licence serials (issue 20: no hot row). Unhurried they run 1, 2, 3;
// concurrent grants of one type by one issuer each take a distinct serial
// and, on PostgreSQL, do not wait for each other's commits: while one grant
// holds its block, uncommitted, another takes a serial from another block.
func TestLicenceSerials(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		const typ, issuer = "11100000000013338W001", "11500102MB1234567X"
		take := func(tx *db.Tx) int {
			n, err := license.NextSerial(tx, typ, issuer, 2026)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		for want := 1; want <= 3; want++ {
			var n int
			if err := d.Update(ctx, func(tx *db.Tx) error { n = take(tx); return nil }); err != nil || n != want {
				t.Fatalf("serial %d, want %d (%v)", n, want, err)
			}
		}
		// Another year, another issuer: their own serials.
		if err := d.Update(ctx, func(tx *db.Tx) error {
			if n, err := license.NextSerial(tx, typ, issuer, 2027); err != nil || n != 1 {
				t.Errorf("2027: %d %v", n, err)
			}
			if n, err := license.NextSerial(tx, typ, "11500102MB7654321Y", 2026); err != nil || n != 1 {
				t.Errorf("other issuer: %d %v", n, err)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		seen := map[int]bool{1: true, 2: true, 3: true}
		if d.Dialect == db.Postgres {
			held, release, done := make(chan int, 1), make(chan struct{}), make(chan error, 1)
			go func() {
				done <- d.Update(ctx, func(tx *db.Tx) error {
					n, err := license.NextSerial(tx, typ, issuer, 2026)
					held <- n
					<-release
					return err
				})
			}()
			first := <-held
			var second int
			err := d.Update(ctx, func(tx *db.Tx) (err error) {
				if _, err := tx.Exec(`SET LOCAL lock_timeout = '3s'`); err != nil {
					return err
				}
				second, err = license.NextSerial(tx, typ, issuer, 2026)
				return err
			})
			close(release)
			if err != nil {
				t.Fatalf("the second grant waited for the first: %v", err)
			}
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if first == second || seen[first] || seen[second] {
				t.Fatalf("serials %d and %d", first, second)
			}
			seen[first], seen[second] = true, true
		}
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for range 20 {
					var n int
					if err := d.Update(ctx, func(tx *db.Tx) (err error) {
						n, err = license.NextSerial(tx, typ, issuer, 2026)
						return err
					}); err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					if seen[n] {
						t.Errorf("serial %d taken twice", n)
					}
					seen[n] = true
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if want := 3 + 160 + map[bool]int{true: 2}[d.Dialect == db.Postgres]; len(seen) != want {
			t.Fatalf("%d serials, want %d", len(seen), want)
		}
	})
}
