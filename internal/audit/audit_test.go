package audit_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
)

func appendN(t *testing.T, d *db.DB, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		if err := d.Update(context.Background(), func(tx *db.Tx) error {
			return audit.Append(tx, &audit.Record{Actor: "u1", Role: "handler", Action: "pass", ObjectType: "case", ObjectID: fmt.Sprintf("C%04d", i)},
				[]byte(fmt.Sprintf(`{"n":%d}`, i)))
		}); err != nil {
			t.Fatal(err)
		}
	}
}

func sequenceAll(t *testing.T, d *db.DB) {
	t.Helper()
	s := &audit.Sequencer{DB: d, Holder: "t", Batch: 17}
	for {
		n, err := s.Step(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

func TestLogProofsCheckpointsAndTampering(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		keys, err := audit.GenerateKeys("tongban.test/audit")
		if err != nil {
			t.Fatal(err)
		}
		verifiers, _ := keys.Verifiers()
		appendN(t, d, 0, 50)
		sequenceAll(t, d)
		msg, size, err := keys.Checkpoint(ctx, d)
		if err != nil || size != 50 {
			t.Fatalf("checkpoint: %d %v", size, err)
		}
		n, err := note.Open(msg, verifiers)
		if err != nil || len(n.Sigs) != 2 {
			t.Fatalf("the checkpoint does not verify with both keys: %v %v", err, n)
		}
		_, _, root50, _ := audit.ParseCheckpoint(n.Text)

		// Inclusion of record 7 in the published tree of 50.
		rec, proof, err := audit.ProveRecord(ctx, d, 7, 50)
		if err != nil {
			t.Fatal(err)
		}
		if err := tlog.CheckRecord(proof, 50, root50, 7, tlog.RecordHash(rec.Leaf())); err != nil {
			t.Fatalf("inclusion: %v", err)
		}
		// Consistency from 50 to 80.
		appendN(t, d, 50, 30)
		sequenceAll(t, d)
		msg80, _, err := keys.Checkpoint(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		n80, _ := note.Open(msg80, verifiers)
		_, _, root80, _ := audit.ParseCheckpoint(n80.Text)
		tp, err := audit.ProveTree(ctx, d, 50, 80)
		if err != nil {
			t.Fatal(err)
		}
		if err := tlog.CheckTree(tp, 80, root80, 50, root50); err != nil {
			t.Fatalf("consistency: %v", err)
		}
		if rep, err := audit.Verify(ctx, d, verifiers); err != nil || rep.Records != 80 || rep.Checkpoints != 2 || rep.HashesHeld > 7 {
			t.Fatalf("verify: %+v %v", rep, err)
		}
		// The same in pages of 7 records: the right edge carries across pages.
		restore := audit.SetVerifyPage(7)
		if rep, err := audit.Verify(ctx, d, verifiers); err != nil || rep.Records != 80 || rep.Checkpoints != 2 {
			t.Fatalf("verify in pages: %+v %v", rep, err)
		}
		// A payload erased (personal data) leaves the log verifiable.
		if err := d.Update(ctx, func(tx *db.Tx) error { return audit.Erase(tx, rec.ID) }); err != nil {
			t.Fatal(err)
		}
		var left *string
		d.Reader().QueryRow(`SELECT payload FROM audit_records WHERE id = $1`, rec.ID).Scan(&left)
		if left != nil {
			t.Fatalf("payload not erased: %q", *left)
		}
		if _, err := audit.Verify(ctx, d, verifiers); err != nil {
			t.Fatalf("verify after erasing a payload: %v", err)
		}

		// A record changed in the database is found, at its index.
		exec := func(q string, args ...any) {
			if err := d.Update(ctx, func(tx *db.Tx) error { _, err := tx.Exec(q, args...); return err }); err != nil {
				t.Fatal(err)
			}
		}
		exec(`UPDATE audit_records SET action = 'grant' WHERE leaf_index = 13`)
		var bad *audit.BadRecord
		if _, err := audit.Verify(ctx, d, verifiers); !errors.As(err, &bad) || bad.Index != 13 {
			t.Fatalf("a changed record: %v", err)
		}
		exec(`UPDATE audit_records SET action = 'pass' WHERE leaf_index = 13`)
		// A stored interior hash changed (leaves 20 and 21's parent) is found at the leaf that completes it.
		var parent []byte
		idx := tlog.StoredHashIndex(1, 10)
		d.Reader().QueryRow(`SELECT hash FROM audit_hashes WHERE idx = $1`, idx).Scan(&parent)
		exec(`UPDATE audit_hashes SET hash = $1 WHERE idx = $2`, make([]byte, 32), idx)
		if _, err := audit.Verify(ctx, d, verifiers); !errors.As(err, &bad) || bad.Index != 21 {
			t.Fatalf("a changed stored hash: %v", err)
		}
		exec(`UPDATE audit_hashes SET hash = $1 WHERE idx = $2`, parent, idx)
		if _, err := audit.Verify(ctx, d, verifiers); err != nil {
			t.Fatalf("restored: %v", err)
		}
		// A record deleted is found.
		exec(`DELETE FROM audit_records WHERE leaf_index = 21`)
		if _, err := audit.Verify(ctx, d, verifiers); !errors.As(err, &bad) || bad.Index != 21 {
			t.Fatalf("a deleted record: %v", err)
		}

		restore()
		// A forged checkpoint is rejected: altered text, or another key.
		forged := strings.Replace(string(msg), "\n50\n", "\n49\n", 1)
		if _, err := note.Open([]byte(forged), verifiers); err == nil {
			t.Fatal("an altered checkpoint verified")
		}
		other, _ := audit.GenerateKeys("tongban.test/audit")
		otherV, _ := other.Verifiers()
		if _, err := note.Open(msg, otherV); err == nil {
			t.Fatal("a checkpoint verified with another log's keys")
		}
		// Bad proof requests.
		if _, _, err := audit.ProveRecord(ctx, d, 90, 80); err == nil {
			t.Fatal("a proof of a record not in the tree")
		}
		if _, err := audit.ProveTree(ctx, d, 50, 99); err == nil {
			t.Fatal("a consistency proof past the log")
		}
	})
}

// Two replicas — two handles on one database, as two processes hold —
// sequence by turns while records keep coming (the lease passes when the
// holder stops): every record gets exactly one index, with no gaps.
func TestSequencerLeaseHandover(t *testing.T) {
	dbtest.EachPair(t, func(t *testing.T, d, d2 *db.DB) {
		ctx := context.Background()
		var wg sync.WaitGroup
		run := func(h *db.DB, holder string, until <-chan struct{}) {
			defer wg.Done()
			c, cancel := context.WithCancel(ctx)
			go func() { <-until; cancel() }()
			(&audit.Sequencer{DB: h, Holder: holder, Batch: 7}).Run(c, 5*time.Millisecond, func(err error) { t.Error(err) })
		}
		firstDone, stop := make(chan struct{}), make(chan struct{})
		wg.Add(2)
		go run(d, "replica-a", firstDone)
		go run(d2, "replica-b", stop)
		appendN(t, d, 0, 60)
		close(firstDone) // a stops and releases; b takes over
		appendN(t, d2, 60, 60)
		deadline := time.Now().Add(20 * time.Second)
		for {
			n, err := audit.Size(ctx, d)
			if err != nil {
				t.Fatal(err)
			}
			if n == 120 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("only %d of 120 sequenced", n)
			}
			time.Sleep(10 * time.Millisecond)
		}
		close(stop)
		wg.Wait()
		var distinct, max int64
		d.Reader().QueryRow(`SELECT COUNT(DISTINCT leaf_index), MAX(leaf_index) FROM audit_records`).Scan(&distinct, &max)
		if distinct != 120 || max != 119 {
			t.Fatalf("%d distinct indexes, max %d", distinct, max)
		}
		keys, _ := audit.GenerateKeys("tongban.test/audit")
		v, _ := keys.Verifiers()
		if _, err := audit.Verify(ctx, d2, v); err != nil {
			t.Fatal(err)
		}
	})
}

// Checkpoints asked for at once — the public endpoint, the server's own
// ticker, several replicas — all succeed and agree: one is stored, the
// others answer it (on PostgreSQL the second insert of a size once failed
// with a unique violation, a 500 for anonymous readers).
func TestConcurrentCheckpoints(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		keys, err := audit.GenerateKeys("tongban.test/audit")
		if err != nil {
			t.Fatal(err)
		}
		for round := 0; round < 3; round++ {
			appendN(t, d, round*5, 5)
			sequenceAll(t, d)
			const n = 8
			msgs, errs := make([][]byte, n), make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					msgs[i], _, errs[i] = keys.Checkpoint(context.Background(), d)
				}()
			}
			wg.Wait()
			for i := range n {
				if errs[i] != nil {
					t.Fatalf("round %d, checkpoint %d: %v", round, i, errs[i])
				}
				if string(msgs[i]) != string(msgs[0]) {
					t.Fatalf("round %d: checkpoints disagree:\n%s\n%s", round, msgs[0], msgs[i])
				}
			}
			var rows int
			if err := d.Reader().QueryRow(`SELECT COUNT(*) FROM audit_checkpoints WHERE size = $1`, (round+1)*5).Scan(&rows); err != nil || rows != 1 {
				t.Fatalf("round %d: %d checkpoints stored for the size: %v", round, rows, err)
			}
		}
	})
}
