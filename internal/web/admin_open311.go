package web

import (
	"net/http"

	"github.com/tongban/tongban/internal/apperr"
)

// adminOpen311 lists the Open311 clients of the administrator's regions,
// with the form that registers one (issue 18).
func (s *Server) adminOpen311(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "open311.admin_title")
	v.Data["Revoked"] = r.URL.Query().Get("revoked") != ""
	return s.renderOpen311(w, r, v, http.StatusOK)
}

func (s *Server) renderOpen311(w http.ResponseWriter, r *http.Request, v *View, status int) error {
	if s.Open311 == nil {
		return apperr.E(apperr.Unavailable, "error.unavailable")
	}
	list, err := s.Open311.List(r.Context(), v.User)
	if err != nil {
		return err
	}
	v.Data["Clients"], v.Data["Home"] = list, s.Region
	s.render(w, r, status, "admin_open311", v)
	return nil
}

// adminOpen311Register registers a client and shows its key on this page
// alone (it is never shown again); a refusal shows the form as typed.
func (s *Server) adminOpen311Register(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "open311.admin_title")
	if s.Open311 == nil {
		return apperr.E(apperr.Unavailable, "error.unavailable")
	}
	c, key, err := s.Open311.Register(r.Context(), v.User, r.PostForm.Get("name"), r.PostForm.Get("region_code"))
	if err != nil {
		return s.refuse(w, r, v, "open311", err, func(status int) error { return s.renderOpen311(w, r, v, status) })
	}
	v.Data["NewClient"], v.Data["NewKey"] = c, key
	return s.renderOpen311(w, r, v, http.StatusCreated)
}

// adminOpen311Revoke ends a client's key.
func (s *Server) adminOpen311Revoke(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "open311.admin_title")
	if s.Open311 == nil {
		return apperr.E(apperr.Unavailable, "error.unavailable")
	}
	if _, err := s.Open311.Revoke(r.Context(), v.User, r.PathValue("id")); err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/open311?revoked=1", http.StatusSeeOther)
	return nil
}
