package license_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/blob"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/demotest"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/license"
)

// fixture is a seeded demo database with the case engine connected to a
// licence library whose CA lives in memory, and a clock the test moves.
type fixture struct {
	*demotest.Env
	t     testing.TB
	ctx   context.Context
	db    *db.DB
	cases *cases.Service
	lib   *license.Service
	ids   *identity.Service
	users map[string]*identity.User
	codes map[string]string // item name → implementation code
}

func at(s string) time.Time { return demotest.At(s) }

func setup(t testing.TB, d *db.DB, alg string) *fixture {
	t.Helper()
	e := demotest.New(t, d, at("2026-03-02 10:00"))
	f := &fixture{Env: e, t: t, ctx: e.Ctx, db: d, ids: e.IDs, users: e.Users, codes: e.Codes}
	var err error
	if f.cases, err = cases.New(d, e.Catalog, f.ids, calendar.National(), blob.Dir{Root: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	keys, err := license.NewMemoryKeyring(alg, d.Now)
	if err != nil {
		t.Fatal(err)
	}
	f.lib = &license.Service{DB: d, Keys: keys, Identity: f.ids}
	f.cases.SetLicensing(f.lib)
	return f
}

const (
	soleTrader  = "个体工商户设立登记"  // yields 营业执照
	foodLicence = "食品经营许可（新办）" // asks for 营业执照 (免提交)
	zhangsanID  = "500102198506120011"
)

func soleTraderValues() catalog.Values {
	return catalog.Values{
		"applicant_name": {"张三"}, "applicant_id": {zhangsanID}, "applicant_phone": {"13800000000"}, "business_name": {"张三小吃店"},
		"form_of": {"person"}, "scope": {"小吃服务"}, "org_address": {"500102006001", "滨江路 1 号"}, "capital": {"5"},
	}
}

// grant files a case at the window for 张三 and carries it to 准予 (or,
// with deny, to 不予).
func (f *fixture) grant(item string, values catalog.Values, deny bool) *cases.Case {
	f.t.Helper()
	return f.grantFor(zhangsanID, item, values, deny)
}

// grantFor is grant for the applicant of the given ID number or credit code.
func (f *fixture) grantFor(applicant, item string, values catalog.Values, deny bool) *cases.Case {
	f.t.Helper()
	last := cases.ActionRequest{Action: "grant"}
	if deny {
		last = cases.ActionRequest{Action: "deny", Reason: "经营场所不符合要求"}
	}
	c, err := f.cases.Act(f.ctx, f.users["approver"], f.awaitingDecision(applicant, item, values).No, last)
	if err != nil {
		f.t.Fatalf("approver %s: %v", last.Action, err)
	}
	return c
}

// awaitingDecision files a case at the window for the applicant and carries
// it through acceptance, 承办 and 审核 to the approver.
func (f *fixture) awaitingDecision(applicant, item string, values catalog.Values) *cases.Case {
	f.t.Helper()
	c, _, err := f.cases.Create(f.ctx, f.users["clerk"], cases.NewCase{ItemCode: f.codes[item], Values: values, Applicant: applicant, Submit: true})
	if err != nil {
		f.t.Fatal(err)
	}
	for _, s := range []struct{ who, action string }{{"clerk", "accept"}, {"handler", "pass"}, {"reviewer", "pass"}} {
		if c, err = f.cases.Act(f.ctx, f.users[s.who], c.No, cases.ActionRequest{Action: s.action}); err != nil {
			f.t.Fatalf("%s %s: %v", s.who, s.action, err)
		}
	}
	return c
}

// licensed grants a sole trader's registration and returns its licence.
func (f *fixture) licensed() (*cases.Case, *license.Licence) {
	f.t.Helper()
	c := f.grant(soleTrader, soleTraderValues(), false)
	if c.Licence == "" {
		f.t.Fatalf("a granted case of an item yielding a licence carries no licence: %+v", c)
	}
	l, err := f.lib.Get(f.ctx, f.users["zhangsan"], c.Licence)
	if err != nil {
		f.t.Fatal(err)
	}
	return c, l
}

// upload stores a small PDF for u as material key.
func (f *fixture) upload(u *identity.User, key string) cases.MaterialRef {
	f.t.Helper()
	m, err := f.cases.Upload(f.ctx, u, key+".pdf", bytes.NewReader([]byte("%PDF-1.4\n% "+key+"\n%%EOF\n")))
	if err != nil {
		f.t.Fatal(err)
	}
	return cases.MaterialRef{Key: key, ID: m.ID}
}

// anon is an anonymous check from the public page.
var anon = license.Check{Channel: "page", Checker: "127.0.0.*"}

func foodValues() catalog.Values {
	return catalog.Values{
		"org_name": {"张三小吃店"}, "org_credit_code": {"92500102MA5U7X2K8B"}, "legal_rep": {"张三"}, "applicant_phone": {"13800000000"},
		"org_address": {"500102006001", "滨江路 1 号"}, "food_items": {"hot"}, "area": {"40"},
	}
}

func mustItem(t testing.TB, f *fixture, name string) *catalog.Item {
	t.Helper()
	v, err := f.Catalog.Published(f.ctx, f.codes[name], 0)
	if err != nil {
		t.Fatal(err)
	}
	return v.Item
}
