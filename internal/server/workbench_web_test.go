package server

import (
	"context"
	"encoding/json"
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

// The workbench's tabs, filters and sorts (issue 17) through the page and
// the API, on the demo's cases: every tab and sort renders and its links
// keep the rest; bad parameters are a clear 400, never a stack trace.
func TestWorkbenchPageAndAPI(t *testing.T) {
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
		if err := demo.SeedCases(context.Background(), d, ts.ids, svc, func() time.Time { return ts.now }); err != nil {
			t.Fatal(err)
		}
		c := ts.client()
		ts.webLogin(t, c, "clerk")
		for _, tab := range cases.Tabs {
			for _, sort := range append([]string{""}, cases.Sorts...) {
				q := url.Values{"tab": {tab}, "sort": {sort}, "dir": {"desc"}, "applicant": {"张"}}
				r, _ := c.Get(ts.URL + "/workbench?" + q.Encode())
				b := body(t, r)
				bounded := (cases.Filter{Tab: tab}).Bounded()
				if !bounded && sort != "" && sort != "filed" {
					// 已办 holds the whole history: only filing time sorts it.
					if r.StatusCode != 400 || !strings.Contains(b, "只能按申请时间") {
						t.Errorf("/workbench?%s: %d, want 400 case.sort_unbounded", q.Encode(), r.StatusCode)
					}
					continue
				}
				if r.StatusCode != 200 || strings.Contains(b, "系统内部错误") || !strings.Contains(b, `id="tab-`+tab+`" data-tab="`+tab+`" aria-current="page"`) {
					t.Fatalf("/workbench?%s: %d", q.Encode(), r.StatusCode)
				}
				// Every tab link keeps the filter and sort; the column links keep the tab.
				if !strings.Contains(b, "applicant=%E5%BC%A0") || sort != "" && !strings.Contains(b, "sort="+sort) ||
					bounded && strings.Contains(b, `id="case-list"`) && sort != "item" && !strings.Contains(b, `href="/workbench?applicant=%E5%BC%A0&amp;dir=asc&amp;sort=item&amp;tab=`+tab+`"`) {
					t.Errorf("%s/%s: links lose the filters", tab, sort)
				}
				if strings.Contains(b, "500102198506120011") {
					t.Errorf("%s: an unmasked ID number", tab)
				}
			}
		}
		for _, bad := range []struct{ q, msg string }{
			{"tab=all", "没有“all”这一栏"},
			{"sort=applicant_id", "不能按“applicant_id”排序"},
			{"dir=up", "参数 dir 只能取"},
			{"from=2026-13-01", "2026-13-01"},
			{"from=2026-03-04&to=2026-03-03", "申请日期的起日须早于止日"},
		} {
			r, _ := c.Get(ts.URL + "/workbench?" + bad.q)
			if b := body(t, r); r.StatusCode != 400 || !strings.Contains(b, bad.msg) {
				t.Errorf("/workbench?%s: %d, want 400 %q", bad.q, r.StatusCode, bad.msg)
			}
		}

		api := ts.URL + "/api/v1"
		tok := apiToken(t, api, "clerk")
		st, m := apiCall(t, "GET", api+"/cases?tab=doing&counts=true&sort=filed&per_page=100", tok, "")
		if st != 200 {
			t.Fatalf("tab=doing: %d %v", st, m)
		}
		list := m["cases"].([]any)
		counts := m["counts"].(map[string]any)
		if len(counts) != len(cases.Tabs) || counts["doing"] != float64(min(len(list), cases.CountCap)) || m["total"] != float64(len(list)) || m["total_capped"] != false {
			t.Errorf("counts %v, total %v, listed %d", counts, m["total"], len(list))
		}
		last := ""
		for _, x := range list {
			cs := x.(map[string]any)
			if st := cs["status"].(string); st != "pre_review" && st != "correction" && st != "handling" {
				t.Errorf("在办 lists a %s case", st)
			}
			if at, _ := cs["submitted_at"].(string); at < last {
				t.Errorf("not in filing order: %s after %s", at, last)
			} else {
				last = at
			}
		}
		// Keyset pages: next leads on, every case once, until next is empty;
		// the token is bound to its filters.
		seen := map[string]bool{}
		next := ""
		for pages := 0; ; pages++ {
			st, m := apiCall(t, "GET", api+"/cases?tab=doing&sort=filed&per_page=2&after="+url.QueryEscape(next), tok, "")
			if st != 200 || pages > len(list) {
				t.Fatalf("page %d: %d %v", pages, st, m)
			}
			for _, x := range m["cases"].([]any) {
				no := x.(map[string]any)["case_no"].(string)
				if seen[no] {
					t.Errorf("%s listed twice", no)
				}
				seen[no] = true
			}
			if next, _ = m["next"].(string); next == "" {
				break
			}
			if st, m := apiCall(t, "GET", api+"/cases?tab=todo&sort=filed&per_page=2&after="+url.QueryEscape(next), tok, "", "Accept-Language", "en"); st != 400 ||
				m["message_key"] != "paging.token_other_list" {
				t.Errorf("a token of 在办 on 待办: %d %v", st, m)
			}
		}
		if len(seen) != len(list) {
			t.Errorf("paged through %d of %d", len(seen), len(list))
		}
		st, m = apiCall(t, "GET", api+"/cases?tab=soon", tok, "", "Accept-Language", "en")
		if b, _ := json.Marshal(m); st != 400 || !strings.Contains(string(b), "There is no view") {
			t.Errorf("tab=soon: %d %v", st, m)
		}
	})
}

// 新到待办 (issue 16): a staff member's new work is read from their inbox
// list — on the notification page (once, then seen), in the unread badge
// and in the API's inbox — and an applicant has none.
func TestNewWorkInTheInbox(t *testing.T) {
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
		if err := demo.SeedCases(context.Background(), d, ts.ids, svc, func() time.Time { return ts.now }); err != nil {
			t.Fatal(err)
		}
		api := ts.URL + "/api/v1"
		tok := apiToken(t, api, "handler")
		st, m := apiCall(t, "GET", api+"/notifications", tok, "")
		work, ok := m["new_work"].(map[string]any)
		if st != 200 || !ok || work["count"].(float64) < 1 || len(work["cases"].([]any)) < 1 || work["since"] != nil {
			t.Fatalf("the handler's inbox: %d %v", st, m)
		}
		no := work["cases"].([]any)[0].(map[string]any)["case_no"].(string)
		if strings.Contains(mustJSON(t, work), "500102198506120011") {
			t.Error("an unmasked ID number in the new work")
		}
		c := ts.client()
		ts.webLogin(t, c, "handler")
		r, _ := c.Get(ts.URL + "/notifications")
		b := body(t, r)
		if r.StatusCode != 200 || !strings.Contains(b, `id="new-work"`) || !strings.Contains(b, no) {
			t.Fatalf("the notification page: %d, new work shown: %v", r.StatusCode, strings.Contains(b, `id="new-work"`))
		}
		// Seen now: the API says since when, and nothing is new.
		ts.now = ts.now.Add(time.Minute)
		st, m = apiCall(t, "GET", api+"/notifications", tok, "")
		if work = m["new_work"].(map[string]any); st != 200 || work["count"].(float64) != 0 || work["since"] == nil {
			t.Errorf("after the page: %v", work)
		}
		// An applicant's inbox has no new work.
		st, m = apiCall(t, "GET", api+"/notifications", apiToken(t, api, "zhangsan"), "")
		if _, has := m["new_work"]; st != 200 || has {
			t.Errorf("an applicant's inbox: %d %v", st, m)
		}
	})
}
