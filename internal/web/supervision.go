package web

import (
	"encoding/json"
	"html/template"
	"net/http"
	"time"

	"github.com/tongban/tongban/internal/anomaly"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/edge"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/paging"
	"github.com/tongban/tongban/internal/stats"
	"github.com/tongban/tongban/internal/supervise"
)

// supervision is the supervisor's page (电子监察): the signals in their
// scope by department and level, filterable, most serious first.
func (s *Server) supervision(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "supervision.title")
	q := r.URL.Query()
	f := supervise.SignalFilter{Level: q.Get("level"), Dept: q.Get("dept"), Clock: supervise.Clock(q.Get("clock")), After: q.Get("after"), PerPage: 50, Counts: true}
	pg, err := s.Supervision.Signals(r.Context(), v.User, f)
	if err != nil {
		return err
	}
	list, counts := pg.Signals, pg.Counts
	var sum supervise.Count
	for _, c := range counts {
		sum.Warning += c.Warning
		sum.Yellow += c.Yellow
		sum.Red += c.Red
	}
	last, err := s.Supervision.LastPass(r.Context())
	if err != nil {
		return err
	}
	type row struct {
		supervise.Signal
		Late int // working days late (negative: left)
	}
	now := s.Now()
	rows := make([]row, len(list))
	for i, sg := range list {
		rows[i].Signal = sg
		if n, err := supervise.WorkdaysLeft(s.Calendars.For(sg.Region), now, sg.DueAt); err == nil {
			rows[i].Late = -n
		}
	}
	v.Data["Signals"], v.Data["Total"], v.Data["Counts"], v.Data["Sum"] = rows, paging.Label(pg.Total, paging.CountCap), counts, sum
	v.Data["Filter"], v.Data["Levels"], v.Data["Clocks"] = f, []string{"red", "yellow", "warning"}, supervise.Clocks
	v.Data["LastPass"] = last
	orders, err := s.Supervision.OrderSignals(r.Context(), v.User, supervise.OrderFilter{After: q.Get("orders_after")})
	if err != nil {
		return err
	}
	v.Data["Orders"], v.Data["OrdersTotal"], v.Data["OrdersNext"] = orders.Signals, paging.Label(orders.Total, paging.CountCap), orders.Next
	v.Data["OrdersAfter"] = q.Get("orders_after")
	v.Data["Next"] = pg.Next

	// The dashboard: the period's figures from the daily rollups.
	from, to, err := stats.Period(q.Get("from"), q.Get("to"), now)
	if err != nil {
		return err
	}
	sq, err := stats.Scope(v.User, stats.Query{From: from, To: to, Department: f.Dept, Region: q.Get("region"), Staff: true})
	if err != nil {
		return err
	}
	figures, err := s.Stats.Summarize(r.Context(), sq)
	if err != nil {
		return err
	}
	v.Data["Stats"], v.Data["From"], v.Data["To"], v.Data["Region"] = figures, from.String(), to.String(), sq.Region
	labels := map[string]string{}
	for _, k := range []string{"submitted", "concluded", "online_share", "on_time_rate"} {
		labels[k] = v.T("stats." + k)
	}
	for _, l := range []string{"warning", "yellow", "red"} {
		labels[l] = v.T("signal.level." + l)
	}
	dash, err := json.Marshal(map[string]any{"summary": figures, "signals": counts, "labels": labels})
	if err != nil {
		return err
	}
	v.Data["DashJSON"] = template.JS(dash) // json.Marshal escapes <, > and &
	v.Data["LastMonth"] = now.In(calendar.China).AddDate(0, -1, 0).Format("2006-01")
	s.render(w, r, http.StatusOK, "supervision", v)
	return nil
}

// statistics is the public statistics page (R8.3): the home region's
// figures, no personal data.
func (s *Server) statistics(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "stats.title")
	q := r.URL.Query()
	from, to, err := stats.Period(q.Get("from"), q.Get("to"), s.Now())
	if err != nil {
		return err
	}
	sum, err := s.Stats.Summarize(r.Context(), stats.Query{From: from, To: to, Region: s.Region, Items: true})
	if err != nil {
		return err
	}
	labels := map[string]string{}
	for _, k := range []string{"submitted", "concluded", "online_share", "on_time_rate"} {
		labels[k] = v.T("stats." + k)
	}
	dash, err := json.Marshal(map[string]any{"summary": sum, "labels": labels, "public": true})
	if err != nil {
		return err
	}
	v.Data["Stats"], v.Data["From"], v.Data["To"], v.Data["DashJSON"], v.Data["Public"] = sum, from.String(), to.String(), template.JS(dash), true
	s.render(w, r, http.StatusOK, "statistics", v)
	return nil
}

// notifications is the signed-in user's inbox.
func (s *Server) notifications(w http.ResponseWriter, r *http.Request) error {
	// Staff: their new work (新到待办), read from their inbox list; shown
	// here once, then seen.
	work, err := s.Cases.NewWork(r.Context(), visitorFrom(r).User)
	if err != nil {
		return err
	}
	if err := s.Cases.SeenWork(r.Context(), visitorFrom(r).User); err != nil {
		return err
	}
	v := s.view(r, "notify.title")
	v.Data["NewWork"] = work
	v.Data["Staff"] = v.User != nil && v.User.Kind == identity.KindStaff
	after := r.URL.Query().Get("after")
	pg, err := s.Notify.Page(r.Context(), v.User, after, 50)
	if err != nil {
		return err
	}
	if err := s.Notify.Texts(r.Context(), v.Lang, pg.Notifications); err != nil {
		return err
	}
	v.Data["Notifications"], v.Data["Next"], v.Data["After"] = pg.Notifications, pg.Next, after
	s.render(w, r, http.StatusOK, "notifications", v)
	return nil
}

// readNotifications marks one (id) or all notifications read.
func (s *Server) readNotifications(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "notify.title")
	if err := s.Notify.MarkRead(r.Context(), v.User, r.PostFormValue("id")); err != nil {
		return err
	}
	if r.PostFormValue("id") == "" {
		// Marking everything read marks the new work seen too.
		if err := s.Cases.SeenWork(r.Context(), v.User); err != nil {
			return err
		}
	}
	http.Redirect(w, r, "/notifications", http.StatusSeeOther)
	return nil
}

// dueDay shows the last day of a deadline.
func dueDay(t time.Time) string { return calendar.DateIn(t.Add(-time.Nanosecond)).String() }

// anomalies lists the anomalies (R4.4) of a period with their reasons.
func (s *Server) anomalies(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "anomaly.title")
	q := r.URL.Query()
	from, to, err := stats.Period(q.Get("from"), q.Get("to"), s.Now())
	if err != nil {
		return err
	}
	page := pageOf(q.Get("page"))
	list, total, err := s.Anomalies.List(r.Context(), v.User, anomaly.Filter{Kind: q.Get("kind"), Dept: q.Get("dept"), From: from, To: to,
		Page: page, PerPage: 50}, v.Lang)
	if err != nil {
		return err
	}
	v.Data["Anomalies"], v.Data["Total"], v.Data["Kinds"], v.Data["Kind"] = list, total, anomaly.Kinds, q.Get("kind")
	v.Data["From"], v.Data["To"] = from.String(), to.String()
	s.render(w, r, http.StatusOK, "anomalies", v)
	return nil
}

// monthlyReport downloads the monthly report (通报).
func (s *Server) monthlyReport(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "stats.report")
	q := r.URL.Query()
	m, err := stats.MonthlyFor(r.Context(), s.Stats.DB, v.User, q.Get("month"), q.Get("region"), q.Get("dept"), s.Now())
	if err != nil {
		return err
	}
	b, ctype, name, err := m.File(q.Get("format"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	edge.Transfer(w)
	w.Write(b)
	return nil
}
