package api

import (
	"context"
	"net/http"

	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/identity"
)

// Items per region (issue 15): a town's administrator adopts (认领) the
// items the district/city catalog offers for its level, with local
// variations; the rules and the scope are the catalog service's.

func (s *Server) adminOffered(w http.ResponseWriter, r *http.Request) error {
	u, err := admin(r)
	if err != nil {
		return err
	}
	offers, err := s.Catalog.Offered(r.Context(), u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"offers": offers})
	return nil
}

func (s *Server) adminAdoptions(w http.ResponseWriter, r *http.Request) error {
	u, err := admin(r)
	if err != nil {
		return err
	}
	list, err := s.Catalog.Adoptions(r.Context(), u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"adoptions": list})
	return nil
}

func (s *Server) adopt(w http.ResponseWriter, r *http.Request) error {
	return adminWrite(w, r, http.StatusCreated, func(ctx context.Context, u *identity.User, _ string, in catalog.AdoptInput) (catalog.Adoption, error) {
		return s.Catalog.Adopt(ctx, u, in)
	})
}

// updateAdoption changes the variations of the adoption whose
// implementation code is the path's {code}, or follows the source.
func (s *Server) updateAdoption(w http.ResponseWriter, r *http.Request) error {
	return adminWrite(w, r, http.StatusOK, func(ctx context.Context, u *identity.User, _ string, in catalog.AdoptionUpdate) (catalog.Adoption, error) {
		return s.Catalog.UpdateAdoption(ctx, u, r.PathValue("code"), in)
	})
}

func (s *Server) withdrawAdoption(w http.ResponseWriter, r *http.Request) error {
	u, err := admin(r)
	if err != nil {
		return err
	}
	a, err := s.Catalog.WithdrawAdoption(r.Context(), u, r.PathValue("code"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}
