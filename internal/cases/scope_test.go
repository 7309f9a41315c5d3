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
