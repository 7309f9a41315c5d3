package api

import (
	"net/http"
	"strings"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/edge"
	"github.com/tongban/tongban/internal/identity"
)

// Self-registration, SMS codes for signing in and resetting a password,
// and a clerk's verification of a person at a window (issue 16).

type codeRequest struct {
	Phone string `json:"phone"`
	// Purpose: login or reset (POST /api/v1/auth/sms-code); register is
	// POST /api/v1/register/code.
	Purpose string `json:"purpose"`
}

type codeResponse struct {
	Phone string `json:"phone"` // the number masked, "138****8000"
}

// registerCode texts a registration code to any well-formed number.
func (s *Server) registerCode(w http.ResponseWriter, r *http.Request) error {
	var req codeRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	return s.sendCode(w, r, identity.CodeRequest{Phone: req.Phone, Purpose: identity.CodeRegister, IP: edge.ClientIP(r)})
}

// smsCode texts a sign-in or reset code to an account's verified number;
// the answer is the same for a number that is no account's.
func (s *Server) smsCode(w http.ResponseWriter, r *http.Request) error {
	var req codeRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	p := identity.CodePurpose(req.Purpose)
	if p != identity.CodeLogin && p != identity.CodeReset {
		return apperr.E(apperr.Invalid, "auth.code_purpose")
	}
	return s.sendCode(w, r, identity.CodeRequest{Phone: req.Phone, Purpose: p, IP: edge.ClientIP(r), Registered: true})
}

func (s *Server) sendCode(w http.ResponseWriter, r *http.Request, cr identity.CodeRequest) error {
	if strings.TrimSpace(cr.Phone) == "" {
		return apperr.E(apperr.Invalid, "error.field_required", "field", "phone")
	}
	masked, err := s.Identity.SendCode(r.Context(), cr)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, codeResponse{Phone: masked})
	return nil
}

type registerRequest struct {
	Name     string `json:"name"`
	IDNumber string `json:"id_number"`
	Phone    string `json:"phone"`
	Code     string `json:"code"`
	Password string `json:"password"`
	Username string `json:"username"`
}

// register makes an L1 person account and signs it in; a number already
// registered answers the same (201, the same shape) with a token that opens
// nothing.
func (s *Server) register(w http.ResponseWriter, r *http.Request) error {
	var req registerRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	for _, f := range []struct{ name, v string }{{"name", req.Name}, {"id_number", req.IDNumber}, {"phone", req.Phone}, {"code", req.Code}, {"password", req.Password}} {
		if strings.TrimSpace(f.v) == "" {
			return apperr.E(apperr.Invalid, "error.field_required", "field", f.name)
		}
	}
	res, err := s.Identity.Register(r.Context(), identity.Registration{Name: req.Name, IDNumber: req.IDNumber, Phone: req.Phone,
		Code: req.Code, Password: req.Password, Username: req.Username, Kind: identity.SessionAPI, IP: edge.ClientIP(r), UserAgent: r.UserAgent()})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, loginResponse{Token: res.Token, ExpiresAt: res.Session.ExpiresAt, User: toUserJSON(res.User)})
	return nil
}

type resetRequest struct {
	Phone    string `json:"phone"`
	Code     string `json:"code"`
	Password string `json:"password"`
}

// passwordReset sets a new password proven by an SMS code and ends every
// session of the account.
func (s *Server) passwordReset(w http.ResponseWriter, r *http.Request) error {
	var req resetRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	for _, f := range []struct{ name, v string }{{"phone", req.Phone}, {"code", req.Code}, {"password", req.Password}} {
		if strings.TrimSpace(f.v) == "" {
			return apperr.E(apperr.Invalid, "error.field_required", "field", f.name)
		}
	}
	if err := s.Identity.ResetPasswordBySMS(r.Context(), identity.PasswordReset{Phone: req.Phone, Code: req.Code, Password: req.Password, IP: edge.ClientIP(r)}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type assuranceRequest struct {
	IDNumber string `json:"id_number"`
	Name     string `json:"name"`
	// Confirmed: the clerk saw the original ID card (身份证原件已核验).
	Confirmed bool `json:"confirmed"`
	// Phone and Code (optional): the person's mobile number and the code
	// texted to it (POST /api/v1/assurance/code), bound to the account.
	Phone string `json:"phone"`
	Code  string `json:"code"`
}

type assuranceResponse struct {
	UserID    string `json:"user_id"`
	Name      string `json:"name"`
	IDNumber  string `json:"id_number_masked"`
	Assurance int    `json:"assurance"`
	Changed   bool   `json:"changed"`
	Phone     string `json:"phone,omitempty"` // the number bound, masked
}

// verifyInPerson raises a person to L2: a clerk at a window saw their ID card.
func (s *Server) verifyInPerson(w http.ResponseWriter, r *http.Request) error {
	var req assuranceRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	v, err := s.Cases.VerifyInPerson(r.Context(), userFrom(r.Context()), cases.InPersonCheck{Number: req.IDNumber, Name: req.Name, Confirmed: req.Confirmed, Phone: req.Phone, Code: req.Code})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, assuranceResponse{UserID: v.Applicant.UserID, Name: v.Applicant.Name, IDNumber: v.Applicant.Masked, Assurance: identity.AssuranceL2, Changed: v.Changed, Phone: v.Phone})
	return nil
}

// enterpriseWindowRequest binds an enterprise to its legal representative
// at a window: the enterprise as its business licence names it, the person
// by ID number and name, the originals seen.
type enterpriseWindowRequest struct {
	CreditCode string `json:"credit_code"`
	Name       string `json:"name"`
	IDNumber   string `json:"legal_rep_id_number"`
	RepName    string `json:"legal_rep_name"`
	Confirmed  bool   `json:"confirmed"` // 营业执照与身份证原件已核验
}

// bindEnterpriseAtWindow: clerks of the enterprise's registering region.
func (s *Server) bindEnterpriseAtWindow(w http.ResponseWriter, r *http.Request) error {
	var req enterpriseWindowRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	res, err := s.Cases.BindEnterpriseAtWindow(r.Context(), userFrom(r.Context()), cases.EnterpriseCheck{CreditCode: req.CreditCode, Name: req.Name,
		Number: req.IDNumber, PersonName: req.RepName, Confirmed: req.Confirmed})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// assuranceCode texts a code to the number of the person at the window
// (purpose phone), which they read out to the clerk. Clerks only.
func (s *Server) assuranceCode(w http.ResponseWriter, r *http.Request) error {
	if !userFrom(r.Context()).Has(identity.RoleClerk) {
		return apperr.E(apperr.Forbidden, "error.forbidden")
	}
	var req codeRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	return s.sendCode(w, r, identity.CodeRequest{Phone: req.Phone, Purpose: identity.CodePhone, IP: edge.ClientIP(r)})
}
