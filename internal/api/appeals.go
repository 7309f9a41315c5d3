package api

import (
	"net/http"
	"strings"

	"github.com/tongban/tongban/internal/appeal"
	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/edge"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/paging"
)

// 诉求 work orders (issue 18). Every rule is the appeal service's.

// optionalUser is the caller of a public route that also serves accounts:
// nil without a bearer token; a token that does not authenticate fails.
func (s *Server) optionalUser(r *http.Request) (*identity.User, error) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || token == "" {
		return nil, nil
	}
	_, u, err := s.Identity.Authenticate(r.Context(), token, identity.SessionAPI)
	if err != nil {
		return nil, err
	}
	if u.MustChangePassword {
		return nil, apperr.E(apperr.Forbidden, "auth.password_change_required")
	}
	return u, nil
}

// appealCategories is the dispatch directory (public: the submit form's
// choices).
func (s *Server) appealCategories(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.Appeals.Categories(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"categories": cs})
	return nil
}

// putAppealCategory: an administrator adds or changes an entry.
func (s *Server) putAppealCategory(w http.ResponseWriter, r *http.Request) error {
	var c appeal.Category
	if err := decode(w, r, &c); err != nil {
		return err
	}
	c.Code = r.PathValue("code")
	out, err := s.Appeals.PutCategory(r.Context(), userFrom(r.Context()), c)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"category": out})
	return nil
}

// submitAppeal accepts an order: a signed-in requester or operator, or an
// anonymous consultation or suggestion.
func (s *Server) submitAppeal(w http.ResponseWriter, r *http.Request) error {
	u, err := s.optionalUser(r)
	if err != nil {
		return err
	}
	var in appeal.SubmitInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	a, err := s.Appeals.Submit(r.Context(), u, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"appeal": a})
	return nil
}

// appeals lists the caller's orders: view mine (a requester's), queue (the
// dispatcher's or a supervisor's) or department (a handler's); by default
// the one the caller's roles suggest.
func (s *Server) appeals(w http.ResponseWriter, r *http.Request) error {
	u := userFrom(r.Context())
	q := r.URL.Query()
	f := appeal.StaffFilter{State: q.Get("state")}
	var err error
	if f.After, f.Limit, err = appealsKeyset(r); err != nil {
		return err
	}
	view := q.Get("view")
	if view == "" {
		switch {
		case u.Kind != identity.KindStaff:
			view = "mine"
		case u.HasAny(identity.RoleClerk, identity.RoleSupervisor):
			view = "queue"
		default:
			view = "department"
		}
	}
	var list []*appeal.Appeal
	var next string
	switch view {
	case "mine":
		list, err = s.Appeals.Mine(r.Context(), u)
	case "queue":
		list, next, err = s.Appeals.Queue(r.Context(), u, f)
	case "department":
		list, next, err = s.Appeals.Department(r.Context(), u, f)
	default:
		return apperr.E(apperr.Invalid, "error.param_enum", "param", "view", "values", "mine, queue, department")
	}
	if err != nil {
		return err
	}
	writeAppeals(w, list, next)
	return nil
}

// appealsKeyset reads an appeal list's page: after and per_page (limit is
// its older name); an offset, the older way of paging, is refused.
func appealsKeyset(r *http.Request) (string, int, error) {
	q := r.URL.Query()
	if o := q.Get("offset"); o != "" && o != "0" {
		return "", 0, apperr.E(apperr.Invalid, "paging.page_number_gone")
	}
	after, per, err := listsKeyset(r, 50)
	if err != nil {
		return "", 0, err
	}
	if l := q.Get("limit"); l != "" && q.Get("per_page") == "" {
		if per, err = paging.Size(l, 50, paging.MaxSize); err != nil {
			return "", 0, err
		}
	}
	return after, per, nil
}

// writeAppeals answers a page of orders with the next page's token.
func writeAppeals(w http.ResponseWriter, list []*appeal.Appeal, next string) {
	out := map[string]any{"appeals": list}
	if next != "" {
		out["next"] = next
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getAppeal(w http.ResponseWriter, r *http.Request) error {
	a, err := s.Appeals.Read(r.Context(), userFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"appeal": a})
	return nil
}

// actAppeal takes one step of the lifecycle.
func (s *Server) actAppeal(w http.ResponseWriter, r *http.Request) error {
	var act appeal.Action
	if err := decode(w, r, &act); err != nil {
		return err
	}
	a, err := s.Appeals.Act(r.Context(), userFrom(r.Context()), r.PathValue("id"), act)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"appeal": a})
	return nil
}

// appealContact opens the requester's phone and e-mail for a call back
// (recorded).
func (s *Server) appealContact(w http.ResponseWriter, r *http.Request) error {
	phone, email, err := s.Appeals.Contact(r.Context(), userFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"phone": phone, "email": email})
	return nil
}

// publishedAppeals lists the published replies (consent given, personal
// data removed), newest first.
func (s *Server) publishedAppeals(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := appeal.PublicFilter{Published: true, Category: q.Get("category")}
	var err error
	if f.After, f.Limit, err = appealsKeyset(r); err != nil {
		return err
	}
	list, next, err := s.Appeals.List(r.Context(), f)
	if err != nil {
		return err
	}
	writeAppeals(w, list, next)
	return nil
}

// appealReport is the monthly 诉求 report of a region: JSON, or with
// format=xlsx or pdf the document, as the case report (monthlyReport).
func (s *Server) appealReport(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	region := q.Get("region")
	if region == "" {
		region = s.Region
	}
	rep, err := s.Appeals.MonthlyReport(r.Context(), userFrom(r.Context()), region, q.Get("month"))
	if err != nil {
		return err
	}
	if f := q.Get("format"); f != "" && f != "json" {
		b, ctype, name, err := rep.File(f, s.Now())
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", ctype)
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
		edge.Transfer(w)
		w.Write(b)
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]any{"report": rep})
	return nil
}
