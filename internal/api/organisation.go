package api

import (
	"bytes"
	"context"
	"errors"
	"net/http"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/edge"
	"github.com/tongban/tongban/internal/identity"
)

// The organisation's administration (issue 15): departments, halls, their
// windows and the divisions served, each scoped by the one rule in the
// catalog service (an administrator manages what lies in their regions).

// adminWrite is an administrator's write of one organisation object: the
// body decoded into In, act called with the path's {id} ("" where the route
// has none), and the object answered with status.
func adminWrite[In, Out any](w http.ResponseWriter, r *http.Request, status int, act func(ctx context.Context, u *identity.User, id string, in In) (Out, error)) error {
	u, err := admin(r)
	if err != nil {
		return err
	}
	var in In
	if err := decode(w, r, &in); err != nil {
		return err
	}
	out, err := act(r.Context(), u, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	writeJSON(w, status, out)
	return nil
}

func (s *Server) adminDepartments(w http.ResponseWriter, r *http.Request) error {
	u, err := admin(r)
	if err != nil {
		return err
	}
	ds, err := s.Catalog.AdminDepartments(r.Context(), u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"departments": ds})
	return nil
}

func (s *Server) createDepartment(w http.ResponseWriter, r *http.Request) error {
	return adminWrite(w, r, http.StatusCreated, func(ctx context.Context, u *identity.User, _ string, in catalog.DepartmentInput) (catalog.Department, error) {
		return s.Catalog.CreateDepartment(ctx, u, in)
	})
}

func (s *Server) updateDepartment(w http.ResponseWriter, r *http.Request) error {
	return adminWrite(w, r, http.StatusOK, s.Catalog.UpdateDepartment)
}

func (s *Server) adminHalls(w http.ResponseWriter, r *http.Request) error {
	u, err := admin(r)
	if err != nil {
		return err
	}
	hs, err := s.Catalog.AdminHalls(r.Context(), u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"halls": hs})
	return nil
}

func (s *Server) createHall(w http.ResponseWriter, r *http.Request) error {
	return adminWrite(w, r, http.StatusCreated, func(ctx context.Context, u *identity.User, _ string, in catalog.HallInput) (catalog.Hall, error) {
		return s.Catalog.CreateHall(ctx, u, in)
	})
}

func (s *Server) updateHall(w http.ResponseWriter, r *http.Request) error {
	return adminWrite(w, r, http.StatusOK, s.Catalog.UpdateHall)
}

func (s *Server) hallWindows(w http.ResponseWriter, r *http.Request) error {
	u, err := admin(r)
	if err != nil {
		return err
	}
	ws, err := s.Catalog.Windows(r.Context(), u, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"windows": ws})
	return nil
}

// createWindow adds a window to the hall of the path's {id}.
func (s *Server) createWindow(w http.ResponseWriter, r *http.Request) error {
	return adminWrite(w, r, http.StatusCreated, s.Catalog.CreateWindow)
}

func (s *Server) updateWindow(w http.ResponseWriter, r *http.Request) error {
	return adminWrite(w, r, http.StatusOK, s.Catalog.UpdateWindow)
}

func (s *Server) putServed(w http.ResponseWriter, r *http.Request) error {
	u, err := admin(r)
	if err != nil {
		return err
	}
	var in struct {
		Served *bool `json:"served"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.Served == nil {
		return apperr.E(apperr.Invalid, "error.field_required", "field", "served")
	}
	code := r.PathValue("code")
	if err := s.Catalog.SetServed(r.Context(), u, code, *in.Served); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"code": code, "served": *in.Served})
	return nil
}

// adminOrgExport downloads the organisation the administrator covers
// (?format=json|xlsx).
func (s *Server) adminOrgExport(w http.ResponseWriter, r *http.Request) error {
	u, err := admin(r)
	if err != nil {
		return err
	}
	ex, err := s.Catalog.ExportOrganisation(r.Context(), u)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	ctype, name, err := ex.Write(&buf, r.URL.Query().Get("format"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	edge.Transfer(w)
	w.Write(buf.Bytes())
	return nil
}

// adminOrgImport imports an organisation file sent as the request body
// (?format=json|xlsx): every fault listed, nothing imported on any.
func (s *Server) adminOrgImport(w http.ResponseWriter, r *http.Request) error {
	u, err := admin(r)
	if err != nil {
		return err
	}
	edge.Transfer(w)
	r.Body = http.MaxBytesReader(w, r.Body, MaxImportBytes)
	ex, loc, err := catalog.ReadOrg(r.Body, r.URL.Query().Get("format"))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return apperr.E(apperr.Invalid, "error.body_too_large")
		}
		return err
	}
	if err := edge.CheckValue(ex); err != nil { // the file's texts, as any input's
		return err
	}
	rep, err := s.Catalog.ImportOrganisation(r.Context(), u, ex, loc)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}
