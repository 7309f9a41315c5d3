package web

import (
	"net/http"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/site"
)

// siteFields are the administrator's form's fields, in order, with the
// hint each shows (an example of the expected form), "" for none.
var siteFields = []struct{ Name, Hint string }{
	{"centre_name", ""}, {"centre_address", ""}, {"centre_phone", "site.h_centre_phone"}, {"host_org", ""},
	{"organizer", "site.h_organizer"}, {"contact", "site.h_contact"}, {"icp", "site.h_icp"}, {"psb", "site.h_psb"},
}

// adminSite shows the installation's identity — the header's centre, the
// footer's 主办单位, 承办单位, contact and filing numbers — to edit.
func (s *Server) adminSite(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "site.title")
	return s.renderSite(w, r, v, http.StatusOK)
}

func (s *Server) renderSite(w http.ResponseWriter, r *http.Request, v *View, status int) error {
	if s.Site == nil {
		return apperr.E(apperr.Unavailable, "error.unavailable")
	}
	info, err := s.Site.Stored(r.Context(), v.User)
	if err != nil {
		return err
	}
	values := map[string]string{"centre_name": info.CentreName, "centre_address": info.CentreAddress, "centre_phone": info.CentrePhone,
		"host_org": info.HostOrg, "organizer": info.Organizer, "contact": info.Contact, "icp": info.ICP, "psb": info.PSB}
	v.Data["Fields"], v.Data["Values"], v.Data["Stored"] = siteFields, values, info
	v.Data["Saved"] = r.URL.Query().Get("saved") != ""
	s.render(w, r, status, "admin_site", v)
	return nil
}

// adminSiteSave saves the form; a refusal shows it again as typed, the
// faulty field marked.
func (s *Server) adminSiteSave(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "site.title")
	if s.Site == nil {
		return apperr.E(apperr.Unavailable, "error.unavailable")
	}
	f := r.PostForm
	_, err := s.Site.Update(r.Context(), v.User, site.Info{CentreName: f.Get("centre_name"), CentreAddress: f.Get("centre_address"),
		CentrePhone: f.Get("centre_phone"), HostOrg: f.Get("host_org"), Organizer: f.Get("organizer"), Contact: f.Get("contact"),
		ICP: f.Get("icp"), PSB: f.Get("psb")})
	if err != nil {
		return s.refuse(w, r, v, "site", err, func(status int) error { return s.renderSite(w, r, v, status) })
	}
	http.Redirect(w, r, "/admin/site?saved=1", http.StatusSeeOther)
	return nil
}
