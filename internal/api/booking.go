package api

import (
	"net/http"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/booking"
)

// 网上预约 (issue 19): the offer of a hall's service, a person's bookings,
// check-in, the desk list and the administrators' templates, blackout days
// and policy. Every rule is the booking service's.

// bookingOffer: the window's days of a hall's service and one day's slots.
func (s *Server) bookingOffer(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if q.Get("service") == "" {
		return errField("service")
	}
	o, err := s.Booking.Offer(r.Context(), r.PathValue("id"), q.Get("service"), q.Get("day"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, o)
	return nil
}

func (s *Server) myBookings(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Booking.Mine(r.Context(), userFrom(r.Context()), 100)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"bookings": list})
	return nil
}

func (s *Server) book(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		HallID    string     `json:"hall_id"`
		ServiceID string     `json:"service_id"`
		ImplCode  string     `json:"impl_code"`
		StartsAt  *time.Time `json:"starts_at"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.StartsAt == nil {
		return errField("starts_at")
	}
	b, err := s.Booking.Book(r.Context(), userFrom(r.Context()), booking.Request{HallID: in.HallID, ServiceID: in.ServiceID,
		ImplCode: in.ImplCode, StartsAt: *in.StartsAt, Channel: booking.ChannelAPI})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"booking": b})
	return nil
}

func (s *Server) getBooking(w http.ResponseWriter, r *http.Request) error {
	b, err := s.Booking.Get(r.Context(), userFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"booking": b})
	return nil
}

func (s *Server) cancelBooking(w http.ResponseWriter, r *http.Request) error {
	b, err := s.Booking.Cancel(r.Context(), userFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"booking": b})
	return nil
}

// checkInBooking: the holder at the hall, or a clerk at the desk.
func (s *Server) checkInBooking(w http.ResponseWriter, r *http.Request) error {
	b, t, err := s.Booking.CheckIn(r.Context(), userFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"booking": b, "ticket": t})
	return nil
}

// hallBookings is a hall's desk list for its clerks.
func (s *Server) hallBookings(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Booking.Desk(r.Context(), userFrom(r.Context()), r.PathValue("id"), r.URL.Query().Get("day"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"bookings": list})
	return nil
}

func (s *Server) bookingSetup(w http.ResponseWriter, r *http.Request) error {
	st, err := s.Booking.HallSetup(r.Context(), userFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

type templateIn struct {
	ServiceID   string `json:"service_id"`
	Weekdays    []int  `json:"weekdays"`
	From        string `json:"from"`
	To          string `json:"to"`
	SlotMinutes int    `json:"slot_minutes"`
	Capacity    int    `json:"capacity"`
	Active      *bool  `json:"active"`
}

func (t templateIn) template(id string) booking.Template {
	active := t.Active == nil || *t.Active
	return booking.Template{ID: id, ServiceID: t.ServiceID, Weekdays: t.Weekdays, From: t.From, To: t.To,
		SlotMinutes: t.SlotMinutes, Capacity: t.Capacity, Active: active}
}

func (s *Server) createBookingTemplate(w http.ResponseWriter, r *http.Request) error {
	var in templateIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	t, err := s.Booking.SaveTemplate(r.Context(), userFrom(r.Context()), r.PathValue("id"), in.template(""))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"template": t})
	return nil
}

func (s *Server) putBookingTemplate(w http.ResponseWriter, r *http.Request) error {
	var in templateIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	t, err := s.Booking.SaveTemplate(r.Context(), userFrom(r.Context()), r.PathValue("id"), in.template(r.PathValue("tid")))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"template": t})
	return nil
}

func (s *Server) deleteBookingTemplate(w http.ResponseWriter, r *http.Request) error {
	if err := s.Booking.DeleteTemplate(r.Context(), userFrom(r.Context()), r.PathValue("id"), r.PathValue("tid")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) putBookingBlackout(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Reason string `json:"reason"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if err := s.Booking.SetBlackout(r.Context(), userFrom(r.Context()), r.PathValue("id"), r.PathValue("day"), in.Reason, true); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"blackout": booking.Blackout{Day: r.PathValue("day"), Reason: in.Reason}})
	return nil
}

func (s *Server) deleteBookingBlackout(w http.ResponseWriter, r *http.Request) error {
	if err := s.Booking.SetBlackout(r.Context(), userFrom(r.Context()), r.PathValue("id"), r.PathValue("day"), "", false); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) getBookingPolicy(w http.ResponseWriter, r *http.Request) error {
	if !userFrom(r.Context()).Installation("admin", s.Region) {
		return apperr.E(apperr.Forbidden, "error.forbidden")
	}
	p, err := s.Booking.Policy(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"policy": p})
	return nil
}

func (s *Server) putBookingPolicy(w http.ResponseWriter, r *http.Request) error {
	var in booking.Policy
	if err := decode(w, r, &in); err != nil {
		return err
	}
	p, err := s.Booking.SetPolicy(r.Context(), userFrom(r.Context()), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"policy": p})
	return nil
}
