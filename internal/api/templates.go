package api

import (
	"net/http"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/notify"
)

// templateKind describes a kind of notification to whoever edits its
// templates: the placeholders its messages carry.
type templateKind struct {
	Kind         string   `json:"kind"`
	Placeholders []string `json:"placeholders"`
}

// listTemplates lists the notification templates (installation administrators).
func (s *Server) listTemplates(w http.ResponseWriter, r *http.Request) error {
	if s.Templates == nil {
		return apperr.E(apperr.Unavailable, "error.unavailable")
	}
	list, err := s.Templates.List(r.Context(), userFrom(r.Context()))
	if err != nil {
		return err
	}
	kinds := []templateKind{}
	for _, k := range notify.KindKeys() {
		kinds = append(kinds, templateKind{Kind: k, Placeholders: notify.Kinds[k]})
	}
	writeJSON(w, http.StatusOK, map[string]any{"templates": list, "kinds": kinds, "channels": notify.Channels, "sms_max": notify.SMSMax})
	return nil
}

// putTemplate replaces one template ({"subject", "body"}) after validation.
func (s *Server) putTemplate(w http.ResponseWriter, r *http.Request) error {
	if s.Templates == nil {
		return apperr.E(apperr.Unavailable, "error.unavailable")
	}
	var req struct {
		Subject string `json:"subject"`
		Body    string `json:"body"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	t, err := s.Templates.Put(r.Context(), userFrom(r.Context()), notify.Template{Kind: r.PathValue("kind"), Channel: r.PathValue("channel"),
		Lang: r.PathValue("lang"), Subject: req.Subject, Body: req.Body})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"template": t})
	return nil
}
