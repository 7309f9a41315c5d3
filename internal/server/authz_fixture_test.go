package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/license"
	"github.com/tongban/tongban/internal/notify"
	"github.com/tongban/tongban/internal/open311"
	"github.com/tongban/tongban/internal/queue"
	"github.com/tongban/tongban/internal/supervise"
)

// The authorisation matrix's fixture: the demo seed, one more applicant, a
// member of every staff role scoped to one town (南沱镇) beside the demo's
// district-scoped members, and resources inside and outside each scope,
// built once per database and shared by every cell.

const (
	townNantuo   = "500102103000" // 南沱镇: the town-scoped staff's region
	townQingyang = "500102107000" // 青羊镇: another town, outside 南沱镇
)

// principals of the matrix, in the order cells run. "anon" has no session.
// The district-scoped members are the demo accounts (region 500102, the
// installation's home region; the demo admin, a grant with no department
// over the home region, is the installation administrator); "-t" members
// hold the same roles in 南沱镇 only.
var principals = []string{"anon", "zhangsan", "lisi", "democorp", "agent",
	"clerk", "clerk-t", "handler", "handler-t", "reviewer", "reviewer-t", "approver", "approver-t",
	"supervisor", "supervisor-t", "admin", "admin-t"}

// groups name sets of principals in the tables' allow lists.
var groups = map[string][]string{
	"@all":        principals,
	"@users":      principals[1:],
	"@applicants": {"zhangsan", "lisi", "democorp"},
	"@staff":      {"clerk", "clerk-t", "handler", "handler-t", "reviewer", "reviewer-t", "approver", "approver-t", "supervisor", "supervisor-t", "admin", "admin-t"},
	"@workbench":  {"clerk", "clerk-t", "handler", "handler-t", "reviewer", "reviewer-t", "approver", "approver-t"},
	"@watch":      {"supervisor", "supervisor-t", "approver", "approver-t"},
	"@admins":     {"admin", "admin-t"},
}

// who expands an allow list: principal names and @groups, space-separated.
func who(list string) map[string]bool {
	out := map[string]bool{}
	for _, f := range strings.Fields(list) {
		if g, ok := groups[f]; ok {
			for _, p := range g {
				out[p] = true
			}
			continue
		}
		if !contains(principals, f) {
			panic("authz: unknown principal " + f)
		}
		out[f] = true
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

type webSession struct{ token, csrf string }

type authzFixture struct {
	ts    *testServer
	api   string
	ctx   context.Context
	tok   map[string]string     // API bearer tokens by principal
	web   map[string]webSession // browser sessions by principal
	users map[string]*identity.User
	sup   *supervise.Admin
	cat   *catalog.Catalog
	r     map[string]string // named resources: case numbers, ids, codes, bodies
}

// ref is a named resource; a missing one is a fixture defect.
func (fx *authzFixture) ref(name string) string {
	v, ok := fx.r[name]
	if !ok {
		panic("authz: no resource " + name)
	}
	return v
}

var placeholder = regexp.MustCompile(`<([a-z0-9_]+)>`)

// expand replaces each <name> in s with the named resource.
func (fx *authzFixture) expand(s string) string {
	return placeholder.ReplaceAllStringFunc(s, func(m string) string { return fx.ref(m[1 : len(m)-1]) })
}

// must is v, or a panic: the fixture cannot be built (a defect of the test).
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// newAuthzFixture builds the shared fixture on d.
func newAuthzFixture(t *testing.T, d *db.DB) *authzFixture {
	t.Helper()
	keys := must(audit.GenerateKeys("tongban.test/audit"))
	ts := newTestServer(t, d, func(o *Options) { o.AuditKeys = keys; o.VerifyPerMinute = -1 })
	ctx := context.Background()
	fx := &authzFixture{ts: ts, api: ts.URL + "/api/v1", ctx: ctx, tok: map[string]string{}, web: map[string]webSession{},
		users: map[string]*identity.User{}, sup: &supervise.Admin{DB: d}, cat: catalog.New(d), r: map[string]string{}}
	ids := ts.ids
	for _, u := range []string{"zhangsan", "democorp", "agent", "clerk", "handler", "reviewer", "approver", "supervisor", "admin"} {
		fx.users[u] = must(ids.UserByUsername(ctx, u))
	}
	amr := fx.users["handler"].Grants[0].DepartmentID
	var townGov, qingyangGov string
	if err := d.Reader().QueryRow(`SELECT id FROM departments WHERE region_code = $1`, townNantuo).Scan(&townGov); err != nil {
		t.Fatal(err)
	}
	if err := d.Reader().QueryRow(`SELECT id FROM departments WHERE region_code = $1`, townQingyang).Scan(&qingyangGov); err != nil {
		t.Fatal(err)
	}
	fx.r["dept_town"], fx.r["dept_qingyang"] = townGov, qingyangGov
	fx.r["box_qingyang"] = `id="r-` + townQingyang + `"` // 青羊镇's box on /admin/regions

	// Another applicant, and the town-scoped staff.
	acct := func(name string) identity.Account {
		return identity.Account{Username: name, Password: identity.DemoPassword, Demo: true}
	}
	c, err := codes.CitizenIDCheck("50010219900307002")
	if err != nil {
		t.Fatal(err)
	}
	fx.r["lisi_id"], fx.r["lisi_name"] = "50010219900307002"+string(rune(c)), "李四"
	fx.r["corp_code"] = must(codes.CompleteCreditCode("91500102MA5U7X2K"))
	fx.users["lisi"] = must(ids.CreatePerson(ctx, identity.NewPerson{Account: acct("lisi"), Name: "李四", IDNumber: fx.r["lisi_id"]}))
	town := func(role identity.Role, depts ...string) []identity.Grant {
		if len(depts) == 0 {
			return []identity.Grant{{Role: role, RegionCode: townNantuo}}
		}
		var gs []identity.Grant
		for _, dp := range depts {
			gs = append(gs, identity.Grant{Role: role, DepartmentID: dp, RegionCode: townNantuo})
		}
		return gs
	}
	for name, gs := range map[string][]identity.Grant{
		// The town's window sits in the town government's hall.
		"clerk-t": town(identity.RoleClerk, townGov),
		// Back-office staff of the town: the district's market regulator's
		// office in the town (the same department as the district's licences)
		// and the town government's own items.
		"handler-t":    town(identity.RoleHandler, amr, townGov),
		"reviewer-t":   town(identity.RoleReviewer, amr, townGov),
		"approver-t":   town(identity.RoleApprover, amr, townGov),
		"supervisor-t": town(identity.RoleSupervisor, townGov),
		"admin-t":      town(identity.RoleAdmin),
	} {
		fx.users[name] = must(ids.CreateStaff(ctx, identity.NewStaff{Account: acct(name), Name: "南沱镇" + name, Grants: gs}))
		// Administrators and supervisors log in with a second factor: the
		// town's get the demo's secret, as the demo's own have.
		if err := ids.EnrolDemoSecondFactor(ctx, name); err != nil {
			t.Fatal(err)
		}
	}
	// The staff administration rows' accounts: a handler of the district's
	// market regulator, and one of the town government in 南沱镇.
	for key, g := range map[string]identity.Grant{
		"staff_d": {Role: identity.RoleHandler, DepartmentID: amr},
		"staff_t": {Role: identity.RoleHandler, DepartmentID: townGov, RegionCode: townNantuo},
	} {
		u := must(ids.CreateStaff(ctx, identity.NewStaff{Account: identity.Account{Username: strings.ReplaceAll(key, "_", "-"), Password: "authz-staff-password"},
			Name: key, Grants: []identity.Grant{g}}))
		fx.r[key], fx.r[key+"_name"] = u.ID, u.Username
	}
	fx.r["amr"] = amr
	for _, p := range principals[1:] {
		fx.login(t, p)
	}

	// The organisation (issue 15): the district's and the town's halls, a
	// window in each.
	for k, region := range map[string]string{"hall_d": "500102", "hall_t": townNantuo} {
		var id string
		if err := d.Reader().QueryRow(`SELECT id FROM halls WHERE region_code = $1`, region).Scan(&id); err != nil {
			t.Fatal(err)
		}
		fx.r[k] = id
	}
	fx.r["dept_amr"] = amr
	var amrCredit string
	if err := d.Reader().QueryRow(`SELECT credit_code FROM departments WHERE id = $1`, amr).Scan(&amrCredit); err != nil {
		t.Fatal(err)
	}
	fx.r["credit_amr"] = amrCredit
	fx.r["credit_d"] = must(codes.CompleteCreditCode("12500102MB0001XA"))
	fx.r["credit_t"] = must(codes.CompleteCreditCode("12500102MB0002XA"))
	// Staff files (issue 15): a town handler, as JSON (pages) and a workbook (API).
	fx.r["staff_t_exchange"] = `{"format":"tongban-staff/1","staff":[{"username":"file-t","name":"文件导入","grants":[{"role":"handler","department_id":"` + townGov + `","region_code":"` + townNantuo + `"}]}]}`
	staffBook := &identity.StaffExchange{Format: identity.StaffExchangeFormat, Staff: []identity.StaffRecord{{Username: "book-t", Name: "表格导入",
		Grants: []identity.GrantRecord{{Role: "handler", DepartmentID: townGov, RegionCode: townNantuo}}}}}
	var book bytes.Buffer
	if err := staffBook.WriteXLSX(&book); err != nil {
		t.Fatal(err)
	}
	fx.r["staff_t_xlsx"] = book.String()
	fx.r["org_d_exchange"] = `{"format":"tongban-organisation/1","departments":[{"credit_code":"` + fx.r["credit_d"] +
		`","name":"区数据管理中心","region_code":"500102","kind":"institution","active":true}],"halls":[],"windows":[]}`
	// The demo's organisation gives each hall its window 1 (a 综合窗口).
	for k, hall := range map[string]string{"win_d": fx.r["hall_d"], "win_t": fx.r["hall_t"]} {
		var id string
		if err := d.Reader().QueryRow(`SELECT id FROM windows WHERE hall_id = $1 AND number = '1'`, hall).Scan(&id); err != nil {
			t.Fatal(err)
		}
		fx.r[k] = id
	}

	// Items per region (issue 15): 居住证申领 offered to towns, adopted by
	// 南沱镇's government (by its administrator) and by 青羊镇's.
	src := itemIn(t, d, "居住证申领", "500102")
	cur := must(fx.cat.Published(ctx, src, 0))
	offered := *cur.Item
	offered.OfferedLevels = []int{5}
	must(fx.cat.SaveDraft(ctx, fx.users["admin"], &offered, "向乡镇开放认领"))
	must(fx.cat.Publish(ctx, fx.users["admin"], src))
	fx.r["adopt_src"] = src
	fx.r["adopt_t"] = must(fx.cat.Adopt(ctx, fx.users["admin-t"], catalog.AdoptInput{Source: src, DepartmentID: townGov,
		HallID: fx.r["hall_t"], Windows: []string{fx.r["win_t"]}, PromisedLimit: "5"})).ImplCode
	fx.r["adopt_q"] = must(fx.cat.Adopt(ctx, fx.users["admin"], catalog.AdoptInput{Source: src, DepartmentID: qingyangGov})).ImplCode

	// The hall's queue (issue 19): a service in each hall served by its
	// window 1, and a ticket taken at the district hall's kiosk.
	q := &queue.Service{DB: d}
	for k, hall := range map[string]string{"svc_d": "hall_d", "svc_t": "hall_t"} {
		admin, win := "admin", "win_d"
		if k == "svc_t" {
			admin, win = "admin-t", "win_t"
		}
		prefix, name, minutes, windows := "A", "综合受理", 10, []string{fx.r[win]}
		fx.r[k] = must(q.CreateService(ctx, fx.users[admin], fx.r[hall], queue.ServiceInput{Prefix: &prefix, Name: &name, Minutes: &minutes, Windows: &windows})).ID
	}
	fx.r["ticket_d"] = must(q.Take(ctx, nil, queue.TakeInput{HallID: fx.r["hall_d"], ServiceID: fx.r["svc_d"], Source: queue.SourceKiosk})).ID
	// Open311 clients (issue 18): the district's and a town's.
	o311 := &open311.Clients{DB: d, Home: "500102"}
	fx.r["o311_d"] = must2(o311.Register(ctx, fx.users["admin"], "区级客户端", "500102")).ID
	fx.r["o311_t"] = must2(o311.Register(ctx, fx.users["admin-t"], "镇级客户端", townNantuo)).ID

	fx.buildResources(t, d)
	fx.buildBookings(t, d)
	return fx
}

// readopt brings back an adoption a row withdrew.
func readopt(t *testing.T, fx *authzFixture, _ string) {
	t.Helper()
	for k, dept := range map[string]string{"adopt_t": "dept_town", "adopt_q": "dept_qingyang"} {
		a, err := fx.cat.Adoption(fx.ctx, fx.users["admin"], fx.ref(k))
		if err != nil {
			t.Fatal(err)
		}
		if a.Withdrawn {
			if _, err := fx.cat.Adopt(fx.ctx, fx.users["admin"], catalog.AdoptInput{Source: fx.ref("adopt_src"), DepartmentID: fx.ref(dept)}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// login opens an API session and a browser session for p, through the
// identity service as the login endpoints do. (When administrators and
// supervisors need a second factor, this is the one place that gives it.)
func (fx *authzFixture) login(t *testing.T, p string) {
	t.Helper()
	fx.loginAPI(t, p)
	wtok, sess, _, err := fx.ts.ids.Login(fx.ctx, identity.LoginRequest{Username: p, Password: identity.DemoPassword, Code: fx.ts.code(t, p), Kind: identity.SessionWeb, IP: "127.0.0.1"})
	if err != nil {
		t.Fatalf("web login %s: %v", p, err)
	}
	fx.web[p] = webSession{wtok, sess.CSRFToken}
}

func (fx *authzFixture) loginAPI(t *testing.T, p string) {
	t.Helper()
	tok, _, _, err := fx.ts.ids.Login(fx.ctx, identity.LoginRequest{Username: p, Password: identity.DemoPassword, Code: fx.ts.code(t, p), Kind: identity.SessionAPI, IP: "127.0.0.1"})
	if err != nil {
		t.Fatalf("login %s: %v", p, err)
	}
	fx.tok[p] = tok
}

// call is an API request as principal p; it fails the test on transport errors.
func (fx *authzFixture) call(t *testing.T, p, method, path, payload string) (int, map[string]any) {
	t.Helper()
	return apiCall(t, method, fx.api+path, fx.tok[p], payload, "Content-Type", "application/json")
}

func (fx *authzFixture) ok(t *testing.T, p, method, path, payload string) map[string]any {
	t.Helper()
	st, m := fx.call(t, p, method, path, payload)
	if st/100 != 2 {
		t.Fatalf("fixture: %s %s %s: %d %v", p, method, path, st, m)
	}
	return m
}

func caseOf(m map[string]any) (no, id string, rev int) {
	c := m["case"].(map[string]any)
	no, _ = c["case_no"].(string)
	id, _ = c["id"].(string)
	return no, id, int(c["rev"].(float64))
}

// itemIn is the implementation code of the item named name in region.
func itemIn(t *testing.T, d *db.DB, name, region string) string {
	t.Helper()
	var code string
	if err := d.Reader().QueryRow(`SELECT impl_code FROM items WHERE name = $1 AND region_code = $2`, name, region).Scan(&code); err != nil {
		t.Fatalf("item %s in %s: %v", name, region, err)
	}
	return code
}

func (fx *authzFixture) buildResources(t *testing.T, d *db.DB) {
	t.Helper()
	ctx, api := fx.ctx, fx.api
	sole := soleTraderCode(t, api)
	fx.r["item_d"] = sole
	soleForm := `"form_values":{"applicant_name":["张三"],"applicant_id":["500102198506120011"],"applicant_phone":["13800000000"],"business_name":["张三小吃店"],
		"form_of":["person"],"scope":["小吃服务"],"org_address":["500102006001","滨江路 1 号"],"capital":["5"]}`

	// A district licence of 张三 (市场监督管理局), and the case that granted it.
	fx.r["lic_d"] = grantedLicence(t, api)
	fx.r["case_lic"] = fx.ok(t, "zhangsan", "GET", "/licences/"+fx.r["lic_d"], "")["case_no"].(string)

	// caseD: 张三's district case filed online with materials, accepted: handling at 市场监督管理局.
	pdf := []byte("%PDF-1.4\n% material\n%%EOF\n")
	var refs []string
	for _, key := range []string{"application", "id_card", "lease"} {
		st, m := upload(t, api, fx.tok["zhangsan"], key+".pdf", pdf)
		if st != 201 {
			t.Fatalf("upload: %d %v", st, m)
		}
		id := m["material"].(map[string]any)["id"].(string)
		fx.r["material_d"] = id
		refs = append(refs, fmt.Sprintf(`{"key":%q,"id":%q}`, key, id))
	}
	m := fx.ok(t, "zhangsan", "POST", "/cases", `{"item_code":"`+sole+`","submit":true,"answers":{"premises":"rented"},`+soleForm+`,"materials":[`+strings.Join(refs, ",")+`]}`)
	no, id, _ := caseOf(m)
	fx.r["case_d"], fx.r["case_d_id"] = no, id
	m = fx.ok(t, "clerk", "POST", "/cases/"+no+"/actions", `{"action":"accept"}`)
	if notices, _ := m["case"].(map[string]any)["notices"].([]any); len(notices) > 0 {
		fx.r["notice_d"] = notices[0].(map[string]any)["id"].(string)
	} else {
		t.Fatalf("caseD has no notice: %v", m)
	}

	// A second district case, only for the transfer row.
	for _, k := range []string{"case_x", "case_x2"} {
		m = fx.ok(t, "clerk", "POST", "/cases", `{"item_code":"`+sole+`","applicant":"500102198506120011","submit":true,"accept":true,`+soleForm+`}`)
		fx.r[k], _, _ = caseOf(m)
	}

	// 张三's unsubmitted draft (full ID number and phone in it).
	m = fx.ok(t, "zhangsan", "POST", "/cases", `{"item_code":"`+sole+`","submit":false,`+soleForm+`}`)
	_, fx.r["draft"], _ = caseOf(m)

	// caseT: 李四's homestead application at 南沱镇, filed and accepted by the town's window.
	homeForm := func(town string) string {
		var village string
		if err := d.Reader().QueryRow(`SELECT min(code) FROM regions WHERE parent_code = $1`, town).Scan(&village); err != nil {
			t.Fatal(err)
		}
		return `"form_values":{"applicant_name":["李四"],"applicant_id":["` + fx.r["lisi_id"] + `"],"applicant_phone":["13900000000"],
			"applicant_address":["` + village + `","一组 8 号"],"family_size":["4"],"area":["120"]},"answers":{"kind":"new"}`
	}
	fx.r["item_t"] = itemIn(t, d, "农村村民住宅用地（宅基地）审批", townNantuo)
	m = fx.ok(t, "clerk-t", "POST", "/cases", `{"item_code":"`+fx.r["item_t"]+`","applicant":"`+fx.r["lisi_id"]+`","submit":true,"accept":true,`+homeForm(townNantuo)+`}`)
	fx.r["case_t"], fx.r["case_t_id"], _ = caseOf(m)
	// caseQ: the same at 青羊镇, filed by the district window.
	m = fx.ok(t, "clerk", "POST", "/cases", `{"item_code":"`+itemIn(t, d, "农村村民住宅用地（宅基地）审批", townQingyang)+`","applicant":"`+fx.r["lisi_id"]+`","submit":true,"accept":true,`+homeForm(townQingyang)+`}`)
	fx.r["case_q"], _, _ = caseOf(m)

	// Signals: a supervision pass three weeks on finds the cases late (red
	// cards), then the clock comes back.
	now := fx.ts.now
	fx.ts.now = now.Add(21 * 24 * time.Hour)
	if _, err := fx.ts.scanner(t).Pass(ctx); err != nil {
		t.Fatal(err)
	}
	fx.ts.now = now

	// A notification of the district handler: the supervisor urges caseD.
	fx.ok(t, "supervisor", "POST", "/cases/"+fx.r["case_d"]+"/urge", `{"note":"请尽快办理"}`)
	var nid string
	if _, err := notify.Settle(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	if err := d.Reader().QueryRow(`SELECT id FROM notifications WHERE user_id = $1`, fx.users["handler"].ID).Scan(&nid); err != nil {
		t.Fatalf("handler's notification: %v", err)
	}
	fx.r["notification"] = nid

	// Escalation rules and thresholds: the installation-wide rule of the
	// migration, and a town's own; thresholds of the home region and of the town.
	adm := fx.users["admin"]
	townRule, err := fx.sup.AddRule(ctx, adm, supervise.RuleView{Rule: supervise.Rule{Region: townNantuo, Clock: "decision", Action: "urge"}, LevelName: "yellow"})
	if err != nil {
		t.Fatal(err)
	}
	fx.r["rule_t"] = townRule
	set := must(fx.sup.Settings(ctx, adm))
	for _, rl := range set.Rules {
		b, _ := json.Marshal(rl)
		switch rl.ID {
		case "default-decision-red":
			fx.r["rule_i_body"] = string(b)
		case townRule:
			fx.r["rule_t_body"] = string(b)
		}
	}
	for key, region := range map[string]string{"thr_i": "500102", "thr_t": townNantuo} {
		row := supervise.ThresholdRow{Region: region, Thresholds: supervise.DefaultThresholds}
		if err := fx.sup.SetThresholds(ctx, adm, row); err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(row)
		fx.r[key+"_body"], fx.r[key] = string(b), region
	}

	// Catalog: drafts of a district item and of a 南沱镇 item, the exchange
	// documents of each, a bundle and a licence type as they are.
	fx.r["item_cd"] = itemIn(t, d, "公章刻制备案", "500102")
	fx.r["item_ct"] = itemIn(t, d, "生育登记", townNantuo)
	for _, k := range []string{"item_cd", "item_ct"} {
		v := must(fx.cat.Published(ctx, fx.r[k], 0))
		fx.ensureDraft(t, fx.r[k])
		b, _ := json.Marshal(map[string]any{"note": "authz", "item": v.Item})
		fx.r[k+"_draft_body"] = string(b)
		ex, _ := json.Marshal(catalog.Exchange{Format: catalog.ExchangeFormat, Items: []*catalog.Item{v.Item}, Bundles: []catalog.Bundle{}})
		fx.r[k+"_exchange"] = string(ex)
	}
	// A district item that exists only as a draft (nothing of it is public yet).
	{
		it := must(fx.cat.Published(ctx, fx.r["item_cd"], 0)).Item
		it.BasicCode = it.BasicCode[:9] + "901"
		it.ImplCode = must(codes.NewImplCode(it.Department, it.Level, it.BasicCode)).Code
		it.Name = "公章刻制备案（新设，草稿）"
		if _, err := fx.cat.SaveDraft(ctx, adm, it, "authz"); err != nil {
			t.Fatal(err)
		}
		fx.r["item_new"] = it.ImplCode
	}
	bs := must(fx.cat.Bundles(ctx, true))
	for _, b := range bs {
		if b.Code == "qykb" {
			j, _ := json.Marshal(b)
			fx.r["bundle_body"] = string(j)
		}
	}
	fx.r["bundle"] = "qykb"
	types := must(license.Types(ctx, d))
	lt, _ := json.Marshal(types[0])
	fx.r["lictype"], fx.r["lictype_body"] = types[0].Code, string(lt)

	// Mandates (授权委托): the demo's of 张三's to the agent (active); two
	// online requests of 李四's (pending: one to answer, one to revoke — he
	// has no verified mobile, so a code row answers 400 mandate.no_phone);
	// a written one of the agent's (南沱镇: the district's and the town's
	// clerks check it) and one of an agent of 青羊镇 (another region: only
	// the district's clerk).
	var demoMandate string
	if err := d.Reader().QueryRow(`SELECT id FROM mandates WHERE agent_id = $1 AND principal_id = $2`, fx.users["agent"].ID, fx.users["zhangsan"].ID).Scan(&demoMandate); err != nil {
		t.Fatal(err)
	}
	fx.r["mandate_z"] = demoMandate
	lisiAsk := func(tok, method, doc string) string {
		body := `{"name":"李四","id_number":"` + fx.r["lisi_id"] + `","all_items":true,"valid_until":"2026-12-31","method":"` + method + `","document":"` + doc + `"}`
		st, m := apiCall(t, "POST", api+"/mandates", tok, body)
		if st != 201 {
			t.Fatalf("mandate: %d %v", st, m)
		}
		return m["mandate"].(map[string]any)["id"].(string)
	}
	docOf := func(tok string) string {
		st, m := upload(t, api, tok, "proxy.pdf", []byte("%PDF-1.4\n% 授权委托书\n%%EOF\n"))
		if st != 201 {
			t.Fatalf("upload: %d %v", st, m)
		}
		return m["material"].(map[string]any)["id"].(string)
	}
	fx.r["mandate_p"] = lisiAsk(fx.tok["agent"], "sms", "")
	fx.r["mandate_r"] = lisiAsk(fx.tok["agent"], "sms", "")
	fx.r["mandate_w"] = lisiAsk(fx.tok["agent"], "document", docOf(fx.tok["agent"]))
	fx.users["agent-q"] = must(fx.ts.ids.CreateStaff(ctx, identity.NewStaff{Account: identity.Account{Username: "agent-q", Password: identity.DemoPassword, Demo: true}, Name: "青羊镇代办员",
		Grants: []identity.Grant{{Role: identity.RoleAgent, RegionCode: townQingyang}}}))
	qtok := apiToken(t, api, "agent-q")
	fx.r["mandate_q"] = lisiAsk(qtok, "document", docOf(qtok))
	fx.r["mandate_q_w"] = lisiAsk(qtok, "document", docOf(qtok)) // checked on the page
	// 诉求 (issue 18): 张三's complaint in 南沱镇, dispatched to the market
	// regulator (its district and town handlers); 李四's in 青羊镇, only
	// accepted (the district's dispatcher and supervisor alone).
	fx.r["amr"] = fx.users["handler"].Grants[0].DepartmentID
	appealOf := func(p, region string) string {
		m := fx.ok(t, p, "POST", "/appeals", `{"channel":"web","type":"complaint","category":"business","region_code":"`+region+`","description":"窗口要求额外材料","contact":true}`)
		return m["appeal"].(map[string]any)["id"].(string)
	}
	fx.r["appeal_z"] = appealOf("zhangsan", townNantuo)
	fx.ok(t, "clerk", "POST", "/appeals/"+fx.r["appeal_z"]+"/actions", `{"action":"dispatch"}`)
	fx.r["appeal_q"] = appealOf("lisi", townQingyang)
	// Enterprises (issue 16): the demo company 甲 is held by 王五 (not a
	// principal); 李四, seen at a window (L2), has 乙 (new to the platform)
	// bound to him there by the district's clerk (an unknown enterprise is
	// not bound online), and
	// authorises 张三 for every item and 周芳 (whom a row revokes). Each
	// enterprise has a draft: 甲's its own, 乙's filed by 张三 for it.
	if _, err := d.Writer().ExecContext(ctx, `UPDATE users SET assurance = 2 WHERE id = $1`, fx.users["lisi"].ID); err != nil {
		t.Fatal(err)
	}
	lisi := must(fx.ts.ids.UserByID(ctx, fx.users["lisi"].ID))
	fx.r["corp2"] = must(codes.CompleteCreditCode("91500102MA6A0B1C"))
	fx.ok(t, "clerk", "POST", "/assurance/enterprise", `{"credit_code":"`+fx.r["corp2"]+`","name":"重庆市涪陵区乙商贸有限公司","legal_rep_id_number":"`+fx.r["lisi_id"]+`","legal_rep_name":"李四","confirmed":true}`)
	must(fx.ts.ids.AuthoriseOperator(ctx, lisi, fx.r["corp2"], identity.OperatorInput{IDNumber: "500102198506120011", Name: "张三", ExpiresOn: "2026-12-31"}))
	zhou, _ := codes.CitizenIDCheck("50010219900820024")
	fx.r["op_revoke"] = must(fx.ts.ids.AuthoriseOperator(ctx, lisi, fx.r["corp2"], identity.OperatorInput{IDNumber: "50010219900820024" + string(rune(zhou)), Name: "周芳", ExpiresOn: "2026-12-31"})).ID
	_, fx.r["draft_corp"], _ = caseOf(fx.ok(t, "democorp", "POST", "/cases", `{"item_code":"`+fx.r["item_cd"]+`","submit":false,"form_values":{}}`))
	_, fx.r["draft_corp2"], _ = caseOf(fx.ok(t, "zhangsan", "POST", "/cases", `{"item_code":"`+fx.r["item_cd"]+`","enterprise":"`+fx.r["corp2"]+`","submit":false,"form_values":{}}`))

	// 好差评 (issue 18): 张三 rates the district's granted case 不满意; its
	// 差评 order belongs to the district's market regulator.
	rated := fx.ok(t, "zhangsan", "POST", "/cases/"+fx.r["case_lic"]+"/ratings", `{"level":2,"indicators":["online.overdue"],"comment":"办理时间太长","channel":"pc"}`)
	fx.r["rorder"] = rated["rating"].(map[string]any)["order_id"].(string)
	fx.r["case_lic_code"] = fx.ok(t, "zhangsan", "GET", "/cases/"+fx.r["case_lic"], "")["case"].(map[string]any)["query_code"].(string)
	fx.r["rorder_no"] = fx.ok(t, "handler", "GET", "/ratings/orders/"+fx.r["rorder"], "")["order"].(map[string]any)["order_no"].(string)

	// The audit log sequenced: a record about caseD (district), one about
	// caseT (南沱镇) and one about an account.
	seq := &audit.Sequencer{DB: d, Holder: "authz"}
	for {
		n, err := seq.Step(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	for key, q := range map[string][]any{
		"audit_d":    {`object_type = 'case' AND object_id = $1`, fx.r["case_d_id"]},
		"audit_t":    {`object_type = 'case' AND object_id = $1`, fx.r["case_t_id"]},
		"audit_user": {`object_type = 'user' AND object_id = $1`, fx.users["clerk"].ID},
	} {
		var idx int64
		var rid string
		if err := d.Reader().QueryRow(`SELECT leaf_index, id FROM audit_records WHERE `+q[0].(string)+` ORDER BY leaf_index LIMIT 1`, q[1]).Scan(&idx, &rid); err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		fx.r[key], fx.r[key+"_id"] = fmt.Sprint(idx), rid
	}
}

// ensureDraft gives the item an open draft (as the installation
// administrator) when it has none: cells that publish or discard one
// leave none behind.
func (fx *authzFixture) ensureDraft(t *testing.T, code string) {
	t.Helper()
	if _, err := fx.cat.Draft(fx.ctx, fx.users["admin"], code); err == nil {
		return
	}
	v := must(fx.cat.Published(fx.ctx, code, 0))
	if _, err := fx.cat.SaveDraft(fx.ctx, fx.users["admin"], v.Item, "authz"); err != nil {
		t.Fatal(err)
	}
}

// restoreThresholds puts the fixture's threshold rows back (a cell may
// have deleted one).
func (fx *authzFixture) restoreThresholds(t *testing.T) {
	t.Helper()
	for _, region := range []string{"500102", townNantuo} {
		if err := fx.sup.SetThresholds(fx.ctx, fx.users["admin"], supervise.ThresholdRow{Region: region, Thresholds: supervise.DefaultThresholds}); err != nil {
			t.Fatal(err)
		}
	}
}

// resumeLicence makes the fixture's licence valid again after a cell suspended it.
func (fx *authzFixture) resumeLicence(t *testing.T) {
	t.Helper()
	st, m := fx.call(t, "approver", "POST", "/licences/"+fx.ref("lic_d")+"/status", `{"action":"resume","reason":"核查无误，恢复"}`)
	if st != http.StatusOK && st != http.StatusConflict {
		t.Fatalf("resume: %d %v", st, m)
	}
}

// notificationUnread reports whether the handler's notification is unread.
func (fx *authzFixture) notificationUnread(t *testing.T) bool {
	t.Helper()
	var n int
	if err := fx.ts.db.Reader().QueryRow(`SELECT COUNT(*) FROM notifications WHERE id = $1 AND read_at IS NULL`, fx.ref("notification")).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

func (fx *authzFixture) markUnread(t *testing.T) {
	t.Helper()
	if err := fx.ts.db.Update(fx.ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(`UPDATE notifications SET read_at = NULL WHERE id = $1`, fx.ref("notification"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// must2 is must for a call answering a client and its key.
func must2(c *open311.Client, _ string, err error) *open311.Client {
	if err != nil {
		panic(err)
	}
	return c
}
