// Package demo seeds the demo region, departments and accounts that
// `tongban demo` runs with. Seeding is idempotent: re-running keeps existing
// data and adds only what is missing.
package demo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
)

// Region is the demo county: 重庆市涪陵区, the Fuling of the seeds.
const Region = "500102"

// Accounts lists the demo logins, in the order the CLI prints them.
var Accounts = []struct{ Username, Role string }{
	{"zhangsan", "natural person 自然人"},
	{"democorp", "enterprise 法人"},
	{"clerk", "window clerk 综合窗口"},
	{"handler", "handler 承办人"},
	{"reviewer", "reviewer 审核人"},
	{"approver", "approver 批准人"},
	{"supervisor", "supervisor 监察人员"},
	{"admin", "administrator 系统管理员"},
}

type department struct{ key, name, nameEN, prefix16 string }

// Organ codes: authority 1 (机构编制), kind 1 (机关), Fuling's division code,
// an 8-character body; the two check characters are computed.
var departments = []department{
	{"gov", "重庆市涪陵区政务服务管理办公室", "Fuling District Government Services Office", "11500102MB1C0001"},
	{"amr", "重庆市涪陵区市场监督管理局", "Fuling District Administration for Market Regulation", "11500102MB1C0002"},
}

var regions = []struct {
	code, name, parent string
	level              int
}{
	{"500000", "重庆市", "", 1},
	{"500100", "重庆市市辖区", "500000", 2},
	{"500102", "涪陵区", "500100", 3},
}

// Seed creates whatever of the demo data is missing.
func Seed(ctx context.Context, d *db.DB, ids *identity.Service) error {
	dept := map[string]string{}
	err := d.Update(ctx, func(tx *db.Tx) error {
		for _, r := range regions {
			var parent any
			if r.parent != "" {
				parent = r.parent
			}
			if _, err := tx.Exec(`INSERT INTO regions (code, name, level, parent_code) VALUES ($1, $2, $3, $4) ON CONFLICT (code) DO NOTHING`,
				r.code, r.name, r.level, parent); err != nil {
				return err
			}
		}
		for _, dp := range departments {
			code, err := codes.CompleteCreditCode(dp.prefix16)
			if err != nil {
				return err
			}
			var id string
			err = tx.QueryRow(`SELECT id FROM departments WHERE credit_code = $1`, code).Scan(&id)
			if errors.Is(err, sql.ErrNoRows) {
				id = db.NewID()
				_, err = tx.Exec(`INSERT INTO departments (id, name, name_en, credit_code, region_code, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
					id, dp.name, dp.nameEN, code, Region, tx.Now)
			}
			if err != nil {
				return err
			}
			dept[dp.key] = id
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("demo: regions and departments: %w", err)
	}

	acct := func(name string) identity.Account {
		return identity.Account{Username: name, Password: identity.DemoPassword, Demo: true}
	}
	idNumber, err := citizenID("500102198506120" + "01") // 涪陵, born 1985-06-12, sequence 001 (male)
	if err != nil {
		return err
	}
	corpCode, err := codes.CompleteCreditCode("91500102MA5U7X2K")
	if err != nil {
		return err
	}
	staff := func(name, display string, grants ...identity.Grant) func() error {
		return func() error {
			_, err := ids.CreateStaff(ctx, identity.NewStaff{Account: acct(name), Name: display, Grants: grants})
			return err
		}
	}
	creators := map[string]func() error{
		"zhangsan": func() error {
			_, err := ids.CreatePerson(ctx, identity.NewPerson{Account: acct("zhangsan"), Name: "张三", IDNumber: idNumber})
			return err
		},
		"democorp": func() error {
			_, err := ids.CreateOrganisation(ctx, identity.NewOrganisation{Account: acct("democorp"), Name: "重庆市涪陵区通办示范科技有限公司", CreditCode: corpCode, LegalRep: "王五"})
			return err
		},
		"clerk":      staff("clerk", "李敏", identity.Grant{Role: identity.RoleClerk, DepartmentID: dept["gov"], RegionCode: Region}),
		"handler":    staff("handler", "陈刚", identity.Grant{Role: identity.RoleHandler, DepartmentID: dept["amr"], RegionCode: Region}),
		"reviewer":   staff("reviewer", "刘洋", identity.Grant{Role: identity.RoleReviewer, DepartmentID: dept["amr"], RegionCode: Region}),
		"approver":   staff("approver", "赵静", identity.Grant{Role: identity.RoleApprover, DepartmentID: dept["amr"], RegionCode: Region}),
		"supervisor": staff("supervisor", "孙伟", identity.Grant{Role: identity.RoleSupervisor, DepartmentID: dept["gov"], RegionCode: Region}),
		"admin":      staff("admin", "周强", identity.Grant{Role: identity.RoleAdmin, RegionCode: Region}),
	}
	for _, a := range Accounts {
		if _, err := ids.UserByUsername(ctx, a.Username); err == nil {
			continue // kept as it is: re-running never resets a changed account
		} else if apperr.CodeOf(err) != apperr.NotFound {
			return err
		}
		if err := creators[a.Username](); err != nil {
			return fmt.Errorf("demo: account %s: %w", a.Username, err)
		}
	}
	return nil
}

func citizenID(first17 string) (string, error) {
	c, err := codes.CitizenIDCheck(first17)
	if err != nil {
		return "", err
	}
	return first17 + string(rune(c)), nil
}
