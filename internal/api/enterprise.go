package api

import (
	"net/http"

	"github.com/tongban/tongban/internal/identity"
)

// Enterprises held by their legal representative and their 经办人 (issue
// 16): the person's own enterprise roles, binding one, and its
// authorisations. Another person's enterprise does not exist for the caller.

// myEnterprises lists the enterprises the caller holds or acts for now.
func (s *Server) myEnterprises(w http.ResponseWriter, r *http.Request) error {
	u := userFrom(r.Context())
	out := u.Enterprises
	if out == nil {
		out = []identity.EnterpriseRole{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"enterprises": out})
	return nil
}

// bindEnterprise makes the caller (an L2 person) the enterprise's holder
// as its legal representative.
func (s *Server) bindEnterprise(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		CreditCode string `json:"credit_code"`
		Name       string `json:"name"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	e, err := s.Identity.BindEnterprise(r.Context(), userFrom(r.Context()), in.CreditCode, in.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

// enterpriseOperators lists the enterprise's 经办人 (ID numbers masked).
func (s *Server) enterpriseOperators(w http.ResponseWriter, r *http.Request) error {
	ops, err := s.Identity.Operators(r.Context(), userFrom(r.Context()), r.PathValue("code"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"operators": ops})
	return nil
}

// authoriseOperator authorises a 经办人.
func (s *Server) authoriseOperator(w http.ResponseWriter, r *http.Request) error {
	var in identity.OperatorInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	op, err := s.Identity.AuthoriseOperator(r.Context(), userFrom(r.Context()), r.PathValue("code"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, op)
	return nil
}

// revokeOperator ends an authorisation at once.
func (s *Server) revokeOperator(w http.ResponseWriter, r *http.Request) error {
	if err := s.Identity.RevokeOperator(r.Context(), userFrom(r.Context()), r.PathValue("code"), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
