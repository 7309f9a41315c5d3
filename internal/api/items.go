package api

import (
	"bytes"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/edge"
	"github.com/tongban/tongban/internal/identity"
)

// The published catalog is public (R8.1); editing needs the admin role and
// is scoped to the administrator's regions by the catalog itself.

// Bounds of list parameters (issue 14: every parameter that sizes work has a
// documented maximum, and a value past it is refused with a 400 naming the
// range, not clamped in silence). Deeper pages are what search and filters
// are for; the database skips every row before a page.
const (
	MaxPage        = 10_000
	MaxPerPage     = 100 // the catalog and case lists (their services' own cap)
	MaxPerPageLong = 200 // supervision lists, notifications, licences
)

// intParam reads a non-negative integer parameter of at most max; def when
// it is absent.
func intParam(r *http.Request, name string, def, max int) (int, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, apperr.E(apperr.Invalid, "error.param_integer", "param", name)
	}
	if n > max {
		return 0, apperr.E(apperr.Invalid, "error.param_range", "param", name, "max", max)
	}
	return n, nil
}

func queryOf(r *http.Request, drafts bool) (catalog.Query, error) {
	q := r.URL.Query()
	page, err := intParam(r, "page", 1, MaxPage)
	if err != nil {
		return catalog.Query{}, err
	}
	per, err := intParam(r, "per_page", 20, MaxPerPage)
	if err != nil {
		return catalog.Query{}, err
	}
	return catalog.Query{Q: q.Get("q"), Department: q.Get("dept"), Subject: q.Get("subject"), Theme: q.Get("theme"),
		Event: q.Get("event"), Region: q.Get("region"), Page: page, PerPage: per, Drafts: drafts}, nil
}

func (s *Server) items(w http.ResponseWriter, r *http.Request) error { return s.search(w, r, false) }

// search answers a listing; drafts are included for administration.
func (s *Server) search(w http.ResponseWriter, r *http.Request, drafts bool) error {
	q, err := queryOf(r, drafts)
	if err != nil {
		return err
	}
	res, err := s.Catalog.Search(r.Context(), q)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// item returns a published version (the current one unless ?version=N)
// with its materials, form and situations. Answers to the situation
// questions, given as ?answer.<question>=<value>, add the applicant's
// exact material and condition lists.
func (s *Server) item(w http.ResponseWriter, r *http.Request) error {
	version, err := intParam(r, "version", 0, math.MaxInt32)
	if err != nil {
		return err
	}
	v, err := s.Catalog.Published(r.Context(), r.PathValue("code"), version)
	if err != nil {
		return err
	}
	answers := map[string]string{}
	for k, vs := range r.URL.Query() {
		if q, ok := strings.CutPrefix(k, "answer."); ok && len(vs) > 0 {
			answers[q] = vs[0]
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"version": v, "selection": selectionJSON(v.Item.Select(answers))})
	return nil
}

type appliedJSON struct {
	Key      string `json:"key"`
	Name     string `json:"name"`
	Definite bool   `json:"definite"` // false: applies only in some situations not yet answered
}

func selectionJSON(sel catalog.Selection) map[string]any {
	mats, conds := []appliedJSON{}, []appliedJSON{}
	for _, m := range sel.Materials {
		mats = append(mats, appliedJSON{m.Of.Key, m.Of.Name, m.Definite})
	}
	for _, c := range sel.Conditions {
		conds = append(conds, appliedJSON{c.Of.Key, c.Of.Text, c.Definite})
	}
	return map[string]any{"complete": sel.Complete, "materials": mats, "conditions": conds}
}

func (s *Server) itemVersions(w http.ResponseWriter, r *http.Request) error {
	vs, err := s.Catalog.Versions(r.Context(), r.PathValue("code"), nil)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"versions": vs})
	return nil
}

func (s *Server) bundles(w http.ResponseWriter, r *http.Request) error {
	bs, err := s.Catalog.Bundles(r.Context(), false)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"bundles": bs})
	return nil
}

func (s *Server) bundle(w http.ResponseWriter, r *http.Request) error {
	b, err := s.Catalog.BundleByCode(r.Context(), r.PathValue("code"), false)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, b)
	return nil
}

// admin returns the caller if they hold the admin role.
func admin(r *http.Request) (*identity.User, error) {
	u := userFrom(r.Context())
	if !u.Has(identity.RoleAdmin) {
		return nil, apperr.E(apperr.Forbidden, "error.forbidden")
	}
	return u, nil
}

func (s *Server) adminItems(w http.ResponseWriter, r *http.Request) error {
	u, err := admin(r)
	if err != nil {
		return err
	}
	q, err := queryOf(r, true)
	if err != nil {
		return err
	}
	q.Admin = u
	res, err := s.Catalog.Search(r.Context(), q)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) adminDraft(w http.ResponseWriter, r *http.Request) error {
	u, err := admin(r)
	if err != nil {
		return err
	}
	v, err := s.Catalog.Draft(r.Context(), u, r.PathValue("code"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

type draftRequest struct {
	Note string        `json:"note"`
	Item *catalog.Item `json:"item"`
}

// adminSaveDraft creates the item (a new implementation code) or its draft.
func (s *Server) adminSaveDraft(w http.ResponseWriter, r *http.Request) error {
	u, err := admin(r)
	if err != nil {
		return err
	}
	var req draftRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Item == nil {
		return apperr.E(apperr.Invalid, "error.field_required", "field", "item")
	}
	if req.Item.ImplCode != r.PathValue("code") {
		return apperr.E(apperr.Invalid, "catalog.code_mismatch", "path", r.PathValue("code"), "body", req.Item.ImplCode)
	}
	n, err := s.Catalog.SaveDraft(r.Context(), u, req.Item, req.Note)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"impl_code": req.Item.ImplCode, "version": n, "status": catalog.StatusDraft})
	return nil
}

func (s *Server) adminDiscardDraft(w http.ResponseWriter, r *http.Request) error {
	u, err := admin(r)
	if err != nil {
		return err
	}
	if err := s.Catalog.DiscardDraft(r.Context(), u, r.PathValue("code")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) adminPublish(w http.ResponseWriter, r *http.Request) error {
	u, err := admin(r)
	if err != nil {
		return err
	}
	n, err := s.Catalog.Publish(r.Context(), u, r.PathValue("code"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"impl_code": r.PathValue("code"), "version": n, "status": catalog.StatusPublished})
	return nil
}

func (s *Server) adminVersions(w http.ResponseWriter, r *http.Request) error {
	u, err := admin(r)
	if err != nil {
		return err
	}
	vs, err := s.Catalog.Versions(r.Context(), r.PathValue("code"), u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"versions": vs})
	return nil
}

// adminDiff compares two versions; "draft" names the open draft, and the
// defaults are the current version and the draft.
func (s *Server) adminDiff(w http.ResponseWriter, r *http.Request) error {
	u, err := admin(r)
	if err != nil {
		return err
	}
	from, to := r.URL.Query().Get("from"), r.URL.Query().Get("to")
	if to == "" {
		to = "draft"
	}
	a, err := s.Catalog.VersionFor(r.Context(), u, r.PathValue("code"), from)
	if err != nil {
		return err
	}
	b, err := s.Catalog.VersionFor(r.Context(), u, r.PathValue("code"), to)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"from": a.Version, "to": b.Version, "changes": catalog.Diff(a.Item, b.Item)})
	return nil
}

func (s *Server) adminSaveBundle(w http.ResponseWriter, r *http.Request) error {
	u, err := admin(r)
	if err != nil {
		return err
	}
	var b catalog.Bundle
	if err := decode(w, r, &b); err != nil {
		return err
	}
	if b.Code != r.PathValue("code") {
		return apperr.E(apperr.Invalid, "catalog.code_mismatch", "path", r.PathValue("code"), "body", b.Code)
	}
	if err := s.Catalog.SaveBundle(r.Context(), u, &b); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, b)
	return nil
}

func (s *Server) adminExport(w http.ResponseWriter, r *http.Request) error {
	u, err := admin(r)
	if err != nil {
		return err
	}
	ex, err := s.Catalog.ExportFor(r.Context(), u)
	if err != nil {
		return err
	}
	return WriteExchange(w, ex, r.URL.Query().Get("format"))
}

// WriteExchange writes a catalog export as a download.
func WriteExchange(w http.ResponseWriter, ex *catalog.Exchange, format string) error {
	var buf bytes.Buffer
	ctype, name, err := ex.Write(&buf, format)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	edge.Transfer(w)
	w.Write(buf.Bytes())
	return nil
}

// MaxImportBytes bounds an uploaded catalog file.
const MaxImportBytes = 32 << 20

// adminImport imports a catalog file sent as the request body
// (?format=json|xlsx, &publish=false to leave changes as drafts).
func (s *Server) adminImport(w http.ResponseWriter, r *http.Request) error {
	u, err := admin(r)
	if err != nil {
		return err
	}
	edge.Transfer(w)
	r.Body = http.MaxBytesReader(w, r.Body, MaxImportBytes)
	ex, loc, err := catalog.Read(r.Body, r.URL.Query().Get("format"))
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
	rep, err := s.Catalog.Import(r.Context(), u, ex, r.URL.Query().Get("publish") != "false", loc)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}
