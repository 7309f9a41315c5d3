package api

import (
	"net/http"

	"github.com/tongban/tongban/internal/mydata"
)

// myData returns the caller's own data (PIPL Art. 44/45); each export is
// audited.
func (s *Server) myData(w http.ResponseWriter, r *http.Request) error {
	e := &mydata.Exporter{DB: s.AuditDB, Identity: s.Identity, Cases: s.Cases, Appeals: s.Appeals, Now: s.Now}
	d, err := e.Export(r.Context(), userFrom(r.Context()))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}
