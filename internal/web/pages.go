package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/edge"
	"github.com/tongban/tongban/internal/license"
	"github.com/tongban/tongban/internal/supervise"

	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/i18n"
	"github.com/tongban/tongban/internal/identity"
)

func parseLang(s string) (string, bool) {
	l, ok := i18n.Parse(s)
	return string(l), ok
}

// admin lists the staff accounts within the administrator's regions and the
// loaded working-day calendar years.
func (s *Server) admin(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "admin.title")
	staff, err := s.Identity.StaffVisibleTo(r.Context(), v.User)
	if err != nil {
		return err
	}
	v.Data["Staff"] = staff
	steps, err := s.firstSteps(r, v, staff)
	if err != nil {
		return err
	}
	v.Data["FirstSteps"] = steps
	cal := s.Calendars.For(s.Region)
	type yearRow struct {
		Year   int
		Source string
	}
	var years []yearRow
	for _, y := range cal.Years() {
		years = append(years, yearRow{y, cal.Source(y)})
	}
	v.Data["Years"], v.Data["CalendarFallback"] = years, cal.Fallback()
	if missing := calendar.Unannounced(cal, s.Now()); len(missing) > 0 {
		v.Data["Unannounced"] = calendar.YearList(missing)
	}
	if s.SupervisionAdmin != nil {
		set, err := s.SupervisionAdmin.Settings(r.Context(), v.User)
		if err != nil {
			return err
		}
		v.Data["Supervision"] = set
		v.Data["RuleClocks"], v.Data["RuleActions"], v.Data["RuleRoles"] = supervise.RuleClocks, supervise.RuleActions, supervise.RuleRoles
		v.Data["RuleLevels"] = []string{"warning", "yellow", "red"}
	}
	if s.Licences != nil {
		types, err := license.Types(r.Context(), s.AuditDB)
		if err != nil {
			return err
		}
		// The form edits the chosen type, or starts from the first.
		var edit *license.Type
		for i := range types {
			if types[i].Code == r.URL.Query().Get("licence_type") || (edit == nil && i == 0) {
				edit = &types[i]
			}
		}
		v.Data["LicenceTypes"] = types
		if edit != nil {
			b, _ := json.MarshalIndent(edit, "", "  ")
			v.Data["LicenceTypeJSON"] = string(b)
		}
	}
	s.render(w, r, http.StatusOK, "admin", v)
	return nil
}

// firstStep is one step of a fresh installation's first use, and the page
// that does it.
type firstStep struct {
	ID, Key, Href string
	Done          bool
}

// firstSteps lists the first steps of the organisation the administrator
// covers while some is not done; nil when every one is.
func (s *Server) firstSteps(r *http.Request, v *View, staff []*identity.User) ([]firstStep, error) {
	p, err := s.Catalog.Progress(r.Context(), v.User)
	if err != nil {
		return nil, err
	}
	// Staff with grants: an account other than the administrator's own
	// holding a role of the workbench.
	granted := slices.ContainsFunc(staff, func(u *identity.User) bool {
		return u.ID != v.User.ID && slices.ContainsFunc(u.Grants, func(g identity.Grant) bool { return slices.Contains(workbenchRoles, g.Role) })
	})
	steps := []firstStep{
		{"regions", "first.regions", "/admin/regions", p.ServedRegions > 0},
		{"department", "first.department", "/admin/organisation#new-department", p.Departments > 0},
		{"hall", "first.hall", "/admin/organisation#new-hall", p.Halls > 0},
		{"window", "first.window", "/admin/organisation#halls", p.Windows > 0},
		{"staff", "first.staff", "/admin/staff", granted},
		{"item", "first.item", "/admin/catalog/new", p.PublishedItems > 0},
	}
	if !slices.ContainsFunc(steps, func(st firstStep) bool { return !st.Done }) {
		return nil, nil
	}
	return steps, nil
}

// adminThresholds sets (or, with "delete", removes) signal thresholds.
func (s *Server) adminThresholds(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "admin.title")
	region, itemType := r.PostFormValue("region_code"), r.PostFormValue("item_type")
	var err error
	if r.PostFormValue("delete") != "" {
		err = s.SupervisionAdmin.DeleteThresholds(r.Context(), v.User, region, itemType)
	} else {
		// Not a number (or beyond int): -1, which the thresholds' check
		// refuses, rather than 0 or the clamped value strconv returns.
		num := func(k string) int {
			n, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue(k)))
			if err != nil {
				return -1
			}
			return n
		}
		err = s.SupervisionAdmin.SetThresholds(r.Context(), v.User, supervise.ThresholdRow{Region: region, ItemType: itemType,
			Thresholds: supervise.Thresholds{Warn: num("warn_days"), Yellow: num("yellow_days"), Red: num("red_days")}})
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/admin#supervision", http.StatusSeeOther)
	return nil
}

// adminNewRule adds an escalation rule (enabled); SetRule refuses what a
// rule may not combine.
func (s *Server) adminNewRule(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "admin.title")
	rule := supervise.RuleView{Rule: supervise.Rule{Region: strings.TrimSpace(r.PostFormValue("region_code")),
		Clock: supervise.Clock(r.PostFormValue("clock")), State: strings.TrimSpace(r.PostFormValue("state")),
		Action: supervise.Action(r.PostFormValue("action"))}, LevelName: r.PostFormValue("level")}
	if rule.Action == supervise.ActEscalate {
		rule.Role = r.PostFormValue("role") // only an escalation names a role
	}
	if _, err := s.SupervisionAdmin.AddRule(r.Context(), v.User, rule); err != nil {
		return err
	}
	http.Redirect(w, r, "/admin#rules", http.StatusSeeOther)
	return nil
}

// adminRule enables or disables an escalation rule.
func (s *Server) adminRule(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "admin.title")
	set, err := s.SupervisionAdmin.Settings(r.Context(), v.User)
	if err != nil {
		return err
	}
	for _, rule := range set.Rules {
		if rule.ID == r.PathValue("id") {
			rule.Enabled = r.PostFormValue("enabled") == "1"
			if err := s.SupervisionAdmin.SetRule(r.Context(), v.User, rule); err != nil {
				return err
			}
			http.Redirect(w, r, "/admin#supervision", http.StatusSeeOther)
			return nil
		}
	}
	return apperr.E(apperr.NotFound, "supervise.rule_unknown")
}

// me shows the visitor's own account; their own identifiers are shown masked.
func (s *Server) me(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "me.title")
	if r.URL.Query().Get("saved") == "contacts" {
		v.Notice = v.T("contacts.saved")
	}
	return s.renderMe(w, r, v, http.StatusOK)
}

// renderMe renders the account page with the profile and, unless the
// caller set it (a refused form), the visitor's notification channels.
func (s *Server) renderMe(w http.ResponseWriter, r *http.Request, v *View, status int) error {
	p, err := s.Identity.Profile(r.Context(), v.User)
	if err != nil {
		return err
	}
	v.Data["Profile"] = p
	if v.User.Kind != identity.KindStaff {
		// 我的办件: the newest few and how many in all (issue 17: the page
		// said "您还没有办件" to 张三, who has twelve).
		list, total, err := s.Cases.List(r.Context(), v.User, cases.Filter{PerPage: 5})
		if err != nil {
			return err
		}
		v.Data["MyCases"], v.Data["MyTotal"] = list, total
	}
	if _, ok := v.Data["Contact"]; !ok {
		c, err := s.contacts().Get(r.Context(), v.User)
		if err != nil {
			return err
		}
		v.Data["Contact"] = c
	}
	s.render(w, r, status, "me", v)
	return nil
}

// adminLicenceType saves a licence type from its JSON (types are data).
func (s *Server) adminLicenceType(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "admin.title")
	if s.Licences == nil {
		return apperr.E(apperr.Unavailable, "licence.unavailable")
	}
	var t license.Type
	dec := json.NewDecoder(strings.NewReader(r.PostFormValue("type_json")))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&t); err != nil {
		return apperr.E(apperr.Invalid, "error.bad_json", "detail", err.Error())
	}
	if err := edge.CheckValue(&t); err != nil { // "\u0000" in the text is a NUL all the same
		return err
	}
	if err := s.Licences.DefineType(r.Context(), v.User, t); err != nil {
		return err
	}
	http.Redirect(w, r, "/admin?licence_type="+url.QueryEscape(t.Code)+"#licence-types", http.StatusSeeOther)
	return nil
}
