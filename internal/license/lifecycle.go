package license

import (
	"context"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
)

// Actions that change a licence's status, and the status each leads to from
// the statuses it may start from. Revocation is final.
var transitions = map[string]struct {
	to   string
	from []string
}{
	"suspend": {StatusSuspended, []string{StatusValid}},
	"resume":  {StatusValid, []string{StatusSuspended}},
	"revoke":  {StatusRevoked, []string{StatusValid, StatusSuspended, StatusExpired}},
}

// Event is one change in a licence's history.
type Event struct {
	Action string    `json:"action"` // issue, suspend, resume, revoke, expire
	Reason string    `json:"reason,omitempty"`
	Actor  string    `json:"actor,omitempty"`
	At     time.Time `json:"at"`
}

// SetStatus suspends, resumes or revokes a licence with a reason — an
// approver of the issuing department. Verification reflects it at once.
func (s *Service) SetStatus(ctx context.Context, u *identity.User, identifier, action, reason string) (*Licence, error) {
	if u == nil {
		return nil, apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	tr, ok := transitions[action]
	if !ok {
		return nil, apperr.E(apperr.Invalid, "licence.action_unknown", "action", action)
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return nil, apperr.E(apperr.Invalid, "licence.reason_required")
	}
	if utf8.RuneCountInString(reason) > 500 {
		return nil, apperr.E(apperr.Invalid, "licence.reason_too_long", "max", 500)
	}
	var l *Licence
	err := s.DB.Update(ctx, func(tx *db.Tx) error {
		var err error
		if l, err = s.byIdentifier(tx, identifier); err != nil {
			return err
		}
		if !staffReads(u, l) {
			if l.HolderID == u.ID {
				return apperr.E(apperr.Forbidden, "error.forbidden")
			}
			return apperr.E(apperr.NotFound, "licence.not_found")
		}
		if !CanManage(u, l) {
			return apperr.E(apperr.Forbidden, "licence.approver_only")
		}
		if !contains(tr.from, l.Status) {
			return apperr.E(apperr.Conflict, "licence.status_conflict", "action", action, "status", l.Status)
		}
		if err := s.change(tx, l.ID, tr.to, reason, u.ID, u.DisplayName); err != nil {
			return err
		}
		l, err = s.byIdentifier(tx, identifier)
		return err
	})
	if err != nil {
		return nil, apperr.Internalf("license: set status", err)
	}
	return l, nil
}

// CanManage: u may suspend, resume or revoke l — an approver of the
// issuing department whose grant covers the region l was issued for.
func CanManage(u *identity.User, l *Licence) bool {
	return u.ScopeOf(identity.RoleApprover).Covers(l.DepartmentID, l.Region)
}

// change writes a status change with its event and audit record.
func (s *Service) change(tx *db.Tx, licenceID, status, reason, actorID, actorName string) error {
	if _, err := tx.Exec(`UPDATE licences SET status = $1, status_reason = $2, updated_at = $3 WHERE id = $4`,
		status, reason, tx.Now, licenceID); err != nil {
		return err
	}
	action := map[string]string{StatusSuspended: "suspend", StatusValid: "resume", StatusRevoked: "revoke"}[status]
	if err := event(tx, licenceID, action, reason, actorID, actorName); err != nil {
		return err
	}
	body, _ := json.Marshal(map[string]string{"status": status, "reason": reason})
	return s.audit(tx, actorID, "approver", "licence."+action, licenceID, body)
}

// Events is a licence's history, oldest first.
func (s *Service) Events(ctx context.Context, l *Licence) ([]Event, error) {
	var out []Event
	err := s.DB.View(ctx, func(tx *db.Tx) error {
		rows, err := tx.Query(`SELECT action, reason, actor_name, at FROM licence_events WHERE licence_id = $1 ORDER BY at, id`, l.ID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e Event
			if err := rows.Scan(&e.Action, &e.Reason, &e.Actor, &e.At); err != nil {
				return err
			}
			out = append(out, e)
		}
		return rows.Err()
	})
	return out, apperr.Internalf("license: events", err)
}

// NoteExpired records an "expire" event for each licence whose validity
// ended before today and that was not noted yet; verification already
// reads expiry from the date, this puts it in the history and the audit
// log. Safe to run in several replicas: each licence is noted once.
func (s *Service) NoteExpired(ctx context.Context) (int, error) {
	n := 0
	err := s.DB.Update(ctx, func(tx *db.Tx) error {
		ids, err := tx.Strings(`SELECT id FROM licences WHERE expired_noted = FALSE AND valid_to IS NOT NULL AND valid_to < $1
			ORDER BY valid_to LIMIT 500`, Today(tx.Now))
		if err != nil {
			return err
		}
		for _, id := range ids {
			res, err := tx.Exec(`UPDATE licences SET expired_noted = TRUE, updated_at = $1 WHERE id = $2 AND expired_noted = FALSE`, tx.Now, id)
			if err != nil {
				return err
			}
			if k, _ := res.RowsAffected(); k == 0 {
				continue
			}
			if err := event(tx, id, "expire", "", "system", ""); err != nil {
				return err
			}
			if err := s.audit(tx, "", "system", "licence.expire", id, nil); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, apperr.Internalf("license: note expired", err)
}
