// Package audit is the tamper-evident log (节点留痕、过程可溯, R4.7): every
// domain event and every staff read of personal data appends a record in the
// transaction of what it records; a sequencer gives records their leaf
// indexes in a Merkle tree (golang.org/x/mod/sumdb/tlog); checkpoints are
// tree heads signed in the note format (golang.org/x/mod/sumdb/note) with
// Ed25519 and SM2. docs/AUDIT.md specifies the encodings.
package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/db"
)

// Record is one audited fact: who, in what role, did what to which object,
// when; the payload is referenced by its SHA-256.
type Record struct {
	ID            string    `json:"id"`
	Index         *int64    `json:"leaf_index,omitempty"`
	At            time.Time `json:"at"`
	Actor         string    `json:"actor"` // a user id, or "-" for none
	Role          string    `json:"role"`
	Action        string    `json:"action"`
	ObjectType    string    `json:"object_type"`
	ObjectID      string    `json:"object_id"`
	PayloadSHA256 string    `json:"payload_sha256"`
}

// LeafHeader opens every leaf: the format and its version.
const LeafHeader = "tongban-audit-record v1"

// Leaf is the record's leaf data, the bytes whose tlog.RecordHash is the
// Merkle leaf: fixed lines, each "key value\n", in this order (AUDIT.md).
// Values are single tokens without spaces or line breaks (Append checks).
func (r *Record) Leaf() []byte {
	var b strings.Builder
	b.WriteString(LeafHeader + "\n")
	fmt.Fprintf(&b, "id %s\n", r.ID)
	fmt.Fprintf(&b, "at %s\n", r.At.UTC().Format(time.RFC3339Nano))
	fmt.Fprintf(&b, "actor %s\n", r.Actor)
	fmt.Fprintf(&b, "role %s\n", r.Role)
	fmt.Fprintf(&b, "action %s\n", r.Action)
	fmt.Fprintf(&b, "object %s/%s\n", r.ObjectType, r.ObjectID)
	fmt.Fprintf(&b, "payload sha256:%s\n", r.PayloadSHA256)
	return []byte(b.String())
}

// token reports whether s may stand in a leaf line.
func token(s string) bool {
	return s != "" && !strings.ContainsAny(s, " \t\r\n/")
}

// PayloadHash is the hex SHA-256 of a payload.
func PayloadHash(payload []byte) string {
	h := sha256.Sum256(payload)
	return hex.EncodeToString(h[:])
}

// Append records r with its payload in the caller's transaction: the record
// is written with the change it records, or not at all. It is sequenced
// later (Sequencer); its ID, At and payload hash are set here.
func Append(tx *db.Tx, r *Record, payload []byte) error {
	return appendRecord(tx, r, PayloadHash(payload), payload)
}

// AppendRef records r for a payload kept elsewhere — a case event, whose row
// holds it — by the payload's hash alone: the record row stays small, and the
// payload is erased where it lives.
func AppendRef(tx *db.Tx, r *Record, payloadSHA256 string) error {
	return appendRecord(tx, r, payloadSHA256, nil)
}

func appendRecord(tx *db.Tx, r *Record, payloadSHA256 string, payload []byte) error {
	if err := stamp(r, tx.Now, payloadSHA256); err != nil {
		return err
	}
	return insertRecords(tx, []Record{*r}, [][]byte{payload})
}

// stamp checks that r's fields may stand in a leaf and gives it its id, its
// time (now, to the microsecond) and its payload's hash.
func stamp(r *Record, now time.Time, payloadSHA256 string) error {
	if r.Actor == "" {
		r.Actor = "-"
	}
	if r.Role == "" {
		r.Role = "-"
	}
	for _, v := range []string{r.Actor, r.Role, r.Action, r.ObjectType} {
		if !token(v) {
			return fmt.Errorf("audit: %q cannot stand in a record", v)
		}
	}
	if r.ObjectID == "" || strings.ContainsAny(r.ObjectID, " \t\r\n") {
		return fmt.Errorf("audit: object id %q cannot stand in a record", r.ObjectID)
	}
	// Microseconds: what both databases keep, so the leaf reads back the same.
	r.ID, r.At, r.PayloadSHA256 = db.NewID(), now.UTC().Truncate(time.Microsecond), payloadSHA256
	return nil
}

// Erase removes a record's payload (personal data that must be erasable,
// R9.3) and keeps the record: its leaf holds only the payload's hash, so the
// log still verifies. A payload not yet sequenced is erased where it waits.
func Erase(tx *db.Tx, recordID string) error {
	if _, err := tx.Exec(`UPDATE audit_records SET payload = NULL, erased_at = $1 WHERE id = $2`, tx.Now, recordID); err != nil {
		return err
	}
	_, err := tx.Exec(`UPDATE audit_pending SET payload = NULL WHERE id = $1`, recordID)
	return err
}
