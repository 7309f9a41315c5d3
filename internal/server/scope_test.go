package server

import (
	"context"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/demo"
	"github.com/tongban/tongban/internal/identity"
)

// Regions of the scoping tests: a town and a street office of the demo
// district (demo.Region, the installation's root).
const (
	townRegion   = "500102103000" // 南沱镇
	streetRegion = "500102006000" // 敦仁街道
)

// deptID is a demo department's id by its name.
func deptID(t *testing.T, d *db.DB, name string) string {
	t.Helper()
	var id string
	if err := d.Reader().QueryRow(`SELECT id FROM departments WHERE name = $1`, name).Scan(&id); err != nil {
		t.Fatalf("department %s: %v", name, err)
	}
	return id
}

const (
	amrName = "重庆市涪陵区市场监督管理局"
	govName = "重庆市涪陵区政务服务管理办公室"
)

// scopedStaff creates a staff account (demo password) holding grants, for
// the tests that set town- and street-scoped staff beside the demo's
// district-scoped ones.
func (ts *testServer) scopedStaff(t *testing.T, username string, grants ...identity.Grant) {
	t.Helper()
	if _, err := ts.ids.CreateStaff(context.Background(), identity.NewStaff{
		Account: identity.Account{Username: username, Password: identity.DemoPassword, Demo: true},
		Name:    username, Grants: grants}); err != nil {
		t.Fatal(err)
	}
	// Administrators and supervisors log in with a second factor: the demo's
	// secret, as the demo's own have (a no-op for other roles).
	if err := ts.ids.EnrolDemoSecondFactor(context.Background(), username); err != nil {
		t.Fatal(err)
	}
}

// The administration page lists the staff inside the administrator's scope.
func TestAdminStaffScope(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		amr := deptID(t, d, amrName)
		ts.scopedStaff(t, "town-admin", identity.Grant{Role: identity.RoleAdmin, RegionCode: townRegion})
		ts.scopedStaff(t, "town-approver", identity.Grant{Role: identity.RoleApprover, DepartmentID: amr, RegionCode: townRegion})
		ts.scopedStaff(t, "amr-admin", identity.Grant{Role: identity.RoleAdmin, DepartmentID: amr, RegionCode: demo.Region})
		for _, c := range []struct {
			who       string
			see, miss []string
		}{
			{"town-admin", []string{"town-approver"}, []string{">handler<", ">clerk<", ">psb-officer<"}},
			{"amr-admin", []string{">handler<", "town-approver"}, []string{">clerk<", ">psb-officer<"}},
			{"admin", []string{">handler<", ">clerk<", "town-approver"}, nil},
		} {
			cl := ts.client()
			ts.webLogin(t, cl, c.who)
			r, _ := cl.Get(ts.URL + "/admin")
			b := body(t, r)
			for _, s := range c.see {
				if !strings.Contains(b, s) {
					t.Errorf("%s does not see %s (%d)", c.who, s, r.StatusCode)
				}
			}
			for _, s := range c.miss {
				if strings.Contains(b, s) {
					t.Errorf("%s sees %s", c.who, s)
				}
			}
		}
	})
}
