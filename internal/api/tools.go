package api

import (
	"net/http"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/edge"
)

type codeCheckResponse struct {
	Value      string `json:"value"`
	Kind       string `json:"kind"`
	Valid      bool   `json:"valid"`
	MessageKey string `json:"message_key,omitempty"`
	Message    string `json:"message,omitempty"`
}

// codesCheck validates an identifier. An invalid value is a successful
// check with valid=false and the precise reason, not an HTTP error.
func (s *Server) codesCheck(w http.ResponseWriter, r *http.Request) error {
	value := r.URL.Query().Get("value")
	if value == "" {
		return apperr.E(apperr.Invalid, "error.field_required", "field", "value")
	}
	kind, err := codes.Check(value, codes.Kind(r.URL.Query().Get("kind")), calendar.DateIn(s.Now()).Start(calendar.China))
	resp := codeCheckResponse{Value: value, Kind: string(kind), Valid: err == nil}
	if err != nil {
		if apperr.CodeOf(err) != apperr.Invalid {
			return err
		}
		p := edge.ProblemOf(r.Context(), edge.Lang(r), err)
		resp.MessageKey, resp.Message = p.MessageKey, p.Message
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// calendarFor is the calendar of the ?region= division (national if empty).
func (s *Server) calendarFor(r *http.Request) (*calendar.Calendar, error) {
	region := r.URL.Query().Get("region")
	if region != "" {
		if _, err := codes.ParseDivision(region); err != nil {
			return nil, err
		}
	}
	return s.Calendars.For(region), nil
}

// The calendar tools answer for dates of years minYear–maxYear: every date
// an administrative case can carry, and a result a few thousand working days
// on still prints as a date (JSON has no year past 9999).
const minYear, maxYear = 1900, 2199

func dateParam(r *http.Request, name string) (calendar.Date, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return calendar.Date{}, apperr.E(apperr.Invalid, "error.field_required", "field", name)
	}
	d, err := calendar.ParseDate(v)
	if err == nil && (d.Year < minYear || d.Year > maxYear) {
		return d, apperr.E(apperr.Invalid, "calendar.date_range", "value", v, "min", minYear, "max", maxYear)
	}
	return d, err
}

func (s *Server) calendarAdd(w http.ResponseWriter, r *http.Request) error {
	from, err := dateParam(r, "from")
	if err != nil {
		return err
	}
	days := r.URL.Query().Get("days")
	if days == "" {
		return apperr.E(apperr.Invalid, "error.field_required", "field", "days")
	}
	limit, err := calendar.ParseLimit(days)
	if err != nil {
		return err
	}
	cal, err := s.calendarFor(r)
	if err != nil {
		return err
	}
	m, err := cal.Deadline(from, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, withProvisional(map[string]any{"from": from, "days": limit.String(), "due": m.String(), "due_at": m.Time(calendar.China)},
		cal.Unannounced(from, m.Date)))
	return nil
}

func (s *Server) calendarBetween(w http.ResponseWriter, r *http.Request) error {
	from, err := dateParam(r, "from")
	if err != nil {
		return err
	}
	to, err := dateParam(r, "to")
	if err != nil {
		return err
	}
	cal, err := s.calendarFor(r)
	if err != nil {
		return err
	}
	n, err := cal.WorkdaysBetween(from, to)
	if err != nil {
		return err
	}
	first, last := from, to
	if last.Before(first) {
		first, last = last, first
	}
	writeJSON(w, http.StatusOK, withProvisional(map[string]any{"from": from, "to": to, "workdays": n}, cal.Unannounced(first, last)))
	return nil
}

func (s *Server) calendarWorkday(w http.ResponseWriter, r *http.Request) error {
	d, err := dateParam(r, "date")
	if err != nil {
		return err
	}
	cal, err := s.calendarFor(r)
	if err != nil {
		return err
	}
	ok, err := cal.IsWorkday(d)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, withProvisional(map[string]any{"date": d, "workday": ok, "region": cal.Region(), "source": cal.Source(d.Year)},
		cal.Unannounced(d, d)))
	return nil
}

// withProvisional says whether an answer is provisional: it reaches years
// without the State Council's holiday notice, counted with the statutory
// holidays but not the year's 调休 (calendar.Statutory).
func withProvisional(body map[string]any, years []int) map[string]any {
	body["provisional"] = len(years) > 0
	if len(years) > 0 {
		body["provisional_years"] = years
	}
	return body
}
