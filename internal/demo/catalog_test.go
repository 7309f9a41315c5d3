package demo

import (
	"testing"

	"github.com/tongban/tongban/internal/catalog"
)

// The demo catalog must meet what the catalog issue asks of it: at least 40
// valid items across at least 10 departments at district, town and village
// level (the town level's by adoption of the items the district offers the
// townships: Seed), the two bundles, and situations that really change
// material lists.
func TestDemoCatalog(t *testing.T) {
	ex, err := DemoCatalog()
	if err != nil {
		t.Fatal(err)
	}
	if len(ex.Items) < 40 {
		t.Fatalf("%d items, want ≥ 40", len(ex.Items))
	}
	depts, levels, withSituations := map[string]bool{}, map[int]int{}, 0
	for _, it := range ex.Items {
		for _, l := range it.OfferedLevels {
			levels[l]++
		}
		if err := catalog.Validate(it); err != nil {
			t.Errorf("%s: %v", it.Name, err)
		}
		depts[it.Department] = true
		levels[it.Level]++
		if it.Situations != nil {
			withSituations++
			all := it.Select(nil)
			// Some answer must narrow the list.
			narrowed := false
			for _, q := range it.Situations.Questions {
				for _, o := range q.Options {
					if s := it.Select(map[string]string{q.Key: o.Value}); len(s.Materials) < len(all.Materials) {
						narrowed = true
					}
				}
			}
			if !narrowed {
				t.Errorf("%s: no answer changes the material list", it.Name)
			}
		}
	}
	if len(depts) < 10 {
		t.Errorf("%d departments, want ≥ 10", len(depts))
	}
	for _, l := range []int{4, 5, 6} {
		if levels[l] == 0 {
			t.Errorf("no item at level %d", l)
		}
	}
	if withSituations < 10 {
		t.Errorf("%d items with situations, want ≥ 10", withSituations)
	}
	if len(ex.Bundles) != 3 {
		t.Fatalf("bundles: %v", ex.Bundles)
	}
	for _, b := range ex.Bundles {
		if err := catalog.ValidateBundle(&b); err != nil {
			t.Errorf("%s: %v", b.Name, err)
		}
	}
}
