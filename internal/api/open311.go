package api

import (
	"net/http"

	"github.com/tongban/tongban/internal/apperr"
)

// open311Clients lists the Open311 clients of the administrator's regions.
func (s *Server) open311Clients(w http.ResponseWriter, r *http.Request) error {
	if s.Open311 == nil {
		return apperr.E(apperr.Unavailable, "error.unavailable")
	}
	list, err := s.Open311.List(r.Context(), userFrom(r.Context()))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"clients": list})
	return nil
}

// registerOpen311Client registers a client ({"name", "region_code"}); its
// api_key is in this answer only.
func (s *Server) registerOpen311Client(w http.ResponseWriter, r *http.Request) error {
	if s.Open311 == nil {
		return apperr.E(apperr.Unavailable, "error.unavailable")
	}
	var req struct {
		Name       string `json:"name"`
		RegionCode string `json:"region_code"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	c, key, err := s.Open311.Register(r.Context(), userFrom(r.Context()), req.Name, req.RegionCode)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"client": c, "api_key": key})
	return nil
}

// revokeOpen311Client ends a client's key at once.
func (s *Server) revokeOpen311Client(w http.ResponseWriter, r *http.Request) error {
	if s.Open311 == nil {
		return apperr.E(apperr.Unavailable, "error.unavailable")
	}
	c, err := s.Open311.Revoke(r.Context(), userFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"client": c})
	return nil
}
