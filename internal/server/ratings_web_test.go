package server

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/blob"
	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/demo"
	"github.com/tongban/tongban/internal/pdftest"
)

// 好差评 through the pages (issue 18): 张三 rates a concluded case on its
// page — refused precisely while the form is wrong, nothing written — the
// department works the order in its ledger, 张三 answers the 回访, the
// public statistics show the figures; the kiosk page rates by 查询码.
func TestRatingPages(t *testing.T) {
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
		var caseNo, delivered, code string
		if err := d.Reader().QueryRow(`SELECT case_no FROM cases WHERE applicant_id = $1 AND state = 'concluded' AND parent_id IS NULL ORDER BY case_no LIMIT 1`, zs.ID).Scan(&caseNo); err != nil {
			t.Fatal(err)
		}
		if err := d.Reader().QueryRow(`SELECT case_no, query_code FROM cases WHERE applicant_id = $1 AND state = 'delivered' ORDER BY case_no LIMIT 1`, zs.ID).Scan(&delivered, &code); err != nil {
			t.Fatal(err)
		}
		count := func() int {
			var n int
			d.Reader().QueryRow(`SELECT COUNT(*) FROM ratings`).Scan(&n)
			return n
		}
		page := ts.URL + "/cases/" + caseNo
		z := ts.client()
		ts.webLogin(t, z, "zhangsan")
		r, _ := z.Get(page)
		b := body(t, r)
		if r.StatusCode != 200 || !strings.Contains(b, `id="rating-form"`) || !strings.Contains(b, "非常不满意") || !strings.Contains(b, "额外要求提交材料") {
			t.Fatalf("case page: %d, rating form %v", r.StatusCode, strings.Contains(b, `id="rating-form"`))
		}
		// The decision notice asks for a rating: a QR code and the link, on the page and in the PDF.
		nm := regexp.MustCompile(`href="(/cases/[^"]+/notices/[0-9a-f-]{36})" data-kind="decision"`).FindStringSubmatch(b)
		if nm == nil {
			t.Fatal("no decision notice")
		}
		r, _ = z.Get(ts.URL + nm[1])
		if b := body(t, r); !strings.Contains(b, `id="rate-link"`) || !strings.Contains(b, "/rate?case_no="+caseNo) || !strings.Contains(b, "via=qr") {
			t.Fatal("the decision notice has no rating link")
		}
		r, _ = z.Get(ts.URL + nm[1] + "?format=pdf")
		if text, ok := pdftest.Text(t, []byte(body(t, r))); ok && (!strings.Contains(text, "扫码评价本次服务") || !strings.Contains(text, "/rate")) {
			t.Fatalf("the decision PDF has no rating QR code: %s", text)
		}
		if lm := regexp.MustCompile(`href="(/licences/[^"]+)" id="case-licence"`).FindStringSubmatch(b); lm != nil {
			r, _ = z.Get(ts.URL + lm[1] + "/pdf")
			if text, ok := pdftest.Text(t, []byte(body(t, r))); ok && !strings.Contains(text, "扫码评价办理服务") {
				t.Fatalf("the licence PDF has no rating QR code: %s", text)
			}
		} else {
			t.Log("the granted case issued no licence")
		}
		tok := csrf(t, z, page)
		r, _ = z.PostForm(page+"/rate", url.Values{"csrf_token": {tok}, "kind": {"first"}, "level": {"2"}, "comment": {"跑了两次"}})
		if b := body(t, r); r.StatusCode != 400 || !strings.Contains(b, "请至少选择一项") || count() != 0 {
			t.Fatalf("bad rating without a reason: %d, %d written", r.StatusCode, count())
		}
		r, _ = z.PostForm(page+"/rate", url.Values{"csrf_token": {tok}, "kind": {"first"}, "level": {"2"}, "indicator": {"online.overdue", "online.nope"}})
		if b := body(t, r); r.StatusCode != 400 || !strings.Contains(b, "online.nope") || count() != 0 {
			t.Fatalf("unknown indicator: %d", r.StatusCode)
		}
		r, _ = z.PostForm(page+"/rate", url.Values{"csrf_token": {tok}, "kind": {"first"}, "level": {"2"}, "indicator": {"online.overdue", "online.extra_materials"}, "comment": {"补正两次才受理。"}})
		if r.StatusCode != http.StatusSeeOther || count() != 1 {
			t.Fatalf("rating: %d, %d written", r.StatusCode, count())
		}
		r, _ = z.PostForm(page+"/rate", url.Values{"csrf_token": {tok}, "kind": {"first"}, "level": {"5"}})
		if b := body(t, r); r.StatusCode != 409 || !strings.Contains(b, "一事一评") || count() != 1 {
			t.Fatalf("a second rating: %d", r.StatusCode)
		}
		// Staff never rate.
		clerk := ts.client()
		ts.webLogin(t, clerk, "clerk")
		ctok := csrf(t, clerk, ts.URL+"/workbench")
		if r, _ = clerk.PostForm(page+"/rate", url.Values{"csrf_token": {ctok}, "level": {"5"}}); r.StatusCode != 403 {
			t.Fatalf("clerk rates: %d", r.StatusCode)
		}

		// The department's ledger and the order page.
		h := ts.client()
		ts.webLogin(t, h, "handler")
		r, _ = h.Get(ts.URL + "/workbench/ratings")
		b = body(t, r)
		m := regexp.MustCompile(`href="/workbench/ratings/([0-9a-f-]{36})"`).FindStringSubmatch(b)
		if r.StatusCode != 200 || m == nil || strings.Contains(b, "补正两次才受理") {
			t.Fatalf("ledger: %d %v", r.StatusCode, m)
		}
		order := ts.URL + "/workbench/ratings/" + m[1]
		step := func(c *http.Client, vals url.Values, want int) string {
			t.Helper()
			vals.Set("csrf_token", csrf(t, c, order))
			r, _ := c.PostForm(order, vals)
			b := body(t, r)
			if r.StatusCode != want {
				t.Fatalf("%s: %d %s", vals.Get("action"), r.StatusCode, b)
			}
			return b
		}
		step(h, url.Values{"action": {"verify"}}, 400) // a note is required
		step(h, url.Values{"action": {"start"}}, 303)
		step(h, url.Values{"action": {"verify"}, "note": {"情况属实。"}}, 303)
		step(h, url.Values{"action": {"rectify"}, "note": {"已修订一次性告知单。"}}, 303)
		r, _ = h.Get(order)
		if b := body(t, r); !strings.Contains(b, "已整改") || !strings.Contains(b, "补正两次才受理") {
			t.Fatal("order page after rectification")
		}

		// 张三 answers the 回访 on his case page.
		r, _ = z.Get(page)
		b = body(t, r)
		om := regexp.MustCompile(`name="order" value="([0-9a-f-]{36})"`).FindStringSubmatch(b)
		if om == nil || !strings.Contains(b, "已修订一次性告知单") {
			t.Fatal("no 回访 on the case page")
		}
		r, _ = z.PostForm(page+"/revisit", url.Values{"csrf_token": {csrf(t, z, page)}, "order": {om[1]}, "answer": {"satisfied"}})
		if r.StatusCode != http.StatusSeeOther {
			t.Fatalf("revisit: %d %s", r.StatusCode, body(t, r))
		}
		step(h, url.Values{"action": {"close"}}, 303)

		// The kiosk: the delivered case, proven by its 查询码 — concluded
		// before the 7 days of the default window, within the 30 the
		// district's rule gives (data).
		if _, err := d.Writer().Exec(`INSERT INTO rating_rules (region_code, window_days, default_level, verify_days, rectify_days) VALUES ('500102', 30, 0, 1, 15)`); err != nil {
			t.Fatal(err)
		}
		k := ts.client()
		kp := ts.URL + "/rate?via=qr&case_no=" + delivered + "&code=" + code
		r, _ = k.Get(kp)
		if b := body(t, r); r.StatusCode != 200 || !strings.Contains(b, `value="`+delivered+`"`) {
			t.Fatalf("kiosk page %d", r.StatusCode)
		}
		ktok := csrf(t, k, kp)
		r, _ = k.PostForm(ts.URL+"/rate", url.Values{"csrf_token": {ktok}, "via": {"qr"}, "case_no": {delivered}, "name": {"李四"}, "code": {code}, "level": {"5"}})
		if r.StatusCode/100 != 4 || count() != 1 {
			t.Fatalf("kiosk with another name: %d", r.StatusCode)
		}
		r, _ = k.PostForm(ts.URL+"/rate", url.Values{"csrf_token": {ktok}, "via": {"qr"}, "case_no": {delivered}, "name": {"张三"}, "code": {code}, "level": {"5"}})
		if b := body(t, r); r.StatusCode != 200 || !strings.Contains(b, `id="rate-done"`) || count() != 2 {
			t.Fatalf("kiosk: %d %s", r.StatusCode, b[strings.Index(b, "<main"):][:600])
		}
		var ch string
		d.Reader().QueryRow(`SELECT channel FROM ratings WHERE subject_no = $1`, delivered).Scan(&ch)
		if ch != "qr" {
			t.Fatalf("kiosk channel %q", ch)
		}

		// The public statistics: the figures, never the rater.
		r, _ = http.Get(ts.URL + "/statistics?from=2026-02-01&to=2026-02-28")
		b = body(t, r)
		if r.StatusCode != 200 || !strings.Contains(b, `id="kpi-bad">1<`) || !strings.Contains(b, `id="kpi-satisfaction">50.0%<`) ||
			!strings.Contains(b, `id="kpi-rectify">100.0%<`) || !strings.Contains(b, `id="rating-items"`) || strings.Contains(b, "张三") {
			t.Fatalf("statistics: %d %s", r.StatusCode, b[strings.Index(b, `id="rating-figures"`):][:1200])
		}
	})
}
