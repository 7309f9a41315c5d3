package db

import (
	"context"
	"errors"
	"time"
)

// Lease takes or renews the named lease for holder until ttl from now and
// says whether holder holds it. Jobs that run in every replica but must act
// in one (the signal scanner, the audit sequencer) call it before each run:
// the holder renews its own lease; anyone may take an expired one. One
// upsert, so two replicas racing for an expired lease cannot both win.
func (d *DB) Lease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	var held bool
	err := d.Update(ctx, func(tx *Tx) error {
		now := tx.Now.UTC()
		res, err := tx.Exec(`INSERT INTO job_leases (name, holder, expires_at) VALUES ($1, $2, $3)
			ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
			WHERE job_leases.holder = excluded.holder OR job_leases.expires_at < $4`, name, holder, now.Add(ttl), now)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		held = n == 1
		return err
	})
	return held, err
}

// ReleaseLease gives the lease up (on shutdown), so another replica need not
// wait for it to expire.
func (d *DB) ReleaseLease(ctx context.Context, name, holder string) error {
	return d.Update(ctx, func(tx *Tx) error {
		_, err := tx.Exec(`DELETE FROM job_leases WHERE name = $1 AND holder = $2`, name, holder)
		return err
	})
}

// LeaseRan records that the holder of a lease finished a run (what
// operators and the supervision page show as the scanner's last pass).
func (d *DB) LeaseRan(ctx context.Context, name, holder string) error {
	return d.Update(ctx, func(tx *Tx) error {
		_, err := tx.Exec(`UPDATE job_leases SET last_run_at = $1 WHERE name = $2 AND holder = $3`, tx.Now.UTC(), name, holder)
		return err
	})
}

// Once runs a one-time data step (sealing what older versions stored in
// clear, say) at most once per database, however many replicas start at
// once: a step whose marker (a settings row "once:NAME") is set is skipped;
// otherwise the replica that takes the step's lease runs it, and the others
// go on without waiting — a step must leave the data readable at every point
// and be idempotent, since a replica that dies midway leaves it to the next
// start. fn calls renew between batches to keep the lease (it fails when
// the lease was lost). Once reports whether this call ran the step.
func (d *DB) Once(ctx context.Context, name, holder string, fn func(ctx context.Context, renew func() error) error) (bool, error) {
	const ttl = 5 * time.Minute
	key := "once:" + name
	marked := func() (bool, error) {
		var n int
		err := d.View(ctx, func(tx *Tx) error {
			return tx.QueryRow(`SELECT COUNT(*) FROM settings WHERE key = $1`, key).Scan(&n)
		})
		return n > 0, err
	}
	if done, err := marked(); err != nil || done {
		return false, err
	}
	held, err := d.Lease(ctx, key, holder, ttl)
	if err != nil || !held {
		return false, err
	}
	defer d.ReleaseLease(context.WithoutCancel(ctx), key, holder)
	// Another replica may have finished between the look and the lease.
	if done, err := marked(); err != nil || done {
		return false, err
	}
	renew := func() error {
		if held, err := d.Lease(ctx, key, holder, ttl); err != nil {
			return err
		} else if !held {
			return errors.New("db: lease of " + key + " lost")
		}
		return nil
	}
	if err := fn(ctx, renew); err != nil {
		return true, err
	}
	return true, d.Update(ctx, func(tx *Tx) error {
		_, err := tx.Exec(`INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, key, tx.Now.UTC().Format(time.RFC3339))
		return err
	})
}

// RewriteColumn rewrites a text column of table (keyed by a text id) row by
// row, in batches in id order, for one-time data steps (db.Once): fn gives a
// row's new text, or false to leave it. A row is rewritten only if it still
// holds the text read, so a concurrent change wins. renew is called after
// each batch. It returns how many rows it rewrote. table and column are
// the caller's constants, never input.
func (d *DB) RewriteColumn(ctx context.Context, renew func() error, table, column string, fn func(id, text string) (string, bool)) (int, error) {
	const batchSize = 500
	n, last := 0, ""
	for {
		type row struct{ id, text string }
		var batch []row
		err := d.View(ctx, func(tx *Tx) error {
			rs, err := tx.Query(`SELECT id, `+column+` FROM `+table+` WHERE id > $1 ORDER BY id LIMIT $2`, last, batchSize)
			if err != nil {
				return err
			}
			defer rs.Close()
			for rs.Next() {
				var r row
				if err := rs.Scan(&r.id, &r.text); err != nil {
					return err
				}
				batch = append(batch, r)
			}
			return rs.Err()
		})
		if err != nil || len(batch) == 0 {
			return n, err
		}
		last = batch[len(batch)-1].id
		var k int
		err = d.Update(ctx, func(tx *Tx) error {
			k = 0
			for _, r := range batch {
				text, ok := fn(r.id, r.text)
				if !ok {
					continue
				}
				res, err := tx.Exec(`UPDATE `+table+` SET `+column+` = $1 WHERE id = $2 AND `+column+` = $3`, text, r.id, r.text)
				if err != nil {
					return err
				}
				if m, _ := res.RowsAffected(); m == 1 {
					k++
				}
			}
			return nil
		})
		if err != nil {
			return n, err
		}
		n += k
		if err := renew(); err != nil {
			return n, err
		}
	}
}
