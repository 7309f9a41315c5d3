package cases_test

import (
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/blob"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
)

// submitFood files 张三's food licence application (promised 5 working days).
func (f *fixture) submitFood(commitment bool) *cases.Case {
	f.t.Helper()
	u := f.users["zhangsan"]
	c, _, err := f.svc.Create(f.ctx, u, cases.NewCase{ItemCode: f.codes[foodLicence], Values: foodValues(), Submit: true, Commitment: commitment,
		Answers:   map[string]string{"cold_or_raw": "no"},
		Materials: []cases.MaterialRef{f.upload(u, "application"), f.upload(u, "business_licence"), f.upload(u, "layout"), f.upload(u, "safety_rules")}})
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

// The clock across the 2026 Spring Festival (02-15 … 02-23 off, 02-14 and
// 02-28 make-up Saturdays), with a special procedure and an extension.
func TestClockPausesAndExtensions(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		c := f.submitFood(false)
		c = f.act("clerk", c, cases.ActionRequest{Action: "accept"})
		// STANDARDS.md §4: 5 working days after 2026-02-12 is 2026-02-26.
		if c.DueDate.String() != "2026-02-26" {
			t.Fatalf("due %v", c.DueDate)
		}
		// The handling step has half the promised limit: 2.5 days, to noon of 02-24.
		if got := c.StepDueAt.In(at("2026-01-01 00:00").Location()).Format("2006-01-02 15:04"); got != "2026-02-24 12:00" {
			t.Errorf("step due %s", got)
		}
		f.setNow("2026-02-25 10:00")
		f.refused(f.users["handler"], c, cases.ActionRequest{Action: "pause", Kind: "testing", Days: "5"}, apperr.Invalid, "workflow.reason_required")
		f.refused(f.users["handler"], c, cases.ActionRequest{Action: "pause", Kind: "sightseeing", Days: "5", Reason: "x"}, apperr.Invalid, "case.pause_kind")
		c = f.act("handler", c, cases.ActionRequest{Action: "pause", Kind: "testing", Days: "5", Reason: "送检样品"})
		if c.Clock != cases.ClockPaused || c.PausedSince == nil || c.StepDueAt != nil || c.DaysLeft != nil {
			t.Fatalf("paused: clock %q since %v step %v", c.Clock, c.PausedSince, c.StepDueAt)
		}
		f.refused(f.users["handler"], c, cases.ActionRequest{Action: "pass"}, apperr.Conflict, "case.paused")
		// Paused [02-25, 03-02): 25, 26, 27 and Saturday 28 (调休上班) are working days: 4.
		f.setNow("2026-03-02 09:00")
		c = f.act("handler", c, cases.ActionRequest{Action: "resume"})
		if c.PausedDays != 4 || c.DueDate.String() != "2026-03-03" || c.Clock != "decision" {
			t.Fatalf("resumed: paused %d due %v clock %s", c.PausedDays, c.DueDate, c.Clock)
		}
		if len(c.Pauses) != 1 || c.Pauses[0].Workdays != 4 || c.Pauses[0].EndedAt == nil {
			t.Errorf("pause record %+v", c.Pauses)
		}
		kinds := []string{}
		for _, n := range c.Notices {
			kinds = append(kinds, n.Kind)
		}
		if !slices.Contains(kinds, "special_procedure") {
			t.Errorf("no written notice of the special procedure: %v", kinds)
		}
		// 延长审批 by the approver only, with a reason, within ten days in all.
		f.refused(f.users["handler"], c, cases.ActionRequest{Action: "extend", Days: "2", Reason: "案情复杂"}, apperr.Forbidden, "workflow.role_forbidden")
		f.refused(f.users["approver"], c, cases.ActionRequest{Action: "extend", Days: "2"}, apperr.Invalid, "workflow.reason_required")
		f.refused(f.users["approver"], c, cases.ActionRequest{Action: "extend", Days: "0.3", Reason: "x"}, apperr.Invalid, "case.extension_days")
		f.refused(f.users["approver"], c, cases.ActionRequest{Action: "extend", Days: "11", Reason: "x"}, apperr.Invalid, "case.extension_cap")
		c = f.act("approver", c, cases.ActionRequest{Action: "extend", Days: "2", Reason: "需现场核查"})
		if c.DueDate.String() != "2026-03-05" || len(c.Extensions) != 1 || c.Extensions[0].Approver != "赵静" {
			t.Fatalf("extended: due %v %+v", c.DueDate, c.Extensions)
		}
		// 4 working days left on 03-02 becomes 3 on 03-02 (due 03-05 after Mon 03-02: 3, 4, 5).
		if c.DaysLeft == nil {
			t.Fatal("no days left while the clock runs")
		}
		// The decision deadline is an index range query.
		due, n, err := f.svc.List(f.ctx, f.users["supervisor"], cases.Filter{DueBefore: ptrTime(at("2026-03-06 00:00"))})
		if err != nil || n != 1 || due[0].No != c.No {
			t.Errorf("due before 03-06: %d %v", n, err)
		}
		if _, n, _ := f.svc.List(f.ctx, f.users["supervisor"], cases.Filter{DueBefore: ptrTime(at("2026-03-05 00:00"))}); n != 0 {
			t.Errorf("due before 03-05: %d", n)
		}
	})
}

// Two staff act on the same case at once: one wins, the other is told the
// case changed; nothing is applied twice.
func TestConcurrentActions(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		c := f.submitSoleTrader()
		second := f.staff("clerk2", identity.RoleClerk, "重庆市涪陵区政务服务管理办公室")
		for _, withRev := range []bool{true, false} {
			c := c
			if !withRev {
				c = f.submitSoleTrader()
			}
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i, u := range []*identity.User{f.users["clerk"], second} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					req := cases.ActionRequest{Action: "accept"}
					if i == 1 {
						req = cases.ActionRequest{Action: "refuse", Reason: "不属于本机关职权范围"}
					}
					if withRev {
						req.Rev = c.Rev
					}
					_, errs[i] = f.svc.Act(f.ctx, u, c.No, req)
				}()
			}
			wg.Wait()
			won := 0
			for _, err := range errs {
				switch {
				case err == nil:
					won++
				case apperr.Is(err, apperr.Conflict, ""):
				default:
					t.Errorf("loser got %v, want a conflict", err)
				}
			}
			if won != 1 {
				t.Fatalf("with rev %v: %d winners (%v)", withRev, won, errs)
			}
			events, _ := f.svc.Timeline(f.ctx, f.users["zhangsan"], c.No)
			if last := events[len(events)-1].Action; len(events) != 2 || (last != "accept" && last != "refuse") {
				t.Errorf("timeline after the race: %d events, last %s", len(events), last)
			}
		}
	})
}

// Case numbers stay unique and gapless under concurrent submission.
func TestCaseNumbersUnderConcurrency(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		u := f.users["zhangsan"]
		const n = 12
		refs := make([][]cases.MaterialRef, n)
		for i := range refs {
			refs[i] = []cases.MaterialRef{f.upload(u, "application"), f.upload(u, "id_card"), f.upload(u, "lease")}
		}
		nos := make([]string, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, _, err := f.svc.Create(f.ctx, u, cases.NewCase{ItemCode: f.codes[soleTrader], Values: soleTraderValues(),
					Answers: map[string]string{"premises": "rented"}, Submit: true, Materials: refs[i]})
				if err != nil {
					t.Error(err)
					return
				}
				nos[i] = c.No
			}()
		}
		wg.Wait()
		// Unique, and gapless within each block of serials (PostgreSQL's
		// concurrent filers take other blocks rather than wait: nextCaseNo):
		// block b's numbers run b·100000+1, +2 … with none missing.
		prefix := f.codes[soleTrader] + "20260212"
		byBlock := map[int][]int{}
		for _, no := range nos {
			rest, ok := strings.CutPrefix(no, prefix)
			serial, err := strconv.Atoi(strings.TrimPrefix(rest, "-"))
			if !ok || err != nil || (serial > codes.FourDigitSerial) != strings.HasPrefix(rest, "-") {
				t.Fatalf("number %s", no)
			}
			b := (serial - 1) / codes.SerialBlock
			byBlock[b] = append(byBlock[b], serial)
		}
		for b, serials := range byBlock {
			slices.Sort(serials)
			for i, n := range serials {
				if n != b*codes.SerialBlock+i+1 {
					t.Fatalf("block %d: serials %v", b, serials)
				}
			}
		}
		if f.db.Dialect == db.SQLite && len(byBlock) != 1 {
			t.Errorf("SQLite numbered in %d blocks", len(byBlock))
		}
	})
}

func TestIdempotentSubmission(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		u := f.users["zhangsan"]
		nc := cases.NewCase{ItemCode: f.codes[soleTrader], Values: soleTraderValues(), IdempotencyKey: "k-1"}
		a, fresh, err := f.svc.Create(f.ctx, u, nc)
		if err != nil || !fresh {
			t.Fatal(err, fresh)
		}
		b, fresh, err := f.svc.Create(f.ctx, u, nc)
		if err != nil || fresh || b.ID != a.ID {
			t.Fatalf("replay: %v fresh=%v %s %s", err, fresh, a.ID, b.ID)
		}
		if _, n, _ := f.svc.List(f.ctx, u, cases.Filter{}); n != 1 {
			t.Errorf("%d cases after a replay", n)
		}
	})
}

// 即办件 conclude at acceptance; the window clerk files and accepts for a walk-in.
func TestInstantItemAtTheWindow(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		// 公章刻制备案 is a 即办件 for organisations.
		code := f.codes["公章刻制备案"]
		ver, err := f.cat.Published(f.ctx, code, 0)
		if err != nil {
			t.Fatal(err)
		}
		prof, _ := f.ids.ApplicantOf(f.ctx, f.users["democorp"])
		values := map[string][]string{}
		for _, fl := range ver.Item.Form {
			switch fl.Type {
			case "creditcode":
				values[fl.Key] = []string{prof.Masked}
			case "phone":
				values[fl.Key] = []string{"023-72225100"}
			case "multiselect", "select":
				values[fl.Key] = []string{fl.Options[0].Value}
			default:
				values[fl.Key] = []string{"示范"}
			}
		}
		values["org_name"] = []string{prof.Name} // the enterprise's identity, as registered
		c, _, err := f.svc.Create(f.ctx, f.users["clerk"], cases.NewCase{ItemCode: code, Values: values, Applicant: prof.Masked,
			Submit: true, Accept: true, Originals: []string{"business_licence"}})
		if err != nil {
			t.Fatal(err)
		}
		if c.State != "concluded" || c.Decision != cases.Granted || c.Channel != cases.ChannelWindow || c.ApplicantName != "重庆市涪陵区通办示范科技有限公司" {
			t.Fatalf("instant: %s %s %s %s", c.State, c.Decision, c.Channel, c.ApplicantName)
		}
		// The enterprise sees its case; the clerk registered nobody.
		if _, err := f.svc.Get(f.ctx, f.users["democorp"], c.No); err != nil {
			t.Error(err)
		}
		// A walk-in person not yet registered is registered by ID number and name.
		// The form names the person the case is for: left empty, the server fills it.
		vals := soleTraderValues()
		delete(vals, "applicant_name")
		delete(vals, "applicant_id")
		walkin, _, err := f.svc.Create(f.ctx, f.users["clerk"], cases.NewCase{ItemCode: f.codes[soleTrader], Values: vals,
			Applicant: "11010519491231002X", ApplicantName: "王芳", Submit: true})
		if err != nil {
			t.Fatal(err)
		}
		if walkin.ApplicantName != "王芳" || walkin.ApplicantMasked != "110105********002X" || walkin.State != "pre_review" ||
			walkin.Values["applicant_name"][0] != "王芳" || walkin.Values["applicant_id"][0] != "11010519491231002X" {
			t.Errorf("walk-in: %+v", walkin)
		}
		// Registration and filing are one transaction: a filing refused for its
		// form registers nobody.
		if _, _, err := f.svc.Create(f.ctx, f.users["clerk"], cases.NewCase{ItemCode: f.codes[soleTrader],
			Applicant: "110105198001010032", ApplicantName: "李雷", Submit: true}); apperr.CodeOf(err) != apperr.Invalid {
			t.Errorf("a walk-in filing without its form: %v", err)
		}
		if _, err := f.ids.ApplicantByNumber(f.ctx, "110105198001010032"); !apperr.Is(err, apperr.NotFound, "") {
			t.Errorf("the refused walk-in filing left a registration behind: %v", err)
		}
		if _, _, err := f.svc.Create(f.ctx, f.users["clerk"], cases.NewCase{ItemCode: f.codes[soleTrader], Applicant: "110105194912310021"}); !apperr.Is(err, apperr.Invalid, "codes.citizen_id.check") {
			t.Errorf("a bad ID number at the window: %v", err)
		}
	})
}

// 告知承诺: decided at acceptance, with a post-verification due; a false
// promise revokes the decision.
func TestCommitment(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		c := f.submitFood(true)
		if c.Process != "on_the_spot@1" {
			t.Fatalf("process %s", c.Process)
		}
		c = f.act("clerk", c, cases.ActionRequest{Action: "accept"})
		if c.State != "concluded" || c.Decision != cases.Granted || c.VerifyDueAt == nil {
			t.Fatalf("commitment: %s %s verify %v", c.State, c.Decision, c.VerifyDueAt)
		}
		// 事后核查 is the department's task: it waits in its back office's
		// inbox with its own days left.
		for _, who := range []string{"handler", "approver"} {
			list, _, err := f.svc.List(f.ctx, f.users[who], cases.Filter{Inbox: true})
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(list, func(x cases.Case) bool { return x.No == c.No })
			if i < 0 {
				t.Fatalf("the %s's inbox lacks the case to verify", who)
			}
			if list[i].DaysLeft == nil || *list[i].DaysLeft != 20 {
				t.Errorf("days left to verify: %v, want 20", list[i].DaysLeft)
			}
		}
		f.refused(f.users["handler"], c, cases.ActionRequest{Action: "verify", Outcome: "false"}, apperr.Invalid, "workflow.reason_required")
		c = f.act("handler", c, cases.ActionRequest{Action: "verify", Outcome: "false", Reason: "现场核查经营场所与承诺不符"})
		if c.Decision != "revoked" || c.VerifyDueAt != nil || c.VerifiedAt == nil {
			t.Fatalf("after a false promise: %s", c.Decision)
		}
		if list, _, _ := f.svc.List(f.ctx, f.users["handler"], cases.Filter{Inbox: true}); slices.ContainsFunc(list, func(x cases.Case) bool { return x.No == c.No }) {
			t.Error("a verified case stays in the inbox")
		}
	})
}

// 容缺受理: accepted with a material owed; no decision until it arrives.
func TestTolerance(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		c := f.submitSoleTrader()
		c = f.act("clerk", c, cases.ActionRequest{Action: "accept", Owed: []string{"lease"}})
		if !slices.Equal(c.Owed, []string{"lease"}) || c.ToleranceDueAt == nil {
			t.Fatalf("owed %v due %v", c.Owed, c.ToleranceDueAt)
		}
		c = f.act("handler", c, cases.ActionRequest{Action: "pass"})
		c = f.act("reviewer", c, cases.ActionRequest{Action: "pass"})
		f.refused(f.users["approver"], c, cases.ActionRequest{Action: "grant"}, apperr.Conflict, "case.tolerance_owed")
		u := f.users["zhangsan"]
		f.refused(u, c, cases.ActionRequest{Action: "supply", Materials: []cases.MaterialRef{f.upload(u, "id_card")}}, apperr.Invalid, "case.supply_not_owed")
		c = f.act("zhangsan", c, cases.ActionRequest{Action: "supply", Materials: []cases.MaterialRef{f.upload(u, "lease")}})
		if len(c.Owed) != 0 || c.ToleranceDueAt != nil {
			t.Fatalf("after supplying: %v %v", c.Owed, c.ToleranceDueAt)
		}
		c = f.act("approver", c, cases.ActionRequest{Action: "grant"})
		if c.Decision != cases.Granted {
			t.Fatal(c.Decision)
		}
	})
}

// 会签 across departments: all-of blocks the step until every department
// answers; any-of completes with the first.
func TestCountersign(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		psb := f.staff("psb-handler", identity.RoleHandler, "重庆市公安局涪陵区分局")
		tax := f.staff("tax-handler", identity.RoleHandler, "国家税务总局重庆市涪陵区税务局")
		f.users["psb"], f.users["tax"] = psb, tax
		c := f.submitSoleTrader()
		c = f.act("clerk", c, cases.ActionRequest{Action: "accept"})
		f.refused(f.users["handler"], c, cases.ActionRequest{Action: "countersign", Mode: "most"}, apperr.Invalid, "case.countersign_mode")
		c = f.act("handler", c, cases.ActionRequest{Action: "countersign", Mode: "all", Departments: []string{f.dept("重庆市公安局涪陵区分局"), f.dept("国家税务总局重庆市涪陵区税务局")}})
		f.refused(f.users["handler"], c, cases.ActionRequest{Action: "pass"}, apperr.Conflict, "case.countersign_open")
		// The asked departments see the case in their inbox.
		if list, n, _ := f.svc.List(f.ctx, psb, cases.Filter{Inbox: true}); n != 1 || list[0].No != c.No {
			t.Fatalf("psb inbox %d", n)
		}
		f.refused(psb, c, cases.ActionRequest{Action: "sign", Opinion: "disagree"}, apperr.Invalid, "workflow.reason_required")
		if after := f.act("psb", c, cases.ActionRequest{Action: "sign", Opinion: "agree"}); !after.OutOfScope || len(after.Actions) != 0 || after.Values != nil {
			t.Errorf("a department that answered still sees the contents")
		}
		c, _ = f.svc.Get(f.ctx, f.users["handler"], c.No)
		if c.Countersigns[0].DoneAt != nil {
			t.Fatal("all-of completed after one answer")
		}
		f.act("tax", c, cases.ActionRequest{Action: "sign", Opinion: "agree", Comment: "无欠税"})
		c, _ = f.svc.Get(f.ctx, f.users["handler"], c.No)
		if c.Countersigns[0].DoneAt == nil {
			t.Fatal("all-of not completed after every answer")
		}
		if _, err := f.svc.Get(f.ctx, psb, c.No); !apperr.Is(err, apperr.NotFound, "") {
			t.Errorf("after answering, another department still reads the case: %v", err)
		}
		c = f.act("handler", c, cases.ActionRequest{Action: "countersign", Mode: "any", Departments: []string{f.dept("重庆市公安局涪陵区分局"), f.dept("国家税务总局重庆市涪陵区税务局")}})
		f.act("tax", c, cases.ActionRequest{Action: "sign", Opinion: "agree"})
		c, _ = f.svc.Get(f.ctx, f.users["handler"], c.No)
		if c.Countersigns[1].DoneAt == nil {
			t.Fatal("any-of not completed by one answer")
		}
		c = f.act("handler", c, cases.ActionRequest{Action: "pass"})
		// A countersign left open when the case is withdrawn leaves the asked departments' inboxes.
		other := f.submitSoleTrader()
		other = f.act("clerk", other, cases.ActionRequest{Action: "accept"})
		f.act("handler", other, cases.ActionRequest{Action: "countersign", Mode: "all", Departments: []string{f.dept("重庆市公安局涪陵区分局")}})
		if _, n, _ := f.svc.List(f.ctx, psb, cases.Filter{Inbox: true}); n != 1 {
			t.Fatalf("psb inbox before the withdrawal: %d", n)
		}
		f.act("zhangsan", other, cases.ActionRequest{Action: "withdraw", Reason: "不再开办"})
		if _, n, _ := f.svc.List(f.ctx, psb, cases.Filter{Inbox: true}); n != 0 {
			t.Errorf("a withdrawn case's countersign stays in an inbox")
		}
		// 退回: the reviewer returns the case to the handler with a reason.
		f.refused(f.users["reviewer"], c, cases.ActionRequest{Action: "return"}, apperr.Invalid, "workflow.reason_required")
		c = f.act("reviewer", c, cases.ActionRequest{Action: "return", Reason: "经营范围需核实"})
		if c.State != "handling" {
			t.Fatal(c.State)
		}
	})
}

// Claim, assign, transfer, urge and comment; every staff view is recorded.
func TestOperationsAndAccessLog(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		c := f.submitSoleTrader()
		c = f.act("clerk", c, cases.ActionRequest{Action: "accept"})
		h2 := f.staff("handler2", identity.RoleHandler, "重庆市涪陵区市场监督管理局")
		c = f.act("handler", c, cases.ActionRequest{Action: "claim"})
		if c.Assignee != "陈刚" {
			t.Fatal(c.Assignee)
		}
		if _, n, _ := f.svc.List(f.ctx, h2, cases.Filter{Inbox: true}); n != 0 {
			t.Errorf("a claimed case stays in a colleague's inbox")
		}
		f.refused(h2, c, cases.ActionRequest{Action: "claim"}, apperr.Conflict, "case.claimed")
		c = f.act("handler", c, cases.ActionRequest{Action: "assign", Assignee: "handler2"})
		if c.Assignee != "handler2" {
			t.Fatal(c.Assignee)
		}
		f.refused(f.users["handler"], c, cases.ActionRequest{Action: "assign", Assignee: "reviewer"}, apperr.Invalid, "case.assignee_cannot")
		c = f.act("supervisor", c, cases.ActionRequest{Action: "urge", Comment: "请加快办理"})
		if c.UrgedAt == nil {
			t.Fatal("urge not recorded")
		}
		f.refused(f.users["handler"], c, cases.ActionRequest{Action: "comment"}, apperr.Invalid, "case.comment_required")
		c = f.act("handler", c, cases.ActionRequest{Action: "comment", Comment: "已电话联系申请人"})
		f.refused(f.users["handler"], c, cases.ActionRequest{Action: "transfer", Department: f.dept("重庆市涪陵区民政局")}, apperr.Invalid, "workflow.reason_required")
		f.act("handler", c, cases.ActionRequest{Action: "transfer", Department: f.dept("重庆市涪陵区民政局"), Reason: "涉及民政事项"})
		c, _ = f.svc.Get(f.ctx, f.users["supervisor"], c.No)
		if c.Department != "重庆市涪陵区民政局" {
			t.Fatal(c.Department)
		}
		// After the transfer the market regulator's handler no longer sees it.
		if _, err := f.svc.Get(f.ctx, f.users["handler"], c.No); !apperr.Is(err, apperr.NotFound, "") {
			t.Errorf("old department still reads: %v", err)
		}
		var views int
		f.db.View(f.ctx, func(tx *db.Tx) error {
			return tx.QueryRow(`SELECT COUNT(*) FROM audit_pending WHERE object_id = $1 AND actor_id = $2 AND action = 'case.read.view'`,
				c.ID, f.users["supervisor"].ID).Scan(&views)
		})
		if views == 0 {
			t.Error("the supervisor's views were not recorded")
		}
		var own int
		f.db.View(f.ctx, func(tx *db.Tx) error {
			return tx.QueryRow(`SELECT COUNT(*) FROM audit_pending WHERE actor_id = $1 AND action LIKE 'case.read.%'`, f.users["zhangsan"].ID).Scan(&own)
		})
		if own != 0 {
			t.Error("the applicant's views of their own case were recorded as staff reads")
		}
		list, _, _ := f.svc.List(f.ctx, f.users["supervisor"], cases.Filter{})
		if len(list) != 1 || list[0].Values != nil || list[0].ApplicantMasked != "500102********0011" {
			t.Errorf("list shows %+v", list)
		}
	})
}

// An item may name its own process: with "simple", the handler passes
// straight to the approver. Open cases keep the process they started under.
func TestItemChoosesItsProcess(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		before := f.submitSoleTrader()
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
		bad := it
		bad.Process = "express"
		if _, err := f.cat.SaveDraft(f.ctx, f.users["admin"], &bad, ""); !apperr.Is(err, apperr.Invalid, "") {
			t.Errorf("unknown process saved: %v", err)
		}
		c := f.submitSoleTrader()
		if c.Process != "simple@1" || c.ItemVersion != ver.Version+1 {
			t.Fatalf("new case: %s v%d", c.Process, c.ItemVersion)
		}
		c = f.act("clerk", c, cases.ActionRequest{Action: "accept"})
		c = f.act("handler", c, cases.ActionRequest{Action: "pass"})
		if c.State != "approval" {
			t.Fatalf("after the handler: %s", c.State)
		}
		c = f.act("approver", c, cases.ActionRequest{Action: "grant"})
		if c.State != "concluded" {
			t.Fatal(c.State)
		}
		// The case filed before keeps its version and its five steps.
		before = f.act("clerk", before, cases.ActionRequest{Action: "accept"})
		before = f.act("handler", before, cases.ActionRequest{Action: "pass"})
		if before.Process != "standard@1" || before.State != "review" || before.ItemVersion != ver.Version {
			t.Errorf("an open case changed with the catalog: %s %s v%d", before.Process, before.State, before.ItemVersion)
		}
	})
}

// 代办: a village agent files for a registered applicant; the case records
// the agent, both see it, and the applicant can still act on it.
func TestAgentFilesForAnApplicant(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		agent := f.users["agent"]
		refs := []cases.MaterialRef{f.upload(agent, "application"), f.upload(agent, "id_card"), f.upload(agent, "lease")}
		c, _, err := f.svc.Create(f.ctx, agent, cases.NewCase{ItemCode: f.codes[soleTrader], Values: soleTraderValues(),
			Answers: map[string]string{"premises": "rented"}, Submit: true, Materials: refs, Applicant: "500102198506120011", ApplicantName: "张三"})
		if err != nil {
			t.Fatal(err)
		}
		if c.Channel != cases.ChannelAgent || c.AgentName != "赵六" || c.ApplicantName != "张三" || !slices.Contains(c.Actions, "withdraw") {
			t.Fatalf("agent case: %s %q %q %v", c.Channel, c.AgentName, c.ApplicantName, c.Actions)
		}
		for _, u := range []string{"agent", "zhangsan"} {
			if list, n, _ := f.svc.List(f.ctx, f.users[u], cases.Filter{}); n != 1 || list[0].No != c.No {
				t.Errorf("%s lists %d", u, n)
			}
		}
		// Without naming the applicant an agent files nothing; an unregistered number is refused.
		if _, _, err := f.svc.Create(f.ctx, agent, cases.NewCase{ItemCode: f.codes[soleTrader]}); !apperr.Is(err, apperr.Forbidden, "case.cannot_file") {
			t.Errorf("agent without applicant: %v", err)
		}
		if _, _, err := f.svc.Create(f.ctx, agent, cases.NewCase{ItemCode: f.codes[soleTrader], Applicant: "11010519491231002X", ApplicantName: "李四"}); !apperr.Is(err, apperr.Invalid, "case.applicant_unmatched") {
			t.Errorf("agent for an unregistered person: %v", err)
		}
		f.act("zhangsan", c, cases.ActionRequest{Action: "withdraw"})
	})
}

// STANDARDS.md §4 at year end: a deadline in a year without a holiday notice
// is refused — the case unchanged — or, with the weekday fallback, counted
// Monday to Friday and marked provisional on the case.
func TestDeadlineIntoAYearWithoutNotice(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		f.setNow("2026-12-21 10:00")
		c := f.submitSoleTrader() // pre-review (2 working days) and the Art. 32 notice (5): still in 2026
		if c.Provisional {
			t.Fatalf("a 2026 deadline marked provisional: %+v", c.PreReviewDueAt)
		}
		f.setNow("2026-12-31 10:00")
		// Accepting starts a 1-working-day decision clock, which ends in 2027.
		f.refused(f.users["clerk"], c, cases.ActionRequest{Action: "accept"}, apperr.Invalid, "calendar.year_not_loaded")

		set := calendar.National()
		set.WeekdayFallback = true
		svc, err := cases.New(f.db, f.cat, f.ids, set, blob.Dir{Root: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		f.svc = svc
		c = f.act("clerk", c, cases.ActionRequest{Action: "accept"})
		// 2027-01-01 is 元旦 without any notice (the statutory holidays are known).
		if !c.Provisional || c.DueDate == nil || c.DueDate.String() != "2027-01-04" {
			t.Fatalf("with the fallback: provisional %v, due %v", c.Provisional, c.DueDate)
		}
		// The first start records the loaded years and recounts nothing.
		if years, n, err := svc.SyncCalendars(f.ctx); err != nil || len(years) != 0 || n != 0 {
			t.Fatalf("first sync: %v %d %v", years, n, err)
		}
		// The 2027 notice arrives (1–5 January off, in this test's data):
		// the next start recounts the case, which is no longer provisional.
		set2 := calendar.National()
		set2.WeekdayFallback = true
		if err := set2.Load(strings.NewReader(`{"years":[{"year":2027,"source":"test notice 2027","days_off":["2027-01-01/2027-01-05"],"workdays":[]}]}`)); err != nil {
			t.Fatal(err)
		}
		svc2, err := cases.New(f.db, f.cat, f.ids, set2, blob.Dir{Root: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		years, n, err := svc2.SyncCalendars(f.ctx)
		if err != nil || len(years) != 1 || years[0] != 2027 || n != 1 {
			t.Fatalf("sync after the notice: %v %d %v", years, n, err)
		}
		f.svc = svc2
		got, err := svc2.Get(f.ctx, f.users["clerk"], c.No)
		if err != nil || got.Provisional || got.DueDate.String() != "2027-01-06" {
			t.Fatalf("recounted: provisional %v, due %v, %v", got.Provisional, got.DueDate, err)
		}
		tl, err := svc2.Timeline(f.ctx, f.users["clerk"], c.No)
		if err != nil || tl[len(tl)-1].Action != "recount" {
			t.Errorf("the recount is not on the timeline: %+v %v", tl, err)
		}
		if years, n, _ := svc2.SyncCalendars(f.ctx); len(years) != 0 || n != 0 {
			t.Errorf("a second sync recounted again: %v %d", years, n)
		}
	})
}
