package cases_test

import (
	"testing"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/mandate"
)

// A case moves, or asks for an opinion, only where someone may act on it:
// a department of another town is refused for 转办 and 会签, a colleague
// whose grant covers another town for 指派 — each with the case unchanged.
func TestHandOverStaysInTheCaseRegion(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		c := f.submitSoleTrader() // a district item: region 500102
		c = f.act("clerk", c, cases.ActionRequest{Action: "accept"})
		town := f.dept("重庆市涪陵区南沱镇人民政府")
		townHandler, err := f.ids.CreateStaff(f.ctx, identity.NewStaff{Account: identity.Account{Username: "town-handler", Password: "a-long-test-password"},
			Name: "town-handler", Grants: []identity.Grant{{Role: identity.RoleHandler, DepartmentID: f.dept("重庆市涪陵区市场监督管理局"), RegionCode: "500102103000"}}})
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			name string
			req  cases.ActionRequest
			key  string
		}{
			{"transfer to a town's department", cases.ActionRequest{Action: "transfer", Department: town, Reason: "属地管理"}, "case.transfer_out_of_region"},
			{"countersign by a town's department", cases.ActionRequest{Action: "countersign", Mode: "all", Departments: []string{f.dept("重庆市公安局涪陵区分局"), town}}, "case.countersign_out_of_region"},
			{"assign to a colleague of a town", cases.ActionRequest{Action: "assign", Assignee: townHandler.Username}, "case.assignee_cannot"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				f.t = t
				f.refused(f.users["handler"], c, tt.req, apperr.Invalid, tt.key)
			})
		}
		f.t = t
		// Inside the region both still work.
		c = f.act("handler", c, cases.ActionRequest{Action: "countersign", Mode: "any", Departments: []string{f.dept("重庆市公安局涪陵区分局")}})
		if len(c.Countersigns) != 1 {
			t.Fatalf("countersign: %+v", c.Countersigns)
		}
	})
}

// An unsubmitted draft — full ID number and phone in its form — is the
// applicant's (and the agent's who prepares it): no staff role lists it,
// counts it, reads it, its timeline or materials, or acts on it, until it
// is submitted.
func TestDraftsAreTheApplicantsOwn(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		u := f.users["zhangsan"]
		c, _, err := f.svc.Create(f.ctx, u, cases.NewCase{ItemCode: f.codes[soleTrader], Values: soleTraderValues(),
			Answers: map[string]string{"premises": "rented"}, Materials: []cases.MaterialRef{f.upload(u, "application"), f.upload(u, "id_card"), f.upload(u, "lease")}})
		if err != nil || c.State != "draft" {
			t.Fatalf("draft: %v", err)
		}
		staff := []string{"clerk", "handler", "reviewer", "approver", "supervisor"}
		for _, name := range staff {
			t.Run(name, func(t *testing.T) {
				s := f.users[name]
				for _, fl := range []cases.Filter{{}, {Inbox: true}, {State: "draft"}} {
					if list, n, err := f.svc.List(f.ctx, s, fl); err != nil || n != 0 || len(list) != 0 {
						t.Errorf("%+v lists %d drafts (%v)", fl, n, err)
					}
				}
				if _, err := f.svc.Get(f.ctx, s, c.Ref()); !apperr.Is(err, apperr.NotFound, "case.not_found") {
					t.Errorf("reads the draft: %v", err)
				}
				if _, err := f.svc.Timeline(f.ctx, s, c.Ref()); !apperr.Is(err, apperr.NotFound, "case.not_found") {
					t.Errorf("reads the draft's timeline: %v", err)
				}
				if _, _, err := f.svc.OpenMaterial(f.ctx, s, c.Ref(), c.Materials[0].ID); !apperr.Is(err, apperr.NotFound, "case.not_found") {
					t.Errorf("opens the draft's material: %v", err)
				}
				if _, err := f.svc.Act(f.ctx, s, c.Ref(), cases.ActionRequest{Action: "comment", Comment: "看看"}); !apperr.Is(err, apperr.NotFound, "case.not_found") {
					t.Errorf("acts on the draft: %v", err)
				}
			})
		}
		// The applicant has it; a window clerk keeps no drafts at all.
		if _, n, _ := f.svc.List(f.ctx, u, cases.Filter{}); n != 1 {
			t.Errorf("the applicant lists %d", n)
		}
		if _, _, err := f.svc.Create(f.ctx, f.users["clerk"], cases.NewCase{ItemCode: f.codes[soleTrader], Values: soleTraderValues(),
			Applicant: "500102198506120011"}); !apperr.Is(err, apperr.Invalid, "case.window_draft") {
			t.Errorf("a clerk's draft: %v", err)
		}
		// Submitted, it is the clerk's to pre-review.
		c = f.act("zhangsan", c, cases.ActionRequest{Action: "submit"})
		if _, n, _ := f.svc.List(f.ctx, f.users["clerk"], cases.Filter{Inbox: true}); n != 1 {
			t.Errorf("the clerk's inbox after submission: %d", n)
		}
		if got, err := f.svc.Get(f.ctx, f.users["clerk"], c.Ref()); err != nil || got.No == "" {
			t.Errorf("the clerk reads the submitted case: %v", err)
		}
	})
}

// The identity fields of a form are the applicant's registered identity:
// left empty they are filled from the account, typed they must match it,
// on filing, on a bundle's merged form, and on every later edit.
func TestIdentityFieldsAreBoundToTheApplicant(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		with := func(base catalog.Values, kv ...string) catalog.Values {
			v := catalog.Values{}
			for k, x := range base {
				v[k] = x
			}
			for i := 0; i < len(kv); i += 2 {
				if kv[i+1] == "" {
					delete(v, kv[i])
				} else {
					v[kv[i]] = []string{kv[i+1]}
				}
			}
			return v
		}
		corp := f.users["democorp"]
		app, _ := f.ids.ApplicantOf(f.ctx, corp)
		corpValues := with(foodValues(), "org_name", app.Name, "org_credit_code", app.Masked)
		for _, tt := range []struct {
			name  string
			user  string
			item  string
			vals  catalog.Values
			field string // the refused field's label; "" when filed
		}{
			{"another person's name", "zhangsan", soleTrader, with(soleTraderValues(), "applicant_name", "李四"), "申请人姓名"},
			{"another person's valid ID number", "zhangsan", soleTrader, with(soleTraderValues(), "applicant_id", "11010519491231002X"), "公民身份号码"},
			{"own identity, spaced and lower case", "zhangsan", soleTrader, with(soleTraderValues(), "applicant_name", " 张三 "), ""},
			{"identity left out", "zhangsan", soleTrader, with(soleTraderValues(), "applicant_name", "", "applicant_id", ""), ""},
			{"another enterprise's credit code", "democorp", foodLicence, with(corpValues, "org_credit_code", "92500102MA5U7X2K8B"), "统一社会信用代码"},
			{"another enterprise's name", "democorp", foodLicence, with(corpValues, "org_name", "张三小吃店"), "单位名称"},
			{"own enterprise", "democorp", foodLicence, corpValues, ""},
		} {
			t.Run(tt.name, func(t *testing.T) {
				c, _, err := f.svc.Create(f.ctx, f.users[tt.user], cases.NewCase{ItemCode: f.codes[tt.item], Values: tt.vals})
				if tt.field != "" {
					if !apperr.Is(err, apperr.Invalid, "case.identity_bound") || apperr.As(err).Args["field"] != tt.field {
						t.Fatalf("filed: %v", err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if tt.user == "zhangsan" && (c.Values["applicant_name"][0] != "张三" || c.Values["applicant_id"][0] != "500102198506120011") {
					t.Errorf("identity on the case: %v %v", c.Values["applicant_name"], c.Values["applicant_id"])
				}
				if tt.user == "democorp" && c.Values["org_credit_code"][0] != app.Masked {
					t.Errorf("credit code on the case: %v", c.Values["org_credit_code"])
				}
			})
		}
		// A bundle's merged form names the applicant too.
		f.t = t
		f.plainBundle()
		if _, _, err := f.svc.Create(f.ctx, corp, cases.NewCase{Bundle: "qykb-plain", Values: catalog.Values{"org_name": {"别家公司"}}}); !apperr.Is(err, apperr.Invalid, "case.identity_bound") {
			t.Errorf("bundle with another enterprise's name: %v", err)
		}
		// A draft's edit cannot change it either.
		u := f.users["zhangsan"]
		d, _, err := f.svc.Create(f.ctx, u, cases.NewCase{ItemCode: f.codes[soleTrader], Values: soleTraderValues()})
		if err != nil {
			t.Fatal(err)
		}
		f.t = t
		f.refusedOwn(u, d, cases.ActionRequest{Action: "edit", Values: with(soleTraderValues(), "applicant_id", "11010519491231002X")}, apperr.Invalid, "case.identity_bound")
	})
}

// refusedOwn is refused for a case only its applicant reads (a draft).
func (f *fixture) refusedOwn(u *identity.User, c *cases.Case, req cases.ActionRequest, code apperr.Code, key string) {
	f.t.Helper()
	before, _ := f.svc.Get(f.ctx, u, c.Ref())
	if _, err := f.svc.Act(f.ctx, u, c.Ref(), req); !apperr.Is(err, code, key) {
		f.t.Fatalf("%s by %s: got %v, want %s %s", req.Action, u.Username, err, code, key)
	}
	if after, _ := f.svc.Get(f.ctx, u, c.Ref()); after.Rev != before.Rev {
		f.t.Fatalf("%s refused but the case changed", req.Action)
	}
}

// 代办 without a name oracle, only under a mandate: the agent names the
// applicant by name and number, "unknown" and "mismatch" are one answer,
// failures are throttled; and the agent files only under an active,
// unexpired mandate of the applicant's whose scope covers the item — the
// case records it — and is told why not otherwise. A 授权委托书 attached
// to the filing no longer stands in for one.
func TestAgentFilesOnlyUnderAMandate(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		agent := f.users["agent"]
		ms := &mandate.Service{DB: f.db, Identity: f.ids, Files: f.svc.OpenStored}
		for _, p := range []identity.NewPerson{
			{Account: identity.Account{Username: "lisi", Password: "a-long-test-password"}, Name: "李四", IDNumber: "11010519491231002X", Region: "500102107000"}, // 青羊镇
			{Account: identity.Account{Username: "wangwu", Password: "a-long-test-password"}, Name: "王五", IDNumber: "500102199001010014"},                       // region not known
			{Account: identity.Account{Username: "zhaoliu", Password: "a-long-test-password"}, Name: "钱七", IDNumber: "110105194912310046"},
		} {
			if _, err := f.ids.CreatePerson(f.ctx, p); err != nil {
				t.Fatal(err)
			}
		}
		users := map[string]*identity.User{}
		for _, n := range []string{"lisi", "wangwu", "zhaoliu"} {
			users[n], _ = f.ids.UserByUsername(f.ctx, n)
		}
		corp, _ := f.ids.ApplicantOf(f.ctx, f.users["democorp"])
		today := "2026-02-12"
		ask := func(name, number string, all bool, items []string, until string) *mandate.Mandate {
			t.Helper()
			m, err := ms.Request(f.ctx, agent, "", mandate.Request{Name: name, Number: number, AllItems: all, Items: items, ValidUntil: until, Method: mandate.MethodSMS})
			if err != nil {
				t.Fatal(err)
			}
			return m
		}
		// 李四: a request still pending. 王五: active for the food licence
		// only. 钱七: active until today, and an earlier one revoked.
		ask("李四", "11010519491231002X", true, nil, "2026-12-31")
		wang := ask("王五", "500102199001010014", false, []string{f.codes[foodLicence]}, "2026-12-31")
		if _, err := ms.Answer(f.ctx, users["wangwu"], wang.ID, true); err != nil {
			t.Fatal(err)
		}
		qian := ask("钱七", "110105194912310046", true, nil, today)
		if _, err := ms.Answer(f.ctx, users["zhaoliu"], qian.ID, true); err != nil {
			t.Fatal(err)
		}
		// The enterprise: a written mandate a clerk of the agent's region checked.
		doc := f.upload(agent, cases.MandateKey)
		cm, err := ms.Request(f.ctx, agent, "", mandate.Request{Name: corp.Name, Number: corp.Masked, AllItems: true, ValidUntil: "2026-12-31", Method: mandate.MethodDocument, Document: doc.ID})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ms.Check(f.ctx, f.users["clerk"], cm.ID, true, ""); err != nil {
			t.Fatal(err)
		}
		f.SetNow(f.Now().Add(24 * time.Hour)) // 钱七's has expired
		revoke := func() {
			// 钱七 then gave one for a single item, and revoked it.
			m := ask("钱七", "110105194912310046", false, []string{f.codes[soleTrader]}, "2026-12-31")
			if _, err := ms.Answer(f.ctx, users["zhaoliu"], m.ID, true); err != nil {
				t.Fatal(err)
			}
			f.SetNow(f.Now().Add(time.Minute))
			if _, err := ms.Revoke(f.ctx, users["zhaoliu"], m.ID); err != nil {
				t.Fatal(err)
			}
		}
		for _, tt := range []struct {
			name, item, number, who string
			attach                  bool
			code                    apperr.Code
			key                     string // "" when filed
			all                     bool
			before                  func()
		}{
			{"under the demo's mandate of 张三's", soleTrader, "500102198506120011", "张三", false, "", "", true, nil},
			{"the number without the name", soleTrader, "500102198506120011", "", false, apperr.Invalid, "case.agent_applicant_required", false, nil},
			{"the number with another name", soleTrader, "500102198506120011", "张四", false, apperr.Invalid, "case.applicant_unmatched", false, nil},
			{"an unregistered number", soleTrader, "110105194912310054", "张三", false, apperr.Invalid, "case.applicant_unmatched", false, nil},
			{"a request still pending", soleTrader, "11010519491231002X", "李四", false, apperr.Invalid, "mandate.filing_pending", false, nil},
			{"a 授权委托书 attached is no mandate", soleTrader, "11010519491231002X", "李四", true, apperr.Invalid, "mandate.filing_pending", false, nil},
			{"outside the scope", soleTrader, "500102199001010014", "王五", false, apperr.Invalid, "mandate.filing_out_of_scope", false, nil},
			{"within the scope", foodLicence, "500102199001010014", "王五", false, "", "", false, nil},
			{"expired", foodLicence, "110105194912310046", "钱七", false, apperr.Invalid, "mandate.filing_expired", false, nil},
			{"revoked", soleTrader, "110105194912310046", "钱七", false, apperr.Invalid, "mandate.filing_revoked", false, revoke},
			{"an enterprise, under a checked written mandate", foodLicence, corp.Masked, corp.Name, true, "", "", true, nil},
		} {
			t.Run(tt.name, func(t *testing.T) {
				if tt.before != nil {
					tt.before()
				}
				var mats []cases.MaterialRef
				if tt.attach {
					mats = append(mats, f.upload(agent, cases.MandateKey))
				}
				c, _, err := f.svc.Create(f.ctx, agent, cases.NewCase{ItemCode: f.codes[tt.item], Applicant: tt.number, ApplicantName: tt.who, Materials: mats})
				if tt.key != "" {
					if !apperr.Is(err, tt.code, tt.key) {
						t.Fatalf("got %v, want %s", err, tt.key)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if c.ApplicantName != tt.who || c.AgentID != agent.ID {
					t.Errorf("filed for %q by %q", c.ApplicantName, c.AgentID)
				}
				if c.Mandate == nil || c.Mandate.AllItems != tt.all || c.Mandate.ValidUntil == "" {
					t.Fatalf("the case does not record its mandate: %+v", c.Mandate)
				}
				again, err := f.svc.Get(f.ctx, agent, c.ID)
				if err != nil || again.Mandate == nil || again.Mandate.ID != c.Mandate.ID || again.Mandate.ValidUntil != c.Mandate.ValidUntil {
					t.Errorf("read back: %+v %v", again, err)
				}
				if tt.attach && (len(c.Materials) != 1 || c.Materials[0].Key != cases.MandateKey || c.Materials[0].Name != cases.MandateName) {
					t.Errorf("the 授权委托书 is not kept with the case: %+v", c.Materials)
				}
			})
		}
		// Guessing is throttled: after the limit even a right pair is refused
		// until the window ends. (Two failures above count already.)
		for i := 2; i < mandate.MatchLimit; i++ {
			if _, _, err := f.svc.Create(f.ctx, agent, cases.NewCase{ItemCode: f.codes[soleTrader], Applicant: "500102198506120011", ApplicantName: "张" + string(rune('A'+i))}); !apperr.Is(err, apperr.Invalid, "case.applicant_unmatched") {
				t.Fatalf("guess %d: %v", i, err)
			}
		}
		var audited int
		f.db.View(f.ctx, func(tx *db.Tx) error {
			return tx.QueryRow(`SELECT COUNT(*) FROM audit_pending WHERE actor_id = $1 AND action = 'case.applicant_unmatched' AND payload IS NULL`, agent.ID).Scan(&audited)
		})
		if audited != mandate.MatchLimit {
			t.Errorf("%d failed attempts audited, want %d", audited, mandate.MatchLimit)
		}
		right := cases.NewCase{ItemCode: f.codes[soleTrader], Applicant: "500102198506120011", ApplicantName: "张三"}
		if _, _, err := f.svc.Create(f.ctx, agent, right); !apperr.Is(err, apperr.TooMany, "case.applicant_throttled") {
			t.Fatalf("after %d failures: %v", mandate.MatchLimit, err)
		}
		// The mandate requests name people the same way, under the same count.
		if _, err := ms.Request(f.ctx, agent, "", mandate.Request{Name: "张三", Number: "500102198506120011", AllItems: true, ValidUntil: "2026-12-31", Method: mandate.MethodSMS}); !apperr.Is(err, apperr.TooMany, "case.applicant_throttled") {
			t.Fatalf("a request after %d failures: %v", mandate.MatchLimit, err)
		}
		f.SetNow(f.Now().Add(mandate.MatchWindow))
		if _, _, err := f.svc.Create(f.ctx, agent, right); err != nil {
			t.Fatalf("after the window: %v", err)
		}
	})
}
