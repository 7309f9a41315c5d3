package server

import (
	"testing"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
)

// The calendar tools say when an answer is provisional: with the fallback,
// a year without its notice is counted with the statutory holidays
// (2027-01-01 is 元旦 without any notice) but not its 调休.
func TestCalendarAPIProvisional(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d, func(o *Options) { o.Calendars.WeekdayFallback = true })
		api := ts.URL + "/api/v1"
		_, m := apiCall(t, "POST", api+"/auth/login", "", `{"username":"clerk","password":"tongban-demo"}`)
		token, _ := m["token"].(string)
		for _, c := range []struct {
			path        string
			key         string
			want        any
			provisional bool
		}{
			{"/calendar/add?from=2025-09-26&days=20", "due", "2025-10-30", false},
			{"/calendar/add?from=2026-12-30&days=2", "due", "2027-01-04", true},
			{"/calendar/between?from=2026-12-30&to=2027-01-04", "workdays", float64(2), true},
			{"/calendar/between?from=2025-09-26&to=2025-10-30", "workdays", float64(20), false},
			{"/calendar/workday?date=2027-01-01", "workday", false, true},
			{"/calendar/workday?date=2027-02-08", "workday", false, true}, // 春节 初三
			{"/calendar/workday?date=2026-02-14", "workday", true, false},
		} {
			st, m := apiCall(t, "GET", api+c.path, token, "")
			if st != 200 || m[c.key] != c.want || m["provisional"] != c.provisional {
				t.Errorf("%s: %d %v; want %s=%v provisional=%v", c.path, st, m, c.key, c.want, c.provisional)
			}
			if ys, _ := m["provisional_years"].([]any); c.provisional && (len(ys) != 1 || ys[0] != float64(2027)) {
				t.Errorf("%s: provisional years %v", c.path, m["provisional_years"])
			}
		}
	})
}
