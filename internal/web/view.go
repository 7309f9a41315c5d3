package web

import (
	"html/template"
	"net/http"

	"github.com/tongban/tongban/internal/edge"
	"github.com/tongban/tongban/internal/i18n"
	"github.com/tongban/tongban/internal/identity"
)

// View is what every template receives.
type View struct {
	Lang     i18n.Lang
	Care     bool
	User     *identity.User
	CSRF     string
	Path     string
	TitleKey string
	Notice   string         // a translated one-line notice (logged out, session expired)
	Problem  *edge.Problem  // an error to show on the page
	Data     map[string]any // page-specific values
	Demo     bool
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
	items := []NavItem{{Href: "/", Key: "nav.home"}}
	if v.User != nil {
		if v.User.HasAny(workbenchRoles...) {
			items = append(items, NavItem{Href: "/workbench", Key: "nav.workbench"})
		}
		if v.User.Has(identity.RoleSupervisor) {
			items = append(items, NavItem{Href: "/supervision", Key: "nav.supervision"})
		}
		if v.User.Has(identity.RoleAdmin) {
			items = append(items, NavItem{Href: "/admin", Key: "nav.admin"})
		}
		items = append(items, NavItem{Href: "/me", Key: "nav.me"})
	}
	for i := range items {
		items[i].Current = items[i].Href == v.Path
	}
	return items
}

var funcs = template.FuncMap{
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
