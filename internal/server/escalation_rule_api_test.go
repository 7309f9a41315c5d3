package server

import (
	"net/http"
	"testing"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
)

// A PUT of an escalation rule without "enabled" keeps the stored rule's
// state (it used to switch the rule off silently); a new rule without it
// is enabled; an explicit value is obeyed.
func TestEscalationRuleEnabledKept(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		api := ts.URL + "/api/v1"
		admin := apiToken(t, api, "admin")
		enabled := func(id string) bool {
			var on bool
			if err := d.Reader().QueryRow(`SELECT enabled FROM escalation_rules WHERE id = $1`, id).Scan(&on); err != nil {
				t.Fatal(err)
			}
			return on
		}
		const rule = `{"clock":"decision","level":"red","action":"urge"`
		for _, step := range []struct {
			name, id, body string
			want           bool
		}{
			{"absent: an enabled rule stays on", "default-decision-red", rule + `}`, true},
			{"false switches it off", "default-decision-red", rule + `,"enabled":false}`, false},
			{"absent: a disabled rule stays off", "default-decision-red", rule + `}`, false},
			{"true switches it on", "default-decision-red", rule + `,"enabled":true}`, true},
			{"absent: a new rule is on", "new-rule", `{"clock":"decision","level":"yellow","action":"remind"}`, true},
			{"false: a new rule is off", "new-rule-off", `{"clock":"decision","level":"yellow","action":"remind","enabled":false}`, false},
		} {
			if st, m := apiCall(t, "PUT", api+"/admin/escalation-rules/"+step.id, admin, step.body); st != http.StatusOK {
				t.Fatalf("%s: %d %v", step.name, st, m)
			}
			if got := enabled(step.id); got != step.want {
				t.Errorf("%s: enabled %v, want %v", step.name, got, step.want)
			}
		}
		if st, _ := apiCall(t, "PUT", api+"/admin/escalation-rules/default-decision-red", admin, rule+`,"enabled":"yes"}`); st != http.StatusBadRequest {
			t.Errorf("enabled not a boolean: %d", st)
		}
	})
}
