package web

import (
	"net/http"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/edge"
	"github.com/tongban/tongban/internal/identity"
)

// Self-registration (/register), signing in by SMS code (/login/sms),
// resetting a password by SMS (/password/reset) and a clerk's identity
// verification at a window (/workbench/assurance), issue 16. Each form
// has a "send code" button that posts the same form to …/code, which
// texts the code and shows the form again with what was typed (never the
// password or the code).

// smsForm is one of the SMS pages: its template, title, where its code
// button posts, the code's purpose and the fields kept when it is shown
// again.
type smsForm struct {
	page, title string
	purpose     identity.CodePurpose
	keep        []string
	sentKey     string
}

var (
	registerForm = smsForm{"register", "register.title", identity.CodeRegister, []string{"name", "id_number", "phone", "username"}, "register.code_sent"}
	loginSMSForm = smsForm{"loginsms", "login.sms_title", identity.CodeLogin, []string{"phone"}, "login.sms_sent"}
	resetForm    = smsForm{"reset", "reset.title", identity.CodeReset, []string{"phone"}, "login.sms_sent"}
)

// show renders f with the kept fields, a notice and a problem (its status).
func (s *Server) showSMS(w http.ResponseWriter, r *http.Request, f smsForm, notice string, problem error) {
	v := s.view(r, f.title)
	status := http.StatusOK
	for _, k := range f.keep {
		v.Data[k] = r.PostForm.Get(k)
	}
	v.Data["Next"] = localPath(r.FormValue("next"))
	v.Notice = notice
	if problem != nil {
		p := edge.ProblemOf(r.Context(), v.Lang, problem)
		v.Problem = &p
		status = p.Status
	}
	s.render(w, r, status, f.page, v)
}

func (s *Server) smsPage(f smsForm) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		if v := visitorFrom(r); v.User != nil && f.purpose != identity.CodeReset {
			http.Redirect(w, r, s.landing(v.User, ""), http.StatusSeeOther)
			return nil
		}
		s.showSMS(w, r, f, "", nil)
		return nil
	}
}

// smsCode texts f's code and shows the form again, saying where it went.
func (s *Server) smsCode(f smsForm) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		masked, err := s.Identity.SendCode(r.Context(), identity.CodeRequest{Phone: r.PostForm.Get("phone"), Purpose: f.purpose,
			IP: edge.ClientIP(r), Registered: f.purpose != identity.CodeRegister})
		if err != nil {
			s.showSMS(w, r, f, "", err)
			return nil
		}
		v := s.view(r, f.title)
		s.showSMS(w, r, f, v.T(f.sentKey, "phone", masked, "minutes", int(identity.DefaultCodes.TTL.Minutes())), nil)
		return nil
	}
}

// register makes the account and signs it in (a number already registered
// answers the same: see identity.Register).
func (s *Server) register(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	res, err := s.Identity.Register(r.Context(), identity.Registration{Name: f.Get("name"), IDNumber: f.Get("id_number"), Phone: f.Get("phone"),
		Code: f.Get("code"), Password: f.Get("password"), Username: f.Get("username"),
		Kind: identity.SessionWeb, IP: edge.ClientIP(r), UserAgent: r.UserAgent(), Device: s.device(r)})
	if err != nil {
		s.showSMS(w, r, registerForm, "", err)
		return nil
	}
	s.loggedIn(w, r, res)
	return nil
}

// loginSMS signs in with the code.
func (s *Server) loginSMS(w http.ResponseWriter, r *http.Request) error {
	res, err := s.Identity.LoginBySMS(r.Context(), identity.SMSLogin{Phone: r.PostForm.Get("phone"), Code: r.PostForm.Get("code"),
		Kind: identity.SessionWeb, IP: edge.ClientIP(r), UserAgent: r.UserAgent(), Device: s.device(r)})
	if err != nil {
		s.showSMS(w, r, loginSMSForm, "", err)
		return nil
	}
	s.loggedIn(w, r, res)
	return nil
}

// resetPassword sets the new password; every session of the account ends
// (this browser's too, when it was signed in to it), and the login form
// says so.
func (s *Server) resetPassword(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	if f.Get("password") != f.Get("confirm_password") {
		s.showSMS(w, r, resetForm, "", apperr.E(apperr.Invalid, "password.mismatch"))
		return nil
	}
	err := s.Identity.ResetPasswordBySMS(r.Context(), identity.PasswordReset{Phone: f.Get("phone"), Code: f.Get("code"), Password: f.Get("password"), IP: edge.ClientIP(r)})
	if err != nil {
		s.showSMS(w, r, resetForm, "", err)
		return nil
	}
	http.Redirect(w, r, "/login?reset=1", http.StatusSeeOther)
	return nil
}

// assuranceForm is the clerk's identity verification page.
func (s *Server) assuranceForm(w http.ResponseWriter, r *http.Request) error {
	s.render(w, r, http.StatusOK, "assurance", s.view(r, "assurance.title"))
	return nil
}

// verifyInPerson raises the person named to L2.
func (s *Server) verifyInPerson(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	res, err := s.Cases.VerifyInPerson(r.Context(), visitorFrom(r).User, cases.InPersonCheck{Number: f.Get("id_number"), Name: f.Get("name"),
		Confirmed: f.Get("confirmed") == "1", Phone: f.Get("phone"), Code: f.Get("code")})
	if err != nil {
		if c := apperr.CodeOf(err); c != apperr.Invalid && c != apperr.TooMany && c != apperr.Conflict {
			return err
		}
		return s.renderAssurance(w, r, "", err)
	}
	v := s.view(r, "assurance.title")
	key := "assurance.done"
	if !res.Changed {
		key = "assurance.already"
	}
	v.Notice = v.T(key, "name", res.Applicant.Name, "masked", res.Applicant.Masked)
	if res.Phone != "" {
		v.Notice += " " + v.T("assurance.phone_bound", "phone", res.Phone)
	}
	s.render(w, r, http.StatusOK, "assurance", v)
	return nil
}

// bindEnterpriseAtWindow binds an enterprise to its legal representative
// after the clerk saw the originals (a new enterprise, or a change of 法定代表人).
func (s *Server) bindEnterpriseAtWindow(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	res, err := s.Cases.BindEnterpriseAtWindow(r.Context(), visitorFrom(r).User, cases.EnterpriseCheck{CreditCode: f.Get("credit_code"), Name: f.Get("org_name"),
		Number: f.Get("rep_id_number"), PersonName: f.Get("rep_name"), Confirmed: f.Get("confirmed") == "1"})
	if err != nil {
		if c := apperr.CodeOf(err); c != apperr.Invalid && c != apperr.TooMany && c != apperr.Forbidden && c != apperr.NotFound {
			return err
		}
		return s.renderAssurance(w, r, "", err)
	}
	v := s.view(r, "assurance.title")
	key := "assurance.enterprise_bound"
	switch {
	case res.New:
		key = "assurance.enterprise_new"
	case res.Changed:
		key = "assurance.enterprise_changed"
	}
	v.Notice = v.T(key, "name", res.Name, "code", res.CreditCode, "rep", f.Get("rep_name"))
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, http.StatusOK, "assurance", v)
	return nil
}

// renderAssurance shows the clerk's form again with what was typed (the
// clerk's own input), a notice or a problem.
func (s *Server) renderAssurance(w http.ResponseWriter, r *http.Request, notice string, problem error) error {
	v := s.view(r, "assurance.title")
	for _, k := range []string{"id_number", "name", "phone", "credit_code", "org_name", "rep_id_number", "rep_name"} {
		v.Data[k] = r.PostForm.Get(k)
	}
	v.Notice = notice
	status := http.StatusOK
	if problem != nil {
		p := edge.ProblemOf(r.Context(), v.Lang, problem)
		v.Problem = &p
		status = p.Status
	}
	w.Header().Set("Cache-Control", "no-store") // an ID number typed
	s.render(w, r, status, "assurance", v)
	return nil
}

// assuranceCode texts the person's number a code (identity.CodePhone)
// that they read out to the clerk.
func (s *Server) assuranceCode(w http.ResponseWriter, r *http.Request) error {
	masked, err := s.Identity.SendCode(r.Context(), identity.CodeRequest{Phone: r.PostForm.Get("phone"), Purpose: identity.CodePhone, IP: edge.ClientIP(r)})
	if err != nil {
		if c := apperr.CodeOf(err); c != apperr.Invalid && c != apperr.TooMany && c != apperr.Unavailable {
			return err
		}
		return s.renderAssurance(w, r, "", err)
	}
	v := s.view(r, "assurance.title")
	return s.renderAssurance(w, r, v.T("register.code_sent", "phone", masked, "minutes", int(identity.DefaultCodes.TTL.Minutes())), nil)
}
