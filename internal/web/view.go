package web

import (
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/edge"
	"github.com/tongban/tongban/internal/i18n"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/site"
)

// View is what every template receives.
type View struct {
	Lang      i18n.Lang
	Care      bool
	User      *identity.User
	CSRF      string
	Path      string
	TitleKey  string
	TitleText string         // a title that is data (an item's name), used instead of TitleKey
	Notice    string         // a translated one-line notice (logged out, session expired)
	Problem   *edge.Problem  // an error to show on the page
	Data      map[string]any // page-specific values
	Demo      bool
	Unread    int        // the signed-in user's unread notifications
	Site      *site.Info // the installation's identity (header, footer); never nil
}

// T translates key with name, value argument pairs.
func (v *View) T(key string, kv ...any) string {
	var args map[string]any
	if len(kv) > 0 {
		args = map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			args[kv[i].(string)] = kv[i+1]
		}
	}
	return i18n.T(v.Lang, key, args)
}

// Pick returns the English text when the page is in English and there is
// one, else the Chinese.
func (v *View) Pick(zh, en string) string {
	if v.Lang == i18n.EN && en != "" {
		return en
	}
	return zh
}

// SiteRegion is the installation's region for the header, "" when the
// centre's name already says it (重庆市涪陵区行政服务中心 names 涪陵区).
func (v *View) SiteRegion() string {
	if v.Site == nil || v.Site.RegionName == "" || strings.Contains(v.Site.CentreName, v.Site.RegionName) {
		return ""
	}
	return v.Site.RegionName
}

// HTMLLang is the value of <html lang>.
func (v *View) HTMLLang() string { return string(v.Lang) }

// OtherLang is the language the switch offers.
func (v *View) OtherLang() string {
	if v.Lang == i18n.EN {
		return string(i18n.ZH)
	}
	return string(i18n.EN)
}

// NavItem is one entry of the main navigation.
type NavItem struct {
	Href, Key string
	Current   bool
}

// Nav lists the sections the visitor may enter: portal for everyone,
// workbench, supervision and administration by role.
func (v *View) Nav() []NavItem {
	items := []NavItem{{Href: "/", Key: "nav.home"}, {Href: "/items", Key: "nav.items"}, {Href: "/progress", Key: "nav.progress"}, {Href: "/verify", Key: "nav.verify"}, {Href: "/statistics", Key: "nav.statistics"}, {Href: "/appeals/new", Key: "nav.appeals"}}
	if v.User != nil {
		if v.User.Kind != identity.KindStaff || v.User.Has(identity.RoleAgent) {
			items = append(items, NavItem{Href: "/my/cases", Key: "nav.mycases"})
		}
		if v.User.Kind != identity.KindStaff {
			items = append(items, NavItem{Href: "/licences", Key: "nav.licences"}, NavItem{Href: "/me/appeals", Key: "nav.myappeals"})
		}
		if v.User.HasAny(appealStaffRoles...) {
			items = append(items, NavItem{Href: "/workbench/appeals", Key: "nav.workorders"})
		}
		if v.User.HasAny(workbenchRoles...) {
			items = append(items, NavItem{Href: "/workbench", Key: "nav.workbench"})
		}
		if v.User.HasAny(issuedRoles...) {
			// The issuing back office, and supervisors over their region (read-only).
			items = append(items, NavItem{Href: "/workbench/licences", Key: "nav.issued"})
		}
		if v.User.Has(identity.RoleAgent) {
			items = append(items, NavItem{Href: "/agent/mandates", Key: "nav.mandates"})
		}
		if v.User.Has(identity.RoleClerk) {
			items = append(items, NavItem{Href: "/workbench/intake", Key: "nav.intake"}, NavItem{Href: "/workbench/persons", Key: "nav.persons"},
				NavItem{Href: "/workbench/mandates", Key: "nav.mandate_checks"})
		}
		if v.User.HasAny(identity.RoleSupervisor, identity.RoleApprover) {
			items = append(items, NavItem{Href: "/supervision", Key: "nav.supervision"})
		}
		if v.User.Has(identity.RoleAdmin) {
			items = append(items, NavItem{Href: "/admin", Key: "nav.admin"}, NavItem{Href: "/admin/catalog", Key: "nav.catalog"})
		}
		items = append(items, NavItem{Href: "/me", Key: "nav.me"})
	}
	for i := range items {
		items[i].Current = items[i].Href == v.Path
	}
	return items
}

var funcs = template.FuncMap{
	"itemsURL":  itemsURL,
	"regionURL": regionURL,
	"has": func(vs []string, v string) bool {
		for _, x := range vs {
			if x == v {
				return true
			}
		}
		return false
	},
	"first": func(vs []string) string {
		if len(vs) == 0 {
			return ""
		}
		return vs[0]
	},
	"at": func(vs []string, i int) string {
		if i < len(vs) {
			return vs[i]
		}
		return ""
	},
	"join":    strings.Join,
	"badge":   func(v *View, depth, visits int) badgeArgs { return badgeArgs{v, depth, visits} },
	"prev":    func(s string) string { n, _ := strconv.Atoi(s); return strconv.Itoa(n - 1) },
	"intKey":  func(prefix string, n int) string { return prefix + strconv.Itoa(n) },
	"roleKey": func(r identity.Role) string { return "role." + string(r) },
	"when":    when,
	"dueDay":  dueDay,
	"neg":     func(n int) int { return -n },
	"pct":     func(f float64) string { return fmt.Sprintf("%.1f%%", f*100) },
	"inc":     func(n int) int { return n + 1 },
	"deref": func(p *int64) int64 {
		if p == nil {
			return -1
		}
		return *p
	},
	// townOf is the township of a 12-digit village code (a township's own code is itself).
	"townOf": func(code string) string {
		if len(code) == 12 && code[9:] != "000" {
			return code[:9] + "000"
		}
		return code
	},
	"splitLines": func(s string) []string { return strings.Split(s, "\n") },
	"actionArgs": func(v *View, name string) actionArgs { return actionArgs{v, name} },
	"materialName": func(it *catalog.Item, key string) string {
		if m, ok := it.Material(key); ok {
			return m.Name
		}
		return key
	},
	"needsReason":  func(a string) bool { return reasonActions[a] != 0 },
	"mustReason":   func(a string) bool { return reasonActions[a] == 2 },
	"needsComment": func(a string) bool { return reasonActions[a] == 0 && a != "claim" && a != "edit" && a != "supply" },
	"day":          day,
	"bytes":        bytesText,
	"date": func(t any) string { // the China date of an instant
		if s := when(t); len(s) >= 10 {
			return s[:10]
		}
		return ""
	},
	"left": left,
	// caseRow passes a page and one case of a list to the "casestatus" partial.
	"caseRow": func(v *View, c cases.Case) map[string]any { return map[string]any{"V": v, "C": c} },
	"str":     func(v any) string { return fmt.Sprint(v) },
	"kindKey": func(k identity.Kind) string { return "kind." + string(k) },
	// windowFields passes a page and a window (nil: a new one) to the window form's fields.
	"windowFields": func(v *View, w any) map[string]any { return map[string]any{"V": v, "W": w} },
	"mandateArgs":  func(v *View, m any) map[string]any { return map[string]any{"V": v, "M": m} },
	"scopeArgs":    func(v *View, f any, prefix string) map[string]any { return map[string]any{"V": v, "F": f, "P": prefix} },
	// invalid marks the input id of a refused form's faulty field (aria-invalid,
	// described by its message, which ferr writes).
	"invalid": func(v *View, form, field, id string) template.HTMLAttr { return invalid(v, form, field, id, "") },
	// invalidHint is invalid for an input described by a hint too.
	"invalidHint": invalid,
	// servesDept reports whether w (a window, nil for a new one) serves the department id.
	"servesDept": func(w any, id string) bool {
		win, ok := w.(catalog.Window)
		return ok && slices.Contains(win.Departments, id)
	},
	"regionNode": func(v *View, n *catalog.RegionNode) map[string]any { return map[string]any{"V": v, "N": n} },
	"num": func(p *float64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatFloat(*p, 'f', -1, 64)
	},
	"ferr": func(v *View, form, field, id string) template.HTML {
		msg := v.FieldError(form, field)
		if msg == "" {
			return ""
		}
		return template.HTML(`<span class="field-error" id="` + template.HTMLEscapeString(id) + `-err">` + template.HTMLEscapeString(msg) + `</span>`)
	},
}

func (s *Server) view(r *http.Request, titleKey string) *View {
	vis := visitorFrom(r)
	v := &View{
		Lang: vis.Lang, Care: vis.Care, User: vis.User, CSRF: vis.CSRF,
		Path: r.URL.Path, TitleKey: titleKey, Data: map[string]any{}, Demo: s.Demo, Site: s.Site.Shown(),
	}
	if v.User != nil && s.Notify != nil {
		n, err := s.Notify.Unread(r.Context(), v.User)
		if err != nil {
			slog.WarnContext(r.Context(), "web: unread notifications", "err", err)
		}
		v.Unread = n
	}
	return v
}

// bytesText is a file's size as people read it: 145 B, 12.3 KB, 4.0 MB.
func bytesText(n int64) string {
	switch {
	case n < 1024:
		return strconv.FormatInt(n, 10) + " B"
	case n < 1024*1024:
		return strconv.FormatFloat(float64(n)/1024, 'f', 1, 64) + " KB"
	default:
		return strconv.FormatFloat(float64(n)/(1024*1024), 'f', 1, 64) + " MB"
	}
}

// badgeArgs feeds the "badgeset" partial: online depth and visit badges.
type badgeArgs struct {
	V      *View
	Depth  int
	Visits int
}

// when shows an instant in China time; nil and zero show nothing.
func when(t any) string {
	switch x := t.(type) {
	case time.Time:
		if x.IsZero() {
			return ""
		}
		return x.In(calendar.China).Format("2006-01-02 15:04")
	case *time.Time:
		if x == nil {
			return ""
		}
		return when(*x)
	}
	return ""
}

// day shows the date of an instant in China time.
func day(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.In(calendar.China).Format("2006-01-02")
}

// deadlineBadge is how a list shows working days left: a class for the
// colour and the message.
type deadlineBadge struct {
	Class, Key string
	N          int
}

// left turns working days left into a badge: overdue (red), due today or
// tomorrow (warning), otherwise normal.
func left(n *int) *deadlineBadge {
	switch {
	case n == nil:
		return nil
	case *n < 0:
		return &deadlineBadge{"overdue", "due.overdue", -*n}
	case *n == 0:
		return &deadlineBadge{"warning", "due.today", 0}
	case *n == 1:
		return &deadlineBadge{"warning", "due.left", 1}
	}
	return &deadlineBadge{"normal", "due.left", *n}
}

// actionArgs feeds the "action" partial: the page and the action's name.
type actionArgs struct {
	V    *View
	Name string
}

// reasonActions take a reason: 2 when it is required, 1 when optional.
var reasonActions = map[string]int{"refuse": 2, "deny": 2, "return": 2, "terminate": 2, "transfer": 2, "extend": 2, "pause": 2,
	"withdraw": 1, "verify": 1, "assign": 1}

// maxPage bounds the page number of every listing (issue 14: the database
// skips every row before a page); pages past it, like malformed numbers,
// show the nearest page instead.
const maxPage = 10_000

// pageOf reads a page number for a listing: 1 to maxPage.
func pageOf(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 1
	}
	return min(n, maxPage)
}

// refused is the form the service refused on this page, if form is it.
func (v *View) refused(form string) *refusedForm {
	if rf, ok := v.Data["Refused"].(*refusedForm); ok && rf.ID == form {
		return rf
	}
	return nil
}

// Refused reports whether form is the one refused: shown open, as filled.
func (v *View) Refused(form string) bool { return v.refused(form) != nil }

// FormValue is field's value in form: as sent when the form was refused,
// else def (the stored value; "" for a new object).
func (v *View) FormValue(form, field, def string) string {
	if rf := v.refused(form); rf != nil {
		return rf.Values.Get(field)
	}
	return def
}

// FormChecked is a checkbox's state in form: as sent when the form was
// refused, else def.
func (v *View) FormChecked(form, field, value string, def bool) bool {
	if rf := v.refused(form); rf != nil {
		return slices.Contains(rf.Values[field], value)
	}
	return def
}

// FieldError is the fault of field in form, "" when it has none.
func (v *View) FieldError(form, field string) string {
	if rf := v.refused(form); rf != nil && rf.Field == field {
		return rf.Reason
	}
	return ""
}

// invalid marks the input id as described by the hint (an element id, ""
// for none) and, when it is a refused form's faulty field, as invalid and
// described by its message too.
func invalid(v *View, form, field, id, hint string) template.HTMLAttr {
	desc := hint
	attr := ""
	if v.FieldError(form, field) != "" {
		desc = strings.TrimSpace(hint + " " + id + "-err")
		attr = `aria-invalid="true" `
	}
	if desc == "" {
		return template.HTMLAttr(attr)
	}
	return template.HTMLAttr(attr + `aria-describedby="` + template.HTMLEscapeString(desc) + `"`)
}

// ServedTick is a division's box on /admin/regions: as sent when the form
// was refused, else whether it is served.
func (v *View) ServedTick(code string, served bool) bool {
	if rf := v.refused("regions"); rf != nil {
		return slices.Contains(rf.Values["served"], code)
	}
	return served
}
