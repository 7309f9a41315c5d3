package server

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/booking"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/demo"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/queue"
)

// bookable gives the demo's district hall a service (prefix A) with a
// template Monday–Friday 09:00–12:00, 30-minute slots of 6 places; it
// answers the hall's and the service's ids.
func bookable(t *testing.T, ts *testServer) (string, string) {
	t.Helper()
	ctx := context.Background()
	admin, err := ts.ids.UserByUsername(ctx, "admin")
	if err != nil {
		t.Fatal(err)
	}
	var hall string
	if err := ts.db.Reader().QueryRow(`SELECT id FROM halls WHERE region_code = $1`, demo.Region).Scan(&hall); err != nil {
		t.Fatal(err)
	}
	prefix, name, en, minutes := "A", "综合受理", "General intake", 15
	hs, err := (&queue.Service{DB: ts.db}).CreateService(ctx, admin, hall, queue.ServiceInput{Prefix: &prefix, Name: &name, NameEN: &en, Minutes: &minutes})
	if err != nil {
		t.Fatal(err)
	}
	svc := &booking.Service{DB: ts.db, Calendars: mustCalendars(t), Root: demo.Region}
	if _, err := svc.SaveTemplate(ctx, admin, hall, booking.Template{ServiceID: hs.ID, Weekdays: []int{1, 2, 3, 4, 5}, From: "09:00", To: "12:00",
		SlotMinutes: 30, Capacity: 6, Active: true}); err != nil {
		t.Fatal(err)
	}
	return hall, hs.ID
}

// On the portal: book online → cancel → book again → check in at the
// hall, the ticket's number shown; the refusals in both languages.
func TestBookingPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d) // Saturday 2026-02-14 17:00 in China
		hall, service := bookable(t, ts)
		c := ts.client()
		ts.webLogin(t, c, "zhangsan")
		get := func(path string) string {
			t.Helper()
			r, err := c.Get(ts.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			b := body(t, r)
			if r.StatusCode != 200 {
				t.Fatalf("GET %s: %d %s", path, r.StatusCode, b)
			}
			return b
		}
		post := func(path string, form url.Values) (int, string, string) {
			t.Helper()
			form.Set("csrf_token", csrf(t, c, ts.URL+"/me/bookings"))
			r, err := c.PostForm(ts.URL+path, form)
			if err != nil {
				t.Fatal(err)
			}
			return r.StatusCode, r.Header.Get("Location"), body(t, r)
		}
		page := get("/booking?hall=" + hall + "&service=" + service + "&day=2026-02-24")
		for _, want := range []string{`id="day-2026-02-17"`, "法定节假日或休息日", `id="day-2026-02-24"`, "09:00–09:30", "余 4"} {
			if !strings.Contains(page, want) {
				t.Errorf("the booking page lacks %q", want)
			}
		}
		slot := url.Values{"hall": {hall}, "service": {service}, "starts_at": {"2026-02-24T09:00:00+08:00"}}
		st, loc, b := post("/booking", slot)
		if st != http.StatusSeeOther || !strings.HasPrefix(loc, "/me/bookings?done=booked#b-") {
			t.Fatalf("book: %d %s %s", st, loc, snippet(b))
		}
		id := strings.TrimPrefix(loc[strings.Index(loc, "#b-"):], "#b-")
		mine := get("/me/bookings")
		if !strings.Contains(mine, `id="b-`+id+`"`) || !strings.Contains(mine, "booking-cancel") || strings.Contains(mine, "booking-checkin") {
			t.Fatalf("my bookings: %s", mine)
		}
		// A second booking the same day: refused on the page, in Chinese.
		again := url.Values{"hall": {hall}, "service": {service}, "starts_at": {"2026-02-24T10:00:00+08:00"}}
		if st, _, b = post("/booking", again); st != http.StatusConflict || !strings.Contains(b, "同一天最多预约 1 次") {
			t.Errorf("second booking: %d %s", st, snippet(b))
		}
		if st, loc, _ = post("/me/bookings/"+id+"/cancel", url.Values{}); st != http.StatusSeeOther || !strings.Contains(loc, "done=cancelled") {
			t.Fatalf("cancel: %d %s", st, loc)
		}
		if st, loc, _ = post("/booking", again); st != http.StatusSeeOther {
			t.Fatalf("book again: %d", st)
		}
		id = strings.TrimPrefix(loc[strings.Index(loc, "#b-"):], "#b-")
		// At the hall, 20 minutes before the slot.
		ts.now = time.Date(2026, 2, 24, 1, 40, 0, 0, time.UTC)
		ts.webLogin(t, c, "zhangsan") // ten days on: a new session
		if mine = get("/me/bookings"); !strings.Contains(mine, "booking-checkin") {
			t.Fatalf("no check-in offered: %s", mine)
		}
		if st, loc, _ = post("/me/bookings/"+id+"/check-in", url.Values{}); st != http.StatusSeeOther || !strings.Contains(loc, "done=checked_in") {
			t.Fatalf("check in: %d %s", st, loc)
		}
		if mine = get(loc); !strings.Contains(mine, `<strong class="ticket-no">A001</strong>`) || !strings.Contains(mine, "签到成功") {
			t.Errorf("the ticket is not shown: %s", mine)
		}
		if en := get("/me/bookings?lang=en"); !strings.Contains(en, "checked in") || !strings.Contains(en, "My bookings") {
			t.Errorf("English page: %s", en)
		}
		// The API's refusals: a closed day, in English when asked; a staff account.
		ctx := context.Background()
		tok, _, _, err := ts.ids.Login(ctx, identity.LoginRequest{Username: "zhangsan", Password: identity.DemoPassword, Kind: identity.SessionAPI, IP: "127.0.0.1"})
		if err != nil {
			t.Fatal(err)
		}
		closed := `{"hall_id":"` + hall + `","service_id":"` + service + `","starts_at":"2026-03-07T09:00:00+08:00"}`
		st, m := apiCall(t, "POST", ts.URL+"/api/v1/bookings", tok, closed, "Accept-Language", "en")
		if st != 400 || m["message_key"] != "booking.day_closed" || !strings.Contains(m["message"].(string), "rest day") {
			t.Errorf("closed day: %d %v", st, m)
		}
		st, m = apiCall(t, "GET", ts.URL+"/api/v1/bookings", tok, "")
		if list, _ := m["bookings"].([]any); st != 200 || len(list) != 2 {
			t.Errorf("my bookings: %d %v", st, m)
		}
		ctok, _, _, err := ts.ids.Login(ctx, identity.LoginRequest{Username: "clerk", Password: identity.DemoPassword, Kind: identity.SessionAPI, IP: "127.0.0.1"})
		if err != nil {
			t.Fatal(err)
		}
		open := `{"hall_id":"` + hall + `","service_id":"` + service + `","starts_at":"2026-02-26T09:00:00+08:00"}`
		if st, m = apiCall(t, "POST", ts.URL+"/api/v1/bookings", ctok, open); st != 403 || m["message_key"] != "booking.persons_only" {
			t.Errorf("a clerk's booking: %d %v", st, m)
		}
		if st, m = apiCall(t, "GET", ts.URL+"/api/v1/halls/"+hall+"/bookings?day=2026-02-24", ctok, ""); st != 200 || !strings.Contains(mustJSON(t, m), `"name":"张*"`) {
			t.Errorf("the desk list: %d %v", st, m)
		}
	})
}
