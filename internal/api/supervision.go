package api

import (
	"net/http"
	"strings"

	"github.com/tongban/tongban/internal/anomaly"
	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/edge"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/paging"
	"github.com/tongban/tongban/internal/stats"
	"github.com/tongban/tongban/internal/supervise"
)

// supervisionSignals lists signals (预警、黄牌、红牌) in the caller's scope.
func (s *Server) supervisionSignals(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	after, per, err := listsKeyset(r, 50)
	if err != nil {
		return err
	}
	f := supervise.SignalFilter{Level: q.Get("level"), Dept: q.Get("dept"), Region: q.Get("region"),
		Clock: supervise.Clock(q.Get("clock")), After: after, PerPage: per, Counts: after == ""}
	pg, err := s.Supervision.Signals(r.Context(), userFrom(r.Context()), f)
	if err != nil {
		return err
	}
	last, err := s.Supervision.LastPass(r.Context())
	if err != nil {
		return err
	}
	out := map[string]any{"signals": pg.Signals, "total": pg.Total, "total_capped": pg.Capped, "per_page": per}
	if f.Counts {
		out["counts"] = pg.Counts
	}
	if pg.Next != "" {
		out["next"] = pg.Next
	}
	if !last.IsZero() {
		out["last_pass"] = last
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// supervisionOrders lists the signalled work-order clocks (差评, 诉求) in
// the caller's scope.
func (s *Server) supervisionOrders(w http.ResponseWriter, r *http.Request) error {
	after, per, err := listsKeyset(r, supervise.OrderSignalLimit)
	if err != nil {
		return err
	}
	pg, err := s.Supervision.OrderSignals(r.Context(), userFrom(r.Context()), supervise.OrderFilter{Level: r.URL.Query().Get("level"), After: after, PerPage: per})
	if err != nil {
		return err
	}
	out := map[string]any{"signals": pg.Signals, "total": pg.Total, "total_capped": pg.Capped, "per_page": per}
	if pg.Next != "" {
		out["next"] = pg.Next
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// urgeCase is 督办: the urge action with its note.
func (s *Server) urgeCase(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Note string `json:"note"`
		Rev  int    `json:"rev,omitempty"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	c, err := s.Cases.Act(r.Context(), userFrom(r.Context()), r.PathValue("no"),
		cases.ActionRequest{Action: "urge", Comment: strings.TrimSpace(req.Note), Rev: req.Rev})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"case": c})
	return nil
}

// notifications is the caller's in-app inbox.
func (s *Server) notifications(w http.ResponseWriter, r *http.Request) error {
	after, per, err := listsKeyset(r, 50)
	if err != nil {
		return err
	}
	if l := r.URL.Query().Get("limit"); l != "" && r.URL.Query().Get("per_page") == "" {
		// limit is per_page's older name.
		if per, err = paging.Size(l, 50, paging.MaxSize); err != nil {
			return err
		}
	}
	pg, err := s.Notify.Page(r.Context(), userFrom(r.Context()), after, per)
	if err != nil {
		return err
	}
	if err := s.Notify.Texts(r.Context(), edge.Lang(r), pg.Notifications); err != nil {
		return err
	}
	out := map[string]any{"notifications": pg.Notifications, "unread": pg.Unread, "unread_capped": pg.UnreadCapped, "per_page": per}
	if pg.Next != "" {
		out["next"] = pg.Next
	}
	if u := userFrom(r.Context()); u.Kind == identity.KindStaff {
		// Staff: their new work (新到待办) is read from their inbox list,
		// not written as notifications (cases/newwork.go).
		work, err := s.Cases.NewWork(r.Context(), u)
		if err != nil {
			return err
		}
		out["new_work"] = work
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// readNotifications marks one notification read ({"id"}) or all ({}).
func (s *Server) readNotifications(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		ID string `json:"id"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if err := s.Notify.MarkRead(r.Context(), userFrom(r.Context()), req.ID); err != nil {
		return err
	}
	if req.ID == "" {
		// Marking everything read marks the new work seen too.
		if err := s.Cases.SeenWork(r.Context(), userFrom(r.Context())); err != nil {
			return err
		}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// supervisionStats is the figures of a period in the caller's scope, from
// the daily rollups, with the signals showing now.
func (s *Server) supervisionStats(w http.ResponseWriter, r *http.Request) error {
	u := userFrom(r.Context())
	q := r.URL.Query()
	from, to, err := stats.Period(q.Get("from"), q.Get("to"), s.Now())
	if err != nil {
		return err
	}
	sq, err := stats.Scope(u, stats.Query{From: from, To: to, Department: q.Get("dept"), Region: q.Get("region"), Items: true, Staff: true})
	if err != nil {
		return err
	}
	sum, err := s.Stats.Summarize(r.Context(), sq)
	if err != nil {
		return err
	}
	pg, err := s.Supervision.Signals(r.Context(), u, supervise.SignalFilter{Dept: sq.Department, Region: sq.Region, PerPage: 1, Counts: true})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"summary": sum, "signals": pg.Counts})
	return nil
}

// publicStats is the public statistics of the home region (R8.3): figures
// only, no personal data.
func (s *Server) publicStats(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	from, to, err := stats.Period(q.Get("from"), q.Get("to"), s.Now())
	if err != nil {
		return err
	}
	sum, err := s.Stats.Summarize(r.Context(), stats.Query{From: from, To: to, Region: s.Region, Items: true})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"summary": sum})
	return nil
}

// supervisionAnomalies lists anomalies (R4.4) raised in a period, in the
// caller's scope, each with its reason.
func (s *Server) supervisionAnomalies(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	page, err := intParam(r, "page", 1, MaxPage)
	if err != nil {
		return err
	}
	per, err := intParam(r, "per_page", 50, MaxPerPageLong)
	if err != nil {
		return err
	}
	from, to, err := stats.Period(q.Get("from"), q.Get("to"), s.Now())
	if err != nil {
		return err
	}
	list, total, err := s.Anomalies.List(r.Context(), userFrom(r.Context()),
		anomaly.Filter{Kind: q.Get("kind"), Dept: q.Get("dept"), From: from, To: to, Page: page, PerPage: per}, edge.Lang(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"anomalies": list, "total": total, "page": page, "per_page": per})
	return nil
}

// monthlyReport downloads the monthly supervision report (通报) as xlsx or PDF.
func (s *Server) monthlyReport(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	month := q.Get("month")
	if month == "" {
		month = s.Now().AddDate(0, -1, 0).Format("2006-01")
	}
	m, err := stats.MonthlyFor(r.Context(), s.Stats.DB, userFrom(r.Context()), month, q.Get("region"), q.Get("dept"), s.Now())
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

// supervisionSettings lists the signal thresholds and escalation rules.
func (s *Server) supervisionSettings(w http.ResponseWriter, r *http.Request) error {
	set, err := s.SupervisionAdmin.Settings(r.Context(), userFrom(r.Context()))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, set)
	return nil
}

// putThresholds sets the thresholds of a region and item type (admins).
func (s *Server) putThresholds(w http.ResponseWriter, r *http.Request) error {
	var row supervise.ThresholdRow
	if err := decode(w, r, &row); err != nil {
		return err
	}
	if err := s.SupervisionAdmin.SetThresholds(r.Context(), userFrom(r.Context()), row); err != nil {
		return err
	}
	return s.supervisionSettings(w, r)
}

// deleteThresholds removes them (?region_code=&item_type=).
func (s *Server) deleteThresholds(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if err := s.SupervisionAdmin.DeleteThresholds(r.Context(), userFrom(r.Context()), q.Get("region_code"), q.Get("item_type")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// putRule creates or replaces an escalation rule (admins).
func (s *Server) putRule(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		supervise.RuleView
		Enabled *bool `json:"enabled"` // absent: the rule keeps its state (a new one is enabled)
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	rule := in.RuleView
	if in.Enabled == nil {
		rule.KeepEnabled = true
	} else {
		rule.Enabled = *in.Enabled
	}
	rule.ID = r.PathValue("id")
	if err := s.SupervisionAdmin.SetRule(r.Context(), userFrom(r.Context()), rule); err != nil {
		return err
	}
	return s.supervisionSettings(w, r)
}
