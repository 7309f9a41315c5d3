package web

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/edge"
	"github.com/tongban/tongban/internal/identity"
)

// The online application (网上申报, R2.1): the item's form from the
// catalog, pre-filled from what the applicant gave before, the materials
// their situation needs as uploads, an optional 告知承诺, and two buttons:
// save a draft or submit. Agents name the applicant they act for.

var applicantRoles = []identity.Role{identity.RoleApplicant, identity.RoleAgent}

// applicationForms are the routes whose form keys are an item's field keys:
// their values may carry line breaks at the edge (edge.CheckForm), and the
// form's own rule allows them only in textarea fields.
var applicationForms = map[string]bool{
	"POST /apply/{code}": true, "POST /apply/bundle/{code}": true, "POST /items/{code}/check": true,
	"POST /bundles/{code}/check": true, "POST /workbench/intake/check": true, "POST /workbench/intake/accept": true,
	"POST /kiosk/{hallID}/instant/{code}": true,
}

// materialView is one material row of an upload form.
type materialView struct {
	Of       catalog.Material
	Definite bool
	Uploaded []cases.Material  // already uploaded in this form (kept across a re-render)
	Licence  *cases.LicenceRef // a valid licence the applicant holds that supplies it (免提交)
}

func (s *Server) applyForm(w http.ResponseWriter, r *http.Request) error {
	r.ParseForm() // the situation answers arrive in the query
	v := s.view(r, "apply.title")
	ver, err := s.Catalog.Published(r.Context(), r.PathValue("code"), 0)
	if err != nil {
		return err
	}
	vals, err := s.Cases.Prefill(r.Context(), v.User, ver.Item)
	if err != nil {
		return err
	}
	s.fillApply(r, v, ver, vals, nil)
	s.render(w, r, http.StatusOK, "apply", v)
	return nil
}

// fillApply prepares the application page for an item version.
func (s *Server) fillApply(r *http.Request, v *View, ver *catalog.Version, vals catalog.Values, uploaded map[string][]cases.Material) {
	answers := answersOf(r)
	sel := ver.Item.Select(answers)
	held, err := s.Cases.HeldLicences(r.Context(), v.User, ver.Item)
	if err != nil {
		// The form still works without the hint: the submission attaches the licences.
		slog.WarnContext(r.Context(), "web: held licences", "err", err)
	}
	var mats []materialView
	for _, m := range sel.Materials {
		if m.Of.Electronic {
			mv := materialView{Of: m.Of, Definite: m.Definite, Uploaded: uploaded[m.Of.Key]}
			if ref, ok := held[m.Of.Key]; ok {
				mv.Licence = &ref
			}
			mats = append(mats, mv)
		}
	}
	var questions []catalog.Question
	if ver.Item.Situations != nil {
		questions = ver.Item.Situations.Questions
	}
	code := url.PathEscape(ver.ImplCode)
	s.fillApplyPage(r, v, applyPage{Title: ver.Item.Name, Crumb: "/items/" + code, Action: "/apply/" + code,
		Lead: v.T("apply.lead", "dept", ver.DepartmentName, "limit", ver.Item.PromisedLimit), Questions: questions,
		Materials: mats, Commitment: ver.Item.Commitment, Fields: ver.Item.Form}, vals, answers)
	v.Data["Delivery"] = deliveryFor(r, ver.Item.Delivery, cases.DeliverOnline)
	// Only the enterprises whose role covers this item are offered.
	var ents []identity.EnterpriseRole
	for _, e := range v.User.Enterprises {
		if e.Covers(ver.ImplCode) {
			ents = append(ents, e)
		}
	}
	v.Data["Enterprises"] = ents
}

// passedView is a field or material of a bundle that a sub-case's result
// supplies (结果实时共享), shown instead of asked.
type passedView struct{ Key, Label, From string }

// applyPage is what the application page shows, for an item or a bundle.
type applyPage struct {
	Title, Crumb, Action, Lead string
	Questions                  []catalog.Question
	Materials                  []materialView
	Commitment                 bool // 告知承诺 offered
	Fields                     []catalog.Field
}

func (s *Server) fillApplyPage(r *http.Request, v *View, p applyPage, vals catalog.Values, answers map[string]string) {
	idem := r.PostForm.Get("idem")
	if idem == "" {
		idem = newToken()
	}
	v.TitleText = p.Title
	v.Data["Page"] = p
	v.Data["Materials"] = p.Materials
	v.Data["Answers"] = answers
	v.Data["Idem"] = idem
	v.Data["Agent"] = v.User.Has(identity.RoleAgent)
	// 申请人：本人 / an enterprise the person holds or acts for.
	v.Data["Enterprises"] = v.User.Enterprises
	v.Data["As"] = r.PostForm.Get("as")
	v.Data["Applicant"] = r.PostForm.Get("applicant")
	v.Data["ForName"] = r.PostForm.Get("for_name")
	v.Data["MandateKey"] = cases.MandateKey
	v.Data["Commitment"] = r.PostForm.Get("commitment") == "1"
	fv := &formView{Fields: p.Fields, Values: vals, Towns: s.towns(r), Action: p.Action}
	if v.User.Has(identity.RoleAgent) {
		// An agent names the person once, above (name and number); the form
		// does not ask again: the case binds them from the person's
		// registered identity (cases.IdentityFields), as intake does.
		fv.Fields = intakeFields(p.Fields)
	} else if v.User.Kind != identity.KindStaff {
		// Applying for oneself: one's own name and number, as registered.
		fv.Locked = identityLocked(v.User.Kind)
	}
	v.Data["Form"] = fv
}

// fillBundleApply prepares the application page of a 一件事: one merged
// form, the merged material list (each file once), questions of every item.
func (s *Server) fillBundleApply(r *http.Request, v *View, bv *catalog.BundleView, vals catalog.Values, uploaded map[string][]cases.Material) {
	answers := answersOf(r)
	definite := map[string]bool{}
	applies := map[string]bool{}
	var questions []catalog.Question
	seenQ := map[string]bool{}
	for _, ver := range bv.Versions {
		for _, m := range ver.Item.Select(answers).Materials {
			for _, mm := range bv.Materials {
				if catalog.SameMaterial(mm.Material, m.Of) {
					applies[mm.Key] = true
					definite[mm.Key] = definite[mm.Key] || m.Definite
				}
			}
		}
		if ver.Item.Situations != nil {
			for _, q := range ver.Item.Situations.Questions {
				if !seenQ[q.Key] {
					seenQ[q.Key] = true
					questions = append(questions, q)
				}
			}
		}
	}
	var mats []materialView
	var passed []passedView // 结果实时共享: what a sub-case's result supplies, not asked
	for _, f := range bv.Form {
		if f.PassedFrom != "" {
			passed = append(passed, passedView{Key: f.Key, Label: v.Pick(f.Label, f.LabelEN), From: f.PassedFrom})
		}
	}
	for _, mm := range bv.Materials {
		if mm.PassedFrom != "" {
			passed = append(passed, passedView{Key: mm.Key, Label: mm.Name, From: mm.PassedFrom})
			continue
		}
		if mm.Electronic && applies[mm.Key] {
			mats = append(mats, materialView{Of: mm.Material, Definite: definite[mm.Key], Uploaded: uploaded[mm.Key]})
		}
	}
	v.Data["Passed"] = passed
	fields := bv.AskedForm()
	code := url.PathEscape(bv.Code)
	s.fillApplyPage(r, v, applyPage{Title: bv.Name, Crumb: "/bundles/" + code, Action: "/apply/bundle/" + code,
		Lead: v.T("apply.bundle_lead", "n", len(bv.Versions)), Questions: questions, Materials: mats, Fields: fields}, vals, answers)
	if bv.Produces != nil {
		v.Data["Enterprises"] = nil // it founds an enterprise: filed by a person for themself
	}
	if len(bv.Versions) > 0 {
		// One choice for the bundle, delivered once: the ways of its lead item.
		v.Data["Delivery"] = deliveryFor(r, bv.Versions[0].Item.Delivery, cases.DeliverOnline)
	}
}

func (s *Server) applyBundleForm(w http.ResponseWriter, r *http.Request) error {
	r.ParseForm()
	v := s.view(r, "apply.title")
	bv, err := s.Catalog.BundleByCode(r.Context(), r.PathValue("code"), false)
	if err != nil {
		return err
	}
	vals := catalog.Values{}
	for _, ver := range bv.Versions {
		pre, err := s.Cases.Prefill(r.Context(), v.User, ver.Item)
		if err != nil {
			return err
		}
		for k, x := range pre {
			vals[k] = x
		}
	}
	s.fillBundleApply(r, v, bv, vals, nil)
	s.render(w, r, http.StatusOK, "apply", v)
	return nil
}

func (s *Server) applyBundleSubmit(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "apply.title")
	bv, err := s.Catalog.BundleByCode(r.Context(), r.PathValue("code"), false)
	if err != nil {
		return err
	}
	var keys []string
	for _, mm := range bv.Materials {
		if mm.PassedFrom == "" {
			keys = append(keys, mm.Key)
		}
	}
	keys = withMandate(v.User, keys)
	vals := formValues(bv.AskedForm(), r)
	refs, kept, err := s.uploads(r, v.User, keys)
	if err == nil {
		var c *cases.Case
		c, _, err = s.Cases.Create(r.Context(), v.User, cases.NewCase{Bundle: bv.Code, Values: vals, Answers: answersOf(r),
			Materials: refs, Submit: r.PostForm.Get("do") == "submit", Applicant: strings.TrimSpace(r.PostForm.Get("applicant")),
			ApplicantName: agentsName(r, v.User), IdempotencyKey: r.PostForm.Get("idem"), Delivery: deliveryOf(r), Enterprise: r.PostForm.Get("as")})
		if err == nil {
			http.Redirect(w, r, "/cases/"+c.Ref()+"?done=create", http.StatusSeeOther)
			return nil
		}
	}
	s.fillBundleApply(r, v, bv, vals, kept)
	s.applyRefused(w, r, v, err)
	return nil
}

// newToken is a random idempotency key for a form: a double-clicked submit
// files one case, not two.
func newToken() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// uploads stores the files of a multipart form's material inputs ("m.KEY")
// and gathers the uploads kept from an earlier attempt ("u.KEY").
func (s *Server) uploads(r *http.Request, u *identity.User, keys []string) ([]cases.MaterialRef, map[string][]cases.Material, error) {
	var refs []cases.MaterialRef
	kept := map[string][]cases.Material{}
	for _, k := range keys {
		for _, id := range r.PostForm["u."+k] {
			if i := strings.IndexByte(id, ':'); i > 0 {
				kept[k] = append(kept[k], cases.Material{ID: id[:i], Filename: id[i+1:]})
				refs = append(refs, cases.MaterialRef{Key: k, ID: id[:i]})
			}
		}
		if r.MultipartForm == nil {
			continue
		}
		for _, fh := range r.MultipartForm.File["m."+k] {
			m, err := s.saveUpload(r, u, fh)
			if err != nil {
				return refs, kept, err
			}
			kept[k] = append(kept[k], *m)
			refs = append(refs, cases.MaterialRef{Key: k, ID: m.ID})
		}
	}
	return refs, kept, nil
}

func (s *Server) saveUpload(r *http.Request, u *identity.User, fh *multipart.FileHeader) (*cases.Material, error) {
	f, err := fh.Open()
	if err != nil {
		return nil, apperr.E(apperr.Invalid, "case.upload_failed")
	}
	defer f.Close()
	return s.Cases.Upload(r.Context(), u, fh.Filename, f)
}

func (s *Server) applySubmit(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "apply.title")
	ver, err := s.Catalog.Published(r.Context(), r.PathValue("code"), 0)
	if err != nil {
		return err
	}
	var keys []string
	for _, m := range ver.Item.Materials {
		keys = append(keys, m.Key)
	}
	keys = withMandate(v.User, keys)
	vals := formValues(ver.Item.Form, r)
	refs, kept, err := s.uploads(r, v.User, keys)
	if err == nil {
		var c *cases.Case
		c, _, err = s.Cases.Create(r.Context(), v.User, cases.NewCase{
			ItemCode: ver.ImplCode, Values: vals, Answers: answersOf(r), Materials: refs,
			Submit: r.PostForm.Get("do") == "submit", Commitment: r.PostForm.Get("commitment") == "1", Delivery: deliveryOf(r),
			Applicant: strings.TrimSpace(r.PostForm.Get("applicant")), ApplicantName: agentsName(r, v.User),
			IdempotencyKey: r.PostForm.Get("idem"), Enterprise: r.PostForm.Get("as"),
		})
		if err == nil {
			http.Redirect(w, r, "/cases/"+c.Ref()+"?done=create", http.StatusSeeOther)
			return nil
		}
	}
	s.fillApply(r, v, ver, vals, kept)
	s.applyRefused(w, r, v, err)
	return nil
}

// applyRefused shows the application again with every fault: the
// service's reason, and each field's own.
func (s *Server) applyRefused(w http.ResponseWriter, r *http.Request, v *View, err error) {
	p := edge.ProblemOf(r.Context(), v.Lang, err)
	v.Problem = &p
	fv := v.Data["Form"].(*formView)
	s.checkForm(r, v, fv)
	fv.Checked = false
	s.render(w, r, p.Status, "apply", v)
}

// withMandate adds, for an agent, the written mandate (授权委托书) an
// agent's filing may carry whether or not the item lists it.
func withMandate(u *identity.User, keys []string) []string {
	if u.Has(identity.RoleAgent) && !slices.Contains(keys, cases.MandateKey) {
		keys = append(keys, cases.MandateKey)
	}
	return keys
}

// agentsName is the applicant's name as an agent gives it with the number.
func agentsName(r *http.Request, u *identity.User) string {
	if !u.Has(identity.RoleAgent) {
		return ""
	}
	return strings.TrimSpace(r.PostForm.Get("for_name"))
}
