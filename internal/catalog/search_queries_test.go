package catalog_test

import (
	"bufio"
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
)

// TestEverydayQueries runs the everyday query set (testdata/
// search_queries.tsv) over the demo catalog: every item or bundle a query
// names must be found (recall ≥ 95 %), and the first result — the first
// bundle when bundles are found, else the first item — must be one of them
// for ≥ 80 % of the queries. Both figures are printed.
func TestEverydayQueries(t *testing.T) {
	f, err := os.Open("testdata/search_queries.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type query struct {
		q       string
		targets []string
	}
	var set []query
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		q, ts, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("bad line %q", line)
		}
		set = append(set, query{q, strings.Split(ts, "|")})
	}
	if len(set) < 60 {
		t.Fatalf("%d queries, want at least 60", len(set))
	}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c, _ := seeded(t, d)
		ctx := context.Background()
		wanted, found, first := 0, 0, 0
		for _, q := range set {
			res, err := c.Search(ctx, catalog.Query{Q: q.q, PerPage: 50})
			if err != nil {
				t.Fatalf("%s: %v", q.q, err)
			}
			var names []string
			for _, b := range res.Bundles {
				names = append(names, b.Name)
			}
			for _, it := range res.Items {
				names = append(names, it.Name)
			}
			missing := []string{}
			for _, target := range q.targets {
				wanted++
				if slices.Contains(names, target) {
					found++
				} else {
					missing = append(missing, target)
				}
			}
			top := ""
			if len(names) > 0 {
				top = names[0]
			}
			if slices.Contains(q.targets, top) {
				first++
			} else {
				t.Logf("%s: first %q, want one of %v", q.q, top, q.targets)
			}
			if len(missing) > 0 {
				t.Logf("%s: missing %v (found %d: %v)", q.q, missing, res.Total, names[:min(5, len(names))])
			}
		}
		recall := float64(found) / float64(wanted)
		precisionAt1 := float64(first) / float64(len(set))
		t.Logf("%d queries: recall %.1f %% (%d of %d), right first %.1f %% (%d)", len(set), 100*recall, found, wanted, 100*precisionAt1, first)
		if recall < 0.95 || precisionAt1 < 0.80 {
			t.Errorf("recall %.1f %% (want ≥ 95 %%), right first %.1f %% (want ≥ 80 %%)", 100*recall, 100*precisionAt1)
		}
	})
}
