package web

import (
	"net/http"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/edge"
	"github.com/tongban/tongban/internal/identity"
)

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "login.title")
	if v.User != nil {
		http.Redirect(w, r, s.landing(v.User, r.URL.Query().Get("next")), http.StatusSeeOther)
		return nil
	}
	switch {
	case r.URL.Query().Get("expired") == "1":
		v.Notice = v.T("login.expired")
	case r.URL.Query().Get("out") == "1":
		v.Notice = v.T("login.logged_out")
	}
	v.Data["Next"] = localPath(r.URL.Query().Get("next"))
	s.render(w, r, http.StatusOK, "login", v)
	return nil
}

// login checks the form; a failure re-renders the form with the reason and
// the status the error carries (401 wrong password, 429 throttled).
func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	username := r.PostForm.Get("username")
	token, _, u, err := s.Identity.Login(r.Context(), identity.LoginRequest{
		Username: username, Password: r.PostForm.Get("password"), Kind: identity.SessionWeb,
		IP: edge.ClientIP(r), UserAgent: r.UserAgent(),
	})
	if err != nil {
		v := s.view(r, "login.title")
		p := edge.ProblemOf(r.Context(), v.Lang, err)
		v.Problem = &p
		v.Data["Username"] = username
		v.Data["Next"] = localPath(r.PostForm.Get("next"))
		s.render(w, r, p.Status, "login", v)
		return nil
	}
	s.setCookie(w, r, edge.SessionCookie, token, 0)
	s.clearCookie(w, r, edge.CSRFCookie)
	http.Redirect(w, r, s.landing(u, r.PostForm.Get("next")), http.StatusSeeOther)
	return nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	if err := s.Identity.Logout(r.Context(), visitorFrom(r).Token); err != nil {
		return err
	}
	s.clearCookie(w, r, edge.SessionCookie)
	http.Redirect(w, r, "/login?out=1", http.StatusSeeOther)
	return nil
}

// landing is where a user goes after login: the page asked for, or the
// first section of their work.
func (s *Server) landing(u *identity.User, next string) string {
	if p := localPath(next); p != "" {
		return p
	}
	switch {
	case u.HasAny(workbenchRoles...):
		return "/workbench"
	case u.Has(identity.RoleSupervisor):
		return "/supervision"
	case u.Has(identity.RoleAdmin):
		return "/admin"
	}
	return "/me"
}

// prefs stores the language and care-mode choices in long-lived cookies
// and returns to the page the visitor was on.
func (s *Server) prefs(w http.ResponseWriter, r *http.Request) error {
	const year = 365 * 24 * 3600
	if l := r.PostForm.Get("lang"); l != "" {
		lang, ok := parseLang(l)
		if !ok {
			return apperr.E(apperr.Invalid, "error.field_required", "field", "lang")
		}
		s.setCookie(w, r, edge.LangCookie, lang, year)
	}
	switch r.PostForm.Get("care") {
	case "1":
		s.setCookie(w, r, edge.CareCookie, "1", year)
	case "0":
		s.setCookie(w, r, edge.CareCookie, "0", year)
	}
	back := localPath(r.PostForm.Get("return"))
	if back == "" {
		back = "/"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
	return nil
}
