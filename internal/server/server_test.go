package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/demo"
	"github.com/tongban/tongban/internal/edge"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/vault"
)

type testServer struct {
	*httptest.Server
	db  *db.DB
	ids *identity.Service
	now time.Time
}

func newTestServer(t *testing.T, d *db.DB, opts ...func(*Options)) *testServer {
	t.Helper()
	v, _ := vault.New(vault.NewKey())
	ts := &testServer{db: d, ids: identity.NewService(d, v), now: time.Date(2026, 2, 14, 9, 0, 0, 0, time.UTC)}
	d.SetClock(func() time.Time { return ts.now })
	if err := demo.Seed(context.Background(), d, ts.ids); err != nil {
		t.Fatal(err)
	}
	o := Options{DB: d, Identity: ts.ids, Calendars: mustCalendars(t), Region: demo.Region, Demo: true, Now: func() time.Time { return ts.now }}
	for _, f := range opts {
		f(&o)
	}
	h, _, err := Handler(o)
	if err != nil {
		t.Fatal(err)
	}
	ts.Server = httptest.NewServer(h)
	t.Cleanup(ts.Close)
	register(t, ts)
	return ts
}

// client is a browser-like client: cookies kept, redirects not followed.
func (ts *testServer) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func body(t *testing.T, r *http.Response) string {
	t.Helper()
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	return string(b)
}

var csrfRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// csrf loads a page and returns the token its forms carry.
func csrf(t *testing.T, c *http.Client, u string) string {
	t.Helper()
	r, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	m := csrfRE.FindStringSubmatch(body(t, r))
	if m == nil {
		t.Fatalf("no CSRF token on %s", u)
	}
	return m[1]
}

// webLogin logs user in with the demo password and, for an account with a
// second factor, a code of the demo's secret (the second step); it answers
// the last step's response.
func (ts *testServer) webLogin(t *testing.T, c *http.Client, user string) *http.Response {
	t.Helper()
	tok := csrf(t, c, ts.URL+"/login")
	r, err := c.PostForm(ts.URL+"/login", url.Values{"csrf_token": {tok}, "username": {user}, "password": {identity.DemoPassword}})
	if err != nil {
		t.Fatal(err)
	}
	if loc := r.Header.Get("Location"); strings.HasPrefix(loc, "/login/code") {
		tok := csrf(t, c, ts.URL+loc)
		if r, err = c.PostForm(ts.URL+"/login/code", url.Values{"csrf_token": {tok}, "code": {ts.code(t, user)}}); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

func TestWebLoginRolesAndCSRF(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		c := ts.client()

		r, _ := c.Get(ts.URL + "/")
		if b := body(t, r); r.StatusCode != 200 || !strings.Contains(b, `lang="zh-CN"`) || !strings.Contains(b, "一网通办") || strings.Contains(b, "运行状态") || !strings.Contains(b, `id="site-centre"`) {
			t.Fatalf("home: %d", r.StatusCode)
		}
		r, _ = c.Get(ts.URL + "/workbench")
		if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login?next=%2Fworkbench") {
			t.Fatalf("anonymous workbench: %d %s", r.StatusCode, r.Header.Get("Location"))
		}

		// A form without its CSRF token is refused and logs nobody in.
		r, _ = c.PostForm(ts.URL+"/login", url.Values{"username": {"clerk"}, "password": {identity.DemoPassword}})
		if b := body(t, r); r.StatusCode != http.StatusForbidden || !strings.Contains(b, "页面已过期或请求来源无法验证") {
			t.Fatalf("login without CSRF: %d", r.StatusCode)
		}
		var n int
		d.Reader().QueryRow(`SELECT count(*) FROM sessions`).Scan(&n)
		if n != 0 {
			t.Fatalf("%d sessions after a refused login", n)
		}

		tok := csrf(t, c, ts.URL+"/login")
		r, _ = c.PostForm(ts.URL+"/login", url.Values{"csrf_token": {tok}, "username": {"clerk"}, "password": {"wrong"}})
		if b := body(t, r); r.StatusCode != http.StatusUnauthorized || !strings.Contains(b, "用户名或密码错误") || !strings.Contains(b, `value="clerk"`) {
			t.Fatalf("wrong password: %d", r.StatusCode)
		}

		r = ts.webLogin(t, c, "clerk")
		if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/workbench" {
			t.Fatalf("login: %d %s", r.StatusCode, r.Header.Get("Location"))
		}
		sc := r.Header.Get("Set-Cookie")
		if !strings.Contains(sc, "tb_session=") || !strings.Contains(sc, "HttpOnly") || !strings.Contains(sc, "SameSite=Lax") || strings.Contains(sc, "Secure") {
			t.Errorf("session cookie: %s", sc)
		}
		r, _ = c.Get(ts.URL + "/workbench")
		if b := body(t, r); r.StatusCode != 200 || !strings.Contains(b, "综合窗口人员") || !strings.Contains(b, "重庆市涪陵区政务服务管理办公室") {
			t.Fatalf("workbench: %d", r.StatusCode)
		}
		r, _ = c.Get(ts.URL + "/workbench/inbox")
		if b := body(t, r); !strings.Contains(b, "暂无待办事项") || strings.Contains(b, "<html") {
			t.Errorf("inbox fragment: %s", b)
		}
		// The clerk may not enter administration or supervision.
		for _, p := range []string{"/admin", "/supervision"} {
			r, _ = c.Get(ts.URL + p)
			if b := body(t, r); r.StatusCode != http.StatusForbidden || !strings.Contains(b, "您没有权限") {
				t.Errorf("clerk %s: %d", p, r.StatusCode)
			}
		}

		// Logging out needs the session's token, then ends the session.
		r, _ = c.PostForm(ts.URL+"/logout", url.Values{"csrf_token": {"forged"}})
		if r.StatusCode != http.StatusForbidden {
			t.Errorf("logout with a forged token: %d", r.StatusCode)
		}
		tok = csrf(t, c, ts.URL+"/workbench")
		r, _ = c.PostForm(ts.URL+"/logout", url.Values{"csrf_token": {tok}})
		if r.StatusCode != http.StatusSeeOther {
			t.Fatalf("logout: %d", r.StatusCode)
		}
		r, _ = c.Get(ts.URL + "/workbench")
		if r.StatusCode != http.StatusSeeOther {
			t.Errorf("workbench after logout: %d", r.StatusCode)
		}
	})
}

func TestWebPagesByRole(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		tests := []struct{ user, landing, page, want string }{
			{"zhangsan", "/me", "/me", "500102********001"},
			{"democorp", "/me", "/me", "91500102MA5U7X2K"},
			{"handler", "/workbench", "/workbench", "承办人"},
			{"supervisor", "/supervision", "/supervision", "暂无监察信号"},
			{"supervisor", "/supervision", "/notifications", "暂无通知"},
			{"approver", "/workbench", "/supervision", "监察扫描尚未运行"},
			{"admin", "/admin", "/admin", "国务院办公厅关于2026年部分节假日安排的通知"},
		}
		for _, tt := range tests {
			c := ts.client()
			r := ts.webLogin(t, c, tt.user)
			if loc := r.Header.Get("Location"); loc != tt.landing {
				t.Errorf("%s lands on %q, want %q", tt.user, loc, tt.landing)
			}
			r, _ = c.Get(ts.URL + tt.page)
			if b := body(t, r); r.StatusCode != 200 || !strings.Contains(b, tt.want) {
				t.Errorf("%s %s: %d, missing %q", tt.user, tt.page, r.StatusCode, tt.want)
			}
		}
		// The admin's staff list covers every demo staff account in 涪陵区.
		c := ts.client()
		ts.webLogin(t, c, "admin")
		r, _ := c.Get(ts.URL + "/admin")
		b := body(t, r)
		for _, u := range []string{"clerk", "handler", "reviewer", "approver", "supervisor"} {
			if !strings.Contains(b, "<td>"+u+"</td>") {
				t.Errorf("admin page misses %s", u)
			}
		}
		if strings.Contains(b, "zhangsan") {
			t.Error("admin staff list shows an applicant")
		}
	})
}

func TestWebSessionExpiryAndNext(t *testing.T) {
	d := dbtest.SQLite(t)
	ts := newTestServer(t, d)
	c := ts.client()
	ts.webLogin(t, c, "approver")
	ts.now = ts.now.Add(31 * time.Minute)
	r, _ := c.Get(ts.URL + "/workbench")
	if loc := r.Header.Get("Location"); r.StatusCode != http.StatusSeeOther || !strings.Contains(loc, "expired=1") {
		t.Fatalf("expired session: %d %s", r.StatusCode, loc)
	}
	r, _ = c.Get(ts.URL + r.Header.Get("Location"))
	if b := body(t, r); !strings.Contains(b, "登录已过期，请重新登录") || !strings.Contains(b, `name="next" value="/workbench"`) {
		t.Errorf("login page after expiry lacks the notice or next")
	}
	// next returns to the page asked for, but never to another site.
	tok := csrf(t, c, ts.URL+"/login")
	r, _ = c.PostForm(ts.URL+"/login", url.Values{"csrf_token": {tok}, "username": {"approver"}, "password": {identity.DemoPassword}, "next": {"//evil.example/x"}})
	if loc := r.Header.Get("Location"); loc != "/workbench" {
		t.Errorf("open redirect: %s", loc)
	}
}

func TestWebPreferencesAndErrors(t *testing.T) {
	d := dbtest.SQLite(t)
	ts := newTestServer(t, d)
	c := ts.client()
	tok := csrf(t, c, ts.URL+"/")
	r, _ := c.PostForm(ts.URL+"/prefs", url.Values{"csrf_token": {tok}, "lang": {"en"}, "return": {"/login"}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/login" {
		t.Fatalf("prefs: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	r, _ = c.PostForm(ts.URL+"/prefs", url.Values{"csrf_token": {tok}, "care": {"1"}, "return": {"https://evil.example/"}})
	if r.Header.Get("Location") != "/" {
		t.Errorf("prefs returned off-site: %s", r.Header.Get("Location"))
	}
	r, _ = c.Get(ts.URL + "/login")
	if b := body(t, r); !strings.Contains(b, `lang="en"`) || !strings.Contains(b, "User name") || !strings.Contains(b, `class="care"`) {
		t.Errorf("English + care mode not applied")
	}
	r, _ = c.Get(ts.URL + "/no/such/page")
	if b := body(t, r); r.StatusCode != 404 || !strings.Contains(b, "Page not found") {
		t.Errorf("404 in English: %d", r.StatusCode)
	}
	r, _ = http.Get(ts.URL + "/no/such/page")
	if b := body(t, r); r.StatusCode != 404 || !strings.Contains(b, "页面不存在") {
		t.Errorf("404 in Chinese: %d", r.StatusCode)
	}
	// A cross-site form post is refused before any handler runs.
	req, _ := http.NewRequest("POST", ts.URL+"/prefs", strings.NewReader("lang=en&csrf_token="+tok))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	r, _ = c.Do(req)
	if r.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site post: %d", r.StatusCode)
	}
	r, _ = http.Get(ts.URL + "/static/vendor/htmx/htmx.min.js")
	if r.StatusCode != 200 || !strings.Contains(body(t, r), "htmx") {
		t.Error("htmx not served")
	}
}

func apiCall(t *testing.T, method, u, token, payload string, hdr ...string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, u, strings.NewReader(payload))
	if method != "GET" {
		req.Header.Set("Content-Type", "application/json") // hdr may say otherwise
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if b := body(t, r); b != "" {
		if err := json.Unmarshal([]byte(b), &m); err != nil {
			t.Fatalf("%s %s: not JSON: %s", method, u, b)
		}
	}
	return r.StatusCode, m
}

func TestAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		api := ts.URL + "/api/v1"
		st, m := apiCall(t, "POST", api+"/auth/login", "", `{"username":"clerk","password":"tongban-demo"}`)
		token, _ := m["token"].(string)
		if st != 200 || token == "" {
			t.Fatalf("login: %d %v", st, m)
		}
		st, m = apiCall(t, "GET", api+"/me", token, "")
		if st != 200 || m["username"] != "clerk" || m["roles"].([]any)[0] != "clerk" {
			t.Errorf("me: %d %v", st, m)
		}
		errorCases := []struct {
			name, method, path, token, payload string
			status                             int
			key                                string
		}{
			{"no token", "GET", "/me", "", "", 401, "error.unauthenticated"},
			{"bad token", "GET", "/me", "nope", "", 401, "auth.session_expired"},
			{"malformed JSON", "POST", "/auth/login", "", `{"username":`, 400, "error.bad_json"},
			{"unknown field", "POST", "/auth/login", "", `{"username":"clerk","password":"x","otp":1}`, 400, "error.bad_json"},
			{"trailing data", "POST", "/auth/login", "", `{"username":"clerk","password":"x"} {}`, 400, "error.bad_json"},
			{"empty body", "POST", "/auth/login", "", ``, 400, "error.bad_json"},
			{"missing password", "POST", "/auth/login", "", `{"username":"clerk"}`, 400, "error.field_required"},
			{"wrong password", "POST", "/auth/login", "", `{"username":"clerk","password":"nope"}`, 401, "auth.bad_credentials"},
			{"unknown route", "GET", "/nothing", token, "", 404, "error.not_found"},
			{"wrong method", "DELETE", "/me", token, "", 405, "error.method_not_allowed"},
			{"bad date", "GET", "/calendar/add?from=2026-02-30&days=1", token, "", 400, "calendar.date_format"},
			{"bad limit", "GET", "/calendar/add?from=2026-02-12&days=1.3", token, "", 400, "calendar.limit_half"},
			{"year not loaded", "GET", "/calendar/workday?date=2027-01-04", token, "", 400, "calendar.year_not_loaded"},
			// Issue 14: every count is bounded and refused at once with its maximum.
			{"days over the maximum", "GET", "/calendar/add?from=2026-02-12&days=1000000000", token, "", 400, "calendar.too_many_days"},
			{"days past int64", "GET", "/calendar/add?from=2026-02-12&days=99999999999999999999", token, "", 400, "calendar.limit_format"},
			{"days one past the maximum", "GET", "/calendar/add?from=2026-02-12&days=2501", token, "", 400, "calendar.too_many_days"},
			{"between 0001-9999", "GET", "/calendar/between?from=1900-01-01&to=2199-12-31", token, "", 400, "calendar.span_too_long"},
			{"year 0001", "GET", "/calendar/between?from=0001-01-01&to=2026-01-01", token, "", 400, "calendar.date_range"},
			{"year 9999", "GET", "/calendar/workday?date=9999-12-31", token, "", 400, "calendar.date_range"},
			{"page past the maximum", "GET", "/items?page=10001", "", "", 400, "error.param_range"},
			{"page past the first", "GET", "/cases?page=2", token, "", 400, "case.page_gone"},
			{"per_page past the maximum", "GET", "/cases?per_page=101", token, "", 400, "paging.size_too_large"},
			{"per_page zero", "GET", "/cases?per_page=0", token, "", 400, "paging.size_invalid"},
			{"a malformed page token", "GET", "/cases?after=nonsense", token, "", 400, "paging.token_malformed"},
			{"sort by due over every case", "GET", "/cases?sort=due", token, "", 400, "case.sort_unbounded"},
			{"signals per_page", "GET", "/supervision/signals?per_page=101", token, "", 400, "paging.size_too_large"},
			{"notifications limit", "GET", "/notifications?limit=101", token, "", 400, "paging.size_too_large"},
			{"notifications per_page", "GET", "/notifications?per_page=101", token, "", 400, "paging.size_too_large"},
			{"notifications token", "GET", "/notifications?after=AAAA", token, "", 400, "paging.token_malformed"},
			{"search too long", "GET", "/items?q=" + strings.Repeat("营业执照", 17), "", "", 400, "catalog.query_long"},
			{"bad region", "GET", "/calendar/workday?date=2026-01-04&region=999999", token, "", 400, "codes.division.unknown"},
			{"missing value", "GET", "/codes/check", token, "", 400, "error.field_required"},
		}
		for _, tc := range errorCases {
			st, m := apiCall(t, tc.method, api+tc.path, tc.token, tc.payload)
			if st != tc.status || m["message_key"] != tc.key || m["message"] == "" || m["code"] == "" {
				t.Errorf("%s: %d %v; want %d %s", tc.name, st, m, tc.status, tc.key)
			}
		}
		st, m = apiCall(t, "GET", api+"/calendar/add?from=2025-09-26&days=20", token, "")
		if st != 200 || m["due"] != "2025-10-30" {
			t.Errorf("calendar add: %v", m)
		}
		st, m = apiCall(t, "GET", api+"/calendar/between?from=2025-09-26&to=2025-10-30", token, "")
		if st != 200 || m["workdays"] != float64(20) {
			t.Errorf("calendar between: %v", m)
		}
		st, m = apiCall(t, "GET", api+"/calendar/workday?date=2026-02-14&region=500102", token, "")
		if st != 200 || m["workday"] != true {
			t.Errorf("calendar workday: %v", m)
		}
		st, m = apiCall(t, "GET", api+"/codes/check?value=110105194912310021", token, "", "Accept-Language", "en-US,en;q=0.9")
		if st != 200 || m["valid"] != false || m["kind"] != "citizen_id" || !strings.Contains(m["message"].(string), "expected X") {
			t.Errorf("codes check: %v", m)
		}
		st, _ = apiCall(t, "POST", api+"/auth/logout", token, "")
		if st != 204 {
			t.Errorf("logout: %d", st)
		}
		if st, _ = apiCall(t, "GET", api+"/me", token, ""); st != 401 {
			t.Errorf("me after logout: %d", st)
		}
		// A browser session cookie does not open the API.
		c := ts.client()
		ts.webLogin(t, c, "clerk")
		r, _ := c.Get(api + "/me")
		if r.StatusCode != 401 {
			t.Errorf("cookie opened the API: %d", r.StatusCode)
		}
	})
}

// TestAPILoginThrottled: a guesser's failures slow the guesser's own
// address, not the owner's. Behind the trusted proxy (127.0.0.0/8 here) the
// address is the forwarded client, in the throttle and in the audit record;
// a client that is not a trusted proxy cannot choose its address.
func TestAPILoginThrottled(t *testing.T) {
	proxies, _ := edge.ParseProxies("127.0.0.0/8")
	ts := newTestServer(t, dbtest.SQLite(t), func(o *Options) { o.TrustedProxies = proxies })
	login := func(pass, client string) (int, map[string]any) {
		return apiCall(t, "POST", ts.URL+"/api/v1/auth/login", "", `{"username":"clerk","password":"`+pass+`"}`, "X-Forwarded-For", "203.0.113.66, "+client)
	}
	for i := 0; i < 4; i++ {
		if st, _ := login("guess", "198.51.100.6"); st != 401 {
			t.Fatalf("guess %d: %d", i+1, st)
		}
	}
	if st, m := login("tongban-demo", "198.51.100.6"); st != 429 || m["message_key"] != "auth.throttled_seconds" {
		t.Fatalf("the guesser's next attempt: %d %v", st, m)
	}
	if st, m := login("tongban-demo", "198.51.100.9"); st != 200 {
		t.Fatalf("the owner at another address: %d %v", st, m)
	}
	var n int
	ts.db.Reader().QueryRow(`SELECT count(*) FROM audit_pending WHERE action = 'auth.login_failed' AND payload LIKE '%"ip":"198.51.100.6"%'`).Scan(&n)
	if n != 4 {
		t.Errorf("%d refused logins audited with the forwarded address, want 4", n)
	}
	ts.db.Reader().QueryRow(`SELECT count(*) FROM audit_pending WHERE action = 'auth.login' AND payload LIKE '%"ip":"198.51.100.9"%'`).Scan(&n)
	if n != 1 {
		t.Errorf("the login is not audited with the forwarded address")
	}

	// Without trusted proxies the header is the client's own writing: ignored.
	plain := newTestServer(t, dbtest.SQLite(t))
	for i := 0; i < 4; i++ {
		apiCall(t, "POST", plain.URL+"/api/v1/auth/login", "", `{"username":"clerk","password":"guess"}`, "X-Forwarded-For", fmt.Sprint("198.51.100.", i))
	}
	if st, m := apiCall(t, "POST", plain.URL+"/api/v1/auth/login", "", `{"username":"clerk","password":"guess"}`, "X-Forwarded-For", "198.51.100.99"); st != 429 {
		t.Fatalf("a forged X-Forwarded-For escaped the throttle: %d %v", st, m)
	}
}

func TestOpenAPIMatchesRoutes(t *testing.T) {
	ts := newTestServer(t, dbtest.SQLite(t))
	_, as, _ := Handler(Options{DB: ts.db, Identity: ts.ids, Calendars: mustCalendars(t)})
	r, _ := http.Get(ts.URL + "/api/v1/openapi.json")
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	if err := json.NewDecoder(r.Body).Decode(&doc); err != nil || !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi document: %v %q", err, doc.OpenAPI)
	}
	inDoc := map[string]bool{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			inDoc[strings.ToUpper(method)+" "+path] = true
			if _, ok := op["responses"]; !ok {
				t.Errorf("%s %s has no responses", method, path)
			}
		}
	}
	for _, rt := range as.Routes() {
		key := rt.Method + " " + rt.Path
		if !inDoc[key] {
			t.Errorf("route %s is not in the OpenAPI document", key)
		}
		delete(inDoc, key)
	}
	for key := range inDoc {
		t.Errorf("the OpenAPI document lists %s, which is not served", key)
	}
}

func TestHealthReadyMetrics(t *testing.T) {
	d := dbtest.SQLite(t)
	ts := newTestServer(t, d, func(o *Options) { o.MetricsToken = "s3cret" })
	r, _ := http.Get(ts.URL + "/healthz")
	if r.StatusCode != 200 {
		t.Errorf("healthz %d", r.StatusCode)
	}
	r, _ = http.Get(ts.URL + "/readyz")
	if b := body(t, r); r.StatusCode != 200 || !strings.Contains(b, "ready") {
		t.Errorf("readyz %d %s", r.StatusCode, b)
	}
	r, _ = http.Get(ts.URL + "/metrics")
	if r.StatusCode != 401 {
		t.Errorf("metrics without token: %d", r.StatusCode)
	}
	req, _ := http.NewRequest("GET", ts.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer s3cret")
	r, _ = http.DefaultClient.Do(req)
	if b := body(t, r); !strings.Contains(b, `tongban_http_requests_total{method="GET",route="GET /readyz",status="200"} 1`) {
		t.Errorf("metrics lack the readyz request")
	}
	// The outbox's figures (issue 16), from the database.
	req, _ = http.NewRequest("GET", ts.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer s3cret")
	r, _ = http.DefaultClient.Do(req)
	if b := body(t, r); !strings.Contains(b, `tongban_outbox_pending{channel="sms"} 0`) || !strings.Contains(b, `tongban_outbox_sent_total{channel="email"} 0`) ||
		!strings.Contains(b, "tongban_outbox_oldest_pending_seconds") || !strings.Contains(b, "tongban_outbox_failed_attempts_total") {
		t.Errorf("metrics lack the outbox figures")
	}
	d.Close()
	r, _ = http.Get(ts.URL + "/readyz")
	if b := body(t, r); r.StatusCode != 503 || !strings.Contains(b, "error.unavailable") {
		t.Errorf("readyz with the database closed: %d %s", r.StatusCode, b)
	}
}

func TestPanicBecomesAnErrorPage(t *testing.T) {
	ws, err := webServer(t)
	if err != nil {
		t.Fatal(err)
	}
	h := recoverer(ws, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { panic("boom at line 42") }))
	for _, path := range []string{"/x", "/api/v1/x"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		b := rec.Body.String()
		if rec.Code != 500 || strings.Contains(b, "boom") || strings.Contains(b, "goroutine") || !strings.Contains(b, "系统内部错误") {
			t.Errorf("%s: %d %s", path, rec.Code, b)
		}
	}
}

// The UI speaks Chinese first: a browser's Accept-Language does not switch
// pages to English; the API, whose clients set the header on purpose, does.
func TestBrowserAcceptLanguageIsNotAChoice(t *testing.T) {
	ts := newTestServer(t, dbtest.SQLite(t))
	req, _ := http.NewRequest("GET", ts.URL+"/login", nil)
	req.Header.Set("Accept-Language", "en-US,en;q=0.9")
	r, _ := http.DefaultClient.Do(req)
	if b := body(t, r); !strings.Contains(b, `lang="zh-CN"`) {
		t.Error("Accept-Language switched the page to English")
	}
	r, _ = http.Get(ts.URL + "/login?lang=en")
	if b := body(t, r); !strings.Contains(b, `lang="en"`) {
		t.Error("?lang=en was not honoured")
	}
	_, m := apiCall(t, "GET", ts.URL+"/api/v1/me", "", "", "Accept-Language", "en")
	if m["message"] != "Please log in first." {
		t.Errorf("API ignored Accept-Language: %v", m)
	}
}

func TestCatalogRegionAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		api := ts.URL + "/api/v1"
		st, m := apiCall(t, "GET", api+"/regions/500102/children", "", "")
		if st != 200 || m["region"].(map[string]any)["name"] != "涪陵区" || len(m["children"].([]any)) != 27 {
			t.Fatalf("children of 涪陵区: %d %v", st, m["region"])
		}
		first := m["children"].([]any)[0].(map[string]any)
		if first["code"] != "500102006000" || first["name"] != "敦仁街道" || first["kind"] != "subdistrict" || first["has_children"] != true {
			t.Errorf("first town = %v", first)
		}
		st, m = apiCall(t, "GET", api+"/regions/500102123000/children", "", "")
		if st != 200 || len(m["children"].([]any)) == 0 {
			t.Errorf("villages of 龙潭镇: %d", st)
		}
		st, m = apiCall(t, "GET", api+"/regions/500102123201/children", "", "")
		if st != 200 || len(m["children"].([]any)) != 0 {
			t.Errorf("a village's children: %d %v", st, m)
		}
		for _, tc := range []struct {
			path   string
			status int
			key    string
		}{
			{"/regions/500101/children", 404, "catalog.region_unknown"},
			{"/regions/5001x2/children", 400, "codes.division.digit"},
			{"/departments?region=12", 400, "codes.division.length"},
			{"/halls?region=999999", 400, "codes.division.unknown"},
		} {
			st, m := apiCall(t, "GET", api+tc.path, "", "", "Accept-Language", "en")
			if st != tc.status || m["message_key"] != tc.key {
				t.Errorf("%s: %d %v", tc.path, st, m)
			}
		}
		st, m = apiCall(t, "GET", api+"/departments?region=500102", "", "")
		if st != 200 || len(m["departments"].([]any)) != 13+27 {
			t.Errorf("departments: %d, %d", st, len(m["departments"].([]any)))
		}
		for _, dep := range m["departments"].([]any) {
			code := dep.(map[string]any)["credit_code"].(string)
			if kind, err := codes.Check(code, codes.KindCreditCode, time.Now()); err != nil {
				t.Errorf("department credit code %s (%s): %v", code, kind, err)
			}
		}
		st, m = apiCall(t, "GET", api+"/halls", "", "")
		if st != 200 || len(m["halls"].([]any)) != 1+27+433 || m["halls"].([]any)[0].(map[string]any)["name"] != "涪陵区行政服务中心" {
			t.Errorf("halls: %d %d", st, len(m["halls"].([]any)))
		}
	})
}

// Near the year's end, while next year's holiday notice is not loaded, the
// administrator is told on /admin what happens to deadlines reaching it.
func TestAdminWarnsOfAnUnannouncedYear(t *testing.T) {
	for _, tt := range []struct {
		name     string
		fallback bool
		now      time.Time
		want     string // "" for no warning
	}{
		{"February", true, time.Date(2026, 2, 14, 9, 0, 0, 0, time.UTC), ""},
		{"December, fallback", true, time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC), "落入该年的期限暂按周一至周五并扣除法定节假日推算"},
		{"December, refusing", false, time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC), "期限落入该年的操作（提交、受理等）将被拒绝"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cals := mustCalendars(t)
			cals.WeekdayFallback = tt.fallback
			ts := newTestServer(t, dbtest.SQLite(t), func(o *Options) { o.Calendars = cals })
			ts.now = tt.now
			c := ts.client()
			ts.webLogin(t, c, "admin")
			r, _ := c.Get(ts.URL + "/admin")
			b := body(t, r)
			has := strings.Contains(b, `id="calendar-unannounced"`)
			switch {
			case tt.want == "" && has:
				t.Error("a warning with every year loaded")
			case tt.want != "" && (!has || !strings.Contains(b, "尚未载入 2027 年") || !strings.Contains(b, tt.want)):
				t.Errorf("no warning for 2027: %d", r.StatusCode)
			}
		})
	}
}
