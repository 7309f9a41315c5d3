package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/edge"
	"github.com/tongban/tongban/internal/identity"
)

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
	// Code is the second factor of accounts that have one (administrators,
	// supervisors): a TOTP code or a recovery code.
	Code string `json:"code"`
	// Phone and SMSCode sign a person or an organisation in by SMS code
	// (asked with POST /api/v1/auth/sms-code, purpose login) instead of
	// a user name and password.
	Phone   string `json:"phone"`
	SMSCode string `json:"sms_code"`
}

type loginResponse struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	User      userJSON  `json:"user"`
}

type userJSON struct {
	ID          string      `json:"id"`
	Username    string      `json:"username"`
	Kind        string      `json:"kind"`
	DisplayName string      `json:"display_name"`
	Roles       []string    `json:"roles"`
	Grants      []grantJSON `json:"grants"`
	// MustChangePassword: the account logs in with a one-time password and
	// may call only POST /api/v1/me/password (and /me, logout) until changed.
	MustChangePassword bool `json:"must_change_password"`
	// Assurance is a person's level of assurance: 1 self-registered, 2
	// verified face to face at a window (absent for other accounts).
	Assurance int `json:"assurance,omitempty"`
}

type grantJSON struct {
	Role         string `json:"role"`
	DepartmentID string `json:"department_id,omitempty"`
	Department   string `json:"department,omitempty"`
	RegionCode   string `json:"region_code,omitempty"`
	Region       string `json:"region,omitempty"`
}

func toUserJSON(u *identity.User) userJSON {
	j := userJSON{ID: u.ID, Username: u.Username, Kind: string(u.Kind), DisplayName: u.DisplayName, Roles: []string{}, Grants: []grantJSON{}, MustChangePassword: u.MustChangePassword}
	if u.Kind == identity.KindPerson {
		j.Assurance = max(u.Assurance, identity.AssuranceL1)
	}
	for _, r := range u.Roles() {
		j.Roles = append(j.Roles, string(r))
	}
	for _, g := range u.Grants {
		j.Grants = append(j.Grants, grantJSON{Role: string(g.Role), DepartmentID: g.DepartmentID, Department: g.DepartmentName, RegionCode: g.RegionCode, Region: g.RegionName})
	}
	return j
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	var req loginRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Phone != "" || req.SMSCode != "" {
		if strings.TrimSpace(req.SMSCode) == "" {
			return apperr.E(apperr.Invalid, "error.field_required", "field", "sms_code")
		}
		res, err := s.Identity.LoginBySMS(r.Context(), identity.SMSLogin{Phone: req.Phone, Code: req.SMSCode, Kind: identity.SessionAPI, IP: edge.ClientIP(r), UserAgent: r.UserAgent()})
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, loginResponse{Token: res.Token, ExpiresAt: res.Session.ExpiresAt, User: toUserJSON(res.User)})
		return nil
	}
	if strings.TrimSpace(req.Username) == "" {
		return apperr.E(apperr.Invalid, "error.field_required", "field", "username")
	}
	if req.Password == "" {
		return apperr.E(apperr.Invalid, "error.field_required", "field", "password")
	}
	token, sess, u, err := s.Identity.Login(r.Context(), identity.LoginRequest{
		Username: req.Username, Password: req.Password, Code: req.Code, Kind: identity.SessionAPI,
		IP: edge.ClientIP(r), UserAgent: r.UserAgent(),
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, loginResponse{Token: token, ExpiresAt: sess.ExpiresAt, User: toUserJSON(u)})
	return nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	token, _ := r.Context().Value(tokenKey{}).(string)
	if err := s.Identity.Logout(r.Context(), token); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, toUserJSON(userFrom(r.Context())))
	return nil
}
