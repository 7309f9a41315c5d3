package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/edge"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/paging"
	"github.com/tongban/tongban/internal/queue"
	"github.com/tongban/tongban/internal/rating"
)

// 好差评 (issue 18): the rating form on the applicant's case page, the
// kiosk page reached by the case's 查询码, the department's 差评 ledger and
// the order page. Every rule is the rating service's.

// ratingInput reads a rating form.
func ratingInput(r *http.Request, channel string) rating.Input {
	f := r.PostForm
	level, _ := strconv.Atoi(f.Get("level"))
	return rating.Input{Kind: f.Get("kind"), Level: rating.Level(level), Indicators: f["indicator"], Comment: f.Get("comment"), Channel: channel}
}

// webChannel is the channel of a rating made on a page: a phone-sized
// browser is the mobile channel (GB/T 39046), any other the PC one.
func webChannel(r *http.Request) string {
	ua := r.UserAgent()
	if strings.Contains(ua, "Mobile") || strings.Contains(ua, "Android") || strings.Contains(ua, "iPhone") {
		return "mobile"
	}
	return "pc"
}

// ratingView fills what the rating section of a case page shows.
func (s *Server) ratingView(r *http.Request, v *View, c *cases.Case) error {
	if s.Ratings == nil || c.ConcludedAt == nil || c.State == "withdrawn" {
		return nil
	}
	list, err := s.Ratings.OfCase(r.Context(), v.User, c.ID)
	if err != nil {
		return err
	}
	if c.ParentID != "" && v.User.Kind != identity.KindStaff {
		// A 一件事's part: the applicant rates the bundle as a whole, on its
		// page; this part's share of the rating is listed here.
		v.Data["Ratings"], v.Data["RateBundle"] = list, c.ParentID
		s.ratingForm(v)
		return nil
	}
	orders, err := s.Ratings.OrdersOfCase(r.Context(), v.User, c.ID)
	if err != nil {
		return err
	}
	var first, follow bool
	for _, rt := range list {
		first = first || rt.Kind == rating.KindFirst && !rt.Defaulted
		follow = follow || rt.Kind == rating.KindFollowUp
	}
	kind := ""
	if v.User.Kind != identity.KindStaff {
		switch {
		case !first:
			kind = rating.KindFirst
		case !follow:
			kind = rating.KindFollowUp
		}
	}
	v.Data["Ratings"], v.Data["RatingOrders"], v.Data["RateKind"] = list, orders, kind
	switch r.URL.Query().Get("rated") {
	case "1":
		v.Notice = v.T("rating.thanks")
	case "revisit":
		v.Notice = v.T("rating.revisit_thanks")
	}
	s.ratingForm(v)
	return nil
}

// ratingForm gives a page the levels and the indicator set.
func (s *Server) ratingForm(v *View) {
	v.Data["Levels"], v.Data["Indicators"] = rating.Levels, rating.Indicators.Indicators
	names := map[string]string{}
	for _, i := range rating.Indicators.Indicators {
		names[i.Code] = v.Pick(i.Name, i.NameEN)
	}
	v.Data["IndicatorNames"] = names
}

// visitRating fills a ticket page's rating of the visit (一次一评): the
// form, posting to action, once the ticket is served and until it is rated
// (never for staff); a thanks after.
func (s *Server) visitRating(r *http.Request, v *View, t *queue.Ticket, action string) error {
	if s.Ratings == nil || t.State != queue.StateDone {
		return nil
	}
	rated, err := s.Ratings.TicketRated(r.Context(), t.ID)
	if err != nil {
		return err
	}
	v.Data["VisitRated"], v.Data["VisitAction"] = rated, action
	v.Data["VisitRate"] = !rated && (v.User == nil || v.User.Kind != identity.KindStaff)
	s.ratingForm(v)
	return nil
}

// rateTicket records the visit's rating the public ticket page's form
// posts (its QR code: channel qr); a refusal shows the page again.
func (s *Server) rateTicket(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "queue.ticket_title")
	id := r.PathValue("id")
	_, err := s.Ratings.RateTicket(r.Context(), v.User, id, ratingInput(r, "qr"))
	if err == nil {
		http.Redirect(w, r, "/queue/"+url.PathEscape(id)+"?rated=1#visit-rated", http.StatusSeeOther)
		return nil
	}
	switch apperr.CodeOf(err) {
	case apperr.Invalid, apperr.Conflict, apperr.Forbidden:
	default:
		return err
	}
	p := edge.ProblemOf(r.Context(), v.Lang, err)
	v.Problem = &p
	return s.showTicket(w, r, v, p.Status)
}

// rateCase records the rating the case page's form posts.
func (s *Server) rateCase(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "case.title")
	ref := r.PathValue("ref")
	_, err := s.Ratings.Rate(r.Context(), v.User, ref, ratingInput(r, webChannel(r)))
	if err == nil {
		http.Redirect(w, r, "/cases/"+url.PathEscape(ref)+"?rated=1#rating", http.StatusSeeOther)
		return nil
	}
	return s.caseAgain(w, r, v, ref, err)
}

// revisitCase is the rater's answer to the 回访 on their case page.
func (s *Server) revisitCase(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "case.title")
	ref := r.PathValue("ref")
	_, err := s.Ratings.Act(r.Context(), v.User, r.PostForm.Get("order"),
		rating.OrderInput{Action: "revisit", Answer: r.PostForm.Get("answer"), Note: r.PostForm.Get("note")})
	if err == nil {
		http.Redirect(w, r, "/cases/"+url.PathEscape(ref)+"?rated=revisit#rating", http.StatusSeeOther)
		return nil
	}
	return s.caseAgain(w, r, v, ref, err)
}

// caseAgain shows the case page again with a refusal, nothing written.
func (s *Server) caseAgain(w http.ResponseWriter, r *http.Request, v *View, ref string, cause error) error {
	shown, err := s.Cases.Page(r.Context(), v.User, ref)
	if err != nil {
		return err
	}
	if err := s.showCase(r, v, shown); err != nil {
		return err
	}
	p := edge.ProblemOf(r.Context(), v.Lang, cause)
	v.Problem = &p
	v.Data["RatingProblem"] = true
	s.render(w, r, p.Status, "case", v)
	return nil
}

// kioskChannels are the channels of the kiosk page: the hall's tablet, the
// QR code on a notice or licence, the link of the conclusion SMS.
var kioskChannels = map[string]bool{"hall_tablet": true, "qr": true, "sms": true}

// ratePage is the kiosk-friendly rating page (hall tablets, the QR code on
// the result notice and the licence, the SMS link): the case proven by its
// number, the applicant's name and its 查询码, as the progress query, within
// the same per-address limit; the rating is the applicant's. No login.
func (s *Server) ratePage(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "rating.kiosk_title")
	src := r.URL.Query()
	if r.Method == http.MethodPost {
		src = r.PostForm
	}
	via := src.Get("via")
	if !kioskChannels[via] {
		via = "hall_tablet"
	}
	v.Data["No"], v.Data["Code"], v.Data["Via"] = src.Get("case_no"), src.Get("code"), via
	s.ratingForm(v)
	status := http.StatusOK
	if r.Method == http.MethodPost {
		err := s.ratePosted(r, v, via)
		if err == nil {
			v.Data["Done"] = true
		} else {
			p := edge.ProblemOf(r.Context(), v.Lang, err)
			v.Problem, status = &p, p.Status
			v.Data["Name"] = r.PostForm.Get("name")
		}
	}
	s.render(w, r, status, "rate", v)
	return nil
}

func (s *Server) ratePosted(r *http.Request, v *View, via string) error {
	if v.User != nil && v.User.Kind == identity.KindStaff {
		return apperr.E(apperr.Forbidden, "rating.staff")
	}
	if err := s.ProgressLimit.Check(r); err != nil {
		return err
	}
	f := r.PostForm
	p, err := s.Cases.Progress(r.Context(), f.Get("case_no"), f.Get("name"), f.Get("code"))
	if err != nil {
		return err
	}
	_, err = s.Ratings.RateProven(r.Context(), p.No, ratingInput(r, via))
	return err
}

// ledgerPage is the department's 差评 ledger (台账): the orders in the
// reader's scope, a supervisor's region.
func (s *Server) ledgerPage(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "ratings.ledger_title")
	q := r.URL.Query()
	f := rating.LedgerFilter{State: q.Get("state"), Flagged: q.Get("flagged") == "1", After: q.Get("after"), PerPage: 50}
	pg, err := s.Ratings.Ledger(r.Context(), v.User, f)
	if err != nil {
		return err
	}
	v.Data["Orders"], v.Data["Total"], v.Data["Filter"], v.Data["States"] = pg.Orders, paging.Label(pg.Total, paging.CountCap), f, rating.States
	v.Data["Next"] = pg.Next
	s.ratingForm(v)
	s.render(w, r, http.StatusOK, "ratings", v)
	return nil
}

// orderPage is one 差评 order with the steps the reader may take.
func (s *Server) orderPage(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "ratings.order_title")
	o, err := s.Ratings.Order(r.Context(), v.User, r.PathValue("id"))
	if err != nil {
		return err
	}
	if done := r.URL.Query().Get("done"); done != "" {
		v.Notice = v.T("ratings.done", "action", v.T("ratings.action."+done))
	}
	return s.renderRatingOrder(w, r, v, o, http.StatusOK)
}

func (s *Server) renderRatingOrder(w http.ResponseWriter, r *http.Request, v *View, o *rating.Order, status int) error {
	v.Data["Order"], v.Data["AppealReasons"], v.Data["Answers"] = o, rating.AppealReasons, rating.RevisitAnswers
	needs := map[string]bool{}
	for _, a := range rating.Actions {
		needs[a.Key] = a.Note
	}
	v.Data["NeedsNote"] = needs
	s.ratingForm(v)
	s.render(w, r, status, "rating_order", v)
	return nil
}

// orderAct takes the step the order page's form posts.
func (s *Server) orderAct(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "ratings.order_title")
	id := r.PathValue("id")
	f := r.PostForm
	rev, _ := strconv.Atoi(f.Get("rev"))
	in := rating.OrderInput{Action: f.Get("action"), Rev: rev, Note: f.Get("note"), Reason: f.Get("reason"), Answer: f.Get("answer")}
	if _, err := s.Ratings.Act(r.Context(), v.User, id, in); err != nil {
		o, rerr := s.Ratings.Order(r.Context(), v.User, id)
		if rerr != nil {
			return err
		}
		p := edge.ProblemOf(r.Context(), v.Lang, err)
		v.Problem = &p
		return s.renderRatingOrder(w, r, v, o, p.Status)
	}
	http.Redirect(w, r, "/workbench/ratings/"+url.PathEscape(id)+"?done="+url.QueryEscape(in.Action), http.StatusSeeOther)
	return nil
}
