package cases_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
)

// Issue 20: no daily cap a province can reach. 100,000 numbers of one item
// on one day are all taken, all distinct, all valid; past 9,999 they take
// the long form.
func TestCaseNumbersOfOneDay(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		impl := f.codes[soleTrader]
		now := f.Now()
		seen := make(map[string]bool, 100_000)
		for batch := 0; batch < 100; batch++ {
			err := f.db.Update(f.ctx, func(tx *db.Tx) error {
				for range 1000 {
					no, err := cases.NextCaseNo(tx, impl, now)
					if err != nil {
						return err
					}
					if seen[no] {
						t.Fatalf("%s taken twice", no)
					}
					seen[no] = true
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		day := now.Format("20060102")
		for _, want := range []string{impl + day + "0001", impl + day + "9999", impl + day + "-10000", impl + day + "-100000"} {
			if !seen[want] {
				t.Errorf("%s not among the numbers", want)
			}
		}
		for no := range seen {
			if err := codes.CheckCaseNo(no); err != nil {
				t.Fatalf("%s: %v", no, err)
			}
		}
		// The next filing through the engine takes the 100,001st.
		c := f.submitSoleTrader()
		if !strings.HasSuffix(c.No, "-100001") {
			t.Errorf("the filing after 100,000: %s", c.No)
		}
		// And the public progress query reads the long form.
		if _, err := f.svc.Progress(f.ctx, c.No, c.ApplicantName, c.QueryCode); err != nil {
			t.Errorf("progress of %s: %v", c.No, err)
		}
	})
}

// Concurrent filers of one item each take a distinct number; on PostgreSQL
// they do not queue on one row: while one holds a block, the others take
// other blocks.
func TestCaseNumbersConcurrent(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		impl := f.codes[soleTrader]
		now := f.Now()
		var mu sync.Mutex
		seen := map[string]bool{}
		var wg sync.WaitGroup
		for range 16 {
			wg.Go(func() {
				for range 25 {
					var no string
					err := f.db.Update(context.Background(), func(tx *db.Tx) (err error) {
						no, err = cases.NextCaseNo(tx, impl, now)
						time.Sleep(2 * time.Millisecond) // the rest of a filing's transaction
						return err
					})
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					if seen[no] {
						t.Errorf("%s taken twice", no)
					}
					seen[no] = true
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(seen) != 400 {
			t.Fatalf("%d numbers for 400 filings", len(seen))
		}
		var blocks int
		if err := f.db.View(f.ctx, func(tx *db.Tx) error {
			return tx.QueryRow(`SELECT COUNT(*) FROM case_serials WHERE impl_code = $1`, impl).Scan(&blocks)
		}); err != nil {
			t.Fatal(err)
		}
		if f.db.Dialect == db.Postgres && blocks < 2 {
			t.Errorf("16 concurrent filers on PostgreSQL used %d block", blocks)
		}
		if f.db.Dialect == db.SQLite && blocks != 1 {
			t.Errorf("SQLite used %d blocks", blocks)
		}
	})
}

// Two filers opening a block at once do not queue either (PostgreSQL):
// while the first holds the day's first block, still uncommitted, the
// second opens another without waiting for the first's filing to commit.
func TestCaseNumbersOpeningBlocksDoNotWait(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		if f.db.Dialect != db.Postgres {
			t.Skip("SQLite has one writer")
		}
		impl := f.codes[soleTrader]
		now := f.Now()
		taken, release, firstDone := make(chan string, 1), make(chan struct{}), make(chan error, 1)
		go func() {
			firstDone <- f.db.Update(context.Background(), func(tx *db.Tx) error {
				no, err := cases.NextCaseNo(tx, impl, now)
				if err != nil {
					return err
				}
				taken <- no
				<-release
				return nil
			})
		}()
		first := <-taken
		var second string
		err := f.db.Update(context.Background(), func(tx *db.Tx) (err error) {
			if _, err := tx.Exec(`SET LOCAL lock_timeout = '3s'`); err != nil {
				return err
			}
			second, err = cases.NextCaseNo(tx, impl, now)
			return err
		})
		close(release)
		if err != nil {
			t.Fatalf("the second filer waited for the first: %v", err)
		}
		if err := <-firstDone; err != nil {
			t.Fatal(err)
		}
		if first == second || first == "" || second == "" {
			t.Fatalf("numbers %q and %q", first, second)
		}
	})
}
