package booking_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/booking"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/queue"
)

// fixture is a county hall with one queue service (prefix A, one item)
// and a slot template Monday–Friday 09:00–12:00, 30-minute slots of 6
// places (4 online at the default 30 % kept for walk-ins); an
// administrator and a clerk of the county, a clerk of another county, and
// persons made on demand. The clock is the test's.
type fixture struct {
	t       testing.TB
	ctx     context.Context
	db      *db.DB
	svc     *booking.Service
	q       *queue.Service
	hall    string
	other   string
	service string
	item    string
	admin   *identity.User
	clerk   *identity.User
	outside *identity.User
	staffed int

	mu  sync.Mutex
	now time.Time
}

const county, otherCounty = "500102", "500103"

// at is a time in China.
func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, calendar.China)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func exec(t testing.TB, d *db.DB, q string, args ...any) {
	t.Helper()
	if err := d.Update(context.Background(), func(tx *db.Tx) error {
		_, err := tx.Exec(q, args...)
		return err
	}); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func newFixture(t testing.TB, d *db.DB, now string) *fixture {
	t.Helper()
	f := &fixture{t: t, ctx: context.Background(), db: d, now: at(now)}
	d.SetClock(f.clock)
	f.svc = &booking.Service{DB: d, Calendars: calendar.National(), Root: county}
	f.q = &queue.Service{DB: d}
	created := time.Now().UTC()
	exec(t, d, `INSERT INTO regions (code, name, level) VALUES ('500000', '重庆市', 1)`)
	exec(t, d, `INSERT INTO regions (code, name, level, parent_code) VALUES ($1, '涪陵区', 3, '500000')`, county)
	exec(t, d, `INSERT INTO regions (code, name, level, parent_code) VALUES ($1, '渝中区', 3, '500000')`, otherCounty)
	f.hall, f.other = db.NewID(), db.NewID()
	exec(t, d, `INSERT INTO halls (id, region_code, name, created_at) VALUES ($1, $2, '涪陵区政务服务中心', $3)`, f.hall, county, created)
	exec(t, d, `INSERT INTO halls (id, region_code, name, created_at) VALUES ($1, $2, '渝中区政务服务中心', $3)`, f.other, otherCounty, created)
	dept := db.NewID()
	exec(t, d, `INSERT INTO departments (id, name, credit_code, region_code, created_at) VALUES ($1, '涪陵区市场监督管理局', '11500102MB1C0002XM', $2, $3)`, dept, county, created)
	f.item = "11500102MB1C0002XM4500100101001"
	exec(t, d, `INSERT INTO items (id, impl_code, basic_code, department_id, region_code, name, subject, item_type, level, handling, depth_level, visits, created_at, updated_at)
		VALUES ($1, $2, 'b1', $3, $4, '个体工商户设立登记', 'personal', 'licensing', 3, 1, 1, 0, $5, $5)`, db.NewID(), f.item, dept, county, created)
	f.admin = f.user("admin", identity.KindStaff, identity.Grant{Role: identity.RoleAdmin, RegionCode: county})
	f.clerk = f.user("clerk", identity.KindStaff, identity.Grant{Role: identity.RoleClerk, RegionCode: county})
	f.outside = f.user("outsider", identity.KindStaff, identity.Grant{Role: identity.RoleClerk, RegionCode: otherCounty})
	prefix, name, minutes, items := "A", "综合受理", 15, []string{f.item}
	hs, err := f.q.CreateService(f.ctx, f.admin, f.hall, queue.ServiceInput{Prefix: &prefix, Name: &name, Minutes: &minutes, Items: &items})
	if err != nil {
		t.Fatal(err)
	}
	f.service = hs.ID
	if _, err := f.svc.SaveTemplate(f.ctx, f.admin, f.hall, booking.Template{ServiceID: f.service, Weekdays: []int{1, 2, 3, 4, 5},
		From: "09:00", To: "12:00", SlotMinutes: 30, Capacity: 6, Active: true}); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fixture) setNow(s string) {
	f.mu.Lock()
	f.now = at(s)
	f.mu.Unlock()
}

func (f *fixture) user(name string, kind identity.Kind, grants ...identity.Grant) *identity.User {
	f.t.Helper()
	id := db.NewID()
	now := time.Now().UTC()
	exec(f.t, f.db, `INSERT INTO users (id, username, kind, display_name, password_hash, created_at, updated_at) VALUES ($1, $2, $3, $4, 'x', $5, $5)`,
		id, name, string(kind), name, now)
	return &identity.User{ID: id, Username: name, Kind: kind, DisplayName: name, Grants: grants, Assurance: identity.AssuranceL1}
}

// people makes n persons in one transaction.
func (f *fixture) people(n int) []*identity.User {
	f.t.Helper()
	out := make([]*identity.User, n)
	now := time.Now().UTC()
	err := f.db.Update(f.ctx, func(tx *db.Tx) error {
		for i := range out {
			f.staffed++
			u := &identity.User{ID: db.NewID(), Username: fmt.Sprintf("p%d", f.staffed), Kind: identity.KindPerson, Assurance: identity.AssuranceL1}
			u.DisplayName = "张" + u.Username
			if _, err := tx.Exec(`INSERT INTO users (id, username, kind, display_name, password_hash, created_at, updated_at) VALUES ($1, $2, 'person', $3, 'x', $4, $4)`,
				u.ID, u.Username, u.DisplayName, now); err != nil {
				return err
			}
			out[i] = u
		}
		return nil
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return out
}

func (f *fixture) person() *identity.User { return f.people(1)[0] }

func (f *fixture) req(start string) booking.Request {
	return booking.Request{HallID: f.hall, ServiceID: f.service, StartsAt: at(start)}
}

func (f *fixture) book(u *identity.User, start string) *booking.Booking {
	f.t.Helper()
	b, err := f.svc.Book(f.ctx, u, f.req(start))
	if err != nil {
		f.t.Fatalf("book %s: %v", start, err)
	}
	return b
}

// counts is what bookings wrote: bookings, places taken over every slot,
// and people's rows.
func (f *fixture) counts() [3]int {
	f.t.Helper()
	var c [3]int
	err := f.db.View(f.ctx, func(tx *db.Tx) error {
		if err := tx.QueryRow(`SELECT COUNT(*) FROM bookings`).Scan(&c[0]); err != nil {
			return err
		}
		if err := tx.QueryRow(`SELECT COALESCE(SUM(booked), 0) FROM booking_slots`).Scan(&c[1]); err != nil {
			return err
		}
		return tx.QueryRow(`SELECT COUNT(*) FROM booking_people`).Scan(&c[2])
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

// refused checks err is the apperr with code and key.
func refused(t testing.TB, err error, code apperr.Code, key string) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted, want %s %s", code, key)
	}
	if e := apperr.As(err); e.Code != code || e.Key != key {
		t.Fatalf("got %s %s (%v), want %s %s", e.Code, e.Key, err, code, key)
	}
}
