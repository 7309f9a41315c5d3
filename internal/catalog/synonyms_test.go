package catalog_test

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/demo"
	"github.com/tongban/tongban/internal/identity"
)

func names(res catalog.Results) []string {
	var out []string
	for _, it := range res.Items {
		out = append(out, it.Name)
	}
	return out
}

// Synonyms are the installation administrators' data: stored over the
// shipped set, applied to search at once, audited, refused to a town's
// administrator, exported and imported with the catalog.
func TestSynonymsAdministered(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c, admin := seeded(t, d)
		c.Home = demo.Region
		ctx := context.Background()
		search := func(q string) catalog.Results {
			t.Helper()
			return must(c.Search(ctx, catalog.Query{Q: q, PerPage: 50}))
		}
		town := &identity.User{ID: admin.ID, Grants: []identity.Grant{{Role: identity.RoleAdmin, RegionCode: "500102103000"}}}
		if err := c.SaveSynonym(ctx, town, catalog.Synonym{Term: "娃儿", Expansions: []string{"新生儿"}}); !apperr.Is(err, apperr.Forbidden, "catalog.synonym_installation_only") {
			t.Fatalf("a town's administrator: %v", err)
		}
		if list, err := c.Synonyms(ctx, town); err != nil || len(list) < 100 {
			t.Fatalf("a town's administrator reads them: %d %v", len(list), err)
		}
		if _, err := c.Synonyms(ctx, &identity.User{ID: "x", Grants: []identity.Grant{{Role: identity.RoleClerk, RegionCode: demo.Region}}}); !apperr.Is(err, apperr.Forbidden, "error.forbidden") {
			t.Fatalf("a clerk: %v", err)
		}
		// A dialect word (重庆话 娃儿) finds nothing until it is added.
		if res := search("娃儿"); res.Total != 0 {
			t.Fatalf("before: %v", names(res))
		}
		if err := c.SaveSynonym(ctx, admin, catalog.Synonym{Term: " 娃儿 ", Expansions: []string{"新生儿", " ", "新生儿", "出生"}}); err != nil {
			t.Fatal(err)
		}
		if res := search("娃儿"); !slices.Contains(names(res), "出生登记") || !slices.Contains(names(res), "出生医学证明首次签发") {
			t.Fatalf("after: %v", names(res))
		}
		// A shipped term turned off, then restored.
		if res := search("房本"); res.Total == 0 {
			t.Fatal("房本 (shipped) finds nothing")
		}
		if err := c.SaveSynonym(ctx, admin, catalog.Synonym{Term: "房本"}); err != nil {
			t.Fatal(err)
		}
		if res := search("房本"); res.Total != 0 {
			t.Fatalf("房本 turned off: %v", names(res))
		}
		list := must(c.Synonyms(ctx, admin))
		source := map[string]string{}
		for _, e := range list {
			source[e.Term] = e.Source
			if e.Term == "娃儿" && !slices.Equal(e.Expansions, []string{"新生儿", "出生"}) {
				t.Errorf("stored tidied: %+v", e)
			}
		}
		if source["娃儿"] != "custom" || source["房本"] != "off" || source["社保卡"] != "default" {
			t.Errorf("sources: 娃儿 %s, 房本 %s, 社保卡 %s", source["娃儿"], source["房本"], source["社保卡"])
		}
		// The export carries the stored entries; a re-import changes nothing
		// and needs no right over them; a changed one does.
		ex := must(c.Export(ctx, ""))
		if len(ex.Synonyms) != 2 {
			t.Fatalf("exported synonyms: %+v", ex.Synonyms)
		}
		var xl bytes.Buffer
		if err := ex.WriteXLSX(&xl); err != nil {
			t.Fatal(err)
		}
		back, _, err := catalog.ReadXLSX(bytes.NewReader(xl.Bytes()))
		if err != nil || len(back.Synonyms) != 2 {
			t.Fatalf("xlsx: %+v %v", back, err)
		}
		if rep, err := c.Import(ctx, admin, back, true, nil); err != nil || rep.Synonyms != 0 {
			t.Fatalf("re-import: %+v %v", rep, err)
		}
		only := &catalog.Exchange{Format: catalog.ExchangeFormat, Synonyms: []catalog.Synonym{{Term: "房本", Expansions: []string{"不动产权证书"}}}}
		if _, err := c.Import(ctx, town, only, true, nil); !apperr.Is(err, apperr.Forbidden, "catalog.synonym_installation_only") {
			t.Fatalf("a town's administrator importing a change: %v", err)
		}
		if rep, err := c.Import(ctx, admin, only, true, nil); err != nil || rep.Synonyms != 1 || search("房本").Total == 0 {
			t.Fatalf("import: %+v %v", rep, err)
		}
		bad := &catalog.Exchange{Format: catalog.ExchangeFormat, Synonyms: []catalog.Synonym{{Term: "！？", Expansions: []string{"x"}}, {Term: "房本"}, {Term: "房本"}}}
		if _, err := c.Import(ctx, admin, bad, true, nil); !apperr.Is(err, apperr.Invalid, "catalog.import_rejected") || len(apperr.As(err).Details) != 2 {
			t.Fatalf("bad import: %v", err)
		}
		// Restoring the shipped term; deleting what is not stored.
		if err := c.DeleteSynonym(ctx, admin, "房本"); err != nil {
			t.Fatal(err)
		}
		if err := c.DeleteSynonym(ctx, admin, "房本"); !apperr.Is(err, apperr.NotFound, "catalog.synonym_unknown") {
			t.Fatalf("deleting twice: %v", err)
		}
		var audited int
		if err := d.Reader().QueryRow(`SELECT (SELECT COUNT(*) FROM audit_pending WHERE action LIKE 'synonym.%') + (SELECT COUNT(*) FROM audit_records WHERE action LIKE 'synonym.%')`).Scan(&audited); err != nil || audited != 4 {
			t.Errorf("audited %d synonym changes, want 4: %v", audited, err) // 娃儿, 房本 off, 房本 imported, 房本 deleted
		}
	})
}

// Bad entries are refused with the bound they break.
func TestCheckSynonym(t *testing.T) {
	for _, tc := range []struct {
		s   catalog.Synonym
		key string
	}{
		{catalog.Synonym{Term: "  "}, "catalog.synonym_term"},
		{catalog.Synonym{Term: "。，"}, "catalog.synonym_term"},
		{catalog.Synonym{Term: strings.Repeat("长", 21)}, "catalog.synonym_term_long"},
		{catalog.Synonym{Term: "a", Expansions: []string{strings.Repeat("长", 41)}}, "catalog.synonym_expansion_long"},
		{catalog.Synonym{Term: "a", Expansions: strings.Split("一 二 三 四 五 六 七 八 九", " ")}, "catalog.synonym_expansions"},
		{catalog.Synonym{Term: "生娃", Expansions: []string{"出生", "出生", " "}}, ""},
	} {
		err := catalog.CheckSynonym(&tc.s)
		if tc.key == "" && err != nil || tc.key != "" && !apperr.Is(err, apperr.Invalid, tc.key) {
			t.Errorf("%+v: %v, want %q", tc.s, err, tc.key)
		}
	}
}

// Bundles and life events are found with items; the region facet counts
// the query's items only.
func TestSearchFindsBundlesAndCountsRegions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c, _ := seeded(t, d)
		ctx := context.Background()
		res := must(c.Search(ctx, catalog.Query{Q: "出生"}))
		if len(res.Bundles) == 0 || res.Bundles[0].Code != "xsecs" || !slices.Contains(res.LifeEvents, "birth") {
			t.Errorf("出生: bundles %+v, events %v", res.Bundles, res.LifeEvents)
		}
		if res := must(c.Search(ctx, catalog.Query{Q: "身后"})); len(res.Bundles) != 1 || res.Bundles[0].Code != "shyjs" || res.Total < 4 {
			t.Errorf("身后: %+v, %d items", res.Bundles, res.Total)
		}
		// Legal persons' portal: no personal bundle; page 2: none.
		if res := must(c.Search(ctx, catalog.Query{Q: "出生", Subject: "legal"})); len(res.Bundles) != 0 || len(res.LifeEvents) != 0 {
			t.Errorf("出生 for legal persons: %+v %v", res.Bundles, res.LifeEvents)
		}
		if res := must(c.Search(ctx, catalog.Query{Q: "出生", Page: 2, PerPage: 1})); len(res.Bundles) != 0 {
			t.Errorf("page 2: %+v", res.Bundles)
		}
		// An item's own name finds it first, bundles or not.
		if res := must(c.Search(ctx, catalog.Query{Q: "出生医学证明"})); len(res.Bundles) != 0 || res.Items[0].Name != "出生医学证明首次签发" {
			t.Errorf("出生医学证明: %+v %v", res.Bundles, names(res))
		}
		all := must(c.ItemRegions(ctx, demo.Region, catalog.Query{}))
		some := must(c.ItemRegions(ctx, demo.Region, catalog.Query{Q: "宅基地"}))
		total := func(rs []catalog.RegionCount) (n int) {
			for _, r := range rs {
				n += r.Items
			}
			return n
		}
		res = must(c.Search(ctx, catalog.Query{Q: "宅基地"}))
		if total(some) != res.Total || total(all) <= total(some) || len(some) != 4 { // the district's item and three towns' adoptions
			t.Errorf("region counts: all %d, 宅基地 %d in %d divisions (search %d)", total(all), total(some), len(some), res.Total)
		}
		// The facet ignores its own region filter: every division stays to choose.
		if again := must(c.ItemRegions(ctx, demo.Region, catalog.Query{Q: "宅基地", Region: "500102103000"})); total(again) != total(some) {
			t.Errorf("with a region chosen: %v", again)
		}
	})
}
