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

// A 一件事 rated end to end (issue 18): 张三's concluded 企业开办 bundle
// shows the rating form on its page (a sub-case's page sends him there);
// his rating there is recorded for every sub-case, listed on the bundle's
// page; his 追评 through the API, by a sub-case's number, fans out alike.
func TestRateBundlePageAndAPI(t *testing.T) {
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
		zs, _ := ts.ids.UserByUsername(ctx, "zhangsan")
		var parent string
		if err := d.Reader().QueryRow(`SELECT case_no FROM cases WHERE bundle_code = 'qykb' AND parent_id IS NULL AND applicant_id = $1`, zs.ID).Scan(&parent); err != nil {
			t.Fatal(err)
		}
		p, err := svc.Get(ctx, zs, parent)
		if err != nil {
			t.Fatal(err)
		}
		act := func(user, no, action string) {
			t.Helper()
			u, _ := ts.ids.UserByUsername(ctx, user)
			if _, err := svc.Act(ctx, u, no, cases.ActionRequest{Action: action}); err != nil {
				t.Fatalf("%s %s: %v", user, action, err)
			}
		}
		for _, ch := range p.Children {
			if ch.State == "handling" {
				act("handler", ch.No, "pass")
				act("reviewer", ch.No, "pass")
				act("approver", ch.No, "grant")
			}
		}
		for _, ch := range p.Children {
			if c, _ := svc.Get(ctx, zs, ch.No); c.ConcludedAt == nil {
				act("clerk", ch.No, "accept")
			}
		}
		count := func() int {
			var n int
			d.Reader().QueryRow(`SELECT COUNT(*) FROM ratings`).Scan(&n)
			return n
		}
		z := ts.client()
		ts.webLogin(t, z, "zhangsan")
		r, _ := z.Get(ts.URL + "/cases/" + p.Children[0].No)
		if b := body(t, r); !strings.Contains(b, `id="rate-bundle-link"`) || strings.Contains(b, `id="rating-form"`) {
			t.Errorf("a sub-case's page: no link to rate the bundle, or a form of its own")
		}
		page := ts.URL + "/cases/" + parent
		r, _ = z.Get(page)
		if b := body(t, r); !strings.Contains(b, `id="rating-form"`) || !strings.Contains(b, `id="rating-bundle-lead"`) {
			t.Fatalf("the bundle's page has no rating form")
		}
		tok := csrf(t, z, page)
		r, _ = z.PostForm(page+"/rate", url.Values{"csrf_token": {tok}, "kind": {"first"}, "level": {"5"}, "comment": {"一次办好"}})
		if r.StatusCode != http.StatusSeeOther || count() != len(p.Children) {
			t.Fatalf("rating the bundle: %d, %d ratings", r.StatusCode, count())
		}
		r, _ = z.Get(page + "?rated=1")
		if b := body(t, r); strings.Count(b, `data-kind="first" data-level="5"`) != len(p.Children) || strings.Contains(b, `name="kind" value="first"`) {
			t.Errorf("the bundle's page after rating: %d ratings listed", strings.Count(b, `data-kind="first" data-level="5"`))
		}
		api := ts.URL + "/api/v1"
		st, m := apiCall(t, "POST", api+"/cases/"+p.Children[1].No+"/ratings", apiToken(t, api, "zhangsan"), `{"kind":"follow_up","level":4,"comment":"补充：执照已领到"}`)
		rt, _ := m["rating"].(map[string]any)
		if st != http.StatusCreated || rt["subject_no"] != parent || len(rt["bundle_parts"].([]any)) != len(p.Children) {
			t.Fatalf("追评 through the API: %d %v", st, m)
		}
		if count() != 2*len(p.Children) {
			t.Errorf("ratings after the 追评: %d", count())
		}
		st, m = apiCall(t, "POST", api+"/cases/"+parent+"/ratings", apiToken(t, api, "zhangsan"), `{"level":4}`)
		if st != http.StatusConflict || m["message_key"] != "rating.already_rated" {
			t.Errorf("a second rating of the bundle: %d %v", st, m)
		}
	})
}
