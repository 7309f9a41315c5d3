package demo

import (
	"context"
	"fmt"

	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/site"
)

// The demo is built as a county builds its installation (issue 15): `tongban
// setup` (site.Run), then the organisation exchange document imported by
// the administrator (catalog.ImportOrganisation, as POST
// /api/v1/admin/organisation/import does), then the staff created by the
// administrator (identity.CreateStaffAccount, as POST /api/v1/admin/staff
// does), then the catalog import. Nothing here writes a table itself.

// Site is the demo installation's identity, as `tongban setup` asks it.
// The phone numbers are illustrative (023-72 is Fuling's exchange; 12345 is
// the real government service hotline), the mailbox is the example
// domain's; no ICP or 公安 filing number is made up (a real site's would
// be someone's): the administrator enters them on /admin/site.
var Site = site.Info{
	Region:        Region,
	CentreName:    "重庆市涪陵区行政服务中心",
	CentreAddress: "重庆市涪陵区",
	CentrePhone:   "023-72225100、12345",
	HostOrg:       "重庆市涪陵区政务服务管理办公室",
	Organizer:     "重庆市涪陵区大数据应用发展管理局",
	Contact:       "zwfw@fuling.example.cn（工作日 9:00–17:30）",
}

// AdminName is the display name of the demo's installation administrator,
// "admin", whom setup creates.
const AdminName = "周强"

// setup runs `tongban setup` for the demo on a database never set up: the
// root region 涪陵区 with its division tree, the centre's identity, and the
// installation administrator "admin" with the demo's password and its
// published second factor (identity.DemoTOTPSecret). A database set up
// already (a re-run), or seeded before the demo was built through setup
// (it has its administrators), is left as it is.
// It reports whether it set the database up (then nothing else exists yet).
func setup(ctx context.Context, d *db.DB, ids *identity.Service) (bool, error) {
	info, admins, err := site.State(ctx, d, ids)
	if err != nil {
		return false, err
	}
	if info.Region != "" || admins > 0 {
		return false, nil
	}
	_, err = site.Run(ctx, d, ids, &site.Setup{Info: Site, AdminUsername: "admin", AdminName: AdminName,
		AdminPassword: identity.DemoPassword, TOTPSecret: identity.DemoTOTPSecret, Demo: true})
	return err == nil, err
}

// departmentKind is the 部门类型 of each district department.
var departmentKind = map[string]string{
	"psb": "vertical", "tax": "vertical", "dpf": "other", "gjj": "other",
}

// districtWindows are the windows of the district's centre: a 综合窗口 for
// the departments whose items it takes in (一窗受理), the 专项窗口 of the
// bureaus that keep their own, 帮办代办 and 老年人绿色通道.
var districtWindows = []struct {
	number, name, kind string
	depts              []string
}{
	{"1", "综合窗口（一窗受理）", "comprehensive", []string{"amr", "hrss", "mz", "wjw", "yb", "zjw", "gtj", "lyj", "dpf", "gjj"}},
	{"2", "综合窗口（一窗受理）", "comprehensive", []string{"amr", "hrss", "mz", "wjw", "yb", "zjw", "gtj", "lyj", "dpf", "gjj"}},
	{"3", "公安专项窗口", "special", []string{"psb"}},
	{"4", "税务专项窗口", "special", []string{"tax"}},
	{"5", "帮办代办窗口", "assisted", []string{"gov"}},
	{"6", "老年人绿色通道", "elderly", []string{"mz", "hrss", "yb"}},
}

// hours are the opening hours of the demo's halls: working days, morning
// and afternoon (the items' guides say the same).
func hours() []catalog.Opening {
	days := []int{1, 2, 3, 4, 5}
	return []catalog.Opening{{Days: days, From: "09:00", To: "12:00"}, {Days: days, From: "14:00", To: "17:30"}}
}

// townGovernmentCode is the demo credit code of the government of the
// i-th township (from 1, in code order) of the district.
func townGovernmentCode(i int) (string, error) {
	return codes.CompleteCreditCode(fmt.Sprintf("11500102MB1T%04d", i))
}

// Organisation is the demo's organisation as an exchange document
// (tongban-organisation/1), built from the division tree setup loaded:
// the district departments, a government for each of the 27 townships
// (街道 are run by an office of the district government; 镇 and 乡 by their
// own), a hall for the district, every township and every village, and the
// windows of the district's centre and of every township's centre.
func Organisation(ctx context.Context, cat *catalog.Catalog) (*catalog.OrgExchange, error) {
	ex := &catalog.OrgExchange{Format: catalog.OrgFormat}
	credit := map[string]string{}
	for _, dp := range departments {
		code, err := codes.CompleteCreditCode(dp.prefix16)
		if err != nil {
			return nil, err
		}
		credit[dp.key] = code
		kind := departmentKind[dp.key]
		if kind == "" {
			kind = "government"
		}
		ex.Departments = append(ex.Departments, catalog.OrgDepartment{CreditCode: code, Name: dp.name, NameEN: dp.nameEN,
			RegionCode: Region, Kind: kind, Phone: deptPhone[dp.key], Active: true})
	}
	county, towns, err := cat.Children(ctx, Region)
	if err != nil {
		return nil, err
	}
	ex.Halls = append(ex.Halls, catalog.OrgHall{RegionCode: Region, Name: catalog.HallName(*county), Phone: deptPhone["gov"], Hours: hours(), Active: true})
	for _, w := range districtWindows {
		ow := catalog.OrgWindow{Hall: Region, Number: w.number, Name: w.name, Kind: w.kind, Items: []string{}, Active: true}
		for _, k := range w.depts {
			ow.Departments = append(ow.Departments, credit[k])
		}
		ex.Windows = append(ex.Windows, ow)
	}
	for i, tw := range towns {
		name, kind := "重庆市涪陵区"+tw.Name+"人民政府", "township"
		if tw.Kind == "subdistrict" {
			name, kind = "重庆市涪陵区人民政府"+tw.Name+"办事处", "subdistrict"
		}
		code, err := townGovernmentCode(i + 1)
		if err != nil {
			return nil, err
		}
		phone := "023-7270" + tw.Code[7:9] + "00"
		ex.Departments = append(ex.Departments, catalog.OrgDepartment{CreditCode: code, Name: name, RegionCode: tw.Code, Kind: kind, Phone: phone, Active: true})
		ex.Halls = append(ex.Halls, catalog.OrgHall{RegionCode: tw.Code, Name: catalog.HallName(tw), Phone: phone, Hours: hours(), Active: true})
		ex.Windows = append(ex.Windows,
			catalog.OrgWindow{Hall: tw.Code, Number: "1", Name: "综合窗口", Kind: "comprehensive", Items: []string{}, Departments: []string{code}, Active: true},
			catalog.OrgWindow{Hall: tw.Code, Number: "2", Name: "帮办代办窗口", Kind: "assisted", Items: []string{}, Departments: []string{code}, Active: true})
		_, villages, err := cat.Children(ctx, tw.Code)
		if err != nil {
			return nil, err
		}
		for _, v := range villages {
			ex.Halls = append(ex.Halls, catalog.OrgHall{RegionCode: v.Code, Name: catalog.HallName(v), Hours: hours(), Active: true})
		}
	}
	return ex, nil
}

// importOrganisation imports, as the administrator, what of the demo's
// organisation is missing: departments by credit code, halls by division,
// windows by hall and number. What exists stays as an administrator left
// it (the import would replace it). fresh: the database was set up just
// now, so all of it is missing.
func importOrganisation(ctx context.Context, cat *catalog.Catalog, admin *identity.User, fresh bool) error {
	ex, err := Organisation(ctx, cat)
	if err != nil {
		return err
	}
	if fresh {
		_, err = cat.ImportOrganisation(ctx, admin, ex, nil)
		return err
	}
	have, err := cat.ExportOrganisation(ctx, admin)
	if err != nil {
		return err
	}
	depts, halls, windows := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, d := range have.Departments {
		depts[d.CreditCode] = true
	}
	for _, h := range have.Halls {
		halls[h.RegionCode] = true
	}
	for _, w := range have.Windows {
		windows[w.Hall+"/"+w.Number] = true
	}
	missing := &catalog.OrgExchange{Format: ex.Format}
	for _, d := range ex.Departments {
		if !depts[d.CreditCode] {
			missing.Departments = append(missing.Departments, d)
		}
	}
	for _, h := range ex.Halls {
		if !halls[h.RegionCode] {
			missing.Halls = append(missing.Halls, h)
		}
	}
	for _, w := range ex.Windows {
		if !windows[w.Hall+"/"+w.Number] {
			missing.Windows = append(missing.Windows, w)
		}
	}
	if len(missing.Departments)+len(missing.Halls)+len(missing.Windows) == 0 {
		return nil
	}
	_, err = cat.ImportOrganisation(ctx, admin, missing, nil)
	return err
}
