package cases_test

import (
	"testing"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/identity"
)

// A case moves, or asks for an opinion, only where someone may act on it:
// a department of another town is refused for 转办 and 会签, a colleague
// whose grant covers another town for 指派 — each with the case unchanged.
func TestHandOverStaysInTheCaseRegion(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		c := f.submitSoleTrader() // a district item: region 500102
		c = f.act("clerk", c, cases.ActionRequest{Action: "accept"})
		town := f.dept("重庆市涪陵区南沱镇人民政府")
		townHandler, err := f.ids.CreateStaff(f.ctx, identity.NewStaff{Account: identity.Account{Username: "town-handler", Password: "a-long-test-password"},
			Name: "town-handler", Grants: []identity.Grant{{Role: identity.RoleHandler, DepartmentID: f.dept("重庆市涪陵区市场监督管理局"), RegionCode: "500102103000"}}})
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			name string
			req  cases.ActionRequest
			key  string
		}{
			{"transfer to a town's department", cases.ActionRequest{Action: "transfer", Department: town, Reason: "属地管理"}, "case.transfer_out_of_region"},
			{"countersign by a town's department", cases.ActionRequest{Action: "countersign", Mode: "all", Departments: []string{f.dept("重庆市公安局涪陵区分局"), town}}, "case.countersign_out_of_region"},
			{"assign to a colleague of a town", cases.ActionRequest{Action: "assign", Assignee: townHandler.Username}, "case.assignee_cannot"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				f.t = t
				f.refused(f.users["handler"], c, tt.req, apperr.Invalid, tt.key)
			})
		}
		f.t = t
		// Inside the region both still work.
		c = f.act("handler", c, cases.ActionRequest{Action: "countersign", Mode: "any", Departments: []string{f.dept("重庆市公安局涪陵区分局")}})
		if len(c.Countersigns) != 1 {
			t.Fatalf("countersign: %+v", c.Countersigns)
		}
	})
}

// An unsubmitted draft — full ID number and phone in its form — is the
// applicant's (and the agent's who prepares it): no staff role lists it,
// counts it, reads it, its timeline or materials, or acts on it, until it
// is submitted.
func TestDraftsAreTheApplicantsOwn(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		u := f.users["zhangsan"]
		c, _, err := f.svc.Create(f.ctx, u, cases.NewCase{ItemCode: f.codes[soleTrader], Values: soleTraderValues(),
			Answers: map[string]string{"premises": "rented"}, Materials: []cases.MaterialRef{f.upload(u, "application"), f.upload(u, "id_card"), f.upload(u, "lease")}})
		if err != nil || c.State != "draft" {
			t.Fatalf("draft: %v", err)
		}
		staff := []string{"clerk", "handler", "reviewer", "approver", "supervisor"}
		for _, name := range staff {
			t.Run(name, func(t *testing.T) {
				s := f.users[name]
				for _, fl := range []cases.Filter{{}, {Inbox: true}, {State: "draft"}} {
					if list, n, err := f.svc.List(f.ctx, s, fl); err != nil || n != 0 || len(list) != 0 {
						t.Errorf("%+v lists %d drafts (%v)", fl, n, err)
					}
				}
				if _, err := f.svc.Get(f.ctx, s, c.Ref()); !apperr.Is(err, apperr.NotFound, "case.not_found") {
					t.Errorf("reads the draft: %v", err)
				}
				if _, err := f.svc.Timeline(f.ctx, s, c.Ref()); !apperr.Is(err, apperr.NotFound, "case.not_found") {
					t.Errorf("reads the draft's timeline: %v", err)
				}
				if _, _, err := f.svc.OpenMaterial(f.ctx, s, c.Ref(), c.Materials[0].ID); !apperr.Is(err, apperr.NotFound, "case.not_found") {
					t.Errorf("opens the draft's material: %v", err)
				}
				if _, err := f.svc.Act(f.ctx, s, c.Ref(), cases.ActionRequest{Action: "comment", Comment: "看看"}); !apperr.Is(err, apperr.NotFound, "case.not_found") {
					t.Errorf("acts on the draft: %v", err)
				}
			})
		}
		// The applicant has it; a window clerk keeps no drafts at all.
		if _, n, _ := f.svc.List(f.ctx, u, cases.Filter{}); n != 1 {
			t.Errorf("the applicant lists %d", n)
		}
		if _, _, err := f.svc.Create(f.ctx, f.users["clerk"], cases.NewCase{ItemCode: f.codes[soleTrader], Values: soleTraderValues(),
			Applicant: "500102198506120011"}); !apperr.Is(err, apperr.Invalid, "case.window_draft") {
			t.Errorf("a clerk's draft: %v", err)
		}
		// Submitted, it is the clerk's to pre-review.
		c = f.act("zhangsan", c, cases.ActionRequest{Action: "submit"})
		if _, n, _ := f.svc.List(f.ctx, f.users["clerk"], cases.Filter{Inbox: true}); n != 1 {
			t.Errorf("the clerk's inbox after submission: %d", n)
		}
		if got, err := f.svc.Get(f.ctx, f.users["clerk"], c.Ref()); err != nil || got.No == "" {
			t.Errorf("the clerk reads the submitted case: %v", err)
		}
	})
}
