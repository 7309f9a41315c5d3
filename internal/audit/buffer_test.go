package audit_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
)

// reads counts the read records written, and how many distinct ids they have.
func reads(t *testing.T, d *db.DB) (n, ids int) {
	t.Helper()
	if err := d.View(context.Background(), func(tx *db.Tx) error {
		return tx.QueryRow(`SELECT COUNT(*), COUNT(DISTINCT id) FROM (
			SELECT id FROM audit_pending WHERE action = 'case.read.view'
			UNION ALL SELECT id FROM audit_records WHERE action = 'case.read.view') r`).Scan(&n, &ids)
	}); err != nil {
		t.Fatal(err)
	}
	return n, ids
}

func read(i int) *audit.Record {
	return &audit.Record{Actor: fmt.Sprintf("u%d", i%7), Role: "staff", Action: "case.read.view", ObjectType: "case", ObjectID: fmt.Sprintf("C%05d", i)}
}

func TestBufferWritesEachReadOnceWithItsFields(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		at := time.Date(2026, 12, 8, 9, 30, 0, 123456789, time.UTC)
		d.SetClock(func() time.Time { return at })
		b := &audit.Buffer{DB: d, Delay: time.Hour, Size: 40}
		var added []audit.Record
		for i := range 100 { // full batches are written at once, the rest waits
			r := read(i)
			if err := b.Add(ctx, r); err != nil {
				t.Fatal(err)
			}
			added = append(added, *r)
		}
		// Full batches are written without waiting for the delay: soon no
		// more than a batch's worth less one waits (how many a write takes
		// depends on when the writer runs: all that waits then).
		deadline := time.Now().Add(10 * time.Second)
		for {
			waiting := b.Pending()
			n, _ := reads(t, d)
			if waiting < 40 && n+waiting == 100 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("full batches not written: %d written, %d waiting", n, waiting)
			}
			time.Sleep(10 * time.Millisecond)
		}
		if err := b.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if err := b.Flush(ctx); err != nil { // nothing left: nothing written twice
			t.Fatal(err)
		}
		if n, ids := reads(t, d); n != 100 || ids != 100 {
			t.Fatalf("after flush: %d records, %d ids; want 100", n, ids)
		}
		sequenceAll(t, d)
		// Each record as added: its id, the time of the read (microseconds),
		// actor, role, action and object — in the order added.
		var got []audit.Record
		if err := d.View(ctx, func(tx *db.Tx) error {
			rows, err := tx.Query(`SELECT id, at, actor_id, role, action, object_type, object_id, payload_sha256 FROM audit_records ORDER BY leaf_index`)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var r audit.Record
				if err := rows.Scan(&r.ID, &r.At, &r.Actor, &r.Role, &r.Action, &r.ObjectType, &r.ObjectID, &r.PayloadSHA256); err != nil {
					return err
				}
				r.At = r.At.UTC()
				got = append(got, r)
			}
			return rows.Err()
		}); err != nil {
			t.Fatal(err)
		}
		if len(got) != len(added) {
			t.Fatalf("%d sequenced, want %d", len(got), len(added))
		}
		for i := range got {
			if got[i] != added[i] || !got[i].At.Equal(at.Truncate(time.Microsecond)) || got[i].PayloadSHA256 != audit.PayloadHash(nil) {
				t.Fatalf("record %d: %+v, want %+v", i, got[i], added[i])
			}
		}
	})
}

func TestBufferWritesWithinItsDelay(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := &audit.Buffer{DB: d, Delay: 50 * time.Millisecond, Size: 1000}
		t.Cleanup(func() { b.Close(context.Background()) })
		start := time.Now()
		for i := range 3 {
			if err := b.Add(context.Background(), read(i)); err != nil {
				t.Fatal(err)
			}
		}
		for n, _ := reads(t, d); n < 3; n, _ = reads(t, d) {
			if time.Since(start) > 5*time.Second {
				t.Fatalf("%d of 3 reads written after 5 s (delay 50 ms)", n)
			}
			time.Sleep(5 * time.Millisecond)
		}
		if b.Pending() != 0 {
			t.Fatalf("%d still waiting", b.Pending())
		}
	})
}

// Two replicas each buffer their own reads, from many requests at once;
// closing (the server's shutdown) writes what waits; every read is written
// exactly once and the log's tree still verifies.
func TestBufferReplicasConcurrentAndClose(t *testing.T) {
	dbtest.EachPair(t, func(t *testing.T, a, b *db.DB) {
		ctx := context.Background()
		bufs := []*audit.Buffer{{DB: a, Delay: 20 * time.Millisecond, Size: 16}, {DB: b, Delay: 20 * time.Millisecond, Size: 16}}
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for g := range 8 {
			wg.Go(func() {
				for i := range 100 {
					if err := bufs[g%2].Add(ctx, read(g*1000+i)); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		for _, buf := range bufs {
			if err := buf.Close(ctx); err != nil {
				t.Fatal(err)
			}
			if buf.Pending() != 0 {
				t.Fatalf("%d waiting after close", buf.Pending())
			}
		}
		if n, ids := reads(t, a); n != 800 || ids != 800 {
			t.Fatalf("%d records, %d ids; want 800", n, ids)
		}
		// After close a read is written at once, in its own transaction.
		if err := bufs[0].Add(ctx, read(9999)); err != nil {
			t.Fatal(err)
		}
		if n, _ := reads(t, a); n != 801 {
			t.Fatalf("a read after close: %d records, want 801", n)
		}
		sequenceAll(t, a)
		keys, err := audit.GenerateKeys("tongban.test/audit")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := keys.Checkpoint(ctx, a); err != nil {
			t.Fatal(err)
		}
		verifiers, _ := keys.Verifiers()
		rep, err := audit.Verify(ctx, a, verifiers)
		if err != nil || rep.Records != 801 {
			t.Fatalf("verify: %+v %v", rep, err)
		}
	})
}
