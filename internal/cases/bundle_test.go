package cases_test

import (
	"database/sql"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/identity"
)

// fill gives every field of a form a value its rule accepts.
func fill(fields []catalog.Field, credit string) catalog.Values {
	vals := catalog.Values{}
	for _, f := range fields {
		switch f.Type {
		case "idnumber":
			vals[f.Key] = []string{"500102198506120011"}
		case "creditcode":
			vals[f.Key] = []string{credit}
		case "phone":
			vals[f.Key] = []string{"13800000000"}
		case "address":
			vals[f.Key] = []string{"500102006001", "滨江路 1 号"}
		case "select", "multiselect":
			vals[f.Key] = []string{f.Options[0].Value}
		case "number":
			n := 1.0
			if f.Min != nil && *f.Min > n {
				n = *f.Min
			}
			vals[f.Key] = []string{strconv.FormatFloat(n, 'f', -1, 64)}
		case "date":
			vals[f.Key] = []string{"2026-02-12"}
		case "text", "textarea":
			vals[f.Key] = []string{"示范"}
		}
	}
	return vals
}

// plainBundle saves a copy of the demo's 企业开办一件事 that passes no
// results on (an existing enterprise files it, as before issue 17).
func (f *fixture) plainBundle() *catalog.BundleView {
	f.t.Helper()
	bv, err := f.cat.BundleByCode(f.ctx, "qykb", false)
	if err != nil {
		f.t.Fatal(err)
	}
	b := bv.Bundle
	b.Code, b.Produces = "qykb-plain", nil
	if err := f.cat.SaveBundle(f.ctx, f.users["admin"], &b); err != nil {
		f.t.Fatal(err)
	}
	if bv, err = f.cat.BundleByCode(f.ctx, b.Code, false); err != nil {
		f.t.Fatal(err)
	}
	return bv
}

func TestBundle(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		bv := f.plainBundle()
		corp := f.users["democorp"]
		app, _ := f.ids.ApplicantOf(f.ctx, corp)
		var fields []catalog.Field
		for _, mf := range bv.Form {
			fields = append(fields, mf.Field)
		}
		answers := map[string]string{}
		for _, v := range bv.Versions {
			if v.Item.Situations != nil {
				for _, q := range v.Item.Situations.Questions {
					answers[q.Key] = q.Options[len(q.Options)-1].Value
				}
			}
		}
		var refs []cases.MaterialRef
		for _, m := range bv.Materials {
			if m.Required && m.Electronic {
				refs = append(refs, f.upload(corp, m.Key))
			}
		}
		vals := fill(fields, app.Masked)
		vals["org_name"] = []string{app.Name} // the enterprise's own name: the form's identity
		parent, fresh, err := f.svc.Create(f.ctx, corp, cases.NewCase{Bundle: bv.Code, Values: vals, Answers: answers,
			Materials: refs, Submit: true, Delivery: postTo()})
		if err != nil || !fresh {
			t.Fatalf("bundle: %v", err)
		}
		if parent.State != "in_progress" || parent.BundleCode != bv.Code || len(parent.Children) != len(bv.Versions) || parent.ItemName != "企业开办一件事" {
			t.Fatalf("parent: %s %s %d", parent.State, parent.BundleCode, len(parent.Children))
		}
		// Each department's staff handle their own sub-case, in parallel.
		staff := map[string]*identity.User{}
		for _, ch := range parent.Children {
			if ch.State != "pre_review" || ch.No == "" || ch.ParentID != parent.ID {
				t.Fatalf("sub-case %s: %s", ch.ItemName, ch.State)
			}
			if _, ok := staff[ch.Department]; !ok {
				u, err := f.ids.CreateStaff(f.ctx, identity.NewStaff{Account: identity.Account{Username: "staff" + strconv.Itoa(len(staff)), Password: "a-long-test-password"},
					Name: ch.Department, Grants: []identity.Grant{{Role: identity.RoleHandler, DepartmentID: ch.DepartmentID, RegionCode: "500102"},
						{Role: identity.RoleReviewer, DepartmentID: ch.DepartmentID, RegionCode: "500102"}, {Role: identity.RoleApprover, DepartmentID: ch.DepartmentID, RegionCode: "500102"}}})
				if err != nil {
					t.Fatal(err)
				}
				staff[ch.Department] = u
			}
			// The sub-case got the bundle's files under its own item's keys.
			full, _ := f.svc.Get(f.ctx, f.users["clerk"], ch.No)
			if len(full.Materials) == 0 {
				t.Errorf("sub-case %s has no materials", ch.ItemName)
			}
			// One choice for the bundle: each sub-case's decision states it.
			if full.Choice != parent.Choice || full.Choice.Address == "" {
				t.Errorf("sub-case %s's delivery %+v, the bundle's %+v", ch.ItemName, full.Choice, parent.Choice)
			}
		}
		for i, ch := range parent.Children {
			c := f.act("clerk", &ch, cases.ActionRequest{Action: "accept"})
			if c.State == "handling" {
				u := staff[c.Department]
				for _, a := range []string{"pass", "pass", "grant"} {
					if c, err = f.svc.Act(f.ctx, u, c.No, cases.ActionRequest{Action: a}); err != nil {
						t.Fatalf("%s %s: %v", ch.ItemName, a, err)
					}
				}
			}
			p, _ := f.svc.Get(f.ctx, corp, parent.No)
			if last := i == len(parent.Children)-1; (p.State == "concluded") != last {
				t.Fatalf("after %d of %d sub-cases the bundle is %s", i+1, len(parent.Children), p.State)
			}
		}
		// One delivery, through the bundle.
		f.refused(f.users["clerk"], &parent.Children[0], cases.ActionRequest{Action: "deliver", Delivery: "window"}, apperr.Conflict, "case.deliver_with_bundle")
		p := f.act("clerk", parent, cases.ActionRequest{Action: "deliver", TrackingNo: "EMS9"}) // by post, as chosen
		if p.State != "delivered" {
			t.Fatal(p.State)
		}
		for _, ch := range p.Children {
			if ch.State != "delivered" || ch.TrackingNo != "EMS9" {
				t.Errorf("sub-case %s: %s %q", ch.ItemName, ch.State, ch.TrackingNo)
			}
		}
		events, _ := f.svc.Timeline(f.ctx, corp, p.No)
		var acts []string
		for _, e := range events {
			acts = append(acts, e.Action)
		}
		if !slices.Equal(acts, []string{"create", "submit", "conclude", "deliver"}) {
			t.Errorf("bundle timeline %v", acts)
		}
		// Issue 16: the enterprise is told of the bundle's submission, its
		// conclusion and its delivery once, and of each sub-case's decision;
		// so are its legal representative and its 经办人 (the demo's 王五 and
		// 周芳, who acts for it on every item). Only the bundle's conclusion
		// asks for a rating: an item's decision is item_decided (一事一评).
		if got := strings.Join(f.told(p.ID), " "); got != "democorp:bundle_concluded democorp:posted democorp:submitted "+
			"jingban:bundle_concluded jingban:posted jingban:submitted legalrep:bundle_concluded legalrep:posted legalrep:submitted" {
			t.Errorf("the bundle told %q", got)
		}
		for _, ch := range p.Children {
			if got := f.told(ch.ID); !slices.Contains(got, "democorp:item_decided") || slices.Contains(got, "democorp:decided") || slices.Contains(got, "democorp:submitted") {
				t.Errorf("sub-case %s told %v", ch.ItemName, got)
			}
		}
	})
}

// founderValues fills the merged form 张三 is asked for 企业开办一件事: no
// credit code (the registration produces it).
func founderValues(bv *catalog.BundleView) catalog.Values {
	vals := fill(bv.AskedForm(), "")
	vals["org_name"], vals["legal_rep"] = []string{"重庆市涪陵区新创科技有限公司"}, []string{"张三"}
	return vals
}

// founderMaterials uploads every required material 张三 is asked for.
func (f *fixture) founderMaterials(u *identity.User, bv *catalog.BundleView, skip string) []cases.MaterialRef {
	var refs []cases.MaterialRef
	for _, m := range bv.Materials {
		if m.Required && m.Electronic && m.PassedFrom == "" && m.Key != skip {
			refs = append(refs, f.upload(u, m.Key))
		}
	}
	return refs
}

// Issue 17: 企业开办一件事 does not ask for what it produces. The
// registration sub-case's result — the new enterprise's credit code and
// 营业执照 — is passed on to the later sub-cases (结果实时共享), which
// cannot be decided before it exists.
func TestBundleFounding(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		bv, err := f.cat.BundleByCode(f.ctx, "qykb", false)
		if err != nil {
			t.Fatal(err)
		}
		for _, fl := range bv.AskedForm() {
			if fl.Key == "org_credit_code" {
				t.Fatal("the merged form asks for the credit code the bundle produces")
			}
		}
		zs := f.users["zhangsan"]
		// Asking for it anyway is a misread form.
		with := founderValues(bv)
		with["org_credit_code"] = []string{"91500102MA5U7X2K8B"}
		if _, _, err := f.svc.Create(f.ctx, zs, cases.NewCase{Bundle: "qykb", Values: with}); !apperr.Is(err, apperr.Invalid, "form.unknown_fields") {
			t.Errorf("a credit code given: %v", err)
		}
		// An existing enterprise does not found one.
		if _, _, err := f.svc.Create(f.ctx, f.users["democorp"], cases.NewCase{Bundle: "qykb", Values: catalog.Values{}}); !apperr.Is(err, apperr.Invalid, "case.bundle_founder") {
			t.Errorf("an enterprise files 企业开办: %v", err)
		}
		parent, _, err := f.svc.Create(f.ctx, zs, cases.NewCase{Bundle: "qykb", Values: founderValues(bv), Submit: true,
			Materials: f.founderMaterials(zs, bv, ""), Delivery: postTo()})
		if err != nil {
			t.Fatalf("founding: %v", err)
		}
		if parent.State != "in_progress" || len(parent.Children) != 5 {
			t.Fatalf("parent %s with %d sub-cases", parent.State, len(parent.Children))
		}
		reg, seal := parent.Children[0], parent.Children[1]
		full, err := f.svc.Get(f.ctx, zs, seal.No)
		if err != nil {
			t.Fatal(err)
		}
		if len(full.Passes) != 2 || full.Passes[0].Passed || full.Passes[0].FromItem != reg.ItemName {
			t.Fatalf("the seal's passes: %+v", full.Passes)
		}
		for _, m := range full.Materials {
			if m.Key == "business_licence" {
				t.Error("the seal got an uploaded 营业执照")
			}
		}
		// The seal (即办件: decided at acceptance) waits for the registration.
		f.t = t
		f.refused(f.users["clerk"], &seal, cases.ActionRequest{Action: "accept"}, apperr.Conflict, "case.result_awaited")

		// The registration is granted: the enterprise is registered and its
		// code passed on.
		amr, err := f.ids.CreateStaff(f.ctx, identity.NewStaff{Account: identity.Account{Username: "amr-office", Password: "a-long-test-password"},
			Name: "登记科", Grants: []identity.Grant{{Role: identity.RoleHandler, DepartmentID: reg.DepartmentID, RegionCode: "500102"},
				{Role: identity.RoleReviewer, DepartmentID: reg.DepartmentID, RegionCode: "500102"}, {Role: identity.RoleApprover, DepartmentID: reg.DepartmentID, RegionCode: "500102"}}})
		if err != nil {
			t.Fatal(err)
		}
		c := f.act("clerk", &reg, cases.ActionRequest{Action: "accept"})
		for _, a := range []string{"pass", "pass", "grant"} {
			if c, err = f.svc.Act(f.ctx, amr, c.No, cases.ActionRequest{Action: a}); err != nil {
				t.Fatalf("registration %s: %v", a, err)
			}
		}
		var code, name, rep string
		var held sql.NullString
		if err := f.db.Reader().QueryRow(`SELECT credit_code, name, legal_rep_name, legal_rep_id FROM organisations WHERE name = $1`, "重庆市涪陵区新创科技有限公司").
			Scan(&code, &name, &rep, &held); err != nil {
			t.Fatalf("the enterprise was not registered: %v", err)
		}
		if _, err := codes.ParseCreditCode(code); err != nil || !strings.HasPrefix(code, "91500102") || rep != "张三" || held.Valid {
			t.Errorf("registered %s %s %s held=%v: %v", code, name, rep, held.Valid, err)
		}
		for _, ch := range parent.Children[1:] {
			got, err := f.svc.Get(f.ctx, zs, ch.No)
			if err != nil {
				t.Fatal(err)
			}
			if v := got.Values["org_credit_code"]; len(v) != 1 || v[0] != code {
				t.Errorf("%s: credit code %v, want %s", ch.ItemName, v, code)
			}
			for _, p := range got.Passes {
				if !p.Passed || p.FromNo != reg.No {
					t.Errorf("%s: pass %+v", ch.ItemName, p)
				}
			}
			events, _ := f.svc.Timeline(f.ctx, zs, ch.No)
			if !slices.ContainsFunc(events, func(e cases.Event) bool { return e.Action == "result_shared" }) {
				t.Errorf("%s: no result_shared event", ch.ItemName)
			}
		}
		// The founder, an L2 person named its legal representative, binds it.
		if _, err := f.ids.BindEnterprise(f.ctx, zs, code, name); err != nil {
			t.Errorf("binding the new enterprise: %v", err)
		}
		// Now the seal can be made, and every sub-case concludes.
		for _, ch := range parent.Children[1:] {
			if got := f.act("clerk", &ch, cases.ActionRequest{Action: "accept"}); got.Decision != cases.Granted {
				t.Errorf("%s: %s %s", ch.ItemName, got.State, got.Decision)
			}
		}
		if p, _ := f.svc.Get(f.ctx, zs, parent.No); p.State != "concluded" {
			t.Errorf("the bundle is %s", p.State)
		}
	})
}

// Issue 17: a bundle refused at submission names each field and material
// to correct, and the sub-case's item it was found in.
func TestBundleFaultsNameTheField(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		bv, err := f.cat.BundleByCode(f.ctx, "qykb", false)
		if err != nil {
			t.Fatal(err)
		}
		zs := f.users["zhangsan"]
		for _, tt := range []struct {
			name      string
			drop      string // a form value left out
			bad       map[string]string
			skip      string // a material not uploaded
			item, key string
			label     string
		}{
			{name: "a missing field", drop: "seals", item: "公章刻制备案", key: "seals", label: "刻制印章"},
			{name: "a malformed field", bad: map[string]string{"registered_capital": "很多"}, item: "有限责任公司设立登记", key: "registered_capital", label: "注册资本（万元）"},
			{name: "a missing material", skip: "seal_pattern", item: "公章刻制备案", key: "seal_pattern", label: "印章印模"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				vals := founderValues(bv)
				delete(vals, tt.drop)
				for k, v := range tt.bad {
					vals[k] = []string{v}
				}
				_, _, err := f.svc.Create(f.ctx, zs, cases.NewCase{Bundle: "qykb", Values: vals, Submit: true,
					Materials: f.founderMaterials(zs, bv, tt.skip), Delivery: postTo()})
				e := apperr.As(err)
				if !apperr.Is(err, apperr.Invalid, "case.bundle_item") || e.Args["item"] != tt.item || len(e.Details) != 1 {
					t.Fatalf("got %v", err)
				}
				at := e.Details[0].At
				if at == nil || at.Key != tt.key || at.Label != tt.label || at.Item != tt.item || at.LabelEN == "" && tt.skip == "" || at.ItemEN == "" {
					t.Errorf("the fault names %+v", at)
				}
			})
		}
	})
}
