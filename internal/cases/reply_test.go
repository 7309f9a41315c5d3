package cases_test

import (
	"encoding/json"
	"testing"

	"github.com/tongban/tongban/internal/cases"
)

// An action's reply is built from the case in memory, not read back: it must
// be what a read of the case shows the same user.
func TestReplyIsWhatAReadShows(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		same := func(step string, got *cases.Case, who string) {
			t.Helper()
			read, err := f.svc.Get(f.ctx, f.users[who], got.Ref())
			if err != nil {
				t.Fatal(err)
			}
			a, _ := json.Marshal(got)
			b, _ := json.Marshal(read)
			if string(a) != string(b) {
				t.Errorf("%s: the reply differs from a read\nreply %s\nread  %s", step, a, b)
			}
		}
		c, _, err := f.svc.Create(f.ctx, f.users["clerk"], cases.NewCase{ItemCode: f.codes[soleTrader], Values: soleTraderValues(),
			Applicant: "500102198506120011", Submit: true})
		if err != nil {
			t.Fatal(err)
		}
		same("window filing", c, "clerk")
		for _, s := range lifecycleSteps {
			if c, err = f.svc.Act(f.ctx, f.users[s.who], c.No, s.req); err != nil {
				t.Fatal(err)
			}
			same(s.req.Action, c, s.who)
		}
		// A draft by the applicant online, then submitted.
		d, _, err := f.svc.Create(f.ctx, f.users["zhangsan"], cases.NewCase{ItemCode: f.codes[soleTrader], Values: soleTraderValues()})
		if err != nil {
			t.Fatal(err)
		}
		same("draft", d, "zhangsan")
		// A village agent files with uploads for a registered applicant.
		agent := f.users["agent"]
		refs := []cases.MaterialRef{f.upload(agent, "application"), f.upload(agent, "id_card"), f.upload(agent, "lease")}
		a, _, err := f.svc.Create(f.ctx, agent, cases.NewCase{ItemCode: f.codes[soleTrader], Values: soleTraderValues(),
			Answers: map[string]string{"premises": "rented"}, Submit: true, Materials: refs, Applicant: "500102198506120011", ApplicantName: "张三"})
		if err != nil {
			t.Fatal(err)
		}
		same("agent filing", a, "agent")
	})
}
