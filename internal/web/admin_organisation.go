package web

import (
	"bytes"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/edge"
)

// The organisation's pages (issue 15): departments and halls in the
// administrator's regions, a hall's windows. The catalog service applies
// the one scoping rule and writes the audit records; these pages only read
// forms. A refused form shows the error page naming the field.

func (s *Server) adminOrganisation(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "org.title")
	return s.renderOrganisation(w, r, v)
}

// renderOrganisation shows the organisation page, with v's problem or report.
func (s *Server) renderOrganisation(w http.ResponseWriter, r *http.Request, v *View) error {
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
	status := http.StatusOK
	if v.Problem != nil {
		status = v.Problem.Status
	}
	s.render(w, r, status, "admin_organisation", v)
	return nil
}

// adminOrgExport downloads the organisation the administrator covers.
func (s *Server) adminOrgExport(w http.ResponseWriter, r *http.Request) error {
	ex, err := s.Catalog.ExportOrganisation(r.Context(), visitorFrom(r).User)
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

// adminOrgImport takes an uploaded workbook or JSON file; every fault is
// listed, and a file with any fault imports nothing.
func (s *Server) adminOrgImport(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "org.title")
	file, hdr, err := r.FormFile("file")
	if err != nil {
		return apperr.E(apperr.Invalid, "admin.import_no_file")
	}
	defer file.Close()
	format := "json"
	if strings.EqualFold(path.Ext(hdr.Filename), ".xlsx") {
		format = "xlsx"
	}
	ex, loc, err := catalog.ReadOrg(file, format)
	if err == nil {
		err = edge.CheckValue(ex) // the file's texts, as any input's
	}
	var rep catalog.OrgImportReport
	if err == nil {
		rep, err = s.Catalog.ImportOrganisation(r.Context(), v.User, ex, loc)
	}
	if err != nil {
		if apperr.CodeOf(err) == apperr.Internal {
			return err
		}
		p := edge.ProblemOf(r.Context(), v.Lang, err)
		v.Problem = &p
	} else {
		v.Data["Report"] = rep
	}
	return s.renderOrganisation(w, r, v)
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
