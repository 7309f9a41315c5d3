package catalog_test

import (
	"context"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/identity"
)

func count(t *testing.T, d *db.DB, q string) int {
	t.Helper()
	var n int
	if err := d.Reader().QueryRow(q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestFulingTreeAndHalls(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		c := catalog.New(d)
		n, err := c.ImportDivisions(ctx, catalog.FulingDivisions())
		if err != nil || n != 463 {
			t.Fatalf("import: %d, %v", n, err)
		}
		// Re-importing renames nothing and duplicates nothing.
		if _, err := c.ImportDivisions(ctx, catalog.FulingDivisions()); err != nil {
			t.Fatal(err)
		}
		if got := count(t, d, `SELECT count(*) FROM regions`); got != 463 {
			t.Errorf("%d regions after two imports", got)
		}
		county, towns, err := c.Children(ctx, "500102")
		if err != nil || county.Name != "涪陵区" || county.Level != 3 || len(towns) != 27 {
			t.Fatalf("涪陵区: %+v, %d towns, %v", county, len(towns), err)
		}
		kinds := map[string]int{}
		for _, tw := range towns {
			kinds[tw.Kind]++
			if tw.Level != 4 || !tw.HasChildren || !strings.HasPrefix(tw.Code, "500102") {
				t.Errorf("town %+v", tw)
			}
		}
		if kinds["subdistrict"] != 11 || kinds["town"] != 14 || kinds["township"] != 2 {
			t.Errorf("town kinds = %v", kinds)
		}
		_, villages, err := c.Children(ctx, "500102123000") // 龙潭镇
		if err != nil || len(villages) == 0 || villages[0].Level != 5 || villages[0].HasChildren {
			t.Fatalf("龙潭镇 villages: %v %v", villages, err)
		}
		total := 0
		for _, tw := range towns {
			_, vs, _ := c.Children(ctx, tw.Code)
			total += len(vs)
		}
		if total != 433 {
			t.Errorf("%d villages, want 433", total)
		}

		// A hall created with no name takes the customary one of its level.
		admin := &identity.User{ID: "admin", Kind: identity.KindStaff, Grants: []identity.Grant{{Role: identity.RoleAdmin, RegionCode: "500102"}}}
		for _, region := range []string{"500102", "500102123000", villages[0].Code} {
			if _, err := c.CreateHall(ctx, admin, catalog.HallInput{RegionCode: &region}); err != nil {
				t.Fatalf("hall of %s: %v", region, err)
			}
		}
		halls, err := c.Halls(ctx, "500102123000")
		if err != nil || len(halls) != 2 || halls[0].Name != "龙潭镇便民服务中心" || !strings.HasSuffix(halls[1].Name, "便民服务站") || strings.Contains(halls[1].Name, "委员会") {
			t.Errorf("龙潭镇 halls: %+v", halls)
		}
		all, _ := c.Halls(ctx, "500102")
		if all[0].Name != "涪陵区行政服务中心" {
			t.Errorf("county hall = %q", all[0].Name)
		}

		if _, _, err := c.Children(ctx, "500101"); !apperr.Is(err, apperr.NotFound, "catalog.region_unknown") {
			t.Errorf("unknown region: %v", err)
		}
		if _, _, err := c.Children(ctx, "5001x2"); !apperr.Is(err, apperr.Invalid, "codes.division.digit") {
			t.Errorf("malformed region: %v", err)
		}
	})
}

func TestImportRejectsTheWholeFileOnAnyError(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		c := catalog.New(d)
		tests := []struct{ file, key string }{
			{"code,name\n500000,重庆市\n500100,市辖区\n5001x2,坏\n", "catalog.import_code"},
			{"code,name\n500000,重庆市\n500102,涪陵区\n", "catalog.import_parent"}, // 500100 missing
			{"code,name\n500000,\n", "catalog.import_name"},
			{"name,code\n", "catalog.import_header"},
			{"code,name\n\"500000,重庆市\n", "catalog.import_format"},
		}
		for _, tt := range tests {
			_, err := c.ImportDivisions(ctx, strings.NewReader(tt.file))
			if err == nil {
				t.Fatalf("%q was accepted", tt.file)
			}
			if e := apperr.As(err); e.Key != tt.key {
				t.Errorf("%q: key %s, want %s", tt.file, e.Key, tt.key)
			}
			if tt.key == "catalog.import_code" && apperr.As(err).Args["line"] != 4 {
				t.Errorf("line = %v, want 4", apperr.As(err).Args["line"])
			}
		}
		if got := count(t, d, `SELECT count(*) FROM regions`); got != 0 {
			t.Errorf("%d regions written by rejected imports", got)
		}
	})
}

func TestDepartmentsWithinARegion(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		c := catalog.New(d)
		if _, err := c.ImportDivisions(ctx, catalog.FulingDivisions()); err != nil {
			t.Fatal(err)
		}
		admin := &identity.User{ID: "admin", Kind: identity.KindStaff, Grants: []identity.Grant{{Role: identity.RoleAdmin, RegionCode: "500102"}}}
		create := func(name, credit, region string) error {
			_, err := c.CreateDepartment(ctx, admin, catalog.DepartmentInput{Name: &name, CreditCode: &credit, RegionCode: &region})
			return err
		}
		district, _ := codes.CompleteCreditCode("11500102MB1C0002")
		town, _ := codes.CompleteCreditCode("11500102MB1T0001")
		if err := create("重庆市涪陵区市场监督管理局", district, "500102"); err != nil {
			t.Fatal(err)
		}
		if err := create("涪陵区龙潭镇人民政府", town, "500102123000"); err != nil {
			t.Fatal(err)
		}
		if err := create("x", district[:17]+"0", "500102"); apperr.CodeOf(err) != apperr.Invalid {
			t.Errorf("bad credit code: %v", err)
		}
		other, _ := codes.CompleteCreditCode("11500102MB1C0099")
		if err := create("x", other, "500101"); apperr.CodeOf(err) != apperr.Invalid {
			t.Errorf("unknown region: %v", err)
		}
		all, _ := c.Departments(ctx, "500102")
		inTown, _ := c.Departments(ctx, "500102123000")
		elsewhere, _ := c.Departments(ctx, "500102006000")
		if len(all) != 2 || all[0].RegionName != "涪陵区" || len(inTown) != 1 || inTown[0].RegionName != "龙潭镇" || len(elsewhere) != 0 {
			t.Errorf("all %v, town %v, elsewhere %v", all, inTown, elsewhere)
		}
	})
}
