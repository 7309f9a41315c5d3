package cases_test

import (
	"testing"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/identity"
)

// R3.3: the outcomes of 会签, 或签 and 依次会签 with a disagree, and no grant
// over a disagreed countersign.
func TestCountersignOutcomes(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		psb := f.staff("psb-handler", identity.RoleHandler, "重庆市公安局涪陵区分局")
		tax := f.staff("tax-handler", identity.RoleHandler, "国家税务总局重庆市涪陵区税务局")
		f.users["psb"], f.users["tax"] = psb, tax
		both := []string{f.dept("重庆市公安局涪陵区分局"), f.dept("国家税务总局重庆市涪陵区税务局")}
		accepted := func() *cases.Case {
			return f.act("clerk", f.submitSoleTrader(), cases.ActionRequest{Action: "accept"})
		}
		last := func(c *cases.Case) cases.Countersign {
			t.Helper()
			c, err := f.svc.Get(f.ctx, f.users["handler"], c.No)
			if err != nil {
				t.Fatal(err)
			}
			return c.Countersigns[len(c.Countersigns)-1]
		}
		inbox := func(u *identity.User, c *cases.Case) bool {
			list, _, _ := f.svc.List(f.ctx, u, cases.Filter{Inbox: true})
			for _, x := range list {
				if x.No == c.No {
					return true
				}
			}
			return false
		}

		// 或签: a disagree does not close it; the first agree does.
		c := accepted()
		c = f.act("handler", c, cases.ActionRequest{Action: "countersign", Mode: "any", Departments: both})
		f.act("psb", c, cases.ActionRequest{Action: "sign", Opinion: "disagree", Comment: "涉及治安许可，建议另行办理"})
		if cs := last(c); cs.DoneAt != nil {
			t.Fatalf("any-of closed by a disagree: %+v", cs)
		}
		f.refused(f.users["handler"], c, cases.ActionRequest{Action: "pass"}, apperr.Conflict, "case.countersign_open")
		f.act("tax", c, cases.ActionRequest{Action: "sign", Opinion: "agree"})
		if cs := last(c); cs.DoneAt == nil || cs.Result != cases.CountersignAgreed {
			t.Fatalf("any-of after an agree: %+v", cs)
		}
		f.act("handler", c, cases.ActionRequest{Action: "pass"})

		// 或签, everyone disagrees: disagreed.
		c = accepted()
		c = f.act("handler", c, cases.ActionRequest{Action: "countersign", Mode: "any", Departments: both})
		f.act("psb", c, cases.ActionRequest{Action: "sign", Opinion: "disagree", Comment: "不符合治安要求"})
		f.act("tax", c, cases.ActionRequest{Action: "sign", Opinion: "disagree", Comment: "存在欠税未清缴"})
		if cs := last(c); cs.Result != cases.CountersignDisagreed {
			t.Fatalf("any-of, all disagree: %+v", cs)
		}

		// 会签: the first disagree ends it disagreed; the case goes on, but no
		// grant is made over it — a denial is.
		c = accepted()
		c = f.act("handler", c, cases.ActionRequest{Action: "countersign", Mode: "all", Departments: both})
		f.act("psb", c, cases.ActionRequest{Action: "sign", Opinion: "disagree", Comment: "经营场所存在治安隐患"})
		if cs := last(c); cs.DoneAt == nil || cs.Result != cases.CountersignDisagreed {
			t.Fatalf("all-of after a disagree: %+v", cs)
		}
		if inbox(tax, c) {
			t.Error("a department not yet answered keeps a closed countersign in its inbox")
		}
		c = f.act("handler", c, cases.ActionRequest{Action: "pass", Comment: "公安意见不同意，建议不予许可"})
		c = f.act("reviewer", c, cases.ActionRequest{Action: "pass"})
		f.refused(f.users["approver"], c, cases.ActionRequest{Action: "grant"}, apperr.Conflict, "case.countersign_disagreed")
		if c = f.act("approver", c, cases.ActionRequest{Action: "deny", Reason: "经营场所经公安机关会签存在治安隐患，不符合条件"}); c.Decision != cases.Denied {
			t.Fatalf("denied: %s", c.Decision)
		}

		// 依次会签: in the order given, one at a time.
		c = accepted()
		c = f.act("handler", c, cases.ActionRequest{Action: "countersign", Mode: cases.CountersignSequential,
			Departments: []string{both[1], both[0]}}) // tax first, then psb
		if inbox(psb, c) || !inbox(tax, c) {
			t.Fatalf("sequential: psb sees it %v before its turn, tax %v", inbox(psb, c), inbox(tax, c))
		}
		f.refused(psb, c, cases.ActionRequest{Action: "sign", Opinion: "agree"}, apperr.NotFound, "case.not_found") // not its turn: not its case yet
		f.act("tax", c, cases.ActionRequest{Action: "sign", Opinion: "agree"})
		if !inbox(psb, c) {
			t.Fatal("psb's turn, not in its inbox")
		}
		if cs := last(c); cs.DoneAt != nil || cs.Mode != cases.CountersignSequential || cs.Tasks[0].Department != "国家税务总局重庆市涪陵区税务局" {
			t.Fatalf("sequential after the first: %+v", cs)
		}
		f.act("psb", c, cases.ActionRequest{Action: "sign", Opinion: "agree"})
		if cs := last(c); cs.Result != cases.CountersignAgreed {
			t.Fatalf("sequential, all agreed: %+v", cs)
		}
		c = f.act("handler", c, cases.ActionRequest{Action: "pass"})
		c = f.act("reviewer", c, cases.ActionRequest{Action: "pass"})
		if c = f.act("approver", c, cases.ActionRequest{Action: "grant"}); c.Decision != cases.Granted {
			t.Fatalf("granted after an agreed countersign: %s", c.Decision)
		}
	})
}
