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

// The organisation's pages (issue 15): the divisions served, departments
// and halls in the administrator's regions, a hall's windows. The catalog
// service applies the one scoping rule and writes the audit records; these
// pages only read forms. A refused form is shown again as it was filled,
// with the fault at its field and the status the API answers (400, 403,
// 409), and nothing written.

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
	tree, err := s.Catalog.ServedTree(r.Context(), v.User)
	if err != nil {
		return err
	}
	v.Data["Departments"], v.Data["Halls"], v.Data["Kinds"] = ds, hs, catalog.DepartmentKinds
	v.Data["HallRegions"] = hallRegions(tree, hs)
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

// hallRegion is a division offered for a new hall: served, a county,
// township or village, without a hall yet.
type hallRegion struct {
	Code, Name, HallName string
	Level                int
}

func hallRegions(tree []*catalog.RegionNode, hs []catalog.Hall) []hallRegion {
	var out []hallRegion
	var walk func(ns []*catalog.RegionNode)
	walk = func(ns []*catalog.RegionNode) {
		for _, n := range ns {
			if n.Served && n.Level >= 3 && !slices.ContainsFunc(hs, func(h catalog.Hall) bool { return h.RegionCode == n.Code }) {
				out = append(out, hallRegion{n.Code, n.Name, catalog.HallName(n.Region), n.Level})
			}
			walk(n.Children)
		}
	}
	walk(tree)
	return out
}

// refusedForm is a form the service refused: which form, as it was filled,
// and the field the fault is in (the base of the service's field path:
// "hours" for "hours[0].to").
type refusedForm struct {
	ID     string
	Values url.Values
	Field  string
	Reason string // the fault, translated, without the field's name
}

// refuse shows a refused form on its page again (render) when err is the
// user's to correct — invalid, forbidden, in conflict — with the status the
// API answers; any other error is the error page's.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, v *View, form string, err error, render func(status int) error) error {
	switch apperr.CodeOf(err) {
	case apperr.Invalid, apperr.Forbidden, apperr.Conflict:
	default:
		return err
	}
	p := edge.ProblemOf(r.Context(), v.Lang, err)
	v.Problem = &p
	rf := &refusedForm{ID: form, Values: r.PostForm, Reason: p.Message}
	e := apperr.As(err)
	if f, ok := e.Args["field"].(string); ok {
		if i := strings.IndexAny(f, "[."); i >= 0 {
			f = f[:i]
		}
		if f == "no_location" {
			f = "lat"
		}
		rf.Field = f
		if reason, ok := e.Args["reason"].(*apperr.Error); ok && e.Key == "catalog.at" {
			rf.Reason = v.T(reason.Key, argPairs(reason.Args)...)
		}
	}
	if rf.Field == "" && e.Key == "org.forbidden" && r.PostForm.Has("region_code") {
		rf.Field = "region_code" // a division outside the administrator's
	}
	v.Data["Refused"] = rf
	return render(p.Status)
}

func argPairs(m map[string]any) []any {
	var kv []any
	for k, x := range m {
		kv = append(kv, k, x)
	}
	return kv
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
		return s.refuse(w, r, v, "new-department", err, func(int) error { return s.renderOrganisation(w, r, v) })
	}
	http.Redirect(w, r, "/admin/organisation?done=department#departments", http.StatusSeeOther)
	return nil
}

func (s *Server) adminEditDepartment(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "org.title")
	id := r.PathValue("id")
	if _, err := s.Catalog.UpdateDepartment(r.Context(), v.User, id, departmentForm(r, false)); err != nil {
		return s.refuse(w, r, v, "department-"+id, err, func(int) error { return s.renderOrganisation(w, r, v) })
	}
	http.Redirect(w, r, "/admin/organisation?done=department#departments", http.StatusSeeOther)
	return nil
}

// hallForm reads a hall's form; a blank name on a new hall takes the
// customary one (catalog.HallName), blank coordinates clear the location.
func hallForm(r *http.Request, create bool) (catalog.HallInput, error) {
	hours, err := catalog.ParseHours(r.PostForm.Get("hours"))
	if err != nil {
		return catalog.HallInput{}, err
	}
	in := catalog.HallInput{Name: formText(r, "name"), Address: formText(r, "address"), Phone: formText(r, "phone"), Hours: &hours}
	if create {
		in.RegionCode = formText(r, "region_code")
		if *in.Name == "" {
			in.Name = nil
		}
	} else {
		in.Active = formActive(r)
	}
	lat, lng := strings.TrimSpace(r.PostForm.Get("lat")), strings.TrimSpace(r.PostForm.Get("lng"))
	if lat == "" && lng == "" {
		in.NoLocation = !create
		return in, nil
	}
	for _, c := range []struct {
		name, v string
		dst     **float64
	}{{"lat", lat, &in.Lat}, {"lng", lng, &in.Lng}} {
		if c.v == "" {
			continue
		}
		f, err := strconv.ParseFloat(c.v, 64)
		if err != nil {
			return in, apperr.E(apperr.Invalid, "catalog.at", "field", c.name, "reason", apperr.E(apperr.Invalid, "catalog.cell_number", "value", c.v))
		}
		*c.dst = &f
	}
	return in, nil
}

// adminNewHall creates the hall of a division: 区行政服务中心, 乡镇便民服务
// 中心 or 村便民服务站 by the division's level.
func (s *Server) adminNewHall(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "org.title")
	in, err := hallForm(r, true)
	var h catalog.Hall
	if err == nil {
		h, err = s.Catalog.CreateHall(r.Context(), v.User, in)
	}
	if err != nil {
		return s.refuse(w, r, v, "new-hall", err, func(int) error { return s.renderOrganisation(w, r, v) })
	}
	http.Redirect(w, r, "/admin/organisation/halls/"+url.PathEscape(h.ID)+"?done=hall", http.StatusSeeOther)
	return nil
}

func (s *Server) adminHall(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "org.hall_title")
	return s.renderHall(w, r, v, r.PathValue("id"), http.StatusOK)
}

// renderHall shows a hall's page, with v's problem.
func (s *Server) renderHall(w http.ResponseWriter, r *http.Request, v *View, id string, status int) error {
	hs, err := s.Catalog.AdminHalls(r.Context(), v.User)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(hs, func(h catalog.Hall) bool { return h.ID == id })
	if i < 0 {
		return apperr.E(apperr.NotFound, "org.hall_unknown", "id", id)
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
	s.render(w, r, status, "admin_hall", v)
	return nil
}

func (s *Server) adminEditHall(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "org.hall_title")
	id := r.PathValue("id")
	in, err := hallForm(r, false)
	var h catalog.Hall
	if err == nil {
		h, err = s.Catalog.UpdateHall(r.Context(), v.User, id, in)
	}
	if err != nil {
		return s.refuse(w, r, v, "hall", err, func(status int) error { return s.renderHall(w, r, v, id, status) })
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
	hallID := r.PathValue("id")
	win, err := s.Catalog.CreateWindow(r.Context(), v.User, hallID, windowForm(r, true))
	if err != nil {
		return s.refuse(w, r, v, "new-window", err, func(status int) error { return s.renderHall(w, r, v, hallID, status) })
	}
	http.Redirect(w, r, "/admin/organisation/halls/"+url.PathEscape(win.HallID)+"?done=window#windows", http.StatusSeeOther)
	return nil
}

func (s *Server) adminEditWindow(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "org.hall_title")
	id := r.PathValue("id")
	win, err := s.Catalog.UpdateWindow(r.Context(), v.User, id, windowForm(r, false))
	if err != nil {
		return s.refuse(w, r, v, "window-"+id, err, func(status int) error {
			cur, werr := s.Catalog.Window(r.Context(), v.User, id)
			if werr != nil {
				return err // a window outside the administrator's halls: the service's answer
			}
			return s.renderHall(w, r, v, cur.HallID, status)
		})
	}
	http.Redirect(w, r, "/admin/organisation/halls/"+url.PathEscape(win.HallID)+"?done=window#windows", http.StatusSeeOther)
	return nil
}

// adminRegions shows the divisions the administrator covers, those served
// ticked.
func (s *Server) adminRegions(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "regions.title")
	return s.renderRegions(w, r, v, http.StatusOK)
}

func (s *Server) renderRegions(w http.ResponseWriter, r *http.Request, v *View, status int) error {
	tree, err := s.Catalog.ServedTree(r.Context(), v.User)
	if err != nil {
		return err
	}
	v.Data["Tree"] = tree
	if q := r.URL.Query(); q.Get("done") != "" {
		v.Data["Done"] = map[string]string{"served": q.Get("served"), "unserved": q.Get("unserved")}
	}
	s.render(w, r, status, "admin_regions", v)
	return nil
}

// adminSaveRegions makes the ticked divisions the served ones.
func (s *Server) adminSaveRegions(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "regions.title")
	ch, err := s.Catalog.SetServedRegions(r.Context(), v.User, r.PostForm["served"])
	if err != nil {
		return s.refuse(w, r, v, "regions", err, func(status int) error { return s.renderRegions(w, r, v, status) })
	}
	http.Redirect(w, r, "/admin/regions?done=1&served="+strconv.Itoa(ch.Served)+"&unserved="+strconv.Itoa(ch.Unserved), http.StatusSeeOther)
	return nil
}
