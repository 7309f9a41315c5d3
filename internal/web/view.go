package web

import (
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/tongban/tongban/internal/edge"
	"github.com/tongban/tongban/internal/i18n"
	"github.com/tongban/tongban/internal/identity"
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
	items := []NavItem{{Href: "/", Key: "nav.home"}, {Href: "/items", Key: "nav.items"}}
	if v.User != nil {
		if v.User.HasAny(workbenchRoles...) {
			items = append(items, NavItem{Href: "/workbench", Key: "nav.workbench"})
		}
		if v.User.Has(identity.RoleClerk) {
			items = append(items, NavItem{Href: "/workbench/intake", Key: "nav.intake"})
		}
		if v.User.Has(identity.RoleSupervisor) {
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
	"itemsURL": itemsURL,
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
	"kindKey": func(k identity.Kind) string { return "kind." + string(k) },
}

func (s *Server) view(r *http.Request, titleKey string) *View {
	vis := visitorFrom(r)
	return &View{
		Lang: vis.Lang, Care: vis.Care, User: vis.User, CSRF: vis.CSRF,
		Path: r.URL.Path, TitleKey: titleKey, Data: map[string]any{}, Demo: s.Demo,
	}
}

// badgeArgs feeds the "badgeset" partial: online depth and visit badges.
type badgeArgs struct {
	V      *View
	Depth  int
	Visits int
}
