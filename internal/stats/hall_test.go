package stats_test

import (
	"bytes"
	"context"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/pdftest"
	"github.com/tongban/tongban/internal/queue"
	"github.com/tongban/tongban/internal/stats"
)

func execT(t *testing.T, d *db.DB, q string, args ...any) {
	t.Helper()
	if err := d.Update(context.Background(), func(tx *db.Tx) error {
		_, err := tx.Exec(q, args...)
		return err
	}); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// The halls' figures — 平均等候时长, service time, tickets per day, 爽约率 —
// from real tickets taken, called and finished at set times: in the summary
// (by division one level down and by service), the monthly report's xlsx
// and PDF, and not in a department's figures.
func TestHallFigures(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		var mu sync.Mutex
		now := day("2026-10-12 09:00")
		d.SetClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
		set := func(s string) { mu.Lock(); now = day(s); mu.Unlock() }
		created := d.Now()
		execT(t, d, `INSERT INTO regions (code, name, level) VALUES ('500000', '重庆市', 1)`)
		execT(t, d, `INSERT INTO regions (code, name, level, parent_code) VALUES ('500102', '涪陵区', 3, '500000')`)
		execT(t, d, `INSERT INTO regions (code, name, level, parent_code) VALUES ('500102006000', '敦仁街道', 4, '500102')`)
		county, town := db.NewID(), db.NewID()
		execT(t, d, `INSERT INTO halls (id, region_code, name, created_at) VALUES ($1, '500102', '涪陵区政务服务中心', $2)`, county, created)
		execT(t, d, `INSERT INTO halls (id, region_code, name, created_at) VALUES ($1, '500102006000', '敦仁街道便民服务中心', $2)`, town, created)
		win := db.NewID()
		execT(t, d, `INSERT INTO windows (id, hall_id, number, name, kind, created_at) VALUES ($1, $2, '1', '综合窗口', 'comprehensive', $3)`, win, county, created)
		a, b := db.NewID(), db.NewID()
		execT(t, d, `INSERT INTO hall_services (id, hall_id, prefix, name, minutes, created_at) VALUES ($1, $2, 'A', '综合业务', 10, $3)`, a, county, created)
		execT(t, d, `INSERT INTO hall_services (id, hall_id, prefix, name, minutes, created_at) VALUES ($1, $2, 'B', '社保业务', 10, $3)`, b, town, created)
		execT(t, d, `INSERT INTO window_services (window_id, service_id) VALUES ($1, $2)`, win, a)
		clerkID := db.NewID()
		execT(t, d, `INSERT INTO users (id, username, kind, display_name, password_hash, created_at, updated_at) VALUES ($1, 'clerk', 'staff', '窗口', 'x', $2, $2)`, clerkID, created)
		clerk := &identity.User{ID: clerkID, Kind: identity.KindStaff, Grants: []identity.Grant{{Role: identity.RoleClerk, RegionCode: "500102"}}}
		q := &queue.Service{DB: d}
		take := func(hall, service string) *queue.Ticket {
			tk, err := q.Take(ctx, nil, queue.TakeInput{HallID: hall, ServiceID: service, Source: queue.SourceKiosk})
			if err != nil {
				t.Fatal(err)
			}
			return tk
		}
		take(county, a)
		take(county, a)
		if _, err := q.SignOn(ctx, clerk, win); err != nil {
			t.Fatal(err)
		}
		serve := func(call, finish string, wait float64) {
			set(call)
			tk, err := q.CallNext(ctx, clerk)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := q.Start(ctx, clerk, tk.ID); err != nil {
				t.Fatal(err)
			}
			set(finish)
			if _, err := q.Finish(ctx, clerk, tk.ID, queue.FinishInput{Outcome: queue.OutcomeEnquiry}); err != nil {
				t.Fatal(err)
			}
		}
		serve("2026-10-12 09:10", "2026-10-12 09:20", 10) // waited 10, served 10
		serve("2026-10-12 09:30", "2026-10-12 09:50", 30) // waited 30, served 20
		set("2026-10-12 10:00")
		take(town, b) // never called
		set("2026-10-13 10:00")
		take(county, a) // a second day
		// Bookings: one kept, one not, one still open (not counted).
		slot := db.NewID()
		execT(t, d, `INSERT INTO booking_slots (id, hall_id, service_id, starts_at, ends_at, capacity, online, booked) VALUES ($1, $2, $3, $4, $5, 6, 4, 3)`,
			slot, county, a, day("2026-10-12 09:00"), day("2026-10-12 09:30"))
		for _, state := range []string{"checked_in", "no_show", "booked"} {
			execT(t, d, `INSERT INTO bookings (id, slot_id, hall_id, service_id, person_id, day, starts_at, ends_at, state, channel, created_at)
				VALUES ($1, $2, $3, $4, $5, '2026-10-12', $6, $7, $8, 'portal', $6)`, db.NewID(), slot, county, a, clerkID,
				day("2026-10-12 09:00"), day("2026-10-12 09:30"), state)
		}

		oct := stats.Query{From: calendar.Date{Year: 2026, Month: 10, Day: 1}, To: calendar.Date{Year: 2026, Month: 10, Day: 31}, Region: "500102"}
		s, err := stats.Summarize(ctx, d, oct)
		if err != nil {
			t.Fatal(err)
		}
		if s.Hall == nil {
			t.Fatal("no hall figures")
		}
		tot := s.Hall.Total
		// 4 tickets over 2 days; waits 10 and 30; services 10 and 20; 1 of 2 due bookings missed.
		if tot.Tickets != 4 || tot.Served != 2 || tot.Days != 2 || tot.PerDay != 2 || tot.AvgWait != 20 || tot.AvgService != 15 ||
			tot.Bookings != 2 || tot.NoShows != 1 || math.Abs(tot.NoShowRate-0.5) > 1e-9 {
			t.Fatalf("total %+v", tot)
		}
		if len(s.Hall.Regions) != 2 || s.Hall.Regions[0].Key != "500102" || s.Hall.Regions[0].Label != "涪陵区" || s.Hall.Regions[0].Tickets != 3 ||
			s.Hall.Regions[0].AvgWait != 20 || s.Hall.Regions[1].Key != "500102006000" || s.Hall.Regions[1].Label != "敦仁街道" ||
			s.Hall.Regions[1].Tickets != 1 || s.Hall.Regions[1].AvgWait != 0 || s.Hall.Regions[1].Bookings != 0 {
			t.Fatalf("by region %+v", s.Hall.Regions)
		}
		if len(s.Hall.Services) != 2 || s.Hall.Services[0].Label != "A 综合业务" || s.Hall.Services[0].AvgService != 15 || s.Hall.Services[0].NoShows != 1 ||
			s.Hall.Services[1].Label != "B 社保业务" || s.Hall.Services[1].Served != 0 {
			t.Fatalf("by service %+v", s.Hall.Services)
		}
		// The town alone; another month has none.
		tq := oct
		tq.Region = "500102006000"
		if s, err := stats.Summarize(ctx, d, tq); err != nil || s.Hall.Total.Tickets != 1 || s.Hall.Total.Bookings != 0 {
			t.Fatalf("the town: %v %+v", err, s.Hall)
		}
		nov := stats.Query{From: calendar.Date{Year: 2026, Month: 11, Day: 1}, To: calendar.Date{Year: 2026, Month: 11, Day: 30}, Region: "500102"}
		if s, err := stats.Summarize(ctx, d, nov); err != nil || s.Hall.Total.Tickets != 0 || s.Hall.Total.AvgWait != 0 {
			t.Fatalf("november: %v %+v", err, s.Hall)
		}
		// The monthly report: the halls' row in the PDF, the rows below the
		// table in the workbook with numbers as numbers.
		m, err := stats.BuildMonthly(ctx, d, "2026-10", "500102", "", day("2026-11-02 09:00"))
		if err != nil {
			t.Fatal(err)
		}
		if m.Hall == nil || m.Hall.AvgWait != 20 {
			t.Fatalf("report hall %+v", m.Hall)
		}
		x, err := m.XLSX()
		if err != nil {
			t.Fatal(err)
		}
		wb, err := excelize.OpenReader(bytes.NewReader(x))
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := wb.GetRows("通报", excelize.Options{RawCellValue: true})
		got := map[string]string{}
		for _, r := range rows {
			if len(r) >= 2 {
				got[r[0]] = r[1]
			}
		}
		for k, v := range map[string]string{"取号数": "4", "日均取号": "2", "平均等候时长（分钟）": "20", "平均办理时长（分钟）": "15", "预约爽约率": "0.5"} {
			if got[k] != v {
				t.Errorf("xlsx %s = %q, want %q (%v)", k, got[k], v, rows)
			}
		}
		pdf, err := m.PDF()
		if err != nil {
			t.Fatal(err)
		}
		if out, ok := pdftest.Text(t, pdf); ok {
			for _, w := range []string{"平均等候时长 20.0 分钟", "平均办理时长 15.0 分钟", "预约爽约率 50.0%"} {
				if !strings.Contains(strings.ReplaceAll(out, "\n", ""), w) {
					t.Errorf("%q not in the PDF:\n%s", w, out)
				}
			}
		}
	})
}
