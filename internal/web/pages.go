package web

import (
	"net/http"

	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/i18n"
	"github.com/tongban/tongban/internal/workflow"
)

func parseLang(s string) (string, bool) {
	l, ok := i18n.Parse(s)
	return string(l), ok
}

// workbench is the staff home: the visitor's posts, and the inbox, which
// htmx loads and refreshes.
func (s *Server) workbench(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "workbench.title")
	list, total, err := s.Cases.List(r.Context(), v.User, cases.Filter{Inbox: true, PerPage: 50})
	if err != nil {
		return err
	}
	v.Data["Cases"], v.Data["Total"] = list, total
	if done := r.URL.Query().Get("done"); done != "" {
		v.Notice = v.T("case.done", "action", workflow.Label("action", done))
	}
	s.render(w, r, http.StatusOK, "workbench", v)
	return nil
}

// admin lists the staff accounts within the administrator's regions and the
// loaded working-day calendar years.
func (s *Server) admin(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "admin.title")
	staff, err := s.Identity.StaffVisibleTo(r.Context(), v.User)
	if err != nil {
		return err
	}
	v.Data["Staff"] = staff
	cal := s.Calendars.For(s.Region)
	type yearRow struct {
		Year   int
		Source string
	}
	var years []yearRow
	for _, y := range cal.Years() {
		years = append(years, yearRow{y, cal.Source(y)})
	}
	v.Data["Years"] = years
	s.render(w, r, http.StatusOK, "admin", v)
	return nil
}

// me shows the visitor's own account; their own identifiers are shown masked.
func (s *Server) me(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "me.title")
	p, err := s.Identity.Profile(r.Context(), v.User)
	if err != nil {
		return err
	}
	v.Data["Profile"] = p
	s.render(w, r, http.StatusOK, "me", v)
	return nil
}
