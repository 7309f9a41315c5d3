package api

import (
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/edge"
	"github.com/tongban/tongban/internal/mandate"
)

// Mandates (授权委托, issue 16): agents ask, persons answer and revoke,
// clerks check written ones. Every rule is the mandate service's.

// myMandates lists an agent's requests, or a person's mandates.
func (s *Server) myMandates(w http.ResponseWriter, r *http.Request) error {
	ms, err := s.Mandates.Of(r.Context(), userFrom(r.Context()))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"mandates": ms})
	return nil
}

// requestMandate: an agent asks a person for a mandate (sms or document).
func (s *Server) requestMandate(w http.ResponseWriter, r *http.Request) error {
	var req mandate.Request
	if err := decode(w, r, &req); err != nil {
		return err
	}
	m, err := s.Mandates.Request(r.Context(), userFrom(r.Context()), edge.ClientIP(r), req)
	if err != nil && m == nil {
		return err
	}
	if err != nil {
		// Recorded, but the code was not sent (the gateway failed): the
		// request stands; the agent asks for the code again.
		writeJSON(w, http.StatusCreated, map[string]any{"mandate": m, "code_error": edge.ProblemOf(r.Context(), edge.Lang(r), err)})
		return nil
	}
	writeJSON(w, http.StatusCreated, map[string]any{"mandate": m})
	return nil
}

func (s *Server) getMandate(w http.ResponseWriter, r *http.Request) error {
	m, err := s.Mandates.Get(r.Context(), userFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"mandate": m})
	return nil
}

// confirmMandate: the agent enters the code the person read out.
func (s *Server) confirmMandate(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Code string `json:"code"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	m, err := s.Mandates.Confirm(r.Context(), userFrom(r.Context()), r.PathValue("id"), in.Code)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"mandate": m})
	return nil
}

// resendMandateCode texts a new code for a pending online request.
func (s *Server) resendMandateCode(w http.ResponseWriter, r *http.Request) error {
	m, err := s.Mandates.Resend(r.Context(), userFrom(r.Context()), r.PathValue("id"), edge.ClientIP(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"mandate": m})
	return nil
}

// answerMandate: the person confirms or refuses a request on their account.
func (s *Server) answerMandate(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Confirm *bool `json:"confirm"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.Confirm == nil {
		return errField("confirm")
	}
	m, err := s.Mandates.Answer(r.Context(), userFrom(r.Context()), r.PathValue("id"), *in.Confirm)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"mandate": m})
	return nil
}

// revokeMandate: the person ends a mandate.
func (s *Server) revokeMandate(w http.ResponseWriter, r *http.Request) error {
	m, err := s.Mandates.Revoke(r.Context(), userFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"mandate": m})
	return nil
}

// mandateChecks lists the written mandates waiting for the clerk.
func (s *Server) mandateChecks(w http.ResponseWriter, r *http.Request) error {
	ms, err := s.Mandates.Checks(r.Context(), userFrom(r.Context()))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"mandates": ms})
	return nil
}

// checkMandate: the clerk approves a written mandate or refuses it with a reason.
func (s *Server) checkMandate(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Approve *bool  `json:"approve"`
		Reason  string `json:"reason"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.Approve == nil {
		return errField("approve")
	}
	m, err := s.Mandates.Check(r.Context(), userFrom(r.Context()), r.PathValue("id"), *in.Approve, in.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"mandate": m})
	return nil
}

// mandateDocument sends a written mandate's file (to its agent, or a
// clerk who may check it: the read recorded).
func (s *Server) mandateDocument(w http.ResponseWriter, r *http.Request) error {
	d, rc, err := s.Mandates.OpenDocument(r.Context(), userFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		return err
	}
	defer rc.Close()
	w.Header().Set("Content-Type", d.ContentType)
	w.Header().Set("Content-Length", strconv.FormatInt(d.Size, 10))
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": d.Filename}))
	edge.Transfer(w)
	io.Copy(w, rc)
	return nil
}

// villagerCode: the first step of registering a villager.
func (s *Server) villagerCode(w http.ResponseWriter, r *http.Request) error {
	var v mandate.Villager
	if err := decode(w, r, &v); err != nil {
		return err
	}
	st, err := s.Mandates.StartVillager(r.Context(), userFrom(r.Context()), edge.ClientIP(r), v)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

// registerVillager: the second step, with the code.
func (s *Server) registerVillager(w http.ResponseWriter, r *http.Request) error {
	var v mandate.Villager
	if err := decode(w, r, &v); err != nil {
		return err
	}
	m, err := s.Mandates.RegisterVillager(r.Context(), userFrom(r.Context()), v)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"mandate": m})
	return nil
}

func errField(name string) error {
	return apperr.E(apperr.Invalid, "error.field_required", "field", name)
}
