package deliver

import (
	"context"
	"encoding/json"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/notify"
)

// ChannelStats are one channel's figures over all replicas.
type ChannelStats struct {
	Channel   string  `json:"channel"`
	Pending   int     `json:"pending"`    // queue depth
	OldestSec float64 `json:"oldest_sec"` // age of the oldest pending delivery
	Sent      int     `json:"sent"`
	Failed    int     `json:"failed"` // failed attempts, retried or not
	Dead      int     `json:"dead"`
	Cancelled int     `json:"cancelled"`
}

// Stats are the outbox's figures: outbox rows not yet expanded, and each
// channel's deliveries.
type Stats struct {
	Unexpanded int            `json:"unexpanded"`
	Channels   []ChannelStats `json:"channels"`
}

// Figures reads the outbox's figures at now: counts only, no personal data
// (the metrics endpoint serves them too).
func Figures(ctx context.Context, d *db.DB) (Stats, error) {
	var st Stats
	now := d.Now()
	err := d.View(ctx, func(tx *db.Tx) error {
		// Not yet expanded: notifications still pending settlement (notify.Settle)
		// and outbox rows not yet made deliveries.
		if err := tx.QueryRow(`SELECT (SELECT COUNT(*) FROM notify_pending) + (SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL)`).Scan(&st.Unexpanded); err != nil {
			return err
		}
		st.Channels = st.Channels[:0]
		for _, ch := range []string{ChannelSMS, ChannelEmail} {
			c := ChannelStats{Channel: ch}
			var oldest *time.Time
			rows, err := tx.Query(`SELECT state, COUNT(*), SUM(attempts) FROM deliveries WHERE channel = $1 GROUP BY state`, ch)
			if err != nil {
				return err
			}
			for rows.Next() {
				var state string
				var n int
				var attempts int64
				if err := rows.Scan(&state, &n, &attempts); err != nil {
					rows.Close()
					return err
				}
				switch state {
				case StatePending:
					c.Pending = n
					c.Failed += int(attempts)
				case StateSent:
					c.Sent = n
					c.Failed += int(attempts) - n // the last attempt of each was the good one
				case StateDead:
					c.Dead = n
					c.Failed += int(attempts)
				case StateCancelled:
					c.Cancelled = n
					c.Failed += int(attempts)
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			if c.Pending > 0 {
				// ORDER BY, not MIN(): SQLite's MIN returns the text, not a time.
				if err := tx.QueryRow(`SELECT created_at FROM deliveries WHERE channel = $1 AND state = 'pending' ORDER BY created_at LIMIT 1`, ch).Scan(&oldest); err != nil {
					return err
				}
				if oldest != nil {
					c.OldestSec = now.Sub(*oldest).Seconds()
				}
			}
			st.Channels = append(st.Channels, c)
		}
		return nil
	})
	return st, apperr.Internalf("deliver: figures", err)
}

// Letter is a dead delivery as administrators see it: the recipient by
// masked address, the message's key (not its text, which may hold personal
// data), how often it failed and why.
type Letter struct {
	ID        string    `json:"id"`
	Channel   string    `json:"channel"`
	To        string    `json:"to"` // masked
	Kind      string    `json:"kind"`
	Key       string    `json:"key"`
	CaseNo    string    `json:"case_no,omitempty"`
	Attempts  int       `json:"attempts"`
	LastError string    `json:"last_error"`
	Created   time.Time `json:"created_at"`
	Done      time.Time `json:"done_at"`
}

// admin lets through the installation's administrators (those whose grant
// covers the home region): the queue holds every region's notifications.
func admin(u *identity.User, home string) error {
	if u == nil {
		return apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	if !u.Installation(identity.RoleAdmin, home) {
		return apperr.E(apperr.Forbidden, "error.forbidden")
	}
	return nil
}

// DeadLetters lists the dead deliveries, newest first.
func DeadLetters(ctx context.Context, d *db.DB, u *identity.User, home string, limit int) ([]Letter, error) {
	if err := admin(u, home); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	out := []Letter{}
	err := d.View(ctx, func(tx *db.Tx) error {
		rows, err := tx.Query(`SELECT d.id, d.channel, COALESCE(CASE WHEN d.channel = 'sms' THEN k.phone_masked ELSE k.email_masked END, ''),
			n.kind, o.payload, COALESCE(c.case_no, ''), d.attempts, d.last_error, d.created_at, d.done_at
			FROM deliveries d JOIN outbox o ON o.id = d.outbox_id JOIN notifications n ON n.id = o.notification_id
			LEFT JOIN contacts k ON k.user_id = o.recipient LEFT JOIN cases c ON c.id = n.case_id
			WHERE d.state = 'dead' ORDER BY d.done_at DESC, d.id DESC LIMIT $1`, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var l Letter
			var payload string
			if err := rows.Scan(&l.ID, &l.Channel, &l.To, &l.Kind, &payload, &l.CaseNo, &l.Attempts, &l.LastError, &l.Created, &l.Done); err != nil {
				return err
			}
			var m notify.Message
			if json.Unmarshal([]byte(payload), &m) == nil {
				l.Key = m.Key
			}
			l.Created, l.Done = l.Created.UTC(), l.Done.UTC()
			out = append(out, l)
		}
		return rows.Err()
	})
	return out, apperr.Internalf("deliver: dead letters", err)
}

// Resend puts a dead delivery back in the queue with its attempts reset,
// recorded in the audit log. Its idempotency key stays: a gateway that saw
// it accepted drops it again.
func Resend(ctx context.Context, d *db.DB, u *identity.User, home, id string) error {
	if err := admin(u, home); err != nil {
		return err
	}
	return apperr.Internalf("deliver: resend", d.Update(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(`UPDATE deliveries SET state = 'pending', attempts = 0, next_at = $1, done_at = NULL,
			claimed_by = '', claim_until = NULL WHERE id = $2 AND state = 'dead'`, tx.Now, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.E(apperr.NotFound, "outbox.not_dead")
		}
		b, _ := json.Marshal(map[string]string{"delivery": id})
		return audit.Append(tx, &audit.Record{Actor: u.ID, Role: string(identity.RoleAdmin), Action: "outbox.resend",
			ObjectType: "delivery", ObjectID: id}, b)
	}))
}
