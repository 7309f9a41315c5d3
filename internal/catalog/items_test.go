package catalog_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/demo"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/vault"
	"github.com/tongban/tongban/internal/workbook"
)

// seeded returns the demo database (regions, departments, 56 published
// items, two bundles) and the demo administrator.
func seeded(t *testing.T, d *db.DB) (*catalog.Catalog, *identity.User) {
	return seededB(t, d)
}

func seededB(t testing.TB, d *db.DB) (*catalog.Catalog, *identity.User) {
	t.Helper()
	ctx := context.Background()
	v, _ := vault.New(vault.NewKey())
	ids := identity.NewService(d, v)
	if err := demo.Seed(ctx, d, ids); err != nil {
		t.Fatal(err)
	}
	admin, err := ids.UserByUsername(ctx, "admin")
	if err != nil {
		t.Fatal(err)
	}
	return catalog.New(d), admin
}

func findItem(t *testing.T, c *catalog.Catalog, name string) *catalog.Version {
	t.Helper()
	res, err := c.Search(context.Background(), catalog.Query{Q: name})
	if err != nil || len(res.Items) == 0 {
		t.Fatalf("search %q: %v %v", name, res, err)
	}
	v, err := c.Published(context.Background(), res.Items[0].ImplCode, 0)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestItemVersions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		c, admin := seeded(t, d)
		v1 := findItem(t, c, "食品经营许可（新办）")
		if v1.Version != 1 || !v1.Current || v1.Status != catalog.StatusPublished || v1.DepartmentName != "重庆市涪陵区市场监督管理局" {
			t.Fatalf("v1 = %+v", v1)
		}
		// Edit: a new draft; the published version is what the public still sees.
		it := *v1.Item
		it.PromisedLimit = "3"
		it.Materials = append(append([]catalog.Material{}, it.Materials...), catalog.Material{Key: "health_certs", Name: "从业人员健康证明", Originals: 1, Required: true})
		n, err := c.SaveDraft(ctx, admin, &it, "缩短承诺时限")
		if err != nil || n != 2 {
			t.Fatalf("draft: %d %v", n, err)
		}
		if cur, _ := c.Published(ctx, v1.ImplCode, 0); cur.Version != 1 || cur.Item.PromisedLimit != "5" {
			t.Fatalf("draft leaked into the published item: %+v", cur)
		}
		if _, err := c.Published(ctx, v1.ImplCode, 2); !apperr.Is(err, apperr.NotFound, "catalog.version_unknown") {
			t.Fatalf("the public can read a draft: %v", err)
		}
		// Saving again replaces the same draft.
		if n, err := c.SaveDraft(ctx, admin, &it, "缩短承诺时限"); err != nil || n != 2 {
			t.Fatalf("second save: %d %v", n, err)
		}
		if n, err := c.Publish(ctx, admin, v1.ImplCode); err != nil || n != 2 {
			t.Fatalf("publish: %d %v", n, err)
		}
		old, err := c.Published(ctx, v1.ImplCode, 1)
		if err != nil || old.Digest != v1.Digest || old.Item.PromisedLimit != "5" || old.Current {
			t.Fatalf("v1 after publishing v2: %+v %v", old, err)
		}
		cur, _ := c.Published(ctx, v1.ImplCode, 0)
		if cur.Version != 2 || cur.Item.PromisedLimit != "3" || cur.Note != "缩短承诺时限" {
			t.Fatalf("current = %+v", cur)
		}
		hist, err := c.Versions(ctx, v1.ImplCode, nil)
		if err != nil || len(hist) != 2 || hist[0].Version != 2 || hist[1].Version != 1 || hist[0].PublishedBy != admin.ID {
			t.Fatalf("history = %+v %v", hist, err)
		}
		changes := catalog.Diff(old.Item, cur.Item)
		want := map[string]string{"promised_limit": "changed", "materials[health_certs].name": "added"}
		for _, ch := range changes {
			if k, ok := want[ch.Path]; ok && k == ch.Kind {
				delete(want, ch.Path)
			}
		}
		if len(want) > 0 {
			t.Errorf("diff %+v misses %v", changes, want)
		}
		// The database itself refuses to change a published version.
		if _, err := d.Writer().Exec(`UPDATE item_versions SET body = '{}' WHERE version = 1 AND status = 'published'`); err == nil {
			t.Fatal("a published version was changed")
		}
		if _, err := d.Writer().Exec(`DELETE FROM item_versions WHERE status = 'published'`); err == nil {
			t.Fatal("a published version was deleted")
		}
		// No draft: nothing to publish.
		if _, err := c.Publish(ctx, admin, v1.ImplCode); !apperr.Is(err, apperr.Conflict, "catalog.no_draft") {
			t.Errorf("publish without draft: %v", err)
		}
	})
}

func TestEditRules(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		c, admin := seeded(t, d)
		v := findItem(t, c, "个体工商户设立登记")
		clerk := &identity.User{ID: "x", Grants: []identity.Grant{{Role: identity.RoleClerk, RegionCode: "500102"}}}
		other := &identity.User{ID: "y", Grants: []identity.Grant{{Role: identity.RoleAdmin, RegionCode: "500101"}}}
		it := *v.Item
		for _, u := range []*identity.User{clerk, other} {
			if _, err := c.SaveDraft(ctx, u, &it, ""); !apperr.Is(err, apperr.Forbidden, "catalog.edit_forbidden") {
				t.Errorf("%v saved a draft: %v", u.Grants, err)
			}
		}
		bad := it
		bad.PromisedLimit = "-1"
		bad.Form = append([]catalog.Field{{Key: "x", Label: "X", Type: "colour"}}, it.Form...)
		bad.Situations = &catalog.Situations{Questions: it.Situations.Questions, Rules: append([]catalog.Rule{{When: map[string]string{"premises": "owned"}, Materials: []string{"nope"}}}, it.Situations.Rules...)}
		_, err := c.SaveDraft(ctx, admin, &bad, "")
		e := apperr.As(err)
		if e.Code != apperr.Invalid || len(e.Details) != 3 {
			t.Fatalf("want 3 faults, got %v", err)
		}
		var paths []string
		for _, d := range e.Details {
			paths = append(paths, d.Args["field"].(string)+"="+d.Args["reason"].(*apperr.Error).Key)
		}
		got := strings.Join(paths, " ")
		for _, w := range []string{"promised_limit=catalog.limit_negative", "form[0].type=catalog.field_type", "situations.rules[0].materials=catalog.rule_material"} {
			if !strings.Contains(got, w) {
				t.Errorf("faults %s lack %s", got, w)
			}
		}
		if hist, _ := c.Versions(ctx, it.ImplCode, admin); len(hist) != 1 {
			t.Errorf("a rejected draft was stored: %+v", hist)
		}
		// A new item, then discarding its only draft removes it.
		fresh := it
		fresh.BasicCode = "500100199001"
		fresh.ImplCode = it.Department + "4" + fresh.BasicCode
		fresh.Name = "测试事项"
		if _, err := c.SaveDraft(ctx, admin, &fresh, "new"); err != nil {
			t.Fatal(err)
		}
		if res, _ := c.Search(ctx, catalog.Query{Q: "测试事项"}); res.Total != 0 {
			t.Errorf("an unpublished item is public: %+v", res)
		}
		if res, _ := c.Search(ctx, catalog.Query{Q: "测试事项", Drafts: true, Admin: admin}); res.Total != 1 || res.Items[0].DraftVersion != 1 {
			t.Errorf("administration does not see the draft: %+v", res)
		}
		if err := c.DiscardDraft(ctx, admin, fresh.ImplCode); err != nil {
			t.Fatal(err)
		}
		if ok, _ := c.Exists(ctx, fresh.ImplCode); ok {
			t.Error("discarded new item still exists")
		}
	})
}

func TestSearch(t *testing.T) {
	cases := []struct {
		q       catalog.Query
		first   string // name of the first result ("" for none)
		atLeast int
	}{
		{catalog.Query{Q: "营业执照"}, "个体工商户设立登记", 2},         // by result and keywords
		{catalog.Query{Q: "食品经营"}, "食品经营许可（新办）", 2},        // name match, high frequency first
		{catalog.Query{Q: "经营许可"}, "食品经营许可（新办）", 3},        // any part of the name
		{catalog.Query{Q: "ＦＯＯＤ"}, "食品经营许可（新办）", 2},        // full-width English folds
		{catalog.Query{Q: "宅基地"}, "农村村民住宅用地（宅基地）审批", 3},    // three towns implement it
		{catalog.Query{Q: "宅基地 南沱"}, "农村村民住宅用地（宅基地）审批", 1}, // every word must match
		{catalog.Query{Q: "500101"}, "", 1},                // codes
		{catalog.Query{Q: "开公司"}, "有限责任公司设立登记", 1},         // keywords
		{catalog.Query{Q: "%_"}, "个体工商户设立登记", 50},          // punctuation folds away: no LIKE wildcards
		{catalog.Query{Q: "不存在的事项名称"}, "", 0},
		{catalog.Query{Subject: "legal", Event: "start"}, "有限责任公司设立登记", 5},
		{catalog.Query{Theme: "disability"}, "残疾人证新办", 3},
		{catalog.Query{Region: "500102119000"}, "", 6}, // 珍溪镇's own items
	}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c, _ := seeded(t, d)
		for _, tc := range cases {
			res, err := c.Search(context.Background(), tc.q)
			if err != nil {
				t.Fatalf("%+v: %v", tc.q, err)
			}
			if res.Total < tc.atLeast || (tc.atLeast == 0 && res.Total != 0) || res.Total < len(res.Items) {
				t.Errorf("%+v: total %d, want ≥ %d", tc.q, res.Total, tc.atLeast)
			}
			if tc.first != "" && (len(res.Items) == 0 || res.Items[0].Name != tc.first) {
				t.Errorf("%+v: first = %+v, want %s", tc.q, res.Items, tc.first)
			}
		}
		// Pages partition the list; past the end the total is still right.
		all, _ := c.Search(context.Background(), catalog.Query{PerPage: 100})
		p2, _ := c.Search(context.Background(), catalog.Query{PerPage: 10, Page: 2})
		far, _ := c.Search(context.Background(), catalog.Query{PerPage: 10, Page: 99})
		if all.Total < 40 || p2.Items[0] != all.Items[10] || far.Total != all.Total || len(far.Items) != 0 {
			t.Errorf("paging: %d, %+v, %+v", all.Total, p2.Items[0], far)
		}
		for i := 1; i < len(all.Items); i++ {
			if all.Items[i].Frequency > all.Items[i-1].Frequency {
				t.Fatalf("not high-frequency first at %d", i)
			}
		}
		if _, err := c.Search(context.Background(), catalog.Query{Subject: "alien"}); !apperr.Is(err, apperr.Invalid, "catalog.subject") {
			t.Errorf("bad subject: %v", err)
		}
	})
}

func TestBundles(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c, admin := seeded(t, d)
		ctx := context.Background()
		b, err := c.BundleByCode(ctx, "qykb", false)
		if err != nil || len(b.Versions) != 5 {
			t.Fatalf("企业开办: %+v %v", b, err)
		}
		counts := map[string]int{}
		total := 0
		for _, v := range b.Versions {
			total += len(v.Item.Form)
			for _, f := range v.Item.Form {
				counts[f.Key]++
			}
		}
		if len(b.Form) != len(counts) || len(b.Form) >= total {
			t.Errorf("merged form has %d fields from %d (%d distinct)", len(b.Form), total, len(counts))
		}
		licences := 0
		for _, m := range b.Materials {
			if m.Name == "营业执照" {
				licences++
				if len(m.Items) < 3 {
					t.Errorf("营业执照 used by %v", m.Items)
				}
			}
		}
		if licences != 1 {
			t.Errorf("营业执照 listed %d times", licences)
		}
		if _, err := c.BundleByCode(ctx, "nope", false); !apperr.Is(err, apperr.NotFound, "catalog.bundle_unknown") {
			t.Errorf("unknown bundle: %v", err)
		}
		bad := b.Bundle
		bad.Items = append([]string{"11500102MB1C0002X4500199999001"}, bad.Items...)
		if err := c.SaveBundle(ctx, admin, &bad); apperr.CodeOf(err) != apperr.Invalid {
			t.Errorf("bundle with an unknown item: %v", err)
		}
		// Issue 14: a bundle joins at most MaxBundleItems items, refused before any is read.
		huge := b.Bundle
		huge.Items = nil
		for i := range catalog.MaxBundleItems + 1 {
			huge.Items = append(huge.Items, fmt.Sprintf("11500102MB1C0002X45001%08d", i))
		}
		err = c.SaveBundle(ctx, admin, &huge)
		if d := apperr.As(err).Details; len(d) != 1 || !apperr.Is(d[0].Args["reason"].(error), apperr.Invalid, "catalog.bundle_items_max") {
			t.Errorf("bundle of %d items: %v %v", len(huge.Items), err, d)
		}
	})
}

// The catalog survives export → import → export unchanged, in JSON and in
// xlsx; importing an unchanged catalog creates no versions.
func TestExchangeRoundTrip(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c, admin := seeded(t, d)
		ctx := context.Background()
		// An item offered to towns and villages (issue 15) travels with its levels.
		offered := *findItem(t, c, "居住证申领").Item
		offered.OfferedLevels = []int{6, 5}
		if _, err := c.SaveDraft(ctx, admin, &offered, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Publish(ctx, admin, offered.ImplCode); err != nil {
			t.Fatal(err)
		}
		ex, err := c.Export(ctx, "500102")
		if err != nil || len(ex.Items) < 40 || len(ex.Bundles) != 3 {
			t.Fatalf("export: %d items, %v", len(ex.Items), err)
		}
		var js, xl bytes.Buffer
		if err := ex.WriteJSON(&js); err != nil {
			t.Fatal(err)
		}
		if err := ex.WriteXLSX(&xl); err != nil {
			t.Fatal(err)
		}
		fromJSON, err := catalog.ReadJSON(bytes.NewReader(js.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		fromXLSX, _, err := catalog.ReadXLSX(bytes.NewReader(xl.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		// A workbook that unpacks to more than the bound is refused unread.
		saved := workbook.MaxUnzipped
		workbook.MaxUnzipped = int64(xl.Len())
		if _, _, err := catalog.ReadXLSX(bytes.NewReader(xl.Bytes())); !apperr.Is(err, apperr.Invalid, "workbook.unreadable") {
			t.Errorf("workbook past the unzip bound: %v", err)
		}
		workbook.MaxUnzipped = saved
		for name, got := range map[string]*catalog.Exchange{"json": fromJSON, "xlsx": fromXLSX} {
			levels := 0
			for _, it := range got.Items {
				it.Canon()
				if it.ImplCode == offered.ImplCode && reflect.DeepEqual(it.OfferedLevels, []int{5, 6}) {
					levels++
				}
			}
			if levels != 1 {
				t.Errorf("%s: the offered levels did not travel", name)
			}
			a, _ := json.Marshal(ex)
			b, _ := json.Marshal(got)
			if !bytes.Equal(a, b) {
				for i := range ex.Items {
					if !reflect.DeepEqual(ex.Items[i], got.Items[i]) {
						t.Fatalf("%s: item %d differs:\n%+v\n%+v\n%v", name, i, ex.Items[i], got.Items[i], catalog.Diff(ex.Items[i], got.Items[i]))
					}
				}
				t.Fatalf("%s round trip differs", name)
			}
			rep, err := c.Import(ctx, admin, got, true, nil)
			if err != nil || rep.Unchanged != len(ex.Items) || rep.Created+rep.Updated != 0 {
				t.Fatalf("%s re-import: %+v %v", name, rep, err)
			}
		}
	})
}

// An import with any fault imports nothing and names every fault's place.
func TestImportRejectsWhole(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c, admin := seeded(t, d)
		ctx := context.Background()
		ex, _ := c.Export(ctx, "500102")
		ex.Items[0].Name = "已修改的名称"      // a valid change …
		ex.Items[3].PromisedLimit = "-2" // … and two faults
		ex.Items[5].Materials[1].Name = ""
		var xl bytes.Buffer
		ex.WriteXLSX(&xl)
		back, loc, err := catalog.ReadXLSX(&xl)
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Import(ctx, admin, back, true, loc)
		e := apperr.As(err)
		if e.Code != apperr.Invalid || len(e.Details) != 2 {
			t.Fatalf("want 2 faults, got %v", err)
		}
		if w := e.Details[0].Args["where"]; w != "事项!M5" {
			t.Errorf("limit fault at %v, want 事项!M5", w)
		}
		if w, _ := e.Details[1].Args["where"].(string); !strings.HasPrefix(w, "申请材料!C") {
			t.Errorf("material fault at %v", w)
		}
		if v, _ := c.Published(ctx, ex.Items[0].ImplCode, 0); v.Item.Name == "已修改的名称" || v.Version != 1 {
			t.Errorf("the valid change of a rejected import landed: %+v", v)
		}
		if _, err := catalog.ReadJSON(strings.NewReader(`{"format":"tongban-catalog/1","items":[{"nmae":"x"}]}`)); !apperr.Is(err, apperr.Invalid, "catalog.import_json") {
			t.Errorf("misspelt field: %v", err)
		}
	})
}
