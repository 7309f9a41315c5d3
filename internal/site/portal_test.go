package site_test

import (
	"context"
	"testing"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/site"
)

// The portal shows the home region's hall until the administrator saves
// the site's identity; a save is validated, audited and shown at once;
// only an installation administrator may make it; a refused save changes
// nothing.
func TestPortalUpdate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		c := catalog.New(d)
		if _, err := c.ImportDivisions(ctx, catalog.FulingDivisions()); err != nil {
			t.Fatal(err)
		}
		admin := &identity.User{ID: "admin", Kind: identity.KindStaff, Grants: []identity.Grant{{Role: identity.RoleAdmin, RegionCode: "500102"}}}
		region := "500102"
		if _, err := c.CreateHall(ctx, admin, catalog.HallInput{RegionCode: &region}); err != nil {
			t.Fatal(err)
		}
		p, err := site.NewPortal(ctx, d, "500102", nil)
		if err != nil {
			t.Fatal(err)
		}
		if s := p.Shown(); s.CentreName != "涪陵区行政服务中心" || s.RegionName != "涪陵区" || s.HostOrg != "" {
			t.Errorf("before any save the portal shows %+v, want the home hall and region", s)
		}

		town := &identity.User{ID: "town-admin", Kind: identity.KindStaff, Grants: []identity.Grant{{Role: identity.RoleAdmin, RegionCode: "500102123000"}}}
		clerk := &identity.User{ID: "clerk", Kind: identity.KindStaff, Grants: []identity.Grant{{Role: identity.RoleClerk, RegionCode: "500102"}}}
		in := site.Info{CentreName: " 重庆市涪陵区行政服务中心 ", HostOrg: "重庆市涪陵区政务服务管理办公室", Organizer: "涪陵区大数据局",
			ICP: "渝ICP备12345678号", PSB: "渝公网安备 50010202000123号", CentrePhone: "023-72225100"}
		for _, u := range []*identity.User{town, clerk} {
			if _, err := p.Update(ctx, u, in); apperr.CodeOf(err) != apperr.Forbidden {
				t.Errorf("%s saved the site: %v", u.ID, err)
			}
		}
		if _, err := p.Update(ctx, nil, in); apperr.CodeOf(err) != apperr.Unauthenticated {
			t.Errorf("anonymous save: %v", err)
		}
		bad := in
		bad.ICP = "12345678"
		if _, err := p.Update(ctx, admin, bad); !apperr.Is(err, apperr.Invalid, "site.icp_format") {
			t.Errorf("bad ICP: %v", err)
		}
		if stored, err := p.Stored(ctx, admin); err != nil || stored.HostOrg != "" {
			t.Errorf("a refused save wrote %+v (%v)", stored, err)
		}

		out, err := p.Update(ctx, admin, in)
		if err != nil {
			t.Fatal(err)
		}
		if out.Region != "500102" || out.CentreName != "重庆市涪陵区行政服务中心" || out.Organizer != "涪陵区大数据局" || out.RegionName != "涪陵区" {
			t.Errorf("saved %+v", out)
		}
		if s := p.Shown(); s.PSB != in.PSB || s.ICP != in.ICP || s.CentreAddress != "" {
			t.Errorf("shown after the save: %+v", s)
		}
		var n int
		if err := d.View(ctx, func(tx *db.Tx) error {
			return tx.QueryRow(`SELECT (SELECT COUNT(*) FROM audit_pending WHERE action = 'site.update' AND actor_id = 'admin' AND object_id = '500102') + (SELECT COUNT(*) FROM audit_records WHERE action = 'site.update' AND actor_id = 'admin' AND object_id = '500102')`).Scan(&n)
		}); err != nil || n != 1 {
			t.Errorf("%d audit records of the save (%v), want 1", n, err)
		}
		// Clearing an optional field hides it.
		in.PSB = ""
		if _, err := p.Update(ctx, admin, in); err != nil || p.Shown().PSB != "" {
			t.Errorf("clearing the 公安备案号: %v, shown %q", err, p.Shown().PSB)
		}
	})
}
