package api

import (
	"net/http"

	"github.com/tongban/tongban/internal/catalog"
)

// The search synonyms (检索同义词, issue 17): any administrator reads them;
// the installation's administrators change them (the catalog checks).

func (s *Server) adminSynonyms(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Catalog.Synonyms(r.Context(), userFrom(r.Context()))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"synonyms": list})
	return nil
}

// adminPutSynonym stores a term's expansions ({"expansions": [...]}; an
// empty list turns a shipped term off).
func (s *Server) adminPutSynonym(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Expansions []string `json:"expansions"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	syn := catalog.Synonym{Term: r.PathValue("term"), Expansions: req.Expansions}
	if err := s.Catalog.SaveSynonym(r.Context(), userFrom(r.Context()), syn); err != nil {
		return err
	}
	if err := catalog.CheckSynonym(&syn); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, syn)
	return nil
}

// adminDeleteSynonym removes a stored entry (a shipped term applies again).
func (s *Server) adminDeleteSynonym(w http.ResponseWriter, r *http.Request) error {
	if err := s.Catalog.DeleteSynonym(r.Context(), userFrom(r.Context()), r.PathValue("term")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
