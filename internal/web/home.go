package web

import (
	"net/http"

	"github.com/tongban/tongban/internal/calendar"
)

// home is the public front page (portal).
func (s *Server) home(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "home.title")
	today := calendar.DateIn(s.Now())
	v.Data["Today"] = today.String()
	kind := "home.calendar_unknown"
	if ok, err := s.Calendars.For(s.Region).IsWorkday(today); err == nil {
		kind = "home.calendar_dayoff"
		if ok {
			kind = "home.calendar_workday"
		}
	}
	v.Data["DayKind"] = kind
	s.render(w, r, http.StatusOK, "home", v)
	return nil
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "page.not_found_title")
	v.Problem = &edgeNotFound
	v.Problem.Message = v.T("error.not_found")
	s.render(w, r, http.StatusNotFound, "error", v)
	return nil
}
