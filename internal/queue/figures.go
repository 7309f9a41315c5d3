package queue

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
)

// Figures are a hall's queue figures over a period of China days: tickets
// per day, and waiting time (taken to first called) and service time
// (started to finished) per service, window, staff member and hour of the
// day the ticket was taken.
type Figures struct {
	HallID    string      `json:"hall_id"`
	HallName  string      `json:"hall_name"`
	From      string      `json:"from"`
	To        string      `json:"to"`
	Total     FigureRow   `json:"total"`
	Days      []DayCount  `json:"days"`
	ByService []FigureRow `json:"by_service"`
	ByWindow  []FigureRow `json:"by_window"`
	ByStaff   []FigureRow `json:"by_staff"`
	ByHour    []FigureRow `json:"by_hour"`
}

// DayCount is one day's tickets: taken, served and void.
type DayCount struct {
	Day    string `json:"day"`
	Taken  int    `json:"taken"`
	Served int    `json:"served"`
	Void   int    `json:"void"`
}

// FigureRow is one group's figures: tickets, those called (with a waiting
// time) and served (with a service time), the average and the longest wait
// and the average service, in minutes (one decimal).
type FigureRow struct {
	Key           string  `json:"key"`
	Label         string  `json:"label"`
	Tickets       int     `json:"tickets"`
	Called        int     `json:"called"`
	Served        int     `json:"served"`
	AvgWait       float64 `json:"avg_wait_minutes"`
	MaxWait       float64 `json:"max_wait_minutes"`
	AvgService    float64 `json:"avg_service_minutes"`
	waitSum, svcS float64
}

// MaxFigureDays bounds a figures period.
const MaxFigureDays = 366

func (r *FigureRow) add(wait, service float64, called, served bool) {
	r.Tickets++
	if called {
		r.Called++
		r.waitSum += wait
		r.MaxWait = max(r.MaxWait, round1(wait))
	}
	if served {
		r.Served++
		r.svcS += service
	}
}

func (r *FigureRow) finish() {
	if r.Called > 0 {
		r.AvgWait = round1(r.waitSum / float64(r.Called))
	}
	if r.Served > 0 {
		r.AvgService = round1(r.svcS / float64(r.Served))
	}
}

func round1(f float64) float64 { return float64(int64(f*10+0.5)) / 10 }

// period checks a period of days, YYYY-MM-DD, at most MaxFigureDays.
func period(from, to string) error {
	f, err := time.Parse(time.DateOnly, from)
	if err != nil {
		return invalidAt("from", "queue.bad_day", "value", from)
	}
	t, err := time.Parse(time.DateOnly, to)
	if err != nil {
		return invalidAt("to", "queue.bad_day", "value", to)
	}
	if t.Before(f) || t.Sub(f) > (MaxFigureDays-1)*24*time.Hour {
		return invalidAt("to", "queue.period", "max", MaxFigureDays)
	}
	return nil
}

// HallFigures reads a hall's figures for staff of its region: its clerks,
// administrators and supervisors. from and to are China days; empty, the
// last 30 days to today.
func (s *Service) HallFigures(ctx context.Context, u *identity.User, hallID, from, to string) (*Figures, error) {
	var out *Figures
	err := s.DB.View(ctx, func(tx *db.Tx) error {
		h, err := hallRow(tx, hallID)
		if err != nil {
			return err
		}
		if u == nil {
			return apperr.E(apperr.Unauthenticated, "error.unauthenticated")
		}
		if !u.ScopeOf(identity.RoleClerk, identity.RoleAdmin, identity.RoleSupervisor).CoversRegion(h.Region) {
			return apperr.E(apperr.Forbidden, "queue.forbidden_hall", "hall", h.Name)
		}
		if to == "" {
			to = Day(tx.Now)
		}
		if from == "" {
			t, _ := time.Parse(time.DateOnly, to)
			from = t.AddDate(0, 0, -29).Format(time.DateOnly)
		}
		if err := period(from, to); err != nil {
			return err
		}
		out, err = figuresTx(tx, h, from, to)
		return err
	})
	return out, apperr.Internalf("queue: figures", err)
}

func figuresTx(tx *db.Tx, h hall, from, to string) (*Figures, error) {
	f := &Figures{HallID: h.ID, HallName: h.Name, From: from, To: to, Days: []DayCount{}}
	rows, err := tx.Query(`SELECT t.day, t.state, s.prefix || ' ' || s.name, COALESCE(w.number, ''), COALESCE(u.display_name, ''), COALESCE(t.staff_id, ''),
		t.taken_at, t.called_at, t.started_at, t.finished_at
		FROM queue_tickets t JOIN hall_services s ON s.id = t.service_id
		LEFT JOIN windows w ON w.id = t.window_id LEFT JOIN users u ON u.id = t.staff_id
		WHERE t.hall_id = $1 AND t.day >= $2 AND t.day <= $3 ORDER BY t.day`, h.ID, from, to)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	days := map[string]*DayCount{}
	groups := map[string]map[string]*FigureRow{"service": {}, "window": {}, "staff": {}, "hour": {}}
	get := func(kind, key, label string) *FigureRow {
		r, ok := groups[kind][key]
		if !ok {
			r = &FigureRow{Key: key, Label: label}
			groups[kind][key] = r
		}
		return r
	}
	for rows.Next() {
		var day, state, service, window, staff, staffID string
		var taken time.Time
		var called, started, finished sql.NullTime
		if err := rows.Scan(&day, &state, &service, &window, &staff, &staffID, &taken, &called, &started, &finished); err != nil {
			return nil, err
		}
		d, ok := days[day]
		if !ok {
			d = &DayCount{Day: day}
			days[day] = d
		}
		d.Taken++
		switch state {
		case StateDone:
			d.Served++
		case StateVoid:
			d.Void++
		}
		var wait, svc float64
		if called.Valid {
			wait = called.Time.Sub(taken).Minutes()
		}
		served := state == StateDone && started.Valid && finished.Valid
		if served {
			svc = finished.Time.Sub(started.Time).Minutes()
		}
		hour := taken.In(calendar.China).Hour()
		f.Total.add(wait, svc, called.Valid, served)
		get("service", service, service).add(wait, svc, called.Valid, served)
		get("hour", fmt.Sprintf("%02d", hour), fmt.Sprintf("%02d:00", hour)).add(wait, svc, called.Valid, served)
		if window != "" {
			get("window", window, window).add(wait, svc, called.Valid, served)
		}
		if staffID != "" {
			get("staff", staffID, staff).add(wait, svc, called.Valid, served)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	f.Total.Key, f.Total.Label = "total", ""
	f.Total.finish()
	for _, d := range days {
		f.Days = append(f.Days, *d)
	}
	slices.SortFunc(f.Days, func(a, b DayCount) int { return compare(a.Day, b.Day) })
	list := func(kind string) []FigureRow {
		out := []FigureRow{}
		for _, r := range groups[kind] {
			r.finish()
			out = append(out, *r)
		}
		slices.SortFunc(out, func(a, b FigureRow) int { return compare(a.Key, b.Key) })
		return out
	}
	f.ByService, f.ByWindow, f.ByStaff, f.ByHour = list("service"), list("window"), list("staff"), list("hour")
	return f, nil
}

func compare(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Summary is a region's queue figures over a period: for the dashboard and
// the monthly report (平均等候时长).
type Summary struct {
	Tickets    int     `json:"tickets"`
	Served     int     `json:"served"`
	Void       int     `json:"void"`
	AvgWait    float64 `json:"avg_wait_minutes"`
	AvgService float64 `json:"avg_service_minutes"`
}

// RegionSummary sums the queues of the halls in region (a hall whose
// division the region encloses) over the China days from to to, inclusive:
// the function the dashboard and the monthly report call. It checks no
// user: the caller has scoped region.
func RegionSummary(ctx context.Context, d *db.DB, region, from, to string) (Summary, error) {
	var out Summary
	if err := period(from, to); err != nil {
		return out, err
	}
	err := d.View(ctx, func(tx *db.Tx) error {
		rows, err := tx.Query(`SELECT h.region_code, t.state, t.taken_at, t.called_at, t.started_at, t.finished_at
			FROM queue_tickets t JOIN halls h ON h.id = t.hall_id WHERE t.day >= $1 AND t.day <= $2`, from, to)
		if err != nil {
			return err
		}
		defer rows.Close()
		var total FigureRow
		for rows.Next() {
			var hallRegion, state string
			var taken time.Time
			var called, started, finished sql.NullTime
			if err := rows.Scan(&hallRegion, &state, &taken, &called, &started, &finished); err != nil {
				return err
			}
			if !codes.DivisionCovers(region, hallRegion) {
				continue
			}
			if state == StateVoid {
				out.Void++
			}
			var wait, svc float64
			if called.Valid {
				wait = called.Time.Sub(taken).Minutes()
			}
			served := state == StateDone && started.Valid && finished.Valid
			if served {
				svc = finished.Time.Sub(started.Time).Minutes()
			}
			total.add(wait, svc, called.Valid, served)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		total.finish()
		out.Tickets, out.Served, out.AvgWait, out.AvgService = total.Tickets, total.Served, total.AvgWait, total.AvgService
		return nil
	})
	return out, apperr.Internalf("queue: region summary", err)
}
