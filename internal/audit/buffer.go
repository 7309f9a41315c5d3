package audit

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tongban/tongban/internal/db"
)

// Buffer holds the records of reads — a staff member's view of personal
// data, which changes nothing else — and writes them in one transaction per
// batch, at most Delay after the first of the batch was added or as soon as
// Size wait, whichever comes first (issue 20): a read answers without a write
// transaction of its own. Each replica buffers its own reads. A record is
// stamped (id, time) when it is added, so it keeps the time of the read;
// it takes its place in the log (audit_pending, then its leaf) when written.
//
// Close writes what waits (a clean shutdown loses nothing); a crash loses
// what waits unwritten — at most Delay's worth of reads (docs/AUDIT.md).
type Buffer struct {
	DB    *db.DB
	Delay time.Duration // the longest a record waits unwritten; 0: one second
	Size  int           // a batch this large is written at once; 0: 256
	// OnError is told of a batch that could not be written (it stays
	// buffered and is tried again after Delay); nil: ignored.
	OnError func(error)

	flushing sync.Mutex // one batch at a time, in the order added
	mu       sync.Mutex
	recs     []Record
	timer    *time.Timer
	kicked   bool // a full batch's write is on its way
	closed   bool
}

func (b *Buffer) delay() time.Duration {
	if b.Delay <= 0 {
		return time.Second
	}
	return b.Delay
}

func (b *Buffer) size() int {
	if b.Size <= 0 {
		return 256
	}
	return b.Size
}

// Add stamps r (its id, its time: now) and holds it to be written with the
// batch. When the database cannot take the batches as fast as they come and
// four batches wait, Add writes them before it returns (the reader waits
// rather than memory growing or reads going unrecorded). After Close, Add
// writes r in its own transaction.
func (b *Buffer) Add(ctx context.Context, r *Record) error {
	if err := stamp(r, b.DB.Now(), PayloadHash(nil)); err != nil {
		return err
	}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return b.DB.Update(context.WithoutCancel(ctx), func(tx *db.Tx) error { return insertRecords(tx, []Record{*r}, nil) })
	}
	b.recs = append(b.recs, *r)
	n := len(b.recs)
	if b.timer == nil {
		b.timer = time.AfterFunc(b.delay(), b.flushLater)
	}
	kick := n >= b.size() && !b.kicked
	b.kicked = b.kicked || kick
	b.mu.Unlock()
	if n >= 4*b.size() {
		return b.Flush(context.WithoutCancel(ctx))
	}
	if kick {
		go b.flushLater()
	}
	return nil
}

// flushLater writes the batch from a timer or a full buffer.
func (b *Buffer) flushLater() {
	if err := b.Flush(context.Background()); err != nil && b.OnError != nil {
		b.OnError(err)
	}
}

// Flush writes every record waiting, in one transaction (tests call it to
// see the reads they made). On failure the records stay buffered, ahead of
// newer ones, and are tried again after Delay.
func (b *Buffer) Flush(ctx context.Context) error {
	b.flushing.Lock()
	defer b.flushing.Unlock()
	b.mu.Lock()
	batch := b.recs
	b.recs, b.kicked = nil, false
	if b.timer != nil {
		b.timer.Stop()
		b.timer = nil
	}
	b.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	err := b.DB.Update(ctx, func(tx *db.Tx) error { return insertRecords(tx, batch, nil) })
	if err != nil {
		b.mu.Lock()
		b.recs = append(batch, b.recs...)
		if b.timer == nil && !b.closed {
			b.timer = time.AfterFunc(b.delay(), b.flushLater)
		}
		b.mu.Unlock()
	}
	return err
}

// Pending is how many records wait unwritten.
func (b *Buffer) Pending() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.recs)
}

// Close writes what waits; records added afterwards are written one by one.
// The server calls it when it stops serving, after the last request.
func (b *Buffer) Close(ctx context.Context) error {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	return b.Flush(ctx)
}

// insertChunk is how many records one INSERT statement carries (the
// statement text stays one of two, so prepared statements are reused).
const insertChunk = 32

const insertHead = `INSERT INTO audit_pending (id, at, actor_id, role, action, object_type, object_id, payload_sha256, payload) VALUES `

var insertMany = func() string {
	var s strings.Builder
	s.WriteString(insertHead)
	for i := range insertChunk {
		if i > 0 {
			s.WriteString(", ")
		}
		s.WriteString("(")
		for j := range 9 {
			if j > 0 {
				s.WriteString(", ")
			}
			s.WriteString("$")
			s.WriteString(strconv.Itoa(i*9 + j + 1))
		}
		s.WriteString(")")
	}
	return s.String()
}()

// insertRecords appends stamped records to audit_pending in order;
// payloads[i] is recs[i]'s payload (nil: none, or the slice may be nil).
func insertRecords(tx *db.Tx, recs []Record, payloads [][]byte) error {
	args := func(i int) []any {
		r := &recs[i]
		var body any
		if i < len(payloads) && len(payloads[i]) > 0 {
			body = string(payloads[i])
		}
		return []any{r.ID, r.At, r.Actor, r.Role, r.Action, r.ObjectType, r.ObjectID, r.PayloadSHA256, body}
	}
	i := 0
	for ; i+insertChunk <= len(recs); i += insertChunk {
		all := make([]any, 0, 9*insertChunk)
		for j := i; j < i+insertChunk; j++ {
			all = append(all, args(j)...)
		}
		if _, err := tx.Exec(insertMany, all...); err != nil {
			return err
		}
	}
	for ; i < len(recs); i++ {
		if _, err := tx.Exec(insertHead+`($1, $2, $3, $4, $5, $6, $7, $8, $9)`, args(i)...); err != nil {
			return err
		}
	}
	return nil
}
