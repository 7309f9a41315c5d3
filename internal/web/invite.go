package web

import (
	"net/http"
	"net/url"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/edge"
	"github.com/tongban/tongban/internal/identity"
)

// The invitation link's page (邀请链接, identity/invitation.go): the invited
// person sets their password, then logs in (an account whose roles need a
// second factor is sent to enrol it, as at any first login). A link that
// cannot be used says why, in the visitor's language, without naming the
// account; guesses are counted against the address.

func (s *Server) inviteForm(w http.ResponseWriter, r *http.Request) error {
	inv, err := s.Identity.OpenInvitation(r.Context(), r.PathValue("token"), edge.ClientIP(r))
	return s.renderInvite(w, r, inv, err)
}

func (s *Server) renderInvite(w http.ResponseWriter, r *http.Request, inv *identity.Invited, problem error) error {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer") // the token is in the address
	v := s.view(r, "invite.title")
	status := http.StatusOK
	if problem != nil {
		if c := apperr.CodeOf(problem); c == apperr.Internal || c == apperr.Unavailable {
			return problem
		}
		p := edge.ProblemOf(r.Context(), v.Lang, problem)
		v.Problem, status = &p, p.Status
	}
	if inv != nil {
		v.Data["Invited"] = inv
	}
	s.render(w, r, status, "invite", v)
	return nil
}

// inviteAccept sets the password and sends the person to log in.
func (s *Server) inviteAccept(w http.ResponseWriter, r *http.Request) error {
	token, ip := r.PathValue("token"), edge.ClientIP(r)
	pw := r.PostForm.Get("new_password")
	if pw != r.PostForm.Get("confirm_password") {
		inv, err := s.Identity.OpenInvitation(r.Context(), token, ip)
		if err == nil {
			err = apperr.E(apperr.Invalid, "password.mismatch")
		}
		return s.renderInvite(w, r, inv, err)
	}
	username, err := s.Identity.AcceptInvitation(r.Context(), token, ip, pw)
	if err != nil {
		var inv *identity.Invited
		if apperr.CodeOf(err) == apperr.Invalid { // the password: the form again
			inv, _ = s.Identity.OpenInvitation(r.Context(), token, ip)
		}
		return s.renderInvite(w, r, inv, err)
	}
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, "/login?"+url.Values{"invited": {username}}.Encode(), http.StatusSeeOther)
	return nil
}
