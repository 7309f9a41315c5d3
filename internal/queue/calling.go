package queue

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"slices"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
)

// Calling (叫号) at a window's console. Every operation is made by the
// staff member signed on to the window, on a ticket of that window (or, to
// call, one waiting for a service the window serves or transferred to it),
// and is timed in ticket_events. Tickets wait in priority order (rank),
// then in order of their place (queued_at: the time taken, kept on
// transfer; moved to the back of the class on 过号), then by number.

// Outcomes of a finished ticket.
const (
	OutcomeCase    = "case"    // a case was filed (受理): the clerk goes to intake
	OutcomeEnquiry = "enquiry" // an enquiry answered (咨询)
)

// FinishInput is how a ticket's service ended: Outcome (OutcomeCase or
// OutcomeEnquiry), the item served (its implementation code; for a case,
// intake is prefilled with it) and the case filed when it is known.
type FinishInput struct {
	Outcome  string `json:"outcome"`
	ImplCode string `json:"impl_code"`
	CaseID   string `json:"case_id"`
}

// TransferInput names where a ticket goes: another window of the hall, or
// another service (one of them).
type TransferInput struct {
	WindowID  string `json:"window_id"`
	ServiceID string `json:"service_id"`
}

// Finished is a finished ticket and where the clerk goes next: intake,
// prefilled with the item, when a case is to be filed.
type Finished struct {
	Ticket *Ticket `json:"ticket"`
	Next   string  `json:"next,omitempty"`
}

// stateErr refuses an action in a ticket's state, both named in the reader's language.
func stateErr(number, state, action string) error {
	return apperr.E(apperr.Conflict, "queue.state", "number", number,
		"state", apperr.E(apperr.Conflict, "queue.state."+state), "action", apperr.E(apperr.Conflict, "queue.action."+action))
}

// console is the window of u's open session.
type console struct {
	session, window, windowNo, hallID, hallName, region string
	user                                                *identity.User
}

func consoleTx(tx *db.Tx, u *identity.User) (console, error) {
	c := console{user: u}
	if err := windowStaff(u); err != nil {
		return c, err
	}
	err := tx.QueryRow(`SELECT se.id, w.id, w.number, h.id, h.name, h.region_code FROM window_sessions se
		JOIN windows w ON w.id = se.window_id JOIN halls h ON h.id = w.hall_id
		WHERE se.user_id = $1 AND se.ended_at IS NULL`, u.ID).Scan(&c.session, &c.window, &c.windowNo, &c.hallID, &c.hallName, &c.region)
	if errors.Is(err, sql.ErrNoRows) {
		return c, apperr.E(apperr.Conflict, "queue.not_signed_on")
	}
	if err != nil {
		return c, err
	}
	// The grant may have been taken away since signing on.
	if err := staffOf(u, hall{ID: c.hallID, Name: c.hallName, Region: c.region}); err != nil {
		return c, err
	}
	return c, nil
}

// serves reports whether the window serves the service.
func (c console) serves(tx *db.Tx, serviceID string) (bool, error) {
	var n int
	err := tx.QueryRow(`SELECT COUNT(*) FROM window_services WHERE window_id = $1 AND service_id = $2`, c.window, serviceID).Scan(&n)
	return n > 0, err
}

// busy refuses a call while the window is calling or serving a ticket.
func (c console) busy(tx *db.Tx) error {
	var number string
	err := tx.QueryRow(`SELECT number FROM queue_tickets WHERE window_id = $1 AND state IN ('called', 'serving') LIMIT 1`, c.window).Scan(&number)
	if err == nil {
		return apperr.E(apperr.Conflict, "queue.window_busy", "number", number)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	return err
}

// mine reads a ticket of this window in one of the states.
func (c console) mine(tx *db.Tx, id, action string, states ...string) (row, error) {
	r, err := rowTx(tx, id)
	if err != nil {
		return r, err
	}
	if r.HallID != c.hallID {
		return r, apperr.E(apperr.NotFound, "queue.ticket_unknown", "id", id)
	}
	if r.WindowID != c.window || !slices.Contains(states, r.State) {
		if r.State == StateDone || r.State == StateVoid {
			if action == "transfer" {
				return r, apperr.E(apperr.Conflict, "queue.transfer_finished", "number", r.Number)
			}
			return r, apperr.E(apperr.Conflict, "queue.finished", "number", r.Number)
		}
		if r.WindowID != c.window {
			return r, apperr.E(apperr.Conflict, "queue.not_at_window", "number", r.Number)
		}
		return r, stateErr(r.Number, r.State, action)
	}
	return r, nil
}

// claim moves a waiting ticket to called at the window; false when another
// window took it first (its state is no longer waiting).
func (c console) claim(tx *db.Tx, id string) (bool, error) {
	res, err := tx.Exec(`UPDATE queue_tickets SET state = 'called', window_id = $1, staff_id = $2, calls = calls + 1,
		called_at = COALESCE(called_at, $3), last_call_at = $3, changed_at = $3 WHERE id = $4 AND state = 'waiting'`,
		c.window, c.user.ID, tx.Now, id)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// CallNext calls the next ticket for the window: the first waiting,
// transferred to it or of a service it serves, in priority order then by
// place. Nil when nobody waits.
func (s *Service) CallNext(ctx context.Context, u *identity.User) (*Ticket, error) {
	var out *Ticket
	err := s.DB.Update(ctx, func(tx *db.Tx) error {
		out = nil
		c, err := consoleTx(tx, u)
		if err != nil {
			return err
		}
		if err := c.busy(tx); err != nil {
			return err
		}
		// A window racing another for the same ticket loses the claim and
		// looks again; bounded, as tickets only leave the waiting state. On
		// PostgreSQL, windows calling at once skip the rows another is
		// claiming (SKIP LOCKED) instead of all queueing on the first; SQLite
		// has one writer.
		next := `SELECT id, service_id FROM queue_tickets
			WHERE hall_id = $1 AND day = $2 AND state = 'waiting'
			AND (target_window_id = $3 OR (target_window_id IS NULL AND service_id IN (SELECT service_id FROM window_services WHERE window_id = $3)))
			ORDER BY rank, queued_at, seq LIMIT 1`
		if tx.Dialect == db.Postgres {
			next += ` FOR UPDATE SKIP LOCKED`
		}
		for range 20 {
			var id, service string
			err := tx.QueryRow(next, c.hallID, Day(tx.Now), c.window).Scan(&id, &service)
			if errors.Is(err, sql.ErrNoRows) {
				return nil
			}
			if err != nil {
				return err
			}
			ok, err := c.claim(tx, id)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			if err := event(tx, id, c.hallID, "call", c.window, u.ID, ""); err != nil {
				return err
			}
			if err := notifyNear(tx, c.hallID, Day(tx.Now), service); err != nil {
				return err
			}
			out, err = ticketTx(tx, id)
			return err
		}
		return apperr.E(apperr.Conflict, "queue.busy_retry")
	})
	return out, apperr.Internalf("queue: call next", err)
}

// Call calls one waiting ticket at the window (chosen from the list): it
// must be of a service the window serves, or transferred to it.
func (s *Service) Call(ctx context.Context, u *identity.User, id string) (*Ticket, error) {
	var out *Ticket
	err := s.DB.Update(ctx, func(tx *db.Tx) error {
		c, err := consoleTx(tx, u)
		if err != nil {
			return err
		}
		r, err := rowTx(tx, id)
		if err != nil {
			return err
		}
		if r.HallID != c.hallID {
			return apperr.E(apperr.NotFound, "queue.ticket_unknown", "id", id)
		}
		if r.target != "" && r.target != c.window {
			return apperr.E(apperr.Conflict, "queue.transferred_elsewhere", "number", r.Number)
		}
		if r.target == "" {
			ok, err := c.serves(tx, r.ServiceID)
			if err != nil {
				return err
			}
			if !ok {
				return apperr.E(apperr.Conflict, "queue.not_served_here", "number", r.Number, "service", r.ServiceName)
			}
		}
		if r.State != StateWaiting {
			return stateErr(r.Number, r.State, "call")
		}
		if err := c.busy(tx); err != nil {
			return err
		}
		ok, err := c.claim(tx, id)
		if err != nil {
			return err
		}
		if !ok {
			return stateErr(r.Number, StateCalled, "call")
		}
		if err := event(tx, id, c.hallID, "call", c.window, u.ID, ""); err != nil {
			return err
		}
		if err := notifyNear(tx, c.hallID, r.Day, r.ServiceID); err != nil {
			return err
		}
		out, err = ticketTx(tx, id)
		return err
	})
	return out, apperr.Internalf("queue: call", err)
}

// op runs one operation on a ticket of u's window in one of the states.
func (s *Service) op(ctx context.Context, u *identity.User, id, action string, states []string, fn func(tx *db.Tx, c console, r row) error) (*Ticket, error) {
	var out *Ticket
	err := s.DB.Update(ctx, func(tx *db.Tx) error {
		c, err := consoleTx(tx, u)
		if err != nil {
			return err
		}
		r, err := c.mine(tx, id, action, states...)
		if err != nil {
			return err
		}
		if err := fn(tx, c, r); err != nil {
			return err
		}
		out, err = ticketTx(tx, id)
		return err
	})
	return out, apperr.Internalf("queue: "+action, err)
}

// Recall calls the ticket again (重呼), at most MaxRecalls times.
func (s *Service) Recall(ctx context.Context, u *identity.User, id string) (*Ticket, error) {
	return s.op(ctx, u, id, "recall", []string{StateCalled}, func(tx *db.Tx, c console, r row) error {
		if r.Calls > MaxRecalls {
			return apperr.E(apperr.Conflict, "queue.recall_limit", "number", r.Number, "max", MaxRecalls)
		}
		if _, err := tx.Exec(`UPDATE queue_tickets SET calls = calls + 1, last_call_at = $1, changed_at = $1 WHERE id = $2`, tx.Now, r.ID); err != nil {
			return err
		}
		return event(tx, r.ID, c.hallID, "recall", c.window, u.ID, "")
	})
}

// Skip is 过号: the ticket called but not come goes to the back of its
// priority class; called MaxRecalls+1 times, it is void.
func (s *Service) Skip(ctx context.Context, u *identity.User, id string) (*Ticket, error) {
	return s.op(ctx, u, id, "skip", []string{StateCalled}, func(tx *db.Tx, c console, r row) error {
		if r.Calls > MaxRecalls {
			if _, err := tx.Exec(`UPDATE queue_tickets SET state = 'void', finished_at = $1, changed_at = $1, skips = skips + 1 WHERE id = $2`, tx.Now, r.ID); err != nil {
				return err
			}
			return event(tx, r.ID, c.hallID, "void", c.window, u.ID, "skipped")
		}
		if _, err := tx.Exec(`UPDATE queue_tickets SET state = 'waiting', window_id = NULL, queued_at = $1, changed_at = $1, skips = skips + 1 WHERE id = $2`, tx.Now, r.ID); err != nil {
			return err
		}
		if err := event(tx, r.ID, c.hallID, "skip", c.window, u.ID, ""); err != nil {
			return err
		}
		return notifyNear(tx, c.hallID, r.Day, r.ServiceID)
	})
}

// Hold puts a called or served ticket aside (挂起: the person fetches a
// document); the window may call others meanwhile.
func (s *Service) Hold(ctx context.Context, u *identity.User, id string) (*Ticket, error) {
	return s.op(ctx, u, id, "hold", []string{StateCalled, StateServing}, func(tx *db.Tx, c console, r row) error {
		if _, err := tx.Exec(`UPDATE queue_tickets SET state = 'held', changed_at = $1 WHERE id = $2`, tx.Now, r.ID); err != nil {
			return err
		}
		return event(tx, r.ID, c.hallID, "hold", c.window, u.ID, r.State)
	})
}

// Resume takes a held ticket back: serving when its service had started,
// else called. The window must be free.
func (s *Service) Resume(ctx context.Context, u *identity.User, id string) (*Ticket, error) {
	return s.op(ctx, u, id, "resume", []string{StateHeld}, func(tx *db.Tx, c console, r row) error {
		if err := c.busy(tx); err != nil {
			return err
		}
		state := StateCalled
		if r.StartedAt != nil {
			state = StateServing
		}
		if _, err := tx.Exec(`UPDATE queue_tickets SET state = $1, changed_at = $2 WHERE id = $3`, state, tx.Now, r.ID); err != nil {
			return err
		}
		return event(tx, r.ID, c.hallID, "resume", c.window, u.ID, state)
	})
}

// Start starts serving a called ticket.
func (s *Service) Start(ctx context.Context, u *identity.User, id string) (*Ticket, error) {
	return s.op(ctx, u, id, "start", []string{StateCalled}, func(tx *db.Tx, c console, r row) error {
		if _, err := tx.Exec(`UPDATE queue_tickets SET state = 'serving', staff_id = $1, started_at = $2, changed_at = $2 WHERE id = $3`, u.ID, tx.Now, r.ID); err != nil {
			return err
		}
		return event(tx, r.ID, c.hallID, "start", c.window, u.ID, "")
	})
}

// Finish ends a served ticket with its outcome: a case to file (the clerk
// is led to intake, prefilled with the item) or an enquiry answered.
func (s *Service) Finish(ctx context.Context, u *identity.User, id string, in FinishInput) (*Finished, error) {
	if in.Outcome != OutcomeCase && in.Outcome != OutcomeEnquiry {
		return nil, apperr.E(apperr.Invalid, "queue.outcome", "value", in.Outcome)
	}
	if in.Outcome == OutcomeCase && in.ImplCode == "" && in.CaseID == "" {
		return nil, apperr.E(apperr.Invalid, "error.field_required", "field", "impl_code")
	}
	t, err := s.op(ctx, u, id, "finish", []string{StateServing}, func(tx *db.Tx, c console, r row) error {
		if in.ImplCode != "" {
			var n int
			if err := tx.QueryRow(`SELECT COUNT(*) FROM items WHERE impl_code = $1`, in.ImplCode).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return apperr.E(apperr.Invalid, "queue.item_unknown", "code", in.ImplCode)
			}
		}
		if in.CaseID != "" {
			var n int
			if err := tx.QueryRow(`SELECT COUNT(*) FROM cases WHERE id = $1`, in.CaseID).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return apperr.E(apperr.Invalid, "queue.case_unknown", "id", in.CaseID)
			}
		}
		if _, err := tx.Exec(`UPDATE queue_tickets SET state = 'done', outcome = $1, impl_code = $2, case_id = $3, finished_at = $4, changed_at = $4 WHERE id = $5`,
			in.Outcome, in.ImplCode, nullText(in.CaseID), tx.Now, r.ID); err != nil {
			return err
		}
		return event(tx, r.ID, c.hallID, "finish", c.window, u.ID, in.Outcome)
	})
	if err != nil {
		return nil, err
	}
	out := &Finished{Ticket: t}
	if in.Outcome == OutcomeCase && in.CaseID == "" {
		out.Next = IntakeLink(in.ImplCode, t.ID)
	}
	return out, nil
}

// IntakeLink is the clerk's intake prefilled with the item, naming the
// ticket it came from.
func IntakeLink(implCode, ticketID string) string {
	v := url.Values{}
	v.Set("code", implCode)
	v.Set("ticket", ticketID)
	return "/workbench/intake?" + v.Encode()
}

// LinkCase records the case u filed at intake for the ticket u finished
// with a case to file (the console led u there); a ticket of another
// clerk, or already linked, is left alone.
func (s *Service) LinkCase(ctx context.Context, u *identity.User, ticketID, caseID string) error {
	if err := windowStaff(u); err != nil {
		return err
	}
	err := s.DB.Update(ctx, func(tx *db.Tx) error {
		var staff string
		if err := tx.QueryRow(`SELECT COALESCE(staff_id, '') FROM queue_tickets WHERE id = $1`, ticketID).Scan(&staff); err != nil {
			return db.NotFound(err, "queue.ticket_unknown", "id", ticketID)
		}
		if staff != u.ID {
			return apperr.E(apperr.Forbidden, "error.forbidden")
		}
		return LinkCaseTx(tx, ticketID, caseID)
	})
	return apperr.Internalf("queue: link case", err)
}

// LinkCaseTx records the case filed for a finished ticket in the caller's
// transaction.
func LinkCaseTx(tx *db.Tx, ticketID, caseID string) error {
	res, err := tx.Exec(`UPDATE queue_tickets SET case_id = $1 WHERE id = $2 AND state = 'done' AND outcome = 'case' AND case_id IS NULL`, caseID, ticketID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		var hallID string
		if err := tx.QueryRow(`SELECT hall_id FROM queue_tickets WHERE id = $1`, ticketID).Scan(&hallID); err != nil {
			return err
		}
		return event(tx, ticketID, hallID, "case", "", "", caseID)
	}
	return nil
}

// Transfer sends a ticket of the window to another window of the hall or
// to another service, keeping its place (the time it was taken): it waits
// there again, with its calls counted afresh. A finished ticket is not
// transferred.
func (s *Service) Transfer(ctx context.Context, u *identity.User, id string, in TransferInput) (*Ticket, error) {
	if (in.WindowID == "") == (in.ServiceID == "") {
		return nil, apperr.E(apperr.Invalid, "queue.transfer_target")
	}
	return s.op(ctx, u, id, "transfer", []string{StateCalled, StateServing, StateHeld}, func(tx *db.Tx, c console, r row) error {
		service, target, detail := r.ServiceID, "", ""
		if in.WindowID != "" {
			var hallID, number string
			var active bool
			err := tx.QueryRow(`SELECT hall_id, number, active FROM windows WHERE id = $1`, in.WindowID).Scan(&hallID, &number, &active)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			if err != nil || hallID != c.hallID {
				return invalidAt("window_id", "queue.window_other_hall", "id", in.WindowID)
			}
			if !active {
				return apperr.E(apperr.Conflict, "queue.window_inactive", "window", number)
			}
			if in.WindowID == c.window {
				return invalidAt("window_id", "queue.transfer_same")
			}
			target, detail = in.WindowID, "window:"+number
		} else {
			var hallID, prefix string
			var active bool
			err := tx.QueryRow(`SELECT hall_id, prefix, active FROM hall_services WHERE id = $1`, in.ServiceID).Scan(&hallID, &prefix, &active)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			if err != nil || hallID != c.hallID {
				return invalidAt("service_id", "queue.service_other_hall", "id", in.ServiceID)
			}
			if !active {
				return apperr.E(apperr.Conflict, "queue.service_inactive", "service", prefix)
			}
			if in.ServiceID == r.ServiceID && r.target == "" {
				return invalidAt("service_id", "queue.transfer_same")
			}
			service, detail = in.ServiceID, "service:"+prefix
		}
		if _, err := tx.Exec(`UPDATE queue_tickets SET state = 'waiting', service_id = $1, target_window_id = $2, window_id = NULL,
			calls = 0, started_at = NULL, changed_at = $3 WHERE id = $4`, service, nullText(target), tx.Now, r.ID); err != nil {
			return err
		}
		return event(tx, r.ID, c.hallID, "transfer", c.window, u.ID, detail)
	})
}

// ConsoleView is what a window's console shows: the session, the tickets
// at the window (called, serving, held), those waiting for it in calling
// order (the first few) and how many wait per service it serves.
type ConsoleView struct {
	Session  *Session      `json:"session"`
	HallName string        `json:"hall_name"`
	Current  []Ticket      `json:"current"`
	Waiting  []Ticket      `json:"waiting"`
	Counts   []Count       `json:"counts"`
	Services []HallService `json:"services"` // the hall's, for transfers
	Windows  []WindowInfo  `json:"windows"`  // the hall's, for transfers
}

// Count is how many wait for a service.
type Count struct {
	ServiceID string `json:"service_id"`
	Prefix    string `json:"prefix"`
	Name      string `json:"name"`
	Waiting   int    `json:"waiting"`
}

// MaxConsoleWaiting bounds the waiting tickets a console lists.
const MaxConsoleWaiting = 20

// Console reads u's window's console.
func (s *Service) Console(ctx context.Context, u *identity.User) (*ConsoleView, error) {
	var out *ConsoleView
	err := s.DB.View(ctx, func(tx *db.Tx) error {
		c, err := consoleTx(tx, u)
		if err != nil {
			return err
		}
		se, err := sessionTx(tx, u)
		if err != nil {
			return err
		}
		v := &ConsoleView{Session: se, HallName: c.hallName, Current: []Ticket{}, Waiting: []Ticket{}, Counts: []Count{}}
		list := func(dst *[]Ticket, q string, args ...any) error {
			rows, err := tx.Query(ticketSelect+` WHERE `+q, args...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				r, err := scanRow(rows)
				if err != nil {
					return err
				}
				*dst = append(*dst, r.Ticket)
			}
			return rows.Err()
		}
		if err := list(&v.Current, `t.window_id = $1 AND t.state IN ('called', 'serving', 'held') ORDER BY t.changed_at`, c.window); err != nil {
			return err
		}
		if err := list(&v.Waiting, `t.hall_id = $1 AND t.day = $2 AND t.state = 'waiting'
			AND (t.target_window_id = $3 OR (t.target_window_id IS NULL AND t.service_id IN (SELECT service_id FROM window_services WHERE window_id = $3)))
			ORDER BY t.rank, t.queued_at, t.seq LIMIT $4`, c.hallID, Day(tx.Now), c.window, MaxConsoleWaiting); err != nil {
			return err
		}
		rows, err := tx.Query(`SELECT s.id, s.prefix, s.name, (SELECT COUNT(*) FROM queue_tickets t WHERE t.service_id = s.id AND t.day = $2 AND t.state = 'waiting')
			FROM hall_services s JOIN window_services ws ON ws.service_id = s.id WHERE ws.window_id = $1 ORDER BY s.prefix`, c.window, Day(tx.Now))
		if err != nil {
			return err
		}
		for rows.Next() {
			var n Count
			if err := rows.Scan(&n.ServiceID, &n.Prefix, &n.Name, &n.Waiting); err != nil {
				rows.Close()
				return err
			}
			v.Counts = append(v.Counts, n)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if v.Services, err = servicesTx(tx, c.hallID); err != nil {
			return err
		}
		if v.Windows, err = windowsTx(tx, c.hallID); err != nil {
			return err
		}
		out = v
		return nil
	})
	return out, apperr.Internalf("queue: console", err)
}
