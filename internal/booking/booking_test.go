package booking_test

import (
	"errors"
	"sync"
	"testing"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/booking"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/identity"
)

// The clock of most tests: Monday 2026-09-21, 10:00 in China. The window
// runs 2026-09-22 … 2026-10-05; 中秋 (09-25 … 27) and 国庆 (10-01 … 07)
// are rest days.
const monday = "2026-09-21 10:00"

// Every refusal names its rule, answers its status, and writes nothing.
func TestBookingRefusals(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d, monday)
		if err := f.svc.SetBlackout(f.ctx, f.admin, f.hall, "2026-09-24", "系统升级", true); err != nil {
			t.Fatal(err)
		}
		held := f.person()
		f.book(held, "2026-09-22 09:00")
		full := f.people(4)
		for _, u := range full {
			f.book(u, "2026-09-23 10:00")
		}
		monthly := f.person()
		for _, day := range []string{"2026-09-22", "2026-09-23", "2026-09-28", "2026-09-29"} {
			f.book(monthly, day+" 11:00")
		}
		suspended := f.person()
		exec(t, d, `INSERT INTO booking_people (user_id, suspended_until, updated_at) VALUES ($1, $2, $2)`, suspended.ID, at("2026-10-10 00:00"))
		staff := f.clerk
		fresh := f.person()
		for _, tc := range []struct {
			name  string
			who   *identity.User
			req   booking.Request
			code  apperr.Code
			key   string
			setup func()
		}{
			{"a National Day holiday", fresh, f.req("2026-10-01 09:00"), apperr.Invalid, "booking.day_closed", nil},
			{"the Mid-Autumn Sunday", fresh, f.req("2026-09-27 09:00"), apperr.Invalid, "booking.day_closed", nil},
			{"an ordinary Saturday", fresh, f.req("2026-10-03 09:00"), apperr.Invalid, "booking.day_closed", nil},
			{"a blackout day", fresh, f.req("2026-09-24 09:00"), apperr.Invalid, "booking.day_closed", nil},
			{"beyond the window", fresh, f.req("2026-10-09 09:00"), apperr.Invalid, "booking.beyond_window", nil},
			{"today", fresh, f.req("2026-09-21 11:00"), apperr.Invalid, "booking.too_soon", nil},
			{"a past slot", fresh, f.req("2026-09-21 09:00"), apperr.Invalid, "booking.slot_past", nil},
			{"no such slot", fresh, f.req("2026-09-22 09:10"), apperr.Invalid, "booking.slot_unknown", nil},
			{"after the templates' hours", fresh, f.req("2026-09-22 12:00"), apperr.Invalid, "booking.slot_unknown", nil},
			{"a full slot", fresh, f.req("2026-09-23 10:00"), apperr.Conflict, "booking.slot_full", nil},
			{"a second booking the same day", held, f.req("2026-09-22 10:30"), apperr.Conflict, "booking.day_limit", nil},
			{"a fifth booking in a month", monthly, f.req("2026-09-30 09:00"), apperr.Conflict, "booking.month_limit", nil},
			{"a suspended person", suspended, f.req("2026-09-22 09:30"), apperr.Forbidden, "booking.suspended", nil},
			{"a staff account", staff, f.req("2026-09-22 09:30"), apperr.Forbidden, "booking.persons_only", nil},
			{"an unverified account", &identity.User{ID: fresh.ID, Kind: identity.KindPerson}, f.req("2026-09-22 09:30"), apperr.Forbidden, "booking.persons_only", nil},
			{"another hall's service", fresh, booking.Request{HallID: f.other, ServiceID: f.service, StartsAt: at("2026-09-22 09:30")}, apperr.Invalid, "booking.service_unknown", nil},
			{"an item the service does not take", fresh, booking.Request{HallID: f.hall, ServiceID: f.service, ImplCode: "nope", StartsAt: at("2026-09-22 09:30")}, apperr.Invalid, "booking.item_not_served", nil},
			{"an unknown hall", fresh, booking.Request{HallID: "nope", ServiceID: f.service, StartsAt: at("2026-09-22 09:30")}, apperr.NotFound, "booking.hall_not_found", nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := f.counts()
				_, err := f.svc.Book(f.ctx, tc.who, tc.req)
				refused(t, err, tc.code, tc.key)
				if after := f.counts(); after != before {
					t.Errorf("written: %v → %v", before, after)
				}
			})
		}
		// Inside the lead time: with same-day booking allowed (the policy
		// is data), a slot starting within two hours is refused.
		p := booking.DefaultPolicy
		p.MinDaysAhead = 0
		if _, err := f.svc.SetPolicy(f.ctx, f.admin, p); err != nil {
			t.Fatal(err)
		}
		f.setNow("2026-09-21 09:00")
		_, err := f.svc.Book(f.ctx, fresh, f.req("2026-09-21 10:30"))
		refused(t, err, apperr.Invalid, "booking.lead_time")
		f.book(fresh, "2026-09-21 11:00")
	})
}

// The window's days follow the calendar: the National Day week is closed,
// the Thursday after it and the make-up Saturday 2026-10-10 are open and
// bookable.
func TestOfferFollowsTheCalendar(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d, "2026-09-28 10:00")
		o, err := f.svc.Offer(f.ctx, f.hall, f.service, "2026-10-10")
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]booking.Closure{"2026-09-29": booking.Open, "2026-10-01": booking.RestDay, "2026-10-04": booking.RestDay,
			"2026-10-07": booking.RestDay, "2026-10-08": booking.Open, "2026-10-10": booking.Open, "2026-10-11": booking.RestDay}
		for _, dd := range o.Days {
			if w, ok := want[dd.Day]; ok {
				if dd.Closure != w {
					t.Errorf("%s: %q, want %q", dd.Day, dd.Closure, w)
				}
				if (w == booking.Open) != (dd.Left == 24) { // 6 slots of 4 online places
					t.Errorf("%s: %d places left", dd.Day, dd.Left)
				}
				delete(want, dd.Day)
			}
		}
		if len(want) > 0 || len(o.Days) != 14 {
			t.Errorf("days %d, missing %v", len(o.Days), want)
		}
		if len(o.Slots) != 6 || !o.Slots[0].Bookable || o.Slots[0].Left != 4 {
			t.Fatalf("slots of the make-up Saturday: %+v", o.Slots)
		}
		u := f.person()
		b := f.book(u, "2026-10-10 09:00")
		if b.Day != "2026-10-10" || b.Time != "09:00–09:30" || b.State != booking.StateBooked || b.ServiceName != "综合受理" {
			t.Errorf("booked %+v", b)
		}
		f.book(f.person(), "2026-10-08 09:00")
		if o, _ = f.svc.Offer(f.ctx, f.hall, f.service, "2026-10-10"); o.Slots[0].Left != 3 {
			t.Errorf("after one booking %d left", o.Slots[0].Left)
		}
	})
}

// Cancelling gives the place back until the cut-off; after it, and for
// anyone but the holder, it is refused and changes nothing.
func TestCancel(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d, monday)
		u, other := f.person(), f.person()
		b := f.book(u, "2026-09-22 09:00")
		_, err := f.svc.Cancel(f.ctx, other, b.ID)
		refused(t, err, apperr.NotFound, "booking.not_found")
		c, err := f.svc.Cancel(f.ctx, u, b.ID)
		if err != nil || c.State != booking.StateCancelled || c.CancelledAt == nil {
			t.Fatalf("cancel: %+v %v", c, err)
		}
		if got := f.counts(); got[0] != 1 || got[1] != 0 {
			t.Errorf("after cancelling: %v", got)
		}
		_, err = f.svc.Cancel(f.ctx, u, b.ID)
		refused(t, err, apperr.Conflict, "booking.not_open")
		// Booked again (the day's limit counts open bookings only), then
		// too late to cancel: 30 minutes before the start.
		b = f.book(u, "2026-09-22 09:00")
		f.setNow("2026-09-22 08:30")
		before := f.counts()
		_, err = f.svc.Cancel(f.ctx, u, b.ID)
		refused(t, err, apperr.Conflict, "booking.cancel_too_late")
		if f.counts() != before {
			t.Error("a late cancellation wrote")
		}
	})
}

// Check-in turns the booking into a ticket of priority 'booking' in one
// transaction: by the holder or a clerk of the hall's county, only in the
// window around the start.
func TestCheckIn(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d, monday)
		u, v, other := f.person(), f.person(), f.person()
		b := f.book(u, "2026-09-22 09:00")
		c := f.book(v, "2026-09-22 09:30")
		tickets := func() int {
			var n int
			if err := d.Reader().QueryRow(`SELECT COUNT(*) FROM queue_tickets`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		f.setNow("2026-09-22 08:29")
		_, _, err := f.svc.CheckIn(f.ctx, u, b.ID)
		refused(t, err, apperr.Conflict, "booking.checkin_too_early")
		f.setNow("2026-09-22 08:45")
		_, _, err = f.svc.CheckIn(f.ctx, other, b.ID)
		refused(t, err, apperr.NotFound, "booking.not_found")
		_, _, err = f.svc.CheckIn(f.ctx, f.outside, b.ID)
		refused(t, err, apperr.NotFound, "booking.not_found")
		if tickets() != 0 {
			t.Fatal("a refused check-in took a ticket")
		}
		got, tk, err := f.svc.CheckIn(f.ctx, u, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		if tk.Number != "A001" || tk.Priority != "booking" || tk.Source != "booking" || got.State != booking.StateCheckedIn || got.TicketNo != "A001" {
			t.Errorf("checked in %+v with %+v", got, tk)
		}
		_, _, err = f.svc.CheckIn(f.ctx, u, b.ID)
		refused(t, err, apperr.Conflict, "booking.not_open")
		// The clerk at the desk: the list masks the names, the check-in gives the next number.
		desk, err := f.svc.Desk(f.ctx, f.clerk, f.hall, "2026-09-22")
		if err != nil || len(desk) != 2 || desk[1].Name == v.DisplayName {
			t.Fatalf("desk %+v %v", desk, err)
		}
		_, err = f.svc.Desk(f.ctx, f.outside, f.hall, "")
		refused(t, err, apperr.NotFound, "booking.hall_not_found")
		f.setNow("2026-09-22 09:05")
		_, tk, err = f.svc.CheckIn(f.ctx, f.clerk, c.ID)
		if err != nil || tk.Number != "A002" {
			t.Fatalf("desk check-in %+v %v", tk, err)
		}
		// Too late: 15 minutes after the start.
		w := f.book(f.person(), "2026-09-23 09:00")
		f.setNow("2026-09-23 09:16")
		_, _, err = f.svc.CheckIn(f.ctx, f.clerk, w.ID)
		refused(t, err, apperr.Conflict, "booking.checkin_too_late")
		var status string
		if err := d.Reader().QueryRow(`SELECT priority FROM queue_tickets WHERE booking_id = $1`, b.ID).Scan(&status); err != nil || status != "booking" {
			t.Errorf("the ticket's booking: %q %v", status, err)
		}
	})
}

// A booking not checked in is a no-show once its check-in has closed; two
// in 30 days suspend online booking for 30 days. Tomorrow's bookings are
// reminded once, a cancelled one not at all.
func TestSweep(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d, monday)
		u, v := f.person(), f.person()
		f.book(u, "2026-09-22 09:00")
		f.book(u, "2026-09-23 09:00")
		kept := f.book(v, "2026-09-22 11:00")
		gone := f.book(v, "2026-09-23 11:00")
		// Monday: tomorrow's bookings are reminded.
		rep, err := f.svc.Sweep(f.ctx)
		if err != nil || rep.Reminded != 2 || rep.NoShows != 0 {
			t.Fatalf("sweep %+v %v", rep, err)
		}
		if rep, _ = f.svc.Sweep(f.ctx); rep.Reminded != 0 {
			t.Errorf("reminded twice: %+v", rep)
		}
		var kind, body string
		if err := d.Reader().QueryRow(`SELECT kind, body FROM notify_pending WHERE user_id = $1`, u.ID).Scan(&kind, &body); err != nil || kind != booking.ReminderKind {
			t.Fatalf("reminder %q %q %v", kind, body, err)
		}
		if _, err := f.svc.Cancel(f.ctx, v, gone.ID); err != nil {
			t.Fatal(err)
		}
		// Tuesday 09:20: the check-in of 09:00 is open until 09:15, the
		// slot runs to 09:30; at 09:31 it is a no-show.
		f.setNow("2026-09-22 09:20")
		if rep, _ = f.svc.Sweep(f.ctx); rep.NoShows != 0 || rep.Reminded != 1 {
			t.Errorf("09:20 %+v", rep)
		}
		f.setNow("2026-09-22 09:31")
		if rep, _ = f.svc.Sweep(f.ctx); rep.NoShows != 1 || rep.Suspended != 0 {
			t.Errorf("09:31 %+v", rep)
		}
		if _, _, err := f.svc.CheckIn(f.ctx, v, kept.ID); err == nil {
			t.Error("checked in two hours early")
		}
		f.setNow("2026-09-22 10:50")
		if _, _, err := f.svc.CheckIn(f.ctx, v, kept.ID); err != nil {
			t.Fatal(err)
		}
		f.setNow("2026-09-23 12:00")
		rep, _ = f.svc.Sweep(f.ctx)
		// … and the ticket v's check-in gave on Tuesday, never called, is void.
		if rep.NoShows != 1 || rep.Suspended != 1 || rep.Voided != 1 {
			t.Errorf("Wednesday %+v", rep)
		}
		_, err = f.svc.Book(f.ctx, u, f.req("2026-09-28 09:00"))
		refused(t, err, apperr.Forbidden, "booking.suspended")
		if _, err := f.svc.Book(f.ctx, v, f.req("2026-09-28 09:00")); err != nil {
			t.Errorf("v (checked in once, cancelled once) refused: %v", err)
		}
		// After 30 days the suspension ends.
		f.setNow("2026-10-23 12:01")
		if _, err := f.svc.Book(f.ctx, u, f.req("2026-10-26 09:00")); err != nil {
			t.Errorf("after the suspension: %v", err)
		}
	})
}

// A slot is never over-booked: 200 persons at once for its last 5 places,
// on each database, and on PostgreSQL through two Services (two replicas).
func TestNeverOverbooked(t *testing.T) {
	race := func(t *testing.T, f *fixture, svcs []*booking.Service) {
		start := "2026-09-22 10:00"
		for _, u := range f.people(2) { // 4 online places … 2 taken: raise to 7 online with 5 left
			f.book(u, start)
		}
		exec(t, f.db, `UPDATE booking_slots SET online = 7, capacity = 10`)
		people := f.people(200)
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok, full := 0, 0
		var other []error
		for i, u := range people {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := svcs[i%len(svcs)].Book(f.ctx, u, f.req(start))
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					ok++
				case apperr.Is(err, apperr.Conflict, "booking.slot_full"):
					full++
				default:
					other = append(other, err)
				}
			}()
		}
		wg.Wait()
		if ok != 5 || full != 195 || len(other) > 0 {
			t.Fatalf("%d booked, %d full, others %v", ok, full, errors.Join(other...))
		}
		var booked, rows int
		if err := f.db.Reader().QueryRow(`SELECT booked FROM booking_slots`).Scan(&booked); err != nil {
			t.Fatal(err)
		}
		if err := f.db.Reader().QueryRow(`SELECT COUNT(*) FROM bookings WHERE state = 'booked'`).Scan(&rows); err != nil {
			t.Fatal(err)
		}
		if booked != 7 || rows != 7 {
			t.Errorf("counter %d, bookings %d, want 7", booked, rows)
		}
	}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d, monday)
		race(t, f, []*booking.Service{f.svc})
	})
	t.Run("two replicas", func(t *testing.T) {
		dbtest.EachPair(t, func(t *testing.T, a, b *db.DB) {
			f := newFixture(t, a, monday)
			b.SetClock(f.clock)
			other := &booking.Service{DB: b, Calendars: f.svc.Calendars, Root: county}
			race(t, f, []*booking.Service{f.svc, other})
		})
	})
}

// One person's concurrent bookings of one day: the person's row orders
// them, so the day's limit holds.
func TestPersonLimitUnderConcurrency(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d, monday)
		u := f.person()
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok := 0
		for _, slot := range []string{"09:00", "09:30", "10:00", "10:30", "11:00", "11:30"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := f.svc.Book(f.ctx, u, f.req("2026-09-22 "+slot))
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					ok++
				} else if !apperr.Is(err, apperr.Conflict, "booking.day_limit") {
					t.Errorf("%s: %v", slot, err)
				}
			}()
		}
		wg.Wait()
		if ok != 1 {
			t.Errorf("%d bookings on one day", ok)
		}
	})
}
