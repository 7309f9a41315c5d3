package api

import (
	"net/http"

	"github.com/tongban/tongban/internal/deliver"
)

// contacts is the contact store: the same database and vault as identity.
func (s *Server) contacts() *deliver.Contacts {
	return &deliver.Contacts{DB: s.AuditDB, Vault: s.Identity.Vault()}
}

// myContacts answers one's own contact and chosen channels.
func (s *Server) myContacts(w http.ResponseWriter, r *http.Request) error {
	c, err := s.contacts().Get(r.Context(), userFrom(r.Context()))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

type contactsRequest struct {
	Phone      string `json:"phone"`
	Email      string `json:"email"`
	SMS        bool   `json:"sms"`
	EmailOn    bool   `json:"email_on"`
	Quiet      string `json:"quiet"` // default (also when absent) | none | custom
	QuietFrom  int    `json:"quiet_from"`
	QuietTo    int    `json:"quiet_to"`
	QuietEmail bool   `json:"quiet_email"`
}

// setContacts replaces one's own contact and chosen channels.
func (s *Server) setContacts(w http.ResponseWriter, r *http.Request) error {
	var req contactsRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	u := userFrom(r.Context())
	c := deliver.Contact{Phone: req.Phone, Email: req.Email, SMS: req.SMS, EmailOn: req.EmailOn,
		Quiet: req.Quiet, QuietFrom: req.QuietFrom, QuietTo: req.QuietTo, QuietEmail: req.QuietEmail}
	if err := s.contacts().Save(r.Context(), u, c); err != nil {
		return err
	}
	return s.myContacts(w, r)
}

// outbox answers the delivery figures and the dead letters (installation
// administrators).
func (s *Server) outbox(w http.ResponseWriter, r *http.Request) error {
	letters, err := deliver.DeadLetters(r.Context(), s.AuditDB, userFrom(r.Context()), s.Region, 200)
	if err != nil {
		return err
	}
	st, err := deliver.Figures(r.Context(), s.AuditDB)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"figures": st, "dead_letters": letters})
	return nil
}

// resend puts a dead letter back in the queue (audited).
func (s *Server) resend(w http.ResponseWriter, r *http.Request) error {
	if err := deliver.Resend(r.Context(), s.AuditDB, userFrom(r.Context()), s.Region, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
