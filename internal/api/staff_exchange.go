package api

import (
	"bytes"
	"errors"
	"net/http"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/edge"
	"github.com/tongban/tongban/internal/identity"
)

// xlsxType is the media type of a workbook.
const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// exportStaff is the staff exchange document of the accounts the
// administrator sees (identity.StaffExchangeFormat), as JSON or, with
// ?format=xlsx, a workbook (as the organisation's export).
func (s *Server) exportStaff(w http.ResponseWriter, r *http.Request) error {
	by, err := staffAdmin(r)
	if err != nil {
		return err
	}
	format := r.URL.Query().Get("format")
	if format != "" && format != "json" && format != "xlsx" {
		return apperr.E(apperr.Invalid, "catalog.exchange_format", "value", format)
	}
	ex, err := s.Identity.ExportStaff(r.Context(), by)
	if err != nil {
		return err
	}
	if format != "xlsx" {
		w.Header().Set("Content-Disposition", `attachment; filename="staff.json"`)
		writeJSON(w, http.StatusOK, ex)
		return nil
	}
	var buf bytes.Buffer
	if err := ex.WriteXLSX(&buf); err != nil {
		return apperr.Internalf("api: staff xlsx", err)
	}
	w.Header().Set("Content-Type", xlsxType)
	w.Header().Set("Content-Disposition", `attachment; filename="staff.xlsx"`)
	edge.Transfer(w)
	w.Write(buf.Bytes())
	return nil
}

type importedJSON struct {
	// Created are the accounts with their one-time passwords, shown once.
	Created []identity.ImportedStaff `json:"created"`
}

// importStaff creates every account of a staff exchange document (JSON,
// or with ?format=xlsx a workbook as the body), or none: every fault is
// listed in the error's details — the workbook's by sheet, row and column.
func (s *Server) importStaff(w http.ResponseWriter, r *http.Request) error {
	by, err := staffAdmin(r)
	if err != nil {
		return err
	}
	var ex identity.StaffExchange
	var loc identity.StaffLocator
	switch format := r.URL.Query().Get("format"); format {
	case "", "json":
		if err := decode(w, r, &ex); err != nil {
			return err
		}
	case "xlsx":
		edge.Transfer(w)
		r.Body = http.MaxBytesReader(w, r.Body, MaxImportBytes)
		x, l, err := identity.ReadStaffXLSX(r.Body)
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return apperr.E(apperr.Invalid, "error.body_too_large")
			}
			return err
		}
		if err := edge.CheckValue(x); err != nil { // the file's texts, as any input's
			return err
		}
		ex, loc = *x, l
	default:
		return apperr.E(apperr.Invalid, "catalog.exchange_format", "value", format)
	}
	created, err := s.Identity.ImportStaffFrom(r.Context(), by, s.Region, ex, loc)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, importedJSON{Created: created})
	return nil
}
