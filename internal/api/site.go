package api

import (
	"net/http"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/site"
)

// siteBody is the installation's identity as the API reads and writes it:
// every field the portal's header and footer show (the region is fixed at
// setup and only read).
type siteBody struct {
	CentreName    string `json:"centre_name"`
	CentreAddress string `json:"centre_address"`
	CentrePhone   string `json:"centre_phone"`
	HostOrg       string `json:"host_org"`
	Organizer     string `json:"organizer"`
	Contact       string `json:"contact"`
	ICP           string `json:"icp"`
	PSB           string `json:"psb"`
}

// getSite answers the stored identity (installation administrators).
func (s *Server) getSite(w http.ResponseWriter, r *http.Request) error {
	if s.Site == nil {
		return apperr.E(apperr.Unavailable, "error.unavailable")
	}
	info, err := s.Site.Stored(r.Context(), userFrom(r.Context()))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"site": info})
	return nil
}

// putSite replaces the identity's fields after validation (site.CheckForm);
// an absent field is cleared.
func (s *Server) putSite(w http.ResponseWriter, r *http.Request) error {
	if s.Site == nil {
		return apperr.E(apperr.Unavailable, "error.unavailable")
	}
	var req siteBody
	if err := decode(w, r, &req); err != nil {
		return err
	}
	info, err := s.Site.Update(r.Context(), userFrom(r.Context()), site.Info{CentreName: req.CentreName, CentreAddress: req.CentreAddress,
		CentrePhone: req.CentrePhone, HostOrg: req.HostOrg, Organizer: req.Organizer, Contact: req.Contact, ICP: req.ICP, PSB: req.PSB})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"site": info})
	return nil
}
