package cases_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/catalog"
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

func TestBundle(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		bv, err := f.cat.BundleByCode(f.ctx, "qykb", false)
		if err != nil {
			t.Fatal(err)
		}
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
		parent, fresh, err := f.svc.Create(f.ctx, corp, cases.NewCase{Bundle: "qykb", Values: vals, Answers: answers,
			Materials: refs, Submit: true, Delivery: postTo()})
		if err != nil || !fresh {
			t.Fatalf("bundle: %v", err)
		}
		if parent.State != "in_progress" || parent.BundleCode != "qykb" || len(parent.Children) != len(bv.Versions) || parent.ItemName != "企业开办一件事" {
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
		// 周芳, who acts for it on every item).
		if got := strings.Join(f.told(p.ID), " "); got != "clerk:inbox democorp:bundle_concluded democorp:posted democorp:submitted "+
			"jingban:bundle_concluded jingban:posted jingban:submitted legalrep:bundle_concluded legalrep:posted legalrep:submitted" {
			t.Errorf("the bundle told %q", got)
		}
		for _, ch := range p.Children {
			if got := f.told(ch.ID); !slices.Contains(got, "democorp:decided") || slices.Contains(got, "democorp:submitted") {
				t.Errorf("sub-case %s told %v", ch.ItemName, got)
			}
		}
	})
}
