package queue

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
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

// Summary is a region's queue figures over a period: for the dashboard,
// the monthly report (平均等候时长) and the public statistics. Tickets per
// day are over the days a hall of the region gave tickets; 爽约率 is the
// bookings not kept (no-show) of those that came due (checked in or
// no-show) on the period's days.
type Summary struct {
	Tickets    int     `json:"tickets"`
	Served     int     `json:"served"`
	Void       int     `json:"void"`
	Days       int     `json:"days"`
	PerDay     float64 `json:"tickets_per_day"`
	AvgWait    float64 `json:"avg_wait_minutes"`
	AvgService float64 `json:"avg_service_minutes"`
	Bookings   int     `json:"bookings"`
	NoShows    int     `json:"no_shows"`
	NoShowRate float64 `json:"no_show_rate"`
}

// GroupSummary is the Summary of one division or service.
type GroupSummary struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	Summary
}

// RegionFigures are a region's hall figures: the total, by division one
// level below (when asked for) and by service (its prefix and name, the
// same service of several halls summed).
type RegionFigures struct {
	Total    Summary        `json:"total"`
	Regions  []GroupSummary `json:"regions"`
	Services []GroupSummary `json:"services"`
}

// sumAcc accumulates a Summary.
type sumAcc struct {
	label            string
	row              FigureRow
	void             int
	days             map[string]bool
	bookings, noShow int
}

func (a *sumAcc) summary() Summary {
	a.row.finish()
	s := Summary{Tickets: a.row.Tickets, Served: a.row.Served, Void: a.void, Days: len(a.days), AvgWait: a.row.AvgWait,
		AvgService: a.row.AvgService, Bookings: a.bookings, NoShows: a.noShow}
	if s.Days > 0 {
		s.PerDay = round1(float64(s.Tickets) / float64(s.Days))
	}
	if s.Bookings > 0 {
		s.NoShowRate = float64(s.NoShows) / float64(s.Bookings)
	}
	return s
}

// RegionSummary sums the queues of the halls in region (a hall whose
// division the region encloses) over the China days from to to, inclusive,
// at most MaxFigureDays. It checks no user: the caller has scoped region.
func RegionSummary(ctx context.Context, d *db.DB, region, from, to string) (Summary, error) {
	if err := period(from, to); err != nil {
		return Summary{}, err
	}
	f, err := HallRegionFigures(ctx, d, region, from, to, nil)
	if err != nil {
		return Summary{}, err
	}
	return f.Total, nil
}

// HallRegionFigures are the hall figures of region over the China days from
// to to (YYYY-MM-DD, inclusive; the caller bounds the period): the total,
// by service, and by child(hall's division) when child is not nil (the
// division one level below region). It checks no user: the caller has
// scoped region. Only counts and times: no ticket holder.
func HallRegionFigures(ctx context.Context, d *db.DB, region, from, to string, child func(string) string) (*RegionFigures, error) {
	if _, err := time.Parse(time.DateOnly, from); err != nil {
		return nil, invalidAt("from", "queue.bad_day", "value", from)
	}
	if _, err := time.Parse(time.DateOnly, to); err != nil || to < from {
		return nil, invalidAt("to", "queue.bad_day", "value", to)
	}
	var total sumAcc
	total.days = map[string]bool{}
	groups := map[string]map[string]*sumAcc{"region": {}, "service": {}}
	get := func(kind, key, label string) *sumAcc {
		a, ok := groups[kind][key]
		if !ok {
			a = &sumAcc{label: label, days: map[string]bool{}}
			groups[kind][key] = a
		}
		return a
	}
	var regionNames map[string]string
	err := d.View(ctx, func(tx *db.Tx) error {
		rows, err := tx.Query(`SELECT h.region_code, t.day, s.prefix || ' ' || s.name, t.state, t.taken_at, t.called_at, t.started_at, t.finished_at
			FROM queue_tickets t JOIN halls h ON h.id = t.hall_id JOIN hall_services s ON s.id = t.service_id
			WHERE t.day >= $1 AND t.day <= $2`, from, to)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var hallRegion, day, service, state string
			var taken time.Time
			var called, started, finished sql.NullTime
			if err := rows.Scan(&hallRegion, &day, &service, &state, &taken, &called, &started, &finished); err != nil {
				return err
			}
			if !codes.DivisionCovers(region, hallRegion) {
				continue
			}
			var wait, svc float64
			if called.Valid {
				wait = called.Time.Sub(taken).Minutes()
			}
			served := state == StateDone && started.Valid && finished.Valid
			if served {
				svc = finished.Time.Sub(started.Time).Minutes()
			}
			accs := []*sumAcc{&total, get("service", service, service)}
			if child != nil {
				accs = append(accs, get("region", child(hallRegion), ""))
			}
			for _, a := range accs {
				a.row.add(wait, svc, called.Valid, served)
				a.days[day] = true
				if state == StateVoid {
					a.void++
				}
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		// 爽约率: the bookings of the period's days that came due.
		brows, err := tx.Query(`SELECT h.region_code, s.prefix || ' ' || s.name, b.state
			FROM bookings b JOIN halls h ON h.id = b.hall_id JOIN hall_services s ON s.id = b.service_id
			WHERE b.day >= $1 AND b.day <= $2 AND b.state IN ('checked_in', 'no_show')`, from, to)
		if err != nil {
			return err
		}
		defer brows.Close()
		for brows.Next() {
			var hallRegion, service, state string
			if err := brows.Scan(&hallRegion, &service, &state); err != nil {
				return err
			}
			if !codes.DivisionCovers(region, hallRegion) {
				continue
			}
			accs := []*sumAcc{&total, get("service", service, service)}
			if child != nil {
				accs = append(accs, get("region", child(hallRegion), ""))
			}
			for _, a := range accs {
				a.bookings++
				if state == "no_show" {
					a.noShow++
				}
			}
		}
		if err := brows.Err(); err != nil {
			return err
		}
		if len(groups["region"]) == 0 {
			return nil
		}
		regionNames = map[string]string{}
		var ph []string
		var args []any
		for code := range groups["region"] {
			args = append(args, code)
			ph = append(ph, fmt.Sprintf("$%d", len(args)))
		}
		nrows, err := tx.Query(`SELECT code, name FROM regions WHERE code IN (`+strings.Join(ph, ", ")+`)`, args...)
		if err != nil {
			return err
		}
		defer nrows.Close()
		for nrows.Next() {
			var code, name string
			if err := nrows.Scan(&code, &name); err != nil {
				return err
			}
			regionNames[code] = name
		}
		return nrows.Err()
	})
	if err != nil {
		return nil, apperr.Internalf("queue: region figures", err)
	}
	out := &RegionFigures{Total: total.summary(), Regions: []GroupSummary{}, Services: []GroupSummary{}}
	for _, kind := range []string{"region", "service"} {
		var list []GroupSummary
		for key, a := range groups[kind] {
			label := a.label
			if kind == "region" {
				label = regionNames[key]
				if label == "" {
					label = key
				}
			}
			list = append(list, GroupSummary{Key: key, Label: label, Summary: a.summary()})
		}
		slices.SortFunc(list, func(a, b GroupSummary) int { return compare(a.Key, b.Key) })
		if kind == "region" {
			out.Regions = append(out.Regions, list...)
		} else {
			out.Services = append(out.Services, list...)
		}
	}
	return out, nil
}
