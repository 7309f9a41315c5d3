package mydata

import (
	"database/sql"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/db"
)

// The account's relations to others and its traces in the hall: the
// mandates (授权委托) it gave or acts under, the enterprises it represents or
// acts for (法定代表人, 经办人), its ratings (好差评), bookings (网上预约) and
// queue tickets (取号) — personal data as much as its cases (个人信息保护法
// Art. 45: a copy of all of it).

// Mandate is a mandate the account gave (as principal) or acts under (as
// agent): the other party by display name only.
type Mandate struct {
	As        string     `json:"as"` // principal, agent
	Other     string     `json:"other_party"`
	Items     []string   `json:"items"` // ["*"]: every item
	State     string     `json:"state"`
	Method    string     `json:"method"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt time.Time  `json:"expires_at"`
	EndedAt   *time.Time `json:"ended_at,omitempty"`
}

// EnterpriseRole is an enterprise the account represents (legal_rep) or
// acts for (operator, 经办人) — or, for an enterprise's account, a person
// authorised to act for it.
type EnterpriseRole struct {
	Role       string     `json:"role"` // legal_rep, operator, operator_authorised
	Enterprise string     `json:"enterprise"`
	CreditCode string     `json:"credit_code,omitempty"`
	Person     string     `json:"person,omitempty"` // operator_authorised: who
	Items      []string   `json:"items,omitempty"`  // empty: every item
	Since      *time.Time `json:"since,omitempty"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

// Rating is a rating the account gave, with its comment.
type Rating struct {
	Subject    string    `json:"subject"` // case or visit
	SubjectNo  string    `json:"subject_no"`
	Kind       string    `json:"kind"` // first, follow_up
	Level      int       `json:"level"`
	Indicators []string  `json:"indicators,omitempty"`
	Comment    string    `json:"comment,omitempty"`
	Channel    string    `json:"channel"`
	Item       string    `json:"item,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
}

// Booking is an appointment the account made.
type Booking struct {
	Hall      string    `json:"hall"`
	Service   string    `json:"service"`
	StartsAt  time.Time `json:"starts_at"`
	State     string    `json:"state"`
	Channel   string    `json:"channel"`
	TicketNo  string    `json:"ticket_no,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Ticket is a queue ticket taken by or for the account.
type Ticket struct {
	Hall    string    `json:"hall"`
	Number  string    `json:"number"`
	Day     string    `json:"day"`
	Source  string    `json:"source"`
	State   string    `json:"state"`
	TakenAt time.Time `json:"taken_at"`
}

func split(s, sep string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, sep)
}

func utc(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	u := t.Time.UTC()
	return &u
}

// relations fills the document's mandates, enterprise roles, ratings,
// bookings and tickets of userID.
func relations(tx *db.Tx, userID string, d *Document) error {
	for _, fill := range []func(*db.Tx, string, *Document) error{mandates, enterprises, ratings, bookings, tickets} {
		if err := fill(tx, userID, d); err != nil {
			return err
		}
	}
	return nil
}

func mandates(tx *db.Tx, userID string, d *Document) error {
	rows, err := tx.Query(`SELECT CASE WHEN m.principal_id = $1 THEN 'principal' ELSE 'agent' END,
			CASE WHEN m.principal_id = $1 THEN a.display_name ELSE p.display_name END,
			m.items, m.state, m.method, m.created_at, m.expires_at, m.ended_at
		FROM mandates m JOIN users a ON a.id = m.agent_id JOIN users p ON p.id = m.principal_id
		WHERE m.principal_id = $1 OR m.agent_id = $1 ORDER BY m.created_at, m.id`, userID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var m Mandate
		var items string
		var ended sql.NullTime
		if err := rows.Scan(&m.As, &m.Other, &items, &m.State, &m.Method, &m.CreatedAt, &m.ExpiresAt, &ended); err != nil {
			return err
		}
		m.Items, m.EndedAt = split(items, " "), utc(ended)
		m.CreatedAt, m.ExpiresAt = m.CreatedAt.UTC(), m.ExpiresAt.UTC()
		d.Mandates = append(d.Mandates, m)
	}
	return rows.Err()
}

func enterprises(tx *db.Tx, userID string, d *Document) error {
	// Three queries, not a UNION: SQLite types a UNION's columns from its
	// first branch, and a NULL there leaves the times untyped.
	for _, q := range []string{
		`SELECT 'legal_rep', o.name, o.credit_code, '', '', o.bound_at, o.bound_at, o.bound_at
			FROM organisations o WHERE o.legal_rep_id = $1`,
		`SELECT 'operator', o.name, o.credit_code, '', e.items, e.created_at, e.expires_at, e.revoked_at
			FROM enterprise_operators e JOIN organisations o ON o.user_id = e.organisation_id
			WHERE e.person_id = $1 ORDER BY e.created_at, e.id`,
		`SELECT 'operator_authorised', '', '', p.display_name, e.items, e.created_at, e.expires_at, e.revoked_at
			FROM enterprise_operators e JOIN users p ON p.id = e.person_id WHERE e.organisation_id = $1 ORDER BY e.created_at, e.id`,
	} {
		if err := enterpriseRows(tx, q, userID, d); err != nil {
			return err
		}
	}
	return nil
}

func enterpriseRows(tx *db.Tx, q, userID string, d *Document) error {
	rows, err := tx.Query(q, userID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var r EnterpriseRole
		var items string
		var since, expires, revoked sql.NullTime
		if err := rows.Scan(&r.Role, &r.Enterprise, &r.CreditCode, &r.Person, &items, &since, &expires, &revoked); err != nil {
			return err
		}
		r.Items, r.Since = split(items, ","), utc(since)
		if r.Role != "legal_rep" { // a legal representative holds it until replaced
			r.ExpiresAt, r.RevokedAt = utc(expires), utc(revoked)
		}
		d.Enterprises = append(d.Enterprises, r)
	}
	return rows.Err()
}

func ratings(tx *db.Tx, userID string, d *Document) error {
	rows, err := tx.Query(`SELECT subject_kind, subject_no, kind, level, indicators, comment, channel, item_name, created_at
		FROM ratings WHERE rater_id = $1 AND NOT defaulted ORDER BY created_at, id`, userID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var r Rating
		var ind string
		if err := rows.Scan(&r.Subject, &r.SubjectNo, &r.Kind, &r.Level, &ind, &r.Comment, &r.Channel, &r.Item, &r.CreatedAt); err != nil {
			return err
		}
		r.Indicators, r.CreatedAt = split(ind, "|"), r.CreatedAt.UTC()
		d.Ratings = append(d.Ratings, r)
	}
	return rows.Err()
}

func bookings(tx *db.Tx, userID string, d *Document) error {
	rows, err := tx.Query(`SELECT h.name, s.name, b.starts_at, b.state, b.channel, b.ticket_no, b.created_at
		FROM bookings b JOIN halls h ON h.id = b.hall_id JOIN hall_services s ON s.id = b.service_id
		WHERE b.person_id = $1 ORDER BY b.created_at, b.id`, userID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var b Booking
		if err := rows.Scan(&b.Hall, &b.Service, &b.StartsAt, &b.State, &b.Channel, &b.TicketNo, &b.CreatedAt); err != nil {
			return err
		}
		b.StartsAt, b.CreatedAt = b.StartsAt.UTC(), b.CreatedAt.UTC()
		d.Bookings = append(d.Bookings, b)
	}
	return rows.Err()
}

func tickets(tx *db.Tx, userID string, d *Document) error {
	rows, err := tx.Query(`SELECT h.name, t.number, t.day, t.source, t.state, t.taken_at
		FROM queue_tickets t JOIN halls h ON h.id = t.hall_id WHERE t.person_id = $1 ORDER BY t.taken_at, t.id`, userID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var t Ticket
		if err := rows.Scan(&t.Hall, &t.Number, &t.Day, &t.Source, &t.State, &t.TakenAt); err != nil {
			return err
		}
		t.TakenAt = t.TakenAt.UTC()
		d.Tickets = append(d.Tickets, t)
	}
	return rows.Err()
}
