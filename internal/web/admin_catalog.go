package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/edge"
	"github.com/tongban/tongban/internal/workflow"
)

// The catalog console (事项管理): administrators list, edit, publish and
// compare item versions, and import or export the catalog. The catalog
// service checks that each item lies in the administrator's regions.

func (s *Server) adminCatalog(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "admin.catalog_title")
	page := pageOf(r.URL.Query().Get("page"))
	res, err := s.Catalog.Search(r.Context(), catalog.Query{Q: r.URL.Query().Get("q"), Drafts: true, Admin: v.User, Page: page, PerPage: 50})
	if err != nil {
		return err
	}
	bundles, err := s.Catalog.BundlesFor(r.Context(), v.User)
	if err != nil {
		return err
	}
	v.Data["Results"] = res
	v.Data["Q"] = r.URL.Query().Get("q")
	v.Data["Bundles"] = bundles
	v.Data["Prev"], v.Data["Next"] = pageLinks(r, res)
	s.render(w, r, http.StatusOK, "admin_catalog", v)
	return nil
}

func (s *Server) adminExport(w http.ResponseWriter, r *http.Request) error {
	u := visitorFrom(r).User
	ex, err := s.Catalog.ExportFor(r.Context(), u)
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

// adminImport takes an uploaded workbook or JSON file; every fault is
// listed, and a file with any fault imports nothing.
func (s *Server) adminImport(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "admin.catalog_title")
	file, hdr, err := r.FormFile("file")
	if err != nil {
		return apperr.E(apperr.Invalid, "admin.import_no_file")
	}
	defer file.Close()
	format := "json"
	if strings.EqualFold(path.Ext(hdr.Filename), ".xlsx") {
		format = "xlsx"
	}
	ex, loc, err := catalog.Read(file, format)
	if err == nil {
		err = edge.CheckValue(ex) // the file's texts, as any input's (edge.CheckText)
	}
	var rep catalog.ImportReport
	if err == nil {
		rep, err = s.Catalog.Import(r.Context(), v.User, ex, r.PostForm.Get("publish") == "1", loc)
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
	res, serr := s.Catalog.Search(r.Context(), catalog.Query{Drafts: true, Admin: v.User, PerPage: 50})
	if serr != nil {
		return serr
	}
	v.Data["Results"] = res
	bundles, _ := s.Catalog.BundlesFor(r.Context(), v.User)
	v.Data["Bundles"] = bundles
	status := http.StatusOK
	if v.Problem != nil {
		status = v.Problem.Status
	}
	s.render(w, r, status, "admin_catalog", v)
	return nil
}

// editable is the item editor's form: the fields people change most as
// inputs, the structured parts as JSON the editor validates.
type editable struct {
	Base                                       *catalog.Version
	Name, NameEN, Statutory, Promised          string
	Handling, DepthLevel, Visits, Frequency    int
	Process                                    string
	Commitment, Tolerance, RequiresL2          bool
	SelfService                                bool // 自助办理 at a hall's kiosk
	ConsultPhone, SupervisePhone, Place, Hours string
	Keywords, LegalBasis                       string
	Fees, Form, Situations                     string
	OfferedLevels                              []int               // 行使层级 that may adopt it
	Conditions                                 []catalog.Condition // edited as table rows
	Materials                                  []catalog.Material  // edited as table rows
	Note                                       string
}

// Offers reports whether level is among the levels offered (the editor's checkboxes).
func (e *editable) Offers(level int) bool { return slices.Contains(e.OfferedLevels, level) }

// blankRows are the empty rows the editor offers for new materials and conditions.
const blankRows = 2

func jsonText(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	enc.Encode(v)
	return strings.TrimSpace(b.String())
}

func editableOf(ver *catalog.Version) *editable {
	it := ver.Item
	e := &editable{Base: ver, Name: it.Name, NameEN: it.NameEN, Statutory: it.StatutoryLimit, Promised: it.PromisedLimit,
		Handling: it.Handling, DepthLevel: it.DepthLevel, Visits: it.Visits, Frequency: it.Frequency, Process: it.Process,
		Commitment: it.Commitment, Tolerance: it.Tolerance, RequiresL2: it.RequiresL2, SelfService: it.SelfService, ConsultPhone: it.ConsultPhone, SupervisePhone: it.SupervisePhone,
		Place: it.Place, Hours: it.Hours, Keywords: strings.Join(it.Keywords, "\n"), LegalBasis: strings.Join(it.LegalBasis, "\n"),
		Conditions: append(slices.Clone(it.Conditions), make([]catalog.Condition, blankRows)...), Fees: jsonText(it.Fees),
		Materials: append(slices.Clone(it.Materials), make([]catalog.Material, blankRows)...), Form: jsonText(it.Form),
		OfferedLevels: slices.Clone(it.OfferedLevels)}
	if it.Situations != nil {
		e.Situations = jsonText(it.Situations)
	}
	return e
}

func (s *Server) adminItem(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "admin.item_title")
	if err := s.loadEditor(r, v, nil); err != nil {
		return err
	}
	switch r.URL.Query().Get("done") {
	case "saved", "published", "discarded":
		v.Notice = v.T("admin.done_" + r.URL.Query().Get("done"))
	}
	s.render(w, r, http.StatusOK, "admin_item", v)
	return nil
}

// loadEditor fills the editor from the draft, or the current version when
// there is no draft; e, when given, is what the administrator submitted.
func (s *Server) loadEditor(r *http.Request, v *View, e *editable) error {
	code := r.PathValue("code")
	base, err := s.Catalog.VersionFor(r.Context(), v.User, code, "draft")
	if apperr.Is(err, apperr.NotFound, "catalog.no_draft") {
		base, err = s.Catalog.VersionFor(r.Context(), v.User, code, "current")
	}
	if err != nil {
		return err
	}
	hist, err := s.Catalog.Versions(r.Context(), code, v.User)
	if err != nil {
		return err
	}
	if e == nil {
		e = editableOf(base)
	}
	e.Base = base
	v.Data["Edit"] = e
	v.Data["History"] = hist
	v.Data["Handlings"] = catalog.Handlings
	v.Data["Processes"] = workflow.ItemProcesses
	v.Data["DepthLevels"] = catalog.DepthLevels
	v.Data["Sources"] = catalog.MaterialSources
	v.Data["OfferLevels"] = []int{2, 3, 4, 5, 6}
	v.TitleText = v.T("admin.item_title") + " · " + base.Item.Name
	return nil
}

func (s *Server) adminItemPost(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "admin.item_title")
	code := r.PathValue("code")
	done := ""
	var err error
	switch r.PostForm.Get("action") {
	case "publish":
		_, err = s.Catalog.Publish(r.Context(), v.User, code)
		done = "published"
	case "discard":
		err = s.Catalog.DiscardDraft(r.Context(), v.User, code)
		done = "discarded"
	case "save":
		e, perr := editableFrom(r)
		if err = s.loadEditor(r, v, e); err != nil {
			return err
		}
		var it *catalog.Item
		err = perr
		if err == nil {
			it, err = e.apply(e.Base.Item)
		}
		if err == nil {
			_, err = s.Catalog.SaveDraft(r.Context(), v.User, it, e.Note)
		}
		if err != nil && apperr.CodeOf(err) == apperr.Invalid {
			e.Materials = append(e.Materials, make([]catalog.Material, blankRows)...)
			e.Conditions = append(e.Conditions, make([]catalog.Condition, blankRows)...)
			p := edge.ProblemOf(r.Context(), v.Lang, err)
			v.Problem = &p
			s.render(w, r, http.StatusBadRequest, "admin_item", v)
			return nil
		}
		done = "saved"
	default:
		return apperr.E(apperr.Invalid, "admin.unknown_action")
	}
	if err != nil {
		return err
	}
	if done == "discarded" {
		if ok, _ := s.Catalog.Exists(r.Context(), code); !ok {
			http.Redirect(w, r, "/admin/catalog", http.StatusSeeOther)
			return nil
		}
	}
	http.Redirect(w, r, "/admin/catalog/items/"+url.PathEscape(code)+"?done="+done, http.StatusSeeOther)
	return nil
}

func editableFrom(r *http.Request) (*editable, error) {
	f := r.PostForm
	n := func(k string) int { x, _ := strconv.Atoi(strings.TrimSpace(f.Get(k))); return x }
	e := &editable{Name: f.Get("name"), NameEN: f.Get("name_en"), Statutory: strings.TrimSpace(f.Get("statutory_limit")),
		Promised: strings.TrimSpace(f.Get("promised_limit")), Handling: n("handling"), Process: f.Get("process"), DepthLevel: n("depth_level"), Visits: n("visits"),
		Frequency: n("frequency"), Commitment: f.Get("commitment") == "1", Tolerance: f.Get("tolerance") == "1", RequiresL2: f.Get("requires_l2") == "1",
		SelfService: f.Get("self_service") == "1", ConsultPhone: f.Get("consult_phone"), SupervisePhone: f.Get("supervise_phone"), Place: f.Get("place"), Hours: f.Get("hours"),
		Keywords: f.Get("keywords"), LegalBasis: f.Get("legal_basis"), Fees: f.Get("fees"),
		Form: f.Get("form"), Situations: f.Get("situations"), Note: f.Get("note")}
	for _, l := range f["offered_levels"] {
		x, err := strconv.Atoi(strings.TrimSpace(l))
		if err != nil {
			return e, apperr.E(apperr.Invalid, "catalog.at", "field", "offered_levels", "reason", apperr.E(apperr.Invalid, "catalog.cell_integer", "value", l))
		}
		e.OfferedLevels = append(e.OfferedLevels, x)
	}
	col := func(name string, i int) string {
		if vs := f[name]; i < len(vs) {
			return strings.TrimSpace(vs[i])
		}
		return ""
	}
	for i := range f["c.key"] {
		c := catalog.Condition{Key: col("c.key", i), Text: col("c.text", i)}
		if c.Key != "" || c.Text != "" {
			e.Conditions = append(e.Conditions, c)
		}
	}
	for i := range f["m.key"] {
		m := catalog.Material{Key: col("m.key", i), Name: col("m.name", i), Source: col("m.source", i), Issuer: col("m.issuer", i),
			Required: col("m.required", i) == "1", Electronic: col("m.electronic", i) == "1",
			LicenceType: col("m.licence_type", i), Sample: col("m.sample", i), Note: col("m.note", i)}
		if m.Key == "" && m.Name == "" {
			continue
		}
		for _, p := range []struct {
			name string
			into *int
		}{{"m.originals", &m.Originals}, {"m.copies", &m.Copies}} {
			v := col(p.name, i)
			if v == "" {
				continue
			}
			x, err := strconv.Atoi(v)
			if err != nil {
				return e, apperr.E(apperr.Invalid, "catalog.at", "field", fmt.Sprintf("materials[%d].%s", len(e.Materials), p.name[2:]),
					"reason", apperr.E(apperr.Invalid, "catalog.cell_integer", "value", v))
			}
			*p.into = x
		}
		e.Materials = append(e.Materials, m)
	}
	return e, nil
}

func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// apply returns a copy of base with the submitted values.
func (e *editable) apply(base *catalog.Item) (*catalog.Item, error) {
	it := *base
	it.Name, it.NameEN, it.StatutoryLimit, it.PromisedLimit = strings.TrimSpace(e.Name), strings.TrimSpace(e.NameEN), e.Statutory, e.Promised
	it.Handling, it.DepthLevel, it.Visits, it.Frequency, it.Process = e.Handling, e.DepthLevel, e.Visits, e.Frequency, e.Process
	it.Commitment, it.Tolerance, it.RequiresL2, it.SelfService = e.Commitment, e.Tolerance, e.RequiresL2, e.SelfService
	it.OfferedLevels = slices.Clone(e.OfferedLevels)
	it.ConsultPhone, it.SupervisePhone, it.Place, it.Hours = e.ConsultPhone, e.SupervisePhone, e.Place, e.Hours
	it.Keywords, it.LegalBasis = lines(e.Keywords), lines(e.LegalBasis)
	strict := func(field, text string, into any) error {
		dec := json.NewDecoder(strings.NewReader(text))
		dec.DisallowUnknownFields()
		if err := dec.Decode(into); err != nil {
			return apperr.E(apperr.Invalid, "admin.json_field", "field", field, "error", err.Error())
		}
		return edge.CheckValue(into) // "\u0000" in the text is a NUL all the same
	}
	it.Conditions, it.Materials = slices.Clone(e.Conditions), slices.Clone(e.Materials)
	it.Fees, it.Form, it.Situations = nil, nil, nil
	for _, p := range []struct {
		field, text string
		into        any
	}{{"fees", e.Fees, &it.Fees}, {"form", e.Form, &it.Form}} {
		if strings.TrimSpace(p.text) == "" {
			continue
		}
		if err := strict(p.field, p.text, p.into); err != nil {
			return nil, err
		}
	}
	if strings.TrimSpace(e.Situations) != "" {
		it.Situations = &catalog.Situations{}
		if err := strict("situations", e.Situations, it.Situations); err != nil {
			return nil, err
		}
	}
	return &it, nil
}

// adminNewItem creates an item from a JSON document, which starts as a
// copy of an existing item for the administrator to change.
func (s *Server) adminNewItem(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "admin.new_title")
	text := r.PostForm.Get("item")
	if r.Method == http.MethodPost {
		var it catalog.Item
		dec := json.NewDecoder(strings.NewReader(text))
		dec.DisallowUnknownFields()
		err := dec.Decode(&it)
		if err != nil {
			err = apperr.E(apperr.Invalid, "admin.json_field", "field", "item", "error", err.Error())
		} else if err = edge.CheckValue(&it); err == nil {
			_, err = s.Catalog.SaveDraft(r.Context(), v.User, &it, r.PostForm.Get("note"))
		}
		if err == nil {
			http.Redirect(w, r, "/admin/catalog/items/"+url.PathEscape(it.ImplCode)+"?done=saved", http.StatusSeeOther)
			return nil
		}
		if apperr.CodeOf(err) == apperr.Internal {
			return err
		}
		p := edge.ProblemOf(r.Context(), v.Lang, err)
		v.Problem = &p
	} else {
		from := r.URL.Query().Get("from")
		if from != "" {
			base, err := s.Catalog.VersionFor(r.Context(), v.User, from, "current")
			if err != nil {
				return err
			}
			tmpl := *base.Item
			tmpl.Name = tmpl.Name + "（副本）"
			text = jsonText(tmpl)
		} else {
			text = jsonText(catalog.Item{Type: "20", Level: 4, AgencyNature: 1, Region: s.Region, Objects: []int{1}, Handling: 2,
				PromisedLimit: "5", Depth: []int{1, 2, 3}, DepthLevel: 2, Visits: 1, Delivery: []string{"window"}, ConsultPhone: "", SupervisePhone: "12345",
				LegalBasis: []string{}, Conditions: []catalog.Condition{}, Fees: []catalog.Fee{}, Materials: []catalog.Material{}, Form: []catalog.Field{}})
		}
	}
	v.Data["Text"] = text
	status := http.StatusOK
	if v.Problem != nil {
		status = v.Problem.Status
	}
	s.render(w, r, status, "admin_item_new", v)
	return nil
}

func (s *Server) adminDiff(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "admin.diff_title")
	code := r.PathValue("code")
	from, to := r.URL.Query().Get("from"), r.URL.Query().Get("to")
	if to == "" {
		to = "draft"
	}
	a, err := s.Catalog.VersionFor(r.Context(), v.User, code, from)
	if err != nil {
		return err
	}
	b, err := s.Catalog.VersionFor(r.Context(), v.User, code, to)
	if err != nil {
		return err
	}
	v.Data["From"], v.Data["To"], v.Data["Changes"] = a, b, catalog.Diff(a.Item, b.Item)
	v.TitleText = v.T("admin.diff_title") + " · " + b.Item.Name
	s.render(w, r, http.StatusOK, "admin_diff", v)
	return nil
}

// adminBundle edits a bundle (一件事): its name, subject, life event,
// summary, publication and member items (implementation codes, one per
// line). "new" starts an empty one.
func (s *Server) adminBundle(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "admin.bundle_title")
	code := r.PathValue("code")
	b := &catalog.Bundle{Subject: catalog.SubjectPersonal}
	if code != "new" {
		bv, err := s.Catalog.BundleFor(r.Context(), v.User, code)
		if err != nil {
			return err
		}
		b = &bv.Bundle
	}
	status := http.StatusOK
	if r.Method == http.MethodPost {
		f := r.PostForm
		freq, _ := strconv.Atoi(strings.TrimSpace(f.Get("frequency")))
		nb := &catalog.Bundle{Code: strings.TrimSpace(f.Get("code")), Name: strings.TrimSpace(f.Get("name")), NameEN: strings.TrimSpace(f.Get("name_en")),
			Subject: f.Get("subject"), LifeEvent: f.Get("life_event"), Summary: strings.TrimSpace(f.Get("summary")),
			Published: f.Get("published") == "1", Frequency: freq, Items: lines(f.Get("items"))}
		if code != "new" {
			nb.Code = code // the code names the bundle; it is not renamed here
		}
		produces := strings.TrimSpace(f.Get("produces"))
		var err error
		if produces != "" {
			nb.Produces, err = catalog.ParseProduces(produces)
		}
		if err == nil {
			err = s.Catalog.SaveBundle(r.Context(), v.User, nb)
		}
		if err == nil {
			http.Redirect(w, r, "/admin/catalog/bundles/"+url.PathEscape(nb.Code)+"?done=saved", http.StatusSeeOther)
			return nil
		}
		if apperr.CodeOf(err) == apperr.Internal {
			return err
		}
		p := edge.ProblemOf(r.Context(), v.Lang, err)
		v.Problem = &p
		status = p.Status
		b = nb
	}
	if r.URL.Query().Get("done") == "saved" {
		v.Notice = v.T("admin.done_saved")
	}
	v.Data["Bundle"] = b
	if b.Produces != nil {
		j, _ := json.Marshal(b.Produces)
		v.Data["Produces"] = string(j)
	}
	if r.Method == http.MethodPost {
		v.Data["Produces"] = r.PostForm.Get("produces") // as typed, to correct
	}
	v.Data["New"] = code == "new"
	v.Data["Events"] = catalog.LifeEvents
	v.Data["Items"] = strings.Join(b.Items, "\n")
	s.render(w, r, status, "admin_bundle", v)
	return nil
}
