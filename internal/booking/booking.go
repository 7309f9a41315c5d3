package booking

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
)

// Service keeps the booking rules, the slots and the bookings.
type Service struct {
	DB        *db.DB
	Calendars *calendar.Set
	// Root is the installation's region (who may change the policy).
	Root string
}

// States of a booking.
const (
	StateBooked    = "booked"
	StateCancelled = "cancelled"
	StateCheckedIn = "checked_in"
	StateNoShow    = "no_show"
)

// Channels a booking is made through.
const (
	ChannelPortal = "portal"
	ChannelAPI    = "api"
	ChannelKiosk  = "kiosk"
)

// Booking is one booking as its holder (and the hall's clerks) see it.
type Booking struct {
	ID          string     `json:"id"`
	HallID      string     `json:"hall_id"`
	HallName    string     `json:"hall_name"`
	ServiceID   string     `json:"service_id"`
	ServiceName string     `json:"service_name"`
	ImplCode    string     `json:"impl_code,omitempty"`
	Day         string     `json:"day"`
	Time        string     `json:"time"`
	StartsAt    time.Time  `json:"starts_at"`
	EndsAt      time.Time  `json:"ends_at"`
	State       string     `json:"state"`
	Channel     string     `json:"channel"`
	CreatedAt   time.Time  `json:"created_at"`
	CancelledAt *time.Time `json:"cancelled_at,omitempty"`
	CheckedInAt *time.Time `json:"checked_in_at,omitempty"`
	TicketNo    string     `json:"ticket_no,omitempty"`
	// CancelUntil is the last moment the holder may cancel.
	CancelUntil time.Time `json:"cancel_until"`

	PersonID string `json:"-"`
	slotID   string
	region   string
}

const bookingSelect = `SELECT b.id, b.hall_id, h.name, h.region_code, b.service_id, COALESCE(s.name, ''), b.impl_code, b.day, b.starts_at, b.ends_at,
	b.state, b.channel, b.created_at, b.cancelled_at, b.checked_in_at, b.ticket_no, b.person_id, b.slot_id
	FROM bookings b JOIN halls h ON h.id = b.hall_id LEFT JOIN hall_services s ON s.id = b.service_id`

func scanBooking(row interface{ Scan(...any) error }, p Policy) (*Booking, error) {
	b := &Booking{}
	var cancelled, checked sql.NullTime
	if err := row.Scan(&b.ID, &b.HallID, &b.HallName, &b.region, &b.ServiceID, &b.ServiceName, &b.ImplCode, &b.Day, &b.StartsAt, &b.EndsAt,
		&b.State, &b.Channel, &b.CreatedAt, &cancelled, &checked, &b.TicketNo, &b.PersonID, &b.slotID); err != nil {
		return nil, err
	}
	b.StartsAt, b.EndsAt, b.CreatedAt = b.StartsAt.UTC(), b.EndsAt.UTC(), b.CreatedAt.UTC()
	if cancelled.Valid {
		t := cancelled.Time.UTC()
		b.CancelledAt = &t
	}
	if checked.Valid {
		t := checked.Time.UTC()
		b.CheckedInAt = &t
	}
	b.Time = b.StartsAt.In(calendar.China).Format("15:04") + "–" + b.EndsAt.In(calendar.China).Format("15:04")
	b.CancelUntil = b.StartsAt.Add(-time.Duration(p.CancelMinutes) * time.Minute)
	return b, nil
}

// daySlotsTx is a hall service's slots on day d with their counters.
func (s *Service) daySlotsTx(tx *db.Tx, h hall, serviceID string, d calendar.Date, p Policy) ([]Slot, Closure, error) {
	var n int
	if err := tx.QueryRow(`SELECT COUNT(*) FROM booking_blackouts WHERE hall_id = $1 AND day = $2`, h.ID, d.String()).Scan(&n); err != nil {
		return nil, "", err
	}
	tpls, err := templatesTx(tx, h.ID, serviceID)
	if err != nil {
		return nil, "", err
	}
	slots, why := DaySlots(s.Calendars.For(h.Region), d, n > 0, tpls, p)
	if len(slots) == 0 {
		return slots, why, nil
	}
	from := d.Start(calendar.China).UTC()
	rows, err := tx.Query(`SELECT starts_at, booked FROM booking_slots WHERE hall_id = $1 AND service_id = $2 AND starts_at >= $3 AND starts_at < $4`,
		h.ID, serviceID, from, from.Add(24*time.Hour))
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	booked := map[int64]int{}
	for rows.Next() {
		var at time.Time
		var k int
		if err := rows.Scan(&at, &k); err != nil {
			return nil, "", err
		}
		booked[at.Unix()] = k
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	for i := range slots {
		sl := &slots[i]
		sl.Booked = booked[sl.StartsAt.Unix()]
		sl.Left = max(sl.Online-sl.Booked, 0)
		sl.Bookable = sl.Left > 0 && p.Window(tx.Now, sl.StartsAt) == nil
	}
	return slots, Open, nil
}

// Day is one day of the booking window.
type Day struct {
	Day     string  `json:"day"`
	Closure Closure `json:"closure,omitempty"`
	Left    int     `json:"left"` // places left online over the day's bookable slots
}

// Offer is what a hall's service offers: the days of the window, and the
// slots of one day when asked.
type Offer struct {
	HallID    string `json:"hall_id"`
	HallName  string `json:"hall_name"`
	ServiceID string `json:"service_id"`
	Days      []Day  `json:"days"`
	Day       string `json:"day,omitempty"`
	Slots     []Slot `json:"slots"`
}

// Offer lists the window's days of a hall's service and, when day is
// given, that day's slots. Anyone may read it (no personal data).
func (s *Service) Offer(ctx context.Context, hallID, serviceID, day string) (*Offer, error) {
	var o *Offer
	err := s.DB.View(ctx, func(tx *db.Tx) error {
		h, err := hallTx(tx, hallID)
		if err != nil {
			return err
		}
		if !h.Active {
			return apperr.E(apperr.NotFound, "booking.hall_not_found")
		}
		if err := serviceTx(tx, h.ID, serviceID, false); err != nil {
			return err
		}
		p, err := policyTx(tx)
		if err != nil {
			return err
		}
		o = &Offer{HallID: h.ID, HallName: h.Name, ServiceID: serviceID, Days: []Day{}, Slots: []Slot{}}
		today := calendar.DateIn(tx.Now)
		for i := p.MinDaysAhead; i <= p.MaxDaysAhead; i++ {
			d := today.AddDays(i)
			slots, why, err := s.daySlotsTx(tx, h, serviceID, d, p)
			if err != nil {
				return err
			}
			dd := Day{Day: d.String(), Closure: why}
			for _, sl := range slots {
				if sl.Bookable {
					dd.Left += sl.Left
				}
			}
			o.Days = append(o.Days, dd)
		}
		if day == "" {
			return nil
		}
		d, err := calendar.ParseDate(strings.TrimSpace(day))
		if err != nil {
			return apperr.E(apperr.Invalid, "booking.day_invalid")
		}
		o.Day = d.String()
		slots, _, err := s.daySlotsTx(tx, h, serviceID, d, p)
		if slots != nil {
			o.Slots = slots
		}
		return err
	})
	return o, apperr.Internalf("booking: offer", err)
}

// Request is a booking asked for.
type Request struct {
	HallID    string    `json:"hall_id"`
	ServiceID string    `json:"service_id"`
	ImplCode  string    `json:"impl_code,omitempty"` // an item the service takes (optional)
	StartsAt  time.Time `json:"starts_at"`
	Channel   string    `json:"-"`
}

// Book books a slot for a person's account (L1 or above). Every rule is
// checked in the one transaction that takes the place: closures, window,
// lead time, suspension, the person's limits and the slot's capacity. A
// refusal writes nothing.
func (s *Service) Book(ctx context.Context, u *identity.User, r Request) (*Booking, error) {
	if u == nil {
		return nil, apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	if u.Kind != identity.KindPerson || u.Assurance < identity.AssuranceL1 {
		return nil, apperr.E(apperr.Forbidden, "booking.persons_only")
	}
	if r.StartsAt.IsZero() {
		return nil, apperr.E(apperr.Invalid, "error.field_required", "field", "starts_at")
	}
	if r.Channel == "" {
		r.Channel = ChannelAPI
	}
	var out *Booking
	err := s.DB.Update(ctx, func(tx *db.Tx) error {
		b, err := s.bookTx(tx, u, r)
		out = b
		return err
	})
	return out, apperr.Internalf("booking: book", err)
}

func (s *Service) bookTx(tx *db.Tx, u *identity.User, r Request) (*Booking, error) {
	h, err := hallTx(tx, r.HallID)
	if err != nil {
		return nil, err
	}
	if !h.Active {
		return nil, apperr.E(apperr.NotFound, "booking.hall_not_found")
	}
	if err := serviceTx(tx, h.ID, r.ServiceID, false); err != nil {
		return nil, err
	}
	if r.ImplCode = strings.TrimSpace(r.ImplCode); r.ImplCode != "" {
		var n int
		if err := tx.QueryRow(`SELECT COUNT(*) FROM hall_service_items WHERE service_id = $1 AND impl_code = $2`, r.ServiceID, r.ImplCode).Scan(&n); err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, apperr.E(apperr.Invalid, "booking.item_not_served")
		}
	}
	p, err := policyTx(tx)
	if err != nil {
		return nil, err
	}
	start := r.StartsAt.UTC()
	d := calendar.DateIn(start)
	slots, why, err := s.daySlotsTx(tx, h, r.ServiceID, d, p)
	if err != nil {
		return nil, err
	}
	if why != Open {
		return nil, apperr.E(apperr.Invalid, "booking.day_closed", "day", d.String(), "why", apperr.E(apperr.Invalid, "booking.closure."+string(why)))
	}
	var slot *Slot
	for i := range slots {
		if slots[i].StartsAt.Equal(start) {
			slot = &slots[i]
		}
	}
	if slot == nil {
		return nil, apperr.E(apperr.Invalid, "booking.slot_unknown")
	}
	if err := p.Window(tx.Now, start); err != nil {
		return nil, err
	}
	// The person's row first: a person's bookings are taken one at a time,
	// so the limits below hold under concurrency (PostgreSQL keeps the
	// row locked to the commit; SQLite has one writer).
	var suspended sql.NullTime
	if err := tx.QueryRow(`INSERT INTO booking_people (user_id, updated_at) VALUES ($1, $2)
		ON CONFLICT (user_id) DO UPDATE SET updated_at = excluded.updated_at RETURNING suspended_until`, u.ID, tx.Now).Scan(&suspended); err != nil {
		return nil, err
	}
	if suspended.Valid && suspended.Time.After(tx.Now) {
		return nil, apperr.E(apperr.Forbidden, "booking.suspended", "until", calendar.DateIn(suspended.Time).String())
	}
	var sameDay, sameMonth int
	monthStart := d.String()[:8] + "01"
	if err := tx.QueryRow(`SELECT COALESCE(SUM(CASE WHEN day = $2 THEN 1 ELSE 0 END), 0), COUNT(*) FROM bookings
		WHERE person_id = $1 AND day >= $3 AND day < $4 AND state IN ('booked', 'checked_in')`,
		u.ID, d.String(), monthStart, nextMonth(d)).Scan(&sameDay, &sameMonth); err != nil {
		return nil, err
	}
	if sameDay >= p.PerDay {
		return nil, apperr.E(apperr.Conflict, "booking.day_limit", "max", p.PerDay)
	}
	if sameMonth >= p.PerMonth {
		return nil, apperr.E(apperr.Conflict, "booking.month_limit", "max", p.PerMonth)
	}
	if slot.Online == 0 {
		return nil, apperr.E(apperr.Conflict, "booking.slot_full")
	}
	// The place: the slot's counter row (made when first booked), taken
	// by one conditional update.
	if _, err := tx.Exec(`INSERT INTO booking_slots (id, hall_id, service_id, starts_at, ends_at, capacity, online, booked)
		VALUES ($1, $2, $3, $4, $5, $6, $7, 0) ON CONFLICT (hall_id, service_id, starts_at) DO NOTHING`,
		db.NewID(), h.ID, r.ServiceID, start, slot.EndsAt, slot.Capacity, slot.Online); err != nil {
		return nil, err
	}
	var slotID string
	err = tx.QueryRow(`UPDATE booking_slots SET booked = booked + 1
		WHERE hall_id = $1 AND service_id = $2 AND starts_at = $3 AND booked < online RETURNING id`, h.ID, r.ServiceID, start).Scan(&slotID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.E(apperr.Conflict, "booking.slot_full")
	}
	if err != nil {
		return nil, err
	}
	id := db.NewID()
	if _, err := tx.Exec(`INSERT INTO bookings (id, slot_id, hall_id, service_id, impl_code, person_id, day, starts_at, ends_at, state, channel, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		id, slotID, h.ID, r.ServiceID, r.ImplCode, u.ID, d.String(), start, slot.EndsAt, StateBooked, r.Channel, tx.Now); err != nil {
		return nil, err
	}
	return getTx(tx, id, p, false)
}

// nextMonth is the first day of the month after d's ("2026-10-01").
func nextMonth(d calendar.Date) string {
	return time.Date(d.Year, d.Month+1, 1, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
}

func getTx(tx *db.Tx, id string, p Policy, lock bool) (*Booking, error) {
	q := bookingSelect + ` WHERE b.id = $1`
	if lock && tx.Dialect == db.Postgres {
		q += ` FOR UPDATE OF b`
	}
	b, err := scanBooking(tx.QueryRow(q, id), p)
	return b, db.NotFound(err, "booking.not_found")
}

// Mine lists a person's bookings, the newest slot first.
func (s *Service) Mine(ctx context.Context, u *identity.User, limit int) ([]*Booking, error) {
	if u == nil {
		return nil, apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	if u.Kind != identity.KindPerson {
		return nil, apperr.E(apperr.Forbidden, "booking.persons_only")
	}
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	out := []*Booking{}
	err := s.DB.View(ctx, func(tx *db.Tx) error {
		p, err := policyTx(tx)
		if err != nil {
			return err
		}
		rows, err := tx.Query(bookingSelect+` WHERE b.person_id = $1 ORDER BY b.starts_at DESC, b.created_at DESC LIMIT $2`, u.ID, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			b, err := scanBooking(rows, p)
			if err != nil {
				return err
			}
			out = append(out, b)
		}
		return rows.Err()
	})
	return out, apperr.Internalf("booking: mine", err)
}

// Get reads one of the person's bookings (another's is not found).
func (s *Service) Get(ctx context.Context, u *identity.User, id string) (*Booking, error) {
	var out *Booking
	err := s.DB.View(ctx, func(tx *db.Tx) error {
		p, err := policyTx(tx)
		if err != nil {
			return err
		}
		b, err := getTx(tx, id, p, false)
		if err != nil {
			return err
		}
		if u == nil || b.PersonID != u.ID {
			return apperr.E(apperr.NotFound, "booking.not_found")
		}
		out = b
		return nil
	})
	return out, apperr.Internalf("booking: get", err)
}

// Cancel cancels a person's own booking until the cut-off before its
// start; the place returns to the slot. The reminder, if not yet
// delivered, is not sent (the dispatcher cancels it).
func (s *Service) Cancel(ctx context.Context, u *identity.User, id string) (*Booking, error) {
	if u == nil {
		return nil, apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	var out *Booking
	err := s.DB.Update(ctx, func(tx *db.Tx) error {
		p, err := policyTx(tx)
		if err != nil {
			return err
		}
		b, err := getTx(tx, id, p, true)
		if err != nil {
			return err
		}
		if b.PersonID != u.ID {
			return apperr.E(apperr.NotFound, "booking.not_found")
		}
		if b.State != StateBooked {
			return apperr.E(apperr.Conflict, "booking.not_open", "state", apperr.E(apperr.Conflict, "booking.state."+b.State))
		}
		if tx.Now.After(b.CancelUntil) {
			return apperr.E(apperr.Conflict, "booking.cancel_too_late", "minutes", p.CancelMinutes)
		}
		res, err := tx.Exec(`UPDATE bookings SET state = $1, cancelled_at = $2 WHERE id = $3 AND state = $4`, StateCancelled, tx.Now, b.ID, StateBooked)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.E(apperr.Conflict, "booking.changed")
		}
		if _, err := tx.Exec(`UPDATE booking_slots SET booked = booked - 1 WHERE id = $1`, b.slotID); err != nil {
			return err
		}
		out, err = getTx(tx, id, p, false)
		return err
	})
	return out, apperr.Internalf("booking: cancel", err)
}

// ServiceRef is a hall's service that takes bookings.
type ServiceRef struct {
	ID     string `json:"id"`
	Prefix string `json:"prefix"`
	Name   string `json:"name"`
	NameEN string `json:"name_en"`
}

// HallRef is a hall with the services that take bookings.
type HallRef struct {
	ID       string       `json:"id"`
	Name     string       `json:"name"`
	Region   string       `json:"region_code"`
	Services []ServiceRef `json:"services"`
}

// Bookable lists the active halls with the active services an active
// template books, in the order of the regions (the district first).
func (s *Service) Bookable(ctx context.Context) ([]HallRef, error) {
	out := []HallRef{}
	err := s.DB.View(ctx, func(tx *db.Tx) error {
		rows, err := tx.Query(`SELECT DISTINCT h.id, h.name, h.region_code, s.id, s.prefix, s.name, s.name_en
			FROM booking_templates t JOIN halls h ON h.id = t.hall_id JOIN hall_services s ON s.id = t.service_id
			WHERE t.active AND h.active AND s.active AND s.hall_id = h.id ORDER BY h.region_code, s.prefix`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var h HallRef
			var sv ServiceRef
			if err := rows.Scan(&h.ID, &h.Name, &h.Region, &sv.ID, &sv.Prefix, &sv.Name, &sv.NameEN); err != nil {
				return err
			}
			if n := len(out); n > 0 && out[n-1].ID == h.ID {
				out[n-1].Services = append(out[n-1].Services, sv)
				continue
			}
			h.Services = []ServiceRef{sv}
			out = append(out, h)
		}
		return rows.Err()
	})
	return out, apperr.Internalf("booking: halls", err)
}
