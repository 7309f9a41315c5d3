package workflow

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/calendar"
)

// Validate checks a definition whole and reports every fault: unique keys,
// known states and roles, valid limits, every state reachable from the
// start, and a terminal state reachable from every state — a case must
// never be stranded in a state nobody can leave.
func Validate(d *Definition, roles []string) error {
	var faults []*apperr.Error
	add := func(where string, key string, kv ...any) {
		faults = append(faults, apperr.E(apperr.Invalid, "workflow.at", "where", where,
			"reason", apperr.E(apperr.Invalid, key, kv...)))
	}
	if d.Key == "" || d.Version < 1 {
		add("key", "workflow.key_version")
	}
	states := map[string]*State{}
	for i := range d.States {
		s := &d.States[i]
		where := "states." + s.Key
		if s.Key == "" || states[s.Key] != nil {
			add(fmt.Sprintf("states[%d]", i), "workflow.state_duplicate", "state", s.Key)
			continue
		}
		states[s.Key] = s
		if s.Status == "" {
			add(where, "workflow.status_required")
		}
		if err := checkLimit(s.Limit); err != nil {
			add(where+".limit", "workflow.limit_invalid", "value", s.Limit)
		}
		switch s.Clock {
		case ClockNone, ClockPreReview, ClockDecision:
		default:
			add(where+".clock", "workflow.clock_invalid", "value", s.Clock)
		}
		for _, r := range s.Holders {
			if !slices.Contains(roles, r) {
				add(where+".holders", "workflow.role_unknown", "role", r)
			}
		}
	}
	if states[d.Start] == nil {
		add("start", "workflow.state_unknown", "state", d.Start)
	}
	seen := map[string]bool{}
	for i := range d.Actions {
		a := &d.Actions[i]
		where := fmt.Sprintf("actions[%d] %s", i, a.Key)
		if a.Key == "" {
			add(where, "workflow.action_key")
		}
		if len(a.From) == 0 || len(a.Roles) == 0 {
			add(where, "workflow.action_incomplete")
		}
		for _, f := range a.From {
			if states[f] == nil {
				add(where+".from", "workflow.state_unknown", "state", f)
			} else if states[f].Terminal {
				add(where+".from", "workflow.from_terminal", "state", f)
			}
			if seen[a.Key+"\x00"+f] {
				add(where, "workflow.action_duplicate", "action", a.Key, "state", f)
			}
			seen[a.Key+"\x00"+f] = true
		}
		for _, t := range append([]string{a.To}, a.Back...) {
			if states[t] == nil {
				add(where+".to", "workflow.state_unknown", "state", t)
			}
		}
		for _, r := range a.Roles {
			if !slices.Contains(roles, r) {
				add(where+".roles", "workflow.role_unknown", "role", r)
			}
		}
		for _, q := range a.Requires {
			if q != NeedReason && q != NeedCorrections {
				add(where+".requires", "workflow.requirement_unknown", "value", q)
			}
		}
	}
	if len(faults) == 0 { // the graph is only meaningful once every name resolves
		d.checkGraph(add)
	}
	if len(faults) > 0 {
		return apperr.E(apperr.Invalid, "workflow.invalid", "process", d.Key, "count", len(faults)).WithDetails(faults)
	}
	return nil
}

func (d *Definition) checkGraph(add func(string, string, ...any)) {
	next := map[string][]string{}
	for _, a := range d.Actions {
		for _, f := range a.From {
			next[f] = append(append(next[f], a.To), a.Back...)
		}
	}
	reach := func(from string) map[string]bool {
		seen := map[string]bool{from: true}
		for queue := []string{from}; len(queue) > 0; queue = queue[1:] {
			for _, n := range next[queue[0]] {
				if !seen[n] {
					seen[n] = true
					queue = append(queue, n)
				}
			}
		}
		return seen
	}
	fromStart := reach(d.Start)
	for _, s := range d.States {
		if !fromStart[s.Key] {
			add("states."+s.Key, "workflow.unreachable", "state", s.Key)
			continue
		}
		ends := false
		for r := range reach(s.Key) {
			if st, _ := d.State(r); st.Terminal {
				ends = true
				break
			}
		}
		if !ends {
			add("states."+s.Key, "workflow.no_terminal", "state", s.Key)
		}
	}
}

func checkLimit(s string) error {
	if s == "" {
		return nil
	}
	if pct, ok := strings.CutSuffix(s, "%"); ok {
		n, err := strconv.Atoi(pct)
		if err != nil || n < 1 || n > 100 {
			return fmt.Errorf("bad share")
		}
		return nil
	}
	_, err := calendar.ParseLimit(s)
	return err
}
