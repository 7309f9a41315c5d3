package web

import (
	"net/http"

	"github.com/tongban/tongban/internal/apperr"

	"github.com/tongban/tongban/internal/catalog"
)

// home is the public front page (portal).
func (s *Server) home(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "home.title")
	hot, err := s.Catalog.Search(r.Context(), catalog.Query{PerPage: 8})
	if err != nil {
		return err
	}
	bundles, err := s.Catalog.Bundles(r.Context(), false)
	if err != nil {
		return err
	}
	v.Data["Hot"] = hot.Items
	v.Data["Bundles"] = bundles
	v.Data["Events"] = catalog.LifeEvents
	s.render(w, r, http.StatusOK, "home", v)
	return nil
}

// notFound answers unknown paths; fail renders the 404 page in the
// visitor's language.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) error {
	return apperr.E(apperr.NotFound, "error.not_found")
}
