package web

import (
	"net/http"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/edge"
	"github.com/tongban/tongban/internal/identity"
)

// The person's rights over their account (identity/pipl.go): correct my
// data, change my mobile, close my account — one page, /me/profile.

func (s *Server) profilePage(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "profile.title")
	switch r.URL.Query().Get("saved") {
	case "profile":
		v.Notice = v.T("profile.saved")
	case "phone":
		v.Notice = v.T("profile.phone_changed")
	}
	return s.renderProfile(w, r, v, http.StatusOK, "")
}

// renderProfile renders the page; problem (when not nil) is shown in the
// section it belongs to.
func (s *Server) renderProfile(w http.ResponseWriter, r *http.Request, v *View, status int, section string) error {
	p, err := s.Identity.PersonalProfileOf(r.Context(), v.User)
	if err != nil {
		return err
	}
	v.Data["Profile"] = p
	v.Data["Section"] = section
	s.render(w, r, status, "profile", v)
	return nil
}

// formProblem shows a refusal in section of the page with its own status;
// an internal failure goes to the error page.
func (s *Server) formProblem(w http.ResponseWriter, r *http.Request, v *View, section string, err error) error {
	if apperr.CodeOf(err) == apperr.Internal || apperr.CodeOf(err) == apperr.Unauthenticated {
		return err
	}
	p := edge.ProblemOf(r.Context(), v.Lang, err)
	v.Problem = &p
	return s.renderProfile(w, r, v, p.Status, section)
}

// correctProfile saves the visitor's own corrections.
func (s *Server) correctProfile(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "profile.title")
	f := r.PostForm
	c := identity.Correction{}
	locale := f.Get("locale")
	c.Locale = &locale
	if v.User.Kind == identity.KindPerson {
		region, name, number := f.Get("region"), f.Get("name"), f.Get("id_number")
		c.Region, c.Name, c.IDNumber = &region, &name, &number
	}
	if err := s.Identity.CorrectProfile(r.Context(), v.User, c); err != nil {
		return s.formProblem(w, r, v, "profile", err)
	}
	http.Redirect(w, r, "/me/profile?saved=profile", http.StatusSeeOther)
	return nil
}

// phoneCode texts a code to the new number.
func (s *Server) phoneCode(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "profile.title")
	phone := r.PostForm.Get("phone")
	masked, err := s.Identity.SendPhoneCode(r.Context(), v.User, phone, edge.ClientIP(r))
	v.Data["NewPhone"] = phone
	if err != nil {
		return s.formProblem(w, r, v, "phone", err)
	}
	v.Data["CodeSent"] = masked
	return s.renderProfile(w, r, v, http.StatusOK, "phone")
}

// changePhone makes the new number the account's with its code and the
// password.
func (s *Server) changePhone(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "profile.title")
	f := r.PostForm
	v.Data["NewPhone"] = f.Get("phone")
	if _, err := s.Identity.ChangePhone(r.Context(), v.User, f.Get("phone"), f.Get("code"), f.Get("password")); err != nil {
		v.Data["CodeSent"] = "…"
		return s.formProblem(w, r, v, "phone", err)
	}
	http.Redirect(w, r, "/me/profile?saved=phone#phone", http.StatusSeeOther)
	return nil
}

// closeAccount closes the visitor's own account and ends their session.
func (s *Server) closeAccount(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "profile.title")
	if r.PostForm.Get("confirm") != "1" {
		return s.formProblem(w, r, v, "close", apperr.E(apperr.Invalid, "account.close_confirm"))
	}
	if err := s.Identity.CloseAccount(r.Context(), v.User, r.PostForm.Get("password")); err != nil {
		return s.formProblem(w, r, v, "close", err)
	}
	s.clearCookie(w, r, edge.SessionCookie)
	http.Redirect(w, r, "/login?closed=1", http.StatusSeeOther)
	return nil
}

// personCorrection is the window clerk's form to correct a person's name
// or ID number, having seen the ID card.
func (s *Server) personCorrection(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "correct.title")
	s.render(w, r, http.StatusOK, "person_correct", v)
	return nil
}

func (s *Server) personCorrect(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "correct.title")
	f := r.PostForm
	a, err := s.Identity.CorrectAtWindow(r.Context(), v.User, identity.WindowCorrection{
		Number: f.Get("number"), Name: f.Get("name"), IDNumber: f.Get("new_id_number"), Note: f.Get("note")})
	if err != nil {
		if apperr.CodeOf(err) == apperr.Internal || apperr.CodeOf(err) == apperr.Forbidden {
			return err
		}
		p := edge.ProblemOf(r.Context(), v.Lang, err)
		v.Problem = &p
		v.Data["Form"] = map[string]string{"Name": f.Get("name"), "Note": f.Get("note")}
		s.render(w, r, p.Status, "person_correct", v)
		return nil
	}
	v.Data["Done"] = map[string]string{"Name": codes.MaskName(a.Name), "Masked": a.Masked}
	v.Notice = v.T("correct.done")
	s.render(w, r, http.StatusOK, "person_correct", v)
	return nil
}
