package server

import (
	"context"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/notify"
)

var nextLink = regexp.MustCompile(`<a rel="next"[^>]* href="([^"]+)"`)

// The inbox is read page by page on the web and the API (issue 20): the
// page links to the next with its token, the API answers next; every
// notification once; bad tokens and sizes answer 400.
func TestInboxPagesOnWebAndAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		api := ts.URL + "/api/v1"
		tok := apiToken(t, api, "zhangsan")
		var uid string
		if err := d.Reader().QueryRow(`SELECT id FROM users WHERE username = 'zhangsan'`).Scan(&uid); err != nil {
			t.Fatal(err)
		}
		const n = 57
		err := d.Update(context.Background(), func(tx *db.Tx) error {
			for i := range n {
				if err := notify.Send(tx, uid, "", "deemed", notify.Message{Key: "notify.deemed", Args: map[string]any{"n": i}}, fmt.Sprint("page-", i)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		after := ""
		for pages := 0; ; pages++ {
			st, m := apiCall(t, "GET", api+"/notifications?per_page=20&after="+url.QueryEscape(after), tok, "")
			if st != 200 || pages > 5 {
				t.Fatalf("page %d: %d %v", pages, st, m)
			}
			for _, x := range m["notifications"].([]any) {
				id := x.(map[string]any)["id"].(string)
				if seen[id] {
					t.Fatalf("%s twice", id)
				}
				seen[id] = true
			}
			next, _ := m["next"].(string)
			if next == "" {
				break
			}
			after = next
		}
		if len(seen) < n {
			t.Fatalf("read %d of at least %d", len(seen), n)
		}

		c := ts.client()
		ts.webLogin(t, c, "zhangsan")
		r, _ := c.Get(ts.URL + "/notifications")
		b := body(t, r)
		m := nextLink.FindStringSubmatch(b)
		if r.StatusCode != 200 || m == nil {
			t.Fatalf("the first page: %d, a next link: %v", r.StatusCode, m != nil)
		}
		r, _ = c.Get(ts.URL + html.UnescapeString(m[1]))
		if b := body(t, r); r.StatusCode != 200 || !strings.Contains(b, `href="/notifications"`) || strings.Count(b, `class="notification`) == 0 {
			t.Fatalf("the second page: %d", r.StatusCode)
		}
		r, _ = c.Get(ts.URL + "/notifications?after=broken")
		if b := body(t, r); r.StatusCode != 400 || !strings.Contains(b, "翻页标记无效") {
			t.Fatalf("a broken token on the page: %d", r.StatusCode)
		}
	})
}
