package db

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
)

// Requests committed together stay independent: a failing or panicking one
// leaves nothing behind and does not disturb the others.
func TestGroupCommit(t *testing.T) {
	ctx := context.Background()
	d, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "g.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Update(ctx, func(tx *Tx) error {
		_, err := tx.Exec(`CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER NOT NULL)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	var wg sync.WaitGroup
	errs := make([]error, 60)
	panics := make([]any, 60)
	for i := range 60 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { panics[i] = recover() }()
			errs[i] = d.Update(ctx, func(tx *Tx) error {
				if _, err := tx.Exec(`INSERT INTO kv (k, v) VALUES ($1, $2)`, fmt.Sprint(i), i); err != nil {
					return err
				}
				switch i % 6 {
				case 1:
					return boom // written, then failed: must not stay
				case 2:
					panic("request panicked")
				}
				return nil
			})
		}()
	}
	wg.Wait()
	for i := range 60 {
		var n int
		if err := d.View(ctx, func(tx *Tx) error { return tx.QueryRow(`SELECT COUNT(*) FROM kv WHERE k = $1`, fmt.Sprint(i)).Scan(&n) }); err != nil {
			t.Fatal(err)
		}
		switch i % 6 {
		case 1:
			if !errors.Is(errs[i], boom) || n != 0 {
				t.Errorf("request %d: %v, %d rows", i, errs[i], n)
			}
		case 2:
			if panics[i] != "request panicked" || n != 0 {
				t.Errorf("request %d: panic %v, %d rows", i, panics[i], n)
			}
		default:
			if errs[i] != nil || panics[i] != nil || n != 1 {
				t.Errorf("request %d: %v %v, %d rows", i, errs[i], panics[i], n)
			}
		}
	}
	// A cancelled request does not run.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	ran := false
	if err := d.Update(cctx, func(tx *Tx) error { ran = true; return nil }); !errors.Is(err, context.Canceled) || ran {
		t.Fatalf("cancelled: %v, ran %v", err, ran)
	}
	// After Close, writes are refused instead of hanging; Close twice is harmless.
	d.Close()
	d.Close()
	if err := d.Update(ctx, func(tx *Tx) error { return nil }); err == nil {
		t.Fatal("a write after Close succeeded")
	}
}
