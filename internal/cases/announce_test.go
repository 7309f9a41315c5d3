package cases_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/notify"
)

// told lists who was told what about case id: "username:kind", sorted,
// counting every notification (a second one of the same kind shows twice).
func (f *fixture) told(id string) []string {
	f.t.Helper()
	var out []string
	if _, err := notify.Settle(f.ctx, f.db); err != nil {
		f.t.Fatal(err)
	}
	err := f.db.View(f.ctx, func(tx *db.Tx) error {
		rows, err := tx.Query(`SELECT u.username, n.kind FROM notifications n JOIN users u ON u.id = n.user_id
			WHERE n.case_id = $1`, id)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var u, k string
			if err := rows.Scan(&u, &k); err != nil {
				return err
			}
			out = append(out, u+":"+k)
		}
		return rows.Err()
	})
	if err != nil {
		f.t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// since is what was told after before (both from told).
func since(before, after []string) []string {
	out := []string{}
	rest := slices.Clone(before)
	for _, x := range after {
		if i := slices.Index(rest, x); i >= 0 {
			rest = slices.Delete(rest, i, i+1)
			continue
		}
		out = append(out, x)
	}
	return out
}

// step is one action of a notification table: who acts, how, and who is
// told what ("username:kind", sorted).
type step struct {
	who  string
	req  cases.ActionRequest
	want string // space-separated "username:kind", sorted; "" for nobody
}

func (f *fixture) steps(c *cases.Case, table []step) *cases.Case {
	f.t.Helper()
	for _, s := range table {
		before := f.told(c.ID)
		c = f.act(s.who, c, s.req)
		f.expect(c, before, s.want, s.who+" "+s.req.Action+" (now "+c.State+")")
	}
	return c
}

// expect checks what a change of c told since before: "username:kind"
// notifications, and "username:new" for the staff whose new work (新到待办,
// read from their inbox list, not written) now shows c. Every staff
// member's new work is then marked seen, so the next change is measured
// alone; a staff member not named must not see c as new.
func (f *fixture) expect(c *cases.Case, before []string, want, label string) {
	f.t.Helper()
	var notices, fresh []string
	for _, w := range strings.Fields(want) {
		if strings.HasSuffix(w, ":new") {
			fresh = append(fresh, strings.TrimSuffix(w, ":new"))
		} else {
			notices = append(notices, w)
		}
	}
	if got := strings.Join(since(before, f.told(c.ID)), " "); got != strings.Join(notices, " ") {
		f.t.Errorf("%s: told %q, want %q", label, got, strings.Join(notices, " "))
	}
	var staff []string
	if err := f.db.View(f.ctx, func(tx *db.Tx) error {
		rows, err := tx.Query(`SELECT username FROM users WHERE kind = 'staff' ORDER BY username`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var u string
			if err := rows.Scan(&u); err != nil {
				return err
			}
			staff = append(staff, u)
		}
		return rows.Err()
	}); err != nil {
		f.t.Fatal(err)
	}
	for _, name := range staff {
		u, err := f.ids.UserByUsername(f.ctx, name)
		if err != nil {
			f.t.Fatal(err)
		}
		work, err := f.svc.NewWork(f.ctx, u)
		if err != nil {
			f.t.Fatal(err)
		}
		has := slices.ContainsFunc(work.Cases, func(x cases.Case) bool { return x.ID == c.ID })
		if has != slices.Contains(fresh, name) {
			f.t.Errorf("%s: %s has it as new work: %v, want %v", label, name, has, !has)
		}
		if err := f.svc.SeenWork(f.ctx, u); err != nil {
			f.t.Fatal(err)
		}
	}
	f.Advance(time.Second) // the next change comes after they looked
}

// Issue 16: every step tells the people concerned, centrally by the case
// engine, for each process: the applicant (and the agent) what happened,
// the staff who hold the next step find it in their new work (read from
// their inbox list, not written as a notice to each).
func TestEveryStepTellsThePeopleConcerned(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		psb := f.staff("psb-handler", identity.RoleHandler, "重庆市公安局涪陵区分局")
		f.users["psb"] = psb
		u := f.users["zhangsan"]

		// standard: filed online by 张三 (the submission tells him and the window).
		c := f.submitSoleTrader()
		f.expect(c, nil, "clerk:new zhangsan:submitted", "submission")
		vals := soleTraderValues()
		f.steps(c, []step{
			{"clerk", cases.ActionRequest{Action: "request_correction", Corrections: []cases.Correction{{Material: "lease", Problem: "缺少签字"}}}, "zhangsan:correction"},
			{"zhangsan", cases.ActionRequest{Action: "resubmit", Values: vals, Materials: []cases.MaterialRef{f.upload(u, "lease")}}, "clerk:new zhangsan:resubmitted"},
			{"clerk", cases.ActionRequest{Action: "accept"}, "handler:new zhangsan:accepted"},
			{"handler", cases.ActionRequest{Action: "comment", Comment: "已核对"}, ""},
			{"handler", cases.ActionRequest{Action: "countersign", Mode: "any", Departments: []string{f.dept("重庆市公安局涪陵区分局")}}, "psb-handler:countersign psb-handler:new psb-officer:countersign psb-officer:new"},
			{"psb", cases.ActionRequest{Action: "sign", Opinion: "agree"}, "handler:new"}, // the opinion came back
			{"handler", cases.ActionRequest{Action: "pause", Kind: "inspection", Days: "3", Reason: "现场检查"}, "zhangsan:special_procedure"},
			{"handler", cases.ActionRequest{Action: "resume"}, "zhangsan:resumed"},
			{"handler", cases.ActionRequest{Action: "pass"}, "reviewer:new"},
			{"reviewer", cases.ActionRequest{Action: "return", Reason: "补充核查意见"}, "handler:new"},
			{"handler", cases.ActionRequest{Action: "pass"}, "reviewer:new"},
			{"reviewer", cases.ActionRequest{Action: "pass"}, "approver:new"},
			{"approver", cases.ActionRequest{Action: "extend", Days: "2", Reason: "需现场核查"}, "zhangsan:extended"},
			{"approver", cases.ActionRequest{Action: "grant"}, "clerk:new zhangsan:decided"}, // 好差评: the decision asks for a rating
			{"clerk", cases.ActionRequest{Action: "deliver", Delivery: "post", TrackingNo: "EMS1234567890", Reason: "申请人来电要求邮寄"}, "zhangsan:posted"},
		})

		// Refusal, and withdrawal (the holders are told; who withdrew is not).
		f.steps(f.submitSoleTrader(), []step{{"clerk", cases.ActionRequest{Action: "refuse", Reason: "不属于本机关职权范围"}, "zhangsan:refused"}})
		f.steps(f.submitSoleTrader(), []step{
			{"clerk", cases.ActionRequest{Action: "accept"}, "handler:new zhangsan:accepted"},
			{"zhangsan", cases.ActionRequest{Action: "withdraw"}, "handler:case_withdrawn"},
		})
		// Termination by the handler; assignment to a named colleague.
		f.steps(f.submitSoleTrader(), []step{
			{"clerk", cases.ActionRequest{Action: "accept"}, "handler:new zhangsan:accepted"},
			{"handler", cases.ActionRequest{Action: "assign", Assignee: "handler"}, ""},
			{"handler", cases.ActionRequest{Action: "terminate", Reason: "申请人死亡"}, "zhangsan:terminated"},
		})

		// 转办: the receiving department's holders find it in their inbox.
		f.steps(f.submitSoleTrader(), []step{
			{"clerk", cases.ActionRequest{Action: "accept"}, "handler:new zhangsan:accepted"},
			{"handler", cases.ActionRequest{Action: "transfer", Department: f.dept("重庆市公安局涪陵区分局"), Reason: "属公安机关职权"}, "psb-handler:new psb-officer:new"},
		})

		// on_the_spot (告知承诺): acceptance is the decision; a false promise revokes it.
		c = f.submitFood(true)
		f.expect(c, nil, "clerk:new zhangsan:submitted", "commitment submission")
		f.steps(c, []step{
			{"clerk", cases.ActionRequest{Action: "accept"}, "approver:new handler:new reviewer:new zhangsan:decided"},              // the back office verifies (事后核查)
			{"handler", cases.ActionRequest{Action: "verify", Outcome: "false", Reason: "经营场所与承诺不符"}, "clerk:new zhangsan:revoked"}, // the clerk delivers
			{"clerk", cases.ActionRequest{Action: "deliver", Delivery: "online"}, "zhangsan:delivered_online"},
		})

		// simple: no review step.
		ver, err := f.cat.Published(f.ctx, f.codes[soleTrader], 0)
		if err != nil {
			t.Fatal(err)
		}
		it := *ver.Item
		it.Process = "simple"
		if _, err := f.cat.SaveDraft(f.ctx, f.users["admin"], &it, "简易程序"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.cat.Publish(f.ctx, f.users["admin"], it.ImplCode); err != nil {
			t.Fatal(err)
		}
		c = f.submitSoleTrader()
		if c.Process != "simple@1" {
			t.Fatal(c.Process)
		}
		f.steps(c, []step{
			{"clerk", cases.ActionRequest{Action: "accept"}, "handler:new zhangsan:accepted"},
			{"handler", cases.ActionRequest{Action: "pass"}, "approver:new"},
			{"approver", cases.ActionRequest{Action: "deny", Reason: "经营场所不符合要求"}, "clerk:new zhangsan:decided"},
			{"clerk", cases.ActionRequest{Action: "deliver", Delivery: "window", Reason: "申请人到窗口领取"}, "zhangsan:delivered_window"},
		})

		// An agent's case: the agent is told as the applicant is.
		agent := f.users["agent"]
		c, _, err = f.svc.Create(f.ctx, agent, cases.NewCase{ItemCode: f.codes[soleTrader], Values: soleTraderValues(),
			Answers: map[string]string{"premises": "rented"}, Submit: true, Applicant: "500102198506120011", ApplicantName: "张三",
			Materials: []cases.MaterialRef{f.upload(agent, "application"), f.upload(agent, "id_card"), f.upload(agent, "lease")}})
		if err != nil {
			t.Fatal(err)
		}
		f.expect(c, nil, "agent:submitted clerk:new zhangsan:submitted", "agent's submission")
		f.steps(c, []step{{"clerk", cases.ActionRequest{Action: "refuse", Reason: "重复申请"}, "agent:new agent:refused zhangsan:refused"}})

		// Filed and accepted at once at the window: one notice, the acceptance.
		c, _, err = f.svc.Create(f.ctx, f.users["clerk"], cases.NewCase{ItemCode: f.codes[soleTrader], Values: soleTraderValues(),
			Answers: map[string]string{"premises": "rented"}, Submit: true, Accept: true, Applicant: "500102198506120011", ApplicantName: "张三"})
		if err != nil {
			t.Fatal(err)
		}
		f.expect(c, nil, "handler:new zhangsan:accepted", "window filing")
	})
}
