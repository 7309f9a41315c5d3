package web

import (
	"net/http"
	"net/url"
	"slices"

	"github.com/tongban/tongban/internal/edge"
	"github.com/tongban/tongban/internal/i18n"
	"github.com/tongban/tongban/internal/notify"
)

// templateRow is one editable template of the chosen kind.
type templateRow struct {
	notify.Template
	Stored bool
}

// adminTemplates shows the notification templates of one kind (?kind=),
// every channel and language, for the installation's administrators.
func (s *Server) adminTemplates(w http.ResponseWriter, r *http.Request) error {
	return s.renderTemplates(w, r, http.StatusOK, r.URL.Query().Get("kind"), nil, nil)
}

func (s *Server) renderTemplates(w http.ResponseWriter, r *http.Request, status int, kind string, typed *notify.Template, problem error) error {
	v := s.view(r, "notify.templates_title")
	list, err := s.Templates.List(r.Context(), v.User)
	if err != nil {
		return err
	}
	kinds := notify.KindKeys()
	if !slices.Contains(kinds, kind) {
		kind = kinds[0]
	}
	var rows []templateRow
	for _, ch := range notify.Channels {
		for _, lang := range i18n.Langs {
			row := templateRow{Template: notify.Template{Kind: kind, Channel: ch, Lang: string(lang)}}
			if i := slices.IndexFunc(list, func(t notify.Template) bool { return t.Kind == kind && t.Channel == ch && t.Lang == string(lang) }); i >= 0 {
				row.Template, row.Stored = list[i], true
			}
			if typed != nil && typed.Channel == ch && typed.Lang == string(lang) {
				row.Subject, row.Body = typed.Subject, typed.Body // what was typed, to correct
			}
			rows = append(rows, row)
		}
	}
	v.Data["Kinds"], v.Data["Kind"], v.Data["Rows"], v.Data["Placeholders"] = kinds, kind, rows, notify.Kinds[kind]
	v.Data["Saved"] = r.URL.Query().Get("saved") != ""
	if problem != nil {
		p := edge.ProblemOf(r.Context(), v.Lang, problem)
		v.Problem, status = &p, p.Status
	}
	s.render(w, r, status, "admin_templates", v)
	return nil
}

// adminTemplateSave stores one template from its form.
func (s *Server) adminTemplateSave(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "notify.templates_title")
	t := notify.Template{Kind: r.PostForm.Get("kind"), Channel: r.PostForm.Get("channel"), Lang: r.PostForm.Get("lang"),
		Subject: r.PostForm.Get("subject"), Body: r.PostForm.Get("body")}
	if _, err := s.Templates.Put(r.Context(), v.User, t); err != nil {
		return s.renderTemplates(w, r, http.StatusBadRequest, t.Kind, &t, err)
	}
	http.Redirect(w, r, "/admin/templates?kind="+url.QueryEscape(t.Kind)+"&saved=1#t-"+url.QueryEscape(t.Channel+"-"+t.Lang), http.StatusSeeOther)
	return nil
}
