package audit

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/tongban/tongban/internal/db"
)

// hashReader reads stored tree hashes in a transaction, with the hashes a
// sequencing batch has computed but not written yet.
type hashReader struct {
	tx      *db.Tx
	pending map[int64]tlog.Hash
}

func (h *hashReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, idx := range indexes {
		if v, ok := h.pending[idx]; ok {
			out[i] = v
			continue
		}
		var b []byte
		if err := h.tx.QueryRow(`SELECT hash FROM audit_hashes WHERE idx = $1`, idx).Scan(&b); err != nil {
			return nil, fmt.Errorf("audit: hash %d: %w", idx, err)
		}
		copy(out[i][:], b)
	}
	return out, nil
}

// treeSize is the number of sequenced records.
func treeSize(tx *db.Tx) (int64, error) {
	var n *int64
	if err := tx.QueryRow(`SELECT MAX(leaf_index) FROM audit_records`).Scan(&n); err != nil {
		return 0, err
	}
	if n == nil {
		return 0, nil
	}
	return *n + 1, nil
}

// Sequencer gives pending records their leaf indexes, in the order they were
// appended, and
// stores the tree's hashes. It runs in every replica and acts in the one
// holding its lease; requests never wait for it.
type Sequencer struct {
	DB     *db.DB
	Holder string
	Batch  int // records per transaction (default 2,000)
}

// LeaseName is the sequencer's lease.
const LeaseName = "audit-sequencer"

// Step sequences up to one batch and returns how many records it took. The
// caller holds the lease; the new indexes continue the tree in the same
// transaction that writes its hashes, so a crash leaves no gap.
func (s *Sequencer) Step(ctx context.Context) (int, error) {
	batch := s.Batch
	if batch <= 0 {
		batch = 2000
	}
	done := 0
	err := s.DB.Update(ctx, func(tx *db.Tx) error {
		done = 0
		n, err := treeSize(tx)
		if err != nil {
			return err
		}
		rows, err := tx.Query(`SELECT seq, id, at, actor_id, role, action, object_type, object_id, payload_sha256, payload FROM audit_pending
			ORDER BY seq LIMIT $1`, batch)
		if err != nil {
			return err
		}
		var recs []Record
		var bodies []*string
		var seqs []int64
		for rows.Next() {
			var r Record
			var body *string
			var seq int64
			if err := rows.Scan(&seq, &r.ID, &r.At, &r.Actor, &r.Role, &r.Action, &r.ObjectType, &r.ObjectID, &r.PayloadSHA256, &body); err != nil {
				rows.Close()
				return err
			}
			r.At = r.At.UTC()
			recs = append(recs, r)
			bodies = append(bodies, body)
			seqs = append(seqs, seq)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		hr := &hashReader{tx: tx, pending: map[int64]tlog.Hash{}}
		for i, r := range recs {
			hashes, err := tlog.StoredHashes(n, r.Leaf(), hr)
			if err != nil {
				return err
			}
			base := tlog.StoredHashIndex(0, n)
			for j, h := range hashes {
				hr.pending[base+int64(j)] = h
				if _, err := tx.Exec(`INSERT INTO audit_hashes (idx, hash) VALUES ($1, $2)`, base+int64(j), h[:]); err != nil {
					return err
				}
			}
			if _, err := tx.Exec(`INSERT INTO audit_records (leaf_index, id, at, actor_id, role, action, object_type, object_id, payload_sha256, payload)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, n, r.ID, r.At, r.Actor, r.Role, r.Action, r.ObjectType, r.ObjectID,
				r.PayloadSHA256, bodies[i]); err != nil {
				return err
			}
			// One by one, never by range: another writer may commit an earlier
			// sequence number meanwhile (PostgreSQL).
			if _, err := tx.Exec(`DELETE FROM audit_pending WHERE seq = $1`, seqs[i]); err != nil {
				return err
			}
			n++
			done++
		}
		return nil
	})
	return done, err
}

// Run sequences while ctx lasts: at once while records wait, else every
// interval; it acts only while it holds the lease.
func (s *Sequencer) Run(ctx context.Context, every time.Duration, onErr func(error)) {
	defer s.DB.ReleaseLease(context.WithoutCancel(ctx), LeaseName, s.Holder)
	for {
		held, err := s.DB.Lease(ctx, LeaseName, s.Holder, 10*every+5*time.Second)
		n := 0
		if err == nil && held {
			n, err = s.Step(ctx)
		}
		if err != nil && ctx.Err() == nil && onErr != nil {
			onErr(err)
		}
		if n > 0 {
			continue // more may wait
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

// Size is the number of sequenced records.
func Size(ctx context.Context, d *db.DB) (int64, error) {
	var n int64
	err := d.View(ctx, func(tx *db.Tx) error {
		var err error
		n, err = treeSize(tx)
		return err
	})
	return n, err
}
