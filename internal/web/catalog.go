package web

import (
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/codes"
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
	// Faults are the errors in form order, each naming its field: the
	// summary above the form lists them, linked to the fields.
	Faults []fieldFault
}

// fieldFault is one field's error, its label in the reader's language.
type fieldFault struct{ Key, Label, Message string }

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
	fv.Faults = nil
	for _, f := range fv.Fields {
		e, ok := bad[f.Key]
		if !ok {
			continue
		}
		label := v.Pick(f.Label, f.LabelEN)
		args := flatArgs(e.Args)
		for i := 0; i+1 < len(args); i += 2 {
			if args[i+1] == f.Label {
				args[i+1] = label // the message quotes the label in the reader's language
			}
		}
		fv.Errors[f.Key] = v.T(e.Key, args...)
		fv.Faults = append(fv.Faults, fieldFault{Key: f.Key, Label: label, Message: fv.Errors[f.Key]})
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
	fv := &formView{Fields: b.AskedForm(), Values: catalog.Values{}, Towns: s.towns(r), Action: "/bundles/" + b.Code + "/check"}
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
	v := s.view(r, "intake.title")
	code := r.URL.Query().Get("code")
	if r.Method != http.MethodPost || code == "" {
		return s.intakeView(w, r, v, nil, nil)
	}
	// A check keeps the chosen files: they are stored now (unattached, the
	// clerk's) and shown as chosen until the case is filed or they are replaced.
	ver, err := s.Catalog.Published(r.Context(), code, 0)
	if err != nil {
		return err
	}
	_, kept, err := s.intakeUploads(r, v, ver)
	var problem *edge.Problem
	if err != nil {
		p := edge.ProblemOf(r.Context(), v.Lang, err)
		problem = &p
	}
	return s.intakeView(w, r, v, problem, kept)
}

// intakeFields is the item's form without the applicant's own name and
// number: the clerk types them once, in the applicant fieldset, and the
// case binds them from the applicant's registered identity.
func intakeFields(form []catalog.Field) []catalog.Field {
	var out []catalog.Field
	for _, f := range form {
		if !slices.Contains(cases.IdentityFields[identity.KindPerson], f.Key) && !slices.Contains(cases.IdentityFields[identity.KindOrganisation], f.Key) {
			out = append(out, f)
		}
	}
	return out
}

// intakeUploads stores the files chosen at the window: a file chosen again
// for a material replaces the one chosen before.
func (s *Server) intakeUploads(r *http.Request, v *View, ver *catalog.Version) ([]cases.MaterialRef, map[string][]cases.Material, error) {
	var keys []string
	for _, m := range ver.Item.Materials {
		keys = append(keys, m.Key)
		if r.MultipartForm != nil && slices.ContainsFunc(r.MultipartForm.File["m."+m.Key], func(fh *multipart.FileHeader) bool { return fh.Size > 0 || fh.Filename != "" }) {
			r.PostForm.Del("u." + m.Key)
		}
	}
	return s.uploads(r, v.User, keys)
}

// applicantFault is what is wrong with the applicant's number typed at
// intake, "" when nothing is.
func (s *Server) applicantFault(v *View, number string) string {
	if number == "" {
		return v.T("case.applicant_required")
	}
	kind, err := codes.Check(strings.ToUpper(number), "", s.Now())
	if err == nil && kind != codes.KindCitizenID && kind != codes.KindCreditCode {
		err = apperr.E(apperr.Invalid, "case.applicant_required")
	}
	if e := apperr.As(err); e != nil {
		return v.T(e.Key, flatArgs(e.Args)...)
	}
	return ""
}

// intakeView renders the intake page, with a refused acceptance's reason
// and everything the clerk gave kept: the applicant, the form, the
// answers, the delivery, the ticked originals and the chosen files.
func (s *Server) intakeView(w http.ResponseWriter, r *http.Request, v *View, problem *edge.Problem, kept map[string][]cases.Material) error {
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
		fv := &formView{Fields: intakeFields(ver.Item.Form), Values: catalog.Values{}, Towns: s.towns(r),
			Action: "/workbench/intake/check?code=" + url.QueryEscape(code)}
		if r.Method == http.MethodPost {
			s.checkForm(r, v, fv)
			// The applicant's number is checked with the form: present, and a
			// valid citizen ID number or credit code.
			if msg := s.applicantFault(v, strings.TrimSpace(r.PostForm.Get("applicant"))); msg != "" {
				fv.Errors["applicant"], fv.Checked = msg, false
				v.Data["ApplicantError"] = msg
			}
		}
		v.Data["Form"] = fv
		v.Data["Applicant"], v.Data["ApplicantName"] = r.PostForm.Get("applicant"), r.PostForm.Get("walkin_name")
		idem := r.PostForm.Get("idem")
		if idem == "" {
			idem = newToken()
		}
		v.Data["Idem"] = idem
		// The queue ticket served (the console's finish leads here): the
		// case filed is linked to it.
		v.Data["Ticket"] = r.FormValue("ticket")
		v.Data["Delivery"] = deliveryFor(r, ver.Item.Delivery, cases.DeliverWindow)
		originals := map[string]bool{}
		for _, k := range r.PostForm["originals"] {
			originals[k] = true
		}
		v.Data["Originals"] = originals
		if kept == nil {
			kept = map[string][]cases.Material{}
		}
		v.Data["Kept"] = kept
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
