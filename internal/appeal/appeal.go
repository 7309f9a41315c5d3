// Package appeal keeps 诉求 (issue 18): consultations, requests for help,
// complaints, reports, suggestions and praise as work orders (工单). An
// order is accepted (已受理) from the portal, an operator's entry (phone,
// letter, walk-in) or an Open311 client; an operator answers it directly
// (直接答复) or the dispatcher sends it (派单) to the department the dispatch
// directory (派单目录, data) names for its category; the department signs
// for it (签收), handles it, may ask once for an extension (延期, approved by
// the dispatcher) or return it (退单, reviewed by the dispatcher: 改派 or
// sent back), and answers (答复); the requester is asked whether they are
// satisfied (回访) and the dispatcher closes it (办结) — or, once, after an
// unsatisfied answer, sends it to be handled again (重办). A duplicate is
// merged into its parent (并单).
//
// The dispatcher is the window clerk (综合窗口, a regional post) of a
// region enclosing the order's: the 12345/一窗 operator who accepts, answers
// directly, dispatches, reviews returns and extensions, merges, records
// 回访 by phone and closes. Departments act through their handlers (承办人).
// Supervisors urge (督办). The clocks are the work-order clocks of package
// supervise, started at acceptance (派单) and at DISPATCH (签收, 办理):
// a department that never signs does not stop its reply clock.
package appeal

import (
	"database/sql"
	"regexp"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/supervise"
)

// Channels an order comes in by.
const (
	ChannelWeb     = "web"
	ChannelMobile  = "mobile"
	ChannelOpen311 = "open311"
	ChannelPhone   = "phone"   // entered by a hall or hotline operator
	ChannelLetter  = "letter"  // entered by an operator
	ChannelWalkIn  = "walk_in" // entered by an operator
)

// Channels lists every channel.
var Channels = []string{ChannelWeb, ChannelMobile, ChannelOpen311, ChannelPhone, ChannelLetter, ChannelWalkIn}

// operatorChannel reports whether an operator enters orders of ch.
func operatorChannel(ch string) bool {
	return ch == ChannelPhone || ch == ChannelLetter || ch == ChannelWalkIn
}

// Types of orders.
const (
	TypeConsult    = "consult"    // 咨询
	TypeRequest    = "request"    // 求助
	TypeComplaint  = "complaint"  // 投诉
	TypeReport     = "report"     // 举报
	TypeSuggestion = "suggestion" // 建议
	TypePraise     = "praise"     // 表扬
)

// Types lists every type.
var Types = []string{TypeConsult, TypeRequest, TypeComplaint, TypeReport, TypeSuggestion, TypePraise}

// anonymousAllowed: only consultations and suggestions may be anonymous.
func anonymousAllowed(typ string) bool { return typ == TypeConsult || typ == TypeSuggestion }

// Urgencies.
const (
	UrgencyNormal = "normal"
	UrgencyUrgent = "urgent"
)

// States of an order.
const (
	StateAccepted   = "accepted"   // 已受理
	StateDispatched = "dispatched" // 已派单, waiting for 签收
	StateHandling   = "handling"   // 办理中 (signed for)
	StateReturned   = "returned"   // 退单, waiting for the dispatcher's review
	StateReplied    = "replied"    // 已答复 (by the department, or directly by an operator)
	StateVisited    = "visited"    // 已回访
	StateClosed     = "closed"     // 已办结
	StateMerged     = "merged"     // 已并单 into a parent
)

// States lists every state, in lifecycle order.
var States = []string{StateAccepted, StateDispatched, StateHandling, StateReturned, StateReplied, StateVisited, StateClosed, StateMerged}

// Extension states.
const (
	ExtRequested = "requested"
	ExtApproved  = "approved"
	ExtRefused   = "refused"
)

// Bounds of what a requester writes.
const (
	MaxDescription = 2000
	MaxLocation    = 200
	MaxReply       = 4000
	MaxReason      = 500
	MaxName        = 50
	MaxAttachments = 9
	MaxExtDays     = 30
)

// Service keeps work orders.
type Service struct {
	DB       *db.DB
	Identity *identity.Service
	// Calendars are the regions' working-day calendars (the clocks count
	// working days as cases do).
	Calendars *calendar.Set
}

// Appeal is one work order. Staff see the requester's name and masked
// phone (their read recorded); the public sees a published order without
// them.
type Appeal struct {
	ID             string   `json:"id"`
	No             string   `json:"appeal_no"`
	Channel        string   `json:"channel"`
	Type           string   `json:"type"`
	Category       string   `json:"category"`
	CategoryName   string   `json:"category_name"`
	Urgency        string   `json:"urgency"`
	RegionCode     string   `json:"region_code"`
	RegionName     string   `json:"region_name"`
	Location       string   `json:"location,omitempty"`
	Lat            *float64 `json:"lat,omitempty"`
	Lng            *float64 `json:"lng,omitempty"`
	Description    string   `json:"description"`
	State          string   `json:"state"`
	Anonymous      bool     `json:"anonymous"`
	Contact        bool     `json:"contact"`
	Publish        bool     `json:"publish"`
	RequesterID    string   `json:"-"`
	RequesterName  string   `json:"requester_name,omitempty"`
	RequesterPhone string   `json:"requester_phone,omitempty"` // masked
	RelatedCaseNo  string   `json:"related_case_no,omitempty"`
	ImplCode       string   `json:"impl_code,omitempty"`
	ExternalClient string   `json:"external_client,omitempty"`
	DepartmentID   string   `json:"department_id,omitempty"`
	DepartmentName string   `json:"department_name,omitempty"`
	AssigneeID     string   `json:"-"`
	AssigneeName   string   `json:"assignee_name,omitempty"`
	ParentID       string   `json:"parent_id,omitempty"`
	ParentNo       string   `json:"parent_no,omitempty"`
	Reply          string   `json:"reply,omitempty"`
	ReturnReason   string   `json:"return_reason,omitempty"`
	ExtState       string   `json:"extension_state,omitempty"`
	ExtDays        int      `json:"extension_days,omitempty"`
	ExtReason      string   `json:"extension_reason,omitempty"`
	Redone         bool     `json:"redone"`
	Satisfaction   string   `json:"satisfaction,omitempty"`
	Resolved       *bool    `json:"resolved,omitempty"`

	Created      time.Time  `json:"created_at"`
	Updated      time.Time  `json:"updated_at"`
	DispatchedAt *time.Time `json:"dispatched_at,omitempty"`
	SignedAt     *time.Time `json:"signed_at,omitempty"`
	RepliedAt    *time.Time `json:"replied_at,omitempty"`
	ClosedAt     *time.Time `json:"closed_at,omitempty"`
	// The running clocks' deadlines (nil when not running).
	DispatchDue *time.Time `json:"dispatch_due,omitempty"`
	SignDue     *time.Time `json:"sign_due,omitempty"`
	ReplyDue    *time.Time `json:"reply_due,omitempty"`

	Attachments []Attachment `json:"attachments,omitempty"`
	Events      []Event      `json:"events,omitempty"`
	// Clocks are the order's work-order clocks (staff readers only).
	Clocks []supervise.OrderClockView `json:"clocks,omitempty"`

	enteredBy string
	rev       int
	sealed    [3]string // name, phone, email as stored
}

// Open reports whether the order is still being worked on.
func (a *Appeal) Open() bool {
	return a.State != StateClosed && a.State != StateMerged
}

// Attachment is a file attached to an order (an upload it claimed).
type Attachment struct {
	ID          string `json:"id"`
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
}

// Event is one change of an order.
type Event struct {
	Seq    int       `json:"seq"`
	Actor  string    `json:"actor,omitempty"` // a display name, "" for the requester of an anonymous order
	Role   string    `json:"role"`
	Action string    `json:"action"`
	From   string    `json:"from"`
	To     string    `json:"to"`
	Reason string    `json:"reason,omitempty"`
	At     time.Time `json:"at"`
}

const appealSelect = `SELECT a.id, a.appeal_no, a.channel, a.type, a.category, COALESCE(ac.name, ''), a.urgency, a.region_code,
	COALESCE(r.name, ''), a.location, a.lat, a.lng, a.description, a.state, a.anonymous, a.contact, a.publish,
	COALESCE(a.requester_id, ''), COALESCE(a.entered_by, ''), a.name_sealed, a.phone_sealed, a.phone_masked, a.email_sealed,
	a.related_case_no, a.impl_code, a.external_client, COALESCE(a.department_id, ''), COALESCE(d.name, ''),
	COALESCE(a.assignee_id, ''), COALESCE(au.display_name, ''), COALESCE(a.parent_id, ''), COALESCE(pa.appeal_no, ''),
	a.reply, a.return_reason, a.ext_state, a.ext_days, a.ext_reason, a.redone, a.satisfaction, a.resolved, a.rev,
	a.created_at, a.updated_at, a.dispatched_at, a.signed_at, a.replied_at, a.closed_at, a.dispatch_due, a.sign_due, a.reply_due
	FROM appeals a LEFT JOIN appeal_categories ac ON ac.code = a.category LEFT JOIN regions r ON r.code = a.region_code
	LEFT JOIN departments d ON d.id = a.department_id LEFT JOIN users au ON au.id = a.assignee_id
	LEFT JOIN appeals pa ON pa.id = a.parent_id`

type scanner interface{ Scan(...any) error }

func scan(row scanner) (*Appeal, error) {
	a := &Appeal{}
	var lat, lng sql.NullFloat64
	var resolved sql.NullBool
	var dispatched, signed, replied, closed, dDue, sDue, rDue sql.NullTime
	if err := row.Scan(&a.ID, &a.No, &a.Channel, &a.Type, &a.Category, &a.CategoryName, &a.Urgency, &a.RegionCode,
		&a.RegionName, &a.Location, &lat, &lng, &a.Description, &a.State, &a.Anonymous, &a.Contact, &a.Publish,
		&a.RequesterID, &a.enteredBy, &a.sealed[0], &a.sealed[1], &a.RequesterPhone, &a.sealed[2],
		&a.RelatedCaseNo, &a.ImplCode, &a.ExternalClient, &a.DepartmentID, &a.DepartmentName,
		&a.AssigneeID, &a.AssigneeName, &a.ParentID, &a.ParentNo,
		&a.Reply, &a.ReturnReason, &a.ExtState, &a.ExtDays, &a.ExtReason, &a.Redone, &a.Satisfaction, &resolved, &a.rev,
		&a.Created, &a.Updated, &dispatched, &signed, &replied, &closed, &dDue, &sDue, &rDue); err != nil {
		return nil, err
	}
	if lat.Valid {
		a.Lat = &lat.Float64
	}
	if lng.Valid {
		a.Lng = &lng.Float64
	}
	if resolved.Valid {
		a.Resolved = &resolved.Bool
	}
	a.Created, a.Updated = a.Created.UTC(), a.Updated.UTC()
	for _, p := range []struct {
		v *sql.NullTime
		t **time.Time
	}{{&dispatched, &a.DispatchedAt}, {&signed, &a.SignedAt}, {&replied, &a.RepliedAt}, {&closed, &a.ClosedAt},
		{&dDue, &a.DispatchDue}, {&sDue, &a.SignDue}, {&rDue, &a.ReplyDue}} {
		if p.v.Valid {
			t := p.v.Time.UTC()
			*p.t = &t
		}
	}
	return a, nil
}

// sealPurpose binds a sealed personal field to its order.
func sealPurpose(field, id string) string { return "appeals." + field + "/" + id }

// reveal opens the requester's name for a reader allowed to see it.
func (s *Service) reveal(a *Appeal) {
	if a.Anonymous {
		a.RequesterName, a.RequesterPhone = "", ""
		return
	}
	if a.sealed[0] != "" && s.Identity != nil {
		if n, err := s.Identity.Vault().OpenText(a.sealed[0], sealPurpose("name", a.ID)); err == nil {
			a.RequesterName = n
		}
	}
}

// public strips what the public never sees: the requester, the
// department's staff, the workflow's inside.
func (a *Appeal) public() {
	a.RequesterID, a.RequesterName, a.RequesterPhone, a.AssigneeID, a.AssigneeName = "", "", "", "", ""
	a.ExternalClient, a.ReturnReason, a.ExtReason, a.RelatedCaseNo = "", "", "", ""
	a.Lat, a.Lng, a.Attachments, a.Events, a.Resolved = nil, nil, nil, nil, nil
	a.Description = Redact(a.Description)
	a.Reply = Redact(a.Reply)
}

// Identifiers written into prose: mobile numbers, ID numbers, e-mail
// addresses (published texts never show them).
var (
	longDigits = regexp.MustCompile(`[0-9][0-9 \-]{9,}[0-9Xx]`)
	emailLike  = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)
)

// Redact removes identifiers from a published text: runs of 11 or more
// digits (phone and ID numbers) and e-mail addresses become ＊＊＊.
func Redact(s string) string {
	s = emailLike.ReplaceAllString(s, "＊＊＊")
	return longDigits.ReplaceAllString(s, "＊＊＊")
}

// maskPhone is a phone number as lists show it: 138****8000.
func maskPhone(p string) string {
	r := []rune(p)
	if len(r) < 7 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:3]) + strings.Repeat("*", len(r)-7) + string(r[len(r)-4:])
}

// getTx reads one order by id or number.
func getTx(tx *db.Tx, ref string) (*Appeal, error) {
	a, err := scan(tx.QueryRow(appealSelect+` WHERE a.id = $1 OR a.appeal_no = $1`, ref))
	if err != nil {
		return nil, db.NotFound(err, "appeal.not_found")
	}
	return a, nil
}

// forUpdate reads an order to change it (locked on PostgreSQL).
func forUpdate(tx *db.Tx, ref string) (*Appeal, error) {
	q := appealSelect + ` WHERE a.id = $1 OR a.appeal_no = $1`
	if tx.Dialect == db.Postgres {
		q += ` FOR UPDATE OF a`
	}
	a, err := scan(tx.QueryRow(q, ref))
	if err != nil {
		return nil, db.NotFound(err, "appeal.not_found")
	}
	return a, nil
}

// details reads an order's attachments and events.
func details(tx *db.Tx, a *Appeal) error {
	rows, err := tx.Query(`SELECT id, filename, content_type, size FROM case_materials WHERE appeal_id = $1 ORDER BY created_at, id`, a.ID)
	if err != nil {
		return err
	}
	for rows.Next() {
		var at Attachment
		if err := rows.Scan(&at.ID, &at.Filename, &at.ContentType, &at.Size); err != nil {
			rows.Close()
			return err
		}
		a.Attachments = append(a.Attachments, at)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = tx.Query(`SELECT e.seq, COALESCE(u.display_name, ''), e.role, e.action, e.from_state, e.to_state, e.reason, e.created_at
		FROM appeal_events e LEFT JOIN users u ON u.id = e.actor_id WHERE e.appeal_id = $1 ORDER BY e.seq`, a.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var e Event
		if err := rows.Scan(&e.Seq, &e.Actor, &e.Role, &e.Action, &e.From, &e.To, &e.Reason, &e.At); err != nil {
			return err
		}
		if e.Role == "requester" && a.Anonymous {
			e.Actor = ""
		}
		e.At = e.At.UTC()
		a.Events = append(a.Events, e)
	}
	return rows.Err()
}
