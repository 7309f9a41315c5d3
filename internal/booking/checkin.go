package booking

import (
	"context"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/queue"
)

// CheckIn turns a booking into a queue ticket of priority 'booking'
// (queue.TakeTx) in one transaction, within the check-in window around
// the slot's start (Policy.CheckInBefore … CheckInAfter). The holder checks
// in on the portal (at the hall), or a clerk of the hall's region at the
// desk (audited); for anyone else the booking does not exist.
func (s *Service) CheckIn(ctx context.Context, u *identity.User, id string) (*Booking, *queue.Ticket, error) {
	if u == nil {
		return nil, nil, apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	var out *Booking
	var ticket *queue.Ticket
	err := s.DB.Update(ctx, func(tx *db.Tx) error {
		p, err := policyTx(tx)
		if err != nil {
			return err
		}
		b, err := getTx(tx, id, p, true)
		if err != nil {
			return err
		}
		clerk := b.PersonID != u.ID
		if clerk && !u.ScopeOf(identity.RoleClerk).CoversRegion(b.region) {
			return apperr.E(apperr.NotFound, "booking.not_found")
		}
		if b.State != StateBooked {
			return apperr.E(apperr.Conflict, "booking.not_open", "state", apperr.E(apperr.Conflict, "booking.state."+b.State))
		}
		opens := b.StartsAt.Add(-time.Duration(p.CheckInBefore) * time.Minute)
		closes := b.StartsAt.Add(time.Duration(p.CheckInAfter) * time.Minute)
		switch {
		case tx.Now.Before(opens):
			return apperr.E(apperr.Conflict, "booking.checkin_too_early", "from", opens.In(calendar.China).Format("2006-01-02 15:04"))
		case tx.Now.After(closes):
			return apperr.E(apperr.Conflict, "booking.checkin_too_late", "minutes", p.CheckInAfter)
		}
		if ticket, err = queue.TakeTx(tx, queue.TakeInput{HallID: b.HallID, ServiceID: b.ServiceID, Priority: "booking", Source: "booking",
			BookingID: b.ID, PersonID: b.PersonID}); err != nil {
			return err
		}
		res, err := tx.Exec(`UPDATE bookings SET state = $1, checked_in_at = $2, checked_in_by = $3, ticket_id = $4, ticket_no = $5
			WHERE id = $6 AND state = $7`, StateCheckedIn, tx.Now, u.ID, ticket.ID, ticket.Number, b.ID, StateBooked)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.E(apperr.Conflict, "booking.changed")
		}
		if clerk {
			if err := audit.Append(tx, &audit.Record{Actor: u.ID, Role: string(identity.RoleClerk), Action: "booking.check_in",
				ObjectType: "hall", ObjectID: b.HallID}, []byte(`{"booking":"`+b.ID+`","ticket":"`+ticket.Number+`"}`)); err != nil {
				return err
			}
		}
		out, err = getTx(tx, id, p, false)
		return err
	})
	if err != nil {
		return nil, nil, apperr.Internalf("booking: check in", err)
	}
	return out, ticket, nil
}

// DeskEntry is a booking on a hall's desk list: the holder's name masked.
type DeskEntry struct {
	*Booking
	Name string `json:"name"` // masked: 张*
}

// Desk lists a hall's bookings of a day for its clerks (the region's
// window), the holders' names masked; the read is recorded.
func (s *Service) Desk(ctx context.Context, u *identity.User, hallID, day string) ([]DeskEntry, error) {
	out := []DeskEntry{}
	err := s.DB.Update(ctx, func(tx *db.Tx) error {
		h, err := hallTx(tx, hallID)
		if err != nil {
			return err
		}
		if !u.ScopeOf(identity.RoleClerk).CoversRegion(h.Region) {
			return apperr.E(apperr.NotFound, "booking.hall_not_found")
		}
		d := calendar.DateIn(tx.Now)
		if day != "" {
			if d, err = calendar.ParseDate(day); err != nil {
				return apperr.E(apperr.Invalid, "booking.day_invalid")
			}
		}
		p, err := policyTx(tx)
		if err != nil {
			return err
		}
		rows, err := tx.Query(`SELECT b.id, b.hall_id, h.name, h.region_code, b.service_id, COALESCE(s.name, ''), b.impl_code, b.day, b.starts_at, b.ends_at,
			b.state, b.channel, b.created_at, b.cancelled_at, b.checked_in_at, b.ticket_no, b.person_id, b.slot_id, u.display_name
			FROM bookings b JOIN halls h ON h.id = b.hall_id LEFT JOIN hall_services s ON s.id = b.service_id JOIN users u ON u.id = b.person_id
			WHERE b.hall_id = $1 AND b.day = $2 AND b.state <> $3 ORDER BY b.starts_at, b.created_at LIMIT 1000`, h.ID, d.String(), StateCancelled)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var name string
			b, err := scanBooking(scanPlus{rows, &name}, p)
			if err != nil {
				return err
			}
			out = append(out, DeskEntry{Booking: b, Name: codes.MaskName(name)})
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return audit.Append(tx, &audit.Record{Actor: u.ID, Role: string(identity.RoleClerk), Action: "booking.read.desk",
			ObjectType: "hall", ObjectID: h.ID}, []byte(`{"day":"`+d.String()+`"}`))
	})
	return out, apperr.Internalf("booking: desk", err)
}

// scanPlus scans a row with one more column than scanBooking reads.
type scanPlus struct {
	row  interface{ Scan(...any) error }
	last any
}

func (s scanPlus) Scan(dest ...any) error { return s.row.Scan(append(dest, s.last)...) }
