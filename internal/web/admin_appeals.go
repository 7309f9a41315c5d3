package web

import (
	"net/http"

	"github.com/tongban/tongban/internal/appeal"
	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/edge"
)

// adminAppealCategories is the dispatch directory (派单目录, issue 18):
// every entry, and a form that adds or changes one (the department it is
// dispatched to, the types it takes, enabled or not). The service checks
// the administrator's scope and audits each change.
func (s *Server) adminAppealCategories(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "appeal.directory_title")
	status := http.StatusOK
	var form appeal.Category
	if r.Method == http.MethodPost {
		f := r.PostForm
		form = appeal.Category{Code: f.Get("code"), Name: f.Get("name"), NameEN: f.Get("name_en"), DepartmentID: f.Get("department_id"),
			Types: f["types"], Enabled: f.Get("enabled") == "1"}
		_, err := s.Appeals.PutCategory(r.Context(), v.User, form)
		if err == nil {
			http.Redirect(w, r, "/admin/appeal-categories?done=saved#c-"+form.Code, http.StatusSeeOther)
			return nil
		}
		if apperr.CodeOf(err) == apperr.Internal {
			return err
		}
		p := edge.ProblemOf(r.Context(), v.Lang, err)
		v.Problem, status = &p, p.Status
	} else if code := r.URL.Query().Get("edit"); code != "" {
		cs, err := s.Appeals.Categories(r.Context())
		if err != nil {
			return err
		}
		for _, c := range cs {
			if c.Code == code {
				form = c
			}
		}
	}
	if r.URL.Query().Get("done") == "saved" {
		v.Notice = v.T("appeal.directory_saved")
	}
	cs, err := s.Appeals.Categories(r.Context())
	if err != nil {
		return err
	}
	depts, err := s.Catalog.Departments(r.Context(), s.Region)
	if err != nil {
		return err
	}
	v.Data["Categories"], v.Data["Form"], v.Data["Departments"], v.Data["Types"] = cs, form, depts, appeal.Types
	s.render(w, r, status, "admin_appeals", v)
	return nil
}
