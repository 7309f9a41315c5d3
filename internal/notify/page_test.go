package notify_test

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/notify"
	"github.com/tongban/tongban/internal/paging"
)

// An inbox is read page by page with continuation tokens: every
// notification once, newest first (ties of one instant by id), even with
// notifications arriving between pages (newer than the reader's place, so
// on the first page when they come back to it); the unread count stops at
// the cap; bad tokens and sizes are refused.
func TestInboxPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Date(2026, 12, 8, 1, 0, 0, 0, time.UTC)
		d.SetClock(func() time.Time { return now })
		user := addUser(t, d, "u1")
		u := &identity.User{ID: user}
		box := &notify.Box{DB: d}
		send(t, d, user, "a", "b", "c", "d", "e", "f", "g") // one instant: ties
		now = now.Add(time.Minute)
		send(t, d, user, "h", "i", "j")
		type row struct {
			at time.Time
			id string
		}
		if _, err := box.Unread(ctx, u); err != nil { // settles them
			t.Fatal(err)
		}
		var want []row
		rows, err := d.Reader().Query(`SELECT created_at, id FROM notifications WHERE user_id = $1`, user)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.at, &r.id); err != nil {
				t.Fatal(err)
			}
			want = append(want, r)
		}
		rows.Close()
		if len(want) != 10 {
			t.Fatalf("%d notifications settled, want 10", len(want))
		}
		sort.Slice(want, func(i, j int) bool {
			if !want[i].at.Equal(want[j].at) {
				return want[i].at.After(want[j].at)
			}
			return want[i].id > want[j].id
		})
		var got []string
		after := ""
		for pages := 0; ; pages++ {
			if pages > 10 {
				t.Fatal("the pages do not end")
			}
			p, err := box.Page(ctx, u, after, 3)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Notifications) > 3 || (p.Next != "" && len(p.Notifications) != 3) {
				t.Fatalf("a page of %d, next %q", len(p.Notifications), p.Next)
			}
			for _, n := range p.Notifications {
				got = append(got, n.ID)
			}
			if pages == 0 {
				now = now.Add(time.Minute)
				send(t, d, user, "k", "l") // newer: not on the later pages
			}
			if p.Next == "" {
				break
			}
			after = p.Next
		}
		var wantIDs []string
		for _, r := range want {
			wantIDs = append(wantIDs, r.id)
		}
		if fmt.Sprint(got) != fmt.Sprint(wantIDs) {
			t.Errorf("pages read\n%v\nwant\n%v", got, wantIDs)
		}
		if p, err := box.Page(ctx, u, "", 100); err != nil || len(p.Notifications) != 12 || p.Unread != 12 || p.UnreadCapped || p.Next != "" {
			t.Fatalf("back on the first page: %v", err)
		}

		// Refusals.
		other := &identity.User{ID: addUser(t, d, "u2")}
		first, err := box.Page(ctx, u, "", 1)
		if err != nil || first.Next == "" {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name  string
			u     *identity.User
			after string
			per   int
			key   string
		}{
			{"malformed", u, "%%%", 10, "paging.token_malformed"},
			{"another's inbox", other, first.Next, 10, "paging.token_other_list"},
			{"too large", u, "", paging.MaxSize + 1, "paging.size_too_large"},
		} {
			_, err := box.Page(ctx, c.u, c.after, c.per)
			if e := apperr.As(err); e == nil || e.Code != apperr.Invalid || e.Key != c.key {
				t.Errorf("%s: %v, want %s", c.name, err, c.key)
			}
		}
		now = now.Add(paging.TTL + time.Minute)
		if _, err := box.Page(ctx, u, first.Next, 10); apperr.As(err) == nil || apperr.As(err).Key != "paging.token_expired" {
			t.Errorf("an expired token: %v", err)
		}

		// The unread count stops at the cap.
		many := make([]string, paging.CountCap+5)
		for i := range many {
			many[i] = fmt.Sprint("m", i)
		}
		send(t, d, other.ID, many...)
		if n, err := box.Unread(ctx, other); err != nil || n != paging.CountCap {
			t.Fatalf("unread of %d: %d, %v; want the cap", len(many), n, err)
		}
		if p, err := box.Page(ctx, other, "", 10); err != nil || !p.UnreadCapped || p.Unread != paging.CountCap {
			t.Fatalf("capped unread on a page: %+v, %v", p, err)
		}
	})
}
