package web

import (
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/edge"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/mandate"
)

// Mandates (授权委托, issue 16) on three pages: the agent's
// (/agent/mandates: ask, enter the code, register a villager), the
// person's (/me/mandates: confirm, refuse, revoke) and the clerk's
// (/workbench/mandates: check written ones). The rules are the mandate
// service's; a refusal re-renders the page with the message and what was
// typed.

// mandateForm is what the agent typed, kept across a refusal.
type mandateForm struct {
	Name, Number, Phone, Scope, Items, ValidUntil, Method, Code string
}

func formOf(r *http.Request) mandateForm {
	f := r.PostForm
	return mandateForm{Name: f.Get("name"), Number: f.Get("id_number"), Phone: f.Get("phone"), Scope: f.Get("scope"),
		Items: f.Get("items"), ValidUntil: f.Get("valid_until"), Method: f.Get("method"), Code: f.Get("code")}
}

// scope turns the form's scope into the service's.
func (f mandateForm) scope() (bool, []string) {
	if f.Scope == "all" {
		return true, nil
	}
	return false, strings.FieldsFunc(f.Items, func(r rune) bool { return r == ',' || r == '，' || r == ' ' || r == '\n' || r == '\r' || r == '、' })
}

// agentMandates is the agent's page.
func (s *Server) agentMandates(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "mandate.agent_title")
	switch {
	case r.URL.Query().Get("done") == "requested":
		v.Notice = v.T("mandate.requested")
	case r.URL.Query().Get("done") == "confirmed":
		v.Notice = v.T("mandate.confirmed")
	case r.URL.Query().Get("done") == "registered":
		v.Notice = v.T("mandate.registered")
	}
	return s.renderAgent(w, r, v, http.StatusOK, "", nil, mandateForm{Scope: "all", Method: mandate.MethodSMS})
}

// renderAgent shows the agent's page, problem (if any) above the form
// named by which.
func (s *Server) renderAgent(w http.ResponseWriter, r *http.Request, v *View, status int, which string, problem error, f mandateForm) error {
	ms, err := s.Mandates.Of(r.Context(), v.User)
	if err != nil {
		return err
	}
	v.Data["Mandates"], v.Data["Form"], v.Data["Which"] = ms, f, which
	if problem != nil {
		p := edge.ProblemOf(r.Context(), v.Lang, problem)
		v.Problem = &p
	}
	s.render(w, r, status, "mandates_agent", v)
	return nil
}

// refusal renders a 4xx problem on the page; anything else is the
// wrapper's.
func refusal(err error) (int, bool) {
	switch apperr.CodeOf(err) {
	case apperr.Invalid:
		return http.StatusBadRequest, true
	case apperr.Conflict:
		return http.StatusConflict, true
	case apperr.TooMany:
		return http.StatusTooManyRequests, true
	case apperr.Unavailable:
		return http.StatusServiceUnavailable, true
	}
	return 0, false
}

// agentRequest: the agent asks for a mandate (a written one with its file).
func (s *Server) agentRequest(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "mandate.agent_title")
	f := formOf(r)
	all, items := f.scope()
	req := mandate.Request{Name: f.Name, Number: f.Number, AllItems: all, Items: items, ValidUntil: f.ValidUntil, Method: f.Method}
	if f.Method == mandate.MethodDocument && r.MultipartForm != nil {
		if fhs := r.MultipartForm.File["document"]; len(fhs) > 0 {
			m, err := s.saveUpload(r, v.User, fhs[0])
			if err != nil {
				if st, ok := refusal(err); ok {
					return s.renderAgent(w, r, v, st, "request", err, f)
				}
				return err
			}
			req.Document = m.ID
		}
	}
	m, err := s.Mandates.Request(r.Context(), v.User, edge.ClientIP(r), req)
	if err != nil && m == nil {
		if st, ok := refusal(err); ok {
			return s.renderAgent(w, r, v, st, "request", err, f)
		}
		return err
	}
	if err != nil { // recorded; the code was not sent
		return s.renderAgent(w, r, v, http.StatusServiceUnavailable, "code-"+m.ID, err, mandateForm{Scope: "all", Method: mandate.MethodSMS})
	}
	http.Redirect(w, r, "/agent/mandates?done=requested#m-"+m.ID, http.StatusSeeOther)
	return nil
}

// agentConfirm: the agent enters the code the person read out, or asks
// for a new one.
func (s *Server) agentConfirm(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "mandate.agent_title")
	id := r.PathValue("id")
	var err error
	done := "confirmed"
	if r.PostForm.Get("resend") != "" {
		_, err = s.Mandates.Resend(r.Context(), v.User, id, edge.ClientIP(r))
		done = "requested"
	} else {
		_, err = s.Mandates.Confirm(r.Context(), v.User, id, r.PostForm.Get("code"))
	}
	if err != nil {
		if st, ok := refusal(err); ok {
			return s.renderAgent(w, r, v, st, "code-"+id, err, mandateForm{Scope: "all", Method: mandate.MethodSMS})
		}
		return err
	}
	http.Redirect(w, r, "/agent/mandates?done="+done+"#m-"+id, http.StatusSeeOther)
	return nil
}

// agentVillager registers a villager: without a code, the code is sent
// (or, the number being registered, a request made); with it, the account
// and the mandate are made.
func (s *Server) agentVillager(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "mandate.agent_title")
	f := formOf(r)
	all, items := f.scope()
	in := mandate.Villager{Name: f.Name, Number: f.Number, Phone: f.Phone, AllItems: all, Items: items, ValidUntil: f.ValidUntil, Code: f.Code}
	if strings.TrimSpace(f.Code) == "" {
		st, err := s.Mandates.StartVillager(r.Context(), v.User, edge.ClientIP(r), in)
		if err != nil {
			if code, ok := refusal(err); ok {
				return s.renderAgent(w, r, v, code, "villager", err, f)
			}
			return err
		}
		if st.Mandate != nil {
			http.Redirect(w, r, "/agent/mandates?done=requested#m-"+st.Mandate.ID, http.StatusSeeOther)
			return nil
		}
		v.Notice = v.T("mandate.villager_sent", "phone", st.SentTo)
		v.Data["VillagerCode"] = true
		return s.renderAgent(w, r, v, http.StatusOK, "villager", nil, f)
	}
	m, err := s.Mandates.RegisterVillager(r.Context(), v.User, in)
	if err != nil {
		if code, ok := refusal(err); ok {
			v.Data["VillagerCode"] = true
			return s.renderAgent(w, r, v, code, "villager", err, f)
		}
		return err
	}
	http.Redirect(w, r, "/agent/mandates?done=registered#m-"+m.ID, http.StatusSeeOther)
	return nil
}

// mandateDocument sends a written mandate's file to its agent or a clerk
// who may check it (the read recorded).
func (s *Server) mandateDocument(w http.ResponseWriter, r *http.Request) error {
	d, rc, err := s.Mandates.OpenDocument(r.Context(), visitorFrom(r).User, r.PathValue("id"))
	if err != nil {
		return err
	}
	defer rc.Close()
	w.Header().Set("Content-Type", d.ContentType)
	w.Header().Set("Content-Length", strconv.FormatInt(d.Size, 10))
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": d.Filename}))
	w.Header().Set("Cache-Control", "no-store")
	edge.Transfer(w)
	io.Copy(w, rc)
	return nil
}

// myMandates is the person's page: their mandates, to confirm, refuse or
// revoke.
func (s *Server) myMandates(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "mandate.my_title")
	if d := r.URL.Query().Get("done"); d == "active" || d == "refused" || d == "revoked" {
		v.Notice = v.T("mandate.done_" + d)
	}
	return s.renderMine(w, r, v, http.StatusOK, nil)
}

func (s *Server) renderMine(w http.ResponseWriter, r *http.Request, v *View, status int, problem error) error {
	ms, err := s.Mandates.Of(r.Context(), v.User)
	if err != nil {
		return err
	}
	v.Data["Mandates"] = ms
	if problem != nil {
		p := edge.ProblemOf(r.Context(), v.Lang, problem)
		v.Problem = &p
	}
	s.render(w, r, status, "mandates_mine", v)
	return nil
}

// myMandateAnswer: confirm or refuse a pending request.
func (s *Server) myMandateAnswer(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "mandate.my_title")
	m, err := s.Mandates.Answer(r.Context(), v.User, r.PathValue("id"), r.PostForm.Get("confirm") == "1")
	if err != nil {
		if st, ok := refusal(err); ok {
			return s.renderMine(w, r, v, st, err)
		}
		return err
	}
	http.Redirect(w, r, "/me/mandates?done="+m.State+"#m-"+m.ID, http.StatusSeeOther)
	return nil
}

// myMandateRevoke ends a mandate.
func (s *Server) myMandateRevoke(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "mandate.my_title")
	m, err := s.Mandates.Revoke(r.Context(), v.User, r.PathValue("id"))
	if err != nil {
		if st, ok := refusal(err); ok {
			return s.renderMine(w, r, v, st, err)
		}
		return err
	}
	http.Redirect(w, r, "/me/mandates?done=revoked#m-"+m.ID, http.StatusSeeOther)
	return nil
}

// mandateChecks is the clerk's page: written mandates to check.
func (s *Server) mandateChecks(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "mandate.checks_title")
	if d := r.URL.Query().Get("done"); d == "active" || d == "refused" {
		v.Notice = v.T("mandate.checked_" + d)
	}
	return s.renderChecks(w, r, v, http.StatusOK, nil)
}

func (s *Server) renderChecks(w http.ResponseWriter, r *http.Request, v *View, status int, problem error) error {
	ms, err := s.Mandates.Checks(r.Context(), v.User)
	if err != nil {
		return err
	}
	v.Data["Mandates"] = ms
	if problem != nil {
		p := edge.ProblemOf(r.Context(), v.Lang, problem)
		v.Problem = &p
	}
	s.render(w, r, status, "mandates_checks", v)
	return nil
}

// mandateCheck: the clerk approves, or refuses with a reason.
func (s *Server) mandateCheck(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "mandate.checks_title")
	m, err := s.Mandates.Check(r.Context(), v.User, r.PathValue("id"), r.PostForm.Get("approve") == "1", r.PostForm.Get("reason"))
	if err != nil {
		if st, ok := refusal(err); ok {
			return s.renderChecks(w, r, v, st, err)
		}
		return err
	}
	http.Redirect(w, r, "/workbench/mandates?done="+m.State, http.StatusSeeOther)
	return nil
}

// mandateRoles read a written mandate's file: its agent, a checking clerk.
var mandateRoles = []identity.Role{identity.RoleAgent, identity.RoleClerk}
