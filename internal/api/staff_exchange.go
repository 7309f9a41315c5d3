package api

import (
	"net/http"

	"github.com/tongban/tongban/internal/identity"
)

// exportStaff is the staff exchange document of the accounts the
// administrator sees (JSON, identity.StaffExchangeFormat).
func (s *Server) exportStaff(w http.ResponseWriter, r *http.Request) error {
	by, err := staffAdmin(r)
	if err != nil {
		return err
	}
	ex, err := s.Identity.ExportStaff(r.Context(), by)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Disposition", `attachment; filename="staff.json"`)
	writeJSON(w, http.StatusOK, ex)
	return nil
}

type importedJSON struct {
	// Created are the accounts with their one-time passwords, shown once.
	Created []identity.ImportedStaff `json:"created"`
}

// importStaff creates every account of a staff exchange document, or none:
// every fault is listed in the error's details.
func (s *Server) importStaff(w http.ResponseWriter, r *http.Request) error {
	by, err := staffAdmin(r)
	if err != nil {
		return err
	}
	var ex identity.StaffExchange
	if err := decode(w, r, &ex); err != nil {
		return err
	}
	created, err := s.Identity.ImportStaff(r.Context(), by, s.Region, ex)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, importedJSON{Created: created})
	return nil
}
