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
	HashesHeld  int   `json:"hashes_held"` // at most one per bit of Records: memory does not grow with the log
}

// Verify recomputes the whole tree from the stored records, compares every
// stored hash, and checks every archived checkpoint: its signatures and its
// root. The first difference is returned as a *BadRecord (a record changed,
// missing or out of place) or an error naming the checkpoint.
//
// It streams: records, stored hashes and checkpoints are read in pages, in
// order, and only the hashes of the tree's right edge (the complete subtrees
// the next leaf joins, at most 64) are held, so memory does not grow with
// the log. A checkpoint is checked when the recomputation reaches its size.
func Verify(ctx context.Context, d *db.DB, verifiers note.Verifiers) (*VerifyReport, error) {
	rep := &VerifyReport{}
	err := d.View(ctx, func(tx *db.Tx) error {
		v := &verifier{tx: tx, verifiers: verifiers, edge: map[int64]tlog.Hash{}}
		for {
			more, err := v.page(ctx)
			if err != nil {
				return err
			}
			if !more {
				break
			}
		}
		// Checkpoints beyond the last record.
		if err := v.checkpointsUpTo(1 << 62); err != nil {
			return err
		}
		rep.Records, rep.Checkpoints, rep.HashesHeld = v.n, v.checked, v.held
		return nil
	})
	return rep, err
}

// verifyPage is how many records Verify reads at a time.
var verifyPage = 10000

// verifier is the state of a streaming Verify.
type verifier struct {
	tx        *db.Tx
	verifiers note.Verifiers
	edge      map[int64]tlog.Hash // the right edge of the tree of n leaves, by storage index
	n         int64               // records verified
	checked   int                 // checkpoints verified
	held      int                 // the most hashes held at once
	lastCk    int64               // the size of the last checkpoint read
	cks       []checkpointRow     // read and not yet reached
}

type checkpointRow struct {
	size      int64
	root, msg string
}

func (v *verifier) reader() tlog.HashReader {
	return tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			h, ok := v.edge[x]
			if !ok {
				return nil, fmt.Errorf("audit: verify: hash %d is not on the right edge", x)
			}
			out[i] = h
		}
		return out, nil
	})
}

// page verifies the next page of records against the stored hashes, and the
// checkpoints it reaches. Reports whether there was a record to verify.
func (v *verifier) page(ctx context.Context) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	type leaf struct {
		index int64
		data  []byte
	}
	var leaves []leaf
	rows, err := v.tx.Query(`SELECT leaf_index, id, at, actor_id, role, action, object_type, object_id, payload_sha256
		FROM audit_records WHERE leaf_index >= $1 ORDER BY leaf_index LIMIT `+fmt.Sprint(verifyPage), v.n)
	if err != nil {
		return false, err
	}
	for rows.Next() {
		var r Record
		var index int64
		if err := rows.Scan(&index, &r.ID, &r.At, &r.Actor, &r.Role, &r.Action, &r.ObjectType, &r.ObjectID, &r.PayloadSHA256); err != nil {
			rows.Close()
			return false, err
		}
		leaves = append(leaves, leaf{index, r.Leaf()})
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(leaves) == 0 {
		return false, err
	}
	// The stored hashes these leaves produce, in storage order.
	lo := tlog.StoredHashIndex(0, v.n)
	hi := tlog.StoredHashIndex(0, v.n+int64(len(leaves)))
	stored := make([][]byte, 0, hi-lo)
	hrows, err := v.tx.Query(`SELECT idx, hash FROM audit_hashes WHERE idx >= $1 AND idx < $2 ORDER BY idx`, lo, hi)
	if err != nil {
		return false, err
	}
	for hrows.Next() {
		var idx int64
		var b []byte
		if err := hrows.Scan(&idx, &b); err != nil {
			hrows.Close()
			return false, err
		}
		if idx != lo+int64(len(stored)) {
			hrows.Close()
			return false, &BadRecord{Index: leafOf(lo + int64(len(stored))), Reason: "stored hash missing"}
		}
		stored = append(stored, b)
	}
	hrows.Close()
	if err := hrows.Err(); err != nil {
		return false, err
	}
	k := 0 // next stored hash to compare
	for _, l := range leaves {
		if l.index != v.n {
			return false, &BadRecord{Index: v.n, Reason: "missing"}
		}
		// Every stored hash must be the recomputed one: a changed record
		// changes its leaf hash and the hashes above it.
		hashes, err := tlog.StoredHashes(v.n, l.data, v.reader())
		if err != nil {
			return false, err
		}
		base := tlog.StoredHashIndex(0, v.n)
		for i, h := range hashes {
			if k >= len(stored) || string(stored[k]) != string(h[:]) {
				return false, &BadRecord{Index: leafOf(base + int64(i)), Reason: "stored hash differs from the recomputed tree"}
			}
			k++
		}
		v.add(hashes, base)
		if err := v.checkpointsUpTo(v.n); err != nil {
			return false, err
		}
	}
	return true, nil
}

// add puts leaf v.n's stored hashes (the leaf, then each subtree it
// completes) on the right edge, and takes off what they cover: the left
// siblings they joined and the intermediate subtrees. What stays is the
// roots of the maximal complete subtrees of the tree of v.n+1 leaves — all a
// later leaf or a checkpoint at that size can ask for.
func (v *verifier) add(hashes []tlog.Hash, base int64) {
	top := len(hashes) - 1 // the levels the leaf completes
	for level := 0; level < top; level++ {
		delete(v.edge, tlog.StoredHashIndex(level, (v.n>>level)-1)) // the left sibling joined
	}
	v.edge[base+int64(top)] = hashes[top]
	v.held = max(v.held, len(v.edge))
	v.n++
}

// checkpointsUpTo verifies the archived checkpoints of sizes up to n, which
// must not exceed the records verified so far.
func (v *verifier) checkpointsUpTo(n int64) error {
	for {
		if len(v.cks) == 0 {
			rows, err := v.tx.Query(`SELECT size, root, note FROM audit_checkpoints WHERE size > $1 ORDER BY size LIMIT 1000`, v.lastCk)
			if err != nil {
				return err
			}
			for rows.Next() {
				var c checkpointRow
				if err := rows.Scan(&c.size, &c.root, &c.msg); err != nil {
					rows.Close()
					return err
				}
				v.cks = append(v.cks, c)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			if len(v.cks) == 0 {
				return nil
			}
			v.lastCk = v.cks[len(v.cks)-1].size
		}
		c := v.cks[0]
		if c.size > n {
			return nil
		}
		if c.size > v.n {
			return fmt.Errorf("audit: checkpoint %d: larger than the log (%d)", c.size, v.n)
		}
		if err := v.checkpoint(c); err != nil {
			return err
		}
		v.cks = v.cks[1:]
		v.checked++
	}
}

// checkpoint checks one checkpoint at the size the recomputation has reached.
func (v *verifier) checkpoint(c checkpointRow) error {
	nt, err := note.Open([]byte(c.msg), v.verifiers)
	if err != nil {
		return fmt.Errorf("audit: checkpoint %d: signature: %w", c.size, err)
	}
	if len(nt.Sigs) < 2 {
		return fmt.Errorf("audit: checkpoint %d: needs the Ed25519 and the SM2 signature, has %d", c.size, len(nt.Sigs))
	}
	_, csize, croot, err := ParseCheckpoint(nt.Text)
	if err != nil || csize != c.size || base64.StdEncoding.EncodeToString(croot[:]) != c.root {
		return fmt.Errorf("audit: checkpoint %d: text does not match its record", c.size)
	}
	want, err := tlog.TreeHash(c.size, v.reader())
	if err != nil {
		return err
	}
	if want != croot {
		return fmt.Errorf("audit: checkpoint %d: root differs from the recomputed tree", c.size)
	}
	return nil
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
