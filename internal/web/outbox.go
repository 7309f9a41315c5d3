package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/deliver"
	"github.com/tongban/tongban/internal/edge"
	"github.com/tongban/tongban/internal/i18n"
)

// contacts is the contact store: the same database and vault as identity.
func (s *Server) contacts() *deliver.Contacts {
	return &deliver.Contacts{DB: s.AuditDB, Vault: s.Identity.Vault()}
}

// saveContacts changes the visitor's own notification channels; bad input
// re-renders /me with the field's message and writes nothing.
func (s *Server) saveContacts(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "me.title")
	f := r.PostForm
	hour := func(name string) int {
		h, err := strconv.Atoi(strings.TrimSpace(f.Get(name)))
		if err != nil {
			return -1 // refused as out of range
		}
		return h
	}
	c := deliver.Contact{Phone: f.Get("phone"), Email: f.Get("email"), SMS: f.Get("sms") == "1", EmailOn: f.Get("email_on") == "1",
		Quiet: f.Get("quiet"), QuietEmail: f.Get("quiet_email") == "1"}
	if c.Quiet == deliver.QuietCustom {
		c.QuietFrom, c.QuietTo = hour("quiet_from"), hour("quiet_to")
	}
	err := s.contacts().Save(r.Context(), v.User, c)
	if apperr.CodeOf(err) == apperr.Invalid {
		p := edge.ProblemOf(r.Context(), v.Lang, err)
		v.Problem = &p
		v.Data["Contact"] = c
		return s.renderMe(w, r, v, http.StatusBadRequest)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/me?saved=contacts#contacts", http.StatusSeeOther)
	return nil
}

// adminOutbox shows the delivery figures and the dead letters.
func (s *Server) adminOutbox(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "outbox.title")
	letters, err := deliver.DeadLetters(r.Context(), s.AuditDB, v.User, s.Region, 200)
	if err != nil {
		return err
	}
	st, err := deliver.Figures(r.Context(), s.AuditDB)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("resent") != "" {
		v.Notice = v.T("outbox.resent")
	}
	type row struct {
		deliver.Letter
		KindLabel string
	}
	rows := make([]row, len(letters))
	for i, l := range letters {
		rows[i] = row{Letter: l, KindLabel: l.Kind}
		if k := "notify.kind." + l.Kind; i18n.Has(v.Lang, k) {
			rows[i].KindLabel = v.T(k)
		}
	}
	v.Data["Stats"] = st
	v.Data["Letters"] = rows
	s.render(w, r, http.StatusOK, "admin_outbox", v)
	return nil
}

// adminResend puts a dead letter back in the queue (audited).
func (s *Server) adminResend(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "outbox.title")
	if err := deliver.Resend(r.Context(), s.AuditDB, v.User, s.Region, r.PathValue("id")); err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/outbox?resent=1", http.StatusSeeOther)
	return nil
}
