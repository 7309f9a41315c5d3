package server

import (
	"context"
	"testing"

	"github.com/tongban/tongban/internal/db"
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
}

var _ = demo.Region
