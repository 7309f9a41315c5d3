package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/edge"
	"github.com/tongban/tongban/internal/identity"
)

// The public portal (R8.1): browse and search the published catalog, read
// a guide (办事指南), answer its situation questions, and pre-check an
// application form. Everything here is public and holds no personal data.

// formView is what the generic form renderer ("appform") receives.
type formView struct {
	Fields  []catalog.Field
	Values  catalog.Values
	Errors  map[string]string
	Towns   []catalog.Region
	Action  string
	Checked bool // the values were checked and are complete
	// Locked fields show the applicant's registered identity, read-only:
	// the server binds them (cases.IdentityFields).
	Locked map[string]bool
}

// identityLocked lists the identity fields of an applicant of kind.
func identityLocked(kind identity.Kind) map[string]bool {
	out := map[string]bool{}
	for _, k := range cases.IdentityFields[kind] {
		out[k] = true
	}
	return out
}

func (s *Server) towns(r *http.Request) []catalog.Region {
	_, ts, err := s.Catalog.Children(r.Context(), s.Region)
	if err != nil {
		return nil
	}
	return ts
}

// portalQuery reads the browse filters of /items.
func portalQuery(r *http.Request) catalog.Query {
	q := r.URL.Query()
	page := pageOf(q.Get("page"))
	return catalog.Query{Q: q.Get("q"), Department: q.Get("dept"), Subject: q.Get("subject"), Theme: q.Get("theme"),
		Event: q.Get("event"), Region: q.Get("region"), Page: page, PerPage: 20}
}

// pageLinks is the pager: previous and next page URLs keeping the filters.
func pageLinks(r *http.Request, res catalog.Results) (prev, next string) {
	q := r.URL.Query()
	if res.Page > 1 {
		q.Set("page", strconv.Itoa(res.Page-1))
		prev = r.URL.Path + "?" + q.Encode()
	}
	if res.Page*res.PerPage < res.Total {
		q.Set("page", strconv.Itoa(res.Page+1))
		next = r.URL.Path + "?" + q.Encode()
	}
	return prev, next
}

func (s *Server) itemsPage(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "portal.items_title")
	q := portalQuery(r)
	res, err := s.Catalog.Search(r.Context(), q)
	if err != nil {
		return err
	}
	depts, err := s.Catalog.Departments(r.Context(), s.Region)
	if err != nil {
		return err
	}
	regions, err := s.Catalog.ItemRegions(r.Context(), s.Region, q)
	if err != nil {
		return err
	}
	v.Data["Regions"] = regions
	v.Data["Query"] = q
	v.Data["Results"] = res
	v.Data["Departments"] = depts
	v.Data["Themes"] = catalog.Themes
	v.Data["PersonalEvents"] = catalog.PersonalEvents
	v.Data["LegalEvents"] = catalog.LegalEvents
	v.Data["Prev"], v.Data["Next"] = pageLinks(r, res)
	s.render(w, r, http.StatusOK, "items", v)
	return nil
}

// answersOf reads situation answers (a.<question>=<value>).
func answersOf(r *http.Request) map[string]string {
	out := map[string]string{}
	for k, vs := range r.Form {
		if q, ok := strings.CutPrefix(k, "a."); ok && len(vs) > 0 && vs[0] != "" {
			out[q] = vs[0]
		}
	}
	return out
}

func (s *Server) itemGuide(w http.ResponseWriter, r *http.Request) error {
	r.ParseForm()
	v := s.view(r, "portal.guide_title")
	if err := s.loadGuide(r, v); err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "item", v)
	return nil
}

func (s *Server) loadGuide(r *http.Request, v *View) error {
	version := 0
	if n := r.URL.Query().Get("version"); n != "" {
		var err error
		if version, err = strconv.Atoi(n); err != nil || version < 1 {
			return apperr.E(apperr.Invalid, "catalog.version_param", "value", n)
		}
	}
	ver, err := s.Catalog.Published(r.Context(), r.PathValue("code"), version)
	if err != nil {
		return err
	}
	hist, err := s.Catalog.Versions(r.Context(), ver.ImplCode, nil)
	if err != nil {
		return err
	}
	answers := answersOf(r)
	v.Data["Version"] = ver
	v.Data["Item"] = ver.Item
	v.Data["History"] = hist
	v.Data["Answers"] = answers
	v.Data["Selection"] = ver.Item.Select(answers)
	v.Data["Form"] = &formView{Fields: ver.Item.Form, Values: catalog.Values{}, Towns: s.towns(r), Action: "/items/" + ver.ImplCode + "/check"}
	v.TitleText = ver.Item.Name
	return nil
}

// itemMaterials is the htmx fragment of the guide's material and condition
// lists for the answers given.
func (s *Server) itemMaterials(w http.ResponseWriter, r *http.Request) error {
	r.ParseForm()
	v := s.view(r, "portal.guide_title")
	if err := s.loadGuide(r, v); err != nil {
		return err
	}
	s.fragment(w, r, "item", "selection", v)
	return nil
}

// formValues gathers a form's submitted values; an address arrives as a
// town, an optional village and a street address.
func formValues(fields []catalog.Field, r *http.Request) catalog.Values {
	vals := catalog.Values{}
	for _, f := range fields {
		if f.Type == "address" {
			region := r.PostForm.Get(f.Key + ".village")
			if region == "" {
				region = r.PostForm.Get(f.Key + ".town")
			}
			vals[f.Key] = []string{region, r.PostForm.Get(f.Key + ".detail")}
			continue
		}
		vals[f.Key] = r.PostForm[f.Key]
	}
	return vals
}

// itemCheck pre-checks an application form (预检) against the item's
// field rules and shows every fault next to its field.
func (s *Server) itemCheck(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "portal.guide_title")
	if err := s.loadGuide(r, v); err != nil {
		return err
	}
	fv := v.Data["Form"].(*formView)
	s.checkForm(r, v, fv)
	s.render(w, r, http.StatusOK, "item", v)
	return nil
}

func (s *Server) checkForm(r *http.Request, v *View, fv *formView) {
	fv.Values = formValues(fv.Fields, r)
	bad := catalog.ValidateValues(fv.Fields, fv.Values, calendar.DateIn(s.Now()).Start(calendar.China))
	fv.Errors = map[string]string{}
	for k, e := range bad {
		fv.Errors[k] = v.T(e.Key, flatArgs(e.Args)...)
	}
	fv.Checked = len(bad) == 0
}

func flatArgs(m map[string]any) []any {
	var kv []any
	for k, v := range m {
		kv = append(kv, k, v)
	}
	return kv
}

func (s *Server) bundlePage(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "portal.bundle_title")
	b, err := s.Catalog.BundleByCode(r.Context(), r.PathValue("code"), false)
	if err != nil {
		return err
	}
	fields := make([]catalog.Field, len(b.Form))
	for i, f := range b.Form {
		fields[i] = f.Field
	}
	fv := &formView{Fields: fields, Values: catalog.Values{}, Towns: s.towns(r), Action: "/bundles/" + b.Code + "/check"}
	if r.Method == http.MethodPost {
		s.checkForm(r, v, fv)
	}
	names := map[string]string{}
	for _, ver := range b.Versions {
		names[ver.ImplCode] = ver.Item.Name
	}
	v.Data["Bundle"] = b
	v.Data["Names"] = names
	v.Data["Form"] = fv
	v.TitleText = b.Name
	s.render(w, r, http.StatusOK, "bundle", v)
	return nil
}

// regionURL is the region facet's link: the query and its other filters
// kept, as the facet's counts are (catalog.ItemRegions).
func regionURL(q catalog.Query, region string) string {
	v := url.Values{}
	for k, val := range map[string]string{"q": q.Q, "subject": q.Subject, "theme": q.Theme, "event": q.Event, "dept": q.Department} {
		if val != "" {
			v.Set(k, val)
		}
	}
	v.Set("region", region)
	return "/items?" + v.Encode()
}

// itemsURL builds a portal link with one filter.
func itemsURL(k, val string) string { return "/items?" + url.Values{k: {val}}.Encode() }

// intake is the window clerk's 综合窗口 view of the catalog: find an item,
// see exactly what the applicant must bring for their situation, and
// pre-check the application form with the same renderer as the portal.
// Turning a checked form into a case (受理) arrives with the case engine.
func (s *Server) intake(w http.ResponseWriter, r *http.Request) error {
	return s.intakeView(w, r, s.view(r, "intake.title"), nil)
}

// intakeView renders the intake page, with a refused acceptance's reason.
func (s *Server) intakeView(w http.ResponseWriter, r *http.Request, v *View, problem *edge.Problem) error {
	q := r.URL.Query().Get("q")
	res, err := s.Catalog.Search(r.Context(), catalog.Query{Q: q, PerPage: 10})
	if err != nil {
		return err
	}
	v.Data["Q"] = q
	v.Data["Results"] = res
	status := http.StatusOK
	if code := r.URL.Query().Get("code"); code != "" {
		ver, err := s.Catalog.Published(r.Context(), code, 0)
		if err != nil {
			return err
		}
		v.Data["Version"] = ver
		answers := answersOf(r)
		v.Data["Answers"] = answers
		v.Data["Selection"] = ver.Item.Select(answers)
		fv := &formView{Fields: ver.Item.Form, Values: catalog.Values{}, Towns: s.towns(r),
			Action: "/workbench/intake/check?code=" + url.QueryEscape(code)}
		if r.Method == http.MethodPost {
			s.checkForm(r, v, fv)
		}
		v.Data["Form"] = fv
		v.Data["Applicant"], v.Data["ApplicantName"] = r.PostForm.Get("applicant"), r.PostForm.Get("walkin_name")
		v.Data["Idem"] = newToken()
		v.Data["Delivery"] = deliveryFor(r, ver.Item.Delivery, cases.DeliverWindow)
	}
	if problem != nil {
		v.Problem, status = problem, problem.Status
		if fv, ok := v.Data["Form"].(*formView); ok {
			fv.Checked = false
		}
	}
	s.render(w, r, status, "intake", v)
	return nil
}
