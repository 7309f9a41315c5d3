package api

import (
	"net/http"

	"github.com/tongban/tongban/internal/rating"
)

// 好差评 (issue 18): the applicant rates a concluded case; the department
// works the 差评 orders. Every rule is the rating service's.

// rateTicket records the rating of a hall visit by its ticket (一次一评):
// public, as the ticket's status; a bearer token, when given, names the
// rater (staff refused).
func (s *Server) rateTicket(w http.ResponseWriter, r *http.Request) error {
	u, err := s.optionalUser(r)
	if err != nil {
		return err
	}
	var in rating.Input
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.Channel == "" {
		in.Channel = "mobile" // the API is the apps' channel
	}
	rt, err := s.Ratings.RateTicket(r.Context(), u, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"rating": rt})
	return nil
}

// rateCase records the caller's rating (or 追评) of a case.
func (s *Server) rateCase(w http.ResponseWriter, r *http.Request) error {
	var in rating.Input
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.Channel == "" {
		in.Channel = "mobile" // the API is the apps' channel
	}
	rt, err := s.Ratings.Rate(r.Context(), userFrom(r.Context()), r.PathValue("no"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"rating": rt})
	return nil
}

// caseRatings lists a case's ratings: the applicant's own, or all of them
// for staff who may read the case (its read recorded by the case service).
func (s *Server) caseRatings(w http.ResponseWriter, r *http.Request) error {
	u := userFrom(r.Context())
	c, err := s.Cases.Get(r.Context(), u, r.PathValue("no"))
	if err != nil {
		return err
	}
	list, err := s.Ratings.OfCase(r.Context(), u, c.ID)
	if err != nil {
		return err
	}
	orders, err := s.Ratings.OrdersOfCase(r.Context(), u, c.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"ratings": list, "orders": orders})
	return nil
}

// ratingIndicators is the national indicator set in force, the levels and
// the channels: public data.
func (s *Server) ratingIndicators(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]any{"indicator_set": rating.Indicators, "levels": rating.Levels,
		"direction": rating.Direction, "channels": rating.Channels})
	return nil
}

// ratingOrders is the 差评 ledger (台账) in the caller's scope.
func (s *Server) ratingOrders(w http.ResponseWriter, r *http.Request) error {
	after, per, err := listsKeyset(r, 50)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	pg, err := s.Ratings.Ledger(r.Context(), userFrom(r.Context()), rating.LedgerFilter{State: q.Get("state"),
		Flagged: q.Get("flagged") == "true", After: after, PerPage: per})
	if err != nil {
		return err
	}
	out := map[string]any{"orders": pg.Orders, "total": pg.Total, "total_capped": pg.Capped, "per_page": per}
	if pg.Next != "" {
		out["next"] = pg.Next
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) ratingOrder(w http.ResponseWriter, r *http.Request) error {
	o, err := s.Ratings.Order(r.Context(), userFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"order": o})
	return nil
}

// ratingOrderAct takes a step of an order: start, verify, appeal, uphold,
// reject, rectify, revisit, close.
func (s *Server) ratingOrderAct(w http.ResponseWriter, r *http.Request) error {
	var in rating.OrderInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	o, err := s.Ratings.Act(r.Context(), userFrom(r.Context()), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"order": o})
	return nil
}

// ratingRules lists the regions' rating rules the administrator covers.
func (s *Server) ratingRules(w http.ResponseWriter, r *http.Request) error {
	rules, err := s.Ratings.Rules(r.Context(), userFrom(r.Context()))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"rules": rules, "default": rating.DefaultRule})
	return nil
}

// saveRatingRule sets a region's rating rule.
func (s *Server) saveRatingRule(w http.ResponseWriter, r *http.Request) error {
	var in rating.Rule
	if err := decode(w, r, &in); err != nil {
		return err
	}
	in.Region = r.PathValue("region")
	rule, err := s.Ratings.SaveRule(r.Context(), userFrom(r.Context()), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"rule": rule})
	return nil
}
