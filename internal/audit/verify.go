package audit

import (
	"context"
	"encoding/base64"
	"fmt"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/tongban/tongban/internal/db"
)

// ProveRecord returns record index and its inclusion proof in the tree of
// the first size records.
func ProveRecord(ctx context.Context, d *db.DB, index, size int64) (*Record, tlog.RecordProof, error) {
	var r Record
	var proof tlog.RecordProof
	err := d.View(ctx, func(tx *db.Tx) error {
		n, err := treeSize(tx)
		if err != nil {
			return err
		}
		if index < 0 || size <= index || size > n {
			return fmt.Errorf("audit: no record %d in a tree of %d (the log has %d)", index, size, n)
		}
		r.Index = &index
		if err := tx.QueryRow(`SELECT id, at, actor_id, role, action, object_type, object_id, payload_sha256 FROM audit_records WHERE leaf_index = $1`,
			index).Scan(&r.ID, &r.At, &r.Actor, &r.Role, &r.Action, &r.ObjectType, &r.ObjectID, &r.PayloadSHA256); err != nil {
			return err
		}
		r.At = r.At.UTC()
		proof, err = tlog.ProveRecord(size, index, &hashReader{tx: tx})
		return err
	})
	return &r, proof, err
}

// ProveTree returns the proof that the tree of size old is a prefix of the
// tree of size new.
func ProveTree(ctx context.Context, d *db.DB, old, new int64) (tlog.TreeProof, error) {
	var proof tlog.TreeProof
	err := d.View(ctx, func(tx *db.Tx) error {
		n, err := treeSize(tx)
		if err != nil {
			return err
		}
		if old < 1 || new < old || new > n {
			return fmt.Errorf("audit: no consistency proof from %d to %d (the log has %d)", old, new, n)
		}
		proof, err = tlog.ProveTree(new, old, &hashReader{tx: tx})
		return err
	})
	return proof, err
}

// BadRecord is a failed verification at a leaf index.
type BadRecord struct {
	Index  int64
	Reason string
}

func (e *BadRecord) Error() string { return fmt.Sprintf("audit: record %d: %s", e.Index, e.Reason) }

// VerifyReport says what Verify checked.
type VerifyReport struct {
	Records     int64 `json:"records"`
	Checkpoints int   `json:"checkpoints"`
}

// Verify recomputes the whole tree from the stored records, compares every
// stored hash, and checks every archived checkpoint: its signatures and its
// root. The first difference is returned as a *BadRecord (a record changed,
// missing or out of place) or an error naming the checkpoint.
func Verify(ctx context.Context, d *db.DB, verifiers note.Verifiers) (*VerifyReport, error) {
	rep := &VerifyReport{}
	err := d.View(ctx, func(tx *db.Tx) error {
		rows, err := tx.Query(`SELECT leaf_index, id, at, actor_id, role, action, object_type, object_id, payload_sha256
			FROM audit_records WHERE leaf_index IS NOT NULL ORDER BY leaf_index`)
		if err != nil {
			return err
		}
		mem := map[int64]tlog.Hash{}
		reader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
			out := make([]tlog.Hash, len(idx))
			for i, x := range idx {
				out[i] = mem[x]
			}
			return out, nil
		})
		var n int64
		for rows.Next() {
			var r Record
			var index int64
			if err := rows.Scan(&index, &r.ID, &r.At, &r.Actor, &r.Role, &r.Action, &r.ObjectType, &r.ObjectID, &r.PayloadSHA256); err != nil {
				rows.Close()
				return err
			}
			if index != n {
				rows.Close()
				return &BadRecord{Index: n, Reason: "missing"}
			}
			hashes, err := tlog.StoredHashes(n, r.Leaf(), reader)
			if err != nil {
				rows.Close()
				return err
			}
			base := tlog.StoredHashIndex(0, n)
			for i, h := range hashes {
				mem[base+int64(i)] = h
			}
			n++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		rep.Records = n
		// Every stored hash must be the recomputed one: a changed record
		// changes its leaf hash and the hashes above it.
		hrows, err := tx.Query(`SELECT idx, hash FROM audit_hashes ORDER BY idx`)
		if err != nil {
			return err
		}
		for hrows.Next() {
			var idx int64
			var b []byte
			if err := hrows.Scan(&idx, &b); err != nil {
				hrows.Close()
				return err
			}
			want, ok := mem[idx]
			if !ok || string(want[:]) != string(b) {
				hrows.Close()
				return &BadRecord{Index: leafOf(idx), Reason: "stored hash differs from the recomputed tree"}
			}
		}
		hrows.Close()
		if err := hrows.Err(); err != nil {
			return err
		}
		crows, err := tx.Query(`SELECT size, root, note FROM audit_checkpoints ORDER BY size`)
		if err != nil {
			return err
		}
		defer crows.Close()
		for crows.Next() {
			var size int64
			var root, msg string
			if err := crows.Scan(&size, &root, &msg); err != nil {
				return err
			}
			nt, err := note.Open([]byte(msg), verifiers)
			if err != nil {
				return fmt.Errorf("audit: checkpoint %d: signature: %w", size, err)
			}
			if len(nt.Sigs) < 2 {
				return fmt.Errorf("audit: checkpoint %d: needs the Ed25519 and the SM2 signature, has %d", size, len(nt.Sigs))
			}
			_, csize, croot, err := ParseCheckpoint(nt.Text)
			if err != nil || csize != size || base64.StdEncoding.EncodeToString(croot[:]) != root {
				return fmt.Errorf("audit: checkpoint %d: text does not match its record", size)
			}
			if size > n {
				return fmt.Errorf("audit: checkpoint %d: larger than the log (%d)", size, n)
			}
			want, err := tlog.TreeHash(size, reader)
			if err != nil {
				return err
			}
			if want != croot {
				return fmt.Errorf("audit: checkpoint %d: root differs from the recomputed tree", size)
			}
			rep.Checkpoints++
		}
		return crows.Err()
	})
	return rep, err
}

// leafOf is the first leaf a stored hash depends on.
func leafOf(storageIndex int64) int64 {
	// Walk the stored indexes of leaves until passing storageIndex.
	var lo, hi int64 = 0, 1 << 40
	for lo < hi {
		mid := (lo + hi) / 2
		if tlog.StoredHashIndex(0, mid) > storageIndex {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo - 1
}
