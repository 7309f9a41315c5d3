package notify

import (
	"context"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/db"
)

// settleBatch is how many pending notifications one transaction settles.
const settleBatch = 1000

// Settle moves every pending notification into the inbox and the outbox,
// in transactions of settleBatch, and says how many it moved (repeats of a
// cause included: they are dropped). Any replica may settle at any time:
// on PostgreSQL concurrent settlers take disjoint rows (SKIP LOCKED); SQLite
// has one writer.
func Settle(ctx context.Context, d *db.DB) (int, error) {
	// Nothing pending (the usual case of a reader) costs one read, not a
	// write transaction (SQLite's writer lock).
	var pending bool
	err := d.View(ctx, func(tx *db.Tx) error {
		return tx.QueryRow(`SELECT EXISTS (SELECT 1 FROM notify_pending)`).Scan(&pending)
	})
	if err != nil || !pending {
		return 0, apperr.Internalf("notify: settle", err)
	}
	total := 0
	for {
		n, err := settleOnce(ctx, d)
		total += n
		if err != nil || n < settleBatch {
			return total, apperr.Internalf("notify: settle", err)
		}
	}
}

// SettleFor settles pending notifications when any is for user: what a
// reader of the user's inbox does first, so that the inbox is never behind
// what was sent. Nothing pending for the user costs one read.
func SettleFor(ctx context.Context, d *db.DB, userID string) error {
	var pending bool
	err := d.View(ctx, func(tx *db.Tx) error {
		return tx.QueryRow(`SELECT EXISTS (SELECT 1 FROM notify_pending WHERE user_id = $1)`, userID).Scan(&pending)
	})
	if err != nil || !pending {
		return apperr.Internalf("notify: settle", err)
	}
	_, err = Settle(ctx, d)
	return err
}

// Sent says whether the cause dedup has notified user, settled or pending.
func Sent(tx *db.Tx, userID, dedup string) (bool, error) {
	var sent bool
	err := tx.QueryRow(`SELECT EXISTS (SELECT 1 FROM notifications WHERE user_id = $1 AND dedup = $2)
		OR EXISTS (SELECT 1 FROM notify_pending WHERE user_id = $1 AND dedup = $2)`, userID, dedup).Scan(&sent)
	return sent, err
}

// settleOnce settles up to settleBatch pending rows in one transaction: the
// notifications (a repeated cause dropped by the key (user_id, dedup)), an
// outbox row for each notification written, with the notification's id,
// and the pending rows deleted — three statements whatever the batch.
func settleOnce(ctx context.Context, d *db.DB) (int, error) {
	var n int
	err := d.Update(ctx, func(tx *db.Tx) error {
		n = 0
		if tx.Dialect == db.Postgres {
			// One statement: take a batch no other settler holds, write it.
			return tx.QueryRow(`WITH p AS (
				DELETE FROM notify_pending WHERE seq IN (SELECT seq FROM notify_pending ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED)
				RETURNING seq, id, user_id, case_id, kind, body, dedup, created_at),
			n AS (INSERT INTO notifications (id, user_id, case_id, kind, body, dedup, created_at)
				SELECT DISTINCT ON (user_id, dedup) id, user_id, case_id, kind, body, dedup, created_at FROM p ORDER BY user_id, dedup, seq
				ON CONFLICT (user_id, dedup) DO NOTHING RETURNING id, user_id, body, created_at),
			o AS (INSERT INTO outbox (id, notification_id, channel, recipient, payload, created_at)
				SELECT id, id, $2, user_id, body, created_at FROM n)
			SELECT COUNT(*) FROM p`, settleBatch, OutboxChannel).Scan(&n)
		}
		var last int64
		if err := tx.QueryRow(`SELECT COALESCE(MAX(seq), 0), COUNT(*) FROM (SELECT seq FROM notify_pending ORDER BY seq LIMIT $1)`, settleBatch).Scan(&last, &n); err != nil || n == 0 {
			return err
		}
		// The first of a repeated cause wins, as when it was written at once.
		if _, err := tx.Exec(`INSERT INTO notifications (id, user_id, case_id, kind, body, dedup, created_at)
			SELECT id, user_id, case_id, kind, body, dedup, created_at FROM notify_pending WHERE seq <= $1 ORDER BY seq
			ON CONFLICT (user_id, dedup) DO NOTHING`, last); err != nil {
			return err
		}
		if _, err := tx.Exec(`INSERT INTO outbox (id, notification_id, channel, recipient, payload, created_at)
			SELECT p.id, p.id, $2, p.user_id, p.body, p.created_at FROM notify_pending p JOIN notifications n ON n.id = p.id
			WHERE p.seq <= $1`, last, OutboxChannel); err != nil {
			return err
		}
		_, err := tx.Exec(`DELETE FROM notify_pending WHERE seq <= $1`, last)
		return err
	})
	return n, err
}
