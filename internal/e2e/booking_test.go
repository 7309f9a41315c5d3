package e2e

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/queue"
)

// 网上预约 (issue 19) in the browser: the hall's administrator adds a slot
// template on its page; 张三, on a phone, books online, cancels, books
// again and, at the hall, checks in and is shown the ticket's number.
// The demo runs on the real clock, so the booking's start is moved to ten
// minutes from now in the database before the check-in (the check-in
// window and its refusals are tested with a clock in internal/booking).
func TestBookCancelBookAgainCheckIn(t *testing.T) {
	dir := t.TempDir()
	base := startDemoIn(t, dir)
	ctx0 := context.Background()
	d, err := db.Open(ctx0, "sqlite:"+filepath.Join(dir, "tongban.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	// The hall's queue service: made through the queue's service (its pages
	// are the queue's own issue).
	var hall, adminID string
	if err := d.Reader().QueryRow(`SELECT id FROM halls WHERE region_code = '500102'`).Scan(&hall); err != nil {
		t.Fatal(err)
	}
	if err := d.Reader().QueryRow(`SELECT id FROM users WHERE username = 'admin'`).Scan(&adminID); err != nil {
		t.Fatal(err)
	}
	admin := &identity.User{ID: adminID, Kind: identity.KindStaff, Grants: []identity.Grant{{Role: identity.RoleAdmin, RegionCode: "500102"}}}
	prefix, name, en, minutes := "A", "综合受理", "General intake", 15
	if _, err := (&queue.Service{DB: d}).CreateService(ctx0, admin, hall, queue.ServiceInput{Prefix: &prefix, Name: &name, NameEN: &en, Minutes: &minutes}); err != nil {
		t.Fatal(err)
	}

	ctx := browserFor(t, 180*time.Second)
	// The administrator adds a template: every weekday ticked (rest days
	// stay closed by the calendar), 09:00–12:00, 30 minutes, 6 places.
	login(t, ctx, base, "admin")
	do(t, ctx, chromedp.Navigate(base+"/admin/halls/"+hall+"/booking"), chromedp.WaitVisible(css("#new-template")))
	for _, wd := range []string{"6", "7"} {
		do(t, ctx, chromedp.Click(css(`#new-template input[name=weekday][value="`+wd+`"]`)))
	}
	do(t, ctx, chromedp.Click(css("#create-template")), chromedp.WaitVisible(css("#template-list tbody tr[id^=t-]")))
	if row := get(t, ctx, chromedp.Text(css("#template-list tbody tr[id^=t-]"))); !strings.Contains(row, "09:00–12:00") {
		t.Errorf("template row %q", row)
	}
	logout(t, ctx)

	do(t, ctx, chromedp.EmulateViewport(phoneWidth, 740))
	login(t, ctx, base, "zhangsan")
	book := func() {
		t.Helper()
		do(t, ctx, chromedp.Navigate(base+"/booking"), chromedp.WaitVisible(css("#booking-days")))
		phoneCheck(t, ctx, "booking")
		do(t, ctx, chromedp.Click(css("#booking-days a.day")), chromedp.WaitVisible(css("form.slot")))
		shot(t, ctx, "phone-booking-slots")
		phoneCheck(t, ctx, "booking-slots")
		do(t, ctx, chromedp.Click(css("form.slot .slot-book")), chromedp.WaitVisible(css("article.booking")))
	}
	book()
	if n := get(t, ctx, chromedp.Text(css("main"))); !strings.Contains(n, "预约成功") || !strings.Contains(n, "已预约") {
		t.Fatalf("after booking: %s", n)
	}
	shot(t, ctx, "phone-bookings")
	phoneCheck(t, ctx, "my-bookings")
	do(t, ctx, chromedp.Click(css("article.booking .booking-cancel")), chromedp.WaitVisible(css("article.booking .state-cancelled")))
	book()
	// At the hall: the slot starts in ten minutes.
	var id string
	if err := d.Reader().QueryRow(`SELECT id FROM bookings WHERE state = 'booked'`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	start := time.Now().UTC().Add(10 * time.Minute).Truncate(time.Minute)
	if err := d.Update(ctx0, func(tx *db.Tx) error {
		_, err := tx.Exec(`UPDATE bookings SET starts_at = $1, ends_at = $2 WHERE id = $3`, start, start.Add(30*time.Minute), id)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, chromedp.Navigate(base+"/me/bookings"), chromedp.WaitVisible(css("#b-"+id+" .booking-checkin")),
		chromedp.Click(css("#b-"+id+" .booking-checkin")), chromedp.WaitVisible(css("#b-"+id+" .ticket-no")))
	if no := get(t, ctx, chromedp.Text(css("#b-"+id+" .ticket-no"))); no != "A001" {
		t.Errorf("ticket %q", no)
	}
	shot(t, ctx, "phone-checked-in")
	phoneCheck(t, ctx, "checked-in")
	var ticket string
	if err := d.Reader().QueryRow(`SELECT number FROM queue_tickets WHERE booking_id = $1 AND priority = 'booking'`, id).Scan(&ticket); err != nil || ticket != "A001" {
		t.Errorf("queue ticket %q %v", ticket, err)
	}
}
