package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/edge"
	"github.com/tongban/tongban/internal/identity"
)

// Staff administration pages (issue 15): the list with its filters and the
// form that creates an account, and each account's page. The rules are the
// identity service's (identity/staffadmin.go); a refusal is shown on the
// page with its status, and nothing is written.

// staffData loads what the staff pages' forms offer: the roles the
// administrator may grant and the departments (public data) to pick from.
func (s *Server) staffData(r *http.Request, v *View) error {
	depts, err := s.Catalog.Departments(r.Context(), "")
	if err != nil {
		return err
	}
	v.Data["Departments"] = depts
	v.Data["Grantable"] = identity.GrantableRoles(v.User, s.Region)
	return nil
}

func (s *Server) adminStaff(w http.ResponseWriter, r *http.Request) error {
	return s.renderStaffList(w, r, http.StatusOK, nil, "")
}

func (s *Server) renderStaffList(w http.ResponseWriter, r *http.Request, status int, problem error, otp string) error {
	return s.renderStaffListWith(w, r, status, problem, otp, nil)
}

// renderStaffListWith renders the list with more data for the page
// (the accounts an import created, an invitation link), shown once.
func (s *Server) renderStaffListWith(w http.ResponseWriter, r *http.Request, status int, problem error, otp string, more map[string]any) error {
	v := s.view(r, "staff.title")
	for k, x := range more {
		v.Data[k] = x
	}
	q := r.URL.Query()
	page, _ := strconv.Atoi(q.Get("page"))
	f := identity.StaffFilter{Role: q.Get("role"), DepartmentID: q.Get("department_id"), Region: q.Get("region"),
		Disabled: q.Get("disabled"), Query: q.Get("q"), Page: page}
	list, err := s.Identity.ListStaff(r.Context(), v.User, f)
	if err != nil {
		return err
	}
	if err := s.staffData(r, v); err != nil {
		return err
	}
	v.Data["List"], v.Data["Filter"], v.Data["OTP"] = list, f, otp
	v.Data["Roles"] = []identity.Role{identity.RoleClerk, identity.RoleHandler, identity.RoleReviewer, identity.RoleApprover, identity.RoleAgent, identity.RoleSupervisor, identity.RoleAdmin}
	if list.Page > 1 {
		v.Data["Prev"] = list.Page - 1
	}
	if list.Page*list.PerPage < list.Total {
		v.Data["Next"] = list.Page + 1
	}
	if problem != nil {
		p := edge.ProblemOf(r.Context(), v.Lang, problem)
		v.Problem, status = &p, p.Status
	}
	if otp != "" || more != nil {
		w.Header().Set("Cache-Control", "no-store") // one-time passwords and links, shown once
	}
	s.render(w, r, status, "admin_staff", v)
	return nil
}

// formGrant is the grant of the form's role, department_id and region_code.
func formGrant(r *http.Request) identity.Grant {
	return identity.Grant{Role: identity.Role(r.PostForm.Get("role")), DepartmentID: r.PostForm.Get("department_id"), RegionCode: r.PostForm.Get("region_code")}
}

// formTTL reads the invitation's lifetime in hours ("" the default).
func formTTL(r *http.Request) (time.Duration, error) {
	h := 0
	if v := strings.TrimSpace(r.PostForm.Get("invite_ttl_hours")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return 0, apperr.E(apperr.Invalid, "invite.ttl", "field", "invite_ttl_hours", "min", 1, "max", 168)
		}
		h = n
	}
	return identity.InvitationTTL(h)
}

// adminStaffCreate creates an account with one grant (more are added on its
// page) and shows its one-time password, or its invitation link, once.
func (s *Server) adminStaffCreate(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "staff.title")
	in := identity.StaffInput{Username: r.PostForm.Get("username"), Name: r.PostForm.Get("name"), Phone: r.PostForm.Get("phone"),
		Grants: []identity.Grant{formGrant(r)}}
	var u *identity.User
	var otp string
	var inv *identity.Invitation
	var err error
	if r.PostForm.Get("credential") == "invite" {
		var ttl time.Duration
		if ttl, err = formTTL(r); err == nil {
			u, inv, err = s.Identity.InviteStaffAccount(r.Context(), v.User, s.Region, in, ttl)
		}
	} else {
		u, otp, err = s.Identity.CreateStaffAccount(r.Context(), v.User, s.Region, in)
	}
	if err != nil && apperr.CodeOf(err) != apperr.Internal && apperr.CodeOf(err) != apperr.Unavailable {
		return s.renderStaffList(w, r, http.StatusBadRequest, err, "")
	}
	if err != nil {
		return err
	}
	if inv != nil {
		return s.renderAccountInvite(w, r, u.ID, inv)
	}
	return s.renderAccount(w, r, u.ID, http.StatusOK, nil, otp)
}

// renderAccountInvite shows the account's page with its new invitation
// link, this once.
func (s *Server) renderAccountInvite(w http.ResponseWriter, r *http.Request, id string, inv *identity.Invitation) error {
	r = r.WithContext(context.WithValue(r.Context(), inviteKey{}, inv))
	return s.renderAccount(w, r, id, http.StatusOK, nil, "")
}

type inviteKey struct{}

func (s *Server) adminStaffAccount(w http.ResponseWriter, r *http.Request) error {
	return s.renderAccount(w, r, r.PathValue("id"), http.StatusOK, nil, "")
}

func (s *Server) renderAccount(w http.ResponseWriter, r *http.Request, id string, status int, problem error, otp string) error {
	v := s.view(r, "staff.account_title")
	a, err := s.Identity.StaffAccountFor(r.Context(), v.User, s.Region, id)
	if err != nil {
		return err
	}
	if err := s.staffData(r, v); err != nil {
		return err
	}
	v.Data["Account"], v.Data["OTP"] = a, otp
	if until, err := s.Identity.StaffInvitationOpen(r.Context(), id); err != nil {
		return err
	} else if !until.IsZero() {
		v.Data["InviteOpen"] = until
	}
	if inv, ok := r.Context().Value(inviteKey{}).(*identity.Invitation); ok {
		v.Data["Invite"] = map[string]any{"URL": edge.BaseURL(r, s.PublicURL, s.SecureCookies) + inv.Path, "ExpiresAt": inv.ExpiresAt}
		w.Header().Set("Cache-Control", "no-store") // the link, shown once
	}
	if problem != nil {
		p := edge.ProblemOf(r.Context(), v.Lang, problem)
		v.Problem, status = &p, p.Status
	}
	if otp != "" {
		w.Header().Set("Cache-Control", "no-store") // the one-time password, shown once
	}
	s.render(w, r, status, "admin_staff_account", v)
	return nil
}

// adminStaffPost is every change of one account's page, by its action.
func (s *Server) adminStaffPost(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "staff.account_title")
	id, ctx, by := r.PathValue("id"), r.Context(), v.User
	var err error
	otp := ""
	switch r.PostForm.Get("action") {
	case "save":
		name, phone := r.PostForm.Get("name"), r.PostForm.Get("phone")
		err = s.Identity.UpdateStaffAccount(ctx, by, s.Region, id, identity.StaffPatch{Name: &name, Phone: &phone})
	case "disable", "enable":
		off := r.PostForm.Get("action") == "disable"
		err = s.Identity.UpdateStaffAccount(ctx, by, s.Region, id, identity.StaffPatch{Disabled: &off})
	case "move":
		dept := r.PostForm.Get("department_id")
		err = s.Identity.UpdateStaffAccount(ctx, by, s.Region, id, identity.StaffPatch{DepartmentID: &dept})
	case "password":
		otp, err = s.Identity.ResetStaffPassword(ctx, by, s.Region, id)
	case "second_factor":
		err = s.Identity.ResetStaffSecondFactor(ctx, by, s.Region, id)
	case "unlock":
		err = s.Identity.UnlockStaff(ctx, by, s.Region, id)
	case "invite":
		var ttl time.Duration
		if ttl, err = formTTL(r); err == nil {
			var inv *identity.Invitation
			if inv, err = s.Identity.IssueStaffInvitation(ctx, by, s.Region, id, ttl); err == nil {
				return s.renderAccountInvite(w, r, id, inv)
			}
		}
	case "invite_revoke":
		err = s.Identity.RevokeStaffInvitation(ctx, by, s.Region, id)
	case "grant_add", "grant_remove":
		var a *identity.StaffAccount
		if a, err = s.Identity.StaffAccountFor(ctx, by, s.Region, id); err != nil {
			return err
		}
		gs := a.Grants
		if r.PostForm.Get("action") == "grant_add" {
			gs = append(gs, formGrant(r))
		} else {
			i, perr := strconv.Atoi(r.PostForm.Get("index"))
			if perr != nil || i < 0 || i >= len(gs) {
				return apperr.E(apperr.Invalid, "staff.grant_index")
			}
			gs = append(gs[:i:i], gs[i+1:]...)
		}
		err = s.Identity.SetStaffGrants(ctx, by, s.Region, id, gs)
	default:
		return apperr.E(apperr.Invalid, "admin.unknown_action")
	}
	switch apperr.CodeOf(err) {
	case "":
	case apperr.Invalid, apperr.Forbidden, apperr.Conflict:
		return s.renderAccount(w, r, id, http.StatusBadRequest, err, "")
	case apperr.NotFound:
		if apperr.As(err).Key == "invite.none" {
			return s.renderAccount(w, r, id, http.StatusNotFound, err, "")
		}
		return err
	default:
		return err
	}
	if otp != "" {
		return s.renderAccount(w, r, id, http.StatusOK, nil, otp)
	}
	http.Redirect(w, r, "/admin/staff/"+id+"?done="+r.PostForm.Get("action"), http.StatusSeeOther)
	return nil
}

// adminStaffExport downloads the staff exchange document of the accounts
// the administrator sees, as a workbook (?format=xlsx) or JSON.
func (s *Server) adminStaffExport(w http.ResponseWriter, r *http.Request) error {
	format := r.URL.Query().Get("format")
	if format != "" && format != "json" && format != "xlsx" {
		return apperr.E(apperr.Invalid, "catalog.exchange_format", "value", format)
	}
	ex, err := s.Identity.ExportStaff(r.Context(), visitorFrom(r).User)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	ctype, name := "application/json; charset=utf-8", "staff.json"
	if format == "xlsx" {
		ctype, name = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "staff.xlsx"
		err = ex.WriteXLSX(&buf)
	} else {
		err = json.NewEncoder(&buf).Encode(ex)
	}
	if err != nil {
		return apperr.Internalf("web: staff export", err)
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	edge.Transfer(w)
	w.Write(buf.Bytes())
	return nil
}

// adminStaffImport takes an uploaded workbook (.xlsx) or JSON file of the
// staff exchange: every fault is listed (the workbook's by sheet, row and
// column) and a file with any imports nothing; the accounts created are
// listed with their one-time passwords, shown this once.
func (s *Server) adminStaffImport(w http.ResponseWriter, r *http.Request) error {
	v := visitorFrom(r)
	file, hdr, err := r.FormFile("file")
	if err != nil {
		return apperr.E(apperr.Invalid, "admin.import_no_file")
	}
	defer file.Close()
	var ex *identity.StaffExchange
	var loc identity.StaffLocator
	if strings.EqualFold(path.Ext(hdr.Filename), ".xlsx") {
		ex, loc, err = identity.ReadStaffXLSX(file)
	} else {
		ex = &identity.StaffExchange{}
		dec := json.NewDecoder(io.LimitReader(file, 32<<20))
		dec.DisallowUnknownFields()
		if derr := dec.Decode(ex); derr != nil {
			err = apperr.E(apperr.Invalid, "catalog.import_json", "error", derr.Error())
		}
	}
	if err == nil {
		err = edge.CheckValue(ex) // the file's texts, as any input's
	}
	var created []identity.ImportedStaff
	if err == nil {
		created, err = s.Identity.ImportStaffFrom(r.Context(), v.User, s.Region, *ex, loc)
	}
	if err != nil {
		if c := apperr.CodeOf(err); c == apperr.Internal || c == apperr.Unavailable {
			return err
		}
		return s.renderStaffList(w, r, http.StatusBadRequest, err, "")
	}
	return s.renderStaffListWith(w, r, http.StatusOK, nil, "", map[string]any{"Imported": created})
}
