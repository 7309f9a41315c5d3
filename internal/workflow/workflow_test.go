package workflow

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/calendar"
)

var roles = []string{"applicant", "agent", "clerk", "handler", "reviewer", "approver", "supervisor", "admin"}

func registry(t *testing.T) *Registry {
	t.Helper()
	r, err := Builtin(roles)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// edge is one expected transition: from a state, an action leads to a state
// for the listed roles.
type edge struct {
	from, action, to string
	roles            string // space-separated
	needs            string // "reason", "corrections" or ""
}

var standardTable = []edge{
	{"draft", "submit", "pre_review", "applicant agent clerk", ""},
	{"draft", "withdraw", "withdrawn", "applicant agent", ""},
	{"pre_review", "withdraw", "withdrawn", "applicant agent", ""},
	{"pre_review", "accept", "handling", "clerk", ""},
	{"pre_review", "refuse", "refused", "clerk", "reason"},
	{"pre_review", "request_correction", "correction", "clerk", "corrections"},
	{"correction", "withdraw", "withdrawn", "applicant agent", ""},
	{"correction", "resubmit", "pre_review", "applicant agent clerk", ""},
	{"handling", "withdraw", "withdrawn", "applicant agent", ""},
	{"handling", "pass", "review", "handler", ""},
	{"handling", "terminate", "terminated", "handler approver", "reason"},
	{"review", "withdraw", "withdrawn", "applicant agent", ""},
	{"review", "pass", "approval", "reviewer", ""},
	{"review", "return", "handling", "reviewer", "reason"},
	{"review", "terminate", "terminated", "handler approver", "reason"},
	{"approval", "withdraw", "withdrawn", "applicant agent", ""},
	{"approval", "return", "review", "approver", "reason"},
	{"approval", "grant", "concluded", "approver", ""},
	{"approval", "deny", "concluded", "approver", "reason"},
	{"approval", "terminate", "terminated", "handler approver", "reason"},
	{"concluded", "deliver", "delivered", "clerk handler", ""},
}

var onTheSpotTable = []edge{
	{"draft", "submit", "pre_review", "applicant agent clerk", ""},
	{"draft", "withdraw", "withdrawn", "applicant agent", ""},
	{"pre_review", "withdraw", "withdrawn", "applicant agent", ""},
	{"pre_review", "accept", "concluded", "clerk", ""},
	{"pre_review", "refuse", "refused", "clerk", "reason"},
	{"pre_review", "request_correction", "correction", "clerk", "corrections"},
	{"correction", "withdraw", "withdrawn", "applicant agent", ""},
	{"correction", "resubmit", "pre_review", "applicant agent clerk", ""},
	{"concluded", "deliver", "delivered", "clerk handler", ""},
}

var bundleTable = []edge{
	{"draft", "submit", "in_progress", "applicant agent clerk", ""},
	{"draft", "withdraw", "withdrawn", "applicant agent", ""},
	{"in_progress", "conclude", "concluded", "clerk", ""},
	{"concluded", "deliver", "delivered", "clerk", ""},
}

var simpleTable = []edge{
	{"draft", "submit", "pre_review", "applicant agent clerk", ""},
	{"draft", "withdraw", "withdrawn", "applicant agent", ""},
	{"pre_review", "withdraw", "withdrawn", "applicant agent", ""},
	{"pre_review", "accept", "handling", "clerk", ""},
	{"pre_review", "refuse", "refused", "clerk", "reason"},
	{"pre_review", "request_correction", "correction", "clerk", "corrections"},
	{"correction", "withdraw", "withdrawn", "applicant agent", ""},
	{"correction", "resubmit", "pre_review", "applicant agent clerk", ""},
	{"handling", "withdraw", "withdrawn", "applicant agent", ""},
	{"handling", "pass", "approval", "handler", ""},
	{"handling", "terminate", "terminated", "handler approver", "reason"},
	{"approval", "withdraw", "withdrawn", "applicant agent", ""},
	{"approval", "return", "handling", "approver", "reason"},
	{"approval", "grant", "concluded", "approver", ""},
	{"approval", "deny", "concluded", "approver", "reason"},
	{"approval", "terminate", "terminated", "handler approver", "reason"},
	{"concluded", "deliver", "delivered", "clerk handler", ""},
}

// TestTransitionTables tries every action in every state by every role and
// compares the outcome with the expected table: the move where the table
// has one, and otherwise the precise refusal.
func TestTransitionTables(t *testing.T) {
	reg := registry(t)
	for key, table := range map[string][]edge{Standard: standardTable, OnTheSpot: onTheSpotTable, Bundle: bundleTable, Simple: simpleTable} {
		d, ok := reg.Latest(key)
		if !ok {
			t.Fatalf("no %s process", key)
		}
		actions := map[string]bool{}
		for _, a := range d.Actions {
			actions[a.Key] = true
		}
		actions["unknown_action"] = true
		for _, st := range d.States {
			for action := range actions {
				var want *edge
				for i := range table {
					if table[i].from == st.Key && table[i].action == action {
						want = &table[i]
					}
				}
				for _, role := range roles {
					full := Input{Reason: "理由", Corrections: 1}
					mv, err := d.Transition(st.Key, action, []string{role}, full)
					switch {
					case action == "unknown_action":
						if !apperr.Is(err, apperr.Invalid, "workflow.action_unknown") {
							t.Errorf("%s: %s %s by %s: got %v, want unknown action", key, st.Key, action, role, err)
						}
					case want == nil:
						if !apperr.Is(err, apperr.Conflict, "workflow.not_in_state") {
							t.Errorf("%s: %s %s by %s: got %v, want not allowed in state", key, st.Key, action, role, err)
						}
					case !slices.Contains(strings.Fields(want.roles), role):
						if !apperr.Is(err, apperr.Forbidden, "workflow.role_forbidden") {
							t.Errorf("%s: %s %s by %s: got %v, want forbidden", key, st.Key, action, role, err)
						}
					default:
						if err != nil || mv.To.Key != want.to {
							t.Errorf("%s: %s %s by %s: got %v %v, want %s", key, st.Key, action, role, mv.To, err, want.to)
							continue
						}
						// Without its required input the same move is refused.
						if want.needs != "" {
							_, err := d.Transition(st.Key, action, []string{role}, Input{})
							wantKey := "workflow.reason_required"
							if want.needs == "corrections" {
								wantKey = "workflow.corrections_required"
							}
							if !apperr.Is(err, apperr.Invalid, wantKey) {
								t.Errorf("%s: %s %s without %s: got %v", key, st.Key, action, want.needs, err)
							}
						} else if _, err := d.Transition(st.Key, action, []string{role}, Input{}); err != nil {
							t.Errorf("%s: %s %s needs nothing, got %v", key, st.Key, action, err)
						}
					}
				}
			}
		}
		// Every table row is an edge of the definition and vice versa.
		n := 0
		for _, a := range d.Actions {
			n += len(a.From)
		}
		if n != len(table) {
			t.Errorf("%s: definition has %d (state, action) pairs, table %d", key, n, len(table))
		}
	}
}

func TestReturnToAnEarlierStep(t *testing.T) {
	d, _ := registry(t).Latest(Standard)
	for _, c := range []struct {
		back, want string
		ok         bool
	}{{"", "review", true}, {"handling", "handling", true}, {"review", "review", true}, {"approval", "", false}, {"draft", "", false}} {
		mv, err := d.Transition("approval", "return", []string{"approver"}, Input{Reason: "材料不符", Back: c.back})
		if c.ok != (err == nil) {
			t.Errorf("back %q: err %v", c.back, err)
			continue
		}
		if c.ok && mv.To.Key != c.want {
			t.Errorf("back %q: to %s, want %s", c.back, mv.To.Key, c.want)
		}
		if !c.ok && !apperr.Is(err, apperr.Invalid, "workflow.back_invalid") {
			t.Errorf("back %q: %v", c.back, err)
		}
	}
}

func TestAvailable(t *testing.T) {
	d, _ := registry(t).Latest(Standard)
	keys := func(as []*Action) []string {
		var out []string
		for _, a := range as {
			out = append(out, a.Key)
		}
		return out
	}
	if got := keys(d.Available("pre_review", []string{"clerk"})); !slices.Equal(got, []string{"accept", "refuse", "request_correction"}) {
		t.Errorf("clerk in pre_review: %v", got)
	}
	if got := keys(d.Available("approval", []string{"approver"})); !slices.Equal(got, []string{"return", "grant", "deny", "terminate"}) {
		t.Errorf("approver in approval: %v", got)
	}
	if got := keys(d.Available("delivered", roles)); len(got) != 0 {
		t.Errorf("terminal state offers %v", got)
	}
}

func TestStepLimit(t *testing.T) {
	for _, c := range []struct {
		limit    string
		promised calendar.Limit
		want     calendar.Limit
		ok       bool
	}{
		{"", calendar.Days(10), 0, false},
		{"50%", calendar.Days(10), calendar.Days(5), true},
		{"25%", calendar.Days(10), 5, true}, // 2.5 days
		{"25%", calendar.Days(1), 1, true},  // never below half a day
		{"50%", calendar.Days(0), 1, true},  // an instant item still gets half a day
		{"3", calendar.Days(10), calendar.Days(3), true},
		{"0.5", calendar.Days(10), 1, true},
	} {
		s := State{Limit: c.limit}
		got, ok := s.StepLimit(c.promised)
		if got != c.want || ok != c.ok {
			t.Errorf("%q of %v: %v %v, want %v %v", c.limit, c.promised, got, ok, c.want, c.ok)
		}
	}
}

// Definitions with faults are rejected whole, each fault reported.
func TestValidateRejects(t *testing.T) {
	base := func() *Definition {
		d, _ := registry(t).Latest(Standard)
		b, _ := json.Marshal(d)
		var c Definition
		json.Unmarshal(b, &c)
		return &c
	}
	cases := []struct {
		name  string
		mod   func(d *Definition)
		fault string
	}{
		{"unknown role", func(d *Definition) { d.Actions[0].Roles = []string{"mayor"} }, "workflow.role_unknown"},
		{"unknown target", func(d *Definition) { d.Actions[0].To = "nowhere" }, "workflow.state_unknown"},
		{"duplicate state", func(d *Definition) { d.States[1].Key = "draft" }, "workflow.state_duplicate"},
		{"bad limit", func(d *Definition) { d.States[3].Limit = "0.3" }, "workflow.limit_invalid"},
		{"bad share", func(d *Definition) { d.States[3].Limit = "150%" }, "workflow.limit_invalid"},
		{"bad clock", func(d *Definition) { d.States[3].Clock = "wall" }, "workflow.clock_invalid"},
		{"unknown start", func(d *Definition) { d.Start = "nowhere" }, "workflow.state_unknown"},
		{"action from terminal", func(d *Definition) { d.Actions[0].From = []string{"delivered"} }, "workflow.from_terminal"},
		{"unreachable state", func(d *Definition) {
			d.States = append(d.States, State{Key: "limbo", Status: "handling", Terminal: true})
		}, "workflow.unreachable"},
		{"no way out", func(d *Definition) {
			// concluded can only be delivered; without deliver it is a dead end
			d.Actions = slices.DeleteFunc(d.Actions, func(a Action) bool { return a.Key == "deliver" })
		}, "workflow.no_terminal"},
		{"duplicate action", func(d *Definition) { d.Actions = append(d.Actions, d.Actions[0]) }, "workflow.action_duplicate"},
		{"unknown requirement", func(d *Definition) { d.Actions[0].Requires = []Requirement{"signature"} }, "workflow.requirement_unknown"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := base()
			c.mod(d)
			err := Validate(d, roles)
			if !apperr.Is(err, apperr.Invalid, "workflow.invalid") {
				t.Fatalf("got %v", err)
			}
			found := false
			for _, det := range apperr.As(err).Details {
				if r, ok := det.Args["reason"].(*apperr.Error); ok && r.Key == c.fault {
					found = true
				}
			}
			if !found {
				t.Errorf("no %s among %v", c.fault, apperr.As(err).Details)
			}
		})
	}
}

func TestRegistryRefusesARedefinedVersion(t *testing.T) {
	reg := registry(t)
	for _, k := range ItemProcesses {
		if _, ok := reg.Latest(k); !ok {
			t.Errorf("item process %s is not registered", k)
		}
	}
	b, _ := builtin.ReadFile("data/standard.json")
	if err := reg.Add(b, roles); err == nil {
		t.Fatal("standard@1 registered twice")
	}
	if d, ok := reg.Get("standard@1"); !ok || d.Ref() != "standard@1" {
		t.Fatal("standard@1 missing")
	}
}
