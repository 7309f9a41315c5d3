// Package workflow holds approval processes as data (流程定义) and the pure
// transition function the case engine calls. A process is states and
// actions: each state says what the applicant sees, whether the application
// may be edited, which case clock runs and the step's own time limit; each
// action says where it may start, where it leads, who may take it and what
// it requires. Definitions are validated when loaded and versioned; a case
// keeps the version it started under. Nothing here does I/O.
package workflow

import (
	"slices"
	"strconv"
	"strings"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/calendar"
)

// Clock names the case clock that runs while a case is in a state.
type Clock string

const (
	ClockNone      Clock = ""           // no clock: a draft, a case waiting for the applicant, a concluded case
	ClockPreReview Clock = "pre_review" // 网上预审: the pre-review limit (and the Art. 32 notice limit) runs
	ClockDecision  Clock = "decision"   // 承诺时限: the decision clock runs from acceptance
)

// Effect is what the case engine does beyond changing the state. Effects
// are data so that an item's own process can reuse them under other names.
type Effect string

const (
	EffectSubmit     Effect = "submit"     // assign the case number; start pre-review
	EffectResubmit   Effect = "resubmit"   // the applicant answered the correction notice; pre-review restarts
	EffectCorrection Effect = "correction" // issue the one-time correction notice (补正告知书)
	EffectAccept     Effect = "accept"     // 受理: start the decision clock (受理通知书)
	EffectRefuse     Effect = "refuse"     // 不予受理 (不予受理通知书)
	EffectGrant      Effect = "grant"      // 准予: the decision
	EffectDeny       Effect = "deny"       // 不予许可: the decision
	EffectDeliver    Effect = "deliver"    // 送达: window pickup or express post
	EffectWithdraw   Effect = "withdraw"   // 撤回 by the applicant
	EffectTerminate  Effect = "terminate"  // 终止: 容缺 materials not supplied, a false promise
	EffectConclude   Effect = "conclude"   // a bundle concludes once every sub-case has
)

// Requirement is an input an action cannot do without.
type Requirement string

const (
	NeedReason      Requirement = "reason"      // 理由: refusals, denials, returns, withdrawals
	NeedCorrections Requirement = "corrections" // the list of everything to correct (one notice)
)

// State is one state of a process.
type State struct {
	Key       string   `json:"key"`
	Status    string   `json:"status"`              // what the applicant sees: message key "status.<status>"
	Step      string   `json:"step,omitempty"`      // the approval step (受理, 承办, 审核, 批准) this state is
	Editable  bool     `json:"editable,omitempty"`  // the applicant may change form values and materials
	Documents bool     `json:"documents,omitempty"` // the applicant must supply documents in this state
	Limit     string   `json:"limit,omitempty"`     // step limit: working days ("1", "0.5") or a share of the promised limit ("50%")
	Clock     Clock    `json:"clock,omitempty"`
	Holders   []string `json:"holders,omitempty"` // roles whose inbox shows a case in this state
	Terminal  bool     `json:"terminal,omitempty"`
}

// Action is one thing a role may do to a case in some states.
type Action struct {
	Key      string        `json:"key"`
	From     []string      `json:"from"`
	To       string        `json:"to"`
	Back     []string      `json:"back,omitempty"` // 退回: the earlier states the actor may choose; To is the default
	Roles    []string      `json:"roles"`
	Requires []Requirement `json:"requires,omitempty"`
	Effects  []Effect      `json:"effects,omitempty"`
}

// Definition is a versioned process.
type Definition struct {
	Key     string   `json:"key"`
	Version int      `json:"version"`
	Name    string   `json:"name"`
	Start   string   `json:"start"`
	States  []State  `json:"states"`
	Actions []Action `json:"actions"`
}

// Ref is how a case names its process: key@version.
func (d *Definition) Ref() string { return d.Key + "@" + strconv.Itoa(d.Version) }

// State returns the state with key.
func (d *Definition) State(key string) (*State, bool) {
	for i := range d.States {
		if d.States[i].Key == key {
			return &d.States[i], true
		}
	}
	return nil, false
}

// Has reports whether the action lists the effect.
func (a *Action) Has(e Effect) bool { return slices.Contains(a.Effects, e) }

// Needs reports whether the action requires the input.
func (a *Action) Needs(r Requirement) bool { return slices.Contains(a.Requires, r) }

// StepLimit is the state's own time limit given the item's promised limit:
// a share is rounded down to half days but never below half a day. ok is
// false when the state has no limit.
func (s *State) StepLimit(promised calendar.Limit) (calendar.Limit, bool) {
	if s.Limit == "" {
		return 0, false
	}
	if pct, ok := strings.CutSuffix(s.Limit, "%"); ok {
		n, _ := strconv.Atoi(pct) // validated when loaded
		l := calendar.Limit(int(promised) * n / 100)
		return max(l, 1), true
	}
	l, _ := calendar.ParseLimit(s.Limit)
	return l, true
}

// Input is what the actor supplies with an action.
type Input struct {
	Reason      string
	Back        string // for a return: the state to go back to
	Corrections int    // how many corrections the notice lists
}

// Move is the result of a permitted transition.
type Move struct {
	Action *Action
	From   *State
	To     *State
}

// Label is a translatable name: the action and status names inside
// messages are translated with them ("action.accept", "status.handling").
func Label(prefix, name string) *apperr.Error { return apperr.E(apperr.Invalid, prefix+"."+name) }

// Transition checks that an actor holding roles may take action in state
// from with input, and returns the move. It never changes anything.
// Errors: NotFound for an unknown action, Conflict when the action is not
// allowed in the state, Forbidden for the role, Invalid for missing input.
func (d *Definition) Transition(from, action string, roles []string, in Input) (Move, error) {
	st, ok := d.State(from)
	if !ok {
		return Move{}, apperr.E(apperr.Internal, "error.internal", "state", from)
	}
	var known bool
	for i := range d.Actions {
		a := &d.Actions[i]
		if a.Key != action {
			continue
		}
		known = true
		if !slices.Contains(a.From, from) {
			continue
		}
		if !slices.ContainsFunc(a.Roles, func(r string) bool { return slices.Contains(roles, r) }) {
			return Move{}, apperr.E(apperr.Forbidden, "workflow.role_forbidden", "action", Label("action", action))
		}
		if a.Needs(NeedReason) && strings.TrimSpace(in.Reason) == "" {
			return Move{}, apperr.E(apperr.Invalid, "workflow.reason_required", "action", Label("action", action))
		}
		if a.Needs(NeedCorrections) && in.Corrections == 0 {
			return Move{}, apperr.E(apperr.Invalid, "workflow.corrections_required")
		}
		to := a.To
		if in.Back != "" {
			if !slices.Contains(a.Back, in.Back) {
				return Move{}, apperr.E(apperr.Invalid, "workflow.back_invalid")
			}
			to = in.Back
		}
		next, _ := d.State(to)
		return Move{Action: a, From: st, To: next}, nil
	}
	if !known {
		return Move{}, apperr.E(apperr.Invalid, "workflow.action_unknown", "action", action)
	}
	return Move{}, apperr.E(apperr.Conflict, "workflow.not_in_state", "action", Label("action", action), "status", Label("status", st.Status))
}

// Available lists the actions an actor holding roles may take in state.
func (d *Definition) Available(state string, roles []string) []*Action {
	var out []*Action
	for i := range d.Actions {
		a := &d.Actions[i]
		if slices.Contains(a.From, state) && slices.ContainsFunc(a.Roles, func(r string) bool { return slices.Contains(roles, r) }) {
			out = append(out, a)
		}
	}
	return out
}
