package e2e

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tongban/tongban/internal/booking"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/queue"
	"github.com/tongban/tongban/internal/server"
)

// kioskStays fails when a link or a form of the kiosk's current page
// leads outside the hall's kiosk.
func kioskStays(t *testing.T, ctx context.Context, home string) {
	t.Helper()
	out := get(t, ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('a[href], form[action]'))
		.map(e => e.getAttribute('href') || e.getAttribute('action'))
		.filter(h => !(h === `+"`"+home+"`"+` || h.startsWith(`+"`"+home+"/`"+`) || h.startsWith('#')))`))
	if len(out) > 0 {
		t.Errorf("links leave the kiosk at %s: %v", get(t, ctx, chromedp.Location()), out)
	}
}

// waitHome waits for the idle reset to bring the kiosk home (the page
// navigates by itself, so a failed look is tried again).
func waitHome(t *testing.T, ctx context.Context, home string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`location.pathname === `+"`"+home+"`"+` && document.readyState === 'complete' && document.querySelector('#k-take') !== null`))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the kiosk did not return home: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// The hall's self-service kiosk (issue 19 part 6) in a browser: a visitor
// takes A001 at the kiosk; the clerk calls it at a window and the display
// board shows it; 张三, booked for ten minutes from now, checks in at the
// kiosk with his own sign-in and is shown his ticket's number (A002, its
// priority the booking's); left idle (2 s, demo mode), the kiosk clears
// what was typed and returns home, ending a session left open; no link of
// any kiosk page leaves the kiosk.
func TestKiosk(t *testing.T) {
	dir := t.TempDir()
	base := startDemoIn(t, dir)
	ctx0 := context.Background()
	d, err := db.Open(ctx0, "sqlite:"+filepath.Join(dir, "tongban.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	var hall, adminID, zsID string
	if err := d.Reader().QueryRow(`SELECT id FROM halls WHERE region_code = '500102'`).Scan(&hall); err != nil {
		t.Fatal(err)
	}
	for name, id := range map[string]*string{"admin": &adminID, "zhangsan": &zsID} {
		if err := d.Reader().QueryRow(`SELECT id FROM users WHERE username = $1`, name).Scan(id); err != nil {
			t.Fatal(err)
		}
	}
	admin := &identity.User{ID: adminID, Kind: identity.KindStaff, Grants: []identity.Grant{{Role: identity.RoleAdmin, RegionCode: "500102"}}}
	prefix, name, en, minutes := "A", "综合受理", "General intake", 15
	hs, err := (&queue.Service{DB: d}).CreateService(ctx0, admin, hall, queue.ServiceInput{Prefix: &prefix, Name: &name, NameEN: &en, Minutes: &minutes})
	if err != nil {
		t.Fatal(err)
	}
	// The service is served by every window of the hall.
	if _, err := d.Writer().Exec(`INSERT INTO window_services (window_id, service_id) SELECT id, $1 FROM windows WHERE hall_id = $2`, hs.ID, hall); err != nil {
		t.Fatal(err)
	}
	// 张三's booking: the first open day, then moved to ten minutes from now.
	cals, err := server.LoadCalendars(nil)
	if err != nil {
		t.Fatal(err)
	}
	bs := &booking.Service{DB: d, Calendars: cals, Root: "500102"}
	if _, err := bs.SaveTemplate(ctx0, admin, hall, booking.Template{ServiceID: hs.ID, Weekdays: []int{1, 2, 3, 4, 5, 6, 7}, From: "09:00", To: "12:00",
		SlotMinutes: 30, Capacity: 6, Active: true}); err != nil {
		t.Fatal(err)
	}
	zs := &identity.User{ID: zsID, Kind: identity.KindPerson, Assurance: identity.AssuranceL1}
	var bk *booking.Booking
	for day := 1; day <= 14 && bk == nil; day++ {
		at := time.Now().In(calendar.China).AddDate(0, 0, day)
		bk, _ = bs.Book(ctx0, zs, booking.Request{HallID: hall, ServiceID: hs.ID, StartsAt: time.Date(at.Year(), at.Month(), at.Day(), 9, 0, 0, 0, calendar.China)})
	}
	if bk == nil {
		t.Fatal("no open day for a booking")
	}
	start := time.Now().UTC().Add(10 * time.Minute).Truncate(time.Minute)
	if _, err := d.Writer().Exec(`UPDATE bookings SET starts_at = $1, ends_at = $2, day = $3 WHERE id = $4`, start, start.Add(30*time.Minute), queue.Day(start), bk.ID); err != nil {
		t.Fatal(err)
	}

	// 就业创业证申领, an 即办件, offered for self-service (its identity from the sign-in).
	cat := catalog.New(d)
	var instant string
	if err := d.Reader().QueryRow(`SELECT impl_code FROM items WHERE name = '就业创业证申领'`).Scan(&instant); err != nil {
		t.Fatal(err)
	}
	ver, err := cat.Published(ctx0, instant, 0)
	if err != nil {
		t.Fatal(err)
	}
	self := *ver.Item
	self.SelfService, self.Materials = true, nil
	if _, err := cat.SaveDraft(ctx0, admin, &self, "自助办理"); err != nil {
		t.Fatal(err)
	}
	if _, err := cat.Publish(ctx0, admin, instant); err != nil {
		t.Fatal(err)
	}

	home := "/kiosk/" + hall
	k := browserFor(t, 180*time.Second)
	do(t, k, chromedp.Navigate(base+home), chromedp.WaitVisible(css("#k-take")))
	kioskStays(t, k, home)
	shot(t, k, "kiosk-home")
	// 关怀模式 on request, and back.
	do(t, k, chromedp.Click(css("#kiosk-care")), chromedp.WaitVisible(css("body.kiosk.care")))
	shot(t, k, "kiosk-home-care")
	do(t, k, chromedp.Click(css("#kiosk-care")), chromedp.WaitVisible(css(`#kiosk-care[aria-pressed="false"]`)))
	// Every target of the home page is at least 64 px high and wide.
	small := get(t, k, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('a, button')).filter(e => e.offsetParent !== null)
		.filter(e => { const r = e.getBoundingClientRect(); return r.height < 64 || r.width < 64 }).map(e => e.id || e.textContent)`))
	if len(small) > 0 {
		t.Errorf("targets under 64 px: %v", small)
	}

	// Take a number.
	do(t, k, chromedp.Click(css("#k-take")), chromedp.WaitVisible(css("#take-form")))
	kioskStays(t, k, home)
	do(t, k, chromedp.Click(css("#svc-A")), chromedp.Click(css("#take")), chromedp.WaitVisible(css("#ticket-number")))
	if n := get(t, k, chromedp.Text(css("#ticket-number"))); n != "A001" {
		t.Fatalf("ticket %q", n)
	}
	if ahead := get(t, k, chromedp.Text(css("#ticket-ahead"))); !strings.Contains(ahead, "前面还有 0 人") {
		t.Errorf("ahead: %q", ahead)
	}
	do(t, k, chromedp.WaitVisible(css("#ticket-print")))
	kioskStays(t, k, home)
	shot(t, k, "kiosk-ticket")

	// The clerk calls it; the display board shows it at the window.
	c := browser(t)
	login(t, c, base, "clerk")
	do(t, c, chromedp.Navigate(base+"/hall/console"), chromedp.WaitVisible(css(`section[aria-labelledby="h-`+hall+`"] button`)),
		chromedp.Click(css(`section[aria-labelledby="h-`+hall+`"] button`)), chromedp.WaitVisible(css("#call-next")),
		chromedp.Click(css("#call-next")), chromedp.WaitVisible(css("#cur-A001")))
	do(t, c, chromedp.Navigate(base+"/hall/"+hall+"/board"), chromedp.WaitVisible(css(`#board-calls tr[data-number="A001"]`)))

	// 张三 checks in at the kiosk: A002, the booking's ticket.
	do(t, k, chromedp.Click(css("#back-home")), chromedp.WaitVisible(css("#k-checkin")),
		chromedp.Click(css("#k-checkin")), chromedp.WaitVisible(css("#checkin-form")))
	kioskStays(t, k, home)
	do(t, k, chromedp.SendKeys(css("#ci-user"), "zhangsan"), chromedp.SendKeys(css("#ci-pass"), "wrong-password"),
		chromedp.Click(css("#checkin")), chromedp.WaitVisible(css("#problem")))
	if v := get(t, k, chromedp.Value(css("#ci-user"))) + get(t, k, chromedp.Value(css("#ci-pass"))); v != "" {
		t.Errorf("what was typed is shown again: %q", v)
	}
	do(t, k, chromedp.SendKeys(css("#ci-user"), "zhangsan"), chromedp.SendKeys(css("#ci-pass"), identity.DemoPassword),
		chromedp.Click(css("#checkin")), chromedp.WaitVisible(css("#ticket-number")))
	if n := get(t, k, chromedp.Text(css("#ticket-number"))); n != "A002" {
		t.Errorf("checked-in ticket %q", n)
	}
	if f := get(t, k, chromedp.Text(css("#flash"))); !strings.Contains(f, "签到成功") {
		t.Errorf("flash %q", f)
	}
	if s := get(t, k, chromedp.AttributeValue(css("body"), "data-session")).Value; s != "0" {
		t.Errorf("a session was left on the kiosk: %q", s)
	}
	shot(t, k, "kiosk-checked-in")
	var no, state string
	if err := d.Reader().QueryRow(`SELECT ticket_no, state FROM bookings WHERE id = $1`, bk.ID).Scan(&no, &state); err != nil || no != "A002" || state != booking.StateCheckedIn {
		t.Errorf("booking %q %q %v", no, state, err)
	}

	// 张三 files the 即办件 at the kiosk (自助办理), signed in for the filing only.
	do(t, k, chromedp.Click(css("#back-home")), chromedp.WaitVisible(css("#k-instant")),
		chromedp.Click(css("#k-instant")), chromedp.WaitVisible(css("#instant-"+instant)))
	kioskStays(t, k, home)
	do(t, k, chromedp.Click(css("#instant-"+instant)), chromedp.WaitVisible(css("#instant-form")))
	kioskStays(t, k, home)
	do(t, k, chromedp.SendKeys(css("#f-applicant_phone"), "13800138000"), chromedp.SetValue(css("#f-status"), "unemployed"),
		chromedp.SendKeys(css("#in-user"), "zhangsan"), chromedp.SendKeys(css("#in-pass"), identity.DemoPassword),
		chromedp.Click(css("#instant-submit")), chromedp.WaitVisible(css("#instant-done")))
	if no := get(t, k, chromedp.Text(css("#filed-no"))); !strings.HasPrefix(no, instant) {
		t.Errorf("filed case %q", no)
	}
	if s := get(t, k, chromedp.AttributeValue(css("body"), "data-session")).Value; s != "0" {
		t.Errorf("a session was left on the kiosk after filing: %q", s)
	}
	kioskStays(t, k, home)
	shot(t, k, "kiosk-instant-filed")

	// Idle: what was typed is cleared and the kiosk is home again. The
	// test holds the reset's submission a moment to read the inputs first.
	do(t, k, chromedp.Navigate(base+home+"/progress?idle=2"), chromedp.WaitVisible(css("#progress-form")),
		chromedp.SendKeys(css("#p-no"), "11500102"), chromedp.SendKeys(css("#p-name"), "张三"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('kiosk-reset').submit = function () {
			window.kioskTyped = Array.from(document.querySelectorAll('input:not([type=hidden])')).map(e => e.value).join('');
		}`))
	kioskStays(t, k, home)
	do(t, k, chromedp.Poll[chromedp.Void](`window.kioskTyped !== undefined`, chromedp.WithPollingTimeout(10*time.Second)))
	if typed := get(t, k, chromedp.Evaluate[string](`window.kioskTyped`)); typed != "" {
		t.Errorf("the inputs were not cleared: %q", typed)
	}
	do(t, k, chromedp.Evaluate[chromedp.Void](`HTMLFormElement.prototype.submit.call(document.getElementById('kiosk-reset'))`))
	waitHome(t, k, home)
	// A session left open on the terminal is ended by the reset.
	login(t, k, base, "zhangsan")
	do(t, k, chromedp.Navigate(base+home+"?idle=2"), chromedp.WaitVisible(css(`body[data-session="1"]`)))
	waitHome(t, k, home)
	do(t, k, chromedp.WaitVisible(css(`body[data-session="0"]`)))
	if loc := get(t, k, chromedp.Location()); !strings.HasSuffix(loc, home) {
		t.Errorf("after the reset: %s", loc)
	}
	do(t, k, chromedp.Navigate(base+"/me"), chromedp.WaitVisible(css("#login-link")))
}
