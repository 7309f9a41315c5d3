package server

import (
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
)

// 一次一评 through the API: a ticket served at the district hall's window is
// rated once by whoever holds it (no token), never by staff; a rating
// before the end of service, a second one, an unknown indicator are
// refused with their status and message, nothing written.
func TestVisitRatingAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		api := ts.URL + "/api/v1"
		admin, clerk, person := apiToken(t, api, "admin"), apiToken(t, api, "clerk"), apiToken(t, api, "zhangsan")
		var hall, win, item string
		if err := d.Reader().QueryRow(`SELECT h.id, w.id FROM halls h JOIN windows w ON w.hall_id = h.id WHERE h.region_code = '500102' AND w.number = '1'`).Scan(&hall, &win); err != nil {
			t.Fatal(err)
		}
		if err := d.Reader().QueryRow(`SELECT impl_code FROM items WHERE region_code = '500102' ORDER BY impl_code`).Scan(&item); err != nil {
			t.Fatal(err)
		}
		ok := func(want int) func(int, map[string]any) map[string]any {
			return func(st int, m map[string]any) map[string]any {
				t.Helper()
				if st != want {
					t.Fatalf("%d %v, want %d", st, m, want)
				}
				return m
			}
		}
		m := ok(201)(apiCall(t, "POST", api+"/admin/halls/"+hall+"/services", admin, `{"prefix":"V","name":"咨询","minutes":5,"windows":["`+win+`"]}`))
		sid := m["service"].(map[string]any)["id"].(string)
		take := func() string {
			m := ok(201)(apiCall(t, "POST", api+"/queue/tickets", clerk, `{"hall_id":"`+hall+`","service_id":"`+sid+`","source":"desk"}`))
			return m["ticket"].(map[string]any)["id"].(string)
		}
		ok(200)(apiCall(t, "POST", api+"/queue/session", clerk, `{"window_id":"`+win+`"}`))
		served := take()
		waiting := take()
		ok(200)(apiCall(t, "POST", api+"/queue/call-next", clerk, ``))
		ok(200)(apiCall(t, "POST", api+"/queue/tickets/"+served+"/actions", clerk, `{"action":"start"}`))
		ok(200)(apiCall(t, "POST", api+"/queue/tickets/"+served+"/actions", clerk, `{"action":"finish","outcome":"case","impl_code":"`+item+`"}`))

		count := func() int {
			var n int
			if err := d.Reader().QueryRow(`SELECT COUNT(*) FROM ratings WHERE subject_kind = 'visit'`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		rate := func(tok, id, body string) (int, map[string]any) {
			return apiCall(t, "POST", api+"/queue/tickets/"+id+"/rating", tok, body)
		}
		for _, c := range []struct {
			name, tok, id, body string
			status              int
			key                 string
		}{
			{"staff", clerk, served, `{"level":5}`, 403, "rating.staff"},
			{"not served", "", waiting, `{"level":5}`, 409, "rating.visit_not_served"},
			{"unknown ticket", "", db.NewID(), `{"level":5}`, 404, "queue.ticket_unknown"},
			{"bad without indicator", "", served, `{"level":2}`, 400, "rating.indicator_required"},
			{"unknown indicator", "", served, `{"level":1,"indicators":["onsite.nope"]}`, 400, "rating.indicator_unknown"},
			{"bad level", "", served, `{"level":7}`, 400, "rating.level_invalid"},
			{"unknown field", "", served, `{"level":5,"stars":5}`, 400, ""},
		} {
			st, m := rate(c.tok, c.id, c.body)
			if st != c.status || c.key != "" && m["message_key"] != c.key {
				t.Errorf("%s: %d %v, want %d %s", c.name, st, m, c.status, c.key)
			}
			if msg, _ := m["message"].(string); msg == "" || c.key != "" && strings.Contains(msg, c.key) {
				t.Errorf("%s: untranslated message %v", c.name, m)
			}
		}
		if n := count(); n != 0 {
			t.Fatalf("refusals wrote %d ratings", n)
		}
		m = ok(201)(rate("", served, `{"level":2,"indicators":["onsite.long_wait"],"comment":"等了很久"}`))
		r := m["rating"].(map[string]any)
		if r["subject_kind"] != "visit" || r["channel"] != "mobile" || r["order_id"] == "" || r["item_code"] != item {
			t.Fatalf("rating %v", r)
		}
		st, m := rate(person, served, `{"level":5}`)
		if st != 409 || m["message_key"] != "rating.visit_rated" {
			t.Fatalf("second rating: %d %v", st, m)
		}
		if n := count(); n != 1 {
			t.Fatalf("%d visit ratings, want 1", n)
		}
	})
}
