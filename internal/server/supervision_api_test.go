package server

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
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
	"github.com/tongban/tongban/internal/supervise"
)

// scanner is a supervision scanner over the test server's database.
func (ts *testServer) scanner(t *testing.T) *supervise.Scanner {
	t.Helper()
	cals := mustCalendars(t)
	cat := catalog.New(ts.db)
	cs, err := cases.New(ts.db, cat, ts.ids, cals, blob.Dir{Root: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	return &supervise.Scanner{DB: ts.db, Catalog: cat, Calendars: cals, Cases: cs, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Holder: "test", Home: demo.Region}
}

func TestSupervisionAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		api := ts.URL + "/api/v1"
		clerk := apiToken(t, api, "clerk")
		code := soleTraderCode(t, api)
		// Filed and accepted at the window on Saturday 2026-02-14 (a make-up
		// working day), promised in 1 working day: due at the end of 02-24,
		// the first working day after 春节.
		st, m := apiCall(t, "POST", api+"/cases", clerk, `{"item_code":"`+code+`","applicant":"500102198506120011","submit":true,"accept":true,
			"form_values":{"applicant_name":["张三"],"applicant_id":["500102198506120011"],"applicant_phone":["13800000000"],"form_of":["person"],
			"scope":["小吃服务"],"org_address":["500102006001","滨江路 1 号"],"capital":["5"]}}`)
		if st != 201 && st != 200 {
			t.Fatalf("file: %d %v", st, m)
		}
		no := m["case"].(map[string]any)["case_no"].(string)
		ts.now = time.Date(2026, 2, 26, 2, 0, 0, 0, time.UTC) // Thursday 10:00 in China: two working days late
		if _, err := ts.scanner(t).Pass(context.Background()); err != nil {
			t.Fatal(err)
		}
		clerk, sup, handler := apiToken(t, api, "clerk"), apiToken(t, api, "supervisor"), apiToken(t, api, "handler")

		st, m = apiCall(t, "GET", api+"/supervision/signals?level=red&clock=decision", sup, "")
		sigs, _ := m["signals"].([]any)
		if st != 200 || len(sigs) != 1 || sigs[0].(map[string]any)["case_no"] != no || m["last_pass"] != nil && m["total"].(float64) != 1 {
			t.Fatalf("red signals: %d %v", st, m)
		}
		sg := sigs[0].(map[string]any)
		if sg["due_date"] != "2026-02-24" || sg["level"] != "red" || strings.Contains(body(t, mustGet(t, api+"/supervision/signals", sup)), "张三") {
			t.Fatalf("signal %v (or the list shows the applicant)", sg)
		}
		counts := m["counts"].([]any)
		if len(counts) != 1 || counts[0].(map[string]any)["red"].(float64) < 1 {
			t.Fatalf("counts %v", counts)
		}
		// Page by page (one a page), following next: every signal once.
		seen, after := map[string]bool{}, ""
		for {
			st, m := apiCall(t, "GET", api+"/supervision/signals?per_page=1&after="+url.QueryEscape(after), sup, "")
			if st != 200 || m["total_capped"] != false {
				t.Fatalf("a page of signals: %d %v", st, m)
			}
			for _, x := range m["signals"].([]any) {
				k := x.(map[string]any)["case_no"].(string) + "/" + x.(map[string]any)["clock"].(string)
				if seen[k] {
					t.Fatalf("%s twice", k)
				}
				seen[k] = true
			}
			next, _ := m["next"].(string)
			if next == "" {
				if len(seen) != int(m["total"].(float64)) {
					t.Fatalf("read %d signals of %v", len(seen), m["total"])
				}
				break
			}
			// A token is for its own filters only.
			if st, m := apiCall(t, "GET", api+"/supervision/signals?level=red&after="+url.QueryEscape(next), sup, ""); st != 400 || m["message_key"] != "paging.token_other_list" {
				t.Fatalf("a token under other filters: %d %v", st, m)
			}
			after = next
		}
		// Bad input and scope.
		for _, c := range []struct {
			q, token string
			status   int
			key      string
		}{
			{"?level=purple", sup, 400, "signal.level_unknown"},
			{"?clock=lunch", sup, 400, "signal.clock_unknown"},
			{"?page=x", sup, 400, ""},
			{"?page=2", sup, 400, "paging.page_number_gone"},
			{"?after=not-a-token", sup, 400, "paging.token_malformed"},
			{"?per_page=101", sup, 400, "paging.size_too_large"},
			{"", clerk, 403, "error.forbidden"},
			{"", "", 401, ""},
		} {
			st, m := apiCall(t, "GET", api+"/supervision/signals"+c.q, c.token, "")
			if st != c.status || (c.key != "" && m["message_key"] != c.key) {
				t.Errorf("signals%s: %d %v", c.q, st, m)
			}
		}

		// 督办: a note is required from staff.
		if st, m := apiCall(t, "POST", api+"/cases/"+no+"/urge", sup, `{}`); st != 400 || m["message_key"] != "case.urge_note_required" {
			t.Fatalf("urge without a note: %d %v", st, m)
		}
		st, m = apiCall(t, "POST", api+"/cases/"+no+"/urge", sup, `{"note":"请今日办结"}`)
		if st != 200 || m["case"].(map[string]any)["urged_at"] == nil {
			t.Fatalf("urge: %d %v", st, m)
		}
		// The handler sees it: in the notifications, and must answer.
		st, m = apiCall(t, "GET", api+"/notifications", handler, "")
		if st != 200 || m["unread"].(float64) < 1 || !strings.Contains(jsonText(m), "请今日办结") {
			t.Fatalf("handler's notifications: %d %v", st, m)
		}
		if st, m := apiCall(t, "POST", api+"/cases/"+no+"/actions", handler, `{"action":"respond"}`); st != 400 || m["message_key"] != "case.respond_required" {
			t.Fatalf("respond without an answer: %d %v", st, m)
		}
		st, m = apiCall(t, "POST", api+"/cases/"+no+"/actions", handler, `{"action":"respond","comment":"已审查完毕，今日送审核"}`)
		if st != 200 || m["case"].(map[string]any)["urged_at"] != nil {
			t.Fatalf("respond: %d %v", st, m)
		}
		if st, m := apiCall(t, "POST", api+"/cases/"+no+"/actions", handler, `{"action":"respond","comment":"again"}`); st != 409 {
			t.Fatalf("respond with nothing open: %d %v", st, m)
		}
		// The supervisor is told; marking read empties the count.
		st, m = apiCall(t, "GET", api+"/notifications", sup, "")
		if st != 200 || !strings.Contains(jsonText(m), "已审查完毕") {
			t.Fatalf("supervisor's notifications: %d %v", st, m)
		}
		if st, _ := apiCall(t, "POST", api+"/notifications/read", sup, `{}`); st != 204 {
			t.Fatalf("read all: %d", st)
		}
		if _, m := apiCall(t, "GET", api+"/notifications", sup, ""); m["unread"].(float64) != 0 {
			t.Fatalf("after reading: %v", m["unread"])
		}
		// Figures of February from the rollups: one application, a red card.
		st, m = apiCall(t, "GET", api+"/supervision/stats?from=2026-02-01&to=2026-02-28", sup, "")
		if st != 200 {
			t.Fatalf("stats: %d %v", st, m)
		}
		tot := m["summary"].(map[string]any)["totals"].(map[string]any)
		if tot["submitted"].(float64) != 1 || tot["accepted"].(float64) != 1 || tot["red"].(float64) < 1 {
			t.Fatalf("stats totals %v", tot)
		}
		for _, c := range []struct {
			q, token string
			status   int
			key      string
		}{
			{"?from=2026-02-30", sup, 400, "calendar.date_format"},
			{"?from=2026-03-01&to=2026-02-01", sup, 400, "stats.period_reversed"},
			{"?region=110101", sup, 403, "stats.region_forbidden"},
			{"", clerk, 403, "error.forbidden"},
		} {
			if st, m := apiCall(t, "GET", api+"/supervision/stats"+c.q, c.token, ""); st != c.status || m["message_key"] != c.key {
				t.Errorf("stats%s: %d %v", c.q, st, m)
			}
		}
		st, m = apiCall(t, "GET", api+"/stats?from=2026-02-01&to=2026-02-28", "", "")
		if st != 200 || m["summary"].(map[string]any)["totals"].(map[string]any)["submitted"].(float64) != 1 || strings.Contains(jsonText(m), "张三") {
			t.Fatalf("public stats: %d %v", st, m)
		}

		// Anomalies: the late pre-review is not one (accepted at once); a
		// boilerplate refusal is, with its reason.
		st, m = apiCall(t, "POST", api+"/cases", clerk, `{"item_code":"`+code+`","applicant":"500102198506120011","submit":true,
			"form_values":{"applicant_name":["张三"],"applicant_id":["500102198506120011"],"applicant_phone":["13800000000"],"form_of":["person"],
			"scope":["小吃服务"],"org_address":["500102006001","滨江路 1 号"],"capital":["5"]}}`)
		if st != 201 && st != 200 {
			t.Fatalf("file the second case: %d %v", st, m)
		}
		no2 := m["case"].(map[string]any)["case_no"].(string)
		if st, m := apiCall(t, "POST", api+"/cases/"+no2+"/actions", clerk, `{"action":"refuse","reason":"不符合条件"}`); st != 200 {
			t.Fatalf("refuse: %d %v", st, m)
		}
		st, m = apiCall(t, "GET", api+"/supervision/anomalies?from=2026-02-01&to=2026-02-28", sup, "")
		if st != 200 || m["total"].(float64) != 1 || !strings.Contains(jsonText(m), "理由空泛") || !strings.Contains(jsonText(m), no2) {
			t.Fatalf("anomalies: %d %v", st, m)
		}
		if st, m := apiCall(t, "GET", api+"/supervision/anomalies?kind=odd", sup, ""); st != 400 || m["message_key"] != "anomaly.kind_unknown" {
			t.Fatalf("odd kind: %d %v", st, m)
		}
		if st, _ := apiCall(t, "GET", api+"/supervision/anomalies", handler, ""); st != 403 {
			t.Fatalf("a handler reads anomalies: %d", st)
		}

		// The monthly report of February, from the API, as xlsx and PDF.
		r := mustGet(t, api+"/supervision/reports/monthly?month=2026-02&format=xlsx", sup)
		if b := body(t, r); r.StatusCode != 200 || !strings.HasPrefix(b, "PK") || !strings.Contains(r.Header.Get("Content-Disposition"), "2026-02.xlsx") {
			t.Fatalf("xlsx report: %d %s", r.StatusCode, r.Header)
		}
		r = mustGet(t, api+"/supervision/reports/monthly?month=2026-02&format=pdf", sup)
		if b := body(t, r); r.StatusCode != 200 || !strings.HasPrefix(b, "%PDF") {
			t.Fatalf("pdf report: %d", r.StatusCode)
		}
		for _, c := range []struct {
			q, token, key string
			status        int
		}{
			{"?month=2026-13", sup, "stats.month_format", 400},
			{"?month=2026-02&format=doc", sup, "stats.format_unknown", 400},
			{"?month=2026-02&region=110101", sup, "stats.region_forbidden", 403},
			{"?month=2026-02", clerk, "error.forbidden", 403},
		} {
			if st, m := apiCall(t, "GET", api+"/supervision/reports/monthly"+c.q, c.token, ""); st != c.status || m["message_key"] != c.key {
				t.Errorf("report%s: %d %v", c.q, st, m)
			}
		}

		// Thresholds and rules as data: administrators set them, supervisors read them.
		admin := apiToken(t, api, "admin")
		if st, m := apiCall(t, "PUT", api+"/admin/signal-thresholds", admin, `{"region_code":"500102","item_type":"01","warn_days":3,"yellow_days":2,"red_days":4}`); st != 200 || len(m["thresholds"].([]any)) != 1 {
			t.Fatalf("set thresholds: %d %v", st, m)
		}
		for _, c := range []struct {
			method, path, token, body, key string
			status                         int
		}{
			{"PUT", "/admin/signal-thresholds", admin, `{"region_code":"500102","warn_days":1,"yellow_days":2,"red_days":2}`, "supervise.thresholds_order", 400},
			{"PUT", "/admin/signal-thresholds", admin, `{"region_code":"999999","warn_days":1,"yellow_days":1,"red_days":2}`, "", 400},
			{"PUT", "/admin/signal-thresholds", sup, `{"region_code":"500102","warn_days":1,"yellow_days":1,"red_days":2}`, "error.forbidden", 403},
			{"PUT", "/admin/escalation-rules/deem-decision", admin, `{"clock":"decision","level":"red","action":"deem_accepted","enabled":true}`, "supervise.deem_notice_only", 400},
			{"PUT", "/admin/escalation-rules/x", admin, `{"clock":"decision","level":"red","action":"escalate","role":"mayor","enabled":true}`, "supervise.rule_role", 400},
			{"PUT", "/admin/escalation-rules/x", admin, `{"clock":"decision","level":"purple","action":"remind","enabled":true}`, "signal.level_unknown", 400},
			{"DELETE", "/admin/signal-thresholds?region_code=500102&item_type=02", admin, "", "supervise.thresholds_unknown", 404},
		} {
			if st, m := apiCall(t, c.method, api+c.path, c.token, c.body); st != c.status || (c.key != "" && m["message_key"] != c.key) {
				t.Errorf("%s %s %s: %d %v", c.method, c.path, c.body, st, m)
			}
		}
		if st, m := apiCall(t, "PUT", api+"/admin/escalation-rules/step-red-supervisor", admin, `{"clock":"step","level":"red","action":"escalate","role":"supervisor","enabled":true}`); st != 200 {
			t.Fatalf("set rule: %d %v", st, m)
		}
		st, m = apiCall(t, "GET", api+"/supervision/settings", sup, "")
		if st != 200 || !strings.Contains(jsonText(m), "step-red-supervisor") || m["defaults"].(map[string]any)["red_days"].(float64) != 2 {
			t.Fatalf("settings: %d %v", st, m)
		}
		if st, _ := apiCall(t, "DELETE", api+"/admin/signal-thresholds?region_code=500102&item_type=01", admin, ""); st != 204 {
			t.Fatalf("delete thresholds: %d", st)
		}

		// The timeline keeps both.
		_, m = apiCall(t, "GET", api+"/cases/"+no+"/timeline", sup, "")
		if tl := jsonText(m); !strings.Contains(tl, `"urge"`) || !strings.Contains(tl, `"respond"`) {
			t.Fatalf("timeline: %s", tl)
		}
	})
}

func mustGet(t *testing.T, u, token string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// jsonText is a decoded JSON value encoded again (to search its text).
func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// The administration page sets thresholds and switches rules (forms with
// CSRF tokens); bad thresholds get the page with the message, nothing saved.
func TestSupervisionSettingsWeb(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		c := ts.client()
		ts.webLogin(t, c, "admin")
		tok := csrf(t, c, ts.URL+"/admin")
		r, _ := c.PostForm(ts.URL+"/admin/supervision/thresholds", url.Values{"csrf_token": {tok}, "region_code": {"500102"},
			"item_type": {"01"}, "warn_days": {"3"}, "yellow_days": {"2"}, "red_days": {"4"}})
		if r.StatusCode != 303 {
			t.Fatalf("save thresholds: %d", r.StatusCode)
		}
		r, _ = c.PostForm(ts.URL+"/admin/supervision/thresholds", url.Values{"csrf_token": {tok}, "region_code": {"500102"},
			"warn_days": {"1"}, "yellow_days": {"3"}, "red_days": {"2"}})
		if b := body(t, r); r.StatusCode != 400 || !strings.Contains(b, "红牌 &gt; 黄牌") && !strings.Contains(b, "红牌 > 黄牌") {
			t.Fatalf("bad thresholds: %d", r.StatusCode)
		}
		r, _ = c.PostForm(ts.URL+"/admin/supervision/rules/default-decision-red", url.Values{"csrf_token": {tok}, "enabled": {"0"}})
		if r.StatusCode != 303 {
			t.Fatalf("disable rule: %d", r.StatusCode)
		}
		r, _ = c.Get(ts.URL + "/admin")
		b := body(t, r)
		if !strings.Contains(b, `id="thresholds"`) || !strings.Contains(b, "≤ 3") || !strings.Contains(b, `id="rule-default-decision-red">启用`) {
			t.Fatalf("admin page after the changes:\n%s", b)
		}
		// Without the token: refused.
		if r, _ := c.PostForm(ts.URL+"/admin/supervision/rules/default-decision-red", url.Values{"enabled": {"1"}}); r.StatusCode != 403 {
			t.Fatalf("no CSRF token: %d", r.StatusCode)
		}
		// A new rule from the page: escalate a late step in 审核 to the approver.
		r, _ = c.PostForm(ts.URL+"/admin/supervision/rules", url.Values{"csrf_token": {tok}, "clock": {"step"}, "level": {"red"},
			"action": {"escalate"}, "role": {"approver"}, "state": {"review"}})
		if r.StatusCode != 303 {
			t.Fatalf("add rule: %d %s", r.StatusCode, body(t, r))
		}
		r, _ = c.Get(ts.URL + "/admin")
		if b := body(t, r); !strings.Contains(b, `id="rule-form"`) || !strings.Contains(b, "500102 · review") || !strings.Contains(b, "升级通知 → 批准人") {
			t.Errorf("the new rule is not listed")
		} else if !strings.Contains(b, "容缺补齐时限</td><td>逾期达黄牌天数</td>") {
			t.Errorf("the 容缺 rule is not shown in its own words")
		}
		// What a rule may not combine is refused with the reason, and nothing is added.
		for _, bad := range []url.Values{
			{"clock": {"decision"}, "level": {"red"}, "action": {"terminate"}},
			{"clock": {"decision"}, "level": {"yellow"}, "action": {"escalate"}, "role": {""}},
			{"clock": {"fortnight"}, "level": {"red"}, "action": {"remind"}},
		} {
			bad.Set("csrf_token", tok)
			if r, _ := c.PostForm(ts.URL+"/admin/supervision/rules", bad); r.StatusCode != 400 {
				t.Errorf("%v: %d", bad, r.StatusCode)
			}
		}
		var n int
		d.Reader().QueryRow(`SELECT COUNT(*) FROM escalation_rules WHERE id LIKE 'rule-%'`).Scan(&n)
		if n != 1 {
			t.Errorf("%d rules added", n)
		}
	})
}

// Thresholds beyond a working year, numbers beyond int and item types the
// catalog does not know are refused with 400 on both databases, and nothing
// is stored (PostgreSQL answered 500 for a number beyond its 32-bit column;
// SQLite stored it, and stored any text as an item type).
func TestThresholdsBounds(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		api := ts.URL + "/api/v1"
		admin := apiToken(t, api, "admin")
		c := ts.client()
		ts.webLogin(t, c, "admin")
		tok := csrf(t, c, ts.URL+"/admin")
		for _, bad := range []struct{ itemType, warn, yellow, red, key string }{
			{"", "1", "1", "9223372036854775807", "supervise.thresholds_order"},
			{"", "2147483648", "1", "2", "supervise.thresholds_order"},
			{"", "1", "1", "251", "supervise.thresholds_order"},
			{"", "251", "1", "2", "supervise.thresholds_order"},
			{"😀", "1", "1", "2", "supervise.item_type_unknown"},
			{"99", "1", "1", "2", "supervise.item_type_unknown"},
			{strings.Repeat("a", 5000), "1", "1", "2", "supervise.item_type_unknown"},
		} {
			st, m := apiCall(t, "PUT", api+"/admin/signal-thresholds", admin, `{"region_code":"500102","item_type":"`+bad.itemType+
				`","warn_days":`+bad.warn+`,"yellow_days":`+bad.yellow+`,"red_days":`+bad.red+`}`)
			if st != 400 || m["message_key"] != bad.key {
				t.Errorf("API %+v: %d %v", bad, st, m)
			}
			r, err := c.PostForm(ts.URL+"/admin/supervision/thresholds", url.Values{"csrf_token": {tok}, "region_code": {"500102"},
				"item_type": {bad.itemType}, "warn_days": {bad.warn}, "yellow_days": {bad.yellow}, "red_days": {bad.red}})
			if err != nil {
				t.Fatal(err)
			}
			if b := body(t, r); r.StatusCode != 400 {
				t.Errorf("page %+v: %d %s", bad, r.StatusCode, snippet(b))
			}
		}
		// A number the page cannot read is refused, not taken as 0.
		r, _ := c.PostForm(ts.URL+"/admin/supervision/thresholds", url.Values{"csrf_token": {tok}, "region_code": {"500102"},
			"warn_days": {"一"}, "yellow_days": {"1"}, "red_days": {"2"}})
		if r.StatusCode != 400 {
			t.Errorf("page, warn_days 一: %d", r.StatusCode)
		}
		var n int
		if err := d.Reader().QueryRow(`SELECT count(*) FROM signal_thresholds`).Scan(&n); err != nil || n != 0 {
			t.Errorf("thresholds stored: %d %v", n, err)
		}
		// The bounds themselves are accepted.
		if st, m := apiCall(t, "PUT", api+"/admin/signal-thresholds", admin, `{"region_code":"500102","item_type":"01","warn_days":250,"yellow_days":249,"red_days":250}`); st != 200 {
			t.Errorf("thresholds at the bound: %d %v", st, m)
		}
	})
}
