package cases

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/anomaly"
	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/stats"
	"github.com/tongban/tongban/internal/workflow"
)

// ActionRequest is one action on a case: a transition of its process
// (submit, accept, pass, grant …) or an operation (claim, transfer, urge,
// extend, pause …). Only the fields the action uses are read.
type ActionRequest struct {
	Action string `json:"action"`
	// Rev is the revision the actor saw; when it is not the case's current
	// one, somebody acted first and the request is refused (Conflict).
	Rev         int               `json:"rev,omitempty"`
	Reason      string            `json:"reason,omitempty"`
	Comment     string            `json:"comment,omitempty"`
	Back        string            `json:"back,omitempty"`        // return: the earlier state
	Corrections []Correction      `json:"corrections,omitempty"` // request_correction: everything to correct, once
	Owed        []string          `json:"tolerance_owed,omitempty"`
	Originals   []string          `json:"originals_checked,omitempty"`
	Values      catalog.Values    `json:"form_values,omitempty"` // resubmit, edit: corrected values
	Answers     map[string]string `json:"answers,omitempty"`
	Materials   []MaterialRef     `json:"materials,omitempty"` // resubmit, edit, supply
	Delivery    string            `json:"delivery_method,omitempty"`
	Choice      *DeliveryChoice   `json:"delivery,omitempty"` // change_delivery: the applicant's new choice
	TrackingNo  string            `json:"tracking_no,omitempty"`
	Assignee    string            `json:"assignee,omitempty"`      // assign: a user name
	Department  string            `json:"department_id,omitempty"` // transfer
	Days        string            `json:"workdays,omitempty"`      // extend; pause: expected days
	Kind        string            `json:"kind,omitempty"`          // pause: the special procedure
	Departments []string          `json:"departments,omitempty"`   // countersign
	Mode        string            `json:"mode,omitempty"`          // countersign: all, any
	Opinion     string            `json:"opinion,omitempty"`       // sign: agree, disagree
	Outcome     string            `json:"outcome,omitempty"`       // verify: confirmed, false

	assignee *identity.User // resolved from Assignee before the transaction
	channel  string         // a filing submitted at once: its channel, recorded with the submission
	deemed   bool           // accept: taken to have been accepted on receipt (Art. 32)
	quiet    bool           // the caller writes the change's notifications itself
}

// Act performs one action on the case ref for u and returns the case as u
// now sees it. Errors: NotFound outside u's scope; Forbidden for a role that
// may not act; Conflict when the state does not allow the action or the
// case changed since Rev; Invalid for missing or bad input. On any error the
// case is unchanged.
func (s *Service) Act(ctx context.Context, u *identity.User, ref string, req ActionRequest) (*Case, error) {
	if u == nil {
		return nil, apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	req.Action = strings.TrimSpace(req.Action)
	if req.Action == "" {
		return nil, apperr.E(apperr.Invalid, "workflow.action_unknown", "action", "")
	}
	if req.Action == "assign" && req.Assignee != "" {
		var err error
		if req.assignee, err = s.identity.UserByUsername(ctx, strings.TrimSpace(req.Assignee)); apperr.CodeOf(err) == apperr.NotFound {
			req.assignee = nil
		} else if err != nil {
			return nil, err
		}
	}
	var out *Case
	err := s.db.Update(ctx, func(tx *db.Tx) error {
		c, err := s.load(tx, ref)
		if err != nil {
			return err
		}
		it, err := s.catalog.ItemAt(tx, c.ItemCode, c.ItemVersion)
		if err != nil {
			return err
		}
		roles, _, err := access(tx, u, c)
		if err != nil {
			return err
		}
		if req.Rev != 0 && req.Rev != c.Rev {
			return apperr.E(apperr.Conflict, "case.changed", "ref", c.Ref())
		}
		who := actor{u.ID, u.DisplayName, primaryRole(roles)}
		op, isOp := operations[req.Action]
		if isOp {
			err = op(opCall{s: s, tx: tx, c: c, it: it, u: u, roles: roles, who: who, req: req})
		} else {
			err = s.transition(tx, c, it, who, roles, req)
		}
		if err != nil {
			return err
		}
		if isOp {
			// Operations change names a read joins in (assignee, department): read it back.
			if c, err = s.load(tx, c.ID); err != nil {
				return err
			}
		}
		out, err = s.reply(tx, u, c)
		return err
	})
	if err != nil {
		return nil, apperr.Internalf("cases: act", err)
	}
	return out, nil
}

// reply is the case as the actor sees it after acting, completed in the
// same transaction. When the
// action took the case out of their scope — a transfer, a countersign
// opinion — they see the outcome, not the contents.
func (s *Service) reply(tx *db.Tx, u *identity.User, c *Case) (*Case, error) {
	if c.AssigneeID == "" {
		c.Assignee = "" // a move to another step releases the case
	}
	c.derive()
	roles, signer, err := access(tx, u, c)
	if apperr.Is(err, apperr.NotFound, "") {
		c.Values, c.Answers, c.Actions, c.OutOfScope = nil, nil, []string{}, true
		return c, nil
	}
	if err != nil {
		return nil, err
	}
	// The actor's view of the case is recorded by the audit record of the
	// action they just took (who, which case, when): an action is a read
	// and more, so it is not recorded twice.
	return c, s.present(tx, u, c, roles, signer)
}

// primaryRole names the role an actor acts in on the timeline: the most
// specific back-office role, else applicant or agent.
func primaryRole(roles []string) string {
	for _, r := range []string{"approver", "reviewer", "handler", "clerk", "supervisor", "agent", "applicant"} {
		if slices.Contains(roles, r) {
			return r
		}
	}
	return ""
}

// staffActors are the roles whose actions count in staff figures.
var staffActors = []string{"clerk", "handler", "reviewer", "approver"}

// transition moves c through its process and applies the action's effects.
func (s *Service) transition(tx *db.Tx, c *Case, it *catalog.Item, who actor, roles []string, req ActionRequest) error {
	d, err := s.process(c)
	if err != nil {
		return err
	}
	if req.Action == "submit" && c.State == d.Start && d.Key != workflow.Bundle {
		// The process is chosen at submission: a draft may have opted into 告知承诺 since.
		if d, err = s.processFor(it, c.Commitment); err != nil {
			return err
		}
		c.Process = d.Ref()
	}
	mv, err := d.Transition(c.State, req.Action, roles, workflow.Input{Reason: req.Reason, Back: req.Back, Corrections: len(req.Corrections)})
	if err != nil {
		return err
	}
	// 会签 first: no step is passed, returned or decided over an open
	// countersign (withdrawal and termination end it instead).
	if mv.From.Clock == workflow.ClockDecision && !mv.Action.Has(workflow.EffectWithdraw) && !mv.Action.Has(workflow.EffectTerminate) {
		if open, err := openCountersign(tx, c); err != nil {
			return err
		} else if open {
			return apperr.E(apperr.Conflict, "case.countersign_open")
		}
		if mv.Action.Has(workflow.EffectGrant) {
			if err := grantable(tx, c); err != nil {
				return err
			}
		}
		if c.PausedSince != nil {
			return apperr.E(apperr.Conflict, "case.paused")
		}
	}
	if mv.Action.Has(workflow.EffectGrant) {
		// 结果实时共享: not before the sibling's result it takes exists.
		if err := resultAwaited(tx, c); err != nil {
			return err
		}
	}
	cal := s.calendars.For(c.Region)
	data := map[string]any{}
	stepDue, dept := c.StepDueAt, c.DepartmentID // the step this action finishes, before it moves on
	wasConcluded := c.ConcludedAt != nil
	var prior *Case
	if mv.Action.Has(workflow.EffectWithdraw) {
		held := *c // who held it is told it was withdrawn
		prior = &held
	}
	for _, e := range mv.Action.Effects {
		if err := s.apply(tx, c, it, cal, e, who, req, data); err != nil {
			return err
		}
	}
	c.State, c.Status = mv.To.Key, mv.To.Status
	c.Clock = mv.To.Clock
	if c.PausedSince != nil {
		c.Clock = ClockPaused
	}
	if mv.To.Key != mv.From.Key {
		c.AssigneeID, c.UrgedAt = "", nil
		if err := enterStep(cal, c, mv.To, tx.Now); err != nil {
			return err
		}
	}
	if req.Comment != "" {
		data["comment"] = req.Comment
	}
	if req.channel != "" {
		data["channel"] = req.channel
	}
	if err := save(tx, c); err != nil {
		return err
	}
	if err := s.commit(tx, c, who, req.Reason, change{action: req.Action, from: mv.From.Key, to: mv.To.Key,
		moved: mv.To.Key != mv.From.Key, prior: prior, data: data, quiet: req.quiet}); err != nil {
		return err
	}
	if err := count(tx, cal, c, mv.Action); err != nil {
		return err
	}
	if slices.Contains(staffActors, who.Role) && who.ID != "" {
		if err := stats.AddStaff(tx, who.ID, dept, c.Region, stepDue == nil || !tx.Now.After(*stepDue)); err != nil {
			return err
		}
	}
	if err := flag(tx, c, it, mv, wasConcluded); err != nil {
		return err
	}
	if c.ParentID != "" && mv.To.Key != mv.From.Key && slices.Contains(settled, mv.To.Key) {
		return s.settleParent(tx, c.ParentID)
	}
	return nil
}

// enterStep starts the step clock of state st (its own limit) or stops it.
func enterStep(cal *calendar.Calendar, c *Case, st *workflow.State, now time.Time) error {
	c.StepPausedDays = 0
	l, ok := st.StepLimit(c.PromisedLimit + c.Extension)
	if !ok || st.Clock != workflow.ClockDecision {
		c.StepStartedAt, c.StepDueAt = nil, nil
		return nil
	}
	due, err := deadline(cal, now, l)
	if err != nil {
		return err
	}
	c.StepStartedAt, c.StepDueAt = ptr(now), &due
	return nil
}

// apply performs one effect of a transition on c.
func (s *Service) apply(tx *db.Tx, c *Case, it *catalog.Item, cal *calendar.Calendar, e workflow.Effect, who actor, req ActionRequest, data map[string]any) error {
	now := tx.Now
	switch e {
	case workflow.EffectSubmit, workflow.EffectResubmit:
		if c.BundleCode != "" && c.ParentID == "" {
			// A bundle's parent: its sub-cases are checked and clocked, each by its item.
			no, err := nextCaseNo(tx, c.ItemCode, now)
			c.No, c.SubmittedAt, data["case_no"] = no, ptr(now), no
			return err
		}
		if e == workflow.EffectResubmit {
			if err := s.edit(tx, c, it, who.ID, req); err != nil {
				return err
			}
		}
		if err := s.checkComplete(tx, c, it, now); err != nil {
			return err
		}
		if c.No == "" {
			no, err := nextCaseNo(tx, c.ItemCode, now)
			if err != nil {
				return err
			}
			c.No = no
			data["case_no"] = no
		}
		c.SubmittedAt = ptr(now)
		pre, err := deadline(cal, now, it.PreReview())
		if err != nil {
			return err
		}
		notice, err := deadline(cal, now, NoticeLimit)
		if err != nil {
			return err
		}
		c.PreReviewDueAt, c.NoticeDueAt = &pre, &notice
	case workflow.EffectCorrection:
		list, err := checkCorrections(it, req.Corrections)
		if err != nil {
			return err
		}
		c.PreReviewDueAt, c.NoticeDueAt = nil, nil
		data["corrections"] = list
		body := map[string]any{"corrections": list, "comment": req.Comment}
		// 行政许可法 Art. 32: the notice is one-time. A later one may only
		// repeat what the first asked and the resubmission did not fix
		// (再次补正); it says so, and supervision counts it.
		first, at, err := firstCorrection(tx, c.ID)
		if err != nil {
			return err
		}
		if first != nil {
			if err := repeatsOnly(first, list); err != nil {
				return err
			}
			body["repeat"], body["first_issued_at"] = true, at
			data["repeat"] = true
			if err := anomaly.Raise(tx, c.ID, anomaly.RepeatCorrection, strconv.Itoa(c.Rev), c.DepartmentID, c.Region,
				map[string]any{"entries": len(list)}); err != nil {
				return err
			}
		}
		return issue(tx, c, who, "correction", body)
	case workflow.EffectAccept:
		if err := s.accept(tx, c, it, cal, req, data); err != nil {
			return err
		}
		return issue(tx, c, who, "acceptance", map[string]any{"due_date": DueDate(*c.DueAt).String(), "owed": c.Owed,
			"promised": c.PromisedLimit.String(), "commitment": c.Commitment})
	case workflow.EffectRefuse:
		c.PreReviewDueAt, c.NoticeDueAt = nil, nil
		c.Reason, c.ConcludedAt = strings.TrimSpace(req.Reason), ptr(now)
		return issue(tx, c, who, "refusal", map[string]any{"reason": c.Reason})
	case workflow.EffectGrant, workflow.EffectDeny:
		if len(c.Owed) > 0 {
			return apperr.E(apperr.Conflict, "case.tolerance_owed", "count", len(c.Owed))
		}
		c.Decision, c.Reason = Granted, strings.TrimSpace(req.Reason)
		if e == workflow.EffectDeny {
			c.Decision = Denied
		}
		c.DecidedAt, c.ConcludedAt = ptr(now), ptr(now)
		c.StepStartedAt, c.StepDueAt, c.ToleranceDueAt = nil, nil, nil
		onTime := c.DueAt == nil || !now.After(*c.DueAt)
		data["decision"], data["on_time"] = c.Decision, onTime
		// 准予 with a licence result issues the licence in this transaction (R5.1).
		if err := s.issueLicence(tx, c, it, who, data); err != nil {
			return err
		}
		return issue(tx, c, who, "decision", map[string]any{"decision": c.Decision, "reason": c.Reason, "result": it.Result.Name,
			"licence": data["licence"]})
	case workflow.EffectConclude:
		var open int
		if err := tx.QueryRow(`SELECT COUNT(*) FROM cases WHERE parent_id = $1 AND state NOT IN ('concluded', 'delivered', 'refused', 'withdrawn', 'terminated')`,
			c.ID).Scan(&open); err != nil {
			return err
		}
		if open > 0 {
			return apperr.E(apperr.Conflict, "case.bundle_open", "count", open)
		}
		c.ConcludedAt = ptr(now)
	case workflow.EffectDeliver:
		if c.ParentID != "" {
			return apperr.E(apperr.Conflict, "case.deliver_with_bundle")
		}
		if err := deliver(c, req, now, data); err != nil {
			return err
		}
		if c.BundleCode != "" {
			return s.deliverChildren(tx, c, who)
		}
	case workflow.EffectWithdraw, workflow.EffectTerminate:
		c.PreReviewDueAt, c.NoticeDueAt, c.StepDueAt, c.StepStartedAt, c.ToleranceDueAt = nil, nil, nil, nil, nil
		// A countersign still open ends with the case: nobody is asked any more.
		if _, err := tx.Exec(`UPDATE case_countersigns SET done_at = $1 WHERE case_id = $2 AND done_at IS NULL`, now, c.ID); err != nil {
			return err
		}
		c.tasks = nil
		if c.PausedSince != nil {
			if err := s.endPause(tx, c, cal, who); err != nil {
				return err
			}
		}
		c.Reason, c.ConcludedAt = strings.TrimSpace(req.Reason), ptr(now)
	}
	return nil
}

// accept starts the decision clock (受理): the day of acceptance does not
// count. 容缺受理 records what is still owed and by when; 告知承诺 schedules
// the post-verification (事后核查).
func (s *Service) accept(tx *db.Tx, c *Case, it *catalog.Item, cal *calendar.Calendar, req ActionRequest, data map[string]any) error {
	now := tx.Now
	if req.deemed {
		now = deemedStart(c, now)
		data["deemed"] = true
	}
	c.AcceptedAt = ptr(now)
	c.PreReviewDueAt, c.NoticeDueAt = nil, nil
	due, err := decisionDue(cal, now, c.PromisedLimit, c.Extension, c.PausedDays)
	if err != nil {
		return err
	}
	c.DueAt = &due
	if len(req.Originals) > 0 {
		data["originals_checked"] = req.Originals
	}
	if owed := slices.Compact(slices.Sorted(slices.Values(req.Owed))); len(owed) > 0 {
		if !it.Tolerance {
			return apperr.E(apperr.Invalid, "case.tolerance_not_offered")
		}
		for _, k := range owed {
			if _, ok := it.Material(k); !ok {
				return apperr.E(apperr.Invalid, "case.material_unknown", "key", k)
			}
		}
		// The owed materials are due within the promised limit (at least a day).
		tdue, err := deadline(cal, now, max(c.PromisedLimit, calendar.Days(1)))
		if err != nil {
			return err
		}
		c.Owed, c.ToleranceDueAt = owed, &tdue
		data["tolerance_owed"] = owed
	}
	if c.Commitment {
		vdue, err := deadline(cal, now, s.Limits.VerifyDays)
		if err != nil {
			return err
		}
		c.VerifyDueAt = &vdue
	}
	return nil
}

// deliver records the result's delivery: by default the way the applicant
// chose; another way only with a reason (the applicant asked by phone, the
// post came back), which the timeline keeps with the way chosen.
func deliver(c *Case, req ActionRequest, now time.Time, data map[string]any) error {
	req.Delivery = strings.TrimSpace(req.Delivery)
	if req.Delivery == "" {
		req.Delivery = c.Choice.Method
	}
	switch req.Delivery {
	case "window", "online":
	case "post":
		// Express post (EMS): the tracking number lets the applicant follow it.
		if strings.TrimSpace(req.TrackingNo) == "" {
			return apperr.E(apperr.Invalid, "case.tracking_required")
		}
		c.TrackingNo = strings.TrimSpace(req.TrackingNo)
		data["tracking_no"] = c.TrackingNo
	default:
		return apperr.E(apperr.Invalid, "case.delivery_method", "value", req.Delivery)
	}
	if c.Choice.Method != "" && req.Delivery != c.Choice.Method {
		if strings.TrimSpace(req.Reason) == "" {
			return apperr.E(apperr.Invalid, "case.delivery_otherwise")
		}
		data["delivery_chosen"] = c.Choice.Method
	}
	c.Delivery, c.DeliveredAt = req.Delivery, ptr(now)
	data["delivery_method"] = req.Delivery
	return nil
}

// checkComplete validates a submission: every form value against its rule,
// and every material the applicant's situation requires either uploaded or
// satisfied by a valid licence the applicant holds (免提交) — unless a clerk
// files at the window, where the originals are checked by hand (the
// licences are still attached, for the handler to see).
func (s *Service) checkComplete(tx *db.Tx, c *Case, it *catalog.Item, now time.Time) error {
	// What a sibling sub-case's result will supply is checked when it does.
	wait, err := awaiting(tx, c)
	if err != nil {
		return err
	}
	form := it.Form
	if len(wait.fields) > 0 {
		form = slices.DeleteFunc(slices.Clone(it.Form), func(f catalog.Field) bool { return wait.fields[f.Key] })
	}
	if bad := catalog.ValidateValues(form, c.Values, calendar.DateIn(now).Start(calendar.China)); len(bad) > 0 {
		var faults []*apperr.Error
		for _, f := range form {
			if e, ok := bad[f.Key]; ok {
				faults = append(faults, e.Naming(apperr.Where{Key: f.Key, Label: f.Label, LabelEN: f.LabelEN}))
			}
		}
		return apperr.E(apperr.Invalid, "case.form_invalid", "count", len(faults)).WithDetails(faults)
	}
	reusable := s.licensing != nil && it.TakesLicences()
	if c.Channel == ChannelWindow && !reusable {
		return nil
	}
	have, err := materialKeys(tx, c.ID)
	if err != nil {
		return err
	}
	licensed := map[string]bool{}
	if reusable {
		if licensed, err = s.attachLicences(tx, c, it, have); err != nil {
			return err
		}
	}
	if c.Channel == ChannelWindow {
		return nil
	}
	var missing []*apperr.Error
	for _, m := range it.Select(c.Answers).Materials {
		if m.Definite && m.Of.Required && m.Of.Electronic && !have[m.Of.Key] && !licensed[m.Of.Key] && !wait.materials[m.Of.Key] {
			missing = append(missing, apperr.E(apperr.Invalid, "case.material_missing", "name", m.Of.Name).Naming(apperr.Where{Key: m.Of.Key, Label: m.Of.Name}))
		}
	}
	if len(missing) > 0 {
		return apperr.E(apperr.Invalid, "case.materials_missing", "count", len(missing)).WithDetails(missing)
	}
	return nil
}

// checkCorrections validates the one-time notice: at least one entry, each
// naming a material or a field of the item (or neither, for a general
// defect) and saying what is wrong.
func checkCorrections(it *catalog.Item, cs []Correction) ([]Correction, error) {
	out := make([]Correction, 0, len(cs))
	for _, x := range cs {
		x.Problem = strings.TrimSpace(x.Problem)
		if x.Problem == "" {
			return nil, apperr.E(apperr.Invalid, "case.correction_problem")
		}
		switch {
		case x.Material != "":
			m, ok := it.Material(x.Material)
			if !ok {
				return nil, apperr.E(apperr.Invalid, "case.material_unknown", "key", x.Material)
			}
			x.Name = m.Name
		case x.Field != "":
			i := slices.IndexFunc(it.Form, func(f catalog.Field) bool { return f.Key == x.Field })
			if i < 0 {
				return nil, apperr.E(apperr.Invalid, "case.field_unknown", "key", x.Field)
			}
			x.Name = it.Form[i].Label
		}
		out = append(out, x)
	}
	if len(out) == 0 {
		return nil, apperr.E(apperr.Invalid, "workflow.corrections_required")
	}
	return out, nil
}

// edit applies changed values, answers and materials (uploaded by
// uploader) while the applicant may edit.
func (s *Service) edit(tx *db.Tx, c *Case, it *catalog.Item, uploader string, req ActionRequest) error {
	if req.Values != nil {
		if err := catalog.UnknownValues(it.Form, req.Values); err != nil {
			return err
		}
		vals := cleanValues(it, req.Values)
		if err := s.bindIdentity(tx, it, c.ApplicantID, identity.Kind(c.ApplicantKind), vals); err != nil {
			return err
		}
		c.Values = vals
	}
	if req.Answers != nil {
		if err := checkAnswers(it, req.Answers); err != nil {
			return err
		}
		c.Answers = req.Answers
	}
	return attach(tx, uploader, c, it, req.Materials)
}

// nextCaseNo takes the next serial of the item for the day (China time),
// unique on SQLite and PostgreSQL alike.
//
// Serials come from blocks of codes.SerialBlock, a row each (migration
// 00049). On PostgreSQL a filer updates the first block of the day that no
// other transaction holds at that moment (FOR UPDATE SKIP LOCKED) and, when
// every block is held, opens the next one: concurrent filers of one item do
// not wait for each other's commits on one row (issue 20: 143 of 159
// sampled connections waited on it), and a lone filer numbers 0001, 0002 …
// as before. SQLite has a single writer: one block, counting on.
func nextCaseNo(tx *db.Tx, implCode string, now time.Time) (string, error) {
	day := now.In(calendar.China)
	ymd := day.Format("20060102")
	var n int
	if tx.Dialect != db.Postgres {
		err := tx.QueryRow(`INSERT INTO case_serials (impl_code, day, block, last) VALUES ($1, $2, 0, 1)
			ON CONFLICT (impl_code, day, block) DO UPDATE SET last = case_serials.last + 1 RETURNING last`, implCode, ymd).Scan(&n)
		if err != nil {
			return "", err
		}
	} else {
		var err error
		if n, err = nextBlockSerial(tx, implCode, ymd); err != nil {
			return "", err
		}
	}
	if n > codes.MaxDailySerial {
		return "", apperr.E(apperr.Unavailable, "case.serial_exhausted")
	}
	return codes.CaseNo(implCode, day, n), nil
}

// nextBlockSerial is PostgreSQL's: a free block's next serial, or a new
// block's first.
func nextBlockSerial(tx *db.Tx, implCode, ymd string) (int, error) {
	blocks := codes.MaxDailySerial / codes.SerialBlock
	skip := 0 // blocks passed over because another filer is opening them
	for range 8 {
		var block, last int
		err := tx.QueryRow(`UPDATE case_serials SET last = last + 1
			WHERE impl_code = $1 AND day = $2 AND block = (SELECT block FROM case_serials
				WHERE impl_code = $1 AND day = $2 AND last < $3 ORDER BY block LIMIT 1 FOR UPDATE SKIP LOCKED)
			RETURNING block, last`, implCode, ymd, codes.SerialBlock).Scan(&block, &last)
		if err == nil {
			return block*codes.SerialBlock + last, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return 0, err
		}
		// Every block is held (or full, or none yet): open the next — one
		// no other filer is opening, whose advisory lock (held to the end
		// of the transaction) this filer takes without waiting. Without
		// it, two filers opening the same block at once queue: the second's
		// insert waits for the first's whole filing to commit. A filer
		// that finds the block being opened (or opened meanwhile) inserts
		// nothing, looks again and, if it must open one, tries the block
		// after.
		err = tx.QueryRow(`INSERT INTO case_serials (impl_code, day, block, last)
			SELECT $1, $2, m.b, 1 FROM (SELECT COALESCE(MAX(block) + 1, 0) + $3 AS b FROM case_serials WHERE impl_code = $1 AND day = $2) m
			WHERE pg_try_advisory_xact_lock(hashtext('case_serials ' || $1 || ' ' || $2), m.b)
			ON CONFLICT (impl_code, day, block) DO NOTHING RETURNING block`, implCode, ymd, skip).Scan(&block)
		if err == nil {
			if block >= blocks {
				return 0, apperr.E(apperr.Unavailable, "case.serial_exhausted")
			}
			return block*codes.SerialBlock + 1, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return 0, err
		}
		skip++
	}
	// Still contended after several tries: wait for block 0 like before.
	var last int
	err := tx.QueryRow(`UPDATE case_serials SET last = last + 1 WHERE impl_code = $1 AND day = $2 AND block = 0 AND last < $3 RETURNING last`,
		implCode, ymd, codes.SerialBlock).Scan(&last)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, apperr.E(apperr.Unavailable, "case.serial_exhausted")
	}
	return last, err
}

// issue records a written notice or decision.
func issue(tx *db.Tx, c *Case, who actor, kind string, body map[string]any) error {
	body["case_no"] = c.No
	_, err := tx.Exec(`INSERT INTO case_notices (id, case_id, kind, body, issued_by, issued_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		db.NewID(), c.ID, kind, jsonText(body), who.ID, tx.Now)
	return err
}
