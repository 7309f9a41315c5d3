// Package demo seeds the demo region, departments and accounts that
// `tongban demo` runs with. Seeding is idempotent: re-running keeps existing
// data and adds only what is missing.
package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/license"
)

// Region is the demo county: 重庆市涪陵区, the Fuling of the seeds.
const Region = "500102"

// Accounts lists the demo logins, in the order the CLI prints them.
var Accounts = []struct{ Username, Role string }{
	{"zhangsan", "natural person 自然人"},
	{"democorp", "enterprise 法人"},
	{"legalrep", "the enterprise's legal representative 法定代表人 (L2)"},
	{"jingban", "a person acting for the enterprise 企业经办人"},
	{"clerk", "window clerk 综合窗口"},
	{"handler", "handler 承办人"},
	{"reviewer", "reviewer 审核人"},
	{"approver", "approver 批准人"},
	{"supervisor", "supervisor 监察人员"},
	{"admin", "administrator 系统管理员"},
	{"agent", "village agent 代办员 (南沱镇)"},
	{"psb-officer", "public security: handler, reviewer, approver 公安分局承办/审核/批准"},
	{"tax-officer", "tax bureau: handler, reviewer, approver 税务局承办/审核/批准"},
	{"hrss-officer", "human resources and social security: handler, reviewer, approver 人社局承办/审核/批准"},
	{"mz-officer", "civil affairs: handler, reviewer, approver 民政局承办/审核/批准 (老年人优待证)"},
	{"dpf-officer", "disabled persons' federation: handler, reviewer, approver 残联承办/审核/批准 (残疾人证)"},
}

type department struct{ key, name, nameEN, prefix16 string }

// District departments. Organ codes: authority 1 (机构编制), kind 1 (机关),
// Fuling's division code, an 8-character body; the two check characters are
// computed.
var departments = []department{
	{"gov", "重庆市涪陵区政务服务管理办公室", "Fuling District Government Services Office", "11500102MB1C0001"},
	{"amr", "重庆市涪陵区市场监督管理局", "Fuling District Administration for Market Regulation", "11500102MB1C0002"},
	{"psb", "重庆市公安局涪陵区分局", "Fuling District Public Security Bureau", "11500102MB1C0003"},
	{"hrss", "重庆市涪陵区人力资源和社会保障局", "Fuling District Human Resources and Social Security Bureau", "11500102MB1C0004"},
	{"mz", "重庆市涪陵区民政局", "Fuling District Civil Affairs Bureau", "11500102MB1C0005"},
	{"wjw", "重庆市涪陵区卫生健康委员会", "Fuling District Health Commission", "11500102MB1C0006"},
	{"yb", "重庆市涪陵区医疗保障局", "Fuling District Healthcare Security Bureau", "11500102MB1C0007"},
	{"zjw", "重庆市涪陵区住房和城乡建设委员会", "Fuling District Housing and Urban-Rural Development Commission", "11500102MB1C0008"},
	{"gtj", "重庆市涪陵区规划和自然资源局", "Fuling District Planning and Natural Resources Bureau", "11500102MB1C0009"},
	{"lyj", "重庆市涪陵区林业局", "Fuling District Forestry Bureau", "11500102MB1C0010"},
	{"tax", "国家税务总局重庆市涪陵区税务局", "Fuling District Tax Bureau, State Taxation Administration", "11500102MB1C0011"},
	{"dpf", "重庆市涪陵区残疾人联合会", "Fuling District Disabled Persons' Federation", "11500102MB1C0012"},
	{"gjj", "重庆市住房公积金管理中心涪陵区分中心", "Fuling Branch, Chongqing Housing Provident Fund Management Centre", "12500102MB1C0013"},
}

// Seed creates whatever of the demo data is missing, through the services a
// real installation uses (organisation.go): setup (the division tree of
// 涪陵区 and the administrator "admin"), the organisation exchange imported
// by the administrator (the district departments, a government for every
// township, a hall for every county, township and village, their windows),
// the staff created by the administrator, the catalog imported by the
// administrator, the district's items offered to the townships adopted
// (认领) by three towns' governments (南沱镇, the demo agent's, among them),
// and the licence types. The applicants' accounts (张三 and
// the demo company) are made by identity.CreatePerson and
// CreateOrganisation: there is no registration service yet, and applicants
// are not what an installation administers. Re-running adds only what is
// missing and never resets a changed account or object.
func Seed(ctx context.Context, d *db.DB, ids *identity.Service) error {
	fresh, err := setup(ctx, d, ids)
	if err != nil {
		return fmt.Errorf("demo: setup: %w", err)
	}
	admin, err := ids.UserByUsername(ctx, "admin")
	if err != nil {
		return fmt.Errorf("demo: the administrator: %w", err)
	}
	cat := catalog.New(d)
	if err := importOrganisation(ctx, cat, admin, fresh); err != nil {
		return fmt.Errorf("demo: organisation: %w", err)
	}
	ds, err := cat.Departments(ctx, Region)
	if err != nil {
		return err
	}
	byCredit := map[string]string{}
	for _, dp := range ds {
		byCredit[dp.CreditCode] = dp.ID
	}
	dept := map[string]string{}
	for _, dp := range departments {
		code, err := codes.CompleteCreditCode(dp.prefix16)
		if err != nil {
			return err
		}
		if dept[dp.key] = byCredit[code]; dept[dp.key] == "" {
			return fmt.Errorf("demo: department %s is missing", dp.name)
		}
	}

	acct := func(name string) identity.Account {
		return identity.Account{Username: name, Password: identity.DemoPassword, Demo: true}
	}
	// 张三 lives in 南沱镇, the demo agent's town: the agent files for him
	// under his mandate (seedMandates).
	idNumber, err := citizenID("500102198506120" + "01") // 涪陵, born 1985-06-12, sequence 001 (male)
	if err != nil {
		return err
	}
	corpCode, err := codes.CompleteCreditCode("91500102MA5U7X2K")
	if err != nil {
		return err
	}
	// Staff are created by the administrator under the staff administration
	// rules (the grants a real administrator could give), with the demo's
	// password instead of a one-time one (identity.StaffInput.DemoAccount).
	staff := func(name, display string, grants ...identity.Grant) func() error {
		return func() error {
			_, _, err := ids.CreateStaffAccount(ctx, admin, Region, identity.StaffInput{Username: name, Name: display, Grants: grants, DemoAccount: true})
			return err
		}
	}
	creators := map[string]func() error{
		"zhangsan": func() error {
			// 张三 registered at the district's window: a clerk saw the ID card (L2).
			_, err := ids.CreatePerson(ctx, identity.NewPerson{Account: acct("zhangsan"), Name: "张三", IDNumber: idNumber, Region: "500102103000", Assurance: identity.AssuranceL2})
			return err
		},
		"democorp": func() error {
			_, err := ids.CreateOrganisation(ctx, identity.NewOrganisation{Account: acct("democorp"), Name: "重庆市涪陵区通办示范科技有限公司", CreditCode: corpCode, LegalRep: "王五"})
			return err
		},
		// The demo company's legal representative, seen at a window (L2),
		// and a person he authorises to act for it (经办人).
		"legalrep": func() error {
			n, err := citizenID("500102197803150" + "13") // born 1978-03-15, sequence 013 (male)
			if err != nil {
				return err
			}
			_, err = ids.CreatePerson(ctx, identity.NewPerson{Account: acct("legalrep"), Name: "王五", IDNumber: n, Region: "500102001000", Assurance: identity.AssuranceL2})
			return err
		},
		"jingban": func() error {
			n, err := citizenID(OperatorIDFirst17)
			if err != nil {
				return err
			}
			_, err = ids.CreatePerson(ctx, identity.NewPerson{Account: acct("jingban"), Name: "周芳", IDNumber: n, Region: "500102001000", Assurance: identity.AssuranceL2})
			return err
		},
		"clerk":      staff("clerk", "李敏", identity.Grant{Role: identity.RoleClerk, DepartmentID: dept["gov"], RegionCode: Region}),
		"handler":    staff("handler", "陈刚", identity.Grant{Role: identity.RoleHandler, DepartmentID: dept["amr"], RegionCode: Region}),
		"reviewer":   staff("reviewer", "刘洋", identity.Grant{Role: identity.RoleReviewer, DepartmentID: dept["amr"], RegionCode: Region}),
		"approver":   staff("approver", "赵静", identity.Grant{Role: identity.RoleApprover, DepartmentID: dept["amr"], RegionCode: Region}),
		"supervisor": staff("supervisor", "孙伟", identity.Grant{Role: identity.RoleSupervisor, DepartmentID: dept["gov"], RegionCode: Region}),
		// A village agent (全程代办) who files for the people of 南沱镇.
		"agent": staff("agent", "赵六", identity.Grant{Role: identity.RoleAgent, RegionCode: "500102103000"}),
		// One officer holding every back-office post of a department, so that
		// the sub-cases of the demo's 一件事 can be carried to the end.
		"psb-officer":  staff("psb-officer", "吴磊", officer(dept["psb"])...),
		"tax-officer":  staff("tax-officer", "郑洁", officer(dept["tax"])...),
		"hrss-officer": staff("hrss-officer", "冯涛", officer(dept["hrss"])...),
		"mz-officer":   staff("mz-officer", "何琳", officer(dept["mz"])...),
		"dpf-officer":  staff("dpf-officer", "罗斌", officer(dept["dpf"])...),
	}
	for _, a := range Accounts {
		if _, err := ids.UserByUsername(ctx, a.Username); err == nil {
			continue // kept as it is: re-running never resets a changed account
		} else if apperr.CodeOf(err) != apperr.NotFound {
			return err
		}
		create := creators[a.Username]
		if create == nil { // "admin": setup's, read above
			return fmt.Errorf("demo: account %s: no way to create it", a.Username)
		}
		if err := create(); err != nil {
			return fmt.Errorf("demo: account %s: %w", a.Username, err)
		}
	}
	// The supervisor logs in with a second factor: the demo's published
	// secret (identity.DemoTOTPSecret), while their password is the demo's
	// (setup enrolled the administrator's).
	for _, a := range Accounts {
		if err := ids.EnrolDemoSecondFactor(ctx, a.Username); err != nil {
			return fmt.Errorf("demo: account %s: %w", a.Username, err)
		}
	}
	if err := seedEnterprise(ctx, ids, corpCode, d.Now()); err != nil {
		return fmt.Errorf("demo: enterprise: %w", err)
	}
	if err := seedCatalog(ctx, cat, admin); err != nil {
		return fmt.Errorf("demo: catalog: %w", err)
	}
	if err := seedMandates(ctx, d, ids); err != nil {
		return fmt.Errorf("demo: mandates: %w", err)
	}
	if err := seedAppealDirectory(ctx, d, ids, admin, dept); err != nil {
		return fmt.Errorf("demo: appeal directory: %w", err)
	}
	if err := adoptTownItems(ctx, cat, admin); err != nil {
		return fmt.Errorf("demo: adoption: %w", err)
	}
	have, err := license.Types(ctx, d)
	if err != nil {
		return err
	}
	known := map[string]bool{}
	for _, t := range have {
		known[t.Code] = true
	}
	for _, t := range LicenceTypes() {
		if known[t.Code] {
			continue // kept as it is: an administrator may have changed it
		}
		if err := license.SaveType(ctx, d, "", t); err != nil {
			return fmt.Errorf("demo: licence type %s: %w", t.Name, err)
		}
	}
	return nil
}

// officer is the grants of one person holding a department's three back-office posts.
func officer(deptID string) []identity.Grant {
	var gs []identity.Grant
	for _, r := range []identity.Role{identity.RoleHandler, identity.RoleReviewer, identity.RoleApprover} {
		gs = append(gs, identity.Grant{Role: r, DepartmentID: deptID, RegionCode: Region})
	}
	return gs
}

func citizenID(first17 string) (string, error) {
	c, err := codes.CitizenIDCheck(first17)
	if err != nil {
		return "", err
	}
	return first17 + string(rune(c)), nil
}

// OperatorIDFirst17 is the first 17 digits of the demo 经办人 周芳's ID
// number (born 1990-08-20, sequence 024, female).
const OperatorIDFirst17 = "500102199008200" + "24"

// seedEnterprise has 王五 bind the demo company as its legal representative
// (the company's record names him) and authorise 周芳 for every item for
// three years, through the identity service; a re-run keeps what exists.
func seedEnterprise(ctx context.Context, ids *identity.Service, corpCode string, now time.Time) error {
	rep, err := ids.UserByUsername(ctx, "legalrep")
	if err != nil {
		return err
	}
	if _, err := ids.BindEnterprise(ctx, rep, corpCode, "重庆市涪陵区通办示范科技有限公司"); err != nil {
		return err
	}
	ops, err := ids.Operators(ctx, rep, corpCode)
	if err != nil || len(ops) > 0 {
		return err
	}
	n, err := citizenID(OperatorIDFirst17)
	if err != nil {
		return err
	}
	_, err = ids.AuthoriseOperator(ctx, rep, corpCode, identity.OperatorInput{IDNumber: n, Name: "周芳",
		ExpiresOn: now.In(calendar.China).AddDate(3, 0, 0).Format("2006-01-02")})
	return err
}
