package web

import (
	"net/http"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/edge"
)

// passwordPath is the page that changes one's own password; passwordPaths
// are what an account with a one-time password (an administrator set it,
// identity/staffadmin.go) may reach before it has changed it.
const passwordPath = "/account/password"

var passwordPaths = map[string]bool{passwordPath: true, "/logout": true, "/prefs": true}

func (s *Server) passwordForm(w http.ResponseWriter, r *http.Request) error {
	return s.renderPassword(w, r, http.StatusOK, nil)
}

func (s *Server) renderPassword(w http.ResponseWriter, r *http.Request, status int, problem error) error {
	v := s.view(r, "password.title")
	v.Data["Required"] = v.User.MustChangePassword
	if problem != nil {
		p := edge.ProblemOf(r.Context(), v.Lang, problem)
		v.Problem = &p
	}
	s.render(w, r, status, "password", v)
	return nil
}

// changePassword changes the visitor's own password with the current one;
// the session asking stays, the account's others end.
func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) error {
	vis := visitorFrom(r)
	next := r.PostForm.Get("new_password")
	if next != r.PostForm.Get("confirm_password") {
		return s.renderPassword(w, r, http.StatusBadRequest, apperr.E(apperr.Invalid, "password.mismatch"))
	}
	err := s.Identity.ChangePassword(r.Context(), vis.User, vis.Token, r.PostForm.Get("current_password"), next)
	if c := apperr.CodeOf(err); c == apperr.Invalid || c == apperr.TooMany {
		return s.renderPassword(w, r, edge.Status(apperr.CodeOf(err)), err)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, s.landing(vis.User, ""), http.StatusSeeOther)
	return nil
}
