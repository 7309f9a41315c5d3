package db

import (
	"context"
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
