package queue

import (
	"database/sql"
	"errors"
	"time"

	"github.com/tongban/tongban/internal/db"
)

// Served is what the queue knows of a ticket for its rating (一次一评):
// who served it, for which department, where and when. Finished is nil
// unless the ticket was served to its end (state done).
type Served struct {
	TicketID string
	Number   string
	State    string
	PersonID string // the account the ticket was taken with, or ""
	HallID   string
	Region   string // the hall's region
	Dept     string // see ServedTx
	ImplCode string // the item the service ended with, or ""
	ItemName string
	StaffID  string // who finished it
	Finished *time.Time
}

// ServedTx reads a ticket for its rating, in the caller's transaction. The
// department is the one that served: the item's department when the
// service ended with an item, else the serving window's department when
// the window has exactly one, else the department of the staff who
// finished it (when their roles name exactly one) ("" when none is known: the rating refuses). The staff is
// the one who finished it (its finish event), or the one who served it.
func ServedTx(tx *db.Tx, id string) (*Served, error) {
	var s Served
	var window, staff sql.NullString
	var finished sql.NullTime
	err := tx.QueryRow(`SELECT t.id, t.number, t.state, COALESCE(t.person_id, ''), t.hall_id, h.region_code, t.impl_code,
		t.window_id, t.staff_id, t.finished_at
		FROM queue_tickets t JOIN halls h ON h.id = t.hall_id WHERE t.id = $1`, id).
		Scan(&s.TicketID, &s.Number, &s.State, &s.PersonID, &s.HallID, &s.Region, &s.ImplCode, &window, &staff, &finished)
	if err != nil {
		return nil, db.NotFound(err, "queue.ticket_unknown", "id", id)
	}
	if s.State != StateDone || !finished.Valid {
		return &s, nil
	}
	t := finished.Time.UTC()
	s.Finished = &t
	s.StaffID = staff.String
	var by sql.NullString
	err = tx.QueryRow(`SELECT staff_id FROM ticket_events WHERE ticket_id = $1 AND kind = 'finish' ORDER BY at DESC LIMIT 1`, id).Scan(&by)
	switch {
	case err == nil && by.Valid:
		s.StaffID = by.String
	case err != nil && !errors.Is(err, sql.ErrNoRows):
		return nil, err
	}
	if s.ImplCode != "" {
		err := tx.QueryRow(`SELECT department_id, name FROM items WHERE impl_code = $1 LIMIT 1`, s.ImplCode).Scan(&s.Dept, &s.ItemName)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
	}
	if s.Dept == "" && window.Valid {
		var n int
		var dept sql.NullString
		if err := tx.QueryRow(`SELECT COUNT(*), MIN(department_id) FROM window_departments WHERE window_id = $1`, window.String).Scan(&n, &dept); err != nil {
			return nil, err
		}
		if n == 1 {
			s.Dept = dept.String
		}
	}
	if s.Dept == "" && s.StaffID != "" {
		var n int
		var dept sql.NullString
		if err := tx.QueryRow(`SELECT COUNT(DISTINCT department_id), MIN(department_id) FROM role_grants WHERE user_id = $1 AND department_id IS NOT NULL`,
			s.StaffID).Scan(&n, &dept); err != nil {
			return nil, err
		}
		if n == 1 {
			s.Dept = dept.String
		}
	}
	return &s, nil
}
