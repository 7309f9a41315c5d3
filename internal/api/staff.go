package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/identity"
)

// Staff administration (issue 15; the rules are in identity/staffadmin.go).
// Every route is for administrators; the service scopes each account by the
// one scoping rule and answers 404 for an account outside the caller's scope.

type staffJSON struct {
	userJSON
	Phone              string `json:"phone"`
	Disabled           bool   `json:"disabled"`
	SecondFactor       bool   `json:"second_factor"`
	MustChangePassword bool   `json:"must_change_password"`
}

func toStaffJSON(u *identity.User, phone string) staffJSON {
	return staffJSON{userJSON: toUserJSON(u), Phone: phone, Disabled: u.Disabled, SecondFactor: u.SecondFactor, MustChangePassword: u.MustChangePassword}
}

type grantInput struct {
	Role         string `json:"role"`
	DepartmentID string `json:"department_id"`
	RegionCode   string `json:"region_code"`
}

func toGrants(in []grantInput) []identity.Grant {
	out := make([]identity.Grant, 0, len(in))
	for _, g := range in {
		out = append(out, identity.Grant{Role: identity.Role(g.Role), DepartmentID: g.DepartmentID, RegionCode: g.RegionCode})
	}
	return out
}

// staffAdmin is the administrator asking, or Forbidden.
func staffAdmin(r *http.Request) (*identity.User, error) {
	u := userFrom(r.Context())
	if !u.Has(identity.RoleAdmin) {
		return nil, apperr.E(apperr.Forbidden, "error.forbidden")
	}
	return u, nil
}

type staffPageJSON struct {
	Staff   []staffJSON `json:"staff"`
	Total   int         `json:"total"`
	Page    int         `json:"page"`
	PerPage int         `json:"per_page"`
}

func (s *Server) listStaff(w http.ResponseWriter, r *http.Request) error {
	by, err := staffAdmin(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := identity.StaffFilter{Role: q.Get("role"), DepartmentID: q.Get("department_id"), Region: q.Get("region"),
		Disabled: q.Get("disabled"), Query: q.Get("q")}
	for name, p := range map[string]*int{"page": &f.Page, "per_page": &f.PerPage} {
		if v := q.Get(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return apperr.E(apperr.Invalid, "staff.page_invalid", "field", name)
			}
			*p = n
		}
	}
	p, err := s.Identity.ListStaff(r.Context(), by, f)
	if err != nil {
		return err
	}
	out := staffPageJSON{Staff: []staffJSON{}, Total: p.Total, Page: p.Page, PerPage: p.PerPage}
	for _, u := range p.Staff {
		out.Staff = append(out.Staff, toStaffJSON(u, ""))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type newStaffRequest struct {
	Username string       `json:"username"`
	Name     string       `json:"name"`
	Phone    string       `json:"phone"`
	Grants   []grantInput `json:"grants"`
	// Invite gives an invitation link instead of a one-time password,
	// lasting InviteTTLHours (default 72, 1–168).
	Invite         bool `json:"invite"`
	InviteTTLHours int  `json:"invite_ttl_hours"`
}

type oneTimePasswordJSON struct {
	Staff *staffJSON `json:"staff,omitempty"`
	// OneTimePassword is shown this once; the account changes it at its
	// first login.
	OneTimePassword string `json:"one_time_password"`
}

// invitationJSON is an invitation link, shown this once.
type invitationJSON struct {
	URL       string    `json:"url"`
	Path      string    `json:"path"`
	ExpiresAt time.Time `json:"expires_at"`
}

type invitedStaffJSON struct {
	Staff      *staffJSON     `json:"staff"`
	Invitation invitationJSON `json:"invitation"`
}

func (s *Server) invitationJSON(r *http.Request, inv *identity.Invitation) invitationJSON {
	return invitationJSON{URL: s.baseURL(r) + inv.Path, Path: inv.Path, ExpiresAt: inv.ExpiresAt}
}

func (s *Server) createStaff(w http.ResponseWriter, r *http.Request) error {
	by, err := staffAdmin(r)
	if err != nil {
		return err
	}
	var req newStaffRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	in := identity.StaffInput{Username: req.Username, Name: req.Name, Phone: req.Phone, Grants: toGrants(req.Grants)}
	if !req.Invite && req.InviteTTLHours != 0 {
		return apperr.E(apperr.Invalid, "invite.ttl_without_invite", "field", "invite_ttl_hours")
	}
	if req.Invite {
		ttl, err := identity.InvitationTTL(req.InviteTTLHours)
		if err != nil {
			return err
		}
		u, inv, err := s.Identity.InviteStaffAccount(r.Context(), by, s.Region, in, ttl)
		if err != nil {
			return err
		}
		sj := toStaffJSON(u, req.Phone)
		w.Header().Set("Location", "/api/v1/admin/staff/"+u.ID)
		writeJSON(w, http.StatusCreated, invitedStaffJSON{Staff: &sj, Invitation: s.invitationJSON(r, inv)})
		return nil
	}
	u, otp, err := s.Identity.CreateStaffAccount(r.Context(), by, s.Region, in)
	if err != nil {
		return err
	}
	sj := toStaffJSON(u, req.Phone)
	w.Header().Set("Location", "/api/v1/admin/staff/"+u.ID)
	writeJSON(w, http.StatusCreated, oneTimePasswordJSON{Staff: &sj, OneTimePassword: otp})
	return nil
}

type invitationRequest struct {
	InviteTTLHours int `json:"invite_ttl_hours"`
}

// issueStaffInvitation gives the account a new invitation link (the open
// one is revoked), shown this once.
func (s *Server) issueStaffInvitation(w http.ResponseWriter, r *http.Request) error {
	by, err := staffAdmin(r)
	if err != nil {
		return err
	}
	var req invitationRequest
	if r.ContentLength != 0 {
		if err := decode(w, r, &req); err != nil {
			return err
		}
	}
	ttl, err := identity.InvitationTTL(req.InviteTTLHours)
	if err != nil {
		return err
	}
	inv, err := s.Identity.IssueStaffInvitation(r.Context(), by, s.Region, r.PathValue("id"), ttl)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, s.invitationJSON(r, inv))
	return nil
}

// revokeStaffInvitation ends the account's open invitation link.
func (s *Server) revokeStaffInvitation(w http.ResponseWriter, r *http.Request) error {
	by, err := staffAdmin(r)
	if err != nil {
		return err
	}
	if err := s.Identity.RevokeStaffInvitation(r.Context(), by, s.Region, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) getStaff(w http.ResponseWriter, r *http.Request) error {
	by, err := staffAdmin(r)
	if err != nil {
		return err
	}
	a, err := s.Identity.StaffAccountFor(r.Context(), by, s.Region, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toStaffJSON(a.User, a.Phone))
	return nil
}

type staffPatchRequest struct {
	Name         *string `json:"name"`
	Phone        *string `json:"phone"`
	Disabled     *bool   `json:"disabled"`
	DepartmentID *string `json:"department_id"`
}

func (s *Server) patchStaff(w http.ResponseWriter, r *http.Request) error {
	by, err := staffAdmin(r)
	if err != nil {
		return err
	}
	var req staffPatchRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	id := r.PathValue("id")
	err = s.Identity.UpdateStaffAccount(r.Context(), by, s.Region, id, identity.StaffPatch{
		Name: req.Name, Phone: req.Phone, Disabled: req.Disabled, DepartmentID: req.DepartmentID})
	if err != nil {
		return err
	}
	return s.getStaff(w, r)
}

type grantsRequest struct {
	Grants []grantInput `json:"grants"`
}

func (s *Server) putStaffGrants(w http.ResponseWriter, r *http.Request) error {
	by, err := staffAdmin(r)
	if err != nil {
		return err
	}
	var req grantsRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if err := s.Identity.SetStaffGrants(r.Context(), by, s.Region, r.PathValue("id"), toGrants(req.Grants)); err != nil {
		return err
	}
	return s.getStaff(w, r)
}

func (s *Server) resetStaffPassword(w http.ResponseWriter, r *http.Request) error {
	by, err := staffAdmin(r)
	if err != nil {
		return err
	}
	otp, err := s.Identity.ResetStaffPassword(r.Context(), by, s.Region, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, oneTimePasswordJSON{OneTimePassword: otp})
	return nil
}

func (s *Server) resetStaffSecondFactor(w http.ResponseWriter, r *http.Request) error {
	by, err := staffAdmin(r)
	if err != nil {
		return err
	}
	if err := s.Identity.ResetStaffSecondFactor(r.Context(), by, s.Region, r.PathValue("id")); err != nil {
		return err
	}
	return s.getStaff(w, r)
}

func (s *Server) unlockStaff(w http.ResponseWriter, r *http.Request) error {
	by, err := staffAdmin(r)
	if err != nil {
		return err
	}
	if err := s.Identity.UnlockStaff(r.Context(), by, s.Region, r.PathValue("id")); err != nil {
		return err
	}
	return s.getStaff(w, r)
}

type passwordRequest struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// changePassword changes the caller's own password; an account with a
// one-time password may call nothing else (wrap) until it has.
func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) error {
	var req passwordRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	token, _ := r.Context().Value(tokenKey{}).(string)
	u := userFrom(r.Context())
	if err := s.Identity.ChangePassword(r.Context(), u, token, req.CurrentPassword, req.NewPassword); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
