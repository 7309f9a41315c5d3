// Package queue runs a service hall's queue (取号叫号, issue 19): the hall's
// services (a ticket prefix, a typical duration, the items served), which
// windows serve which services, staff signed on to windows, tickets with
// numbers unique and gapless per hall, prefix and China day, priority
// classes (data), calling at a window's console, the display board's state
// and the figures.
//
// A ticket's number is given in the ticket's transaction from a counter row
// per (hall, prefix, day) incremented there (queue_counters): a transaction
// that rolls back gives its number back, concurrent takes wait on the row,
// and every replica shares it.
package queue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/notify"
	"github.com/tongban/tongban/internal/vault"
)

// Sources of a ticket.
const (
	SourceKiosk   = "kiosk"   // the hall's self-service terminal, anonymous
	SourceDesk    = "desk"    // the reception desk (导服台), a clerk
	SourceBooking = "booking" // a booking checked in (the caller's transaction)
	SourceAgent   = "agent"   // a village agent for a villager
	SourceOnline  = "online"  // the person, signed in (booking check-in online)
)

// Sources lists every source of a ticket.
var Sources = []string{SourceKiosk, SourceDesk, SourceBooking, SourceAgent, SourceOnline}

// States of a ticket.
const (
	StateWaiting = "waiting" // in the queue
	StateCalled  = "called"  // called to a window, not yet served
	StateServing = "serving" // being served at a window
	StateHeld    = "held"    // put aside at a window (挂起), back with resume
	StateDone    = "done"    // served
	StateVoid    = "void"    // 过号 after the last recall, or cancelled
)

// PriorityNormal is the class of a ticket that names none.
const PriorityNormal = "normal"

// MaxRecalls is N: a ticket is called at most 1+N times; skipped after the
// N-th recall it is void.
const MaxRecalls = 3

// NearAhead is how many people ahead trigger the "即将到号" message.
const NearAhead = 3

// NearKind is the notification template of the "即将到号" message: the
// number, the hall and how many are ahead, no personal data.
const NearKind = "queue_near"

// NearDedup is the cause of a ticket's "即将到号" message (the
// notification's dedup): the dispatcher finds the ticket by it, and with it
// the mobile number given at the kiosk.
func NearDedup(ticketID string) string { return "queue_near:" + ticketID }

// PhonePurpose seals the mobile number given for a ticket (the vault's
// purpose): the SMS channel opens it, nothing else.
const PhonePurpose = "queue.near_phone"

// systemUser is the platform's own account (migration 00007): the
// recipient of record of a message to a number given without an account.
const systemUser = "00000000-0000-7000-8000-000000000001"

// TakeInput is a ticket to take. HallID and ServiceID are required;
// Priority defaults to normal; Source says who takes it (Sources).
// BookingID is the booking checked in (source booking); PersonID the person
// the ticket is for (source online, agent, booking; optional at the desk);
// NearAlert asks for the "即将到号" message, sent to PersonID's phone. At
// the kiosk, without an account, Phone is a mobile number for it, given
// with Consent; stored sealed, shown masked, cleared when the day ends.
type TakeInput struct {
	HallID    string `json:"hall_id"`
	ServiceID string `json:"service_id"`
	Priority  string `json:"priority"`
	Source    string `json:"source"`
	BookingID string `json:"booking_id,omitempty"`
	PersonID  string `json:"person_id,omitempty"`
	Phone     string `json:"phone,omitempty"`
	Consent   bool   `json:"consent,omitempty"`
	NearAlert bool   `json:"near_alert"`

	phoneSealed, phoneMasked string // Take's sealing of Phone
}

// Ticket is a queue ticket as its holder, the board and the console see it:
// no personal data.
type Ticket struct {
	ID          string     `json:"id"`
	HallID      string     `json:"hall_id"`
	HallName    string     `json:"hall_name"`
	ServiceID   string     `json:"service_id"`
	ServiceName string     `json:"service_name"`
	Number      string     `json:"number"`
	Day         string     `json:"day"`
	Priority    string     `json:"priority"`
	State       string     `json:"state"`
	Source      string     `json:"source"`
	Ahead       int        `json:"ahead"`
	WaitMinutes int        `json:"wait_minutes"`
	WindowID    string     `json:"window_id,omitempty"`
	WindowNo    string     `json:"window_number,omitempty"`
	Calls       int        `json:"calls"`
	Skips       int        `json:"skips"`
	TakenAt     time.Time  `json:"taken_at"`
	CalledAt    *time.Time `json:"called_at,omitempty"`
	StartedAt   *time.Time `json:"started_at,omitempty"`
	FinishedAt  *time.Time `json:"finished_at,omitempty"`
	Outcome     string     `json:"outcome,omitempty"`
	CaseID      string     `json:"case_id,omitempty"`
	ImplCode    string     `json:"impl_code,omitempty"`
	NearPhone   string     `json:"near_phone_masked,omitempty"` // the number given at the kiosk, masked
	BookingID   string     `json:"-"`
	PersonID    string     `json:"-"`
}

// Service runs the halls' queues.
type Service struct {
	DB    *db.DB
	Vault *vault.Vault // seals the mobile numbers given at the kiosk
}

// Day is the China day of t, "YYYY-MM-DD": numbers start again each day.
func Day(t time.Time) string { return t.In(calendar.China).Format(time.DateOnly) }

// hall is what the queue needs of a hall.
type hall struct {
	ID, Name, Region string
	Active           bool
}

func hallRow(tx *db.Tx, id string) (hall, error) {
	var h hall
	err := tx.QueryRow(`SELECT id, name, region_code, active FROM halls WHERE id = $1`, id).Scan(&h.ID, &h.Name, &h.Region, &h.Active)
	return h, db.NotFound(err, "queue.hall_unknown", "id", id)
}

// TakeTx takes a ticket in the caller's transaction (a booking's check-in
// turns it into a ticket and records both at once). It checks the data —
// an active hall and service of that hall, a known priority and source —
// not who asks: Take does, and so must any other caller.
func TakeTx(tx *db.Tx, in TakeInput) (*Ticket, error) {
	if in.HallID == "" {
		return nil, apperr.E(apperr.Invalid, "error.field_required", "field", "hall_id")
	}
	if in.ServiceID == "" {
		return nil, apperr.E(apperr.Invalid, "error.field_required", "field", "service_id")
	}
	if !slices.Contains(Sources, in.Source) {
		return nil, apperr.E(apperr.Invalid, "queue.source", "value", in.Source, "allowed", strings.Join(Sources, ", "))
	}
	if in.Source == SourceBooking && in.BookingID == "" {
		return nil, apperr.E(apperr.Invalid, "error.field_required", "field", "booking_id")
	}
	if in.NearAlert && in.PersonID == "" && in.phoneSealed == "" {
		return nil, apperr.E(apperr.Invalid, "queue.near_needs_person")
	}
	if in.Priority == "" {
		in.Priority = PriorityNormal
	}
	h, err := hallRow(tx, in.HallID)
	if err != nil {
		return nil, err
	}
	if !h.Active {
		return nil, apperr.E(apperr.Conflict, "queue.hall_closed", "hall", h.Name)
	}
	var prefix, name string
	var active bool
	err = tx.QueryRow(`SELECT prefix, name, active FROM hall_services WHERE id = $1 AND hall_id = $2`, in.ServiceID, h.ID).Scan(&prefix, &name, &active)
	if err != nil {
		return nil, db.NotFound(err, "queue.service_unknown", "id", in.ServiceID)
	}
	if !active {
		return nil, apperr.E(apperr.Conflict, "queue.service_inactive", "service", name)
	}
	var rank int
	err = tx.QueryRow(`SELECT rank FROM queue_priorities WHERE code = $1`, in.Priority).Scan(&rank)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.E(apperr.Invalid, "queue.priority_unknown", "value", in.Priority)
	}
	if err != nil {
		return nil, err
	}
	day := Day(tx.Now)
	// The counter row: created once a day, then incremented under its row
	// lock — concurrent takes queue on it, a rollback gives the number back.
	if _, err := tx.Exec(`INSERT INTO queue_counters (hall_id, prefix, day, last) VALUES ($1, $2, $3, 0)
		ON CONFLICT (hall_id, prefix, day) DO NOTHING`, h.ID, prefix, day); err != nil {
		return nil, err
	}
	var seq int
	if err := tx.QueryRow(`UPDATE queue_counters SET last = last + 1 WHERE hall_id = $1 AND prefix = $2 AND day = $3 RETURNING last`,
		h.ID, prefix, day).Scan(&seq); err != nil {
		return nil, err
	}
	id := db.NewID()
	number := Number(prefix, seq)
	var consent any
	if in.phoneSealed != "" {
		consent = tx.Now
	}
	if _, err := tx.Exec(`INSERT INTO queue_tickets (id, hall_id, service_id, day, prefix, seq, number, priority, rank, source,
		booking_id, person_id, near_alert, state, taken_at, queued_at, changed_at, near_phone_sealed, near_phone_masked, near_consent_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15, $15, $16, $17, $18)`,
		id, h.ID, in.ServiceID, day, prefix, seq, number, in.Priority, rank, in.Source,
		nullText(in.BookingID), nullText(in.PersonID), in.NearAlert, StateWaiting, tx.Now, in.phoneSealed, in.phoneMasked, consent); err != nil {
		return nil, err
	}
	if err := event(tx, id, h.ID, "take", "", "", in.Source); err != nil {
		return nil, err
	}
	return ticketTx(tx, id)
}

// Number is a ticket's number: the prefix and the day's sequence, three
// digits at least ("A012").
func Number(prefix string, seq int) string { return fmt.Sprintf("%s%03d", prefix, seq) }

// Take takes a ticket for who asks: anyone at the hall's kiosk (source
// kiosk, u nil), a clerk of the hall's region at the desk, an agent for a
// villager holding an active mandate, a person for themselves (online).
// Bookings are checked in by the booking service (TakeTx).
func (s *Service) Take(ctx context.Context, u *identity.User, in TakeInput) (*Ticket, error) {
	var out *Ticket
	err := s.DB.Update(ctx, func(tx *db.Tx) error {
		h, err := hallRow(tx, in.HallID)
		if err != nil {
			return err
		}
		in.phoneSealed, in.phoneMasked = "", ""
		switch in.Source {
		case SourceKiosk:
			// Anonymous: "即将到号" only to a mobile number given with consent.
			in.PersonID, in.NearAlert = "", false
			if strings.TrimSpace(in.Phone) != "" {
				phone, err := codes.ParseMobile(in.Phone)
				if err != nil {
					return invalidAt("phone", "codes.mobile")
				}
				if !in.Consent {
					return invalidAt("consent", "queue.near_consent")
				}
				if s.Vault == nil {
					return errors.New("queue: no vault to seal a phone number")
				}
				in.NearAlert, in.phoneSealed, in.phoneMasked = true, s.Vault.SealText(phone, PhonePurpose), codes.MaskMobile(phone)
			}
		case SourceDesk:
			if u == nil {
				return apperr.E(apperr.Unauthenticated, "error.unauthenticated")
			}
			if !u.ScopeOf(identity.RoleClerk).CoversRegion(h.Region) {
				return apperr.E(apperr.Forbidden, "queue.forbidden_hall", "hall", h.Name)
			}
		case SourceAgent:
			if u == nil {
				return apperr.E(apperr.Unauthenticated, "error.unauthenticated")
			}
			if !u.Has(identity.RoleAgent) {
				return apperr.E(apperr.Forbidden, "error.forbidden")
			}
			if in.PersonID == "" {
				return apperr.E(apperr.Invalid, "error.field_required", "field", "person_id")
			}
			var n int
			if err := tx.QueryRow(`SELECT COUNT(*) FROM mandates WHERE agent_id = $1 AND principal_id = $2 AND state = 'active' AND expires_at > $3`,
				u.ID, in.PersonID, tx.Now).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return apperr.E(apperr.Forbidden, "queue.no_mandate")
			}
		case SourceOnline:
			if u == nil {
				return apperr.E(apperr.Unauthenticated, "error.unauthenticated")
			}
			if u.Kind != identity.KindPerson {
				return apperr.E(apperr.Forbidden, "error.forbidden")
			}
			in.PersonID = u.ID
		case SourceBooking:
			return apperr.E(apperr.Invalid, "queue.booking_source")
		default:
			return apperr.E(apperr.Invalid, "queue.source", "value", in.Source, "allowed", strings.Join(Sources, ", "))
		}
		t, err := TakeTx(tx, in)
		if err != nil {
			return err
		}
		if u != nil {
			if _, err := tx.Exec(`UPDATE queue_tickets SET taken_by = $1 WHERE id = $2`, u.ID, t.ID); err != nil {
				return err
			}
		}
		out = t
		return nil
	})
	return out, apperr.Internalf("queue: take", err)
}

// Status is a ticket's public status (its QR code's page): the number, the
// service, the state, how many are ahead and the wait; no personal data.
func (s *Service) Status(ctx context.Context, id string) (*Ticket, error) {
	var out *Ticket
	err := s.DB.View(ctx, func(tx *db.Tx) error {
		var err error
		if out, err = ticketTx(tx, id); err == nil {
			out.CaseID = "" // the public page names no case
		}
		return err
	})
	return out, apperr.Internalf("queue: status", err)
}

const ticketSelect = `SELECT t.id, t.hall_id, h.name, t.service_id, s.name, t.number, t.day, t.priority, t.state, t.source,
	COALESCE(t.window_id, ''), COALESCE(w.number, ''), t.calls, t.skips, t.taken_at, t.called_at, t.started_at, t.finished_at,
	t.outcome, COALESCE(t.case_id, ''), t.impl_code, COALESCE(t.booking_id, ''), COALESCE(t.person_id, ''),
	t.rank, t.queued_at, s.minutes, COALESCE(t.target_window_id, ''), t.near_phone_masked
	FROM queue_tickets t JOIN halls h ON h.id = t.hall_id JOIN hall_services s ON s.id = t.service_id
	LEFT JOIN windows w ON w.id = t.window_id`

// row is a ticket with what orders it.
type row struct {
	Ticket
	rank    int
	queued  time.Time
	minutes int
	target  string
}

func scanRow(sc interface{ Scan(...any) error }) (row, error) {
	var r row
	var called, started, finished sql.NullTime
	err := sc.Scan(&r.ID, &r.HallID, &r.HallName, &r.ServiceID, &r.ServiceName, &r.Number, &r.Day, &r.Priority, &r.State, &r.Source,
		&r.WindowID, &r.WindowNo, &r.Calls, &r.Skips, &r.TakenAt, &called, &started, &finished,
		&r.Outcome, &r.CaseID, &r.ImplCode, &r.BookingID, &r.PersonID, &r.rank, &r.queued, &r.minutes, &r.target, &r.NearPhone)
	if err != nil {
		return r, err
	}
	for _, p := range []struct {
		v   sql.NullTime
		dst **time.Time
	}{{called, &r.CalledAt}, {started, &r.StartedAt}, {finished, &r.FinishedAt}} {
		if p.v.Valid {
			t := p.v.Time.UTC()
			*p.dst = &t
		}
	}
	r.TakenAt = r.TakenAt.UTC()
	r.queued = r.queued.UTC()
	return r, nil
}

func rowTx(tx *db.Tx, id string) (row, error) {
	r, err := scanRow(tx.QueryRow(ticketSelect+` WHERE t.id = $1`, id))
	return r, db.NotFound(err, "queue.ticket_unknown", "id", id)
}

// ticketTx reads a ticket with the people ahead and the wait.
func ticketTx(tx *db.Tx, id string) (*Ticket, error) {
	r, err := rowTx(tx, id)
	if err != nil {
		return nil, err
	}
	if r.State == StateWaiting {
		if err := estimate(tx, &r); err != nil {
			return nil, err
		}
	}
	t := r.Ticket
	return &t, nil
}

// estimate fills the people ahead of a waiting ticket (in its service, or
// at the window it was transferred to: a lower rank, or the same rank and
// an earlier place) and the wait: typical duration × ahead / the open
// windows serving it (at least one).
func estimate(tx *db.Tx, r *row) error {
	q := `SELECT COUNT(*) FROM queue_tickets WHERE hall_id = $1 AND day = $2 AND state = 'waiting'
		AND (rank < $3 OR (rank = $3 AND (queued_at < $4 OR (queued_at = $4 AND seq < (SELECT seq FROM queue_tickets WHERE id = $5)))))
		AND id <> $5 AND `
	args := []any{r.HallID, r.Day, r.rank, r.queued, r.ID}
	if r.target != "" {
		q += `target_window_id = $6`
		args = append(args, r.target)
	} else {
		q += `service_id = $6 AND target_window_id IS NULL`
		args = append(args, r.ServiceID)
	}
	if err := tx.QueryRow(q, args...).Scan(&r.Ahead); err != nil {
		return err
	}
	open := 1
	if r.target == "" {
		if err := tx.QueryRow(`SELECT COUNT(DISTINCT ws.window_id) FROM window_services ws
			JOIN window_sessions se ON se.window_id = ws.window_id AND se.ended_at IS NULL
			WHERE ws.service_id = $1`, r.ServiceID).Scan(&open); err != nil {
			return err
		}
		open = max(open, 1)
	}
	r.WaitMinutes = (r.minutes*r.Ahead + open - 1) / open
	return nil
}

// event records a ticket's state change, timed.
func event(tx *db.Tx, ticketID, hallID, kind, windowID, staffID, detail string) error {
	_, err := tx.Exec(`INSERT INTO ticket_events (id, ticket_id, hall_id, kind, window_id, staff_id, detail, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, db.NewID(), ticketID, hallID, kind, nullText(windowID), nullText(staffID), detail, tx.Now)
	return err
}

func nullText(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// notifyNear sends "即将到号" to the holders of the first NearAhead+1
// waiting tickets of a service who asked for it, once each.
func notifyNear(tx *db.Tx, hallID, day, serviceID string) error {
	rows, err := tx.Query(`SELECT t.id, t.number, COALESCE(t.person_id, ''), t.near_alert, t.near_sent, h.name, t.near_phone_sealed <> ''
		FROM queue_tickets t JOIN halls h ON h.id = t.hall_id
		WHERE t.hall_id = $1 AND t.day = $2 AND t.state = 'waiting' AND t.service_id = $3 AND t.target_window_id IS NULL
		ORDER BY t.rank, t.queued_at, t.seq LIMIT $4`, hallID, day, serviceID, NearAhead+1)
	if err != nil {
		return err
	}
	type near struct {
		id, number, person, hall string
		ahead                    int
	}
	var send []near
	i := 0
	for rows.Next() {
		var n near
		var want, sent, phone bool
		if err := rows.Scan(&n.id, &n.number, &n.person, &want, &sent, &n.hall, &phone); err != nil {
			rows.Close()
			return err
		}
		n.ahead = i
		i++
		if n.person == "" && phone {
			// A number given at the kiosk: the dispatcher sends to it
			// (NearDedup names the ticket); the inbox of record is the
			// platform's own.
			n.person = systemUser
		}
		if want && !sent && n.person != "" {
			send = append(send, n)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, n := range send {
		if _, err := tx.Exec(`UPDATE queue_tickets SET near_sent = TRUE WHERE id = $1`, n.id); err != nil {
			return err
		}
		msg := notify.Message{Key: "notify." + NearKind, Args: map[string]any{"number": n.number, "hall": n.hall, "ahead": n.ahead}}
		if err := notify.Send(tx, n.person, "", NearKind, msg, NearDedup(n.id)); err != nil {
			return err
		}
	}
	return nil
}
