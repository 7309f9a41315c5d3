package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/edge"
	"github.com/tongban/tongban/internal/identity"
)

// 我的企业 (issue 16): a person binds an enterprise as its legal
// representative, and authorises, lists and revokes its 经办人; the
// enterprises they act for are listed too. The service decides who may:
// another person's enterprise does not exist for the visitor.

// heldEnterprise is one enterprise the visitor holds, with its 经办人.
type heldEnterprise struct {
	identity.EnterpriseRole
	Operators []identity.Operator
}

func (s *Server) enterprises(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "enterprise.title")
	switch r.URL.Query().Get("done") {
	case "bind":
		v.Notice = v.T("enterprise.bound")
	case "authorise":
		v.Notice = v.T("enterprise.authorised")
	case "revoke":
		v.Notice = v.T("enterprise.revoked")
	}
	return s.renderEnterprises(w, r, v, http.StatusOK, nil)
}

// renderEnterprises shows the page, with a refused form's problem.
func (s *Server) renderEnterprises(w http.ResponseWriter, r *http.Request, v *View, status int, problem error) error {
	if problem != nil {
		p := edge.ProblemOf(r.Context(), v.Lang, problem)
		v.Problem = &p
		status = p.Status
	}
	var held []heldEnterprise
	var acting []identity.EnterpriseRole
	for _, e := range v.User.Enterprises {
		if !e.LegalRep {
			acting = append(acting, e)
			continue
		}
		ops, err := s.Identity.Operators(r.Context(), v.User, e.CreditCode)
		if err != nil {
			return err
		}
		held = append(held, heldEnterprise{EnterpriseRole: e, Operators: ops})
	}
	v.Data["Held"] = held
	v.Data["Acting"] = acting
	v.Data["L2"] = v.User.Kind == identity.KindPerson && v.User.Assurance >= identity.AssuranceL2
	v.Data["Person"] = v.User.Kind == identity.KindPerson
	v.Data["Form"] = r.PostForm
	v.Data["Today"] = s.Now().Format("2006-01-02")
	s.render(w, r, status, "enterprises", v)
	return nil
}

// refusedOr re-renders the page with a bad request's reason, or passes a
// server fault on.
func (s *Server) refusedOr(w http.ResponseWriter, r *http.Request, err error) error {
	switch apperr.CodeOf(err) {
	case apperr.Invalid, apperr.Conflict, apperr.Forbidden, apperr.TooMany:
		return s.renderEnterprises(w, r, s.view(r, "enterprise.title"), http.StatusBadRequest, err)
	}
	if apperr.Is(err, apperr.NotFound, "enterprise.unknown_window") { // told where to go instead
		return s.renderEnterprises(w, r, s.view(r, "enterprise.title"), http.StatusNotFound, err)
	}
	return err
}

func (s *Server) bindEnterprise(w http.ResponseWriter, r *http.Request) error {
	u := visitorFrom(r).User
	if _, err := s.Identity.BindEnterprise(r.Context(), u, r.PostForm.Get("credit_code"), r.PostForm.Get("name")); err != nil {
		return s.refusedOr(w, r, err)
	}
	http.Redirect(w, r, "/me/enterprises?done=bind", http.StatusSeeOther)
	return nil
}

func (s *Server) authoriseOperator(w http.ResponseWriter, r *http.Request) error {
	u := visitorFrom(r).User
	in := identity.OperatorInput{IDNumber: r.PostForm.Get("id_number"), Name: r.PostForm.Get("name"), ExpiresOn: r.PostForm.Get("expires_on")}
	if r.PostForm.Get("scope") == "items" {
		in.Items = strings.FieldsFunc(r.PostForm.Get("items"), func(c rune) bool { return c == ',' || c == '，' || c == ' ' || c == '\n' || c == '\r' })
		if len(in.Items) == 0 {
			return s.refusedOr(w, r, apperr.E(apperr.Invalid, "enterprise.items_required"))
		}
	}
	if _, err := s.Identity.AuthoriseOperator(r.Context(), u, r.PathValue("code"), in); err != nil {
		return s.refusedOr(w, r, err)
	}
	http.Redirect(w, r, "/me/enterprises?done=authorise#ent-"+url.PathEscape(r.PathValue("code")), http.StatusSeeOther)
	return nil
}

func (s *Server) revokeOperator(w http.ResponseWriter, r *http.Request) error {
	u := visitorFrom(r).User
	if err := s.Identity.RevokeOperator(r.Context(), u, r.PathValue("code"), r.PathValue("id")); err != nil {
		if apperr.CodeOf(err) == apperr.NotFound {
			return err
		}
		return s.refusedOr(w, r, err)
	}
	http.Redirect(w, r, "/me/enterprises?done=revoke#ent-"+url.PathEscape(r.PathValue("code")), http.StatusSeeOther)
	return nil
}
