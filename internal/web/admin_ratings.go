package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/tongban/tongban/internal/rating"
)

// adminRatingRules shows the regions' rating rules (好差评, issue 18) the
// administrator's grants cover: the rating window, the default rating at
// its end (or none), and the 差评 verification and rectification limits;
// with a form that sets a region's rule. The rating service checks the
// administrator's region and audits each change; a refusal shows the form
// as typed with the reason.
func (s *Server) adminRatingRules(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "rating.rules_title")
	if r.URL.Query().Get("done") == "saved" {
		v.Notice = v.T("rating.rules_saved")
	}
	return s.renderRatingRules(w, r, v, http.StatusOK)
}

func (s *Server) renderRatingRules(w http.ResponseWriter, r *http.Request, v *View, status int) error {
	rules, err := s.Ratings.Rules(r.Context(), v.User)
	if err != nil {
		return err
	}
	form := rating.DefaultRule
	if code := r.URL.Query().Get("edit"); code != "" {
		for _, rule := range rules {
			if rule.Region == code {
				form = rule
			}
		}
	}
	v.Data["Rules"], v.Data["Default"], v.Data["Form"], v.Data["Levels"] = rules, rating.DefaultRule, form, rating.Levels
	s.render(w, r, status, "admin_ratings", v)
	return nil
}

// adminSaveRatingRule sets a region's rule from the form.
func (s *Server) adminSaveRatingRule(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "rating.rules_title")
	f := r.PostForm
	num := func(name string) int {
		n, err := strconv.Atoi(strings.TrimSpace(f.Get(name)))
		if err != nil {
			return 0 // refused by the rule's check, with its message
		}
		return n
	}
	in := rating.Rule{Region: strings.TrimSpace(f.Get("region_code")), WindowDays: num("window_days"),
		DefaultLevel: rating.Level(num("default_level")), VerifyDays: num("verify_days"), RectifyDays: num("rectify_days")}
	if _, err := s.Ratings.SaveRule(r.Context(), v.User, in); err != nil {
		return s.refuse(w, r, v, "rating-rule", err, func(status int) error { return s.renderRatingRules(w, r, v, status) })
	}
	http.Redirect(w, r, "/admin/rating-rules?done=saved#rule-"+in.Region, http.StatusSeeOther)
	return nil
}
