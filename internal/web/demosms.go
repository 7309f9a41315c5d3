package web

import (
	"net/http"

	"github.com/tongban/tongban/internal/apperr"
)

// demoSMS shows the short messages the demo "sent" (deliver.Screen): the
// demo has no phones, and a reviewer registers and signs in by SMS code
// from here. Outside demo mode there is no such page.
func (s *Server) demoSMS(w http.ResponseWriter, r *http.Request) error {
	if s.Screen == nil {
		return apperr.E(apperr.NotFound, "error.not_found")
	}
	v := s.view(r, "demosms.title")
	v.Data["Messages"] = s.Screen.Messages()
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, http.StatusOK, "demo_sms", v)
	return nil
}
