package server

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
)

// 一次一评 on the pages: the public ticket page (its QR code, channel qr)
// and the kiosk's ticket page (hall_tablet) show the rating form once the
// ticket is served, not before; a bad rating without a reason is refused
// on the page, nothing written; once rated, the form gives way to thanks
// and a second post is refused; staff signed in see no form and are
// refused.
func TestVisitRatingPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		hall, service := bookable(t, ts)
		clerk, err := ts.ids.UserByUsername(t.Context(), "clerk")
		if err != nil {
			t.Fatal(err)
		}
		c := ts.client()
		get := func(path string) string {
			t.Helper()
			r, err := c.Get(ts.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			b := body(t, r)
			if r.StatusCode != 200 {
				t.Fatalf("GET %s: %d %s", path, r.StatusCode, snippet(b))
			}
			return b
		}
		post := func(c *http.Client, page, path string, form url.Values) (int, string, string) {
			t.Helper()
			form.Set("csrf_token", csrf(t, c, ts.URL+page))
			r, err := c.PostForm(ts.URL+path, form)
			if err != nil {
				t.Fatal(err)
			}
			return r.StatusCode, r.Header.Get("Location"), body(t, r)
		}
		visits := func(channel string) int {
			var n int
			if err := d.Reader().QueryRow(`SELECT COUNT(*) FROM ratings WHERE subject_kind = 'visit' AND channel = $1`, channel).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}

		// Not served: no form, and a post is refused.
		waiting := ticketOf(t, ts, hall, service)
		if p := get("/queue/" + waiting); strings.Contains(p, `id="visit-rating-form"`) {
			t.Errorf("a waiting ticket offers a rating")
		}
		if st, _, b := post(c, "/queue/"+waiting, "/queue/"+waiting+"/rate", url.Values{"level": {"5"}}); st != 409 || !strings.Contains(b, "该号尚未办理完毕") {
			t.Errorf("rating a waiting ticket: %d %s", st, snippet(b))
		}

		for _, s := range []struct {
			name, channel string
			page          func(id string) string
		}{
			{"status page", "qr", func(id string) string { return "/queue/" + id }},
			{"kiosk", "hall_tablet", func(id string) string { return "/kiosk/" + hall + "/tickets/" + id }},
		} {
			id := servedTicketIn(t, d, hall, service, clerk.ID, "")
			page := s.page(id)
			p := get(page)
			for _, want := range []string{`id="visit-rating-form"`, `action="` + page + `/rate"`, `id="level-5"`, `id="ind-onsite.attitude"`, "评价本次服务"} {
				if !strings.Contains(p, want) {
					t.Errorf("%s: the served ticket's page lacks %q", s.name, want)
				}
			}
			if s.channel == "hall_tablet" {
				kioskStays(t, p, hall)
			}
			st, _, b := post(c, page, page+"/rate", url.Values{"level": {"2"}})
			if st != 400 || !strings.Contains(b, `id="problem"`) || !strings.Contains(b, `id="visit-rating-form"`) {
				t.Errorf("%s: a bad rating without a reason: %d %s", s.name, st, snippet(b))
			}
			st, _, b = post(c, page, page+"/rate", url.Values{"level": {"1"}, "indicator": {"onsite.no_such"}})
			if st != 400 || !strings.Contains(b, `id="problem"`) {
				t.Errorf("%s: an unknown indicator: %d %s", s.name, st, snippet(b))
			}
			if n := visits(s.channel); n != 0 {
				t.Fatalf("%s: refusals wrote %d ratings", s.name, n)
			}
			st, loc, b := post(c, page, page+"/rate", url.Values{"level": {"2"}, "indicator": {"onsite.attitude"}, "comment": {"态度生硬"}})
			if st != http.StatusSeeOther || !strings.HasPrefix(loc, page+"?rated=1") {
				t.Fatalf("%s: rate: %d %s %s", s.name, st, loc, snippet(b))
			}
			if n := visits(s.channel); n != 1 {
				t.Fatalf("%s: %d ratings on channel %s, want 1", s.name, n, s.channel)
			}
			after := get(loc)
			if strings.Contains(after, `id="visit-rating-form"`) || !strings.Contains(after, `id="visit-rated"`) {
				t.Errorf("%s: after the rating: %s", s.name, snippet(after))
			}
			// The form's token comes from the hall's page: the ticket's no longer has a form.
			if st, _, b := post(c, "/hall/"+hall+"/take", page+"/rate", url.Values{"level": {"5"}}); st != 409 || !strings.Contains(b, "已评价过") {
				t.Errorf("%s: a second rating: %d %s", s.name, st, snippet(b))
			}
		}

		// Staff signed in: no form; a post is refused, nothing written.
		sc := ts.client()
		ts.webLogin(t, sc, "clerk")
		id := servedTicketIn(t, d, hall, service, clerk.ID, "")
		r, err := sc.Get(ts.URL + "/queue/" + id)
		if err != nil {
			t.Fatal(err)
		}
		if p := body(t, r); strings.Contains(p, `id="visit-rating-form"`) {
			t.Errorf("staff are offered a rating")
		}
		if st, _, _ := post(sc, "/hall/"+hall+"/take", "/queue/"+id+"/rate", url.Values{"level": {"5"}}); st != 403 {
			t.Errorf("staff rating: %d", st)
		}
		var n int
		if err := d.Reader().QueryRow(`SELECT COUNT(*) FROM ratings WHERE subject_id = $1`, id).Scan(&n); err != nil || n != 0 {
			t.Errorf("staff wrote %d ratings (%v)", n, err)
		}
	})
}

// ticketOf takes a ticket at the hall's kiosk page and answers its id.
func ticketOf(t *testing.T, ts *testServer, hall, service string) string {
	t.Helper()
	c := ts.client()
	tok := csrf(t, c, ts.URL+"/kiosk/"+hall)
	r, err := c.PostForm(ts.URL+"/kiosk/"+hall+"/take", url.Values{"csrf_token": {tok}, "service": {service}, "priority": {"normal"}})
	if err != nil {
		t.Fatal(err)
	}
	b := body(t, r)
	loc := r.Header.Get("Location")
	i := strings.LastIndex(loc, "/tickets/")
	if r.StatusCode != http.StatusSeeOther || i < 0 {
		t.Fatalf("take: %d %s %s", r.StatusCode, loc, snippet(b))
	}
	return loc[i+len("/tickets/"):]
}
