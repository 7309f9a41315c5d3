package db

import (
	"math/bits"
	"math/rand/v2"
	"sync"
)

// Counter shards (issue 20). A figure every writer adds to — the day's
// statistics of an item — is kept in several rows, one per shard, and read
// as their sum: on PostgreSQL a transaction upserting its shard's row locks
// that row until it commits, so writers on one row queue behind each other's
// commits. Tx.Shard gives each write transaction of this process a shard no
// other transaction of the process holds at that moment, the lowest free:
// a lone writer always writes shard 0 (one row per figure, as before), eight
// writers at once write shards 0–7. A process adds a random base so that two
// replicas rarely share a shard; when they do, they only wait, as before.
// SQLite has one writer: its shard is always 0.

// Shards is the number of shards a counter can have: readers sum at most
// this many rows per figure.
const Shards = 64

// shardSet hands out the slots of concurrent write transactions.
type shardSet struct {
	mu   sync.Mutex
	used uint64 // bit i: slot i held
	base int
}

func newShardSet() *shardSet { return &shardSet{base: rand.IntN(Shards)} }

// take holds the lowest free slot; with all held (more concurrent writers
// than Shards), any slot: the writer then may wait, never miscount.
func (s *shardSet) take() (slot int, held bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.used == ^uint64(0) {
		return rand.IntN(Shards), false
	}
	slot = bits.TrailingZeros64(^s.used)
	s.used |= 1 << slot
	return slot, true
}

func (s *shardSet) put(slot int) {
	s.mu.Lock()
	s.used &^= 1 << slot
	s.mu.Unlock()
}

// Shard is the counter shard this transaction writes (see Shards): fixed for
// the transaction, and on PostgreSQL held by no other write transaction of
// this process until it ends.
func (tx *Tx) Shard() int {
	if tx.shards == nil {
		return 0
	}
	if tx.slot < 0 {
		slot, held := tx.shards.take()
		tx.slot = slot
		tx.held = held
	}
	return (tx.shards.base + tx.slot) % Shards
}

// releaseShard gives the transaction's slot back (it has ended).
func (tx *Tx) releaseShard() {
	if tx.shards != nil && tx.held {
		tx.shards.put(tx.slot)
		tx.held = false
	}
	tx.slot = -1
}
