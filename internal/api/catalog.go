package api

import (
	"net/http"

	"github.com/tongban/tongban/internal/catalog"
)

// The catalog's regions, departments and halls are public information
// (R8.1 政务公开): these endpoints need no login and hold no personal data.

func (s *Server) regionChildren(w http.ResponseWriter, r *http.Request) error {
	region, children, err := s.Catalog.Children(r.Context(), r.PathValue("code"))
	if err != nil {
		return err
	}
	if children == nil {
		children = []catalog.Region{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"region": region, "children": children})
	return nil
}

func (s *Server) departments(w http.ResponseWriter, r *http.Request) error {
	ds, err := s.Catalog.Departments(r.Context(), r.URL.Query().Get("region"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"departments": ds})
	return nil
}

func (s *Server) halls(w http.ResponseWriter, r *http.Request) error {
	region := r.URL.Query().Get("region")
	if region == "" {
		region = s.Region
	}
	hs, err := s.Catalog.Halls(r.Context(), region)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"halls": hs})
	return nil
}
