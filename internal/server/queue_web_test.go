package server

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/queue"
	"github.com/tongban/tongban/internal/web"
)

// sseEvent is one Server-Sent Event as read.
type sseEvent struct {
	id   string
	data string
}

// stream opens the board's event stream and delivers its events.
func stream(t *testing.T, url, lastID string) (<-chan sseEvent, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	req.Header.Set("Accept", "text/event-stream")
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if r.StatusCode != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("stream: %d %s", r.StatusCode, r.Header.Get("Content-Type"))
	}
	out := make(chan sseEvent, 16)
	go func() {
		defer close(out)
		defer r.Body.Close()
		sc := bufio.NewScanner(r.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "id: "):
				ev.id = line[4:]
			case strings.HasPrefix(line, "data: "):
				ev.data = line[6:]
			case line == "" && ev.data != "":
				out <- ev
				ev = sseEvent{}
			}
		}
	}()
	return out, cancel
}

func next(t *testing.T, ch <-chan sseEvent, within time.Duration) (sseEvent, bool) {
	t.Helper()
	select {
	case ev, ok := <-ch:
		return ev, ok
	case <-time.After(within):
		return sseEvent{}, false
	}
}

// The board's stream survives reconnects and replica changes: any replica
// reads the state from the database; a browser reconnecting with the
// version it has (Last-Event-ID) is sent nothing until the state changes,
// one with an older version the current state at once. An unknown hall is
// a 404 page, API answer and stream.
func TestBoardEventsAcrossReplicas(t *testing.T) {
	old := web.BoardPoll
	web.BoardPoll = 50 * time.Millisecond
	defer func() { web.BoardPoll = old }()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		ctx := context.Background()
		// The second replica: its own connections on PostgreSQL.
		d2 := d
		if d.Dialect == db.Postgres {
			var err error
			if d2, err = db.Open(ctx, d.DSN()); err != nil {
				t.Fatal(err)
			}
			defer d2.Close()
			d2.SetClock(func() time.Time { return ts.now })
		}
		h2, _, err := Handler(Options{DB: d2, Identity: ts.ids, Calendars: mustCalendars(t), Region: "500102", Now: func() time.Time { return ts.now }})
		if err != nil {
			t.Fatal(err)
		}
		replica := httptest.NewServer(h2)
		defer replica.Close()

		for _, u := range []string{ts.URL + "/hall/no-such-hall/board", ts.URL + "/hall/no-such-hall/events", ts.URL + "/api/v1/halls/no-such-hall/board"} {
			r, err := http.Get(u)
			if err != nil {
				t.Fatal(err)
			}
			if b := body(t, r); r.StatusCode != 404 || strings.Contains(b, "goroutine") {
				t.Fatalf("%s: %d", u, r.StatusCode)
			}
		}

		admin := must(ts.ids.UserByUsername(ctx, "admin"))
		clerk := must(ts.ids.UserByUsername(ctx, "clerk"))
		var hall, win string
		if err := d.Reader().QueryRow(`SELECT h.id, w.id FROM halls h JOIN windows w ON w.hall_id = h.id WHERE h.region_code = '500102' AND w.number = '1'`).Scan(&hall, &win); err != nil {
			t.Fatal(err)
		}
		q := &queue.Service{DB: d}
		prefix, name, minutes, windows := "A", "综合受理", 10, []string{win}
		svc := must(q.CreateService(ctx, admin, hall, queue.ServiceInput{Prefix: &prefix, Name: &name, Minutes: &minutes, Windows: &windows}))
		must(q.SignOn(ctx, clerk, win))

		events, stop := stream(t, ts.URL+"/hall/"+hall+"/events", "")
		first, ok := next(t, events, 5*time.Second)
		if !ok || first.id == "" {
			t.Fatal("no first event")
		}
		tk := must(q.Take(ctx, nil, queue.TakeInput{HallID: hall, ServiceID: svc.ID, Source: queue.SourceKiosk}))
		must(q.CallNext(ctx, clerk))
		called, ok := next(t, events, 5*time.Second)
		if !ok || called.id == first.id {
			t.Fatal("no event for the call")
		}
		var b queue.Board
		if err := json.Unmarshal([]byte(called.data), &b); err != nil {
			t.Fatal(err)
		}
		if len(b.Calling) != 1 || b.Calling[0].Number != tk.Number || b.Calling[0].WindowNo != "1" {
			t.Fatalf("called: %s", called.data)
		}
		stop()

		// The browser reconnects to the other replica with what it has: nothing new.
		events, stop = stream(t, replica.URL+"/hall/"+hall+"/events", called.id)
		defer stop()
		if ev, ok := next(t, events, 500*time.Millisecond); ok {
			t.Fatalf("sent again what the board has: %s", ev.id)
		}
		must(q.Recall(ctx, clerk, tk.ID))
		recalled, ok := next(t, events, 5*time.Second)
		if !ok || recalled.id == called.id || !strings.Contains(recalled.data, `"calls":2`) {
			t.Fatalf("recall on the other replica: %+v", recalled)
		}
		// A board with an older version gets the current state at once.
		stale, stop2 := stream(t, replica.URL+"/hall/"+hall+"/events", first.id)
		defer stop2()
		if ev, ok := next(t, stale, 2*time.Second); !ok || ev.id != recalled.id {
			t.Fatalf("stale board: %+v", ev)
		}
		// A client that does not ask for a stream gets the state once.
		r, err := http.Get(replica.URL + "/hall/" + hall + "/events")
		if err != nil {
			t.Fatal(err)
		}
		if b := body(t, r); !strings.Contains(b, "id: "+recalled.id) {
			t.Fatalf("one-off: %q", b)
		}

		// Served, the ticket counts in the hall figures of the public
		// statistics and of the supervisor's dashboard, never its holder.
		must(q.Start(ctx, clerk, tk.ID))
		must(q.Finish(ctx, clerk, tk.ID, queue.FinishInput{Outcome: queue.OutcomeEnquiry}))
		day := queue.Day(ts.now)
		sup := ts.client()
		ts.webLogin(t, sup, "supervisor")
		for _, c := range []*http.Client{http.DefaultClient, sup} {
			path := "/statistics"
			if c == sup {
				path = "/supervision"
			}
			r, err := c.Get(ts.URL + path + "?from=" + day + "&to=" + day)
			if err != nil {
				t.Fatal(err)
			}
			b := body(t, r)
			i := strings.Index(b, `id="hall-figures"`)
			if r.StatusCode != 200 || i < 0 {
				t.Fatalf("%s: %d, no hall figures: %s", path, r.StatusCode, snippet(b))
			}
			for _, want := range []string{`id="kpi-wait">0.0<`, `id="kpi-tickets-day">1.0<`, `id="hall-regions"`, "A 综合受理", "平均等候时长"} {
				if !strings.Contains(b[i:], want) {
					t.Errorf("%s: the hall figures lack %q: %s", path, want, b[i:][:min(len(b)-i, 1500)])
				}
			}
		}
	})
}
