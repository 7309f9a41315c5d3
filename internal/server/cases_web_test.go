package server

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/blob"
	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/demo"
)

// Every page of every demo case renders for every role that may see it:
// the demo has a case in every state, so a template fault in any state's
// page, action form or document fails here, on both databases.
func TestCasePagesInEveryState(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		var svc *cases.Service
		ts := newTestServer(t, d, func(o *Options) {
			var err error
			svc, err = cases.New(o.DB, catalog.New(o.DB), o.Identity, o.Calendars, blob.Dir{Root: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			o.Cases = svc
		})
		ctx := context.Background()
		if err := demo.SeedCases(ctx, d, ts.ids, svc, func() time.Time { return ts.now }); err != nil {
			t.Fatal(err)
		}
		sup, _ := ts.ids.UserByUsername(ctx, "supervisor")
		all, n, err := svc.List(ctx, sup, cases.Filter{PerPage: 100})
		if err != nil || n < 20 {
			t.Fatalf("demo cases: %d %v", n, err)
		}
		// Drafts are their applicants' own: the supervisor lists none of them.
		drafts := map[string]bool{}
		for _, who := range []string{"zhangsan", "democorp"} {
			u, _ := ts.ids.UserByUsername(ctx, who)
			own, _, err := svc.List(ctx, u, cases.Filter{State: "draft", PerPage: 100})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range own {
				drafts[c.Ref()] = true
			}
			all = append(all, own...)
		}
		if len(drafts) == 0 {
			t.Fatal("no demo draft")
		}
		states := map[string]bool{}
		for _, c := range all {
			states[c.State] = true
		}
		for _, st := range []string{"draft", "pre_review", "correction", "handling", "review", "approval", "concluded", "delivered", "refused", "withdrawn", "terminated"} {
			if !states[st] {
				t.Errorf("no demo case in state %s", st)
			}
		}
		seen := map[string]bool{}
		for _, user := range []string{"zhangsan", "democorp", "clerk", "handler", "reviewer", "approver", "supervisor"} {
			c := ts.client()
			ts.webLogin(t, c, user)
			for _, p := range []string{"/workbench", "/workbench/inbox", "/my/cases"} {
				r, _ := c.Get(ts.URL + p)
				b := body(t, r)
				if r.StatusCode != 200 && r.StatusCode != 403 || strings.Contains(b, "系统内部错误") {
					t.Errorf("%s %s: %d", user, p, r.StatusCode)
				}
				// 我的 (/me) lists one's own cases, never "您还没有办件" to someone who has some.
				if p == "/my/cases" && user == "zhangsan" {
					r, _ := c.Get(ts.URL + "/me")
					if b := body(t, r); !strings.Contains(b, `id="my-cases-all"`) || strings.Contains(b, `id="my-cases-empty"`) {
						t.Errorf("/me for 张三 does not list his cases")
					}
				}
				// The window's to-do list: a decided case waits for 送达, not "已办结".
				if user == "clerk" && p == "/workbench/inbox" && (!strings.Contains(b, "待送达") || strings.Contains(b, ">已办结<")) {
					t.Errorf("the clerk's inbox labels a concluded case: %v", strings.Contains(b, "待送达"))
				}
			}
			for _, k := range all {
				r, _ := c.Get(ts.URL + "/cases/" + k.Ref())
				b := body(t, r)
				switch r.StatusCode {
				case 404:
					continue
				case 200:
					if drafts[k.Ref()] && user != "zhangsan" && user != "democorp" {
						t.Errorf("%s opens the draft %s", user, k.Ref())
					}
					seen[k.Ref()] = true
				default:
					t.Errorf("%s reads %s (%s): %d %s", user, k.Ref(), k.State, r.StatusCode, b)
					continue
				}
				reader := sup
				if drafts[k.Ref()] {
					reader, _ = ts.ids.UserByUsername(ctx, user)
				}
				full, err := svc.Get(ctx, reader, k.Ref())
				if err != nil {
					t.Fatal(err)
				}
				for _, nt := range full.Notices {
					for _, q := range []string{"", "?format=pdf"} {
						r, _ := c.Get(ts.URL + "/cases/" + k.Ref() + "/notices/" + nt.ID + q)
						b := body(t, r)
						if r.StatusCode != 200 || (q != "" && !strings.HasPrefix(b, "%PDF-")) || (q == "" && !strings.Contains(b, full.No)) {
							t.Errorf("%s: %s notice %s%s: %d", user, k.Ref(), nt.Kind, q, r.StatusCode)
						}
					}
				}
			}
		}
		for _, k := range all {
			if !seen[k.Ref()] {
				t.Errorf("nobody could read %s (%s)", k.Ref(), k.State)
			}
		}
		// The public progress page and the application page.
		numbered := all[0]
		for _, k := range all {
			if k.No != "" {
				numbered = k
			}
		}
		r, _ := http.Get(ts.URL + "/progress?case_no=" + numbered.No + "&name=" + url.QueryEscape(numbered.ApplicantName) + "&code=" + numbered.QueryCode)
		if b := body(t, r); r.StatusCode != 200 || !strings.Contains(b, "progress-status") {
			t.Errorf("progress: %d", r.StatusCode)
		}
		r, _ = http.Get(ts.URL + "/progress?case_no=" + numbered.No + "&name=" + url.QueryEscape(numbered.ApplicantName))
		if b := body(t, r); r.StatusCode != 400 || strings.Contains(b, "progress-status") || !strings.Contains(b, "查询码") {
			t.Errorf("progress without the code: %d", r.StatusCode)
		}
		c := ts.client()
		ts.webLogin(t, c, "democorp")
		r, _ = c.Get(ts.URL + "/apply/bundle/qykb")
		if b := body(t, r); r.StatusCode != 200 || !strings.Contains(b, "企业开办一件事") || !strings.Contains(b, `name="m.`) {
			t.Errorf("bundle application page: %d", r.StatusCode)
		}
		c = ts.client()
		ts.webLogin(t, c, "zhangsan")
		r, _ = c.Get(ts.URL + "/apply/" + all[0].ItemCode)
		if b := body(t, r); r.StatusCode != 200 && all[0].ApplicantKind == "person" || strings.Contains(b, "系统内部错误") {
			t.Errorf("apply page: %d", r.StatusCode)
		}
	})
}
