package notify_test

import (
	"context"
	"testing"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/notify"
)

// Send writes a notification and its outbox row together, once per cause:
// a repeat writes neither (PostgreSQL writes both in one statement).
func TestSendOncePerCause(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		user := db.NewID()
		err := d.Update(ctx, func(tx *db.Tx) error {
			if _, err := tx.Exec(`INSERT INTO users (id, username, kind, display_name, password_hash, created_at, updated_at)
				VALUES ($1, 'u1', 'person', '张三', '-', $2, $2)`, user, tx.Now); err != nil {
				return err
			}
			for _, dedup := range []string{"a", "a", "b"} {
				if err := notify.Send(tx, user, "", "deemed", notify.Message{Key: "notify.deemed"}, dedup); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var n, o, joined int
		d.Reader().QueryRow(`SELECT COUNT(*) FROM notifications WHERE user_id = $1`, user).Scan(&n)
		d.Reader().QueryRow(`SELECT COUNT(*) FROM outbox WHERE recipient = $1`, user).Scan(&o)
		d.Reader().QueryRow(`SELECT COUNT(*) FROM outbox o JOIN notifications n ON n.id = o.notification_id
			WHERE o.payload = n.body AND o.channel = 'sms' AND o.created_at = n.created_at`).Scan(&joined)
		if n != 2 || o != 2 || joined != 2 {
			t.Fatalf("%d notifications, %d outbox rows, %d matching", n, o, joined)
		}
	})
}
