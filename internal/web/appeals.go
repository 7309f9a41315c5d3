package web

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/tongban/tongban/internal/appeal"
	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/edge"
	"github.com/tongban/tongban/internal/identity"
)

// 诉求 work orders (issue 18) on the portal (/appeals: published replies;
// /appeals/new: the submit form, signed in or — consultations and
// suggestions — anonymous; /me/appeals: the requester's orders, replies
// and the 回访 question), the workbench (/workbench/appeals: the
// dispatcher's queue or the department's list; /workbench/appeals/new: an
// operator's phone, letter or walk-in entry; /workbench/appeals/{id}: the
// order page with its steps) and supervision (/supervision/appeals: the
// monthly report). The rules are the appeal service's.

// appealStaffRoles open the workbench's 诉求 pages.
var appealStaffRoles = []identity.Role{identity.RoleClerk, identity.RoleHandler, identity.RoleSupervisor}

// appealForm is what was typed, kept across a refusal.
type appealForm struct {
	Channel, Type, Category, Urgency, Region, Location, Description, Name, Phone, Email, CaseNo string
	Anonymous, Contact, Publish                                                                 bool
}

func appealFormOf(r *http.Request) appealForm {
	f := r.PostForm
	if r.MultipartForm != nil {
		f = r.MultipartForm.Value
	}
	get := func(k string) string {
		if vs := f[k]; len(vs) > 0 {
			return vs[0]
		}
		return ""
	}
	return appealForm{Channel: get("channel"), Type: get("type"), Category: get("category"), Urgency: get("urgency"), Region: get("region_code"),
		Location: get("location"), Description: get("description"), Name: get("name"), Phone: get("phone"), Email: get("email"),
		CaseNo: get("related_case_no"), Anonymous: get("anonymous") == "1", Contact: get("contact") == "1", Publish: get("publish") == "1"}
}

// appealChoices puts the form's choices on the page: the directory's
// enabled categories, the types, the installation's region and its
// divisions.
func (s *Server) appealChoices(r *http.Request, v *View) error {
	cs, err := s.Appeals.Categories(r.Context())
	if err != nil {
		return err
	}
	enabled := cs[:0]
	for _, c := range cs {
		if c.Enabled {
			enabled = append(enabled, c)
		}
	}
	home, children, err := s.Catalog.Children(r.Context(), s.Region)
	if err != nil {
		return err
	}
	v.Data["Categories"], v.Data["Types"], v.Data["Home"], v.Data["Divisions"] = enabled, appeal.Types, home, children
	return nil
}

// appealNew is the submit form: the portal's, or the operator's entry.
func (s *Server) appealNew(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "appeal.new_title")
	operator := r.URL.Path == "/workbench/appeals/new"
	f := appealForm{Type: appeal.TypeConsult, Urgency: appeal.UrgencyNormal, Region: s.Region, Contact: true, Channel: appeal.ChannelWeb}
	if operator {
		f.Channel = appeal.ChannelPhone
	}
	return s.renderAppealNew(w, r, v, http.StatusOK, nil, f, operator)
}

func (s *Server) renderAppealNew(w http.ResponseWriter, r *http.Request, v *View, status int, problem error, f appealForm, operator bool) error {
	if err := s.appealChoices(r, v); err != nil {
		return err
	}
	v.Data["Form"], v.Data["Operator"], v.Data["OpChannels"] = f, operator, []string{appeal.ChannelPhone, appeal.ChannelLetter, appeal.ChannelWalkIn}
	if problem != nil {
		p := edge.ProblemOf(r.Context(), v.Lang, problem)
		v.Problem = &p
	}
	s.render(w, r, status, "appeal_new", v)
	return nil
}

// appealSubmit accepts an order from the form; a refusal shows the form
// again with what was typed.
func (s *Server) appealSubmit(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "appeal.new_title")
	operator := r.URL.Path == "/workbench/appeals/new"
	if operator && !v.User.Has(identity.RoleClerk) {
		return apperr.E(apperr.Forbidden, "error.forbidden")
	}
	f := appealFormOf(r)
	in := appeal.SubmitInput{Channel: f.Channel, Type: f.Type, Category: f.Category, Urgency: f.Urgency, RegionCode: f.Region,
		Location: f.Location, Description: f.Description, Anonymous: f.Anonymous, Contact: f.Contact, Publish: f.Publish,
		Name: f.Name, Phone: f.Phone, Email: f.Email, RelatedCaseNo: f.CaseNo}
	if !operator {
		in.Channel = appeal.ChannelWeb
		in.Name, in.Phone, in.Email = "", "", ""
		if v.User != nil && v.User.Kind == identity.KindStaff {
			// Staff enter orders on the workbench's form.
			return apperr.E(apperr.Forbidden, "error.forbidden")
		}
	}
	if r.MultipartForm != nil && v.User != nil {
		for _, fh := range r.MultipartForm.File["attachments"] {
			if fh.Size == 0 && fh.Filename == "" {
				continue
			}
			m, err := s.saveUpload(r, v.User, fh)
			if err != nil {
				if st, ok := refusal(err); ok {
					return s.renderAppealNew(w, r, v, st, err, f, operator)
				}
				return err
			}
			in.Attachments = append(in.Attachments, m.ID)
		}
	}
	a, err := s.Appeals.Submit(r.Context(), v.User, in)
	if err != nil {
		st, ok := refusal(err)
		if apperr.CodeOf(err) == apperr.Unauthenticated {
			st, ok = http.StatusUnauthorized, true
		}
		if ok {
			return s.renderAppealNew(w, r, v, st, err, f, operator)
		}
		return err
	}
	switch {
	case operator:
		http.Redirect(w, r, "/workbench/appeals/"+a.ID+"?done=submit", http.StatusSeeOther)
	case v.User != nil:
		http.Redirect(w, r, "/me/appeals?done="+a.No+"#a-"+a.ID, http.StatusSeeOther)
	default:
		// An anonymous order: its number is all its requester keeps.
		v.Data["Accepted"] = a
		s.render(w, r, http.StatusCreated, "appeal_new", v)
	}
	return nil
}

// publishedAppeals lists the published replies.
func (s *Server) publishedAppeals(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "appeal.published_title")
	after := r.URL.Query().Get("after")
	list, next, err := s.Appeals.List(r.Context(), appeal.PublicFilter{Published: true, Limit: 20, After: after})
	if err != nil {
		return err
	}
	v.Data["Appeals"], v.Data["Next"], v.Data["After"] = list, next, after
	s.render(w, r, http.StatusOK, "appeals_published", v)
	return nil
}

// myAppeals is the requester's list with replies and the 回访 question.
func (s *Server) myAppeals(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "appeal.mine_title")
	if no := r.URL.Query().Get("done"); no != "" {
		v.Notice = v.T("appeal.accepted_notice", "no", no)
	}
	if r.URL.Query().Get("visited") != "" {
		v.Notice = v.T("appeal.visited_notice")
	}
	return s.renderMyAppeals(w, r, v, http.StatusOK, nil, "")
}

func (s *Server) renderMyAppeals(w http.ResponseWriter, r *http.Request, v *View, status int, problem error, which string) error {
	list, err := s.Appeals.Mine(r.Context(), v.User)
	if err != nil {
		return err
	}
	v.Data["Appeals"], v.Data["Which"] = list, which
	if problem != nil {
		p := edge.ProblemOf(r.Context(), v.Lang, problem)
		v.Problem = &p
	}
	s.render(w, r, status, "appeals_mine", v)
	return nil
}

// myAppealVisit is the requester's answer to the 回访 question.
func (s *Server) myAppealVisit(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "appeal.mine_title")
	id := r.PathValue("id")
	act := appeal.Action{Action: appeal.ActVisit, Text: r.PostForm.Get("note")}
	switch r.PostForm.Get("satisfied") {
	case "1":
		act.Satisfied = ptrBool(true)
	case "0":
		act.Satisfied = ptrBool(false)
	}
	switch r.PostForm.Get("resolved") {
	case "1":
		act.Resolved = ptrBool(true)
	case "0":
		act.Resolved = ptrBool(false)
	}
	if _, err := s.Appeals.Act(r.Context(), v.User, id, act); err != nil {
		if st, ok := refusal(err); ok {
			return s.renderMyAppeals(w, r, v, st, err, id)
		}
		return err
	}
	http.Redirect(w, r, "/me/appeals?visited=1#a-"+id, http.StatusSeeOther)
	return nil
}

func ptrBool(b bool) *bool { return &b }

// workAppeals is the workbench's list: the dispatcher's queue (clerks,
// supervisors) or the department's list (handlers), chosen by view.
func (s *Server) workAppeals(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "appeal.work_title")
	q := r.URL.Query()
	var views []string
	if v.User.HasAny(identity.RoleClerk, identity.RoleSupervisor) {
		views = append(views, "queue")
	}
	if v.User.Has(identity.RoleHandler) {
		views = append(views, "department")
	}
	view := q.Get("view")
	if !slices.Contains(views, view) {
		view = views[0]
	}
	f := appeal.StaffFilter{State: q.Get("state"), Limit: 50, After: q.Get("after")}
	var list []*appeal.Appeal
	var next string
	var err error
	if view == "queue" {
		list, next, err = s.Appeals.Queue(r.Context(), v.User, f)
	} else {
		list, next, err = s.Appeals.Department(r.Context(), v.User, f)
	}
	if err != nil {
		return err
	}
	v.Data["Appeals"], v.Data["View"], v.Data["Views"], v.Data["State"] = list, view, views, f.State
	v.Data["Next"], v.Data["After"] = next, f.After
	v.Data["States"], v.Data["Now"] = appeal.States, s.Now()
	s.render(w, r, http.StatusOK, "appeals_work", v)
	return nil
}

// appealOrder is the order page: the order, its history and clocks, and
// the steps the reader may take.
func (s *Server) appealOrder(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "appeal.order_title")
	switch d := r.URL.Query().Get("done"); d {
	case "":
	case "submit":
		v.Notice = v.T("appeal.entered_notice")
	default:
		v.Notice = v.T("appeal.done_notice", "action", v.T("appeal.action."+d))
	}
	return s.renderOrder(w, r, v, http.StatusOK, nil, "")
}

func (s *Server) renderOrder(w http.ResponseWriter, r *http.Request, v *View, status int, problem error, which string) error {
	a, err := s.Appeals.Read(r.Context(), v.User, r.PathValue("id"))
	if err != nil {
		return err
	}
	v.TitleText = v.T("appeal.order_title") + " " + a.No
	v.Data["A"], v.Data["Which"] = a, which
	v.Data["Steps"] = appeal.Steps(v.User, a)
	if slices.Contains(appeal.Steps(v.User, a), appeal.ActDispatch) {
		cs, err := s.Catalog.Departments(r.Context(), s.Region)
		if err != nil {
			return err
		}
		v.Data["Departments"] = cs
	}
	if problem != nil {
		p := edge.ProblemOf(r.Context(), v.Lang, problem)
		v.Problem = &p
	}
	s.render(w, r, status, "appeal_order", v)
	return nil
}

// appealAct takes one step from the order page.
func (s *Server) appealAct(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "appeal.order_title")
	f := r.PostForm
	act := appeal.Action{Action: f.Get("action"), Department: f.Get("department_id"), Text: f.Get("text"), Parent: f.Get("parent")}
	if d := f.Get("days"); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil {
			return s.renderOrder(w, r, v, http.StatusBadRequest, apperr.E(apperr.Invalid, "appeal.extension_days", "max", appeal.MaxExtDays), act.Action)
		}
		act.Days = n
	}
	switch f.Get("satisfied") {
	case "1":
		act.Satisfied = ptrBool(true)
	case "0":
		act.Satisfied = ptrBool(false)
	}
	switch f.Get("resolved") {
	case "1":
		act.Resolved = ptrBool(true)
	case "0":
		act.Resolved = ptrBool(false)
	}
	a, err := s.Appeals.Act(r.Context(), v.User, r.PathValue("id"), act)
	if err != nil {
		if st, ok := refusal(err); ok {
			return s.renderOrder(w, r, v, st, err, act.Action)
		}
		return err
	}
	http.Redirect(w, r, "/workbench/appeals/"+a.ID+"?done="+act.Action, http.StatusSeeOther)
	return nil
}

// appealReport is the monthly 诉求 report (supervision).
func (s *Server) appealReport(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "appeal.report_title")
	month := r.URL.Query().Get("month")
	if month == "" {
		month = s.Now().In(calendar.China).Format("2006-01")
	}
	region := r.URL.Query().Get("region")
	if region == "" {
		region = s.Region
	}
	rep, err := s.Appeals.MonthlyReport(r.Context(), v.User, region, month)
	if err != nil {
		if st, ok := refusal(err); ok {
			p := edge.ProblemOf(r.Context(), v.Lang, err)
			v.Problem = &p
			v.Data["Month"] = month
			s.render(w, r, st, "appeal_report", v)
			return nil
		}
		return err
	}
	if f := r.URL.Query().Get("format"); f != "" {
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
	v.Data["Report"], v.Data["Month"], v.Data["Region"] = rep, month, region
	s.render(w, r, http.StatusOK, "appeal_report", v)
	return nil
}
