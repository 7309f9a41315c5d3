package cases

import (
	"database/sql"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/notify"
	"github.com/tongban/tongban/internal/workflow"
)

// Operations act on a case without moving it through its process (R3.3).
type operation func(o opCall) error

// opCall is what an operation is given: the service and transaction, the
// case and its item version, who asks (the user, their roles on the case,
// and how the timeline names them) and the request.
type opCall struct {
	s     *Service
	tx    *db.Tx
	c     *Case
	it    *catalog.Item
	u     *identity.User
	roles []string
	who   actor
	req   ActionRequest
}

var operations = map[string]operation{
	"edit": opEdit, "claim": opClaim, "assign": opAssign, "transfer": opTransfer, "urge": opUrge, "respond": opRespond, "comment": opComment,
	"extend": opExtend, "pause": opPause, "resume": opResume, "countersign": opCountersign, "sign": opSign,
	"verify": opVerify, "supply": opSupply, "change_delivery": opChangeDelivery,
}

// operationOrder is the order operations are offered in.
var operationOrder = []string{"edit", "claim", "assign", "transfer", "countersign", "sign", "pause", "resume", "extend", "supply", "verify", "change_delivery", "urge", "respond", "comment"}

// holds reports whether one of roles holds the case's current state (its inbox).
func holds(d *workflow.Definition, c *Case, roles []string) bool {
	st, ok := d.State(c.State)
	return ok && slices.ContainsFunc(st.Holders, func(r string) bool { return slices.Contains(roles, r) })
}

var backOffice = []string{"handler", "reviewer", "approver"}

// VerifyRoles verify a 告知承诺 case after its decision (事后核查): the
// granting department's back office (supervision reminds them).
var VerifyRoles = backOffice

func anyOf(roles []string, want ...string) bool {
	return slices.ContainsFunc(want, func(r string) bool { return slices.Contains(roles, r) })
}

// operationAllowed says whether u may perform the operation on c now, and
// if not, why (the error the request would get).
func operationAllowed(name string, d *workflow.Definition, c *Case, u *identity.User, roles []string, signer bool) error {
	switch refusalOf(name, d, c, roles, signer) {
	case refusedRole:
		return apperr.E(apperr.Forbidden, "workflow.role_forbidden", "action", workflow.Label("action", name))
	case refusedState:
		st, _ := d.State(c.State)
		return apperr.E(apperr.Conflict, "workflow.not_in_state", "action", workflow.Label("action", name), "status", workflow.Label("status", st.Status))
	case refusedClaimed:
		return apperr.E(apperr.Conflict, "case.claimed", "name", c.Assignee)
	}
	return nil
}

// refusal is why an operation is not open to someone now; the case page
// asks about every operation for every reply, so the error is built only
// for a request that is refused (operationAllowed).
type refusal uint8

const (
	allowed        refusal = iota
	refusedRole            // the user's roles may not
	refusedState           // not in the case's present state
	refusedClaimed         // another staff member holds the case
)

// opAsk is what an operation's rule looks at: the case, its state and
// process, the asker's roles on it, and whether the asker is asked to
// countersign it.
type opAsk struct {
	d      *workflow.Definition
	c      *Case
	st     *workflow.State
	roles  []string
	signer bool
	// decisionClock: accepted, not decided, in a state under the decision
	// clock — what 转办, 会签, 中止 and 延长 need.
	decisionClock bool
}

func (a opAsk) any(roles ...string) bool { return anyOf(a.roles, roles...) }

// holding: the asker holds the case's present step in one of roles.
func (a opAsk) holding(roles ...string) bool { return holds(a.d, a.c, a.roles) && a.any(roles...) }

// opRule is who may take an operation (else refusedRole) and when (else
// the refusal it returns; allowed when it may).
type opRule struct {
	who  func(opAsk) bool
	when func(opAsk) refusal
}

// stateIf refuses by state unless ok.
func stateIf(ok bool) refusal {
	if ok {
		return allowed
	}
	return refusedState
}

var staffHolding = []string{"clerk", "handler", "reviewer", "approver"}

// opRules are the operations outside the processes' transitions, each its
// rule: one table instead of a switch.
var opRules = map[string]opRule{
	"edit": {
		who: func(a opAsk) bool {
			return a.any("applicant", "agent") || (a.c.Channel == ChannelWindow && a.any("clerk"))
		},
		when: func(a opAsk) refusal { return stateIf(a.st.Editable) },
	},
	"claim": {
		who: func(a opAsk) bool { return a.holding(staffHolding...) },
		when: func(a opAsk) refusal {
			if a.c.AssigneeID != "" {
				return refusedClaimed
			}
			return allowed
		},
	},
	"assign": {
		who:  func(a opAsk) bool { return a.holding(staffHolding...) },
		when: func(opAsk) refusal { return allowed },
	},
	"transfer": {
		who:  func(a opAsk) bool { return a.holding(staffHolding...) },
		when: func(a opAsk) refusal { return stateIf(a.decisionClock) },
	},
	"countersign": {
		who:  func(a opAsk) bool { return a.holding(backOffice...) },
		when: func(a opAsk) refusal { return stateIf(a.decisionClock) },
	},
	"sign": {
		who:  func(a opAsk) bool { return a.signer },
		when: func(opAsk) refusal { return allowed },
	},
	"pause": {
		who:  func(a opAsk) bool { return a.holding(backOffice...) },
		when: func(a opAsk) refusal { return stateIf(a.decisionClock && a.c.PausedSince == nil) },
	},
	"resume": {
		who:  func(a opAsk) bool { return a.any(backOffice...) },
		when: func(a opAsk) refusal { return stateIf(a.c.PausedSince != nil) },
	},
	// 延长审批 needs the approval of the agency's head (Art. 42): approvers only.
	"extend": {
		who:  func(a opAsk) bool { return a.any("approver") },
		when: func(a opAsk) refusal { return stateIf(a.decisionClock) },
	},
	"supply": {
		who:  func(a opAsk) bool { return a.any("applicant", "agent", "clerk") },
		when: func(a opAsk) refusal { return stateIf(len(a.c.Owed) > 0) },
	},
	"verify": {
		who:  func(a opAsk) bool { return a.any(backOffice...) },
		when: func(a opAsk) refusal { return stateIf(a.c.VerifyDueAt != nil) },
	},
	// 更改送达方式: the applicant (or the agent, or a clerk for a caller at
	// the window) changes how the result is to reach them while nothing is
	// decided yet — the decision's document states the choice, so it is
	// fixed from the decision on. A bundle's choice is its parent's, shared
	// by its items: changed at a window, not here.
	"change_delivery": {
		who: func(a opAsk) bool { return a.any("applicant", "agent", "clerk") },
		when: func(a opAsk) refusal {
			return stateIf(a.c.SubmittedAt != nil && a.c.DecidedAt == nil && !a.st.Terminal && !a.st.Editable &&
				a.c.BundleCode == "" && a.c.ParentID == "")
		},
	},
	"urge": {
		who: func(a opAsk) bool { return a.any("applicant", "agent", "clerk", "supervisor", "approver") },
		when: func(a opAsk) refusal {
			return stateIf(!a.st.Terminal && a.c.SubmittedAt != nil && a.c.DecidedAt == nil && !a.st.Editable)
		},
	},
	"respond": {
		who:  func(a opAsk) bool { return a.holding(staffHolding...) },
		when: func(a opAsk) refusal { return stateIf(a.c.UrgedAt != nil) },
	},
	"comment": {
		who:  func(a opAsk) bool { return isStaff(a.roles) || a.signer },
		when: func(a opAsk) refusal { return stateIf(!a.st.Terminal) },
	},
}

// refusalOf says whether roles may take the operation name on c now: its
// rule in opRules (an operation without one is not refused here).
func refusalOf(name string, d *workflow.Definition, c *Case, roles []string, signer bool) refusal {
	rule, ok := opRules[name]
	if !ok {
		return allowed
	}
	st, _ := d.State(c.State)
	a := opAsk{d: d, c: c, st: st, roles: roles, signer: signer,
		decisionClock: c.AcceptedAt != nil && c.DecidedAt == nil && !st.Terminal && st.Clock == workflow.ClockDecision}
	if !rule.who(a) {
		return refusedRole
	}
	return rule.when(a)
}

// guard runs the common checks of an operation.
func guard(s *Service, name string, c *Case, u *identity.User, roles []string, tx *db.Tx) (*workflow.Definition, error) {
	d, err := s.process(c)
	if err != nil {
		return nil, err
	}
	signer, err := countersigner(tx, u, c)
	if err != nil {
		return nil, err
	}
	return d, operationAllowed(name, d, c, u, roles, signer)
}

func opEdit(o opCall) error {
	s, tx, c, it, u, roles, who, req := o.s, o.tx, o.c, o.it, o.u, o.roles, o.who, o.req
	if _, err := guard(s, "edit", c, u, roles, tx); err != nil {
		return err
	}
	if err := s.edit(tx, c, it, u.ID, req); err != nil {
		return err
	}
	return s.finish(tx, c, who, "edit", "", nil)
}

// opChangeDelivery records the applicant's new choice of how to receive the
// result, checked as at filing (the item's ways; a posting address in full).
func opChangeDelivery(o opCall) error {
	s, tx, c, it, u, roles, who, req := o.s, o.tx, o.c, o.it, o.u, o.roles, o.who, o.req
	if _, err := guard(s, "change_delivery", c, u, roles, tx); err != nil {
		return err
	}
	if req.Choice == nil || strings.TrimSpace(req.Choice.Method) == "" {
		return apperr.E(apperr.Invalid, "case.delivery_choice_required")
	}
	choice, err := checkDelivery(it, c.Channel, req.Choice)
	if err != nil {
		return err
	}
	was := c.Choice.Method
	c.Choice = choice
	c.postSealed = sealPost(s.vault(), c.ID, choice)
	if err := openPost(s.vault(), c.ID, c.postSealed, &c.Choice); err != nil {
		return err
	}
	// The timeline shows the change masked, as lists do.
	return s.finish(tx, c, who, "change_delivery", "", map[string]any{"from": was, "to": choice.Method, "address": c.Choice.Masked})
}

func opClaim(o opCall) error {
	s, tx, c, u, roles, who := o.s, o.tx, o.c, o.u, o.roles, o.who
	if _, err := guard(s, "claim", c, u, roles, tx); err != nil {
		return err
	}
	c.AssigneeID = u.ID
	return s.finish(tx, c, who, "claim", "", nil)
}

// opAssign gives the case to a named colleague who holds the current step's role in scope.
func opAssign(o opCall) error {
	s, tx, c, u, roles, who, req := o.s, o.tx, o.c, o.u, o.roles, o.who, o.req
	d, err := guard(s, "assign", c, u, roles, tx)
	if err != nil {
		return err
	}
	target := req.assignee
	if target == nil {
		return apperr.E(apperr.Invalid, "case.assignee_unknown", "name", req.Assignee)
	}
	if !holds(d, c, rolesFor(target, c)) {
		return apperr.E(apperr.Invalid, "case.assignee_cannot", "name", target.DisplayName)
	}
	c.AssigneeID = target.ID
	if err := save(tx, c); err != nil {
		return err
	}
	return s.commit(tx, c, who, req.Reason, change{action: "assign", from: c.State, to: c.State,
		data: map[string]any{"assignee": target.DisplayName}, assignee: target.ID})
}

// opTransfer (转办) hands the case to another department of the region, which
// holds it from now on; the reason is required.
func opTransfer(o opCall) error {
	s, tx, c, u, roles, who, req := o.s, o.tx, o.c, o.u, o.roles, o.who, o.req
	if _, err := guard(s, "transfer", c, u, roles, tx); err != nil {
		return err
	}
	if strings.TrimSpace(req.Reason) == "" {
		return apperr.E(apperr.Invalid, "workflow.reason_required", "action", workflow.Label("action", "transfer"))
	}
	var name, region string
	err := tx.QueryRow(`SELECT name, region_code FROM departments WHERE id = $1`, req.Department).Scan(&name, &region)
	if err != nil {
		return db.NotFound(err, "case.department_unknown")
	}
	if req.Department == c.DepartmentID {
		return apperr.E(apperr.Invalid, "case.transfer_same")
	}
	// A department acts in its own region and the regions inside it: one of
	// another town (or a sibling district) has nobody who may act on this
	// case, which would lie orphaned while its clock runs (issue 14).
	if !codes.DivisionCovers(region, c.Region) {
		return apperr.E(apperr.Invalid, "case.transfer_out_of_region", "department", name)
	}
	from := c.Department
	c.DepartmentID, c.AssigneeID = req.Department, ""
	if err := save(tx, c); err != nil {
		return err
	}
	// The receiving department's holders find it in their inbox.
	return s.commit(tx, c, who, req.Reason, change{action: "transfer", from: c.State, to: c.State, moved: true,
		data: map[string]any{"from": from, "to": name}})
}

// opUrge is 催办 by the applicant or 督办 by staff (a supervisor, the
// approver, the window): staff must say what they expect. The holders of
// the case are notified, and the urging stays open until one answers.
func opUrge(o opCall) error {
	s, tx, c, u, roles, who, req := o.s, o.tx, o.c, o.u, o.roles, o.who, o.req
	if _, err := guard(s, "urge", c, u, roles, tx); err != nil {
		return err
	}
	note := strings.TrimSpace(req.Comment)
	staff := isStaff(roles)
	if staff && note == "" {
		return apperr.E(apperr.Invalid, "case.urge_note_required")
	}
	c.UrgedAt = ptr(tx.Now)
	if err := s.finish(tx, c, who, "urge", note, map[string]any{"supervision": staff}); err != nil {
		return err
	}
	return s.notifyHolders(tx, c, "urge", notify.Message{Key: "notify.urge", Args: map[string]any{"case_no": c.No, "by": who.Name, "note": note}})
}

// opRespond answers an open urging (答复督办); whoever urged is told.
func opRespond(o opCall) error {
	s, tx, c, u, roles, who, req := o.s, o.tx, o.c, o.u, o.roles, o.who, o.req
	if _, err := guard(s, "respond", c, u, roles, tx); err != nil {
		return err
	}
	answer := strings.TrimSpace(req.Comment)
	if answer == "" {
		return apperr.E(apperr.Invalid, "case.respond_required")
	}
	var urger sql.NullString
	if err := tx.QueryRow(`SELECT actor_id FROM case_events WHERE case_id = $1 AND action = 'urge' ORDER BY seq DESC LIMIT 1`, c.ID).Scan(&urger); err != nil && err != sql.ErrNoRows {
		return err
	}
	c.UrgedAt = nil
	if err := s.finish(tx, c, who, "respond", answer, nil); err != nil {
		return err
	}
	if !urger.Valid || urger.String == u.ID || urger.String == SystemUserID {
		return nil
	}
	return notify.Send(tx, urger.String, c.ID, "respond", notify.Message{Key: "notify.respond",
		Args: map[string]any{"case_no": c.No, "by": who.Name, "answer": answer}}, "respond|"+c.ID+"|"+strconv.Itoa(c.Rev))
}

// notifyHolders tells whoever holds a case now: its assignee, else the
// holders of its step in its department and region.
func (s *Service) notifyHolders(tx *db.Tx, c *Case, kind string, msg notify.Message) error {
	to := []string{c.AssigneeID}
	if c.AssigneeID == "" {
		var err error
		if to, err = identity.Holders(tx, s.Holders(c.Process, c.State), c.DepartmentID, c.Region); err != nil {
			return err
		}
	}
	for _, id := range to {
		if err := notify.Send(tx, id, c.ID, kind, msg, kind+"|"+c.ID+"|"+strconv.Itoa(c.Rev)); err != nil {
			return err
		}
	}
	return nil
}

func opComment(o opCall) error {
	s, tx, c, u, roles, who, req := o.s, o.tx, o.c, o.u, o.roles, o.who, o.req
	if _, err := guard(s, "comment", c, u, roles, tx); err != nil {
		return err
	}
	if strings.TrimSpace(req.Comment) == "" {
		return apperr.E(apperr.Invalid, "case.comment_required")
	}
	return s.finish(tx, c, who, "comment", strings.TrimSpace(req.Comment), nil)
}

// MaxExtension caps 延长审批: 行政许可法 Art. 42 allows ten more days.
var MaxExtension = calendar.Days(10)

func opExtend(o opCall) error {
	s, tx, c, u, roles, who, req := o.s, o.tx, o.c, o.u, o.roles, o.who, o.req
	if _, err := guard(s, "extend", c, u, roles, tx); err != nil {
		return err
	}
	l, err := calendar.ParseLimit(req.Days)
	if err != nil || l == 0 {
		return apperr.E(apperr.Invalid, "case.extension_days", "value", req.Days)
	}
	reason := strings.TrimSpace(req.Reason)
	if reason == "" {
		return apperr.E(apperr.Invalid, "workflow.reason_required", "action", workflow.Label("action", "extend"))
	}
	if c.Extension+l > MaxExtension {
		return apperr.E(apperr.Invalid, "case.extension_cap", "max", MaxExtension.String(), "used", c.Extension.String())
	}
	c.Extension += l
	if err := s.recomputeDue(c); err != nil {
		return err
	}
	if _, err := tx.Exec(`INSERT INTO case_extensions (id, case_id, half_days, reason, approved_by, approver, at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		db.NewID(), c.ID, int(l), reason, u.ID, u.DisplayName, tx.Now); err != nil {
		return err
	}
	return s.finish(tx, c, who, "extend", reason, map[string]any{"workdays": l.String(), "due_date": DueDate(*c.DueAt).String()})
}

// recomputeDue sets the decision deadline from acceptance, the promised
// limit, extensions and the working days special procedures took.
func (s *Service) recomputeDue(c *Case) error {
	due, err := decisionDue(s.calendars.For(c.Region), *c.AcceptedAt, c.PromisedLimit, c.Extension, c.PausedDays)
	if err != nil {
		return err
	}
	c.DueAt = &due
	return nil
}

// opPause starts a special procedure (特别程序): the decision clock stops
// and the applicant is told in writing how long it will take (Art. 45).
func opPause(o opCall) error {
	s, tx, c, u, roles, who, req := o.s, o.tx, o.c, o.u, o.roles, o.who, o.req
	if _, err := guard(s, "pause", c, u, roles, tx); err != nil {
		return err
	}
	if !slices.Contains(PauseKinds, req.Kind) {
		return apperr.E(apperr.Invalid, "case.pause_kind", "value", req.Kind)
	}
	expected, err := strconv.Atoi(strings.TrimSpace(req.Days))
	if err != nil || expected < 1 || expected > 365 {
		return apperr.E(apperr.Invalid, "case.pause_days", "value", req.Days)
	}
	reason := strings.TrimSpace(req.Reason)
	if reason == "" {
		return apperr.E(apperr.Invalid, "workflow.reason_required", "action", workflow.Label("action", "pause"))
	}
	c.PausedSince, c.Clock, c.StepDueAt = ptr(tx.Now), ClockPaused, nil
	if _, err := tx.Exec(`INSERT INTO case_pauses (id, case_id, kind, reason, expected, started_at, started_by) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		db.NewID(), c.ID, req.Kind, reason, expected, tx.Now, u.ID); err != nil {
		return err
	}
	if err := issue(tx, c, who, "special_procedure", map[string]any{"kind": req.Kind, "reason": reason, "expected_workdays": expected}); err != nil {
		return err
	}
	return s.finish(tx, c, who, "pause", reason, map[string]any{"kind": req.Kind, "expected_workdays": expected})
}

func opResume(o opCall) error {
	s, tx, c, u, roles, who, req := o.s, o.tx, o.c, o.u, o.roles, o.who, o.req
	if _, err := guard(s, "resume", c, u, roles, tx); err != nil {
		return err
	}
	if err := s.endPause(tx, c, s.calendars.For(c.Region), who); err != nil {
		return err
	}
	return s.finish(tx, c, who, "resume", strings.TrimSpace(req.Comment), map[string]any{"paused_workdays": c.PausedDays})
}

// endPause ends the running special procedure: the working days it took
// are added to the deadlines, and the clock runs again.
func (s *Service) endPause(tx *db.Tx, c *Case, cal *calendar.Calendar, who actor) error {
	since := *c.PausedSince
	n, err := pausedWorkdays(cal, *c.AcceptedAt, since, tx.Now)
	if err != nil {
		return err
	}
	c.PausedDays += n
	c.PausedSince = nil
	if _, err := tx.Exec(`UPDATE case_pauses SET ended_at = $1, ended_by = $2, workdays = $3 WHERE case_id = $4 AND ended_at IS NULL`,
		tx.Now, nullString(who.ID), n, c.ID); err != nil {
		return err
	}
	if err := s.recomputeDue(c); err != nil {
		return err
	}
	d, err := s.process(c)
	if err != nil {
		return err
	}
	st, _ := d.State(c.State)
	c.Clock = st.Clock
	if c.StepStartedAt != nil {
		sn, err := pausedWorkdays(cal, *c.StepStartedAt, since, tx.Now)
		if err != nil {
			return err
		}
		c.StepPausedDays += sn
		if l, ok := st.StepLimit(c.PromisedLimit + c.Extension); ok {
			due, err := deadline(cal, *c.StepStartedAt, l+calendar.Days(c.StepPausedDays))
			if err != nil {
				return err
			}
			c.StepDueAt = &due
		}
	}
	return nil
}

// opCountersign asks other departments for their opinion (会签: all of
// them; 或签: any one). The step cannot be passed until it completes.
func opCountersign(o opCall) error {
	s, tx, c, u, roles, who, req := o.s, o.tx, o.c, o.u, o.roles, o.who, o.req
	if _, err := guard(s, "countersign", c, u, roles, tx); err != nil {
		return err
	}
	if req.Mode != "all" && req.Mode != "any" && req.Mode != CountersignSequential {
		return apperr.E(apperr.Invalid, "case.countersign_mode", "value", req.Mode)
	}
	// 依次会签 asks the departments in the order given; the others in any.
	var depts []string
	for _, d := range req.Departments {
		if !slices.Contains(depts, d) {
			depts = append(depts, d)
		}
	}
	if req.Mode != CountersignSequential {
		slices.Sort(depts)
	}
	if len(depts) == 0 {
		return apperr.E(apperr.Invalid, "case.countersign_departments")
	}
	if open, err := openCountersign(tx, c); err != nil {
		return err
	} else if open {
		return apperr.E(apperr.Conflict, "case.countersign_open")
	}
	c.tasks = nil
	if c.history != nil {
		c.history.signs++ // the tasks below are now there to read
	}
	id := db.NewID()
	mode, ordered := req.Mode, req.Mode == CountersignSequential
	if ordered {
		mode = "all" // stored as all-of, in order (migration 00035)
	}
	if _, err := tx.Exec(`INSERT INTO case_countersigns (id, case_id, mode, ordered, note, started_by, started_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		id, c.ID, mode, ordered, strings.TrimSpace(req.Comment), u.ID, tx.Now); err != nil {
		return err
	}
	var names []string
	for seq, dep := range depts {
		var name, region string
		if err := tx.QueryRow(`SELECT name, region_code FROM departments WHERE id = $1`, dep).Scan(&name, &region); err != nil {
			return db.NotFound(err, "case.department_unknown")
		}
		if dep == c.DepartmentID {
			return apperr.E(apperr.Invalid, "case.countersign_self")
		}
		// As for 转办: a department outside the case's region could never
		// give its opinion, and the step could never be passed.
		if !codes.DivisionCovers(region, c.Region) {
			return apperr.E(apperr.Invalid, "case.countersign_out_of_region", "department", name)
		}
		if _, err := tx.Exec(`INSERT INTO case_countersign_tasks (countersign_id, department_id, case_id, seq) VALUES ($1, $2, $3, $4)`, id, dep, c.ID, seq); err != nil {
			return err
		}
		names = append(names, name)
	}
	if err := save(tx, c); err != nil {
		return err
	}
	return s.commit(tx, c, who, strings.TrimSpace(req.Comment), change{action: "countersign", from: c.State, to: c.State,
		data: map[string]any{"mode": req.Mode, "departments": names}, signers: depts})
}

// opSign records one department's opinion. R3.3's outcomes (docs/GLOSSARY.md
// 会签): all-of (会签) ends agreed when every department agrees and
// disagreed at the first disagree (unanimity is lost); any-of (或签) ends
// agreed at the first agree, and disagreed only when every department
// disagreed; sequential (依次会签) asks one department at a time in order and
// ends like all-of. A disagreed countersign lets the lead department go on
// (its opinion and the disagreement on record) but no approver grant over it
// (act.go): the case is denied, or the lead department coordinates and asks
// again.
func opSign(o opCall) error {
	s, tx, c, u, roles, who, req := o.s, o.tx, o.c, o.u, o.roles, o.who, o.req
	if _, err := guard(s, "sign", c, u, roles, tx); err != nil {
		return err
	}
	if req.Opinion != "agree" && req.Opinion != "disagree" {
		return apperr.E(apperr.Invalid, "case.opinion", "value", req.Opinion)
	}
	comment := strings.TrimSpace(req.Comment)
	if req.Opinion == "disagree" && comment == "" {
		return apperr.E(apperr.Invalid, "workflow.reason_required", "action", workflow.Label("action", "sign"))
	}
	var csID, mode, dept, deptName string
	rows, err := tx.Query(`SELECT x.id, x.mode, t.department_id, d.name FROM case_countersign_tasks t
		JOIN case_countersigns x ON x.id = t.countersign_id JOIN departments d ON d.id = t.department_id
		WHERE t.case_id = $1 AND x.done_at IS NULL AND t.opinion = ''`+inTurn, c.ID)
	if err != nil {
		return err
	}
	for rows.Next() && dept == "" {
		var id, m, dp, name string
		if err := rows.Scan(&id, &m, &dp, &name); err != nil {
			rows.Close()
			return err
		}
		if signsFor(u, dp, c.Region) {
			csID, mode, dept, deptName = id, m, dp, name
		}
	}
	rows.Close()
	if dept == "" {
		return apperr.E(apperr.Forbidden, "workflow.role_forbidden", "action", workflow.Label("action", "sign"))
	}
	if _, err := tx.Exec(`UPDATE case_countersign_tasks SET opinion = $1, comment = $2, actor_id = $3, acted_at = $4
		WHERE countersign_id = $5 AND department_id = $6`, req.Opinion, comment, u.ID, tx.Now, csID, dept); err != nil {
		return err
	}
	var pending int
	if err := tx.QueryRow(`SELECT COUNT(*) FROM case_countersign_tasks WHERE countersign_id = $1 AND opinion = ''`, csID).Scan(&pending); err != nil {
		return err
	}
	c.tasks = nil
	data := map[string]any{"department": deptName, "opinion": req.Opinion}
	if result := countersignResult(mode, req.Opinion, pending); result != "" {
		if _, err := tx.Exec(`UPDATE case_countersigns SET done_at = $1, result = $2 WHERE id = $3`, tx.Now, result, csID); err != nil {
			return err
		}
		data["completed"], data["result"] = true, result
	}
	return s.finish(tx, c, who, "sign", comment, data)
}

// signsFor: a back-office role in the asked department.
func signsFor(u *identity.User, dept, region string) bool {
	for _, r := range []identity.Role{identity.RoleHandler, identity.RoleReviewer, identity.RoleApprover} {
		if u.CanActIn(r, dept, region) {
			return true
		}
	}
	return false
}

// openTasks lists the departments whose countersign opinion on c is still
// open, read once per transaction (an operation that changes them forgets it).
func openTasks(tx *db.Tx, c *Case) ([]string, error) {
	if c.tasks != nil {
		return *c.tasks, nil
	}
	if c.history != nil && c.history.signs == 0 {
		return nil, nil // never asked to countersign
	}
	rows, err := tx.Query(`SELECT t.department_id FROM case_countersign_tasks t JOIN case_countersigns x ON x.id = t.countersign_id
		WHERE t.case_id = $1 AND x.done_at IS NULL AND t.opinion = ''`+inTurn, c.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	depts := []string{}
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			return nil, err
		}
		depts = append(depts, d)
	}
	c.tasks = &depts
	return depts, rows.Err()
}

// countersigner reports whether u may give an open countersign opinion on c.
func countersigner(tx *db.Tx, u *identity.User, c *Case) (bool, error) {
	if u == nil || u.Kind != identity.KindStaff {
		return false, nil
	}
	depts, err := openTasks(tx, c)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(depts, func(d string) bool { return signsFor(u, d, c.Region) }), nil
}

// openCountersign reports whether a countersign of c waits for an opinion:
// an unfinished countersign always has a department still to answer.
func openCountersign(tx *db.Tx, c *Case) (bool, error) {
	depts, err := openTasks(tx, c)
	return len(depts) > 0, err
}

func countersigns(tx *db.Tx, caseID string) ([]Countersign, error) {
	rows, err := tx.Query(`SELECT x.id, x.mode, x.ordered, x.result, x.note, x.started_at, x.done_at, t.department_id, d.name, t.opinion, t.comment,
		COALESCE(u.display_name, ''), t.acted_at
		FROM case_countersigns x JOIN case_countersign_tasks t ON t.countersign_id = x.id
		JOIN departments d ON d.id = t.department_id LEFT JOIN users u ON u.id = t.actor_id
		WHERE x.case_id = $1 ORDER BY x.started_at, x.id, t.seq, d.name`, caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Countersign
	for rows.Next() {
		var cs Countersign
		var t CountersignTask
		var done, acted nullTime
		var ordered bool
		if err := rows.Scan(&cs.ID, &cs.Mode, &ordered, &cs.Result, &cs.Note, &cs.StartedAt, &done, &t.DepartmentID, &t.Department, &t.Opinion,
			&t.Comment, &t.Actor, &acted); err != nil {
			return nil, err
		}
		if ordered {
			cs.Mode = CountersignSequential
		}
		cs.DoneAt, t.ActedAt = done.ptr(), acted.ptr()
		if n := len(out); n > 0 && out[n-1].ID == cs.ID {
			out[n-1].Tasks = append(out[n-1].Tasks, t)
			continue
		}
		cs.Tasks = []CountersignTask{t}
		out = append(out, cs)
	}
	return out, rows.Err()
}

// opVerify records the post-verification (事后核查) of a 告知承诺 case. A
// false promise revokes the decision (国办发〔2020〕42号).
func opVerify(o opCall) error {
	s, tx, c, u, roles, who, req := o.s, o.tx, o.c, o.u, o.roles, o.who, o.req
	if _, err := guard(s, "verify", c, u, roles, tx); err != nil {
		return err
	}
	switch req.Outcome {
	case "confirmed":
	case "false":
		if strings.TrimSpace(req.Reason) == "" {
			return apperr.E(apperr.Invalid, "workflow.reason_required", "action", workflow.Label("action", "verify"))
		}
		c.Decision = "revoked"
		// The licence the decision issued is revoked with it.
		if s.licensing != nil {
			if err := s.licensing.RevokeFor(tx, c.ID, strings.TrimSpace(req.Reason), who.ID); err != nil {
				return err
			}
		}
	default:
		return apperr.E(apperr.Invalid, "case.verify_outcome", "value", req.Outcome)
	}
	c.VerifyDueAt, c.VerifiedAt = nil, ptr(tx.Now)
	return s.finish(tx, c, who, "verify", strings.TrimSpace(req.Reason), map[string]any{"outcome": req.Outcome})
}

// opSupply attaches materials owed under 容缺受理; when nothing is owed any
// more, the tolerance deadline stops and the decision may be made.
func opSupply(o opCall) error {
	s, tx, c, it, u, roles, who, req := o.s, o.tx, o.c, o.it, o.u, o.roles, o.who, o.req
	if _, err := guard(s, "supply", c, u, roles, tx); err != nil {
		return err
	}
	if len(req.Materials) == 0 {
		return apperr.E(apperr.Invalid, "case.supply_nothing")
	}
	for _, m := range req.Materials {
		if !slices.Contains(c.Owed, m.Key) {
			return apperr.E(apperr.Invalid, "case.supply_not_owed", "key", m.Key)
		}
	}
	if err := attach(tx, u.ID, c, it, req.Materials); err != nil {
		return err
	}
	var keys []string
	c.Owed = slices.DeleteFunc(c.Owed, func(k string) bool {
		if slices.ContainsFunc(req.Materials, func(m MaterialRef) bool { return m.Key == k }) {
			keys = append(keys, k)
			return true
		}
		return false
	})
	if len(c.Owed) == 0 {
		c.ToleranceDueAt = nil
	}
	return s.finish(tx, c, who, "supply", "", map[string]any{"materials": keys})
}

// nullTime scans a nullable timestamp.
type nullTime struct{ sql.NullTime }

func (n nullTime) ptr() *time.Time {
	if !n.Valid {
		return nil
	}
	t := n.Time.UTC()
	return &t
}

func limitString(halfDays int) string { return calendar.Limit(halfDays).String() }
