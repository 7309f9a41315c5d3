// Package mydata assembles the copy of one's own personal data (个人信息保护法
// Art. 44/45, the rights to access and to copy): the account, its contacts,
// its cases with their form values unsealed, its licences, its 诉求, its notifications,
// and which staff read its cases, its 诉求 and the 差评 work orders on its
// ratings (date, department and role; not who). Each
// export is an audit record.
package mydata

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/appeal"
	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/deliver"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/notify"
)

// Format names the document's shape and version.
const Format = "tongban-mydata/1"

// Action is the audit action of an export.
const Action = "account.data_export"

// Document is the export.
type Document struct {
	Format        string         `json:"format"`
	ExportedAt    time.Time      `json:"exported_at"`
	Account       Account        `json:"account"`
	Cases         []Case         `json:"cases"`
	Licences      []Licence      `json:"licences"`
	Notifications []Notification `json:"notifications"`
	StaffReads    []Read         `json:"staff_reads"`
	// Appeals are the account's 诉求 (issue 18), with their replies.
	Appeals []*appeal.Appeal `json:"appeals"`
	// The account's relations and traces in the hall (relations.go).
	Mandates    []Mandate        `json:"mandates"`
	Enterprises []EnterpriseRole `json:"enterprise_roles"`
	Ratings     []Rating         `json:"ratings"`
	Bookings    []Booking        `json:"bookings"`
	Tickets     []Ticket         `json:"queue_tickets"`
}

// Account is the account's own identity, the identifier in full.
type Account struct {
	Username   string           `json:"username"`
	Kind       string           `json:"kind"`
	Name       string           `json:"name"`
	Identifier string           `json:"identifier,omitempty"` // citizen ID number or credit code
	Region     string           `json:"registered_region,omitempty"`
	Roles      []string         `json:"roles"`
	CreatedAt  time.Time        `json:"created_at"`
	Contacts   *deliver.Contact `json:"contacts,omitempty"`
	// Assurance is a person's level of assurance: 1 self-registered, 2 seen
	// at a window.
	Assurance     int        `json:"level_of_assurance,omitempty"`
	Locale        string     `json:"locale,omitempty"`
	VerifiedPhone string     `json:"verified_phone,omitempty"` // masked
	ClosedAt      *time.Time `json:"closed_at,omitempty"`
}

// Case is a case as exported: the case and whether the account filed it as
// an agent for someone else.
type Case struct {
	AsAgent bool `json:"as_agent"`
	cases.Case
}

// Licence is a licence held.
type Licence struct {
	Identifier string    `json:"identifier"`
	Type       string    `json:"type"`
	Number     string    `json:"number"`
	Status     string    `json:"status"`
	ValidFrom  string    `json:"valid_from"`
	ValidTo    string    `json:"valid_to,omitempty"`
	IssuedAt   time.Time `json:"issued_at"`
}

// Notification is one in-platform notification.
type Notification struct {
	Kind      string          `json:"kind"`
	CaseNo    string          `json:"case_no,omitempty"`
	Body      json.RawMessage `json:"body"`
	CreatedAt time.Time       `json:"created_at"`
	ReadAt    *time.Time      `json:"read_at,omitempty"`
}

// Read is one staff read of a case, of a 诉求 or of a 差评 work order on
// the account's rating (issue 18): which (one number of the three), when,
// in which department and role.
type Read struct {
	CaseNo        string    `json:"case_no,omitempty"`
	AppealNo      string    `json:"appeal_no,omitempty"`
	RatingOrderNo string    `json:"rating_order_no,omitempty"`
	At            time.Time `json:"at"`
	Purpose       string    `json:"purpose"`
	Grants        []Grant   `json:"reader_grants"`
}

// Grant is a reader's staff role and department.
type Grant struct {
	Role       string `json:"role"`
	Department string `json:"department,omitempty"`
}

// Exporter builds documents.
type Exporter struct {
	DB       *db.DB
	Identity *identity.Service
	Cases    *cases.Service
	Appeals  *appeal.Service // nil: no 诉求 in the document
	Now      func() time.Time
}

// Export returns u's document and records the export.
func (e *Exporter) Export(ctx context.Context, u *identity.User) (*Document, error) {
	if u == nil {
		return nil, apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	now := time.Now
	if e.Now != nil {
		now = e.Now
	}
	d := &Document{Format: Format, ExportedAt: now().UTC(), Cases: []Case{}, Licences: []Licence{},
		Notifications: []Notification{}, StaffReads: []Read{}, Appeals: []*appeal.Appeal{},
		Mandates: []Mandate{}, Enterprises: []EnterpriseRole{}, Ratings: []Rating{}, Bookings: []Booking{}, Tickets: []Ticket{}}
	a := Account{Username: u.Username, Kind: string(u.Kind), Name: u.DisplayName, Roles: []string{}}
	for _, r := range u.Roles() {
		a.Roles = append(a.Roles, string(r))
	}
	switch u.Kind {
	case identity.KindPerson:
		n, err := e.Identity.OwnIDNumber(ctx, u)
		if err != nil {
			return nil, err
		}
		a.Identifier = n
	case identity.KindOrganisation:
		p, err := e.Identity.Profile(ctx, u)
		if err != nil {
			return nil, err
		}
		a.Identifier = p.Identifier
	}
	prof, err := e.Identity.PersonalProfileOf(ctx, u)
	if err != nil {
		return nil, err
	}
	a.Assurance, a.Locale, a.VerifiedPhone, a.ClosedAt = prof.Assurance, prof.Locale, prof.Phone, prof.ClosedAt
	c, err := (&deliver.Contacts{DB: e.DB, Vault: e.Identity.Vault()}).Get(ctx, u)
	if err != nil {
		return nil, err
	}
	if c != (deliver.Contact{}) {
		a.Contacts = &c
	}
	own, err := e.Cases.Mine(ctx, u)
	if err != nil {
		return nil, err
	}
	byID := map[string]string{}
	for _, c := range own {
		d.Cases = append(d.Cases, Case{AsAgent: c.AgentID == u.ID && c.ApplicantID != u.ID, Case: c})
		byID[c.ID] = c.Ref()
	}
	if e.Appeals != nil && u.Kind != identity.KindStaff {
		if d.Appeals, err = e.Appeals.Mine(ctx, u); err != nil {
			return nil, err
		}
	}
	if err := notify.SettleFor(ctx, e.DB, u.ID); err != nil {
		return nil, err
	}
	err = e.DB.View(ctx, func(tx *db.Tx) error {
		err := tx.QueryRow(`SELECT created_at FROM users WHERE id = $1`, u.ID).Scan(&a.CreatedAt)
		if err != nil {
			return err
		}
		a.CreatedAt = a.CreatedAt.UTC()
		if u.Kind == identity.KindPerson {
			err := tx.QueryRow(`SELECT COALESCE(r.name, p.region_code) FROM persons p LEFT JOIN regions r ON r.code = p.region_code
				WHERE p.user_id = $1`, u.ID).Scan(&a.Region)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		if err := licences(tx, u.ID, d); err != nil {
			return err
		}
		if err := notifications(tx, u.ID, d); err != nil {
			return err
		}
		if err := relations(tx, u.ID, d); err != nil {
			return err
		}
		appeals := map[string]string{}
		for _, ap := range d.Appeals {
			appeals[ap.ID] = ap.No
		}
		orders, err := ratingOrders(tx, u.ID)
		if err != nil {
			return err
		}
		return reads(tx, []readsOf{{"case", "case.read.", byID}, {"appeal", "appeal.read.", appeals}, {"rating_order", "rating_order.read", orders}}, d)
	})
	if err != nil {
		return nil, apperr.Internalf("mydata: export", err)
	}
	d.Account = a
	err = e.DB.Update(ctx, func(tx *db.Tx) error {
		return audit.Append(tx, &audit.Record{Actor: u.ID, Role: "self", Action: Action, ObjectType: "user", ObjectID: u.ID}, nil)
	})
	if err != nil {
		return nil, apperr.Internalf("mydata: audit", err)
	}
	return d, nil
}

func licences(tx *db.Tx, userID string, d *Document) error {
	rows, err := tx.Query(`SELECT identifier, type_code, number, status, valid_from, COALESCE(valid_to, ''), issued_at
		FROM licences WHERE holder_id = $1 ORDER BY issued_at, identifier`, userID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var l Licence
		if err := rows.Scan(&l.Identifier, &l.Type, &l.Number, &l.Status, &l.ValidFrom, &l.ValidTo, &l.IssuedAt); err != nil {
			return err
		}
		l.IssuedAt = l.IssuedAt.UTC()
		d.Licences = append(d.Licences, l)
	}
	return rows.Err()
}

func notifications(tx *db.Tx, userID string, d *Document) error {
	rows, err := tx.Query(`SELECT n.kind, COALESCE(c.case_no, ''), n.body, n.created_at, n.read_at
		FROM notifications n LEFT JOIN cases c ON c.id = n.case_id WHERE n.user_id = $1 ORDER BY n.created_at, n.id`, userID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var n Notification
		var body string
		var read sql.NullTime
		if err := rows.Scan(&n.Kind, &n.CaseNo, &body, &n.CreatedAt, &read); err != nil {
			return err
		}
		n.Body = json.RawMessage(body)
		if !json.Valid(n.Body) {
			n.Body, _ = json.Marshal(body)
		}
		n.CreatedAt = n.CreatedAt.UTC()
		if read.Valid {
			t := read.Time.UTC()
			n.ReadAt = &t
		}
		d.Notifications = append(d.Notifications, n)
	}
	return rows.Err()
}

// ratingOrders are the 差评 work orders opened on the account's ratings:
// id → order number.
func ratingOrders(tx *db.Tx, userID string) (map[string]string, error) {
	rows, err := tx.Query(`SELECT o.id, o.order_no FROM rating_orders o JOIN ratings r ON r.id = o.rating_id WHERE r.rater_id = $1`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, no string
		if err := rows.Scan(&id, &no); err != nil {
			return nil, err
		}
		out[id] = no
	}
	return out, rows.Err()
}

// readsOf names the objects whose staff reads are listed: the audit
// object type, the actions' prefix (the rest is the purpose) and the
// objects (id → number shown).
type readsOf struct {
	objectType, prefix string
	numbers            map[string]string
}

// reads lists the staff reads of the objects (audit actions case.read.<purpose>,
// appeal.read.<purpose>, rating_order.read; sequenced or not yet), each with
// the reader's staff grants — not the reader's name, which the case page
// does not show the applicant either.
func reads(tx *db.Tx, of []readsOf, d *Document) error {
	type raw struct {
		of                   readsOf
		objID, actor, action string
		at                   time.Time
	}
	var rs []raw
	for _, o := range of {
		if len(o.numbers) == 0 {
			continue
		}
		ids := make([]string, 0, len(o.numbers))
		for id := range o.numbers {
			ids = append(ids, id)
		}
		// The log has no index by object (records are found by leaf): the
		// database filters by the objects' ids, in chunks within every
		// dialect's limit of parameters.
		for chunk := range slices.Chunk(ids, 400) {
			args := []any{o.objectType, o.prefix + "%"}
			ph := make([]string, len(chunk))
			for i, id := range chunk {
				args = append(args, id)
				ph[i] = fmt.Sprintf("$%d", i+3)
			}
			in := strings.Join(ph, ", ")
			rows, err := tx.Query(`SELECT object_id, actor_id, action, at FROM audit_records
				WHERE object_type = $1 AND action LIKE $2 AND object_id IN (`+in+`)
				UNION ALL SELECT object_id, actor_id, action, at FROM audit_pending
				WHERE object_type = $1 AND action LIKE $2 AND object_id IN (`+in+`)`, args...)
			if err != nil {
				return err
			}
			for rows.Next() {
				r := raw{of: o}
				if err := rows.Scan(&r.objID, &r.actor, &r.action, &r.at); err != nil {
					rows.Close()
					return err
				}
				rs = append(rs, r)
			}
			if err := rows.Close(); err != nil {
				return err
			}
			if err := rows.Err(); err != nil {
				return err
			}
		}
	}
	grants := map[string][]Grant{}
	for _, r := range rs {
		if _, ok := grants[r.actor]; ok {
			continue
		}
		gs := []Grant{}
		grows, err := tx.Query(`SELECT g.role, COALESCE(dp.name, '') FROM role_grants g LEFT JOIN departments dp ON dp.id = g.department_id
			WHERE g.user_id = $1 AND g.role NOT IN ('applicant', 'agent') ORDER BY g.role, dp.name`, r.actor)
		if err != nil {
			return err
		}
		for grows.Next() {
			var g Grant
			if err := grows.Scan(&g.Role, &g.Department); err != nil {
				grows.Close()
				return err
			}
			gs = append(gs, g)
		}
		if err := grows.Close(); err != nil {
			return err
		}
		grants[r.actor] = gs
	}
	for _, r := range rs {
		read := Read{At: r.at.UTC(), Purpose: strings.TrimPrefix(strings.TrimPrefix(r.action, r.of.prefix), "."), Grants: grants[r.actor]}
		if read.Purpose == "" {
			read.Purpose = "view" // rating_order.read: the order's page
		}
		switch no := r.of.numbers[r.objID]; r.of.objectType {
		case "case":
			read.CaseNo = no
		case "appeal":
			read.AppealNo = no
		default:
			read.RatingOrderNo = no
		}
		d.StaffReads = append(d.StaffReads, read)
	}
	slices.SortStableFunc(d.StaffReads, func(a, b Read) int { return a.At.Compare(b.At) })
	return nil
}
