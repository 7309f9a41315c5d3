package audit

import (
	"context"
	"database/sql"
	"errors"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/tongban/tongban/internal/db"
)

// Check is the outcome of checking one record against the latest signed
// checkpoint, as the case timeline's "verify" shows it.
type Check struct {
	Record     *Record `json:"record,omitempty"`
	Pending    bool    `json:"pending"`    // not in the tree yet (seconds)
	Unsigned   bool    `json:"unsigned"`   // in the tree, not yet under a checkpoint
	TreeSize   int64   `json:"tree_size"`  // of the checkpoint checked against
	Checkpoint string  `json:"checkpoint"` // the signed note
	Verified   bool    `json:"verified"`   // signatures and inclusion proof hold
	Problem    string  `json:"problem,omitempty"`
}

// CheckRecord checks the record id of an object against the latest archived
// checkpoint: the checkpoint's signatures (Ed25519 and SM2) and the record's
// inclusion proof, recomputed from the stored record.
func CheckRecord(ctx context.Context, d *db.DB, verifiers note.Verifiers, objectType, objectID, id string) (*Check, error) {
	c := &Check{}
	var r Record
	var index int64
	var msg string
	err := d.View(ctx, func(tx *db.Tx) error {
		err := tx.QueryRow(`SELECT leaf_index, id, at, actor_id, role, action, object_type, object_id, payload_sha256 FROM audit_records
			WHERE id = $1 AND object_type = $2 AND object_id = $3`, id, objectType, objectID).
			Scan(&index, &r.ID, &r.At, &r.Actor, &r.Role, &r.Action, &r.ObjectType, &r.ObjectID, &r.PayloadSHA256)
		if errors.Is(err, sql.ErrNoRows) {
			var n int
			if err := tx.QueryRow(`SELECT COUNT(*) FROM audit_pending WHERE id = $1 AND object_type = $2 AND object_id = $3`,
				id, objectType, objectID).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return sql.ErrNoRows
			}
			c.Pending = true
			return nil
		}
		if err != nil {
			return err
		}
		r.At, r.Index = r.At.UTC(), &index
		c.Record = &r
		err = tx.QueryRow(`SELECT size, note FROM audit_checkpoints ORDER BY size DESC LIMIT 1`).Scan(&c.TreeSize, &msg)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && c.TreeSize <= index) {
			c.Unsigned = true
			return nil
		}
		return err
	})
	if err != nil || c.Pending || c.Unsigned {
		return c, err
	}
	c.Checkpoint = msg
	n, err := note.Open([]byte(msg), verifiers)
	if err != nil {
		c.Problem = "checkpoint signature: " + err.Error()
		return c, nil
	}
	_, size, root, err := ParseCheckpoint(n.Text)
	if err != nil || size != c.TreeSize || len(n.Sigs) < 2 {
		c.Problem = "checkpoint text"
		return c, nil
	}
	_, proof, err := ProveRecord(ctx, d, index, size)
	if err != nil {
		return c, err
	}
	if err := tlog.CheckRecord(proof, size, root, index, tlog.RecordHash(r.Leaf())); err != nil {
		c.Problem = "inclusion: " + err.Error()
		return c, nil
	}
	c.Verified = true
	return c, nil
}
