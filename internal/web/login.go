package web

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/url"

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
	case r.URL.Query().Get("closed") == "1":
		v.Notice = v.T("login.closed")
	case r.URL.Query().Get("reset") == "1":
		v.Notice = v.T("login.reset_done")
	case r.URL.Query().Get("invited") != "":
		// From an invitation link: the password is set, the user name filled in.
		v.Notice = v.T("invite.done")
		v.Data["Username"] = r.URL.Query().Get("invited")
	}
	v.Data["Next"] = localPath(r.URL.Query().Get("next"))
	s.render(w, r, http.StatusOK, "login", v)
	return nil
}

// login checks the form; a failure re-renders the form with the reason and
// the status the error carries (401 wrong password, 429 throttled). An
// account with a second factor goes on to /login/code.
func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	username := r.PostForm.Get("username")
	res, err := s.Identity.BeginLogin(r.Context(), identity.LoginRequest{
		Username: username, Password: r.PostForm.Get("password"), Kind: identity.SessionWeb,
		IP: edge.ClientIP(r), UserAgent: r.UserAgent(), Device: s.device(r),
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
	if res.Challenge != "" {
		s.setCookie(w, r, edge.LoginCookie, res.Challenge, int(identity.ChallengeTTL.Seconds()))
		u := "/login/code"
		if next := localPath(r.PostForm.Get("next")); next != "" {
			u += "?" + url.Values{"next": {next}}.Encode()
		}
		http.Redirect(w, r, u, http.StatusSeeOther)
		return nil
	}
	s.loggedIn(w, r, res)
	return nil
}

// loggedIn sets the session cookie (and, once, the device cookie) and goes
// where the user was going.
func (s *Server) loggedIn(w http.ResponseWriter, r *http.Request, res *identity.LoginResult) {
	s.setCookie(w, r, edge.SessionCookie, res.Token, 0)
	s.clearCookie(w, r, edge.CSRFCookie)
	if s.device(r) == "" {
		s.setCookie(w, r, edge.DeviceCookie, randomToken(), 400*24*3600)
	}
	http.Redirect(w, r, s.landing(res.User, r.PostForm.Get("next")), http.StatusSeeOther)
}

// device is the browser's device cookie ("" before its first login).
func (s *Server) device(r *http.Request) string {
	if c, err := s.cookie(r, edge.DeviceCookie); err == nil && len(c.Value) >= 32 {
		return c.Value
	}
	return ""
}

// loginCodeForm is a web login's second step: the one-time code.
func (s *Server) loginCodeForm(w http.ResponseWriter, r *http.Request) error {
	if c, err := s.cookie(r, edge.LoginCookie); err != nil || c.Value == "" {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return nil
	}
	v := s.view(r, "login.code_title")
	v.Data["Next"] = localPath(r.URL.Query().Get("next"))
	v.Data["DemoSecret"] = identity.DemoTOTPSecret
	s.render(w, r, http.StatusOK, "logincode", v)
	return nil
}

// loginCode checks the code; a wrong one re-renders the step, an ended
// challenge the login form.
func (s *Server) loginCode(w http.ResponseWriter, r *http.Request) error {
	var challenge string
	if c, err := s.cookie(r, edge.LoginCookie); err == nil {
		challenge = c.Value
	}
	res, err := s.Identity.CompleteLogin(r.Context(), challenge, identity.LoginRequest{
		Code: r.PostForm.Get("code"), IP: edge.ClientIP(r), UserAgent: r.UserAgent(), Device: s.device(r),
	})
	if err != nil {
		page, title := "logincode", "login.code_title"
		if apperr.Is(err, apperr.Unauthenticated, "auth.challenge_expired") {
			page, title = "login", "login.title"
			s.clearCookie(w, r, edge.LoginCookie)
		}
		v := s.view(r, title)
		p := edge.ProblemOf(r.Context(), v.Lang, err)
		v.Problem = &p
		v.Data["Next"] = localPath(r.PostForm.Get("next"))
		v.Data["DemoSecret"] = identity.DemoTOTPSecret
		s.render(w, r, p.Status, page, v)
		return nil
	}
	s.clearCookie(w, r, edge.LoginCookie)
	s.loggedIn(w, r, res)
	return nil
}

// enrolPath is the page that sets up a second factor; enrolPaths are what
// an account that must enrol may reach before it has.
const enrolPath = "/account/second-factor"

var enrolPaths = map[string]bool{enrolPath: true, "/logout": true, "/prefs": true}

// enrolForm shows the QR code and the secret of the pending enrolment.
func (s *Server) enrolForm(w http.ResponseWriter, r *http.Request) error {
	u := visitorFrom(r).User
	if u.SecondFactor {
		http.Redirect(w, r, s.landing(u, ""), http.StatusSeeOther)
		return nil
	}
	return s.renderEnrol(w, r, http.StatusOK, nil)
}

func (s *Server) renderEnrol(w http.ResponseWriter, r *http.Request, status int, problem error) error {
	en, err := s.Identity.BeginEnrolment(r.Context(), visitorFrom(r).User)
	if err != nil {
		return err
	}
	qr, err := qrData(en.URL)
	if err != nil {
		return err
	}
	v := s.view(r, "enrol.title")
	v.Data["QR"], v.Data["Secret"] = qr, en.Secret
	w.Header().Set("Cache-Control", "no-store") // the secret: never kept by a browser or a proxy
	if problem != nil {
		p := edge.ProblemOf(r.Context(), v.Lang, problem)
		v.Problem = &p
	}
	s.render(w, r, status, "enrol", v)
	return nil
}

// enrol confirms the first code and shows the recovery codes, once.
func (s *Server) enrol(w http.ResponseWriter, r *http.Request) error {
	u := visitorFrom(r).User
	codes, err := s.Identity.ConfirmEnrolment(r.Context(), u, r.PostForm.Get("code"))
	if apperr.CodeOf(err) == apperr.Invalid {
		return s.renderEnrol(w, r, http.StatusBadRequest, err)
	}
	if err != nil {
		return err
	}
	v := s.view(r, "enrol.done_title")
	v.Data["Recovery"], v.Data["Next"] = codes, s.landing(u, "")
	w.Header().Set("Cache-Control", "no-store") // the recovery codes, shown once
	s.render(w, r, http.StatusOK, "enrol", v)
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

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
