package booking

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
)

// policyKey is the settings row of the policy.
const policyKey = "booking.policy"

// policyTx reads the policy (DefaultPolicy when none is saved).
func policyTx(tx *db.Tx) (Policy, error) {
	var v string
	err := tx.QueryRow(`SELECT value FROM settings WHERE key = $1`, policyKey).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return DefaultPolicy, nil
	}
	if err != nil {
		return Policy{}, err
	}
	p := DefaultPolicy
	if err := json.Unmarshal([]byte(v), &p); err != nil {
		return Policy{}, err
	}
	return p, nil
}

// Policy reads the installation's booking policy.
func (s *Service) Policy(ctx context.Context) (Policy, error) {
	var p Policy
	err := s.DB.View(ctx, func(tx *db.Tx) error {
		var err error
		p, err = policyTx(tx)
		return err
	})
	return p, apperr.Internalf("booking: policy", err)
}

// SetPolicy saves the policy: an installation administrator's (audited).
func (s *Service) SetPolicy(ctx context.Context, u *identity.User, p Policy) (Policy, error) {
	if !u.Installation(identity.RoleAdmin, s.Root) {
		return p, apperr.E(apperr.Forbidden, "error.forbidden")
	}
	if err := p.Validate(); err != nil {
		return p, err
	}
	b, _ := json.Marshal(p)
	err := s.DB.Update(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(`INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
			policyKey, string(b)); err != nil {
			return err
		}
		return audit.Append(tx, &audit.Record{Actor: u.ID, Role: string(identity.RoleAdmin), Action: "booking.policy",
			ObjectType: "settings", ObjectID: policyKey}, b)
	})
	return p, apperr.Internalf("booking: set policy", err)
}

// hall is what booking needs of a hall.
type hall struct {
	ID, Region, Name string
	Active           bool
}

func hallTx(tx *db.Tx, id string) (hall, error) {
	h := hall{ID: id}
	err := tx.QueryRow(`SELECT region_code, name, active FROM halls WHERE id = $1`, id).Scan(&h.Region, &h.Name, &h.Active)
	return h, db.NotFound(err, "booking.hall_not_found")
}

// adminHallTx reads a hall the administrator covers (404 outside the scope).
func adminHallTx(tx *db.Tx, u *identity.User, id string) (hall, error) {
	h, err := hallTx(tx, id)
	if err != nil {
		return h, err
	}
	if !u.ScopeOf(identity.RoleAdmin).CoversRegion(h.Region) {
		return h, apperr.E(apperr.NotFound, "booking.hall_not_found")
	}
	return h, nil
}

// serviceTx checks a service belongs to the hall; active unless any.
func serviceTx(tx *db.Tx, hallID, serviceID string, any bool) error {
	var owner string
	var active bool
	err := tx.QueryRow(`SELECT hall_id, active FROM hall_services WHERE id = $1`, serviceID).Scan(&owner, &active)
	if errors.Is(err, sql.ErrNoRows) || err == nil && (owner != hallID || !active && !any) {
		return apperr.E(apperr.Invalid, "booking.service_unknown")
	}
	return err
}

const templateSelect = `SELECT id, hall_id, service_id, weekdays, start_min, end_min, slot_minutes, capacity, active, updated_at FROM booking_templates`

func scanTemplate(row interface{ Scan(...any) error }) (Template, error) {
	var t Template
	var wd string
	err := row.Scan(&t.ID, &t.HallID, &t.ServiceID, &wd, &t.start, &t.end, &t.SlotMinutes, &t.Capacity, &t.Active, &t.UpdatedAt)
	t.Weekdays, t.From, t.To, t.UpdatedAt = parseWeekdays(wd), clock(t.start), clock(t.end), t.UpdatedAt.UTC()
	return t, err
}

func templatesTx(tx *db.Tx, hallID, serviceID string) ([]Template, error) {
	q, args := templateSelect+` WHERE hall_id = $1`, []any{hallID}
	if serviceID != "" {
		q, args = q+` AND service_id = $2`, append(args, serviceID)
	}
	rows, err := tx.Query(q+` ORDER BY service_id, start_min, id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Template{}
	for rows.Next() {
		t, err := scanTemplate(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// Blackout is a day a hall takes no bookings.
type Blackout struct {
	Day    string `json:"day"`
	Reason string `json:"reason"`
}

func blackoutsTx(tx *db.Tx, hallID string) ([]Blackout, error) {
	rows, err := tx.Query(`SELECT day, reason FROM booking_blackouts WHERE hall_id = $1 ORDER BY day`, hallID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Blackout{}
	for rows.Next() {
		var b Blackout
		if err := rows.Scan(&b.Day, &b.Reason); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// Setup is a hall's booking setup as its administrator sees it.
type Setup struct {
	HallID    string       `json:"hall_id"`
	HallName  string       `json:"hall_name"`
	Services  []ServiceRef `json:"services"`
	Templates []Template   `json:"templates"`
	Blackouts []Blackout   `json:"blackouts"`
}

// HallSetup reads a hall's templates and blackout days (its administrator's).
func (s *Service) HallSetup(ctx context.Context, u *identity.User, hallID string) (*Setup, error) {
	var out *Setup
	err := s.DB.View(ctx, func(tx *db.Tx) error {
		h, err := adminHallTx(tx, u, hallID)
		if err != nil {
			return err
		}
		out = &Setup{HallID: h.ID, HallName: h.Name, Services: []ServiceRef{}}
		rows, err := tx.Query(`SELECT id, prefix, name, name_en FROM hall_services WHERE hall_id = $1 AND active ORDER BY prefix`, h.ID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var sv ServiceRef
			if err := rows.Scan(&sv.ID, &sv.Prefix, &sv.Name, &sv.NameEN); err != nil {
				rows.Close()
				return err
			}
			out.Services = append(out.Services, sv)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if out.Templates, err = templatesTx(tx, h.ID, ""); err != nil {
			return err
		}
		out.Blackouts, err = blackoutsTx(tx, h.ID)
		return err
	})
	return out, apperr.Internalf("booking: setup", err)
}

// SaveTemplate creates (t.ID empty) or replaces a template of a hall the
// administrator covers; audited.
func (s *Service) SaveTemplate(ctx context.Context, u *identity.User, hallID string, t Template) (Template, error) {
	err := s.DB.Update(ctx, func(tx *db.Tx) error {
		h, err := adminHallTx(tx, u, hallID)
		if err != nil {
			return err
		}
		t.HallID = h.ID
		if err := t.check(); err != nil {
			return err
		}
		if err := serviceTx(tx, h.ID, t.ServiceID, true); err != nil {
			return err
		}
		t.UpdatedAt = tx.Now
		action := "booking.template_update"
		if t.ID == "" {
			t.ID, action = db.NewID(), "booking.template_create"
			if _, err := tx.Exec(`INSERT INTO booking_templates (id, hall_id, service_id, weekdays, start_min, end_min, slot_minutes,
				capacity, active, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)`,
				t.ID, t.HallID, t.ServiceID, t.weekdaysText(), t.start, t.end, t.SlotMinutes, t.Capacity, t.Active, tx.Now); err != nil {
				return err
			}
		} else {
			res, err := tx.Exec(`UPDATE booking_templates SET service_id = $1, weekdays = $2, start_min = $3, end_min = $4,
				slot_minutes = $5, capacity = $6, active = $7, updated_at = $8 WHERE id = $9 AND hall_id = $10`,
				t.ServiceID, t.weekdaysText(), t.start, t.end, t.SlotMinutes, t.Capacity, t.Active, tx.Now, t.ID, t.HallID)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return apperr.E(apperr.NotFound, "booking.template_not_found")
			}
		}
		b, _ := json.Marshal(t)
		return audit.Append(tx, &audit.Record{Actor: u.ID, Role: string(identity.RoleAdmin), Action: action,
			ObjectType: "hall", ObjectID: h.ID}, b)
	})
	return t, apperr.Internalf("booking: save template", err)
}

// DeleteTemplate removes a template (slots already booked stay); audited.
func (s *Service) DeleteTemplate(ctx context.Context, u *identity.User, hallID, id string) error {
	err := s.DB.Update(ctx, func(tx *db.Tx) error {
		h, err := adminHallTx(tx, u, hallID)
		if err != nil {
			return err
		}
		res, err := tx.Exec(`DELETE FROM booking_templates WHERE id = $1 AND hall_id = $2`, id, h.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.E(apperr.NotFound, "booking.template_not_found")
		}
		return audit.Append(tx, &audit.Record{Actor: u.ID, Role: string(identity.RoleAdmin), Action: "booking.template_delete",
			ObjectType: "hall", ObjectID: h.ID}, []byte(`{"id":"`+id+`"}`))
	})
	return apperr.Internalf("booking: delete template", err)
}

// MaxReason bounds a blackout's reason.
const MaxReason = 200

// SetBlackout closes (closed) or reopens a hall's day; audited. Bookings
// already made for the day stay (the hall tells their holders).
func (s *Service) SetBlackout(ctx context.Context, u *identity.User, hallID, day, reason string, closed bool) error {
	d, err := calendar.ParseDate(strings.TrimSpace(day))
	if err != nil {
		return apperr.E(apperr.Invalid, "booking.day_invalid")
	}
	reason = strings.TrimSpace(reason)
	if utf8.RuneCountInString(reason) > MaxReason {
		return apperr.E(apperr.Invalid, "booking.reason_too_long", "max", MaxReason)
	}
	err = s.DB.Update(ctx, func(tx *db.Tx) error {
		h, err := adminHallTx(tx, u, hallID)
		if err != nil {
			return err
		}
		action := "booking.blackout_remove"
		if closed {
			action = "booking.blackout_add"
			if _, err := tx.Exec(`INSERT INTO booking_blackouts (hall_id, day, reason, created_by, created_at) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (hall_id, day) DO UPDATE SET reason = excluded.reason`, h.ID, d.String(), reason, u.ID, tx.Now); err != nil {
				return err
			}
		} else {
			res, err := tx.Exec(`DELETE FROM booking_blackouts WHERE hall_id = $1 AND day = $2`, h.ID, d.String())
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return apperr.E(apperr.NotFound, "booking.blackout_not_found")
			}
		}
		b, _ := json.Marshal(Blackout{Day: d.String(), Reason: reason})
		return audit.Append(tx, &audit.Record{Actor: u.ID, Role: string(identity.RoleAdmin), Action: action,
			ObjectType: "hall", ObjectID: h.ID}, b)
	})
	return apperr.Internalf("booking: blackout", err)
}
