package queue_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/queue"
)

// fixture is a hall in a county with windows, an administrator, clerks and
// a person, written directly (the organisation's own tests cover how they
// are made); the queue's services are made through the queue.
type fixture struct {
	db       *db.DB
	q        *queue.Service
	hall     string
	other    string // a hall of another county
	windows  []string
	admin    *identity.User
	clerks   []*identity.User
	outsider *identity.User // a clerk of another county
	person   *identity.User
	items    []string
}

const county, otherCounty = "500102", "500103"

func exec(t testing.TB, d *db.DB, q string, args ...any) {
	t.Helper()
	if err := d.Update(context.Background(), func(tx *db.Tx) error {
		_, err := tx.Exec(q, args...)
		return err
	}); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func user(t testing.TB, d *db.DB, name string, kind identity.Kind, grants ...identity.Grant) *identity.User {
	t.Helper()
	id := db.NewID()
	now := time.Now().UTC()
	exec(t, d, `INSERT INTO users (id, username, kind, display_name, password_hash, created_at, updated_at) VALUES ($1, $2, $3, $4, 'x', $5, $5)`,
		id, name, string(kind), name, now)
	return &identity.User{ID: id, Username: name, Kind: kind, DisplayName: name, Grants: grants}
}

// newFixture makes the hall with n windows.
func newFixture(t testing.TB, d *db.DB, n, clerks int) *fixture {
	t.Helper()
	now := time.Now().UTC()
	f := &fixture{db: d, q: &queue.Service{DB: d}}
	exec(t, d, `INSERT INTO regions (code, name, level) VALUES ('500000', '重庆市', 1)`)
	exec(t, d, `INSERT INTO regions (code, name, level, parent_code) VALUES ($1, '涪陵区', 3, '500000')`, county)
	exec(t, d, `INSERT INTO regions (code, name, level, parent_code) VALUES ($1, '渝中区', 3, '500000')`, otherCounty)
	f.hall, f.other = db.NewID(), db.NewID()
	exec(t, d, `INSERT INTO halls (id, region_code, name, created_at) VALUES ($1, $2, '涪陵区政务服务中心', $3)`, f.hall, county, now)
	exec(t, d, `INSERT INTO halls (id, region_code, name, created_at) VALUES ($1, $2, '渝中区政务服务中心', $3)`, f.other, otherCounty, now)
	for i := 1; i <= n; i++ {
		id := db.NewID()
		exec(t, d, `INSERT INTO windows (id, hall_id, number, name, kind, created_at) VALUES ($1, $2, $3, $4, 'comprehensive', $5)`,
			id, f.hall, fmt.Sprint(i), fmt.Sprintf("综合窗口%d", i), now)
		f.windows = append(f.windows, id)
	}
	dept := db.NewID()
	exec(t, d, `INSERT INTO departments (id, name, credit_code, region_code, created_at) VALUES ($1, '涪陵区市场监督管理局', '11500102MB1C0002XM', $2, $3)`, dept, county, now)
	for i, code := range []string{"11500102MB1C0002XM4500100101001", "11500102MB1C0002XM4500100102001"} {
		exec(t, d, `INSERT INTO items (id, impl_code, basic_code, department_id, region_code, name, subject, item_type, level, handling, depth_level, visits, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, 'personal', 'licensing', 3, 1, 1, 0, $7, $7)`, db.NewID(), code, fmt.Sprint("b", i), dept, county, fmt.Sprint("事项", i), now)
		f.items = append(f.items, code)
	}
	f.admin = user(t, d, "admin", identity.KindStaff, identity.Grant{Role: identity.RoleAdmin, RegionCode: county})
	for i := 0; i < clerks; i++ {
		f.clerks = append(f.clerks, user(t, d, fmt.Sprint("clerk", i), identity.KindStaff, identity.Grant{Role: identity.RoleClerk, RegionCode: county}))
	}
	f.outsider = user(t, d, "outsider", identity.KindStaff, identity.Grant{Role: identity.RoleClerk, RegionCode: otherCounty}, identity.Grant{Role: identity.RoleAdmin, RegionCode: otherCounty})
	f.person = user(t, d, "person", identity.KindPerson)
	return f
}

// service makes a service with prefix served by the windows given.
func (f *fixture) service(t testing.TB, prefix string, minutes int, windows ...string) queue.HallService {
	t.Helper()
	name := "业务" + prefix
	ws := append([]string{}, windows...)
	hs, err := f.q.CreateService(context.Background(), f.admin, f.hall, queue.ServiceInput{Prefix: &prefix, Name: &name, Minutes: &minutes, Windows: &ws})
	if err != nil {
		t.Fatal(err)
	}
	return hs
}

func (f *fixture) kiosk(t testing.TB, service, priority string) *queue.Ticket {
	t.Helper()
	tk, err := f.q.Take(context.Background(), nil, queue.TakeInput{HallID: f.hall, ServiceID: service, Priority: priority, Source: queue.SourceKiosk})
	if err != nil {
		t.Fatal(err)
	}
	return tk
}
