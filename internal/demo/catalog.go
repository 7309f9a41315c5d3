package demo

import (
	"context"
	"fmt"

	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/identity"
)

// bundleSpecs are the demo's 一件事 (R1.4), by item basic-code parts.
var bundleSpecs = []struct {
	b     catalog.Bundle
	items []string // dept key + main code
	// produces: the item (dept key + main code) whose results the later
	// items take (结果实时共享), and what they take.
	produces *catalog.Produces
}{
	{catalog.Bundle{Code: "qykb", Name: "企业开办一件事", NameEN: "Starting a business", Subject: catalog.SubjectLegal, LifeEvent: "start", Published: true, Frequency: 3000,
		Summary: "营业执照、公章刻制、涉税事项确认与发票申领、单位社保登记一次申请、并联办理、一次领取。营业执照和统一社会信用代码办结后实时共享给其他事项，无需另行提交。"},
		[]string{"amr/00102", "psb/00201", "tax/01002", "tax/01001", "hrss/00302"},
		&catalog.Produces{Item: "amr/00102", NameField: "org_name", RepField: "legal_rep", Fields: []string{"org_credit_code"}, Materials: []string{"business_licence"}}},
	{catalog.Bundle{Code: "xsecs", Name: "新生儿出生一件事", NameEN: "Birth of a child", Subject: catalog.SubjectPersonal, LifeEvent: "birth", Published: true, Frequency: 2400,
		Summary: "出生医学证明、户口登记、城乡居民医保参保、社会保障卡申领一表申请、一次办好。"},
		[]string{"wjw/00501", "psb/00202", "yb/00601", "hrss/00303"}, nil},
	{catalog.Bundle{Code: "shyjs", Name: "身后一件事", NameEN: "After a death in the family", Subject: catalog.SubjectPersonal, LifeEvent: "death", Published: true, Frequency: 900,
		Summary: "死亡医学证明、户口注销、殡葬补贴、养老保险丧葬补助金一次申请、信息共享、不再重复提交死亡证明。"},
		[]string{"wjw/00505", "psb/00206", "mz/00405", "hrss/00307"}, nil},
}

// DemoCatalog builds the demo catalog as an exchange document: the items of
// 涪陵区 and its bundles.
func DemoCatalog() (*catalog.Exchange, error) {
	credit := map[string]string{}
	for _, d := range departments {
		c, err := codes.CompleteCreditCode(d.prefix16)
		if err != nil {
			return nil, err
		}
		credit[d.key] = c
	}
	ex := &catalog.Exchange{Format: catalog.ExchangeFormat}
	impl := map[string]string{}
	for _, s := range demoSpecs() {
		it, err := s.item(credit)
		if err != nil {
			return nil, fmt.Errorf("demo item %s: %w", s.name, err)
		}
		ex.Items = append(ex.Items, it)
		if _, town := townIndex[s.dept]; !town {
			impl[s.dept+"/"+s.main] = it.ImplCode
		}
	}
	for _, bs := range bundleSpecs {
		b := bs.b
		for _, k := range bs.items {
			code, ok := impl[k]
			if !ok {
				return nil, fmt.Errorf("demo bundle %s: no item %s", b.Code, k)
			}
			b.Items = append(b.Items, code)
		}
		if p := bs.produces; p != nil {
			cp := *p
			if cp.Item = impl[p.Item]; cp.Item == "" {
				return nil, fmt.Errorf("demo bundle %s: no item %s", b.Code, p.Item)
			}
			b.Produces = &cp
		}
		ex.Bundles = append(ex.Bundles, b)
	}
	return ex, nil
}

// seedCatalog imports the demo catalog items and bundles that are not there
// yet, published, as the demo administrator. Items already present are left
// alone: an administrator's edits survive a restart of the demo.
func seedCatalog(ctx context.Context, cat *catalog.Catalog, admin *identity.User) error {
	ex, err := DemoCatalog()
	if err != nil {
		return err
	}
	missing := &catalog.Exchange{Format: ex.Format}
	for _, it := range ex.Items {
		if ok, err := cat.Exists(ctx, it.ImplCode); err != nil {
			return err
		} else if !ok {
			missing.Items = append(missing.Items, it)
		}
	}
	have, err := cat.Bundles(ctx, true)
	if err != nil {
		return err
	}
	known := map[string]bool{}
	for _, b := range have {
		known[b.Code] = true
	}
	for _, b := range ex.Bundles {
		if !known[b.Code] {
			missing.Bundles = append(missing.Bundles, b)
		}
	}
	if len(missing.Items) == 0 && len(missing.Bundles) == 0 {
		return nil
	}
	_, err = cat.Import(ctx, admin, missing, true, nil)
	return err
}

// adoptTownItems has the governments of the adopting towns adopt (认领),
// through catalog.Adopt as the administrator, every item the district
// offers them, handled at the town's centre and taken in at its window 1
// (its 综合窗口). An adoption made before is left as it is, withdrawn or
// changed (its code exists): re-running never undoes an administrator's
// work.
func adoptTownItems(ctx context.Context, cat *catalog.Catalog, admin *identity.User) error {
	credit := map[string]string{}
	for _, d := range departments {
		c, err := codes.CompleteCreditCode(d.prefix16)
		if err != nil {
			return err
		}
		credit[d.key] = c
	}
	for _, town := range adoptingTowns {
		gov, err := townGovernmentCode(townIndex[town])
		if err != nil {
			return err
		}
		ds, err := cat.Departments(ctx, town)
		if err != nil {
			return err
		}
		var deptID string
		for _, d := range ds {
			if d.CreditCode == gov {
				deptID = d.ID
			}
		}
		halls, err := cat.Halls(ctx, town)
		if err != nil {
			return err
		}
		var hallID string
		for _, h := range halls {
			if h.RegionCode == town {
				hallID = h.ID
			}
		}
		if deptID == "" || hallID == "" {
			return fmt.Errorf("%s: no government or no hall", town)
		}
		var windows []string
		ws, err := cat.Windows(ctx, admin, hallID)
		if err != nil {
			return err
		}
		for _, w := range ws {
			if w.Number == "1" && w.Active {
				windows = append(windows, w.ID)
			}
		}
		for _, s := range offeredSpecs() {
			src, err := s.item(credit)
			if err != nil {
				return err
			}
			own, err := catalog.AdoptedImplCode(gov, catalog.ExercisingLevel(4), src.BasicCode)
			if err != nil {
				return err
			}
			if ok, err := cat.Exists(ctx, own); err != nil {
				return err
			} else if ok {
				continue
			}
			if _, err := cat.Adopt(ctx, admin, catalog.AdoptInput{Source: src.ImplCode, DepartmentID: deptID, HallID: hallID, Windows: windows}); err != nil {
				return fmt.Errorf("%s adopting %s: %w", town, src.Name, err)
			}
		}
	}
	return nil
}
