package appeal

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/supervise"
)

// Actions of the lifecycle (the API's and the pages' names).
const (
	ActDispatch      = "dispatch"       // 派单 (and 改派 of a returned order)
	ActAnswer        = "answer"         // 直接答复
	ActSign          = "sign"           // 签收
	ActReturn        = "return"         // 退单
	ActReturnRefuse  = "return_refuse"  // the dispatcher sends a returned order back
	ActExtend        = "extend"         // 延期 request
	ActExtendApprove = "extend_approve" // the dispatcher approves it
	ActExtendRefuse  = "extend_refuse"  // or refuses it
	ActReply         = "reply"          // 答复
	ActVisit         = "visit"          // 回访
	ActRedo          = "redo"           // 重办
	ActClose         = "close"          // 办结
	ActMerge         = "merge"          // 并单
	ActUrge          = "urge"           // 督办
)

// Action is one step asked of an order.
type Action struct {
	Action     string `json:"action"`
	Department string `json:"department_id,omitempty"` // dispatch: the department (default: the category's)
	Text       string `json:"text,omitempty"`          // answer, reply: the answer; return, extend, redo, urge, return_refuse, extend_refuse: the reason
	Days       int    `json:"days,omitempty"`          // extend: working days asked
	Parent     string `json:"parent,omitempty"`        // merge: the parent order (id or number)
	Satisfied  *bool  `json:"satisfied,omitempty"`     // visit
	Resolved   *bool  `json:"resolved,omitempty"`      // visit
}

// transition refuses an action the order's state does not allow.
func transition(a *Appeal) error {
	return apperr.E(apperr.Conflict, "appeal.transition", "state", "appeal.state."+a.State)
}

// reason checks a required reason's presence and length.
func reason(s string) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", apperr.E(apperr.Invalid, "appeal.reason_required")
	case utf8.RuneCountInString(s) > MaxReason:
		return "", apperr.E(apperr.Invalid, "appeal.reason_too_long", "max", MaxReason)
	}
	return s, nil
}

// Act applies one step to an order in one transaction: who may take it
// (the dispatcher — a clerk of the order's region; the department's
// handler; the requester; a supervisor), whether the state allows it, the
// clocks, the history and the audit record. A refusal writes nothing.
func (s *Service) Act(ctx context.Context, u *identity.User, ref string, act Action) (*Appeal, error) {
	if u == nil {
		return nil, apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	var id string
	err := s.DB.Update(ctx, func(tx *db.Tx) error {
		a, err := forUpdate(tx, ref)
		if err != nil {
			return err
		}
		id = a.ID
		role, err := mayAct(u, a, act.Action)
		if err != nil {
			return err
		}
		from := a.State
		note, err := s.apply(tx, u, a, &act)
		if err != nil {
			return err
		}
		if act.Action != ActUrge {
			res, err := tx.Exec(`UPDATE appeals SET state = $1, department_id = $2, assignee_id = $3, rev = rev + 1, updated_at = $4
				WHERE id = $5 AND rev = $6`, a.State, nullable(a.DepartmentID), nullable(a.AssigneeID), tx.Now, a.ID, a.rev)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return apperr.E(apperr.Conflict, "appeal.changed")
			}
			if a.Open() {
				if err := move(tx, a); err != nil {
					return err
				}
			}
		}
		if err := addEvent(tx, a.ID, u.ID, role, act.Action, from, a.State, note); err != nil {
			return err
		}
		b, _ := json.Marshal(map[string]any{"from": from, "to": a.State, "reason": note, "department_id": a.DepartmentID})
		return audit.Append(tx, &audit.Record{Actor: u.ID, Role: role, Action: "appeal." + act.Action, ObjectType: "appeal", ObjectID: a.ID}, b)
	})
	if err != nil {
		return nil, apperr.Internalf("appeal: "+act.Action, err)
	}
	return s.Read(ctx, u, id)
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// mayAct says which role u takes an action in, or refuses: the
// dispatcher's actions by a clerk of the order's region, the department's
// by a handler of its department, 回访 by the requester or the dispatcher
// (by phone), 督办 by a supervisor. Someone who may not even read the order
// is told it does not exist.
func mayAct(u *identity.User, a *Appeal, action string) (string, error) {
	clerk := u.ScopeOf(identity.RoleClerk).CoversRegion(a.RegionCode)
	handler := a.DepartmentID != "" && a.State != StateAccepted && u.ScopeOf(identity.RoleHandler).Covers(a.DepartmentID, a.RegionCode)
	requester := u.Kind != identity.KindStaff && a.RequesterID == u.ID
	if !requester && !(u.Kind == identity.KindStaff && staffMay(u, a)) {
		return "", apperr.E(apperr.NotFound, "appeal.not_found")
	}
	switch action {
	case ActDispatch, ActAnswer, ActReturnRefuse, ActExtendApprove, ActExtendRefuse, ActRedo, ActClose, ActMerge:
		if clerk {
			return string(identity.RoleClerk), nil
		}
	case ActSign, ActReturn, ActExtend, ActReply:
		if handler {
			return string(identity.RoleHandler), nil
		}
	case ActVisit:
		if requester {
			return "requester", nil
		}
		if clerk {
			return string(identity.RoleClerk), nil
		}
	case ActUrge:
		if u.ScopeOf(identity.RoleSupervisor).CoversRegion(a.RegionCode) {
			return string(identity.RoleSupervisor), nil
		}
	default:
		return "", apperr.E(apperr.Invalid, "appeal.action_invalid")
	}
	return "", apperr.E(apperr.Forbidden, "error.forbidden")
}

// apply checks and makes one step's change in tx (the state, department
// and assignee are written by Act); it returns the history's note.
func (s *Service) apply(tx *db.Tx, u *identity.User, a *Appeal, act *Action) (string, error) {
	switch act.Action {
	case ActDispatch:
		if a.State != StateAccepted && a.State != StateReturned {
			return "", transition(a)
		}
		dept := strings.TrimSpace(act.Department)
		if dept == "" {
			c, err := category(tx, a.Category)
			if err != nil {
				return "", err
			}
			dept = c.DepartmentID
		}
		var n int
		if err := tx.QueryRow(`SELECT COUNT(*) FROM departments WHERE id = $1`, dept).Scan(&n); err != nil {
			return "", err
		}
		if n == 0 {
			return "", apperr.E(apperr.Invalid, "appeal.department_unknown")
		}
		if a.State == StateReturned && dept == a.DepartmentID {
			return "", apperr.E(apperr.Invalid, "appeal.redispatch_same")
		}
		a.State, a.DepartmentID, a.AssigneeID = StateDispatched, dept, ""
		if _, err := tx.Exec(`UPDATE appeals SET dispatched_at = $1, signed_at = NULL, return_reason = '', ext_state = '', ext_days = 0, ext_reason = ''
			WHERE id = $2`, tx.Now, a.ID); err != nil {
			return "", err
		}
		if err := s.startHandling(tx, a); err != nil {
			return "", err
		}
		return "", nil
	case ActAnswer:
		if a.State != StateAccepted {
			return "", transition(a)
		}
		text, err := answer(act.Text)
		if err != nil {
			return "", err
		}
		a.State, a.AssigneeID = StateReplied, ""
		if _, err := tx.Exec(`UPDATE appeals SET reply = $1, replied_at = $2 WHERE id = $3`, text, tx.Now, a.ID); err != nil {
			return "", err
		}
		return "", stop(tx, a, supervise.ClockAppealDispatch)
	case ActSign:
		if a.State != StateDispatched {
			return "", transition(a)
		}
		a.State, a.AssigneeID = StateHandling, u.ID
		if _, err := tx.Exec(`UPDATE appeals SET signed_at = $1 WHERE id = $2`, tx.Now, a.ID); err != nil {
			return "", err
		}
		return "", stop(tx, a, supervise.ClockAppealSign)
	case ActReturn:
		if a.State != StateDispatched && a.State != StateHandling {
			return "", transition(a)
		}
		why, err := reason(act.Text)
		if err != nil {
			return "", err
		}
		a.State, a.AssigneeID = StateReturned, ""
		if _, err := tx.Exec(`UPDATE appeals SET return_reason = $1 WHERE id = $2`, why, a.ID); err != nil {
			return "", err
		}
		// The clocks keep running: a department that returns an order has
		// neither signed for nor answered it.
		return why, nil
	case ActReturnRefuse:
		if a.State != StateReturned {
			return "", transition(a)
		}
		why, err := reason(act.Text)
		if err != nil {
			return "", err
		}
		// Sent back: the department keeps it, its reply clock still running.
		a.State = StateDispatched
		if a.SignedAt != nil {
			a.State = StateHandling
		}
		return why, nil
	case ActExtend:
		if a.State != StateHandling {
			return "", transition(a)
		}
		if a.ExtState != "" {
			return "", apperr.E(apperr.Conflict, "appeal.extension_once")
		}
		if a.ReplyDue == nil || tx.Now.After(*a.ReplyDue) {
			return "", apperr.E(apperr.Invalid, "appeal.extension_expired")
		}
		if act.Days < 1 || act.Days > MaxExtDays {
			return "", apperr.E(apperr.Invalid, "appeal.extension_days", "max", MaxExtDays)
		}
		why, err := reason(act.Text)
		if err != nil {
			return "", err
		}
		_, err = tx.Exec(`UPDATE appeals SET ext_state = 'requested', ext_days = $1, ext_reason = $2 WHERE id = $3`, act.Days, why, a.ID)
		return why, err
	case ActExtendApprove, ActExtendRefuse:
		if a.ExtState != ExtRequested || a.State != StateHandling {
			return "", transition(a)
		}
		if act.Action == ActExtendRefuse {
			why, err := reason(act.Text)
			if err != nil {
				return "", err
			}
			_, err = tx.Exec(`UPDATE appeals SET ext_state = 'refused' WHERE id = $1`, a.ID)
			return why, err
		}
		if _, err := tx.Exec(`UPDATE appeals SET ext_state = 'approved' WHERE id = $1`, a.ID); err != nil {
			return "", err
		}
		return "", s.extendReply(tx, a, a.ExtDays)
	case ActReply:
		if a.State != StateHandling {
			return "", transition(a)
		}
		text, err := answer(act.Text)
		if err != nil {
			return "", err
		}
		a.State = StateReplied
		if _, err := tx.Exec(`UPDATE appeals SET reply = $1, replied_at = $2 WHERE id = $3`, text, tx.Now, a.ID); err != nil {
			return "", err
		}
		return "", stop(tx, a, supervise.ClockAppealSign, supervise.ClockAppealReply)
	case ActVisit:
		if a.State != StateReplied {
			return "", transition(a)
		}
		if act.Satisfied == nil {
			return "", apperr.E(apperr.Invalid, "appeal.satisfied_required")
		}
		sat := "unsatisfied"
		if *act.Satisfied {
			sat = "satisfied"
		}
		resolved := any(nil)
		if act.Resolved != nil {
			resolved = *act.Resolved
		}
		a.State = StateVisited
		_, err := tx.Exec(`UPDATE appeals SET satisfaction = $1, resolved = $2 WHERE id = $3`, sat, resolved, a.ID)
		return strings.TrimSpace(act.Text), err
	case ActRedo:
		if a.State != StateVisited || a.Satisfaction != "unsatisfied" {
			return "", transition(a)
		}
		if a.Redone {
			return "", apperr.E(apperr.Conflict, "appeal.redo_once")
		}
		why, err := reason(act.Text)
		if err != nil {
			return "", err
		}
		if _, err := tx.Exec(`UPDATE appeals SET redone = TRUE, satisfaction = '', resolved = NULL, replied_at = NULL WHERE id = $1`, a.ID); err != nil {
			return "", err
		}
		if a.DispatchedAt == nil { // answered directly: to be dispatched this time
			a.State = StateAccepted
			return why, s.startDispatch(tx, a)
		}
		a.State = StateHandling
		return why, s.restartReply(tx, a)
	case ActClose:
		switch {
		case a.State == StateVisited:
		case a.State == StateReplied && a.RequesterID == "" && !a.Contact:
			// Nobody to ask: an anonymous or unreachable requester.
		case a.State == StateReplied:
			return "", apperr.E(apperr.Conflict, "appeal.visit_required")
		default:
			return "", transition(a)
		}
		a.State = StateClosed
		_, err := tx.Exec(`UPDATE appeals SET closed_at = $1 WHERE id = $2`, tx.Now, a.ID)
		return "", err
	case ActMerge:
		if !slices.Contains([]string{StateAccepted, StateDispatched, StateHandling, StateReturned}, a.State) {
			return "", transition(a)
		}
		p, err := getTx(tx, strings.TrimSpace(act.Parent))
		if apperr.CodeOf(err) == apperr.NotFound || (err == nil && (!p.Open() || p.ID == a.ID || !u.ScopeOf(identity.RoleClerk).CoversRegion(p.RegionCode))) {
			return "", apperr.E(apperr.Invalid, "appeal.merge_parent")
		}
		if err != nil {
			return "", err
		}
		a.State, a.AssigneeID = StateMerged, ""
		if _, err := tx.Exec(`UPDATE appeals SET parent_id = $1, closed_at = $2 WHERE id = $3`, p.ID, tx.Now, a.ID); err != nil {
			return "", err
		}
		if err := stop(tx, a, supervise.ClockAppealDispatch, supervise.ClockAppealSign, supervise.ClockAppealReply); err != nil {
			return "", err
		}
		return p.No, nil
	case ActUrge:
		if !a.Open() {
			return "", transition(a)
		}
		return reason(act.Text)
	}
	return "", apperr.E(apperr.Invalid, "appeal.action_invalid")
}

// answer checks an answer's presence and length.
func answer(s string) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", apperr.E(apperr.Invalid, "appeal.reply_required")
	case utf8.RuneCountInString(s) > MaxReply:
		return "", apperr.E(apperr.Invalid, "appeal.reply_too_long", "max", MaxReply)
	}
	return s, nil
}

// Steps lists the steps u may take on a now, in the order the order page
// offers them (the same rules Act applies; Act decides).
func Steps(u *identity.User, a *Appeal) []string {
	if u == nil {
		return nil
	}
	var cands []string
	switch a.State {
	case StateAccepted:
		cands = []string{ActDispatch, ActAnswer, ActMerge}
	case StateReturned:
		cands = []string{ActDispatch, ActReturnRefuse, ActMerge}
	case StateDispatched:
		cands = []string{ActSign, ActReturn, ActMerge}
	case StateHandling:
		cands = []string{ActReply, ActReturn}
		switch a.ExtState {
		case "":
			cands = append(cands, ActExtend)
		case ExtRequested:
			cands = append(cands, ActExtendApprove, ActExtendRefuse)
		}
		cands = append(cands, ActMerge)
	case StateReplied:
		cands = []string{ActVisit, ActClose}
	case StateVisited:
		cands = []string{ActClose}
		if a.Satisfaction == "unsatisfied" && !a.Redone {
			cands = append(cands, ActRedo)
		}
	}
	if a.Open() {
		cands = append(cands, ActUrge)
	}
	var out []string
	for _, c := range cands {
		if _, err := mayAct(u, a, c); err == nil {
			out = append(out, c)
		}
	}
	return out
}
