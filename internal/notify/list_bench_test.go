package notify_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/notify"
)

// BenchmarkInboxPages is the inbox over a large notifications table
// (TONGBAN_BENCH_ROWS, default 100,000) spread over 1,000 users, one of
// whom (a busy handler) holds a tenth of them, half unread: that user's
// first page and a deep one (the 100th) of 50, with the unread count
// capped; beside the anchor, a raw read of 50 of their rows by primary
// key. Rows are written directly (setup, outside the timer);
// TONGBAN_BENCH_DB=postgres runs it on PostgreSQL.
func BenchmarkInboxPages(b *testing.B) {
	n := 100000
	if v := os.Getenv("TONGBAN_BENCH_ROWS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatal(err)
		}
	}
	var d *db.DB
	if os.Getenv("TONGBAN_BENCH_DB") == "postgres" {
		d = dbtest.Postgres(b)
	} else {
		d = dbtest.SQLite(b)
	}
	ctx := context.Background()
	users := make([]string, 1000)
	err := d.Update(ctx, func(tx *db.Tx) error {
		for i := range users {
			users[i] = db.NewID()
			if _, err := tx.Exec(`INSERT INTO users (id, username, kind, display_name, password_hash, created_at, updated_at)
				VALUES ($1, $2, 'person', '张三', '-', $3, $3)`, users[i], fmt.Sprint("bench", i), tx.Now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const batch = 5000
	for done := 0; done < n; done += batch {
		err := d.Update(ctx, func(tx *db.Tx) error {
			for i := done; i < min(done+batch, n); i++ {
				u := users[i%len(users)]
				if i%10 == 0 {
					u = users[0] // the busy one: a tenth of every row
				}
				at := t0.Add(time.Duration(i) * 30 * time.Second)
				var read any
				if i%2 == 0 {
					read = at.Add(time.Hour)
				}
				if _, err := tx.Exec(`INSERT INTO notifications (id, user_id, kind, body, dedup, created_at, read_at) VALUES ($1, $2, 'remind', $3, $4, $5, $6)`,
					db.NewID(), u, `{"key":"notify.deemed","args":{"n":"x"}}`, strconv.Itoa(i), at, read); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("%d notifications written in %s", n, time.Since(start).Round(time.Second))
	box := &notify.Box{DB: d}
	busy := &identity.User{ID: users[0]}
	deep := ""
	for range 99 {
		p, err := box.Page(ctx, busy, deep, 50)
		if err != nil {
			b.Fatal(err)
		}
		if p.Next == "" {
			break
		}
		deep = p.Next
	}
	// The plans at this size: the keyset page and the capped unread count.
	for _, q := range []string{
		`SELECT n.id FROM notifications n LEFT JOIN cases c ON c.id = n.case_id WHERE n.user_id = $1 AND n.created_at <= $2 AND (n.created_at, n.id) < ($2, $3)
			ORDER BY n.created_at DESC, n.id DESC LIMIT 51`,
		`SELECT COUNT(*) FROM (SELECT 1 FROM notifications WHERE user_id = $1 AND read_at IS NULL AND $2 = $2 AND $3 = $3 LIMIT 1000) n`,
	} {
		prefix := "EXPLAIN QUERY PLAN "
		if d.Dialect == db.Postgres {
			prefix = "EXPLAIN "
		}
		rows, err := d.Reader().Query(prefix+q, busy.ID, t0.Add(time.Hour), "x")
		if err != nil {
			b.Fatal(err)
		}
		cols, _ := rows.Columns()
		var plan []string
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				b.Fatal(err)
			}
			plan = append(plan, fmt.Sprint(vals[len(vals)-1]))
		}
		rows.Close()
		b.Logf("plan of %s:\n  %s", strings.Join(strings.Fields(q), " "), strings.Join(plan, "\n  "))
	}
	run := func(name string, fn func() error) {
		b.Run(name, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for range b.N {
				t := time.Now()
				if err := fn(); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t))
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		})
	}
	run("first", func() error { _, err := box.Page(ctx, busy, "", 50); return err })
	run("deep", func() error { _, err := box.Page(ctx, busy, deep, 50); return err })
	run("unread", func() error { _, err := box.Unread(ctx, busy); return err })
	run("anchor_raw_50", func() error {
		return d.View(ctx, func(tx *db.Tx) error {
			rows, err := tx.Query(`SELECT id, kind, body, created_at FROM notifications WHERE user_id = $1 LIMIT 50`, busy.ID)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var id, k, body string
				var at time.Time
				if err := rows.Scan(&id, &k, &body, &at); err != nil {
					return err
				}
			}
			return rows.Err()
		})
	})
}
