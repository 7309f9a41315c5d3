package web

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/booking"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/edge"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/queue"
	"github.com/tongban/tongban/internal/report"
)

// The self-service kiosk (自助服务终端, issue 19 part 6): a touch-first
// mode of the portal for a hall's terminal, with its own minimal layout
// whose every link and form stays under /kiosk/{hallID}/. It takes a
// ticket (and prints it), checks a booking in, queries a case's progress
// and verifies a licence; it is anonymous and resets itself after a
// minute idle (static/kiosk.js).

// KioskIdle is the idle time, in seconds, after which the kiosk returns
// to its home and clears every input.
const KioskIdle = 60

// kioskView is a kiosk page's view: the hall (active, or the page is the
// kiosk's 404) and the idle time (shortened by ?idle=N only in demo mode,
// for the browser tests).
func (s *Server) kioskView(r *http.Request, titleKey string) (*View, catalog.Hall, error) {
	v := s.view(r, titleKey)
	h, err := s.Catalog.Hall(r.Context(), r.PathValue("hallID"))
	if err == nil && !h.Active {
		err = apperr.E(apperr.NotFound, "kiosk.hall_closed", "hall", h.Name)
	}
	idle := KioskIdle
	if n, e := strconv.Atoi(r.URL.Query().Get("idle")); e == nil && s.Demo && n >= 1 && n < KioskIdle {
		idle = n
	}
	v.Data["Hall"], v.Data["Idle"], v.Data["Base"] = h, idle, "/kiosk/"+url.PathEscape(r.PathValue("hallID"))
	return v, h, err
}

// renderKiosk renders a kiosk page (kiosk.html's "kiosk" layout; page
// names the block shown). A NotFound hall shows the kiosk's own 404.
func (s *Server) renderKiosk(w http.ResponseWriter, r *http.Request, v *View, status int, page string) {
	v.Data["Page"] = page
	var buf bytes.Buffer
	if err := s.pages["kiosk"].ExecuteTemplate(&buf, "kiosk", v); err != nil {
		slog.ErrorContext(r.Context(), "web: render kiosk", "page", page, "err", err)
		http.Error(w, edge.ProblemOf(r.Context(), v.Lang, err).Message, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// kiosk wraps a kiosk handler: an unknown or inactive hall (or ticket)
// answers the kiosk's 404 page, which links only to the kiosk's home.
func (s *Server) kiosk(h func(http.ResponseWriter, *http.Request, *View) error) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		v, _, err := s.kioskView(r, "kiosk.title")
		if err == nil {
			err = h(w, r, v)
		}
		if err == nil {
			return nil
		}
		if apperr.CodeOf(err) != apperr.NotFound {
			return err
		}
		p := edge.ProblemOf(r.Context(), v.Lang, err)
		v.Problem = &p
		v.TitleKey = "page.not_found_title"
		s.renderKiosk(w, r, v, http.StatusNotFound, "missing")
		return nil
	}
}

// kioskProblem shows a refusal on the kiosk's page (Invalid, Conflict,
// Unauthenticated, TooMany); other errors go on to the error page.
func (s *Server) kioskProblem(w http.ResponseWriter, r *http.Request, v *View, page string, err error) error {
	switch apperr.CodeOf(err) {
	case apperr.Invalid, apperr.Conflict, apperr.Unauthenticated, apperr.TooMany, apperr.Forbidden:
	default:
		return err
	}
	p := edge.ProblemOf(r.Context(), v.Lang, err)
	p.SetHeaders(w.Header())
	v.Problem = &p
	s.renderKiosk(w, r, v, p.Status, page)
	return nil
}

func (s *Server) kioskHome(w http.ResponseWriter, r *http.Request, v *View) error {
	s.renderKiosk(w, r, v, http.StatusOK, "home")
	return nil
}

// kioskPrefs switches the language or 关怀模式 (the portal's cookies) and
// returns to the kiosk page it came from.
func (s *Server) kioskPrefs(w http.ResponseWriter, r *http.Request, v *View) error {
	base := v.Data["Base"].(string)
	back := localPath(r.PostForm.Get("return"))
	if back != base && !strings.HasPrefix(back, base+"/") {
		back = base
	}
	r.PostForm.Set("return", back)
	return s.prefs(w, r)
}

// kioskReset is where the idle timer goes: a session (there should be
// none on a terminal) is ended, and the home page is shown afresh.
func (s *Server) kioskReset(w http.ResponseWriter, r *http.Request, v *View) error {
	if vis := visitorFrom(r); vis.Token != "" {
		if err := s.Identity.Logout(r.Context(), vis.Token); err != nil {
			return err
		}
		s.clearCookie(w, r, edge.SessionCookie)
	}
	http.Redirect(w, r, v.Data["Base"].(string), http.StatusSeeOther)
	return nil
}

func (s *Server) kioskServices(r *http.Request, v *View) error {
	svcs, err := s.Queue.Services(r.Context(), r.PathValue("hallID"))
	if err != nil {
		return err
	}
	active := []queue.HallService{}
	for _, sv := range svcs {
		if sv.Active {
			active = append(active, sv)
		}
	}
	ps, err := s.Queue.Priorities(r.Context())
	if err != nil {
		return err
	}
	v.Data["Services"], v.Data["Priorities"] = active, ps
	return nil
}

// kioskTake offers the hall's services (取号).
func (s *Server) kioskTake(w http.ResponseWriter, r *http.Request, v *View) error {
	if err := s.kioskServices(r, v); err != nil {
		return err
	}
	s.renderKiosk(w, r, v, http.StatusOK, "take")
	return nil
}

// kioskTakePost takes an anonymous ticket (source kiosk) of a service of
// this hall, limited like the hall's take page.
func (s *Server) kioskTakePost(w http.ResponseWriter, r *http.Request, v *View) error {
	in := queue.TakeInput{HallID: r.PathValue("hallID"), ServiceID: r.PostForm.Get("service"), Priority: r.PostForm.Get("priority"), Source: queue.SourceKiosk,
		Phone: r.PostForm.Get("phone"), Consent: r.PostForm.Get("consent") == "1"}
	var t *queue.Ticket
	err := s.QueueTakeLimit.Check(r)
	if err == nil {
		t, err = s.Queue.Take(r.Context(), nil, in)
	}
	if err != nil {
		if apperr.Is(err, apperr.NotFound, "queue.service_unknown") {
			err = apperr.E(apperr.Invalid, "queue.service_unknown", "id", in.ServiceID)
		}
		if e := s.kioskServices(r, v); e != nil {
			return e
		}
		// The number typed is not shown back: the form asks again.
		return s.kioskProblem(w, r, v, "take", err)
	}
	http.Redirect(w, r, v.Data["Base"].(string)+"/tickets/"+url.PathEscape(t.ID), http.StatusSeeOther)
	return nil
}

// kioskTicketOf is a ticket of this hall; another hall's is not found.
func (s *Server) kioskTicketOf(r *http.Request) (*queue.Ticket, error) {
	t, err := s.Queue.Status(r.Context(), r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if t.HallID != r.PathValue("hallID") {
		return nil, apperr.E(apperr.NotFound, "queue.ticket_unknown", "id", r.PathValue("id"))
	}
	return t, nil
}

// kioskTicket shows a ticket taken or checked in here: the number, the
// people ahead, the wait, the QR code of its public status page, print.
func (s *Server) kioskTicket(w http.ResponseWriter, r *http.Request, v *View) error {
	if err := s.kioskTicketData(r, v); err != nil {
		return err
	}
	s.renderKiosk(w, r, v, http.StatusOK, "ticket")
	return nil
}

// kioskTicketData fills the kiosk's ticket page, with the visit's rating
// form once the ticket is served (channel hall_tablet).
func (s *Server) kioskTicketData(r *http.Request, v *View) error {
	t, err := s.kioskTicketOf(r)
	if err != nil {
		return err
	}
	link := s.baseURL(r) + "/queue/" + url.PathEscape(t.ID)
	qr, err := qrData(link)
	if err != nil {
		return err
	}
	v.TitleText = t.Number + " · " + t.HallName
	v.Data["Ticket"], v.Data["QR"], v.Data["CheckedIn"] = t, qr, r.URL.Query().Get("done") == "checked_in"
	return s.visitRating(r, v, t, "/kiosk/"+url.PathEscape(t.HallID)+"/tickets/"+url.PathEscape(t.ID)+"/rate")
}

// kioskRate records the visit's rating from the kiosk's ticket page (the
// hall's tablet); a refusal shows the page again, nothing written.
func (s *Server) kioskRate(w http.ResponseWriter, r *http.Request, v *View) error {
	t, err := s.kioskTicketOf(r)
	if err != nil {
		return err
	}
	if _, err := s.Ratings.RateTicket(r.Context(), v.User, t.ID, ratingInput(r, "hall_tablet")); err != nil {
		if e := s.kioskTicketData(r, v); e != nil {
			return e
		}
		return s.kioskProblem(w, r, v, "ticket", err)
	}
	http.Redirect(w, r, "/kiosk/"+url.PathEscape(t.HallID)+"/tickets/"+url.PathEscape(t.ID)+"?rated=1", http.StatusSeeOther)
	return nil
}

// kioskSlip is the ticket as a small PDF for the terminal's printer.
func (s *Server) kioskSlip(w http.ResponseWriter, r *http.Request, v *View) error {
	t, err := s.kioskTicketOf(r)
	if err != nil {
		return err
	}
	lines := []string{t.ServiceName, t.TakenAt.In(calendar.China).Format("2006-01-02 15:04")}
	if t.State == queue.StateWaiting {
		lines = append(lines, v.T("queue.ahead", "ahead", t.Ahead, "minutes", t.WaitMinutes))
	}
	pdf, err := report.Slip{Title: t.HallName, Big: t.Number, Lines: lines,
		QR: s.baseURL(r) + "/queue/" + url.PathEscape(t.ID), QRCaption: v.T("kiosk.slip_qr")}.PDF()
	if err != nil {
		return apperr.Internalf("web: ticket slip", err)
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`inline; filename="ticket-%s.pdf"`, t.Number))
	w.Write(pdf)
	return nil
}

// kioskCheckIn is the booking check-in form: the holder proves the
// booking by signing in (mobile number or user name, and password), once,
// without a session being left on the terminal.
func (s *Server) kioskCheckIn(w http.ResponseWriter, r *http.Request, v *View) error {
	s.renderKiosk(w, r, v, http.StatusOK, "checkin")
	return nil
}

// kioskCheckInPost signs the holder in for this request only, checks in
// their booking of today at this hall with booking's own rules
// (booking.Service.CheckIn: the window around the slot, the state, the
// ticket in the same transaction) and ends the session at once.
func (s *Server) kioskCheckInPost(w http.ResponseWriter, r *http.Request, v *View) error {
	hallID := r.PathValue("hallID")
	res, err := s.Identity.BeginLogin(r.Context(), identity.LoginRequest{
		Username: strings.TrimSpace(r.PostForm.Get("username")), Password: r.PostForm.Get("password"), Kind: identity.SessionWeb,
		IP: edge.ClientIP(r), UserAgent: r.UserAgent(),
	})
	if err == nil && res.Challenge != "" {
		err = apperr.E(apperr.Forbidden, "kiosk.second_factor")
	}
	if err != nil {
		return s.kioskProblem(w, r, v, "checkin", err)
	}
	defer func() {
		if err := s.Identity.Logout(r.Context(), res.Token); err != nil {
			slog.WarnContext(r.Context(), "web: kiosk check-in logout", "err", err)
		}
	}()
	var t *queue.Ticket
	err = apperr.E(apperr.Conflict, "kiosk.no_booking")
	if res.User.Kind != identity.KindPerson {
		err = apperr.E(apperr.Forbidden, "booking.persons_only")
	} else if mine, e := s.Booking.Mine(r.Context(), res.User, 20); e != nil {
		err = e
	} else {
		today := queue.Day(s.Now())
		for _, b := range mine {
			if b.HallID == hallID && b.Day == today && b.State == booking.StateBooked {
				_, t, err = s.Booking.CheckIn(r.Context(), res.User, b.ID)
				break
			}
		}
	}
	if err != nil {
		return s.kioskProblem(w, r, v, "checkin", err)
	}
	http.Redirect(w, r, v.Data["Base"].(string)+"/tickets/"+url.PathEscape(t.ID)+"?done=checked_in", http.StatusSeeOther)
	return nil
}

// kioskProgress queries a case's progress by number, name and 查询码, as
// /progress does (the same limiter, the same rules, nothing more shown).
func (s *Server) kioskProgress(w http.ResponseWriter, r *http.Request, v *View) error {
	q := r.URL.Query()
	v.Data["No"], v.Data["Name"], v.Data["Code"] = q.Get("case_no"), q.Get("name"), q.Get("code")
	if q.Get("case_no") == "" && q.Get("name") == "" && q.Get("code") == "" {
		s.renderKiosk(w, r, v, http.StatusOK, "progress")
		return nil
	}
	var p *cases.Progress
	err := s.ProgressLimit.Check(r)
	if err == nil {
		p, err = s.Cases.Progress(r.Context(), q.Get("case_no"), q.Get("name"), q.Get("code"))
	}
	if err != nil {
		pr := edge.ProblemOf(r.Context(), v.Lang, err)
		pr.SetHeaders(w.Header())
		v.Problem = &pr
		s.renderKiosk(w, r, v, pr.Status, "progress")
		return nil
	}
	v.Data["Progress"] = p
	s.renderKiosk(w, r, v, http.StatusOK, "progress")
	return nil
}

// kioskVerify verifies a licence by its identifier, as /verify does (the
// same library and limiter; the holder masked).
func (s *Server) kioskVerify(w http.ResponseWriter, r *http.Request, v *View) error {
	id := strings.TrimSpace(r.URL.Query().Get("identifier"))
	v.Data["Identifier"] = id
	if id == "" {
		if _, err := s.library(); err != nil {
			return err
		}
		s.renderKiosk(w, r, v, http.StatusOK, "verify")
		return nil
	}
	lib, err := s.publicLibrary(r)
	if err != nil {
		return s.kioskProblem(w, r, v, "verify", err)
	}
	verdict, err := lib.Verify(r.Context(), id, checkOf(r, v, "page"))
	if err != nil {
		return s.kioskProblem(w, r, v, "verify", err)
	}
	v.Data["V"] = verdict
	s.renderKiosk(w, r, v, edge.VerdictStatus(verdict.Verdict), "verify")
	return nil
}

// kioskInstant lists the hall's self-service items (自助办理): 即办件 an
// applicant files here, signed in for the one filing.
func (s *Server) kioskInstant(w http.ResponseWriter, r *http.Request, v *View) error {
	items, err := s.Catalog.SelfServiceItems(r.Context(), r.PathValue("hallID"))
	if err != nil {
		return err
	}
	v.Data["Items"] = items
	s.renderKiosk(w, r, v, http.StatusOK, "instant")
	return nil
}

// kioskInstantItem is one of the hall's self-service items and its form:
// the item's fields without the applicant's own name and number (bound
// from the account that signs in), with the values given so far.
func (s *Server) kioskInstantItem(r *http.Request, v *View, vals catalog.Values) (*catalog.Version, *formView, error) {
	ver, err := s.Catalog.SelfServiceItem(r.Context(), r.PathValue("hallID"), r.PathValue("code"))
	if err != nil {
		return nil, nil, err
	}
	idem := r.PostForm.Get("idem")
	if idem == "" {
		idem = newToken()
	}
	fv := &formView{Fields: intakeFields(ver.Item.Form), Values: vals, Towns: s.towns(r),
		Action: v.Data["Base"].(string) + "/instant/" + url.PathEscape(ver.ImplCode)}
	v.TitleText = ver.Item.Name
	v.Data["Item"], v.Data["Dept"], v.Data["Form"], v.Data["Idem"] = ver.Item, ver.DepartmentName, fv, idem
	return ver, fv, nil
}

// kioskInstantForm is the filing form of a self-service item.
func (s *Server) kioskInstantForm(w http.ResponseWriter, r *http.Request, v *View) error {
	if _, _, err := s.kioskInstantItem(r, v, catalog.Values{}); err != nil {
		return err
	}
	s.renderKiosk(w, r, v, http.StatusOK, "instant_form")
	return nil
}

// kioskInstantPost files a self-service item through the normal intake
// (cases.Create, submitted at once, channel online): the applicant — a
// natural person — signs in for this request only, as at the check-in,
// and the session ends at once. The page then shows the case number and
// its 查询码 once; a refusal shows the form again with every fault,
// nothing filed.
func (s *Server) kioskInstantPost(w http.ResponseWriter, r *http.Request, v *View) error {
	ver, fv, err := s.kioskInstantItem(r, v, nil)
	if err != nil {
		return err
	}
	vals := formValues(ver.Item.Form, r)
	refuse := func(err error) error {
		s.checkForm(r, v, fv)
		return s.kioskProblem(w, r, v, "instant_form", err)
	}
	res, err := s.Identity.BeginLogin(r.Context(), identity.LoginRequest{
		Username: strings.TrimSpace(r.PostForm.Get("username")), Password: r.PostForm.Get("password"), Kind: identity.SessionWeb,
		IP: edge.ClientIP(r), UserAgent: r.UserAgent(),
	})
	if err == nil && res.Challenge != "" {
		err = apperr.E(apperr.Forbidden, "kiosk.second_factor_file")
	}
	if err != nil {
		return refuse(err)
	}
	defer func() {
		if err := s.Identity.Logout(r.Context(), res.Token); err != nil {
			slog.WarnContext(r.Context(), "web: kiosk filing logout", "err", err)
		}
	}()
	if res.User.Kind != identity.KindPerson {
		return refuse(apperr.E(apperr.Forbidden, "kiosk.persons_only"))
	}
	c, _, err := s.Cases.Create(r.Context(), res.User, cases.NewCase{ItemCode: ver.ImplCode, Values: vals, Submit: true,
		IdempotencyKey: r.PostForm.Get("idem")})
	if err != nil {
		return refuse(err)
	}
	v.Data["Filed"] = c
	s.renderKiosk(w, r, v, http.StatusOK, "instant_done")
	return nil
}
