package catalog_test

import (
	"bytes"
	"slices"
	"testing"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/dbtest"
)

// 自助办理: only an 即办件 whose required materials a licence supplies
// (a kiosk takes no upload) may be marked self-service; the mark survives
// the xlsx exchange.
func TestSelfServiceRules(t *testing.T) {
	c, _ := seeded(t, dbtest.SQLite(t))
	base := *findItem(t, c, "就业创业证申领").Item // 即办件, its one material a licence (居民身份证)
	upload := catalog.Material{Key: "photo", Name: "照片", Required: true, Electronic: true}
	for _, tc := range []struct {
		name   string
		edit   func(it *catalog.Item)
		faults []string // field=key
	}{
		{"not marked", func(it *catalog.Item) { it.Handling, it.PromisedLimit = 2, "5" }, nil},
		{"an 即办件", func(it *catalog.Item) { it.SelfService = true }, nil},
		{"a 承诺件", func(it *catalog.Item) { it.SelfService, it.Handling, it.PromisedLimit = true, 2, "5" }, []string{"self_service=catalog.self_service_instant"}},
		{"an upload", func(it *catalog.Item) {
			it.SelfService, it.Materials = true, append(slices.Clone(it.Materials), upload)
		},
			[]string{"materials[1]=catalog.self_service_material"}},
		{"an optional upload", func(it *catalog.Item) {
			u := upload
			u.Required = false
			it.SelfService, it.Materials = true, append(slices.Clone(it.Materials), u)
		}, nil},
	} {
		it := base
		tc.edit(&it)
		err := catalog.Validate(&it)
		var got []string
		if e := apperr.As(err); e != nil {
			for _, d := range e.Details {
				got = append(got, d.Args["field"].(string)+"="+d.Args["reason"].(*apperr.Error).Key)
			}
		}
		if !slices.Equal(got, tc.faults) {
			t.Errorf("%s: faults %v, want %v", tc.name, got, tc.faults)
		}
	}
	// The workbook keeps the mark.
	it := base
	it.SelfService = true
	ex := &catalog.Exchange{Format: catalog.ExchangeFormat, Items: []*catalog.Item{&it}}
	var xl bytes.Buffer
	if err := ex.WriteXLSX(&xl); err != nil {
		t.Fatal(err)
	}
	back, _, err := catalog.ReadXLSX(bytes.NewReader(xl.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Items) != 1 || !back.Items[0].SelfService {
		t.Fatalf("xlsx lost 自助办理: %+v", back.Items)
	}
}
