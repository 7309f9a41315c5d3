package notify_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/notify"
)

func addUser(t *testing.T, d *db.DB, name string) string {
	t.Helper()
	id := db.NewID()
	err := d.Update(context.Background(), func(tx *db.Tx) error {
		_, err := tx.Exec(`INSERT INTO users (id, username, kind, display_name, password_hash, created_at, updated_at)
			VALUES ($1, $2, 'person', '张三', '-', $3, $3)`, id, name, tx.Now)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func send(t *testing.T, d *db.DB, user string, dedups ...string) {
	t.Helper()
	err := d.Update(context.Background(), func(tx *db.Tx) error {
		for _, dedup := range dedups {
			if err := notify.Send(tx, user, "", "deemed", notify.Message{Key: "notify.deemed", Args: map[string]any{"n": dedup}}, dedup); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// counts are a user's notifications, outbox rows, outbox rows that carry
// their notification's body and time, and rows still pending.
func counts(t *testing.T, d *db.DB, user string) [4]int {
	t.Helper()
	var c [4]int
	r := d.Reader()
	for i, q := range []string{
		`SELECT COUNT(*) FROM notifications WHERE user_id = $1`,
		`SELECT COUNT(*) FROM outbox WHERE recipient = $1`,
		`SELECT COUNT(*) FROM outbox o JOIN notifications n ON n.id = o.notification_id
			WHERE o.recipient = $1 AND o.payload = n.body AND o.channel = 'sms' AND o.created_at = n.created_at`,
		`SELECT COUNT(*) FROM notify_pending WHERE user_id = $1`,
	} {
		if err := r.QueryRow(q, user).Scan(&c[i]); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// A cause notifies a user once, however often it is sent: in one
// transaction, in one batch, or after the first was settled. Each
// notification written gets its outbox row; a dropped repeat gets none.
func TestSendOncePerCause(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		user := addUser(t, d, "u1")
		send(t, d, user, "a", "a", "b")
		if got := counts(t, d, user); got != [4]int{0, 0, 0, 3} {
			t.Fatalf("before settling: %v, want nothing settled and 3 pending", got)
		}
		// Sent sees a pending cause, as the owed-materials reminder asks.
		err := d.View(ctx, func(tx *db.Tx) error {
			for dedup, want := range map[string]bool{"a": true, "b": true, "c": false} {
				if got, err := notify.Sent(tx, user, dedup); err != nil || got != want {
					return fmt.Errorf("Sent(%s) = %v, %v; want %v", dedup, got, err, want)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if n, err := notify.Settle(ctx, d); err != nil || n != 3 {
			t.Fatalf("settled %d, %v; want 3", n, err)
		}
		if got := counts(t, d, user); got != [4]int{2, 2, 2, 0} {
			t.Fatalf("after settling: %v, want 2 notifications with 2 matching outbox rows", got)
		}
		// A repeat after settling is dropped too; a new cause is written.
		send(t, d, user, "b", "c")
		if _, err := notify.Settle(ctx, d); err != nil {
			t.Fatal(err)
		}
		if got := counts(t, d, user); got != [4]int{3, 3, 3, 0} {
			t.Fatalf("after the second settling: %v, want 3 notifications", got)
		}
		// The first of a repeated cause is the one kept.
		var body string
		if err := d.Reader().QueryRow(`SELECT body FROM notifications WHERE user_id = $1 AND dedup = 'a'`, user).Scan(&body); err != nil || body != `{"key":"notify.deemed","args":{"n":"a"}}` {
			t.Fatalf("kept %q, %v", body, err)
		}
	})
}

// Reading an inbox settles what was sent to its owner first: the reader
// never sees the inbox behind.
func TestInboxSettlesFirst(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		user := addUser(t, d, "u1")
		send(t, d, user, "a", "b")
		box := &notify.Box{DB: d}
		u := &identity.User{ID: user}
		if n, err := box.Unread(ctx, u); err != nil || n != 2 {
			t.Fatalf("unread %d, %v; want 2", n, err)
		}
		send(t, d, user, "c")
		list, unread, err := box.Inbox(ctx, u, 10)
		if err != nil || len(list) != 3 || unread != 3 {
			t.Fatalf("inbox %d entries, %d unread, %v; want 3, 3", len(list), unread, err)
		}
		send(t, d, user, "d")
		if err := box.MarkRead(ctx, u, ""); err != nil {
			t.Fatal(err)
		}
		if n, err := box.Unread(ctx, u); err != nil || n != 0 {
			t.Fatalf("after marking all read: unread %d, %v; want 0 (the pending one too)", n, err)
		}
	})
}

// Settlers in several replicas at once (PostgreSQL: SKIP LOCKED) settle
// every pending row exactly once, across batches: nothing lost, no outbox
// row twice.
func TestSettleConcurrently(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		users := []string{addUser(t, d, "u1"), addUser(t, d, "u2"), addUser(t, d, "u3")}
		const per = 900 // three batches of 1000 over three users
		for _, u := range users {
			var dedups []string
			for i := range per {
				dedups = append(dedups, fmt.Sprintf("cause-%d", i%(per-100))) // 100 repeats each
			}
			send(t, d, u, dedups...)
		}
		var wg sync.WaitGroup
		moved := make([]int, 4)
		errs := make([]error, 4)
		for i := range 4 {
			wg.Go(func() { moved[i], errs[i] = notify.Settle(ctx, d) })
		}
		wg.Wait()
		total := 0
		for i := range 4 {
			if errs[i] != nil {
				t.Fatal(errs[i])
			}
			total += moved[i]
		}
		if total != 3*per {
			t.Errorf("settled %d rows in all, want %d", total, 3*per)
		}
		for _, u := range users {
			if got := counts(t, d, u); got != [4]int{per - 100, per - 100, per - 100, 0} {
				t.Errorf("user %s: %v, want %d of each and nothing pending", u, got, per-100)
			}
		}
	})
}

// SendAll tells every recipient once — more than one statement's worth,
// an empty id skipped, a repeated recipient once (its cause is the same) —
// each with the same message, in the order given.
func TestSendAll(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		var users []string
		for i := range 130 {
			users = append(users, addUser(t, d, fmt.Sprintf("u%d", i)))
		}
		to := append([]string{""}, users...)
		to = append(to, users[0])
		err := d.Update(ctx, func(tx *db.Tx) error {
			return notify.SendAll(tx, to, "", "deemed", notify.Message{Key: "notify.deemed", Args: map[string]any{"n": "x"}}, "x")
		})
		if err != nil {
			t.Fatal(err)
		}
		var order []string
		rows, err := d.Reader().Query(`SELECT user_id FROM notify_pending ORDER BY seq`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var u string
			if err := rows.Scan(&u); err != nil {
				t.Fatal(err)
			}
			order = append(order, u)
		}
		rows.Close()
		if len(order) != 131 || order[0] != users[0] || order[129] != users[129] || order[130] != users[0] {
			t.Fatalf("pending in order %d rows", len(order))
		}
		if n, err := notify.Settle(ctx, d); err != nil || n != 131 {
			t.Fatalf("settled %d, %v", n, err)
		}
		for _, u := range []string{users[0], users[64], users[129]} {
			if got := counts(t, d, u); got != [4]int{1, 1, 1, 0} {
				t.Fatalf("%s: %v, want one notification and its outbox row", u, got)
			}
		}
	})
}
