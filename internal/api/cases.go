package api

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/edge"
	"github.com/tongban/tongban/internal/paging"
)

// Cases (办件): create and submit, list, read, act, timeline, materials.
// The case service checks who may do what; these handlers decode and encode.

// maxUploadBody bounds a multipart upload request: the file limit plus room
// for the form's other parts.
const maxUploadBody = 21 << 20

func (s *Server) uploadMaterial(w http.ResponseWriter, r *http.Request) error {
	edge.Transfer(w)
	r.Body = http.MaxBytesReader(w, r.Body, maxUploadBody)
	f, hdr, err := r.FormFile("file")
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return apperr.E(apperr.Invalid, "case.upload_too_large", "max", 20)
		}
		return apperr.E(apperr.Invalid, "error.field_required", "field", "file")
	}
	defer f.Close()
	if err := edge.CheckForm(r, false); err != nil { // the file's name and the form's other parts
		return err
	}
	m, err := s.Cases.Upload(r.Context(), userFrom(r.Context()), hdr.Filename, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"material": m})
	return nil
}

// createCase files an application. A retry with the same Idempotency-Key
// returns the first submission's case with 200 instead of 201.
func (s *Server) createCase(w http.ResponseWriter, r *http.Request) error {
	var nc cases.NewCase
	if err := decode(w, r, &nc); err != nil {
		return err
	}
	nc.IdempotencyKey = strings.TrimSpace(r.Header.Get("Idempotency-Key"))
	if len(nc.IdempotencyKey) > 200 {
		return apperr.E(apperr.Invalid, "error.idempotency_key")
	}
	c, fresh, err := s.Cases.Create(r.Context(), userFrom(r.Context()), nc)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if !fresh {
		status = http.StatusOK
	}
	w.Header().Set("Location", "/api/v1/cases/"+c.Ref())
	writeJSON(w, status, map[string]any{"case": c})
	return nil
}

func (s *Server) listCases(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	// Pages are found by keyset (after=, the answer's next), never by
	// number: page= past the first is refused with a message saying so.
	if v := q.Get("page"); v != "" && strings.TrimSpace(v) != "1" {
		return apperr.E(apperr.Invalid, "case.page_gone")
	}
	per, err := paging.Size(q.Get("per_page"), 20, paging.MaxSize)
	if err != nil {
		return err
	}
	f, err := cases.FilterOf(q)
	if err != nil {
		return err
	}
	f.State, f.Department, f.Inbox, f.PerPage = q.Get("state"), q.Get("dept"), q.Get("inbox") == "true", per
	if v := q.Get("due_before"); v != "" {
		// A date: cases whose decision deadline falls on or before it.
		d, err := calendar.ParseDate(v)
		if err != nil {
			return err
		}
		end := d.AddDays(1).Start(calendar.China)
		f.DueBefore = &end
	}
	p, err := s.Cases.ListPage(r.Context(), userFrom(r.Context()), f)
	if err != nil {
		return err
	}
	// total counts up to paging.CountCap; total_capped says there are more
	// (the list is never counted whole). next is the following page's token.
	out := map[string]any{"cases": p.Cases, "total": p.Total, "total_capped": p.Capped, "total_label": totalLabel(p),
		"per_page": per, "next": p.Next}
	if q.Get("counts") == "true" {
		counts, err := s.Cases.Counts(r.Context(), userFrom(r.Context()), f)
		if err != nil {
			return err
		}
		out["counts"] = counts
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// totalLabel is a list's total as shown: the number, or "1000+" capped.
func totalLabel(p *cases.Page) string {
	if p.Capped {
		return paging.Label(paging.CountCap, paging.CountCap)
	}
	return strconv.Itoa(p.Total)
}

func (s *Server) getCase(w http.ResponseWriter, r *http.Request) error {
	c, err := s.Cases.Get(r.Context(), userFrom(r.Context()), r.PathValue("no"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"case": c})
	return nil
}

func (s *Server) actOnCase(w http.ResponseWriter, r *http.Request) error {
	var req cases.ActionRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	c, err := s.Cases.Act(r.Context(), userFrom(r.Context()), r.PathValue("no"), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"case": c})
	return nil
}

func (s *Server) caseTimeline(w http.ResponseWriter, r *http.Request) error {
	evs, err := s.Cases.Timeline(r.Context(), userFrom(r.Context()), r.PathValue("no"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": evs})
	return nil
}

func (s *Server) caseMaterial(w http.ResponseWriter, r *http.Request) error {
	m, rc, err := s.Cases.OpenMaterial(r.Context(), userFrom(r.Context()), r.PathValue("no"), r.PathValue("id"))
	if err != nil {
		return err
	}
	defer rc.Close()
	serveMaterial(w, m, rc)
	return nil
}

// serveMaterial sends a stored file with its sniffed type, as an attachment
// (never rendered inline from our origin).
func serveMaterial(w http.ResponseWriter, m *cases.Material, rc io.Reader) {
	w.Header().Set("Content-Type", m.ContentType)
	w.Header().Set("Content-Length", strconv.FormatInt(m.Size, 10))
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": m.Filename}))
	w.Header().Set("X-Content-SHA256", m.SHA256)
	edge.Transfer(w)
	io.Copy(w, rc)
}

// progress is the public progress query: a case number, the applicant's
// name and the 查询码 (or the identifier's last four characters), within the
// per-address limit.
func (s *Server) progress(w http.ResponseWriter, r *http.Request) error {
	if err := s.ProgressLimit.Check(r); err != nil {
		return err
	}
	q := r.URL.Query()
	p, err := s.Cases.Progress(r.Context(), q.Get("case_no"), q.Get("name"), q.Get("code"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"progress": p})
	return nil
}
