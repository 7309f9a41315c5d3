package catalog_test

import (
	"context"
	"testing"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/demo"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/vault"
)

const (
	nantuo   = "500102103000" // 南沱镇
	qingyang = "500102107000" // 青羊镇
)

// fieldOf is the field an error names (catalog.at), "" for none.
func fieldOf(err error) string {
	ae := apperr.As(err)
	if ae == nil || ae.Key != "catalog.at" {
		return ""
	}
	s, _ := ae.Args["field"].(string)
	return s
}

// reasonOf is the reason's key of a catalog.at error, or the error's key.
func reasonOf(err error) string {
	ae := apperr.As(err)
	if ae == nil {
		return ""
	}
	if r, ok := ae.Args["reason"].(error); ae.Key == "catalog.at" && ok {
		return apperr.As(r).Key
	}
	return ae.Key
}

func TestAdoptedLimit(t *testing.T) {
	permit := &catalog.Item{StatutoryLimit: "15", PromisedLimit: "7", Handling: 2}
	noStat := &catalog.Item{PromisedLimit: "10", Handling: 2}
	instant := &catalog.Item{PromisedLimit: "0", Handling: 1}
	for _, tc := range []struct {
		name     string
		src      *catalog.Item
		in, want string
		reason   string
	}{
		{"empty takes the source's", permit, "", "7", ""},
		{"below the source's", permit, "5", "5", ""},
		{"half a day", permit, "2.50", "2.5", ""},
		{"equal to the source's", permit, "7", "7", ""},
		{"above the source's, below the statutory", permit, "8", "", "adoption.promised_over_source"},
		{"above the statutory", permit, "16", "", "catalog.promised_over_statutory"},
		{"no statutory limit: the source's bounds", noStat, "11", "", "adoption.promised_over_source"},
		{"negative", permit, "-1", "", "catalog.limit_negative"},
		{"not a number", permit, "五", "", "calendar.limit_format"},
		{"a quarter day", permit, "1.25", "", "calendar.limit_half"},
		{"承诺件 never 0", permit, "0", "", "catalog.promised_zero"},
		{"即办件 stays 0", instant, "", "0", ""},
		{"即办件 refuses a limit", instant, "1", "", "adoption.promised_over_source"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := catalog.AdoptedLimit(tc.src, tc.in)
			if tc.reason == "" {
				if err != nil || got != tc.want {
					t.Fatalf("AdoptedLimit(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
				}
				return
			}
			if err == nil || fieldOf(err) != "promised_limit" || reasonOf(err) != tc.reason {
				t.Fatalf("AdoptedLimit(%q) = %q, %v; want promised_limit: %s", tc.in, got, err, tc.reason)
			}
		})
	}
}

func TestAdoptedCodesAndLevels(t *testing.T) {
	town := must(codes.CompleteCreditCode("11500102MB1T0012"))
	for _, tc := range []struct {
		regionLevel, level int
		basic              string
		ok                 bool
	}{
		{4, 5, "502000203001", true}, // a town: 乡镇街道
		{5, 6, "502000203001", true}, // a village: 村社区
		{3, 4, "502000203001", true}, // a county
		{4, 5, "5020002030", false},  // a short basic code
	} {
		if got := catalog.ExercisingLevel(tc.regionLevel); got != tc.level {
			t.Fatalf("ExercisingLevel(%d) = %d, want %d", tc.regionLevel, got, tc.level)
		}
		code, err := catalog.AdoptedImplCode(town, tc.level, tc.basic)
		if !tc.ok {
			if err == nil {
				t.Fatalf("AdoptedImplCode(%s) = %s, want an error", tc.basic, code)
			}
			continue
		}
		p, perr := codes.ParseImplCode(code)
		if err != nil || perr != nil || p.Agency.Code != town || p.Level != tc.level || p.Basic.Code != tc.basic || len(code) != 31 {
			t.Fatalf("AdoptedImplCode = %s %v %v", code, err, perr)
		}
	}
}

func TestOfferedLevelsRules(t *testing.T) {
	for _, tc := range []struct {
		level   int
		offered []int
		field   string
	}{
		{4, []int{5, 6}, ""},
		{4, nil, ""},
		{3, []int{4, 5}, ""},
		{7, []int{5}, ""},
		{4, []int{4}, "offered_levels[0]"},
		{4, []int{5, 3}, "offered_levels[0]"}, // sorted: 3 first
		{4, []int{8}, "offered_levels[0]"},
		{4, []int{5, 5}, "offered_levels[1]"},
	} {
		it := must(demo.DemoCatalog()).Items[0]
		it.Level, it.OfferedLevels = tc.level, tc.offered
		impl := must(codes.NewImplCode(it.Department, tc.level, it.BasicCode))
		it.ImplCode = impl.Code
		err := catalog.Validate(it)
		if tc.field == "" {
			if err != nil {
				t.Fatalf("level %d offering %v: %v", tc.level, tc.offered, err)
			}
			continue
		}
		found := false
		for _, d := range apperr.As(err).Details {
			if fieldOf(d) == tc.field {
				found = true
			}
		}
		if !found {
			t.Fatalf("level %d offering %v: want a fault at %s, got %v", tc.level, tc.offered, tc.field, err)
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// adoptFixture is the demo catalog with 居住证申领 offered to towns, a
// town administrator of 南沱镇 and the town's government, hall and window.
type adoptFixture struct {
	c                    *catalog.Catalog
	admin, townAdmin     *identity.User
	source               string // 居住证申领's code
	gov, otherGov        string // 南沱镇's and 青羊镇's governments
	hall, window         string // 南沱镇's hall and its window
	otherHall, otherWind string // 青羊镇's
}

func newAdoptFixture(t *testing.T, d *db.DB) *adoptFixture {
	t.Helper()
	ctx := context.Background()
	c, admin := seeded(t, d)
	v, _ := vault.New(vault.NewKey())
	ids := identity.NewService(d, v)
	fx := &adoptFixture{c: c, admin: admin}
	fx.townAdmin = must(ids.CreateStaff(ctx, identity.NewStaff{Account: identity.Account{Username: "nantuo-admin", Password: "town-admin-password"},
		Name: "南沱镇管理员", Grants: []identity.Grant{{Role: identity.RoleAdmin, RegionCode: nantuo}}}))
	src := findItem(t, c, "居住证申领")
	fx.source = src.ImplCode
	it := *src.Item
	it.OfferedLevels = []int{5}
	if _, err := c.SaveDraft(ctx, admin, &it, "向乡镇开放认领"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Publish(ctx, admin, fx.source); err != nil {
		t.Fatal(err)
	}
	for region, dst := range map[string]*string{nantuo: &fx.gov, qingyang: &fx.otherGov} {
		if err := d.Reader().QueryRow(`SELECT id FROM departments WHERE region_code = $1`, region).Scan(dst); err != nil {
			t.Fatal(err)
		}
	}
	for region, dst := range map[string][2]*string{nantuo: {&fx.hall, &fx.window}, qingyang: {&fx.otherHall, &fx.otherWind}} {
		if err := d.Reader().QueryRow(`SELECT id FROM halls WHERE region_code = $1`, region).Scan(dst[0]); err != nil {
			t.Fatal(err)
		}
		// The demo's organisation gives each town's centre its window 1.
		if err := d.Reader().QueryRow(`SELECT id FROM windows WHERE hall_id = $1 AND number = '1'`, *dst[0]).Scan(dst[1]); err != nil {
			t.Fatal(err)
		}
	}
	return fx
}

func TestAdoptRefusals(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		fx := newAdoptFixture(t, d)
		other := findItem(t, fx.c, "高龄津贴申领").ImplCode // offered to nobody
		ok := catalog.AdoptInput{Source: fx.source, DepartmentID: fx.gov, HallID: fx.hall, Windows: []string{fx.window}, PromisedLimit: "5"}
		for _, tc := range []struct {
			name   string
			u      *identity.User
			edit   func(in *catalog.AdoptInput)
			code   apperr.Code
			field  string
			reason string
		}{
			{"another town's department", fx.townAdmin, func(in *catalog.AdoptInput) { in.DepartmentID = fx.otherGov; in.HallID, in.Windows = "", nil },
				apperr.Forbidden, "", "org.forbidden"},
			{"a window of another town's hall", fx.townAdmin, func(in *catalog.AdoptInput) { in.Windows = []string{fx.otherWind} },
				apperr.Invalid, "windows[0]", "adoption.window_hall"},
			{"another town's hall", fx.townAdmin, func(in *catalog.AdoptInput) { in.HallID, in.Windows = fx.otherHall, nil },
				apperr.Invalid, "hall_id", "adoption.hall_region"},
			{"windows without a hall", fx.townAdmin, func(in *catalog.AdoptInput) { in.HallID = "" },
				apperr.Invalid, "windows[0]", "adoption.windows_need_hall"},
			{"above the source's promise", fx.townAdmin, func(in *catalog.AdoptInput) { in.PromisedLimit = "8" },
				apperr.Invalid, "promised_limit", "adoption.promised_over_source"},
			{"above the statutory limit", fx.townAdmin, func(in *catalog.AdoptInput) { in.PromisedLimit = "16" },
				apperr.Invalid, "promised_limit", "catalog.promised_over_statutory"},
			{"an item not offered", fx.townAdmin, func(in *catalog.AdoptInput) { in.Source = other },
				apperr.Invalid, "department_id", "adoption.level_not_offered"},
			{"an unknown item", fx.townAdmin, func(in *catalog.AdoptInput) { in.Source = "nope" },
				apperr.Invalid, "source", "catalog.item_unknown"},
			{"a bad phone", fx.townAdmin, func(in *catalog.AdoptInput) { in.Phone = "call us" },
				apperr.Invalid, "phone", "org.phone"},
			{"the district's own department", fx.admin, func(in *catalog.AdoptInput) {
				in.DepartmentID = must(fx.c.Published(ctx, fx.source, 0)).DepartmentID
				in.HallID, in.Windows = "", nil
			}, apperr.Invalid, "department_id", "adoption.outside_source"},
		} {
			// The demo's towns adopted the items the district offers them.
			var before int
			if err := d.Reader().QueryRow(`SELECT COUNT(*) FROM adoptions`).Scan(&before); err != nil {
				t.Fatal(err)
			}
			t.Run(tc.name, func(t *testing.T) {
				in := ok
				in.Windows = append([]string(nil), ok.Windows...)
				tc.edit(&in)
				_, err := fx.c.Adopt(ctx, tc.u, in)
				if apperr.CodeOf(err) != tc.code || fieldOf(err) != tc.field || reasonOf(err) != tc.reason {
					t.Fatalf("Adopt = %v (field %q reason %q); want %v %q %q", err, fieldOf(err), reasonOf(err), tc.code, tc.field, tc.reason)
				}
				var n int
				if err := d.Reader().QueryRow(`SELECT COUNT(*) FROM adoptions`).Scan(&n); err != nil || n != before {
					t.Fatalf("a refused adoption wrote %d rows (%v)", n-before, err)
				}
			})
		}
	})
}

func TestAdoptLifecycle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		fx := newAdoptFixture(t, d)
		c := fx.c

		// The demo's towns adopted what the district offers them; 居住证申领
		// is offered to them now, adopted by none.
		offerOf := func(offers []catalog.Offer) catalog.Offer {
			t.Helper()
			for _, o := range offers {
				if o.ImplCode == fx.source {
					return o
				}
			}
			t.Fatalf("%s not offered: %+v", fx.source, offers)
			return catalog.Offer{}
		}
		before := len(must(c.Adoptions(ctx, fx.admin)))
		var audited int
		if err := d.Reader().QueryRow(`SELECT (SELECT COUNT(*) FROM audit_pending WHERE action LIKE 'adoption.%') + (SELECT COUNT(*) FROM audit_records WHERE action LIKE 'adoption.%')`).Scan(&audited); err != nil {
			t.Fatal(err)
		}
		offers, err := c.Offered(ctx, fx.townAdmin)
		if err != nil || len(offerOf(offers).Adopters) == 0 || len(offerOf(offers).Adopted) != 0 {
			t.Fatalf("offered = %+v %v", offers, err)
		}
		a, err := c.Adopt(ctx, fx.townAdmin, catalog.AdoptInput{Source: fx.source, DepartmentID: fx.gov, HallID: fx.hall,
			Windows: []string{fx.window}, Phone: "023-72701300", PromisedLimit: "5"})
		if err != nil {
			t.Fatal(err)
		}
		p := must(codes.ParseImplCode(a.ImplCode))
		var govCredit string
		if err := d.Reader().QueryRow(`SELECT credit_code FROM departments WHERE id = $1`, fx.gov).Scan(&govCredit); err != nil {
			t.Fatal(err)
		}
		srcV := must(c.Published(ctx, fx.source, 0))
		if p.Agency.Code != govCredit || p.Level != 5 || p.Basic.Code != srcV.Item.BasicCode || a.SourceVersion != srcV.Version || a.Newer {
			t.Fatalf("adoption = %+v", a)
		}
		own := must(c.Published(ctx, a.ImplCode, 0))
		if own.Item.Region != nantuo || own.Item.PromisedLimit != "5" || own.Item.ConsultPhone != "023-72701300" || own.Item.OfferedLevels != nil ||
			own.Item.StatutoryLimit != "15" || own.Version != 1 || len(a.Windows) != 1 || a.Windows[0] != fx.window {
			t.Fatalf("adopted item = %+v, adoption %+v", own.Item, a)
		}
		// The portal finds it in the town.
		res, err := c.Search(ctx, catalog.Query{Q: "居住证", Region: nantuo})
		if err != nil || res.Total != 1 || res.Items[0].ImplCode != a.ImplCode {
			t.Fatalf("portal search in the town = %+v %v", res, err)
		}
		// Adopting twice is a conflict; the offer now lists it as adopted.
		if _, err := c.Adopt(ctx, fx.townAdmin, catalog.AdoptInput{Source: fx.source, DepartmentID: fx.gov}); apperr.CodeOf(err) != apperr.Conflict {
			t.Fatalf("adopting twice: %v", err)
		}
		offers = must(c.Offered(ctx, fx.townAdmin))
		if o := offerOf(offers); len(o.Adopted) != 1 || o.Adopted[0] != a.ImplCode {
			t.Fatalf("offers after adopting = %+v", offers)
		}

		// Another town's administrator neither sees nor changes it.
		if list := must(c.Adoptions(ctx, fx.admin)); len(list) != before+1 {
			t.Fatalf("the installation administrator sees %d adoptions, %d before", len(list), before)
		}
		v, _ := vault.New(vault.NewKey())
		qa := must(identity.NewService(d, v).CreateStaff(ctx, identity.NewStaff{Account: identity.Account{Username: "qingyang-admin", Password: "town-admin-password"},
			Name: "青羊镇管理员", Grants: []identity.Grant{{Role: identity.RoleAdmin, RegionCode: qingyang}}}))
		for _, o := range must(c.Adoptions(ctx, qa)) {
			if o.RegionCode != qingyang {
				t.Fatalf("another town sees %+v", o)
			}
		}
		five := "6"
		if _, err := c.UpdateAdoption(ctx, qa, a.ImplCode, catalog.AdoptionUpdate{PromisedLimit: &five}); apperr.CodeOf(err) != apperr.Forbidden {
			t.Fatalf("another town updates: %v", err)
		}

		// Edited in the catalog console, the town's item still keeps within
		// the district's promise: the publication refuses it.
		edited := *own.Item
		edited.PromisedLimit = "8"
		if _, err := c.SaveDraft(ctx, fx.townAdmin, &edited, "放宽承诺时限"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Publish(ctx, fx.townAdmin, a.ImplCode); reasonOf(err) != "adoption.promised_over_source" {
			t.Fatalf("publishing the town's item above the district's promise: %v", err)
		}
		if err := c.DiscardDraft(ctx, fx.townAdmin, a.ImplCode); err != nil {
			t.Fatal(err)
		}

		// Variations: a new version of the town's item within the bounds.
		over := "9"
		if _, err := c.UpdateAdoption(ctx, fx.townAdmin, a.ImplCode, catalog.AdoptionUpdate{PromisedLimit: &over}); fieldOf(err) != "promised_limit" {
			t.Fatalf("update over the bound: %v", err)
		}
		a, err = c.UpdateAdoption(ctx, fx.townAdmin, a.ImplCode, catalog.AdoptionUpdate{PromisedLimit: &five})
		if err != nil || a.Version != 2 || a.PromisedLimit != "6" {
			t.Fatalf("update = %+v %v", a, err)
		}
		// Nothing changed: no new version.
		if a, err = c.UpdateAdoption(ctx, fx.townAdmin, a.ImplCode, catalog.AdoptionUpdate{PromisedLimit: &five}); err != nil || a.Version != 2 {
			t.Fatalf("an unchanged update = %+v %v", a, err)
		}

		// The source publishes a tighter version: the town sees it, keeps
		// its version until it follows, and following checks the bound.
		it := *srcV.Item
		it.PromisedLimit = "4"
		if _, err := c.SaveDraft(ctx, fx.admin, &it, "缩短承诺时限"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Publish(ctx, fx.admin, fx.source); err != nil {
			t.Fatal(err)
		}
		a = must(c.Adoption(ctx, fx.townAdmin, a.ImplCode))
		if !a.Newer || a.SourceCurrent != srcV.Version+1 || a.SourceVersion != srcV.Version {
			t.Fatalf("after the source's new version: %+v", a)
		}
		if _, err := c.UpdateAdoption(ctx, fx.townAdmin, a.ImplCode, catalog.AdoptionUpdate{Refresh: true}); reasonOf(err) != "adoption.promised_over_source" {
			t.Fatalf("following with a limit above the new bound: %v", err)
		}
		four := "4"
		a, err = c.UpdateAdoption(ctx, fx.townAdmin, a.ImplCode, catalog.AdoptionUpdate{Refresh: true, PromisedLimit: &four})
		if err != nil || a.Newer || a.SourceVersion != srcV.Version+1 || a.Version != 3 {
			t.Fatalf("following = %+v %v", a, err)
		}

		// A looser new version: following it allows a longer promise.
		it.PromisedLimit = "7"
		if _, err := c.SaveDraft(ctx, fx.admin, &it, "恢复承诺时限"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Publish(ctx, fx.admin, fx.source); err != nil {
			t.Fatal(err)
		}
		six := "6"
		if a, err = c.UpdateAdoption(ctx, fx.townAdmin, a.ImplCode, catalog.AdoptionUpdate{Refresh: true, PromisedLimit: &six}); err != nil || a.PromisedLimit != "6" || a.Newer {
			t.Fatalf("following a looser version = %+v %v", a, err)
		}

		// Withdrawal: no longer found or filed; adopting again brings it back.
		if a, err = c.WithdrawAdoption(ctx, fx.townAdmin, a.ImplCode); err != nil || !a.Withdrawn || len(a.Windows) != 0 {
			t.Fatalf("withdraw = %+v %v", a, err)
		}
		if res := must(c.Search(ctx, catalog.Query{Q: "居住证", Region: nantuo})); res.Total != 0 {
			t.Fatalf("a withdrawn item is listed: %+v", res)
		}
		err = d.View(ctx, func(tx *db.Tx) error { _, err := c.PublishedSharedTx(tx, a.ImplCode); return err })
		if !apperr.Is(err, apperr.Conflict, "catalog.item_withdrawn") {
			t.Fatalf("filing on a withdrawn item: %v", err)
		}
		if _, err := c.WithdrawAdoption(ctx, fx.townAdmin, a.ImplCode); apperr.CodeOf(err) != apperr.Conflict {
			t.Fatalf("withdrawing twice: %v", err)
		}
		a, err = c.Adopt(ctx, fx.townAdmin, catalog.AdoptInput{Source: fx.source, DepartmentID: fx.gov})
		if err != nil || a.Withdrawn || a.PromisedLimit != "7" {
			t.Fatalf("adopting again = %+v %v", a, err)
		}
		// Every change is in the audit log.
		var n int
		if err := d.Reader().QueryRow(`SELECT (SELECT COUNT(*) FROM audit_pending WHERE action LIKE 'adoption.%') + (SELECT COUNT(*) FROM audit_records WHERE action LIKE 'adoption.%')`).Scan(&n); err != nil || n-audited != 7 { // adopt, four updates, withdraw, adopt
			t.Fatalf("%d adoption audit records (%v)", n-audited, err)
		}
	})
}

// FuzzAdoptedLimit: whatever an administrator types, an accepted promise is
// a canonical limit within the statutory limit and the source's promise.
func FuzzAdoptedLimit(f *testing.F) {
	for _, s := range []string{"", "5", "7", "7.0", "2.5", "-1", "16", "1e3", " 3 ", "0", "９", "3.50", "99999999999999999999"} {
		f.Add(s)
	}
	src := &catalog.Item{StatutoryLimit: "15", PromisedLimit: "7", Handling: 2}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := catalog.AdoptedLimit(src, in)
		if err != nil {
			if fieldOf(err) != "promised_limit" {
				t.Fatalf("AdoptedLimit(%q): %v names no field", in, err)
			}
			return
		}
		l, perr := calendar.ParseLimit(got)
		if perr != nil || l.String() != got || l > src.Promised() || l == 0 {
			t.Fatalf("AdoptedLimit(%q) = %q", in, got)
		}
	})
}
