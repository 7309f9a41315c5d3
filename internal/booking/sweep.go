package booking

import (
	"context"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/notify"
	"github.com/tongban/tongban/internal/queue"
)

// ReminderKind is the notification template of the reminder the day
// before: the hall, the time and the service — no personal data.
const ReminderKind = "booking_reminder"

// SweepLease is the job lease of the sweep: one replica marks no-shows
// and sends reminders at a time.
const SweepLease = "booking-sweep"

// SweepReport says what a sweep did.
type SweepReport struct {
	NoShows   int
	Suspended int
	Reminded  int
	Voided    int // queue tickets of past days voided (queue.EndDaysTx)
}

// Sweep marks the no-shows of slots whose check-in has closed, suspends
// online booking of persons with Policy.NoShows of them within
// Policy.NoShowDays, sends the reminder of tomorrow's bookings (once
// each), and voids the queue tickets of past days never served
// (queue.EndDaysTx). Run it under the SweepLease (Run); tests call it with a clock.
func (s *Service) Sweep(ctx context.Context) (SweepReport, error) {
	var rep SweepReport
	err := s.DB.Update(ctx, func(tx *db.Tx) error {
		rep = SweepReport{}
		p, err := policyTx(tx)
		if err != nil {
			return err
		}
		// A booking not checked in when its slot has ended and its
		// check-in closed is a no-show.
		cutoff := tx.Now.Add(-time.Duration(p.CheckInAfter) * time.Minute)
		people, err := tx.Strings(`UPDATE bookings SET state = $1 WHERE state = $2 AND starts_at <= $3 AND ends_at <= $4
			RETURNING person_id`, StateNoShow, StateBooked, cutoff, tx.Now)
		if err != nil {
			return err
		}
		rep.NoShows = len(people)
		seen := map[string]bool{}
		since := tx.Now.AddDate(0, 0, -p.NoShowDays)
		for _, pid := range people {
			if seen[pid] {
				continue
			}
			seen[pid] = true
			var n int
			if err := tx.QueryRow(`SELECT COUNT(*) FROM bookings WHERE person_id = $1 AND state = $2 AND starts_at >= $3`,
				pid, StateNoShow, since).Scan(&n); err != nil {
				return err
			}
			if n < p.NoShows || p.SuspendDays == 0 {
				continue
			}
			until := tx.Now.AddDate(0, 0, p.SuspendDays)
			if _, err := tx.Exec(`INSERT INTO booking_people (user_id, suspended_until, updated_at) VALUES ($1, $2, $3)
				ON CONFLICT (user_id) DO UPDATE SET suspended_until = excluded.suspended_until, updated_at = excluded.updated_at`,
				pid, until, tx.Now); err != nil {
				return err
			}
			rep.Suspended++
		}
		// Tomorrow's bookings (China) are reminded once.
		tomorrow := calendar.DateIn(tx.Now).AddDays(1).String()
		rows, err := tx.Query(`SELECT b.id, b.person_id, h.name, COALESCE(s.name, ''), b.starts_at FROM bookings b
			JOIN halls h ON h.id = b.hall_id LEFT JOIN hall_services s ON s.id = b.service_id
			WHERE b.state = $1 AND b.day = $2 AND b.reminded_at IS NULL`, StateBooked, tomorrow)
		if err != nil {
			return err
		}
		type due struct {
			id, person, hall, service string
			at                        time.Time
		}
		var list []due
		for rows.Next() {
			var d due
			if err := rows.Scan(&d.id, &d.person, &d.hall, &d.service, &d.at); err != nil {
				rows.Close()
				return err
			}
			list = append(list, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, d := range list {
			msg := notify.Message{Key: "notify." + ReminderKind, Args: map[string]any{
				"hall": d.hall, "service": d.service, "time": d.at.In(calendar.China).Format("15:04")}}
			if err := notify.Send(tx, d.person, "", ReminderKind, msg, ReminderDedup(d.id)); err != nil {
				return err
			}
			if _, err := tx.Exec(`UPDATE bookings SET reminded_at = $1 WHERE id = $2`, tx.Now, d.id); err != nil {
				return err
			}
			rep.Reminded++
		}
		rep.Voided, err = queue.EndDaysTx(tx)
		return err
	})
	return rep, apperr.Internalf("booking: sweep", err)
}

// ReminderDedup is the cause of a booking's reminder (the notification's
// dedup): the dispatcher finds the booking by it, and does not send the
// reminder of a booking no longer open.
func ReminderDedup(bookingID string) string { return "booking:" + bookingID }

// Run sweeps when this replica holds the lease (holder names it).
func (s *Service) Run(ctx context.Context, holder string) (SweepReport, error) {
	ok, err := s.DB.Lease(ctx, SweepLease, holder, 5*time.Minute)
	if err != nil || !ok {
		return SweepReport{}, err
	}
	return s.Sweep(ctx)
}
