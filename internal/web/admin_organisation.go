package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/catalog"
)

// The organisation's pages (issue 15): departments and halls in the
// administrator's regions, a hall's windows. The catalog service applies
// the one scoping rule and writes the audit records; these pages only read
// forms. A refused form shows the error page naming the field.

func (s *Server) adminOrganisation(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "org.title")
	ds, err := s.Catalog.AdminDepartments(r.Context(), v.User)
	if err != nil {
		return err
	}
	hs, err := s.Catalog.AdminHalls(r.Context(), v.User)
	if err != nil {
		return err
	}
	v.Data["Departments"], v.Data["Halls"], v.Data["Kinds"] = ds, hs, catalog.DepartmentKinds
	v.Data["Done"] = r.URL.Query().Get("done")
	s.render(w, r, http.StatusOK, "admin_organisation", v)
	return nil
}

// formText is a form value as a field to set.
func formText(r *http.Request, name string) *string {
	v := r.PostForm.Get(name)
	return &v
}

// formActive reads the "active" checkbox.
func formActive(r *http.Request) *bool {
	a := r.PostForm.Get("active") == "1"
	return &a
}

func departmentForm(r *http.Request, create bool) catalog.DepartmentInput {
	in := catalog.DepartmentInput{Name: formText(r, "name"), NameEN: formText(r, "name_en"), CreditCode: formText(r, "credit_code"),
		ParentID: formText(r, "parent_id"), Kind: formText(r, "kind"), Phone: formText(r, "phone"), Address: formText(r, "address")}
	if create {
		in.RegionCode = formText(r, "region_code")
	} else {
		in.Active = formActive(r)
	}
	return in
}

func (s *Server) adminNewDepartment(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "org.title")
	if _, err := s.Catalog.CreateDepartment(r.Context(), v.User, departmentForm(r, true)); err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/organisation?done=department#departments", http.StatusSeeOther)
	return nil
}

func (s *Server) adminEditDepartment(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "org.title")
	if _, err := s.Catalog.UpdateDepartment(r.Context(), v.User, r.PathValue("id"), departmentForm(r, false)); err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/organisation?done=department#departments", http.StatusSeeOther)
	return nil
}

func (s *Server) adminHall(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "org.hall_title")
	hs, err := s.Catalog.AdminHalls(r.Context(), v.User)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(hs, func(h catalog.Hall) bool { return h.ID == r.PathValue("id") })
	if i < 0 {
		return apperr.E(apperr.NotFound, "org.hall_unknown", "id", r.PathValue("id"))
	}
	ws, err := s.Catalog.Windows(r.Context(), v.User, hs[i].ID)
	if err != nil {
		return err
	}
	ds, err := s.Catalog.AdminDepartments(r.Context(), v.User)
	if err != nil {
		return err
	}
	v.Data["Hall"], v.Data["Windows"], v.Data["Departments"], v.Data["Kinds"] = hs[i], ws, ds, catalog.WindowKinds
	v.Data["Hours"] = catalog.FormatHours(hs[i].Hours)
	v.Data["Done"] = r.URL.Query().Get("done")
	s.render(w, r, http.StatusOK, "admin_hall", v)
	return nil
}

func (s *Server) adminEditHall(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "org.hall_title")
	hours, err := catalog.ParseHours(r.PostForm.Get("hours"))
	if err != nil {
		return err
	}
	in := catalog.HallInput{Name: formText(r, "name"), Address: formText(r, "address"), Phone: formText(r, "phone"), Hours: &hours, Active: formActive(r)}
	lat, lng := strings.TrimSpace(r.PostForm.Get("lat")), strings.TrimSpace(r.PostForm.Get("lng"))
	if lat == "" && lng == "" {
		in.NoLocation = true
	} else {
		for _, c := range []struct {
			name, v string
			dst     **float64
		}{{"lat", lat, &in.Lat}, {"lng", lng, &in.Lng}} {
			if c.v == "" {
				continue
			}
			f, err := strconv.ParseFloat(c.v, 64)
			if err != nil {
				return apperr.E(apperr.Invalid, "catalog.at", "field", c.name, "reason", apperr.E(apperr.Invalid, "catalog.cell_number", "value", c.v))
			}
			*c.dst = &f
		}
	}
	h, err := s.Catalog.UpdateHall(r.Context(), v.User, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/organisation/halls/"+url.PathEscape(h.ID)+"?done=hall", http.StatusSeeOther)
	return nil
}

func windowForm(r *http.Request, create bool) catalog.WindowInput {
	items := strings.FieldsFunc(r.PostForm.Get("items"), func(c rune) bool { return c == ',' || c == '，' || c == ' ' || c == '\n' || c == '\r' })
	depts := r.PostForm["departments"]
	if depts == nil {
		depts = []string{}
	}
	in := catalog.WindowInput{Number: formText(r, "number"), Name: formText(r, "name"), Kind: formText(r, "kind"), Items: &items, Departments: &depts}
	if !create {
		in.Active = formActive(r)
	}
	return in
}

func (s *Server) adminNewWindow(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "org.hall_title")
	win, err := s.Catalog.CreateWindow(r.Context(), v.User, r.PathValue("id"), windowForm(r, true))
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/organisation/halls/"+url.PathEscape(win.HallID)+"?done=window#windows", http.StatusSeeOther)
	return nil
}

func (s *Server) adminEditWindow(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "org.hall_title")
	win, err := s.Catalog.UpdateWindow(r.Context(), v.User, r.PathValue("id"), windowForm(r, false))
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/organisation/halls/"+url.PathEscape(win.HallID)+"?done=window#windows", http.StatusSeeOther)
	return nil
}
