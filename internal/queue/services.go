package queue

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
)

// HallService is one of a hall's services (业务类型): its ticket prefix,
// its typical duration in minutes, the items it serves and the windows
// serving it.
type HallService struct {
	ID      string   `json:"id"`
	HallID  string   `json:"hall_id"`
	Prefix  string   `json:"prefix"`
	Name    string   `json:"name"`
	NameEN  string   `json:"name_en"`
	Minutes int      `json:"minutes"`
	Active  bool     `json:"active"`
	Items   []string `json:"items"`   // implementation codes
	Windows []string `json:"windows"` // window ids
}

// ServiceInput is a service to create or the fields of one to change (nil:
// unchanged). Creating needs Prefix, Name and Minutes.
type ServiceInput struct {
	Prefix  *string   `json:"prefix"`
	Name    *string   `json:"name"`
	NameEN  *string   `json:"name_en"`
	Minutes *int      `json:"minutes"`
	Active  *bool     `json:"active"`
	Items   *[]string `json:"items"`
	Windows *[]string `json:"windows"`
}

// Priority is a priority class (data).
type Priority struct {
	Code   string `json:"code"`
	Name   string `json:"name"`
	NameEN string `json:"name_en"`
	Rank   int    `json:"rank"`
}

// Bounds of a service.
const (
	MaxMinutes      = 480
	MaxServiceItems = 500
	MaxName         = 50
)

// adminOf checks that u administers the hall's region.
func adminOf(u *identity.User, h hall) error {
	if u == nil {
		return apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	if !u.ScopeOf(identity.RoleAdmin).CoversRegion(h.Region) {
		return apperr.E(apperr.Forbidden, "queue.forbidden_hall", "hall", h.Name)
	}
	return nil
}

// staffOf checks that u may work in the hall: a clerk, or an
// administrator, covering its region.
func staffOf(u *identity.User, h hall) error {
	if u == nil {
		return apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	if !u.ScopeOf(identity.RoleClerk, identity.RoleAdmin).CoversRegion(h.Region) {
		return apperr.E(apperr.Forbidden, "queue.forbidden_hall", "hall", h.Name)
	}
	return nil
}

func record(tx *db.Tx, u *identity.User, role, action, objType, id string, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return audit.Append(tx, &audit.Record{Actor: u.ID, Role: role, Action: action, ObjectType: objType, ObjectID: id}, body)
}

// Services lists a hall's services (active or not), public: the kiosk and
// the board show them. An unknown hall is NotFound.
func (s *Service) Services(ctx context.Context, hallID string) ([]HallService, error) {
	var out []HallService
	err := s.DB.View(ctx, func(tx *db.Tx) error {
		if _, err := hallRow(tx, hallID); err != nil {
			return err
		}
		var err error
		out, err = servicesTx(tx, hallID)
		return err
	})
	return out, apperr.Internalf("queue: services", err)
}

func servicesTx(tx *db.Tx, hallID string) ([]HallService, error) {
	out := []HallService{}
	rows, err := tx.Query(`SELECT id, hall_id, prefix, name, name_en, minutes, active FROM hall_services WHERE hall_id = $1 ORDER BY prefix`, hallID)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		hs := HallService{Items: []string{}, Windows: []string{}}
		if err := rows.Scan(&hs.ID, &hs.HallID, &hs.Prefix, &hs.Name, &hs.NameEN, &hs.Minutes, &hs.Active); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, hs)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Items, err = tx.Strings(`SELECT impl_code FROM hall_service_items WHERE service_id = $1 ORDER BY impl_code`, out[i].ID); err != nil {
			return nil, err
		}
		if out[i].Windows, err = tx.Strings(`SELECT window_id FROM window_services WHERE service_id = $1 ORDER BY window_id`, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func serviceTx(tx *db.Tx, id string) (HallService, error) {
	var hallID string
	if err := tx.QueryRow(`SELECT hall_id FROM hall_services WHERE id = $1`, id).Scan(&hallID); err != nil {
		return HallService{}, db.NotFound(err, "queue.service_unknown", "id", id)
	}
	list, err := servicesTx(tx, hallID)
	if err != nil {
		return HallService{}, err
	}
	for _, hs := range list {
		if hs.ID == id {
			return hs, nil
		}
	}
	return HallService{}, apperr.E(apperr.NotFound, "queue.service_unknown", "id", id)
}

// Priorities lists the priority classes, first called first.
func (s *Service) Priorities(ctx context.Context) ([]Priority, error) {
	out := []Priority{}
	err := s.DB.View(ctx, func(tx *db.Tx) error {
		rows, err := tx.Query(`SELECT code, name, name_en, rank FROM queue_priorities ORDER BY rank, code`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var p Priority
			if err := rows.Scan(&p.Code, &p.Name, &p.NameEN, &p.Rank); err != nil {
				return err
			}
			out = append(out, p)
		}
		return rows.Err()
	})
	return out, apperr.Internalf("queue: priorities", err)
}

func invalidAt(field, key string, kv ...any) error {
	return apperr.E(apperr.Invalid, "catalog.at", "field", field, "reason", apperr.E(apperr.Invalid, key, kv...))
}

// applyService validates in onto hs, in hall h.
func applyService(tx *db.Tx, h hall, hs *HallService, in ServiceInput) error {
	if in.Prefix != nil {
		hs.Prefix = *in.Prefix
	}
	if in.Name != nil {
		hs.Name = *in.Name
	}
	if in.NameEN != nil {
		hs.NameEN = *in.NameEN
	}
	if in.Minutes != nil {
		hs.Minutes = *in.Minutes
	}
	if in.Active != nil {
		hs.Active = *in.Active
	}
	if len(hs.Prefix) != 1 || hs.Prefix[0] < 'A' || hs.Prefix[0] > 'Z' {
		return invalidAt("prefix", "queue.prefix", "value", hs.Prefix)
	}
	for field, v := range map[string]string{"name": hs.Name, "name_en": hs.NameEN} {
		if strings.TrimSpace(v) != v {
			return invalidAt(field, "org.text_spaces")
		}
		if utf8.RuneCountInString(v) > MaxName {
			return invalidAt(field, "org.text_long", "max", MaxName)
		}
	}
	if hs.Name == "" {
		return apperr.E(apperr.Invalid, "error.field_required", "field", "name")
	}
	if hs.Minutes < 1 || hs.Minutes > MaxMinutes {
		return invalidAt("minutes", "queue.minutes", "max", MaxMinutes)
	}
	if in.Items != nil {
		if len(*in.Items) > MaxServiceItems {
			return invalidAt("items", "org.serves_many", "max", MaxServiceItems)
		}
		items := slices.Compact(slices.Sorted(slices.Values(*in.Items)))
		for _, code := range items {
			var n int
			if err := tx.QueryRow(`SELECT COUNT(*) FROM items WHERE impl_code = $1`, code).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return invalidAt("items", "queue.item_unknown", "code", code)
			}
		}
		hs.Items = items
	}
	if in.Windows != nil {
		if len(*in.Windows) > MaxServiceItems {
			return invalidAt("windows", "org.serves_many", "max", MaxServiceItems)
		}
		ws := slices.Compact(slices.Sorted(slices.Values(*in.Windows)))
		for _, id := range ws {
			var hallID string
			err := tx.QueryRow(`SELECT hall_id FROM windows WHERE id = $1`, id).Scan(&hallID)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			if err != nil || hallID != h.ID {
				return invalidAt("windows", "queue.window_other_hall", "id", id)
			}
		}
		hs.Windows = ws
	}
	return nil
}

func writeService(tx *db.Tx, hs HallService, items, windows bool) error {
	if items {
		if _, err := tx.Exec(`DELETE FROM hall_service_items WHERE service_id = $1`, hs.ID); err != nil {
			return err
		}
		for _, c := range hs.Items {
			if _, err := tx.Exec(`INSERT INTO hall_service_items (service_id, impl_code) VALUES ($1, $2)`, hs.ID, c); err != nil {
				return err
			}
		}
	}
	if windows {
		if _, err := tx.Exec(`DELETE FROM window_services WHERE service_id = $1`, hs.ID); err != nil {
			return err
		}
		for _, w := range hs.Windows {
			if _, err := tx.Exec(`INSERT INTO window_services (window_id, service_id) VALUES ($1, $2)`, w, hs.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// CreateService adds a service to a hall the administrator covers.
func (s *Service) CreateService(ctx context.Context, u *identity.User, hallID string, in ServiceInput) (HallService, error) {
	var out HallService
	err := s.DB.Update(ctx, func(tx *db.Tx) error {
		h, err := hallRow(tx, hallID)
		if err != nil {
			return err
		}
		if err := adminOf(u, h); err != nil {
			return err
		}
		hs := HallService{ID: db.NewID(), HallID: h.ID, Active: true, Items: []string{}, Windows: []string{}}
		if err := applyService(tx, h, &hs, in); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(`SELECT COUNT(*) FROM hall_services WHERE hall_id = $1 AND prefix = $2`, h.ID, hs.Prefix).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return apperr.E(apperr.Conflict, "queue.prefix_taken", "prefix", hs.Prefix)
		}
		if _, err := tx.Exec(`INSERT INTO hall_services (id, hall_id, prefix, name, name_en, minutes, active, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, hs.ID, hs.HallID, hs.Prefix, hs.Name, hs.NameEN, hs.Minutes, hs.Active, tx.Now); err != nil {
			return err
		}
		if err := writeService(tx, hs, true, true); err != nil {
			return err
		}
		if out, err = serviceTx(tx, hs.ID); err != nil {
			return err
		}
		return record(tx, u, "admin", "hall_service.create", "hall_service", hs.ID, out)
	})
	return out, apperr.Internalf("queue: create service", err)
}

// UpdateService changes a service of a hall the administrator covers. Its
// prefix changes only while no ticket of today carries it.
func (s *Service) UpdateService(ctx context.Context, u *identity.User, id string, in ServiceInput) (HallService, error) {
	var out HallService
	err := s.DB.Update(ctx, func(tx *db.Tx) error {
		hs, err := serviceTx(tx, id)
		if err != nil {
			return err
		}
		h, err := hallRow(tx, hs.HallID)
		if err != nil {
			return err
		}
		if err := adminOf(u, h); err != nil {
			return err
		}
		old := hs.Prefix
		if err := applyService(tx, h, &hs, in); err != nil {
			return err
		}
		if hs.Prefix != old {
			var n int
			if err := tx.QueryRow(`SELECT COUNT(*) FROM hall_services WHERE hall_id = $1 AND prefix = $2`, h.ID, hs.Prefix).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return apperr.E(apperr.Conflict, "queue.prefix_taken", "prefix", hs.Prefix)
			}
			if err := tx.QueryRow(`SELECT COUNT(*) FROM queue_tickets WHERE service_id = $1 AND day = $2`, hs.ID, Day(tx.Now)).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return apperr.E(apperr.Conflict, "queue.prefix_in_use", "prefix", old)
			}
		}
		if _, err := tx.Exec(`UPDATE hall_services SET prefix = $1, name = $2, name_en = $3, minutes = $4, active = $5 WHERE id = $6`,
			hs.Prefix, hs.Name, hs.NameEN, hs.Minutes, hs.Active, hs.ID); err != nil {
			return err
		}
		if err := writeService(tx, hs, in.Items != nil, in.Windows != nil); err != nil {
			return err
		}
		if out, err = serviceTx(tx, hs.ID); err != nil {
			return err
		}
		return record(tx, u, "admin", "hall_service.update", "hall_service", hs.ID, out)
	})
	return out, apperr.Internalf("queue: update service", err)
}

// WindowInfo is a window of a hall as the queue sees it: the services it
// serves and who is signed on.
type WindowInfo struct {
	ID       string   `json:"id"`
	Number   string   `json:"number"`
	Name     string   `json:"name"`
	Active   bool     `json:"active"`
	Services []string `json:"services"` // service ids
	StaffID  string   `json:"staff_id,omitempty"`
	Staff    string   `json:"staff,omitempty"` // the display name of who is signed on
}

func windowsTx(tx *db.Tx, hallID string) ([]WindowInfo, error) {
	out := []WindowInfo{}
	rows, err := tx.Query(`SELECT w.id, w.number, w.name, w.active, COALESCE(se.user_id, ''), COALESCE(u.display_name, '')
		FROM windows w LEFT JOIN window_sessions se ON se.window_id = w.id AND se.ended_at IS NULL
		LEFT JOIN users u ON u.id = se.user_id
		WHERE w.hall_id = $1 ORDER BY w.number`, hallID)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		w := WindowInfo{}
		if err := rows.Scan(&w.ID, &w.Number, &w.Name, &w.Active, &w.StaffID, &w.Staff); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, w)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Services, err = tx.Strings(`SELECT service_id FROM window_services WHERE window_id = $1 ORDER BY service_id`, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// HallWindows lists a hall's windows with their services and who is signed
// on, for its staff and administrators.
func (s *Service) HallWindows(ctx context.Context, u *identity.User, hallID string) ([]WindowInfo, error) {
	var out []WindowInfo
	err := s.DB.View(ctx, func(tx *db.Tx) error {
		h, err := hallRow(tx, hallID)
		if err != nil {
			return err
		}
		if err := staffOf(u, h); err != nil {
			return err
		}
		out, err = windowsTx(tx, h.ID)
		return err
	})
	return out, apperr.Internalf("queue: windows", err)
}

// SetWindowServices sets the services a window serves (all of its hall).
func (s *Service) SetWindowServices(ctx context.Context, u *identity.User, windowID string, services []string) (WindowInfo, error) {
	var out WindowInfo
	err := s.DB.Update(ctx, func(tx *db.Tx) error {
		w, h, err := windowHall(tx, windowID)
		if err != nil {
			return err
		}
		if err := adminOf(u, h); err != nil {
			return err
		}
		if len(services) > MaxServiceItems {
			return invalidAt("services", "org.serves_many", "max", MaxServiceItems)
		}
		list := slices.Compact(slices.Sorted(slices.Values(services)))
		for _, id := range list {
			var hallID string
			err := tx.QueryRow(`SELECT hall_id FROM hall_services WHERE id = $1`, id).Scan(&hallID)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			if err != nil || hallID != h.ID {
				return invalidAt("services", "queue.service_other_hall", "id", id)
			}
		}
		if _, err := tx.Exec(`DELETE FROM window_services WHERE window_id = $1`, w); err != nil {
			return err
		}
		for _, id := range list {
			if _, err := tx.Exec(`INSERT INTO window_services (window_id, service_id) VALUES ($1, $2)`, w, id); err != nil {
				return err
			}
		}
		ws, err := windowsTx(tx, h.ID)
		if err != nil {
			return err
		}
		for _, x := range ws {
			if x.ID == w {
				out = x
			}
		}
		return record(tx, u, "admin", "window.services", "window", w, list)
	})
	return out, apperr.Internalf("queue: window services", err)
}

func windowHall(tx *db.Tx, windowID string) (string, hall, error) {
	var hallID string
	if err := tx.QueryRow(`SELECT hall_id FROM windows WHERE id = $1`, windowID).Scan(&hallID); err != nil {
		return "", hall{}, db.NotFound(err, "queue.window_unknown", "id", windowID)
	}
	h, err := hallRow(tx, hallID)
	return windowID, h, err
}

// Session is a staff member signed on to a window.
type Session struct {
	ID        string    `json:"id"`
	WindowID  string    `json:"window_id"`
	WindowNo  string    `json:"window_number"`
	HallID    string    `json:"hall_id"`
	StartedAt time.Time `json:"started_at"`
}

// SignOn signs u on to a window of a hall whose region u covers as a clerk:
// one window per staff member and one staff member per window at a time.
// A staff member already at another window is moved (that session ends).
func (s *Service) SignOn(ctx context.Context, u *identity.User, windowID string) (*Session, error) {
	var out *Session
	err := s.DB.Update(ctx, func(tx *db.Tx) error {
		w, h, err := windowHall(tx, windowID)
		if err != nil {
			return err
		}
		if err := staffOf(u, h); err != nil {
			return err
		}
		var active bool
		var number string
		if err := tx.QueryRow(`SELECT active, number FROM windows WHERE id = $1`, w).Scan(&active, &number); err != nil {
			return err
		}
		if !active {
			return apperr.E(apperr.Conflict, "queue.window_inactive", "window", number)
		}
		var other string
		err = tx.QueryRow(`SELECT u.display_name FROM window_sessions se JOIN users u ON u.id = se.user_id
			WHERE se.window_id = $1 AND se.ended_at IS NULL AND se.user_id <> $2`, w, u.ID).Scan(&other)
		if err == nil {
			return apperr.E(apperr.Conflict, "queue.window_taken", "window", number, "staff", other)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		var mine string
		err = tx.QueryRow(`SELECT id FROM window_sessions WHERE user_id = $1 AND ended_at IS NULL AND window_id = $2`, u.ID, w).Scan(&mine)
		if err == nil {
			out, err = sessionTx(tx, u)
			return err
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if _, err := tx.Exec(`UPDATE window_sessions SET ended_at = $1 WHERE user_id = $2 AND ended_at IS NULL`, tx.Now, u.ID); err != nil {
			return err
		}
		if _, err := tx.Exec(`INSERT INTO window_sessions (id, window_id, user_id, started_at) VALUES ($1, $2, $3, $4)`,
			db.NewID(), w, u.ID, tx.Now); err != nil {
			if db.IsUniqueViolation(err) {
				return apperr.E(apperr.Conflict, "queue.window_taken", "window", number, "staff", "")
			}
			return err
		}
		if out, err = sessionTx(tx, u); err != nil {
			return err
		}
		return record(tx, u, "clerk", "window.sign_on", "window", w, out)
	})
	return out, apperr.Internalf("queue: sign on", err)
}

// SignOff ends u's session at a window; tickets being called or served
// there stay with the window.
func (s *Service) SignOff(ctx context.Context, u *identity.User) error {
	if err := windowStaff(u); err != nil {
		return err
	}
	err := s.DB.Update(ctx, func(tx *db.Tx) error {
		se, err := sessionTx(tx, u)
		if err != nil || se == nil {
			return err
		}
		if _, err := tx.Exec(`UPDATE window_sessions SET ended_at = $1 WHERE id = $2`, tx.Now, se.ID); err != nil {
			return err
		}
		return record(tx, u, "clerk", "window.sign_off", "window", se.WindowID, se)
	})
	return apperr.Internalf("queue: sign off", err)
}

// CurrentSession is u's open session, or nil.
func (s *Service) CurrentSession(ctx context.Context, u *identity.User) (*Session, error) {
	if err := windowStaff(u); err != nil {
		return nil, err
	}
	var out *Session
	err := s.DB.View(ctx, func(tx *db.Tx) error {
		var err error
		out, err = sessionTx(tx, u)
		return err
	})
	return out, apperr.Internalf("queue: session", err)
}

// windowStaff checks that u holds a role that works at windows: a clerk,
// or an administrator.
func windowStaff(u *identity.User) error {
	if u == nil {
		return apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	if !u.HasAny(identity.RoleClerk, identity.RoleAdmin) {
		return apperr.E(apperr.Forbidden, "error.forbidden")
	}
	return nil
}

// sessionTx is u's open session, nil when there is none.
func sessionTx(tx *db.Tx, u *identity.User) (*Session, error) {
	var se Session
	err := tx.QueryRow(`SELECT se.id, se.window_id, w.number, w.hall_id, se.started_at FROM window_sessions se JOIN windows w ON w.id = se.window_id
		WHERE se.user_id = $1 AND se.ended_at IS NULL`, u.ID).Scan(&se.ID, &se.WindowID, &se.WindowNo, &se.HallID, &se.StartedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	se.StartedAt = se.StartedAt.UTC()
	return &se, nil
}

// StaffHall is a hall a staff member may work in, with its windows.
type StaffHall struct {
	ID      string       `json:"id"`
	Name    string       `json:"name"`
	Windows []WindowInfo `json:"windows"`
}

// MaxStaffHalls bounds the halls listed to a staff member (a county's
// clerk covers its townships' centres).
const MaxStaffHalls = 200

// StaffHalls lists the active halls whose region u covers as a clerk or an
// administrator, with their windows: where u may sign on.
func (s *Service) StaffHalls(ctx context.Context, u *identity.User) ([]StaffHall, error) {
	if u == nil {
		return nil, apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	out := []StaffHall{}
	err := s.DB.View(ctx, func(tx *db.Tx) error {
		out = out[:0]
		var args []any
		cond := u.ScopeOf(identity.RoleClerk, identity.RoleAdmin).SQL("", "h.region_code", func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) })
		rows, err := tx.Query(`SELECT h.id, h.name FROM halls h JOIN regions r ON r.code = h.region_code WHERE h.active AND `+cond+
			` ORDER BY r.level, h.region_code LIMIT `+strconv.Itoa(MaxStaffHalls), args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var h StaffHall
			if err := rows.Scan(&h.ID, &h.Name); err != nil {
				rows.Close()
				return err
			}
			out = append(out, h)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for i := range out {
			if out[i].Windows, err = windowsTx(tx, out[i].ID); err != nil {
				return err
			}
		}
		return nil
	})
	return out, apperr.Internalf("queue: staff halls", err)
}
