package cases_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/blob"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/demo"
	"github.com/tongban/tongban/internal/demotest"
	"github.com/tongban/tongban/internal/identity"
)

// fixture is a seeded demo database with the case service and a clock the
// test moves.
type fixture struct {
	*demotest.Env
	t     testing.TB
	ctx   context.Context
	db    *db.DB
	svc   *cases.Service
	ids   *identity.Service
	cat   *catalog.Catalog
	users map[string]*identity.User
	codes map[string]string // item name → implementation code
}

// at is a time in China.
func at(s string) time.Time { return demotest.At(s) }

func setup(t testing.TB, d *db.DB) *fixture {
	t.Helper()
	e := demotest.New(t, d, at("2026-02-12 10:00"))
	f := &fixture{Env: e, t: t, ctx: e.Ctx, db: d, ids: e.IDs, cat: e.Catalog, users: e.Users, codes: e.Codes}
	var err error
	if f.svc, err = cases.New(d, f.cat, f.ids, calendar.National(), blob.Dir{Root: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) setNow(s string) { f.SetNow(at(s)) }

// staff creates a staff account with one grant in a department given by name.
func (f *fixture) staff(name string, role identity.Role, deptName string) *identity.User {
	f.t.Helper()
	ds, err := f.cat.Departments(f.ctx, demo.Region)
	if err != nil {
		f.t.Fatal(err)
	}
	for _, dp := range ds {
		if dp.Name == deptName {
			u, err := f.ids.CreateStaff(f.ctx, identity.NewStaff{Account: identity.Account{Username: name, Password: "a-long-test-password"},
				Name: name, Grants: []identity.Grant{{Role: role, DepartmentID: dp.ID, RegionCode: demo.Region}}})
			if err != nil {
				f.t.Fatal(err)
			}
			return u
		}
	}
	f.t.Fatalf("no department %s", deptName)
	return nil
}

func (f *fixture) dept(name string) string {
	ds, _ := f.cat.Departments(f.ctx, demo.Region)
	for _, dp := range ds {
		if dp.Name == name {
			return dp.ID
		}
	}
	f.t.Fatalf("no department %s", name)
	return ""
}

var (
	pdf = []byte("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")
)

// upload stores a PDF for u and returns the reference for key.
func (f *fixture) upload(u *identity.User, key string) cases.MaterialRef {
	f.t.Helper()
	m, err := f.svc.Upload(f.ctx, u, key+".pdf", bytes.NewReader(append(pdf, key...)))
	if err != nil {
		f.t.Fatal(err)
	}
	return cases.MaterialRef{Key: key, ID: m.ID}
}

// 个体工商户设立登记: natural persons, 承诺件 (promised 1 working day), 容缺 offered.
const soleTrader = "个体工商户设立登记"

// 食品经营许可（新办）: persons and enterprises, promised 5 working days, 告知承诺 offered.
const foodLicence = "食品经营许可（新办）"

func soleTraderValues() catalog.Values {
	return catalog.Values{
		"applicant_name": {"张三"}, "applicant_id": {"500102198506120011"}, "applicant_phone": {"13800000000"},
		"form_of": {"person"}, "scope": {"小吃服务"}, "org_address": {"500102006001", "滨江路 1 号"}, "capital": {"5"},
	}
}

func foodValues() catalog.Values {
	return catalog.Values{
		"org_name": {"张三小吃店"}, "org_credit_code": {"92500102MA5U7X2K8B"}, "legal_rep": {"张三"}, "applicant_phone": {"13800000000"},
		"org_address": {"500102006001", "滨江路 1 号"}, "food_items": {"hot"}, "area": {"40"},
	}
}

// submitSoleTrader files 张三's application with every material uploaded.
func (f *fixture) submitSoleTrader() *cases.Case {
	f.t.Helper()
	u := f.users["zhangsan"]
	c, _, err := f.svc.Create(f.ctx, u, cases.NewCase{ItemCode: f.codes[soleTrader], Values: soleTraderValues(),
		Answers: map[string]string{"premises": "rented"}, Submit: true,
		Materials: []cases.MaterialRef{f.upload(u, "application"), f.upload(u, "id_card"), f.upload(u, "lease")}})
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

func (f *fixture) act(u string, c *cases.Case, req cases.ActionRequest) *cases.Case {
	f.t.Helper()
	got, err := f.svc.Act(f.ctx, f.users[u], c.Ref(), req)
	if err != nil {
		f.t.Fatalf("%s %s: %v", u, req.Action, err)
	}
	return got
}

// refused asserts that an action fails with code and key and changes nothing.
func (f *fixture) refused(u *identity.User, c *cases.Case, req cases.ActionRequest, code apperr.Code, key string) {
	f.t.Helper()
	before, _ := f.svc.Get(f.ctx, f.users["supervisor"], c.Ref())
	events, _ := f.svc.Timeline(f.ctx, f.users["supervisor"], c.Ref())
	_, err := f.svc.Act(f.ctx, u, c.Ref(), req)
	if !apperr.Is(err, code, key) {
		f.t.Fatalf("%s by %s: got %v, want %s %s", req.Action, u.Username, err, code, key)
	}
	after, _ := f.svc.Get(f.ctx, f.users["supervisor"], c.Ref())
	again, _ := f.svc.Timeline(f.ctx, f.users["supervisor"], c.Ref())
	if after.Rev != before.Rev || after.State != before.State || len(again) != len(events) {
		f.t.Fatalf("%s refused but the case changed: rev %d→%d, state %s→%s, events %d→%d",
			req.Action, before.Rev, after.Rev, before.State, after.State, len(events), len(again))
	}
}

func each(t *testing.T, fn func(t *testing.T, f *fixture)) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) { fn(t, setup(t, d)) })
}

func ptrTime(t time.Time) *time.Time { return &t }
