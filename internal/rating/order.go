package rating

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/notify"
	"github.com/tongban/tongban/internal/supervise"
)

// States of a 差评 work order (差评工单).
const (
	Pending    = "pending"    // 待核实
	Verifying  = "verifying"  // 核实中
	Appealed   = "appealed"   // 申诉中 (误评/恶意, decided by a supervisor)
	Rectifying = "rectifying" // 整改中
	Rectified  = "rectified"  // 已整改
	Revisited  = "revisited"  // 已回访
	Closed     = "closed"     // 已办结
)

// States lists them in order.
var States = []string{Pending, Verifying, Appealed, Rectifying, Rectified, Revisited, Closed}

// Who may take an action.
const (
	ByDepartment = "department" // the department's handler, reviewer or approver in scope
	BySupervisor = "supervisor" // a supervisor covering the order's region
	ByRater      = "rater"      // the rater (回访 answered on their case page)
)

// Action is one step of the order.
type Action struct {
	Key  string
	From []string
	To   string
	By   []string
	Note bool // a note is required
}

// Actions are the order's steps.
var Actions = []Action{
	{Key: "start", From: []string{Pending}, To: Verifying, By: []string{ByDepartment}},
	{Key: "verify", From: []string{Pending, Verifying}, To: Rectifying, By: []string{ByDepartment}, Note: true},
	{Key: "appeal", From: []string{Pending, Verifying}, To: Appealed, By: []string{ByDepartment}, Note: true},
	{Key: "uphold", From: []string{Appealed}, To: Closed, By: []string{BySupervisor}, Note: true},
	{Key: "reject", From: []string{Appealed}, To: Rectifying, By: []string{BySupervisor}, Note: true},
	{Key: "rectify", From: []string{Rectifying}, To: Rectified, By: []string{ByDepartment}, Note: true},
	{Key: "revisit", From: []string{Rectified}, To: Revisited, By: []string{ByRater, ByDepartment}},
	{Key: "close", From: []string{Revisited}, To: Closed, By: []string{ByDepartment}},
}

// Appeal reasons (申诉): 误评 and 恶意评价.
var AppealReasons = []string{"misrated", "malicious"}

// Revisit answers.
var RevisitAnswers = []string{"satisfied", "unsatisfied"}

// Step is the pure transition: the action's target state, or a refusal.
func Step(state, action, by string) (string, *apperr.Error) {
	i := slices.IndexFunc(Actions, func(a Action) bool { return a.Key == action })
	if i < 0 {
		return "", apperr.E(apperr.Invalid, "rating_order.action_unknown", "action", action)
	}
	a := Actions[i]
	if !slices.Contains(a.By, by) {
		return "", apperr.E(apperr.Forbidden, "rating_order.not_yours", "action", action)
	}
	if !slices.Contains(a.From, state) {
		return "", apperr.E(apperr.Conflict, "rating_order.wrong_state", "action", action, "state", state)
	}
	return a.To, nil
}

// Available lists the actions a reader of the given capacities may take in state.
func Available(state string, by ...string) []string {
	out := []string{}
	for _, a := range Actions {
		if slices.Contains(a.From, state) && slices.ContainsFunc(by, func(b string) bool { return slices.Contains(a.By, b) }) {
			out = append(out, a.Key)
		}
	}
	return out
}

// Order is a 差评 work order as its page and the ledger show it. Never the
// rater's identity beyond the department's own order page.
type Order struct {
	ID            string     `json:"id"`
	No            string     `json:"order_no"`
	RatingID      string     `json:"rating_id"`
	SubjectKind   string     `json:"subject_kind"` // case, or visit (then CaseID and CaseNo are the ticket's)
	CaseID        string     `json:"case_id"`
	CaseNo        string     `json:"case_no"`
	ItemName      string     `json:"item_name"`
	DepartmentID  string     `json:"department_id"`
	Department    string     `json:"department_name"`
	Region        string     `json:"region"`
	State         string     `json:"state"`
	Outcome       string     `json:"outcome,omitempty"`
	Level         Level      `json:"level"`
	Indicators    []string   `json:"indicators"`
	Comment       string     `json:"comment,omitempty"`
	Channel       string     `json:"channel"`
	AppealReason  string     `json:"appeal_reason,omitempty"`
	VerifyNote    string     `json:"verify_note,omitempty"`
	AppealNote    string     `json:"appeal_note,omitempty"`
	DecisionNote  string     `json:"decision_note,omitempty"`
	RectifyNote   string     `json:"rectify_note,omitempty"`
	RevisitAnswer string     `json:"revisit_answer,omitempty"`
	RevisitBy     string     `json:"revisit_by,omitempty"`
	RevisitNote   string     `json:"revisit_note,omitempty"`
	VerifyDueAt   time.Time  `json:"verify_due_at"`
	RectifyDueAt  time.Time  `json:"rectify_due_at"`
	VerifiedAt    *time.Time `json:"verified_at,omitempty"`
	RectifiedAt   *time.Time `json:"rectified_at,omitempty"`
	OnTime        *bool      `json:"rectified_on_time,omitempty"`
	RevisitedAt   *time.Time `json:"revisited_at,omitempty"`
	ClosedAt      *time.Time `json:"closed_at,omitempty"`
	Rev           int        `json:"rev"`
	CreatedAt     time.Time  `json:"created_at"`
	Flagged       bool       `json:"flagged,omitempty"`
	Actions       []string   `json:"actions"`
	Events        []Event    `json:"events,omitempty"`
	// Clocks are the order's 核实 and 整改 clocks with their levels.
	Clocks []supervise.OrderClockView `json:"clocks,omitempty"`

	raterID string
}

// Event is one step of an order's history.
type Event struct {
	Seq    int       `json:"seq"`
	Action string    `json:"action"`
	From   string    `json:"from_state"`
	To     string    `json:"to_state"`
	Role   string    `json:"actor_role"`
	Note   string    `json:"note,omitempty"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor,omitempty"`
}

// due is where n working days from now end on the region's calendar.
func (s *Service) due(region string, from time.Time, n int) (time.Time, error) {
	set := s.Calendars
	if set == nil {
		set = calendar.National()
	}
	m, err := set.For(region).Deadline(calendar.DateIn(from), calendar.Days(n))
	if err != nil {
		return time.Time{}, err
	}
	return m.Time(calendar.China).UTC(), nil
}

// openOrder opens the 差评 work order of a bad rating, in its transaction,
// with its verification and rectification clocks started at the rating.
func (s *Service) openOrder(tx *db.Tx, r *Rating, rule Rule) (string, error) {
	vdue, err := s.due(r.Region, tx.Now, rule.VerifyDays)
	if err != nil {
		return "", err
	}
	rdue, err := s.due(r.Region, tx.Now, rule.RectifyDays)
	if err != nil {
		return "", err
	}
	id := db.NewID()
	no := "CP" + calendar.DateIn(tx.Now).String()[:4] + strings.ReplaceAll(calendar.DateIn(tx.Now).String()[5:], "-", "") + strings.ToUpper(strings.ReplaceAll(id, "-", "")[24:])
	if _, err := tx.Exec(`INSERT INTO rating_orders (id, order_no, rating_id, department_id, region_code, item_name, state, verify_due_at, rectify_due_at, rev, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $10)`, id, no, r.ID, r.DepartmentID, r.Region, r.ItemName, Pending, vdue, rdue, tx.Now); err != nil {
		return "", err
	}
	if err := appendEvent(tx, id, "open", "", Pending, "", "system", ""); err != nil {
		return "", err
	}
	o := &Order{ID: id, No: no, DepartmentID: r.DepartmentID, Region: r.Region, State: Pending, VerifyDueAt: vdue, RectifyDueAt: rdue, CreatedAt: tx.Now}
	if err := startClocks(tx, o); err != nil {
		return "", err
	}
	if err := audit.Append(tx, &audit.Record{Actor: "-", Role: "system", Action: "rating_order.open", ObjectType: "rating_order", ObjectID: id}, nil); err != nil {
		return "", err
	}
	return id, nil
}

func appendEvent(tx *db.Tx, orderID, action, from, to, actor, role, note string) error {
	var seq int
	if err := tx.QueryRow(`SELECT COALESCE(MAX(seq), 0) + 1 FROM rating_order_events WHERE order_id = $1`, orderID).Scan(&seq); err != nil {
		return err
	}
	var actorRef any
	if actor != "" {
		actorRef = actor
	}
	_, err := tx.Exec(`INSERT INTO rating_order_events (id, order_id, seq, action, from_state, to_state, actor_id, actor_role, note, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, db.NewID(), orderID, seq, action, from, to, actorRef, role, note, tx.Now)
	return err
}

// OrderInput is an order step as a form or the API gives it.
type OrderInput struct {
	Action string `json:"action"`
	Rev    int    `json:"rev"`
	Note   string `json:"note"`
	Reason string `json:"reason"` // appeal: misrated, malicious
	Answer string `json:"answer"` // revisit: satisfied, unsatisfied
}

// MaxNote bounds the notes of an order's steps.
const MaxNote = 2000

// capacities says in which capacities u may act on o.
func capacities(u *identity.User, o *Order) []string {
	var by []string
	if u == nil {
		return nil
	}
	if u.Kind == identity.KindStaff {
		if u.ScopeOf(identity.RoleHandler, identity.RoleReviewer, identity.RoleApprover).Covers(o.DepartmentID, o.Region) {
			by = append(by, ByDepartment)
		}
		if u.ScopeOf(identity.RoleSupervisor).Covers(o.DepartmentID, o.Region) {
			by = append(by, BySupervisor)
		}
		return by
	}
	if u.ID == o.raterID {
		by = append(by, ByRater)
	}
	return by
}

// canRead: the department's staff and supervisors in scope (supervision
// reads the region), and the rater (their own order, on their case page).
func canRead(u *identity.User, o *Order) bool {
	if len(capacities(u, o)) > 0 {
		return true
	}
	return u != nil && u.Kind == identity.KindStaff && u.ScopeOf(identity.RoleSupervisor, identity.RoleApprover).Covers(o.DepartmentID, o.Region)
}

const selectOrder = `SELECT o.id, o.order_no, o.rating_id, r.subject_kind, r.subject_id, r.subject_no, o.item_name, o.department_id, d.name, o.region_code,
	o.state, o.outcome, r.level, r.indicators, r.comment, r.channel, r.flagged, COALESCE(r.rater_id, ''), o.appeal_reason, o.verify_note, o.appeal_note,
	o.decision_note, o.rectify_note, o.revisit_answer, o.revisit_by, o.revisit_note, o.verify_due_at, o.rectify_due_at, o.verified_at,
	o.rectified_at, o.rectified_on_time, o.revisited_at, o.closed_at, o.rev, o.created_at
	FROM rating_orders o JOIN ratings r ON r.id = o.rating_id JOIN departments d ON d.id = o.department_id`

func scanOrder(sc scanner) (*Order, error) {
	var o Order
	var ind string
	var level int
	var verified, rectified, revisited, closed sql.NullTime
	var onTime sql.NullBool
	if err := sc.Scan(&o.ID, &o.No, &o.RatingID, &o.SubjectKind, &o.CaseID, &o.CaseNo, &o.ItemName, &o.DepartmentID, &o.Department, &o.Region,
		&o.State, &o.Outcome, &level, &ind, &o.Comment, &o.Channel, &o.Flagged, &o.raterID, &o.AppealReason, &o.VerifyNote, &o.AppealNote,
		&o.DecisionNote, &o.RectifyNote, &o.RevisitAnswer, &o.RevisitBy, &o.RevisitNote, &o.VerifyDueAt, &o.RectifyDueAt, &verified,
		&rectified, &onTime, &revisited, &closed, &o.Rev, &o.CreatedAt); err != nil {
		return nil, err
	}
	o.Level, o.Indicators = Level(level), split(ind)
	o.VerifyDueAt, o.RectifyDueAt, o.CreatedAt = o.VerifyDueAt.UTC(), o.RectifyDueAt.UTC(), o.CreatedAt.UTC()
	tp := func(n sql.NullTime) *time.Time {
		if !n.Valid {
			return nil
		}
		t := n.Time.UTC()
		return &t
	}
	o.VerifiedAt, o.RectifiedAt, o.RevisitedAt, o.ClosedAt = tp(verified), tp(rectified), tp(revisited), tp(closed)
	if onTime.Valid {
		o.OnTime = &onTime.Bool
	}
	return &o, nil
}

func loadOrder(tx *db.Tx, id string) (*Order, error) {
	o, err := scanOrder(tx.QueryRow(selectOrder+` WHERE o.id = $1`, id))
	if err != nil {
		return nil, db.NotFound(err, "rating_order.not_found", "id", id)
	}
	return o, nil
}

// Order returns an order with its history to whoever may read it; staff
// reads are recorded (the rater's text may carry personal data).
func (s *Service) Order(ctx context.Context, u *identity.User, id string) (*Order, error) {
	if u == nil {
		return nil, apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	var o *Order
	err := s.DB.Update(ctx, func(tx *db.Tx) error {
		var err error
		if o, err = loadOrder(tx, id); err != nil {
			return err
		}
		if !canRead(u, o) {
			return apperr.E(apperr.NotFound, "rating_order.not_found", "id", id)
		}
		o.Actions = Available(o.State, capacities(u, o)...)
		if o.Events, err = events(tx, o.ID, u.Kind == identity.KindStaff); err != nil {
			return err
		}
		if o.Clocks, err = orderClocks(tx, o); err != nil {
			return err
		}
		if u.Kind == identity.KindStaff {
			return audit.Append(tx, &audit.Record{Actor: u.ID, Role: "staff", Action: "rating_order.read", ObjectType: "rating_order", ObjectID: o.ID}, nil)
		}
		return nil
	})
	if err != nil {
		return nil, apperr.Internalf("rating: order", err)
	}
	return o, nil
}

func events(tx *db.Tx, orderID string, names bool) ([]Event, error) {
	rows, err := tx.Query(`SELECT e.seq, e.action, e.from_state, e.to_state, e.actor_role, e.note, e.at, COALESCE(u.display_name, '')
		FROM rating_order_events e LEFT JOIN users u ON u.id = e.actor_id WHERE e.order_id = $1 ORDER BY e.seq`, orderID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Event{}
	for rows.Next() {
		var e Event
		if err := rows.Scan(&e.Seq, &e.Action, &e.From, &e.To, &e.Role, &e.Note, &e.At, &e.Actor); err != nil {
			return nil, err
		}
		e.At = e.At.UTC()
		if !names || e.Role == ByRater {
			e.Actor = "" // the rater is never named; staff names only to staff
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// Act takes a step of an order. A refusal writes nothing.
func (s *Service) Act(ctx context.Context, u *identity.User, id string, in OrderInput) (*Order, error) {
	if u == nil {
		return nil, apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	in.Note = strings.TrimSpace(in.Note)
	var o *Order
	err := s.DB.Update(ctx, func(tx *db.Tx) error {
		var err error
		if o, err = loadOrder(tx, id); err != nil {
			return err
		}
		if !canRead(u, o) {
			return apperr.E(apperr.NotFound, "rating_order.not_found", "id", id)
		}
		by := capacities(u, o)
		var to, as string
		var refusal *apperr.Error
		for _, b := range by { // the first capacity the action allows
			if to, refusal = Step(o.State, in.Action, b); refusal == nil {
				as = b
				break
			}
		}
		if as == "" {
			if refusal == nil {
				refusal = apperr.E(apperr.Forbidden, "rating_order.not_yours", "action", in.Action)
			}
			return refusal
		}
		if in.Rev != 0 && in.Rev != o.Rev {
			return apperr.E(apperr.Conflict, "rating_order.changed")
		}
		if err := s.apply(tx, u, o, in, to, as); err != nil {
			return err
		}
		o, err = loadOrder(tx, id)
		if err != nil {
			return err
		}
		o.Actions = Available(o.State, by...)
		return nil
	})
	if err != nil {
		return nil, apperr.Internalf("rating: act", err)
	}
	return o, nil
}

func (s *Service) apply(tx *db.Tx, u *identity.User, o *Order, in OrderInput, to, as string) error {
	i := slices.IndexFunc(Actions, func(a Action) bool { return a.Key == in.Action })
	if Actions[i].Note && in.Note == "" {
		return apperr.E(apperr.Invalid, "rating_order.note_required")
	}
	if utf8.RuneCountInString(in.Note) > MaxNote {
		return apperr.E(apperr.Invalid, "rating_order.note_too_long", "max", MaxNote)
	}
	set := []string{"state = $1", "rev = rev + 1", "updated_at = $2"}
	args := []any{to, tx.Now}
	add := func(col string, v any) {
		args = append(args, v)
		set = append(set, fmt.Sprintf("%s = $%d", col, len(args)))
	}
	switch in.Action {
	case "start":
		add("assignee_id", u.ID)
	case "verify":
		add("verify_note", in.Note)
		add("verified_at", tx.Now)
		if _, err := stopClock(tx, o, clockVerify); err != nil {
			return err
		}
	case "appeal":
		if !slices.Contains(AppealReasons, in.Reason) {
			return apperr.E(apperr.Invalid, "rating_order.appeal_reason")
		}
		add("appeal_reason", in.Reason)
		add("appeal_note", in.Note)
		add("verified_at", tx.Now)
		if _, err := stopClock(tx, o, clockVerify); err != nil {
			return err
		}
	case "uphold": // 申诉成立: the rating is 误评/恶意, not counted against the department
		add("decision_note", in.Note)
		add("outcome", o.AppealReason)
		add("closed_at", tx.Now)
		if _, err := stopClock(tx, o, clockRectify); err != nil {
			return err
		}
	case "reject":
		add("decision_note", in.Note)
	case "rectify":
		onTime, err := stopClock(tx, o, clockRectify)
		if err != nil {
			return err
		}
		add("rectify_note", in.Note)
		add("rectified_at", tx.Now)
		add("rectified_on_time", onTime)
		// The rater is told the outcome and asked whether they are satisfied
		// (回访); an anonymous visitor is called instead (a phone 回访).
		if o.raterID == "" {
			break
		}
		if err := notify.Send(tx, o.raterID, o.CaseID, "rating_rectified",
			notify.Message{Key: "notify.rating_rectified", Args: map[string]any{"case_no": o.CaseNo, "order_no": o.No, "item": o.ItemName}},
			"rating_rectified:"+o.ID); err != nil {
			return err
		}
	case "revisit":
		if !slices.Contains(RevisitAnswers, in.Answer) {
			return apperr.E(apperr.Invalid, "rating_order.revisit_answer")
		}
		by := "rater"
		if as == ByDepartment {
			by = "phone"
		}
		add("revisit_answer", in.Answer)
		add("revisit_by", by)
		add("revisit_note", in.Note)
		add("revisited_at", tx.Now)
	case "close":
		add("outcome", "rectified")
		add("closed_at", tx.Now)
	}
	args = append(args, o.ID, o.Rev)
	res, err := tx.Exec(`UPDATE rating_orders SET `+strings.Join(set, ", ")+fmt.Sprintf(` WHERE id = $%d AND rev = $%d`, len(args)-1, len(args)), args...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return apperr.E(apperr.Conflict, "rating_order.changed")
	}
	assignee := ""
	if in.Action == "start" {
		assignee = u.ID
	}
	if err := moveOrder(tx, o, to, assignee); err != nil {
		return err
	}
	actor, role := u.ID, as
	if err := appendEvent(tx, o.ID, in.Action, o.State, to, actor, role, in.Note); err != nil {
		return err
	}
	payload, _ := json.Marshal(map[string]any{"from": o.State, "to": to, "reason": in.Reason, "answer": in.Answer})
	auditRole := "staff"
	if as == ByRater {
		auditRole = "applicant"
	}
	return audit.Append(tx, &audit.Record{Actor: u.ID, Role: auditRole, Action: "rating_order." + in.Action, ObjectType: "rating_order", ObjectID: o.ID}, payload)
}
