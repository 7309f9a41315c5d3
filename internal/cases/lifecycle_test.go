package cases_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/report"
)

// The issue's own scenario: 张三 applies online, the clerk sends one
// correction notice, 张三 corrects, the clerk accepts, handler, reviewer and
// approver act, the case concludes and is delivered by post.
func TestFullLifecycle(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		c := f.submitSoleTrader()
		if !regexp.MustCompile(`^` + f.codes[soleTrader] + `202602120001$`).MatchString(c.No) {
			t.Fatalf("case number %q", c.No)
		}
		if c.State != "pre_review" || c.Status != "pre_review" || c.Channel != cases.ChannelOnline {
			t.Fatalf("submitted case: %s %s %s", c.State, c.Status, c.Channel)
		}
		// Pre-review within 2 working days: submitted Thu 2026-02-12, the 13th and
		// the make-up Saturday 14th count, so pre-review is due at the end of the 14th.
		if got := c.PreReviewDueAt.In(at("2026-01-01 00:00").Location()).Format("2006-01-02 15:04"); got != "2026-02-15 00:00" {
			t.Errorf("pre-review due %s", got)
		}
		if c.NoticeDueAt == nil || c.AcceptedAt != nil || c.DueDate != nil {
			t.Errorf("before acceptance: notice %v accepted %v due %v", c.NoticeDueAt, c.AcceptedAt, c.DueDate)
		}
		if !slices.Contains(c.Actions, "withdraw") || slices.Contains(c.Actions, "accept") {
			t.Errorf("applicant's actions %v", c.Actions)
		}

		clerk := f.users["clerk"]
		got, _ := f.svc.Get(f.ctx, clerk, c.No)
		if !slices.Equal(got.Actions[:3], []string{"accept", "refuse", "request_correction"}) {
			t.Errorf("clerk's actions %v", got.Actions)
		}
		c = f.act("clerk", c, cases.ActionRequest{Action: "request_correction", Rev: got.Rev, Corrections: []cases.Correction{
			{Material: "lease", Problem: "租赁合同缺少出租方签字"}, {Field: "scope", Problem: "经营范围表述不规范"}}})
		if c.State != "correction" || c.PreReviewDueAt != nil || c.NoticeDueAt != nil {
			t.Fatalf("after the notice: %s, clocks %v %v", c.State, c.PreReviewDueAt, c.NoticeDueAt)
		}
		notice := c.Notices[len(c.Notices)-1]
		list, _ := notice.Body["corrections"].([]any)
		if notice.Kind != "correction" || len(list) != 2 || !strings.Contains(jsonOf(list), "租赁合同") {
			t.Fatalf("correction notice %+v", notice)
		}

		// 张三 answers the notice with a new lease and a corrected scope.
		f.setNow("2026-02-13 09:00")
		u := f.users["zhangsan"]
		vals := soleTraderValues()
		vals["scope"] = []string{"餐饮服务（小吃）"}
		// A key the form does not define is reported, not dropped.
		odd := soleTraderValues()
		odd["nickname"] = []string{"三儿"}
		f.refused(u, c, cases.ActionRequest{Action: "resubmit", Values: odd}, apperr.Invalid, "form.unknown_fields")
		c = f.act("zhangsan", c, cases.ActionRequest{Action: "resubmit", Values: vals, Materials: []cases.MaterialRef{f.upload(u, "lease")}})
		if c.State != "pre_review" || c.Values["scope"][0] != "餐饮服务（小吃）" {
			t.Fatalf("resubmitted: %s %v", c.State, c.Values["scope"])
		}
		leases := 0
		for _, m := range c.Materials {
			if m.Key == "lease" {
				leases++
			}
		}
		if leases != 1 {
			t.Errorf("the corrected lease should replace the old one, have %d", leases)
		}

		c = f.act("clerk", c, cases.ActionRequest{Action: "accept", Originals: []string{"id_card"}})
		// Accepted Fri 2026-02-13 with 1 working day promised: due Sat 02-14 (调休上班).
		if c.State != "handling" || c.AcceptedAt == nil || c.DueDate == nil || c.DueDate.String() != "2026-02-14" {
			t.Fatalf("accepted: %s due %v", c.State, c.DueDate)
		}
		if c.StepDueAt == nil {
			t.Error("the handling step has no deadline")
		}
		c = f.act("handler", c, cases.ActionRequest{Action: "pass", Comment: "材料齐全，符合条件"})
		c = f.act("reviewer", c, cases.ActionRequest{Action: "pass"})
		c = f.act("approver", c, cases.ActionRequest{Action: "grant"})
		if c.State != "concluded" || c.Decision != cases.Granted || c.ConcludedAt == nil || c.StepDueAt != nil {
			t.Fatalf("decided: %s %s %v", c.State, c.Decision, c.ConcludedAt)
		}
		f.refused(f.users["clerk"], c, cases.ActionRequest{Action: "deliver", Delivery: "post"}, apperr.Invalid, "case.tracking_required")
		c = f.act("clerk", c, cases.ActionRequest{Action: "deliver", Delivery: "post", TrackingNo: "EMS1234567890", Reason: "申请人来电要求邮寄"})
		if c.State != "delivered" || c.TrackingNo != "EMS1234567890" || len(c.Actions) != 0 {
			t.Fatalf("delivered: %s %q actions %v", c.State, c.TrackingNo, c.Actions)
		}

		events, err := f.svc.Timeline(f.ctx, u, c.No)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range events {
			actions = append(actions, e.Action)
		}
		want := []string{"submit", "request_correction", "resubmit", "accept", "pass", "pass", "grant", "deliver"}
		if !slices.Equal(actions, want) {
			t.Errorf("timeline %v, want %v", actions, want)
		}
		var kinds []string
		for _, n := range c.Notices {
			kinds = append(kinds, n.Kind)
		}
		if !slices.Equal(kinds, []string{"correction", "acceptance", "decision"}) {
			t.Errorf("notices %v", kinds)
		}
		// Issue 16: 张三 was told of every step, once each.
		var told []string
		for _, x := range f.told(c.ID) {
			if k, ok := strings.CutPrefix(x, "zhangsan:"); ok {
				told = append(told, k)
			}
		}
		if want := []string{"accepted", "correction", "decided", "posted", "resubmitted", "submitted"}; !slices.Equal(told, want) {
			t.Errorf("张三 was told %v, want %v", told, want)
		}
		p, err := f.svc.Progress(f.ctx, c.No, "张三", c.QueryCode)
		if err != nil || p.Status != "delivered" || len(p.Steps) != 8 {
			t.Errorf("progress %+v %v", p, err)
		}
		// Issue 14: the number and a name are not enough; the 查询码 or the
		// last four characters of the ID number (500102198506120011) are.
		if len(c.QueryCode) != 8 || strings.Trim(c.QueryCode, "0123456789ABCDEFGHJKMNPQRSTVWXYZ") != "" {
			t.Errorf("query code %q", c.QueryCode)
		}
		for _, x := range []struct {
			name, code string
			key        string // "" when found
		}{
			{"张三", c.QueryCode, ""},
			{"张三", strings.ToLower(c.QueryCode[:4]) + " " + c.QueryCode[4:], ""}, // as typed from paper
			{"张三", "0011", ""},
			{"张三", "", "case.progress_code"},
			{"张三", "0012", "case.progress_not_found"},
			{"张三", "20011", "case.progress_not_found"},
			{"张三", "****", "case.progress_not_found"},
			{"张三", "00000000", "case.progress_not_found"},
			{"李四", c.QueryCode, "case.progress_not_found"},
			{"李四", "0011", "case.progress_not_found"},
			{"", c.QueryCode, "case.progress_name"},
		} {
			_, err := f.svc.Progress(f.ctx, c.No, x.name, x.code)
			got := ""
			if err != nil {
				got = apperr.As(err).Key
			}
			if got != x.key {
				t.Errorf("progress by %q %q: %v; want %q", x.name, x.code, err, x.key)
			}
		}
		// Every case has its own code, shown on its notices.
		if other := f.submitSoleTrader(); other.QueryCode == c.QueryCode || other.QueryCode == "" {
			t.Errorf("codes %q and %q", c.QueryCode, other.QueryCode)
		}
		ver, err := f.cat.Published(f.ctx, c.ItemCode, c.ItemVersion)
		if err != nil {
			t.Fatal(err)
		}
		doc := cases.Document(c, &c.Notices[1], ver.Item, "https://example/progress")
		if !slices.ContainsFunc(doc.Facts, func(f report.Fact) bool { return f.Label == "查询码" && f.Text == c.QueryCode }) {
			t.Errorf("acceptance notice facts %v", doc.Facts)
		}
	})
}

func jsonOf(v any) string {
	var b strings.Builder
	for _, x := range v.([]any) {
		for k, y := range x.(map[string]any) {
			b.WriteString(k + "=" + y.(string) + ";")
		}
	}
	return b.String()
}

// Bad input: each gets its precise reason and leaves the case unchanged.
func TestActionsRefused(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		c := f.submitSoleTrader()
		us := f.users
		for _, x := range []struct {
			who  string
			req  cases.ActionRequest
			code apperr.Code
			key  string
		}{
			{"handler", cases.ActionRequest{Action: "accept"}, apperr.Forbidden, "workflow.role_forbidden"},
			{"zhangsan", cases.ActionRequest{Action: "accept"}, apperr.Forbidden, "workflow.role_forbidden"},
			{"clerk", cases.ActionRequest{Action: "grant"}, apperr.Conflict, "workflow.not_in_state"},
			{"clerk", cases.ActionRequest{Action: "refuse"}, apperr.Invalid, "workflow.reason_required"},
			{"clerk", cases.ActionRequest{Action: "refuse", Reason: "  "}, apperr.Invalid, "workflow.reason_required"},
			{"clerk", cases.ActionRequest{Action: "request_correction"}, apperr.Invalid, "workflow.corrections_required"},
			{"clerk", cases.ActionRequest{Action: "request_correction", Corrections: []cases.Correction{{Material: "lease"}}}, apperr.Invalid, "case.correction_problem"},
			{"clerk", cases.ActionRequest{Action: "request_correction", Corrections: []cases.Correction{{Material: "passport", Problem: "x"}}}, apperr.Invalid, "case.material_unknown"},
			{"clerk", cases.ActionRequest{Action: "fly"}, apperr.Invalid, "workflow.action_unknown"},
			{"clerk", cases.ActionRequest{Action: "accept", Rev: 99}, apperr.Conflict, "case.changed"}, // a revision the case is not at
			{"clerk", cases.ActionRequest{Action: "accept", Owed: []string{"lease", "nope"}}, apperr.Invalid, "case.material_unknown"},
			{"approver", cases.ActionRequest{Action: "extend", Days: "2", Reason: "x"}, apperr.Conflict, "workflow.not_in_state"},
		} {
			f.refused(us[x.who], c, x.req, x.code, x.key)
		}
		// Outside their scope a case does not exist: another person, another department.
		other, err := f.ids.CreatePerson(f.ctx, identity.NewPerson{Account: identity.Account{Username: "lisi", Password: "a-long-test-password"}, Name: "李四", IDNumber: "11010519491231002X"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Get(f.ctx, other, c.No); !apperr.Is(err, apperr.NotFound, "case.not_found") {
			t.Errorf("another person reads the case: %v", err)
		}
		taxman := f.staff("taxman", identity.RoleHandler, "国家税务总局重庆市涪陵区税务局")
		if _, err := f.svc.Act(f.ctx, taxman, c.No, cases.ActionRequest{Action: "comment", Comment: "x"}); !apperr.Is(err, apperr.NotFound, "case.not_found") {
			t.Errorf("another department acts: %v", err)
		}
		if list, n, _ := f.svc.List(f.ctx, taxman, cases.Filter{}); n != 0 || len(list) != 0 {
			t.Errorf("another department lists %d", n)
		}
	})
}

func TestSubmissionRefused(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		u := f.users["zhangsan"]
		code := f.codes[soleTrader]
		bad := soleTraderValues()
		bad["applicant_phone"] = []string{"1380000"} // (the ID number is the account's: cases.IdentityFields)
		bad["capital"] = []string{"-1"}
		for _, x := range []struct {
			name string
			nc   cases.NewCase
			code apperr.Code
			key  string
		}{
			{"form values", cases.NewCase{ItemCode: code, Values: bad, Submit: true}, apperr.Invalid, "case.form_invalid"},
			{"materials missing", cases.NewCase{ItemCode: code, Values: soleTraderValues(), Answers: map[string]string{"premises": "rented"}, Submit: true,
				Materials: []cases.MaterialRef{f.upload(u, "application")}}, apperr.Invalid, "case.materials_missing"},
			{"unknown answer", cases.NewCase{ItemCode: code, Answers: map[string]string{"premises": "boat"}}, apperr.Invalid, "case.answer_invalid"},
			{"unknown upload", cases.NewCase{ItemCode: code, Materials: []cases.MaterialRef{{Key: "lease", ID: "0190a000-0000-7000-8000-000000000000"}}}, apperr.Invalid, "case.upload_unknown"},
			{"unknown material", cases.NewCase{ItemCode: code, Materials: []cases.MaterialRef{{Key: "passport", ID: "x"}}}, apperr.Invalid, "case.material_unknown"},
			{"too many files", cases.NewCase{ItemCode: code, Materials: slices.Repeat([]cases.MaterialRef{{Key: "lease", ID: "x"}}, cases.MaxMaterialRefs+1)}, apperr.Invalid, "case.materials_many"},
			{"commitment not offered", cases.NewCase{ItemCode: code, Commitment: true}, apperr.Invalid, "case.commitment_not_offered"},
			{"unknown item", cases.NewCase{ItemCode: "nope"}, apperr.NotFound, ""},
		} {
			_, _, err := f.svc.Create(f.ctx, u, x.nc)
			if !apperr.Is(err, x.code, x.key) {
				t.Errorf("%s: got %v, want %s %s", x.name, err, x.code, x.key)
			}
		}
		// The form fault lists both fields.
		_, _, err := f.svc.Create(f.ctx, u, cases.NewCase{ItemCode: code, Values: bad, Submit: true})
		if d := apperr.As(err).Details; len(d) != 2 {
			t.Errorf("form faults %v", d)
		}
		// An enterprise cannot file a natural persons' item; nothing was written by any of this.
		if _, _, err := f.svc.Create(f.ctx, f.users["democorp"], cases.NewCase{ItemCode: code}); !apperr.Is(err, apperr.Invalid, "case.object_mismatch") {
			t.Errorf("enterprise files a personal item: %v", err)
		}
		if _, n, _ := f.svc.List(f.ctx, u, cases.Filter{}); n != 0 {
			t.Errorf("refused submissions left %d cases", n)
		}
	})
}
