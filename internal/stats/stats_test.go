package stats_test

import (
	"bytes"
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/demo"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/pdftest"
	"github.com/tongban/tongban/internal/stats"
	"github.com/tongban/tongban/internal/vault"
)

func day(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, calendar.China)
	if err != nil {
		panic(err)
	}
	return t
}

// The figures of a hand-made month, summed and rated by hand.
func TestSummarize(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		v, _ := vault.New(vault.NewKey())
		if err := demo.Seed(ctx, d, identity.NewService(d, v)); err != nil {
			t.Fatal(err)
		}
		var amr, tax string
		d.Reader().QueryRow(`SELECT id FROM departments WHERE name LIKE '%市场监督管理局' AND region_code = '500102'`).Scan(&amr)
		d.Reader().QueryRow(`SELECT id FROM departments WHERE name LIKE '%税务局%' AND region_code = '500102'`).Scan(&tax)
		if amr == "" || tax == "" {
			t.Fatal("demo departments not found")
		}
		town := "500102006000" // 敦仁街道
		rows := []struct {
			at     string
			dept   string
			item   string
			region string
			d      stats.Delta
		}{
			{"2026-10-08 09:00", amr, "A", "500102", stats.Delta{Submitted: 4, Online: 3, Accepted: 3, Refused: 1}},
			{"2026-10-08 23:30", amr, "A", "500102", stats.Delta{Concluded: 2, Granted: 2, OnTime: 1, Instant: 1, Workdays: 3}},
			{"2026-10-09 10:00", amr, "B", "500102006001", stats.Delta{Submitted: 2, Online: 2, Accepted: 2, Yellow: 1, Red: 1}},
			{"2026-10-09 11:00", tax, "C", "500102006002", stats.Delta{Submitted: 1, Accepted: 1, Concluded: 1, OnTime: 1, Instant: 1}},
			{"2026-10-10 09:00", tax, "C", "500102", stats.Delta{Concluded: 1, Granted: 1, Workdays: 5, Withdrawn: 1}},
			{"2026-11-02 09:00", tax, "C", "500102", stats.Delta{Submitted: 9}}, // outside October
		}
		for _, r := range rows {
			if err := d.Update(ctx, func(tx *db.Tx) error {
				return stats.Add(tx, stats.Key{Day: day(r.at), Department: r.dept, ItemCode: r.item, Region: r.region}, r.d)
			}); err != nil {
				t.Fatal(err)
			}
		}
		oct := stats.Query{From: calendar.Date{Year: 2026, Month: 10, Day: 1}, To: calendar.Date{Year: 2026, Month: 10, Day: 31}, Items: true}
		s, err := stats.Summarize(ctx, d, oct)
		if err != nil {
			t.Fatal(err)
		}
		tot := s.Totals
		// Submitted 4+2+1 = 7, online 3+2 = 5; concluded 2+1+1 = 4, on time
		// 1+1 = 2, instant 2, granted 3, working days 8; accepted 6, refused 1.
		if tot.Submitted != 7 || tot.Online != 5 || tot.Concluded != 4 || tot.OnTime != 2 || tot.Instant != 2 || tot.Granted != 3 ||
			tot.Workdays != 8 || tot.Accepted != 6 || tot.Refused != 1 || tot.Yellow != 1 || tot.Red != 1 || tot.Withdrawn != 1 {
			t.Fatalf("totals %+v", tot)
		}
		near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
		if !near(tot.OnlineShare, 5.0/7) || !near(tot.OnTimeRate, 0.5) || !near(tot.InstantRate, 0.5) || !near(tot.AvgWorkdays, 2) ||
			!near(tot.RefuseShare, 1.0/7) {
			t.Fatalf("rates %+v", tot)
		}
		// Days in order, the late-evening row on its own China date.
		if len(s.Days) != 3 || s.Days[0].Day != "2026-10-08" || s.Days[0].Submitted != 4 || s.Days[0].Concluded != 2 || s.Days[2].Day != "2026-10-10" {
			t.Fatalf("days %+v", s.Days)
		}
		// Ranking by on-time rate: tax 2/2 before amr 1/2.
		if len(s.Departments) != 2 || s.Departments[0].ID != tax || s.Departments[1].ID != amr || s.Departments[0].Name == "" {
			t.Fatalf("departments %+v", s.Departments)
		}
		// One level below the district: the district itself and the town.
		q := oct
		q.Region = "500102"
		s, err = stats.Summarize(ctx, d, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Regions) != 2 || s.Regions[0].Code != "500102" || s.Regions[1].Code != town || s.Regions[1].Submitted != 3 || s.Regions[1].Name == "" {
			t.Fatalf("regions %+v", s.Regions)
		}
		// A department's own figures.
		q = oct
		q.Department = amr
		if s, err = stats.Summarize(ctx, d, q); err != nil || s.Totals.Submitted != 6 || len(s.Departments) != 1 {
			t.Fatalf("amr: %v %+v", err, s.Totals)
		}
		// The monthly report (通报) of the district: a row per department, the
		// district's totals last, in xlsx and PDF.
		m, err := stats.BuildMonthly(ctx, d, "2026-10", "500102", "", day("2026-11-02 09:00"))
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Rows) != 2 || m.Total.Submitted != 7 || m.Title() != "涪陵区政务服务电子监察通报（2026年10月）" {
			t.Fatalf("report %s: %+v", m.Title(), m)
		}
		x, err := m.XLSX()
		if err != nil {
			t.Fatal(err)
		}
		wb, err := excelize.OpenReader(bytes.NewReader(x))
		if err != nil {
			t.Fatal(err)
		}
		rowsX, _ := wb.GetRows("通报", excelize.Options{RawCellValue: true})
		total := rowsX[4+2] // the header, two departments, the total; the halls' rows below
		// 合计: 7 applications, 5 online (5/7), 6 accepted, 1 refused, 4
		// concluded, 2 on time (50%), 2 instant (50%), 2.0 working days, 1 yellow, 1 red.
		want := []string{"涪陵区合计", "7", "5", "0.714285714285714", "6", "1", "4", "2", "0.5", "2", "0.5", "2", "1", "1"}
		for i, w := range want {
			if i >= len(total) || total[i] != w {
				t.Fatalf("xlsx totals %v, want %v", total, want)
			}
		}
		if rowsX[3][0] != "部门" || len(rowsX) != 4+3+1+1+8 || rowsX[8][0] != "大厅服务" {
			t.Fatalf("xlsx rows %v", rowsX)
		}
		pdf, err := m.PDF()
		if err != nil {
			t.Fatal(err)
		}
		if out, ok := pdftest.Text(t, pdf); ok {
			for _, w := range []string{"涪陵区政务服务电子监察通报（2026年10月）", "涪陵区合计", "71.4%", "50.0%", "按时办结率"} {
				if !strings.Contains(out, w) {
					t.Errorf("%q not in the PDF:\n%s", w, out)
				}
			}
		}
		// A department's own report: a row per item.
		if m, err = stats.BuildMonthly(ctx, d, "2026-10", "500102", amr, day("2026-11-02 09:00")); err != nil || len(m.Rows) != 2 || m.Total.Submitted != 6 {
			t.Fatalf("amr's report: %v %+v", err, m)
		}
		if _, err := stats.BuildMonthly(ctx, d, "2026-13", "500102", "", day("2026-11-02 09:00")); !apperr.Is(err, apperr.Invalid, "stats.month_format") {
			t.Fatalf("month 13: %v", err)
		}

		// Monthly rollups: a long period (by month) gives the same figures
		// from the daily rows and, once the closed months are summed, from
		// the monthly ones.
		long := stats.Query{From: calendar.Date{Year: 2026, Month: 8, Day: 15}, To: calendar.Date{Year: 2026, Month: 11, Day: 10}, Items: true}
		before, err := stats.Summarize(ctx, d, long)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := stats.Compact(ctx, d, day("2026-11-20 10:00")); err != nil || n != 1 { // October; November is not over
			t.Fatalf("compact: %d %v", n, err)
		}
		if n, err := stats.Compact(ctx, d, day("2026-11-20 10:00")); err != nil || n != 0 {
			t.Fatalf("compact again: %d %v", n, err)
		}
		after, err := stats.Summarize(ctx, d, long)
		if err != nil {
			t.Fatal(err)
		}
		if before.Totals != after.Totals || len(before.Departments) != len(after.Departments) || len(before.Items) != len(after.Items) ||
			after.Totals.Submitted != 16 || len(after.Days) != 2 || after.Days[0].Day != "2026-10" || after.Days[1].Day != "2026-11" {
			t.Fatalf("long period before %+v\nafter %+v\ndays %+v", before.Totals, after.Totals, after.Days)
		}
		for i := range before.Departments {
			if before.Departments[i] != after.Departments[i] {
				t.Fatalf("department %d: %+v vs %+v", i, before.Departments[i], after.Departments[i])
			}
		}

		// Bad periods.
		if _, err := stats.Summarize(ctx, d, stats.Query{From: oct.To, To: oct.From}); !apperr.Is(err, apperr.Invalid, "stats.period_reversed") {
			t.Fatalf("reversed: %v", err)
		}
		if _, err := stats.Summarize(ctx, d, stats.Query{From: calendar.Date{Year: 2020, Month: 1, Day: 1}, To: oct.To}); !apperr.Is(err, apperr.Invalid, "stats.period_too_long") {
			t.Fatalf("too long: %v", err)
		}
	})
}
