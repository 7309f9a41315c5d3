package web

import (
	"encoding/base64"
	"html/template"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/edge"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/report"
	"github.com/tongban/tongban/internal/workflow"
)

// caseRoles may open a case page; the case service decides which cases.
var caseRoles = []identity.Role{identity.RoleApplicant, identity.RoleAgent, identity.RoleClerk, identity.RoleHandler,
	identity.RoleReviewer, identity.RoleApprover, identity.RoleSupervisor}

// casePage shows a case to whoever may read it, with the forms of the
// actions they may take now: one service call (the case and its timeline,
// one recorded view), as the API's read.
func (s *Server) casePage(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "case.title")
	shown, err := s.Cases.Page(r.Context(), v.User, r.PathValue("ref"))
	if err != nil {
		return err
	}
	if err := s.showCase(r, v, shown); err != nil {
		return err
	}
	if done := r.URL.Query().Get("done"); done != "" {
		v.Notice = v.T("case.done", "action", workflow.Label("action", done))
	}
	s.render(w, r, http.StatusOK, "case", v)
	return nil
}

// showCase fills a case page from what the case service returned.
func (s *Server) showCase(r *http.Request, v *View, shown *cases.Shown) error {
	c := shown.Case
	ver, err := s.Catalog.Published(r.Context(), c.ItemCode, c.ItemVersion)
	if err != nil {
		return err
	}
	// Staff see the case's supervision signals (预警、黄牌、红牌).
	if v.User.Kind == identity.KindStaff && s.Supervision != nil {
		sigs, err := s.Supervision.OfCase(r.Context(), c.ID)
		if err != nil {
			return err
		}
		v.Data["Signals"] = sigs
	}
	d, _ := s.Cases.Flows().Get(c.Process)
	var back []string
	for _, a := range d.Actions {
		if a.Key == "return" && slices.Contains(a.From, c.State) {
			back = a.Back
		}
	}
	depts, err := s.Catalog.Departments(r.Context(), s.Region)
	if err != nil {
		return err
	}
	// 转办 and 会签 offer only departments that may act on the case's region.
	depts = slices.DeleteFunc(depts, func(dp catalog.Department) bool {
		return dp.ID == c.DepartmentID || !codes.DivisionCovers(dp.RegionCode, c.Region)
	})
	labels := map[string]string{}
	for _, f := range ver.Item.Form {
		labels[f.Key] = v.Pick(f.Label, f.LabelEN)
	}
	st, _ := d.State(c.State)
	v.Data["Shown"] = s.displayValues(r, v, ver.Item, c.Values)
	v.TitleText = c.ItemName
	v.Data["Case"] = c
	v.Data["Item"] = ver.Item
	v.Data["Step"] = st.Step
	v.Data["Events"] = shown.Events
	v.Data["Back"] = back
	v.Data["Departments"] = depts
	v.Data["Labels"] = labels
	v.Data["PauseKinds"] = cases.PauseKinds
	v.Data["Staff"] = v.User.Kind == identity.KindStaff
	v.Data["Selection"] = ver.Item.Select(c.Answers)
	// The correction and edit forms re-use the application form renderer.
	v.Data["Form"] = &formView{Fields: ver.Item.Form, Values: c.Values, Towns: s.towns(r), Locked: identityLocked(identity.Kind(c.ApplicantKind))}
	v.Data["Answers"] = c.Answers
	// 更改送达方式 re-uses the application's delivery choice.
	v.Data["Delivery"] = &deliveryView{Offered: ver.Item.Delivery, Choice: c.Choice}
	return s.ratingView(r, v, c)
}

// caseAct performs the action a case page's form posts and returns to the
// page; a refusal shows the page again with the reason and the case as it
// is. One service call, as the API's: nothing is read before the action
// (the form names the item version whose fields and materials it carries,
// and the service checks every value against the case's own), and a
// refusal's page is the one read recorded.
func (s *Server) caseAct(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "case.title")
	ref := r.PathValue("ref")
	var it *catalog.Item
	if code := r.PostForm.Get("item"); code != "" {
		n, _ := strconv.Atoi(r.PostForm.Get("item_version"))
		ver, err := s.Catalog.Published(r.Context(), code, n)
		if err != nil {
			return err
		}
		it = ver.Item
	}
	req, err := s.actionFrom(r, v.User, it)
	var after *cases.Case
	var shown *cases.Shown
	if err == nil {
		after, shown, err = s.Cases.ActOrShow(r.Context(), v.User, ref, req)
	} else if p, perr := s.Cases.Page(r.Context(), v.User, ref); perr == nil {
		shown = p // an upload refused before any action: the page again, its one read
	}
	if err == nil {
		target := "/cases/" + url.PathEscape(after.Ref()) + "?done=" + url.QueryEscape(req.Action)
		if after.OutOfScope {
			target = "/workbench?done=" + url.QueryEscape(req.Action)
		}
		http.Redirect(w, r, target, http.StatusSeeOther)
		return nil
	}
	if shown == nil {
		return err
	}
	p := edge.ProblemOf(r.Context(), v.Lang, err)
	if lerr := s.showCase(r, v, shown); lerr != nil {
		return err
	}
	v.Problem = &p
	s.render(w, r, p.Status, "case", v)
	return nil
}

// actionFrom reads an action form into a request.
func (s *Server) actionFrom(r *http.Request, u *identity.User, it *catalog.Item) (cases.ActionRequest, error) {
	if it == nil {
		it = &catalog.Item{} // a form without the item's fields and materials carries none
	}
	f := r.PostForm
	rev, _ := strconv.Atoi(f.Get("rev"))
	req := cases.ActionRequest{Action: f.Get("action"), Rev: rev, Reason: f.Get("reason"), Comment: f.Get("comment"),
		Back: f.Get("back"), Owed: f["owed"], Originals: f["originals"], Delivery: f.Get("delivery_method"),
		TrackingNo: f.Get("tracking_no"), Assignee: f.Get("assignee"), Department: f.Get("department_id"), Days: f.Get("workdays"),
		Kind: f.Get("kind"), Departments: f["departments"], Mode: f.Get("mode"), Opinion: f.Get("opinion"), Outcome: f.Get("outcome")}
	for _, m := range it.Materials {
		if p := strings.TrimSpace(f.Get("corr.m." + m.Key)); p != "" {
			req.Corrections = append(req.Corrections, cases.Correction{Material: m.Key, Problem: p})
		}
	}
	for _, fl := range it.Form {
		if p := strings.TrimSpace(f.Get("corr.f." + fl.Key)); p != "" {
			req.Corrections = append(req.Corrections, cases.Correction{Field: fl.Key, Problem: p})
		}
	}
	if p := strings.TrimSpace(f.Get("corr.other")); p != "" {
		req.Corrections = append(req.Corrections, cases.Correction{Problem: p})
	}
	if f.Get("with_values") == "1" {
		req.Values = formValues(it.Form, r)
	}
	if req.Action == "change_delivery" {
		req.Choice = deliveryOf(r)
	}
	var keys []string
	for _, m := range it.Materials {
		keys = append(keys, m.Key)
	}
	refs, _, err := s.uploads(r, u, keys)
	req.Materials = refs
	return req, err
}

func (s *Server) caseMaterial(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "case.title")
	m, rc, err := s.Cases.OpenMaterial(r.Context(), v.User, r.PathValue("ref"), r.PathValue("id"))
	if err != nil {
		return err
	}
	defer rc.Close()
	w.Header().Set("Content-Type", m.ContentType)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": m.Filename}))
	w.Header().Set("Cache-Control", "private, no-store")
	edge.Transfer(w)
	io.Copy(w, rc)
	return nil
}

// myCases lists the applicant's own cases (and an agent's filings).
func (s *Server) myCases(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "mycases.title")
	after := r.URL.Query().Get("after")
	p, err := s.Cases.ListPage(r.Context(), v.User, cases.Filter{After: after, PerPage: 20})
	if err != nil {
		return err
	}
	v.Data["Cases"], v.Data["Total"] = p.Cases, p.Total
	if after != "" {
		v.Data["First"] = r.URL.Path
	}
	if p.Next != "" {
		v.Data["Next"] = r.URL.Path + "?" + url.Values{"after": {p.Next}}.Encode()
	}
	s.render(w, r, http.StatusOK, "mycases", v)
	return nil
}

// progress is the public progress query (办事过程查询): no login, a case
// number, the applicant's name and the 查询码 (or the identifier's last four
// characters), within the per-address limit the API shares.
func (s *Server) progress(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "progress.title")
	q := r.URL.Query()
	v.Data["No"], v.Data["Name"], v.Data["Code"] = q.Get("case_no"), q.Get("name"), q.Get("code")
	status := http.StatusOK
	if q.Get("case_no") != "" || q.Get("name") != "" || q.Get("code") != "" {
		err := s.ProgressLimit.Check(r)
		var p *cases.Progress
		if err == nil {
			p, err = s.Cases.Progress(r.Context(), q.Get("case_no"), q.Get("name"), q.Get("code"))
		}
		if err != nil {
			pr := edge.ProblemOf(r.Context(), v.Lang, err)
			v.Problem, status = &pr, pr.Status
		}
		v.Data["Progress"] = p
	}
	s.render(w, r, status, "progress", v)
	return nil
}

// intakeAccept files a walk-in application at the composite window
// (一窗受理): the applicant found or registered by ID number, the form
// checked, the originals seen, and the case accepted at once or left for
// pre-review.
func (s *Server) intakeAccept(w http.ResponseWriter, r *http.Request) error {
	code := r.URL.Query().Get("code")
	ver, err := s.Catalog.Published(r.Context(), code, 0)
	if err != nil {
		return err
	}
	v := s.view(r, "intake.title")
	refs, kept, err := s.intakeUploads(r, v, ver)
	if err == nil {
		var c *cases.Case
		applicant, name := strings.TrimSpace(r.PostForm.Get("applicant")), strings.TrimSpace(r.PostForm.Get("walkin_name"))
		vals := formValues(intakeFields(ver.Item.Form), r)
		// The name and number typed once stand for the form's identity
		// fields: a registered person's must match their registration.
		for _, f := range ver.Item.Form {
			switch {
			case f.Key == "applicant_id" && applicant != "":
				vals[f.Key] = []string{applicant}
			case f.Key == "applicant_name" && name != "":
				vals[f.Key] = []string{name}
			}
		}
		c, _, err = s.Cases.Create(r.Context(), v.User, cases.NewCase{ItemCode: code, Values: vals,
			Answers: answersOf(r), Materials: refs, Submit: true, Accept: r.PostForm.Get("do") == "accept",
			Applicant: applicant, ApplicantName: name,
			Originals: r.PostForm["originals"], IdempotencyKey: r.PostForm.Get("idem"), Delivery: deliveryOf(r)})
		if err == nil {
			if t := r.PostForm.Get("ticket"); t != "" && s.Queue != nil {
				// The queue ticket served: linked to the case filed (the
				// case stands whether or not the link can be made).
				if err := s.Queue.LinkCase(r.Context(), v.User, t, c.ID); err != nil {
					slog.WarnContext(r.Context(), "web: link ticket", "ticket", t, "err", err)
				}
			}
			http.Redirect(w, r, "/cases/"+c.Ref()+"?done="+r.PostForm.Get("do"), http.StatusSeeOther)
			return nil
		}
	}
	p := edge.ProblemOf(r.Context(), v.Lang, err)
	r.Method = http.MethodPost // show the checked form with its faults
	return s.intakeView(w, r, v, &p, kept)
}

// caseNotice serves a written notice or decision: a PDF (?format=pdf) or a
// printable page, each with the case number and a QR code to the progress page.
func (s *Server) caseNotice(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "case.title")
	c, err := s.Cases.Get(r.Context(), v.User, r.PathValue("ref"))
	if err != nil {
		return err
	}
	var n *cases.Notice
	for i := range c.Notices {
		if c.Notices[i].ID == r.PathValue("id") {
			n = &c.Notices[i]
		}
	}
	if n == nil {
		return apperr.E(apperr.NotFound, "error.not_found")
	}
	ver, err := s.Catalog.Published(r.Context(), c.ItemCode, c.ItemVersion)
	if err != nil {
		return err
	}
	scheme := "http"
	if r.TLS != nil || s.SecureCookies {
		scheme = "https"
	}
	progress := scheme + "://" + r.Host + "/progress?" + url.Values{"case_no": {c.No}, "code": {c.QueryCode}}.Encode()
	doc := cases.Document(c, n, ver.Item, progress)
	// A result notice asks for a rating (好差评): a QR code and the link to
	// the rating page, the case proven by the number and 查询码 it carries.
	var rate string
	if n.Kind == "decision" || n.Kind == "refusal" {
		rate = scheme + "://" + r.Host + "/rate?" + url.Values{"case_no": {c.No}, "code": {c.QueryCode}, "via": {"qr"}}.Encode()
		doc.Rate, doc.RateCaption = rate, "扫码评价本次服务（好差评）\n或访问 "+scheme+"://"+r.Host+"/rate"
	}
	if r.URL.Query().Get("format") == "pdf" {
		b, err := doc.PDF()
		if err != nil {
			return apperr.Internalf("web: notice pdf", err)
		}
		w.Header().Set("Content-Type", "application/pdf")
		w.Header().Set("Content-Disposition", mime.FormatMediaType("inline", map[string]string{"filename": c.No + "-" + n.Kind + ".pdf"}))
		w.Header().Set("Cache-Control", "private, no-store")
		w.Write(b)
		return nil
	}
	png, err := report.QRPNG(progress)
	if err != nil {
		return apperr.Internalf("web: qr", err)
	}
	v.TitleText = doc.Title
	v.Data["Doc"], v.Data["Case"], v.Data["Notice"] = doc, c, n
	v.Data["QR"] = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))
	if rate != "" {
		rpng, err := report.QRPNG(rate)
		if err != nil {
			return apperr.Internalf("web: qr", err)
		}
		v.Data["RateQR"], v.Data["RateURL"] = template.URL("data:image/png;base64,"+base64.StdEncoding.EncodeToString(rpng)), rate
	}
	s.render(w, r, http.StatusOK, "notice", v)
	return nil
}

// displayValues shows form values as a reader reads them: option labels
// instead of their codes, region names instead of division codes.
func (s *Server) displayValues(r *http.Request, v *View, it *catalog.Item, vals catalog.Values) map[string]string {
	out := map[string]string{}
	for _, f := range it.Form {
		vs := vals[f.Key]
		if len(vs) == 0 {
			continue
		}
		switch f.Type {
		case "select", "multiselect":
			var labels []string
			for _, x := range vs {
				label := x
				for _, o := range f.Options {
					if o.Value == x {
						label = v.Pick(o.Label, o.LabelEN)
					}
				}
				labels = append(labels, label)
			}
			out[f.Key] = strings.Join(labels, "、")
		case "address":
			place := vs[0]
			if reg, err := s.Catalog.Region(r.Context(), vs[0]); err == nil {
				place = reg.Name
			}
			out[f.Key] = strings.TrimSpace(place + " " + strings.Join(vs[1:], " "))
		default:
			out[f.Key] = strings.Join(vs, " ")
		}
	}
	return out
}

// caseAudit checks one event of a case against the audit log on the server:
// the latest checkpoint's signatures and the record's inclusion proof.
func (s *Server) caseAudit(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "audit.check_title")
	c, err := s.Cases.Get(r.Context(), v.User, r.PathValue("ref"))
	if err != nil {
		return err
	}
	if s.AuditKeys == nil {
		return apperr.E(apperr.Unavailable, "audit.no_keys")
	}
	verifiers, err := s.AuditKeys.Verifiers()
	if err != nil {
		return apperr.Internalf("web: audit keys", err)
	}
	chk, err := audit.CheckRecord(r.Context(), s.AuditDB, verifiers, "case", c.ID, r.PathValue("id"))
	if err != nil {
		return db.NotFound(err, "error.not_found")
	}
	v.Data["Case"], v.Data["Check"] = c, chk
	if chk.Record != nil {
		v.Data["Leaf"] = string(chk.Record.Leaf())
	}
	s.render(w, r, http.StatusOK, "auditcheck", v)
	return nil
}
