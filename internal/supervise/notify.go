package supervise

import (
	"context"
	"encoding/json"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
)

// Message is a notification's text as a message key and its arguments,
// translated when shown (and when a channel delivers it). An argument that
// is itself a message key ("signal.level.red") is translated too.
type Message struct {
	Key  string         `json:"key"`
	Args map[string]any `json:"args,omitempty"`
}

// Notification is one entry of a user's in-app inbox (红灯提醒 and others).
type Notification struct {
	ID      string     `json:"id"`
	CaseID  string     `json:"case_id,omitempty"`
	CaseNo  string     `json:"case_no,omitempty"`
	Kind    string     `json:"kind"`
	Message Message    `json:"message"`
	Created time.Time  `json:"created_at"`
	ReadAt  *time.Time `json:"read_at,omitempty"`
}

// OutboxChannel is the channel outbox rows are written for until channels
// are configured per user: a short message to the user's phone.
const OutboxChannel = "sms"

// Notify puts a message in a user's inbox and in the outbox for delivery by
// later channels, in the caller's transaction. dedup names the cause: the
// same cause notifies a user once, however often it is recorded.
func Notify(tx *db.Tx, userID, caseID, kind string, msg Message, dedup string) error {
	id := db.NewID()
	body, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	var caseRef any
	if caseID != "" {
		caseRef = caseID
	}
	res, err := tx.Exec(`INSERT INTO notifications (id, user_id, case_id, kind, body, dedup, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (user_id, dedup) DO NOTHING`,
		id, userID, caseRef, kind, string(body), dedup, tx.Now)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err
	}
	_, err = tx.Exec(`INSERT INTO outbox (id, notification_id, channel, recipient, payload, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		db.NewID(), id, OutboxChannel, userID, string(body), tx.Now)
	return err
}

// Inbox lists a user's notifications, newest first, with the number unread.
func Inbox(ctx context.Context, d *db.DB, u *identity.User, limit int) ([]Notification, int, error) {
	if u == nil {
		return nil, 0, apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	out := []Notification{}
	var unread int
	err := d.View(ctx, func(tx *db.Tx) error {
		if err := tx.QueryRow(`SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL`, u.ID).Scan(&unread); err != nil {
			return err
		}
		rows, err := tx.Query(`SELECT n.id, COALESCE(n.case_id, ''), COALESCE(c.case_no, ''), n.kind, n.body, n.created_at, n.read_at
			FROM notifications n LEFT JOIN cases c ON c.id = n.case_id
			WHERE n.user_id = $1 ORDER BY n.created_at DESC, n.id DESC LIMIT $2`, u.ID, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var n Notification
			var body string
			var read *time.Time
			if err := rows.Scan(&n.ID, &n.CaseID, &n.CaseNo, &n.Kind, &body, &n.Created, &read); err != nil {
				return err
			}
			if err := json.Unmarshal([]byte(body), &n.Message); err != nil {
				return err
			}
			n.Created = n.Created.UTC()
			if read != nil {
				t := read.UTC()
				n.ReadAt = &t
			}
			out = append(out, n)
		}
		return rows.Err()
	})
	return out, unread, apperr.Internalf("supervise: inbox", err)
}

// MarkRead marks a user's notifications read: one, or all when id is "".
func MarkRead(ctx context.Context, d *db.DB, u *identity.User, id string) error {
	if u == nil {
		return apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	return apperr.Internalf("supervise: mark read", d.Update(ctx, func(tx *db.Tx) error {
		q := `UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL`
		args := []any{tx.Now, u.ID}
		if id != "" {
			q += ` AND id = $3`
			args = append(args, id)
		}
		_, err := tx.Exec(q, args...)
		return err
	}))
}
