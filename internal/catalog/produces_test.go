package catalog_test

import (
	"testing"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/catalog"
)

// producesItems: a registration yielding a licence, then two items that
// ask for its credit code and licence (as 企业开办一件事's do).
func producesItems() []*catalog.Item {
	reg := &catalog.Item{ImplCode: "reg", Name: "设立登记", Result: catalog.Result{Name: "营业执照", Kind: "licence", LicenceType: "1100"},
		Form: []catalog.Field{{Key: "org_name", Type: "text"}, {Key: "legal_rep", Type: "text"}, {Key: "scope", Type: "text"}}}
	seal := &catalog.Item{ImplCode: "seal", Name: "公章刻制备案",
		Form:      []catalog.Field{{Key: "org_name", Type: "text"}, {Key: "org_credit_code", Type: "creditcode"}, {Key: "scope", Type: "text"}},
		Materials: []catalog.Material{{Key: "business_licence", Name: "营业执照", LicenceType: "1100"}, {Key: "pattern", Name: "印模"}}}
	tax := &catalog.Item{ImplCode: "tax", Name: "涉税事项确认",
		Form:      []catalog.Field{{Key: "org_credit_code", Type: "creditcode"}},
		Materials: []catalog.Material{{Key: "business_licence", Name: "营业执照", LicenceType: "1100"}}}
	return []*catalog.Item{reg, seal, tax}
}

func TestCheckProduces(t *testing.T) {
	good := func() *catalog.Produces {
		return &catalog.Produces{Item: "reg", NameField: "org_name", RepField: "legal_rep", Fields: []string{"org_credit_code"}, Materials: []string{"business_licence"}}
	}
	for _, tt := range []struct {
		name   string
		change func(p *catalog.Produces, items []*catalog.Item)
		want   string // the first fault's key, "" for none
	}{
		{"the demo's declaration", func(*catalog.Produces, []*catalog.Item) {}, ""},
		{"only the code", func(p *catalog.Produces, _ []*catalog.Item) { p.Materials = nil }, ""},
		{"an item not in the bundle", func(p *catalog.Produces, _ []*catalog.Item) { p.Item = "other" }, "catalog.produces_item"},
		{"the last item", func(p *catalog.Produces, _ []*catalog.Item) { p.Item = "tax" }, "catalog.produces_item"},
		{"a result that is no licence", func(_ *catalog.Produces, it []*catalog.Item) { it[0].Result.LicenceType = "" }, "catalog.produces_no_licence"},
		{"no such name field", func(p *catalog.Produces, _ []*catalog.Item) { p.NameField = "company" }, "catalog.produces_field"},
		{"no such rep field", func(p *catalog.Produces, _ []*catalog.Item) { p.RepField = "boss" }, "catalog.produces_field"},
		{"a field the producer asks too", func(p *catalog.Produces, _ []*catalog.Item) { p.Fields = []string{"scope"} }, "catalog.produces_asked_before"},
		{"a field that is no credit code", func(p *catalog.Produces, _ []*catalog.Item) { p.Fields = []string{"org_name"} }, "catalog.produces_asked_before"},
		{"a later text field", func(p *catalog.Produces, it []*catalog.Item) {
			it[2].Form = append(it[2].Form, catalog.Field{Key: "seal_kind", Type: "text"})
			p.Fields = []string{"seal_kind"}
		}, "catalog.produces_not_code"},
		{"a field nobody asks", func(p *catalog.Produces, _ []*catalog.Item) { p.Fields = []string{"nothing"} }, "catalog.produces_unused"},
		{"a material that is not the licence", func(p *catalog.Produces, _ []*catalog.Item) { p.Materials = []string{"pattern"} }, "catalog.produces_not_licence"},
		{"a material nobody asks", func(p *catalog.Produces, _ []*catalog.Item) { p.Materials = []string{"nothing"} }, "catalog.produces_unused"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, items := good(), producesItems()
			tt.change(p, items)
			err := catalog.CheckProduces(p, items)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			d := apperr.As(err).Details
			if len(d) == 0 || !apperr.Is(d[0].Args["reason"].(error), apperr.Invalid, tt.want) {
				t.Fatalf("got %v, want %s", err, tt.want)
			}
		})
	}
}

func TestValidateBundleProduces(t *testing.T) {
	base := catalog.Bundle{Code: "kb", Name: "开办", Subject: catalog.SubjectLegal, Items: []string{"reg", "seal", "tax"}}
	for _, tt := range []struct {
		name string
		p    catalog.Produces
		want string
	}{
		{"complete", catalog.Produces{Item: "reg", NameField: "org_name", RepField: "legal_rep", Fields: []string{"org_credit_code"}}, ""},
		{"not an item of it", catalog.Produces{Item: "x", NameField: "a", RepField: "b", Fields: []string{"c"}}, "catalog.produces_item"},
		{"the last item", catalog.Produces{Item: "tax", NameField: "a", RepField: "b", Fields: []string{"c"}}, "catalog.produces_last"},
		{"no name field", catalog.Produces{Item: "reg", RepField: "b", Fields: []string{"c"}}, "catalog.required"},
		{"nothing passed on", catalog.Produces{Item: "reg", NameField: "a", RepField: "b"}, "catalog.produces_nothing"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := base
			b.Produces = &tt.p
			err := catalog.ValidateBundle(&b)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			d := apperr.As(err).Details
			if len(d) != 1 || !apperr.Is(d[0].Args["reason"].(error), apperr.Invalid, tt.want) {
				t.Fatalf("got %v, want %s", err, tt.want)
			}
		})
	}
	// The workbook's and console's JSON: unknown keys and trailing text are refused.
	for _, s := range []string{`{"item":"reg","extra":1}`, `{"item":"reg"} {}`, `not json`} {
		if _, err := catalog.ParseProduces(s); !apperr.Is(err, apperr.Invalid, "catalog.cell_produces") {
			t.Errorf("%s: %v", s, err)
		}
	}
}
