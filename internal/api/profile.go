package api

import (
	"net/http"

	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/edge"
	"github.com/tongban/tongban/internal/identity"
)

// The person's rights over their account (identity/pipl.go).

// myProfile answers one's own profile: what may be corrected and by whom.
func (s *Server) myProfile(w http.ResponseWriter, r *http.Request) error {
	p, err := s.Identity.PersonalProfileOf(r.Context(), userFrom(r.Context()))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

// correctProfile applies one's own correction (absent fields unchanged).
func (s *Server) correctProfile(w http.ResponseWriter, r *http.Request) error {
	var c identity.Correction
	if err := decode(w, r, &c); err != nil {
		return err
	}
	if err := s.Identity.CorrectProfile(r.Context(), userFrom(r.Context()), c); err != nil {
		return err
	}
	return s.myProfile(w, r)
}

type phoneCodeRequest struct {
	Phone string `json:"phone"`
}

// phoneCode texts a code to the number one is changing to.
func (s *Server) phoneCode(w http.ResponseWriter, r *http.Request) error {
	var req phoneCodeRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	masked, err := s.Identity.SendPhoneCode(r.Context(), userFrom(r.Context()), req.Phone, edge.ClientIP(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"sent_to": masked})
	return nil
}

type phoneRequest struct {
	Phone    string `json:"phone"`
	Code     string `json:"code"`
	Password string `json:"password"`
}

// changePhone makes the number one's verified number and SMS contact.
func (s *Server) changePhone(w http.ResponseWriter, r *http.Request) error {
	var req phoneRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	masked, err := s.Identity.ChangePhone(r.Context(), userFrom(r.Context()), req.Phone, req.Code, req.Password)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"verified_phone": masked})
	return nil
}

type closeRequest struct {
	Password string `json:"password"`
}

// closeAccount closes one's own account (注销); the token ends with it.
func (s *Server) closeAccount(w http.ResponseWriter, r *http.Request) error {
	var req closeRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if err := s.Identity.CloseAccount(r.Context(), userFrom(r.Context()), req.Password); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// correctPerson is a window clerk's correction of a person's name or ID
// number; the answer names the person masked.
func (s *Server) correctPerson(w http.ResponseWriter, r *http.Request) error {
	var req identity.WindowCorrection
	if err := decode(w, r, &req); err != nil {
		return err
	}
	a, err := s.Identity.CorrectAtWindow(r.Context(), userFrom(r.Context()), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"name": codes.MaskName(a.Name), "identifier": a.Masked})
	return nil
}
