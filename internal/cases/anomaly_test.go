package cases_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/anomaly"
	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
)

func (f *fixture) anomalies(c *cases.Case) map[string]int {
	f.t.Helper()
	out := map[string]int{}
	err := f.db.View(f.ctx, func(tx *db.Tx) error {
		rows, err := tx.Query(`SELECT kind FROM case_anomalies WHERE case_id = $1`, c.ID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				return err
			}
			out[k]++
		}
		return rows.Err()
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return out
}

// R4.4: the engine raises anomalies in the transaction that shows them.
func TestAnomaliesRaisedByActions(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		// A food licence promised in 5 working days, decided minutes after
		// acceptance: entered after the fact.
		c := f.submitFood(false)
		c = f.act("clerk", c, cases.ActionRequest{Action: "accept"})
		for _, s := range []struct{ who, action string }{{"handler", "pass"}, {"reviewer", "pass"}, {"approver", "grant"}} {
			c = f.act(s.who, c, cases.ActionRequest{Action: s.action})
		}
		if got := f.anomalies(c); got[anomaly.AfterTheFact] != 1 || len(got) != 1 {
			t.Fatalf("decided at once: %v", got)
		}
		// 告知承诺: decided at acceptance by design, on the applicant's promise.
		if c := f.act("clerk", f.submitFood(true), cases.ActionRequest{Action: "accept"}); c.Decision != cases.Granted || len(f.anomalies(c)) != 0 {
			t.Fatalf("告知承诺 granted at acceptance: %s %v", c.Decision, f.anomalies(c))
		}
		// The same decided a day later is not suspicious.
		c = f.submitFood(false)
		c = f.act("clerk", c, cases.ActionRequest{Action: "accept"})
		f.Advance(26 * time.Hour)
		for _, s := range []struct{ who, action string }{{"handler", "pass"}, {"reviewer", "pass"}, {"approver", "grant"}} {
			c = f.act(s.who, c, cases.ActionRequest{Action: s.action})
		}
		if got := f.anomalies(c); len(got) != 0 {
			t.Fatalf("decided a day later: %v", got)
		}
		// Refusals: a boilerplate reason is an anomaly, a real one is not.
		for _, x := range []struct {
			reason string
			want   int
		}{{"不符合条件。", 1}, {"材料不全", 1}, {"申请人住所不在本区，应向住所地登记机关申请（《市场主体登记管理条例》第十条）。", 0}} {
			c := f.submitSoleTrader()
			c = f.act("clerk", c, cases.ActionRequest{Action: "refuse", Reason: x.reason})
			if got := f.anomalies(c)[anomaly.Boilerplate]; got != x.want {
				t.Errorf("refused for %q: %d anomalies", x.reason, got)
			}
		}
	})
}

// A process that lets an approver reopen a concluded case (none of ours
// does): the move is an anomaly.
func TestAnomalyReopened(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		var roles []string
		for _, r := range identity.Roles {
			roles = append(roles, string(r))
		}
		d, _ := f.svc.Flows().Get("simple@1")
		doc, _ := json.Marshal(d)
		var def map[string]any
		json.Unmarshal(doc, &def)
		def["key"] = "simple_reopen"
		def["actions"] = append(def["actions"].([]any), map[string]any{"key": "reopen", "from": []string{"concluded"}, "to": "handling",
			"roles": []string{"approver"}, "requires": []string{"reason"}})
		doc, _ = json.Marshal(def)
		if err := f.svc.Flows().Add(doc, roles); err != nil {
			t.Fatal(err)
		}
		c := f.submitSoleTrader()
		if err := f.db.Update(f.ctx, func(tx *db.Tx) error {
			_, err := tx.Exec(`UPDATE cases SET process = 'simple_reopen@1' WHERE id = $1`, c.ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		c = f.act("clerk", c, cases.ActionRequest{Action: "accept"})
		c = f.act("handler", c, cases.ActionRequest{Action: "pass"})
		c = f.act("approver", c, cases.ActionRequest{Action: "grant"})
		if got := f.anomalies(c); got[anomaly.Reopened] != 0 {
			t.Fatalf("before: %v", got)
		}
		c = f.act("approver", c, cases.ActionRequest{Action: "reopen", Reason: "补充审查"})
		if got := f.anomalies(c); got[anomaly.Reopened] != 1 {
			t.Fatalf("reopened: %v", got)
		}
	})
}

func TestAnomalyRules(t *testing.T) {
	base := time.Date(2026, 11, 24, 2, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		commitment bool
		halfDays   int
		after      time.Duration
		want       bool
	}{
		{true, 10, 3 * time.Minute, true},
		{true, 6, 9 * time.Minute, true},
		{true, 6, 10 * time.Minute, false},
		{true, 4, time.Minute, false},   // a two-day promise may be met at once
		{false, 10, time.Minute, false}, // 即办件
		{true, 10, 2 * time.Hour, false},
	} {
		if got := anomaly.IsAfterTheFact(c.commitment, c.halfDays, base, base.Add(c.after)); got != c.want {
			t.Errorf("%+v: %v", c, got)
		}
	}
	for reason, want := range map[string]bool{
		"": true, "无": true, "不符合条件": true, " 不予受理。": true, "见附件": true, "材料不齐！": true,
		"经营场所为住宅，未提交利害关系业主同意证明。": false, "营业执照已注销，不符合申请条件": false,
	} {
		if got := anomaly.IsBoilerplate(reason); got != want {
			t.Errorf("%q: %v", reason, got)
		}
	}
}
