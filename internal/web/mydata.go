package web

import (
	"encoding/json"
	"net/http"

	"github.com/tongban/tongban/internal/mydata"
)

// myData downloads the visitor's own data as one JSON file (PIPL Art.
// 44/45); each export is audited.
func (s *Server) myData(w http.ResponseWriter, r *http.Request) error {
	e := &mydata.Exporter{DB: s.AuditDB, Identity: s.Identity, Cases: s.Cases, Appeals: s.Appeals, Now: s.Now}
	d, err := e.Export(r.Context(), visitorFrom(r).User)
	if err != nil {
		return err
	}
	body, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="tongban-mydata-`+d.ExportedAt.Format("20060102")+`.json"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Write(append(body, '\n'))
	return nil
}
