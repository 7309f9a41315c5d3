package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/booking"
	"github.com/tongban/tongban/internal/edge"
	"github.com/tongban/tongban/internal/identity"
)

// 网上预约 (issue 19) on four pages: the person's booking page (/booking:
// hall → service → day → slot), their bookings (/me/bookings: cancel,
// check in at the hall), the clerk's desk list (/workbench/bookings: check
// in at the desk) and the hall administrator's templates and blackout days
// (/admin/halls/{id}/booking). Every rule is the booking service's; a
// refusal re-renders the page with its message.

// bookingPage shows the choice so far and what comes next.
func (s *Server) bookingPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderBooking(w, r, s.view(r, "booking.title"), http.StatusOK, nil, r.URL.Query())
}

func (s *Server) renderBooking(w http.ResponseWriter, r *http.Request, v *View, status int, problem error, q url.Values) error {
	halls, err := s.Booking.Bookable(r.Context())
	if err != nil {
		return err
	}
	v.Data["Halls"] = halls
	hallID, serviceID, day := q.Get("hall"), q.Get("service"), q.Get("day")
	if len(halls) == 1 && hallID == "" {
		hallID = halls[0].ID
	}
	for _, h := range halls {
		if h.ID != hallID {
			continue
		}
		v.Data["Hall"] = h
		if len(h.Services) == 1 && serviceID == "" {
			serviceID = h.Services[0].ID
		}
		for _, sv := range h.Services {
			if sv.ID == serviceID {
				v.Data["Service"] = sv
			}
		}
	}
	if v.Data["Service"] != nil {
		o, err := s.Booking.Offer(r.Context(), hallID, serviceID, day)
		if err != nil {
			if _, ok := refusal(err); !ok {
				return err
			}
			if problem == nil {
				problem, status = err, http.StatusBadRequest
			}
		} else {
			v.Data["Offer"] = o
		}
	}
	if problem != nil {
		p := edge.ProblemOf(r.Context(), v.Lang, problem)
		v.Problem = &p
	}
	s.render(w, r, status, "booking", v)
	return nil
}

// bookingPost books the slot chosen.
func (s *Server) bookingPost(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "booking.title")
	f := r.PostForm
	start, err := time.Parse(time.RFC3339, f.Get("starts_at"))
	if err != nil {
		return s.renderBooking(w, r, v, http.StatusBadRequest, apperr.E(apperr.Invalid, "booking.slot_unknown"), f)
	}
	b, err := s.Booking.Book(r.Context(), v.User, booking.Request{HallID: f.Get("hall"), ServiceID: f.Get("service"),
		ImplCode: f.Get("impl_code"), StartsAt: start, Channel: booking.ChannelPortal})
	if err != nil {
		if st, ok := bookingRefusal(err); ok {
			return s.renderBooking(w, r, v, st, err, f)
		}
		return err
	}
	http.Redirect(w, r, "/me/bookings?done=booked#b-"+b.ID, http.StatusSeeOther)
	return nil
}

// bookingRefusal: refusal, plus a suspended person's 403, shown on the page.
func bookingRefusal(err error) (int, bool) {
	if apperr.Is(err, apperr.Forbidden, "booking.suspended") || apperr.Is(err, apperr.Forbidden, "booking.persons_only") {
		return http.StatusForbidden, true
	}
	return refusal(err)
}

// bookingRow is a booking with what its page offers.
type bookingRow struct {
	*booking.Booking
	CanCancel, CanCheckIn bool
}

func (s *Server) myBookings(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "booking.mine_title")
	switch d := r.URL.Query().Get("done"); d {
	case "booked", "cancelled", "checked_in":
		v.Notice = v.T("booking.done_" + d)
	}
	return s.renderMyBookings(w, r, v, http.StatusOK, nil)
}

func (s *Server) renderMyBookings(w http.ResponseWriter, r *http.Request, v *View, status int, problem error) error {
	list, err := s.Booking.Mine(r.Context(), v.User, 100)
	if err != nil {
		return err
	}
	p, err := s.Booking.Policy(r.Context())
	if err != nil {
		return err
	}
	now := s.Now()
	rows := make([]bookingRow, len(list))
	for i, b := range list {
		open := b.State == booking.StateBooked
		rows[i] = bookingRow{Booking: b, CanCancel: open && !now.After(b.CancelUntil),
			CanCheckIn: open && !now.Before(b.StartsAt.Add(-time.Duration(p.CheckInBefore)*time.Minute)) &&
				!now.After(b.StartsAt.Add(time.Duration(p.CheckInAfter)*time.Minute))}
	}
	v.Data["Bookings"] = rows
	if problem != nil {
		pr := edge.ProblemOf(r.Context(), v.Lang, problem)
		v.Problem = &pr
	}
	s.render(w, r, status, "bookings_mine", v)
	return nil
}

func (s *Server) myBookingCancel(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "booking.mine_title")
	b, err := s.Booking.Cancel(r.Context(), v.User, r.PathValue("id"))
	if err != nil {
		if st, ok := refusal(err); ok {
			return s.renderMyBookings(w, r, v, st, err)
		}
		return err
	}
	http.Redirect(w, r, "/me/bookings?done=cancelled#b-"+b.ID, http.StatusSeeOther)
	return nil
}

func (s *Server) myBookingCheckIn(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "booking.mine_title")
	b, _, err := s.Booking.CheckIn(r.Context(), v.User, r.PathValue("id"))
	if err != nil {
		if st, ok := refusal(err); ok {
			return s.renderMyBookings(w, r, v, st, err)
		}
		return err
	}
	http.Redirect(w, r, "/me/bookings?done=checked_in#b-"+b.ID, http.StatusSeeOther)
	return nil
}

// deskBookings is the clerk's list of a hall's bookings of a day.
func (s *Server) deskBookings(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "booking.desk_title")
	if r.URL.Query().Get("done") == "checked_in" {
		v.Notice = v.T("booking.done_desk", "ticket", r.URL.Query().Get("ticket"))
	}
	return s.renderDesk(w, r, v, http.StatusOK, nil, r.URL.Query())
}

func (s *Server) renderDesk(w http.ResponseWriter, r *http.Request, v *View, status int, problem error, q url.Values) error {
	all, err := s.Booking.Bookable(r.Context())
	if err != nil {
		return err
	}
	scope := v.User.ScopeOf(identity.RoleClerk)
	halls := []booking.HallRef{}
	for _, h := range all {
		if scope.CoversRegion(h.Region) {
			halls = append(halls, h)
		}
	}
	v.Data["Halls"] = halls
	hallID := q.Get("hall")
	if hallID == "" && len(halls) > 0 {
		hallID = halls[0].ID
	}
	v.Data["HallID"], v.Data["Day"] = hallID, q.Get("day")
	if hallID != "" {
		list, err := s.Booking.Desk(r.Context(), v.User, hallID, q.Get("day"))
		if err != nil {
			st, ok := refusal(err)
			if apperr.CodeOf(err) == apperr.NotFound {
				st, ok = http.StatusNotFound, true
			}
			if !ok {
				return err
			}
			if problem == nil {
				problem, status = err, st
			}
		}
		v.Data["Bookings"] = list
	}
	if problem != nil {
		p := edge.ProblemOf(r.Context(), v.Lang, problem)
		v.Problem = &p
	}
	s.render(w, r, status, "bookings_desk", v)
	return nil
}

func (s *Server) deskCheckIn(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "booking.desk_title")
	b, t, err := s.Booking.CheckIn(r.Context(), v.User, r.PathValue("id"))
	if err != nil {
		if st, ok := refusal(err); ok {
			return s.renderDesk(w, r, v, st, err, r.PostForm)
		}
		return err
	}
	http.Redirect(w, r, "/workbench/bookings?"+url.Values{"hall": {b.HallID}, "day": {b.Day}, "done": {"checked_in"}, "ticket": {t.Number}}.Encode(), http.StatusSeeOther)
	return nil
}

// adminBooking is a hall's templates and blackout days.
func (s *Server) adminBooking(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "booking.admin_title")
	if d := r.URL.Query().Get("done"); d != "" {
		v.Notice = v.T("booking.admin_saved")
	}
	return s.renderAdminBooking(w, r, v, http.StatusOK, nil)
}

func (s *Server) renderAdminBooking(w http.ResponseWriter, r *http.Request, v *View, status int, problem error) error {
	st, err := s.Booking.HallSetup(r.Context(), v.User, r.PathValue("id"))
	if err != nil {
		return err
	}
	v.Data["Setup"] = st
	v.Data["Weekdays"] = []int{1, 2, 3, 4, 5, 6, 7}
	names := map[string]string{}
	for _, sv := range st.Services {
		names[sv.ID] = sv.Prefix + " · " + v.Pick(sv.Name, sv.NameEN)
	}
	v.Data["ServiceNames"] = names
	v.Data["Form"] = r.PostForm
	if problem != nil {
		p := edge.ProblemOf(r.Context(), v.Lang, problem)
		v.Problem = &p
	}
	s.render(w, r, status, "admin_booking", v)
	return nil
}

func (s *Server) adminBookingDone(w http.ResponseWriter, r *http.Request, v *View, err error) error {
	if err != nil {
		if st, ok := refusal(err); ok {
			return s.renderAdminBooking(w, r, v, st, err)
		}
		return err
	}
	http.Redirect(w, r, "/admin/halls/"+url.PathEscape(r.PathValue("id"))+"/booking?done=1", http.StatusSeeOther)
	return nil
}

func (s *Server) adminBookingTemplate(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "booking.admin_title")
	f := r.PostForm
	var days []int
	for _, d := range f["weekday"] {
		n, err := strconv.Atoi(d)
		if err != nil {
			return s.adminBookingDone(w, r, v, apperr.E(apperr.Invalid, "booking.template_weekdays"))
		}
		days = append(days, n)
	}
	minutes, err1 := strconv.Atoi(strings.TrimSpace(f.Get("slot_minutes")))
	capacity, err2 := strconv.Atoi(strings.TrimSpace(f.Get("capacity")))
	if err1 != nil {
		return s.adminBookingDone(w, r, v, apperr.E(apperr.Invalid, "booking.template_slot", "min", booking.MinSlotMinutes, "max", booking.MaxSlotMinutes))
	}
	if err2 != nil {
		return s.adminBookingDone(w, r, v, apperr.E(apperr.Invalid, "booking.template_capacity", "max", booking.MaxCapacity))
	}
	_, err := s.Booking.SaveTemplate(r.Context(), v.User, r.PathValue("id"), booking.Template{ServiceID: f.Get("service_id"), Weekdays: days,
		From: f.Get("from"), To: f.Get("to"), SlotMinutes: minutes, Capacity: capacity, Active: true})
	return s.adminBookingDone(w, r, v, err)
}

func (s *Server) adminBookingTemplateDelete(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "booking.admin_title")
	return s.adminBookingDone(w, r, v, s.Booking.DeleteTemplate(r.Context(), v.User, r.PathValue("id"), r.PathValue("tid")))
}

func (s *Server) adminBookingBlackout(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "booking.admin_title")
	return s.adminBookingDone(w, r, v, s.Booking.SetBlackout(r.Context(), v.User, r.PathValue("id"), r.PostForm.Get("day"), r.PostForm.Get("reason"), true))
}

func (s *Server) adminBookingBlackoutDelete(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "booking.admin_title")
	return s.adminBookingDone(w, r, v, s.Booking.SetBlackout(r.Context(), v.User, r.PathValue("id"), r.PathValue("day"), "", false))
}
