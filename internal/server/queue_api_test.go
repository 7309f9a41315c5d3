package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
)

// The hall's queue through the API (issue 19): a service made, a ticket
// taken at the desk, called, served and finished into intake; every bad
// input refused with its status and a message in the asked language,
// nothing half-written.
func TestQueueAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		api := ts.URL + "/api/v1"
		admin, clerk, person := apiToken(t, api, "admin"), apiToken(t, api, "clerk"), apiToken(t, api, "zhangsan")
		var hall, win string
		if err := d.Reader().QueryRow(`SELECT h.id, w.id FROM halls h JOIN windows w ON w.hall_id = h.id WHERE h.region_code = '500102' AND w.number = '1'`).Scan(&hall, &win); err != nil {
			t.Fatal(err)
		}
		var item string
		if err := d.Reader().QueryRow(`SELECT impl_code FROM items WHERE region_code = '500102' ORDER BY impl_code`).Scan(&item); err != nil {
			t.Fatal(err)
		}
		tickets := func() int {
			var n int
			if err := d.Reader().QueryRow(`SELECT COUNT(*) FROM queue_tickets`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		want := func(st int, m map[string]any, status int, key string) {
			t.Helper()
			if st != status || m["message_key"] != key {
				t.Fatalf("%d %v, want %d %s", st, m, status, key)
			}
			if msg, _ := m["message"].(string); msg == "" || strings.Contains(msg, key) {
				t.Fatalf("untranslated message: %v", m)
			}
		}

		st, m := apiCall(t, "POST", api+"/admin/halls/"+hall+"/services", admin, `{"prefix":"a","name":"综合受理","minutes":10}`)
		want(st, m, 400, "catalog.at")
		st, m = apiCall(t, "POST", api+"/admin/halls/"+hall+"/services", admin, `{"prefix":"A","name":"综合受理","minutes":10,"items":["`+item+`"],"windows":["`+win+`"]}`)
		if st != 201 {
			t.Fatalf("create: %d %v", st, m)
		}
		svc := m["service"].(map[string]any)["id"].(string)
		st, m = apiCall(t, "POST", api+"/admin/halls/"+hall+"/services", admin, `{"prefix":"A","name":"另一个","minutes":10}`)
		want(st, m, 409, "queue.prefix_taken")

		// Taking: bad input writes nothing.
		for _, c := range []struct {
			tok, body string
			status    int
			key       string
		}{
			{clerk, `{"hall_id":"` + hall + `","service_id":"` + svc + `","source":"fax"}`, 400, "queue.source"},
			{clerk, `{"hall_id":"` + hall + `","service_id":"` + svc + `","source":"kiosk"}`, 400, "queue.kiosk_page"},
			{clerk, `{"hall_id":"` + hall + `","service_id":"` + svc + `","source":"desk","priority":"vip"}`, 400, "queue.priority_unknown"},
			{clerk, `{"hall_id":"no-such-hall","service_id":"` + svc + `","source":"desk"}`, 404, "queue.hall_unknown"},
			{person, `{"hall_id":"` + hall + `","service_id":"` + svc + `","source":"desk"}`, 403, "queue.forbidden_hall"},
		} {
			st, m := apiCall(t, "POST", api+"/queue/tickets", c.tok, c.body)
			want(st, m, c.status, c.key)
		}
		if n := tickets(); n != 0 {
			t.Fatalf("%d tickets written by refusals", n)
		}
		st, m = apiCall(t, "POST", api+"/queue/tickets", clerk, `{"hall_id":"`+hall+`","service_id":"`+svc+`","source":"desk","priority":"elderly70"}`)
		if st != 201 || m["ticket"].(map[string]any)["number"] != "A001" {
			t.Fatalf("take: %d %v", st, m)
		}
		tk := m["ticket"].(map[string]any)["id"].(string)
		st, m = apiCall(t, "POST", api+"/queue/tickets", person, `{"hall_id":"`+hall+`","service_id":"`+svc+`","source":"online","near_alert":true}`)
		if st != 201 || m["ticket"].(map[string]any)["ahead"] != float64(1) {
			t.Fatalf("online: %d %v", st, m)
		}

		// The console: not signed on, then signed on and calling.
		st, m = apiCall(t, "POST", api+"/queue/call-next", clerk, ``)
		want(st, m, 409, "queue.not_signed_on")
		st, m = apiCall(t, "POST", api+"/queue/call-next", person, ``)
		if st != 403 {
			t.Fatalf("a person calling: %d %v", st, m)
		}
		if st, m := apiCall(t, "POST", api+"/queue/session", clerk, `{"window_id":"`+win+`"}`); st != 200 {
			t.Fatalf("sign on: %d %v", st, m)
		}
		st, m = apiCall(t, "POST", api+"/queue/session", admin, `{"window_id":"`+win+`"}`)
		want(st, m, 409, "queue.window_taken")
		st, m = apiCall(t, "POST", api+"/queue/call-next", clerk, ``)
		if st != 200 || m["ticket"].(map[string]any)["id"] != tk {
			t.Fatalf("call next: %d %v", st, m)
		}
		st, m = apiCall(t, "POST", api+"/queue/tickets/"+tk+"/actions", clerk, `{"action":"dance"}`)
		want(st, m, 400, "queue.action")
		st, m = apiCall(t, "POST", api+"/queue/tickets/"+tk+"/actions", clerk, `{"action":"finish","outcome":"case","impl_code":"`+item+`"}`, "Accept-Language", "en")
		want(st, m, 409, "queue.state")
		if msg := m["message"].(string); !strings.Contains(msg, "called") || !strings.Contains(msg, "finished") {
			t.Fatalf("English state refusal: %q", msg)
		}
		for _, a := range []string{"start"} {
			if st, m := apiCall(t, "POST", api+"/queue/tickets/"+tk+"/actions", clerk, `{"action":"`+a+`"}`); st != 200 {
				t.Fatalf("%s: %d %v", a, st, m)
			}
		}
		st, m = apiCall(t, "POST", api+"/queue/tickets/"+tk+"/actions", clerk, `{"action":"finish","outcome":"case","impl_code":"`+item+`"}`)
		if st != 200 || !strings.HasPrefix(m["next"].(string), "/workbench/intake?code="+item) {
			t.Fatalf("finish: %d %v", st, m)
		}
		st, m = apiCall(t, "POST", api+"/queue/tickets/"+tk+"/actions", clerk, `{"action":"transfer","window_id":"`+win+`"}`)
		want(st, m, 409, "queue.transfer_finished")

		// Public: status and board; staff: figures with a bounded period.
		r, err := http.Get(api + "/queue/tickets/" + tk)
		if err != nil {
			t.Fatal(err)
		}
		if b := body(t, r); r.StatusCode != 200 || !strings.Contains(b, `"state":"done"`) || strings.Contains(b, "person") {
			t.Fatalf("status: %d %s", r.StatusCode, b)
		}
		st, m = apiCall(t, "GET", api+"/halls/"+hall+"/queue-figures?from=2026-01-01&to=2027-12-31", admin, ``)
		want(st, m, 400, "catalog.at")
		st, m = apiCall(t, "GET", api+"/halls/"+hall+"/queue-figures", admin, ``)
		if st != 200 || m["figures"].(map[string]any)["total"].(map[string]any)["tickets"] != float64(2) {
			t.Fatalf("figures: %d %v", st, m)
		}
	})
}
