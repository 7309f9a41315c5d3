package server

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/booking"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/identity"
)

var kioskLinkRE = regexp.MustCompile(`<(?:a|form)\b[^>]*?\s(?:href|action)="([^"]*)"`)

// kioskStays fails when a link or a form of a kiosk page leads outside
// the hall's kiosk (/kiosk/{hall}…): no header navigation, no footer.
func kioskStays(t *testing.T, page, hall string) {
	t.Helper()
	links := kioskLinkRE.FindAllStringSubmatch(page, -1)
	if len(links) == 0 {
		t.Errorf("no link or form on the page: %s", snippet(page))
	}
	for _, m := range links {
		if h := m[1]; h != "/kiosk/"+hall && !strings.HasPrefix(h, "/kiosk/"+hall+"/") && !strings.HasPrefix(h, "#") {
			t.Errorf("a link leaves the kiosk: %q", h)
		}
	}
}

func ticketCount(t *testing.T, d *db.DB) int {
	t.Helper()
	var n int
	if err := d.Reader().QueryRow(`SELECT COUNT(*) FROM queue_tickets`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// The kiosk: its pages stay within it; taking a ticket (and its slip),
// checking in a booking by the holder's own sign-in, the refusals —
// unknown or closed hall, a service of another hall, a wrong password, no
// booking today — precise and writing nothing; progress and verification.
func TestKioskPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d) // Saturday 2026-02-14 17:00 in China
		hall, service := bookable(t, ts)
		c := ts.client()
		base := "/kiosk/" + hall
		get := func(path string, want int) string {
			t.Helper()
			r, err := c.Get(ts.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			b := body(t, r)
			if r.StatusCode != want {
				t.Fatalf("GET %s: %d, want %d: %s", path, r.StatusCode, want, snippet(b))
			}
			if cc := r.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") && strings.HasPrefix(path, "/kiosk/") {
				t.Errorf("GET %s: Cache-Control %q: a shared terminal's pages must not be kept", path, cc)
			}
			return b
		}
		post := func(path string, form url.Values) (int, string, string) {
			t.Helper()
			form.Set("csrf_token", csrf(t, c, ts.URL+base))
			r, err := c.PostForm(ts.URL+path, form)
			if err != nil {
				t.Fatal(err)
			}
			return r.StatusCode, r.Header.Get("Location"), body(t, r)
		}
		home := get(base, 200)
		for _, want := range []string{`id="k-take"`, `id="k-checkin"`, `id="k-progress"`, `id="k-verify"`, `id="kiosk-care"`, `id="kiosk-lang"`, `data-idle="60"`, "取号"} {
			if !strings.Contains(home, want) {
				t.Errorf("the kiosk's home lacks %q", want)
			}
		}
		if strings.Contains(home, `class="nav"`) || strings.Contains(home, "/login") {
			t.Errorf("the kiosk shows the portal's navigation")
		}
		kioskStays(t, home, hall)
		// ?idle is the browser tests' short idle time: demo mode only (the test server is in demo mode).
		if p := get(base+"?idle=2", 200); !strings.Contains(p, `data-idle="2"`) {
			t.Errorf("?idle=2 not taken in demo mode")
		}
		if p := get(base+"?idle=0", 200); !strings.Contains(p, `data-idle="60"`) {
			t.Errorf("?idle=0 taken")
		}

		// Take a ticket: A001, nobody ahead; the slip is a small PDF.
		take := get(base+"/take", 200)
		kioskStays(t, take, hall)
		if !strings.Contains(take, `id="svc-A"`) || strings.Contains(take, `id="prio-booking"`) {
			t.Errorf("the take page: %s", take)
		}
		before := ticketCount(t, d)
		st, loc, b := post(base+"/take", url.Values{"service": {service}, "priority": {"normal"}})
		if st != http.StatusSeeOther || !strings.HasPrefix(loc, base+"/tickets/") {
			t.Fatalf("take: %d %s %s", st, loc, snippet(b))
		}
		tk := get(loc, 200)
		for _, want := range []string{`<h1 id="ticket-number" class="ticket-number">A001</h1>`, "前面还有 0 人", `id="ticket-qr"`, `id="ticket-pdf"`} {
			if !strings.Contains(tk, want) {
				t.Errorf("the ticket page lacks %q", want)
			}
		}
		kioskStays(t, tk, hall)
		r, err := c.Get(ts.URL + loc + "/slip.pdf")
		if err != nil {
			t.Fatal(err)
		}
		if pdf := body(t, r); r.StatusCode != 200 || r.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(pdf, "%PDF-") {
			t.Errorf("slip: %d %s", r.StatusCode, r.Header.Get("Content-Type"))
		}

		// 即将到号 by SMS without an account: a mobile number with consent;
		// refused without consent or with a bad number (nothing taken, the
		// number not shown back); shown masked on the ticket, never whole.
		if !strings.Contains(take, `id="k-phone"`) || !strings.Contains(take, `id="k-consent"`) {
			t.Error("the take page offers no SMS")
		}
		for _, bad := range []url.Values{{"phone": {"13912345678"}}, {"phone": {"1391234"}, "consent": {"1"}}} {
			bad.Set("service", service)
			n := ticketCount(t, d)
			st, _, b := post(base+"/take", bad)
			if st != http.StatusBadRequest || !strings.Contains(b, `id="problem"`) || strings.Contains(b, bad.Get("phone")) || ticketCount(t, d) != n {
				t.Errorf("take with %v: %d %s", bad, st, snippet(b))
			}
		}
		st, loc, b = post(base+"/take", url.Values{"service": {service}, "priority": {"normal"}, "phone": {"139 1234 5678"}, "consent": {"1"}})
		if st != http.StatusSeeOther {
			t.Fatalf("take with a phone: %d %s", st, snippet(b))
		}
		if p := get(loc, 200); !strings.Contains(p, "139****5678") || strings.Contains(p, "13912345678") {
			t.Errorf("the ticket page: %s", snippet(p))
		}
		r, _ = c.Get(ts.URL + "/api/v1/queue/tickets/" + strings.TrimPrefix(loc, base+"/tickets/"))
		if b := body(t, r); !strings.Contains(b, `"near_phone_masked":"139****5678"`) || strings.Contains(b, "13912345678") {
			t.Errorf("the ticket's status: %s", b)
		}

		// Refusals, nothing written.
		var town string
		if err := d.Reader().QueryRow(`SELECT id FROM halls WHERE id <> $1 ORDER BY id LIMIT 1`, hall).Scan(&town); err != nil {
			t.Fatal(err)
		}
		n := ticketCount(t, d)
		if n != before+2 { // A001, and A002 with its SMS
			t.Fatalf("tickets: %d, want %d", n, before+2)
		}
		if st, _, b = post(base+"/take", url.Values{"service": {"no-such-service"}}); st != 400 || !strings.Contains(b, "本大厅没有这项业务（no-such-service）") {
			t.Errorf("unknown service: %d %s", st, snippet(b))
		}
		if st, _, b = post("/kiosk/"+town+"/take", url.Values{"service": {service}}); st != 400 || !strings.Contains(b, "本大厅没有这项业务") {
			t.Errorf("another hall's service: %d %s", st, snippet(b))
		}
		if st, _, b = post(base+"/take", url.Values{}); st != 400 || !strings.Contains(b, "service_id") {
			t.Errorf("no service: %d %s", st, snippet(b))
		}
		if got := ticketCount(t, d); got != n {
			t.Errorf("refused takes wrote %d tickets", got-n)
		}
		if p := get("/kiosk/nohall", 404); !strings.Contains(p, "没有这个服务大厅（nohall）") || strings.Contains(p, `id="back-home"`) {
			t.Errorf("unknown hall: %s", p)
		} else {
			kioskStays(t, p, "nohall")
		}
		if p := get("/kiosk/"+town+"/tickets/"+strings.TrimPrefix(loc, base+"/tickets/"), 404); !strings.Contains(p, "没有这张号票") {
			t.Errorf("another hall's ticket: %s", snippet(p))
		}

		// Check in: 张三 books 2026-02-24 09:00, comes 20 minutes early.
		ctx := t.Context()
		zs, err := ts.ids.UserByUsername(ctx, "zhangsan")
		if err != nil {
			t.Fatal(err)
		}
		bsvc := &booking.Service{DB: ts.db, Calendars: mustCalendars(t), Root: "500102"}
		bk, err := bsvc.Book(ctx, zs, booking.Request{HallID: hall, ServiceID: service, StartsAt: time.Date(2026, 2, 24, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))})
		if err != nil {
			t.Fatal(err)
		}
		ci := get(base+"/check-in", 200)
		kioskStays(t, ci, hall)
		// Today (the 14th) there is no booking.
		if st, _, b = post(base+"/check-in", url.Values{"username": {"zhangsan"}, "password": {identity.DemoPassword}}); st != 409 || !strings.Contains(b, "您今天在本大厅没有待签到的预约") {
			t.Errorf("no booking today: %d %s", st, snippet(b))
		}
		ts.now = time.Date(2026, 2, 24, 0, 40, 0, 0, time.UTC) // 08:40 in China
		n = ticketCount(t, d)
		if st, _, b = post(base+"/check-in", url.Values{"username": {"zhangsan"}, "password": {"wrong-password"}}); st != 401 || !strings.Contains(b, `id="problem"`) {
			t.Errorf("wrong password: %d %s", st, snippet(b))
		}
		if st, _, b = post("/kiosk/"+town+"/check-in", url.Values{"username": {"zhangsan"}, "password": {identity.DemoPassword}}); st != 409 || !strings.Contains(b, "没有待签到的预约") {
			t.Errorf("another hall: %d %s", st, snippet(b))
		}
		if st, _, b = post(base+"/check-in", url.Values{"username": {"clerk"}, "password": {identity.DemoPassword}}); st == 303 || !strings.Contains(b, `id="problem"`) {
			t.Errorf("a staff account: %d %s", st, snippet(b))
		}
		if got := ticketCount(t, d); got != n {
			t.Errorf("refused check-ins wrote %d tickets", got-n)
		}
		var sessions int
		countSessions := func() int {
			t.Helper()
			var k int
			if err := d.Reader().QueryRow(`SELECT COUNT(*) FROM sessions WHERE user_id = $1`, zs.ID).Scan(&k); err != nil {
				t.Fatal(err)
			}
			return k
		}
		sessions = countSessions()
		st, loc, b = post(base+"/check-in", url.Values{"username": {"zhangsan"}, "password": {identity.DemoPassword}})
		if st != http.StatusSeeOther || !strings.HasSuffix(loc, "?done=checked_in") {
			t.Fatalf("check in: %d %s %s", st, loc, snippet(b))
		}
		if got := countSessions(); got != sessions {
			t.Errorf("the check-in left %d sessions of the holder", got-sessions)
		}
		tk = get(loc, 200)
		if !strings.Contains(tk, `class="ticket-number">A001</h1>`) || !strings.Contains(tk, "签到成功") || strings.Contains(tk, "张三") {
			t.Errorf("the checked-in ticket: %s", tk)
		}
		got, err := bsvc.Mine(ctx, zs, 5)
		if err != nil || got[0].ID != bk.ID || got[0].State != booking.StateCheckedIn || got[0].TicketNo != "A001" {
			t.Errorf("the booking after check-in: %+v %v", got[0], err)
		}
		// Twice: the booking is no longer open (booking's own rule).
		if st, _, b = post(base+"/check-in", url.Values{"username": {"zhangsan"}, "password": {identity.DemoPassword}}); st != 409 {
			t.Errorf("second check-in: %d %s", st, snippet(b))
		}

		// Progress and verification, as the public pages.
		if p := get(base+"/progress?case_no=NO-SUCH&name=%E5%BC%A0%E4%B8%89&code=1234", 400); !strings.Contains(p, `id="problem"`) || !strings.Contains(p, `value="NO-SUCH"`) {
			t.Errorf("progress of no case: %s", snippet(p))
		} else {
			kioskStays(t, p, hall)
		}
		if p := get(base+"/verify?identifier=1.2.3", http.StatusBadRequest); !strings.Contains(p, `data-verdict="malformed"`) {
			t.Errorf("verify: %s", p)
		}

		// English, and 关怀模式 on request: the switches stay in the kiosk.
		st, loc, _ = post(base+"/prefs", url.Values{"care": {"1"}, "return": {base + "/take"}})
		if st != http.StatusSeeOther || loc != base+"/take" {
			t.Errorf("care: %d %s", st, loc)
		}
		if st, loc, _ = post(base+"/prefs", url.Values{"lang": {"en"}, "return": {"/admin"}}); loc != base {
			t.Errorf("a return outside the kiosk: %d %s", st, loc)
		}
		if en := get(base, 200); !strings.Contains(en, "Take a number") || !strings.Contains(en, `class="kiosk-mode care"`) {
			t.Errorf("English, care mode: %s", snippet(en))
		}

		// The reset ends a session left on the terminal.
		ts.webLogin(t, c, "zhangsan")
		if st, loc, _ = post(base+"/reset", url.Values{}); st != http.StatusSeeOther || loc != base {
			t.Errorf("reset: %d %s", st, loc)
		}
		if p := get(base, 200); !strings.Contains(p, `data-session="0"`) {
			t.Errorf("still signed in after the reset")
		}

		// A closed hall's kiosk is not found.
		if _, err := d.Writer().Exec(`UPDATE halls SET active = $1 WHERE id = $2`, false, hall); err != nil {
			t.Fatal(err)
		}
		if p := get(base, 404); !strings.Contains(p, "is not in service") && !strings.Contains(p, "已停用") {
			t.Errorf("closed hall: %s", snippet(p))
		}
	})
}
