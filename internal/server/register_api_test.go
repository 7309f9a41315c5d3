package server

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/deliver"
	"github.com/tongban/tongban/internal/demo"
	"github.com/tongban/tongban/internal/notify"
)

// newSMSServer is a test server whose SMS codes go to a screen the test reads.
func newSMSServer(t *testing.T, d *db.DB) (*testServer, *deliver.Screen) {
	screen := &deliver.Screen{}
	ts := newTestServer(t, d, func(o *Options) { o.Screen = screen })
	ts.ids.Texter = &deliver.Texter{Channel: screen, Renderer: &notify.TemplateRenderer{DB: d, Home: demo.Region}}
	return ts, screen
}

var codeRE = regexp.MustCompile(`验证码为\s*([0-9]{6})`)

// askCode asks for a code over the API (the clock moved past the gap
// between two codes) and returns the code texted to phone.
func askCode(t *testing.T, ts *testServer, screen *deliver.Screen, path, payload, phone string) string {
	t.Helper()
	return askCodeAs(t, ts, screen, "", path, payload, phone)
}

func askCodeAs(t *testing.T, ts *testServer, screen *deliver.Screen, token, path, payload, phone string) string {
	t.Helper()
	ts.now = ts.now.Add(2 * time.Minute)
	if st, m := apiCall(t, "POST", ts.URL+"/api/v1"+path, token, payload); st != 202 || m["phone"] != phone[:3]+"****"+phone[7:] {
		t.Fatalf("%s: %d %v", path, st, m)
	}
	for _, msg := range screen.Messages() {
		if msg.To == phone {
			if m := codeRE.FindStringSubmatch(msg.Body); m != nil {
				return m[1]
			}
			break
		}
	}
	t.Fatalf("no code texted to %s: %+v", phone, screen.Messages())
	return ""
}

func countUsers(t *testing.T, d *db.DB) int {
	var n int
	if err := d.Reader().QueryRow(`SELECT count(*) FROM users`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Issue 16's bad input for accounts, over the API: malformed numbers,
// wrong, expired and reused codes, and an ID number already registered
// answered exactly as a success.
func TestRegisterAPIBadInput(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts, screen := newSMSServer(t, d)
		api := ts.URL + "/api/v1"
		const phone, id = "13912345678", "110101199003071233"
		reg := func(code, id, phone string) string {
			return `{"name":"赵六","id_number":"` + id + `","phone":"` + phone + `","code":"` + code + `","password":"zhao-liu-password"}`
		}
		for _, tc := range []struct {
			name, path, payload string
			status              int
			key                 string
		}{
			{"code: malformed phone", "/register/code", `{"phone":"1391234567"}`, 400, "codes.mobile"},
			{"code: landline", "/register/code", `{"phone":"023-72701234"}`, 400, "codes.mobile"},
			{"code: no phone", "/register/code", `{}`, 400, "error.field_required"},
			{"code: unknown field", "/register/code", `{"phone":"13912345678","x":1}`, 400, "error.bad_json"},
			{"sms-code: purpose", "/auth/sms-code", `{"phone":"13912345678","purpose":"register"}`, 400, "auth.code_purpose"},
			{"sms-code: malformed phone", "/auth/sms-code", `{"phone":"139","purpose":"login"}`, 400, "codes.mobile"},
			{"register: no name", "/register", `{"id_number":"` + id + `","phone":"` + phone + `","code":"123456","password":"zhao-liu-password"}`, 400, "error.field_required"},
			{"register: check digit", "/register", reg("123456", "110101199003071234", phone), 400, "codes.citizen_id.check"},
			{"register: malformed phone", "/register", reg("123456", id, "1391234567"), 400, "codes.mobile"},
			{"register: no code asked", "/register", reg("123456", id, phone), 400, "auth.code_missing"},
			{"register: short password", "/register", strings.Replace(reg("123456", id, phone), "zhao-liu-password", "short", 1), 400, "auth.password_short"},
			{"login: sms code without a number", "/auth/login", `{"sms_code":"123456"}`, 400, "codes.mobile"},
			{"login: number without a code", "/auth/login", `{"phone":"13912345678"}`, 400, "error.field_required"},
			{"reset: no code asked", "/auth/password-reset", `{"phone":"13912345678","code":"123456","password":"another-password"}`, 400, "auth.code_missing"},
		} {
			if st, m := apiCall(t, "POST", api+tc.path, "", tc.payload); st != tc.status || m["message_key"] != tc.key {
				t.Errorf("%s: %d %v, want %d %s", tc.name, st, m, tc.status, tc.key)
			}
		}
		users := countUsers(t, d)

		// Wrong, expired, then right; then reused.
		code := askCode(t, ts, screen, "/register/code", `{"phone":"`+phone+`"}`, phone)
		wrong := "000000"
		if code == wrong {
			wrong = "000001"
		}
		if st, m := apiCall(t, "POST", api+"/register", "", reg(wrong, id, phone)); st != 400 || m["message_key"] != "auth.code_wrong" {
			t.Fatalf("wrong code: %d %v", st, m)
		}
		ts.now = ts.now.Add(6 * time.Minute)
		if st, m := apiCall(t, "POST", api+"/register", "", reg(code, id, phone)); st != 400 || m["message_key"] != "auth.code_expired" {
			t.Fatalf("expired code: %d %v", st, m)
		}
		if countUsers(t, d) != users {
			t.Fatal("a refused registration made an account")
		}
		code = askCode(t, ts, screen, "/register/code", `{"phone":"`+phone+`"}`, phone)
		st, ok := apiCall(t, "POST", api+"/register", "", reg(code, id, phone))
		if st != 201 || ok["token"] == "" || ok["user"].(map[string]any)["assurance"] != float64(1) {
			t.Fatalf("register: %d %v", st, ok)
		}
		if st, m := apiCall(t, "POST", api+"/register", "", reg(code, id, phone)); st != 400 || m["message_key"] != "auth.code_used" {
			t.Fatalf("reused code: %d %v", st, m)
		}
		token := ok["token"].(string)
		if st, m := apiCall(t, "GET", api+"/me", token, ""); st != 200 || m["assurance"] != float64(1) || m["kind"] != "person" {
			t.Fatalf("me: %d %v", st, m)
		}
		users = countUsers(t, d)

		// The same ID number from another phone: the same answer, nothing made, the holder told.
		const other = "13700137000"
		code = askCode(t, ts, screen, "/register/code", `{"phone":"`+other+`"}`, other)
		st, dup := apiCall(t, "POST", api+"/register", "", reg(code, id, other))
		if st != 201 || !sameKeys(ok, dup) || !sameKeys(ok["user"].(map[string]any), dup["user"].(map[string]any)) {
			t.Fatalf("duplicate answered %d %v; a success answered %v", st, dup, ok)
		}
		if countUsers(t, d) != users {
			t.Fatal("a duplicate registration made an account")
		}
		if told := screen.Messages()[0]; told.To != phone || strings.Contains(told.Body, id) || !strings.Contains(told.Body, "身份证") {
			t.Fatalf("the holder's text: %+v", told)
		}
		if st, _ := apiCall(t, "GET", api+"/me", dup["token"].(string), ""); st != 401 {
			t.Fatalf("the duplicate's token opened a session: %d", st)
		}
		// Another ID number on a number already bound: said.
		code = askCode(t, ts, screen, "/register/code", `{"phone":"`+phone+`"}`, phone)
		if st, m := apiCall(t, "POST", api+"/register", "", reg(code, "110101198506154562", phone)); st != 409 || m["message_key"] != "auth.phone_taken" {
			t.Fatalf("phone taken: %d %v", st, m)
		}

		// Sign in by SMS code; a wrong one, a reused one.
		code = askCode(t, ts, screen, "/auth/sms-code", `{"phone":"`+phone+`","purpose":"login"}`, phone)
		if st, m := apiCall(t, "POST", api+"/auth/login", "", `{"phone":"`+phone+`","sms_code":"`+wrongCode(code)+`"}`); st != 400 || m["message_key"] != "auth.code_wrong" {
			t.Fatalf("wrong login code: %d %v", st, m)
		}
		st, m := apiCall(t, "POST", api+"/auth/login", "", `{"phone":"`+phone+`","sms_code":"`+code+`"}`)
		if st != 200 || m["user"].(map[string]any)["display_name"] != "赵六" {
			t.Fatalf("sms login: %d %v", st, m)
		}
		if st, m := apiCall(t, "POST", api+"/auth/login", "", `{"phone":"`+phone+`","sms_code":"`+code+`"}`); st != 400 || m["message_key"] != "auth.code_used" {
			t.Fatalf("reused login code: %d %v", st, m)
		}
		// A number that is no account's: answered the same, nothing texted.
		n := len(screen.Messages())
		ts.now = ts.now.Add(2 * time.Minute)
		if st, m := apiCall(t, "POST", api+"/auth/sms-code", "", `{"phone":"13600136000","purpose":"login"}`); st != 202 || m["phone"] != "136****6000" || len(screen.Messages()) != n {
			t.Fatalf("unregistered number: %d %v", st, m)
		}

		// Reset: the sessions end; the new password signs in with the number.
		code = askCode(t, ts, screen, "/auth/sms-code", `{"phone":"`+phone+`","purpose":"reset"}`, phone)
		if st, m := apiCall(t, "POST", api+"/auth/password-reset", "", `{"phone":"`+phone+`","code":"`+code+`","password":"short"}`); st != 400 || m["message_key"] != "auth.password_short" {
			t.Fatalf("short: %d %v", st, m)
		}
		if st, m := apiCall(t, "POST", api+"/auth/password-reset", "", `{"phone":"`+phone+`","code":"`+code+`","password":"zhao-liu-new-password"}`); st != 204 {
			t.Fatalf("reset: %d %v", st, m)
		}
		if st, _ := apiCall(t, "GET", api+"/me", token, ""); st != 401 {
			t.Fatalf("a session outlived the reset: %d", st)
		}
		if st, m := apiCall(t, "POST", api+"/auth/login", "", `{"username":"`+phone+`","password":"zhao-liu-new-password"}`); st != 200 {
			t.Fatalf("login with the number and the new password: %d %v", st, m)
		}
	})
}

// Issue 16: an item that requires L2 refuses an L1 person's online filing
// with its message; a clerk verifies the person at a window (an unknown
// number and a wrong name alike, the confirmation required), and the
// person then files.
func TestAssuranceL2(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts, screen := newSMSServer(t, d)
		api := ts.URL + "/api/v1"
		const phone, id = "13912345678", "110101199003071233"
		code := askCode(t, ts, screen, "/register/code", `{"phone":"`+phone+`"}`, phone)
		_, reg := apiCall(t, "POST", api+"/register", "", `{"name":"赵六","id_number":"`+id+`","phone":"`+phone+`","code":"`+code+`","password":"zhao-liu-password"}`)
		token := reg["token"].(string)

		_, m := apiCall(t, "GET", api+"/items?q="+url.QueryEscape("内地居民结婚登记"), "", "")
		item := m["items"].([]any)[0].(map[string]any)["impl_code"].(string)
		if _, it := apiCall(t, "GET", api+"/items/"+item, "", ""); !strings.Contains(fmtJSON(it), `"requires_l2":true`) {
			t.Fatalf("the demo's marriage registration does not require L2: %v", it)
		}
		// The public item page says so.
		if r, err := http.Get(ts.URL + "/items/" + item); err != nil || !strings.Contains(body(t, r), "此事项需要实名核验（L2）") {
			t.Fatalf("the item page does not say it requires L2: %v", err)
		}
		file := `{"item_code":"` + item + `","submit":false}`
		if st, m := apiCall(t, "POST", api+"/cases", token, file); st != 403 || m["message_key"] != "case.assurance_required" || !strings.Contains(m["message"].(string), "政务服务窗口") {
			t.Fatalf("an L1 filing: %d %v", st, m)
		}

		clerk := apiToken(t, api, "clerk")
		for _, tc := range []struct {
			name, payload string
			status        int
			key           string
		}{
			{"not confirmed", `{"id_number":"` + id + `","name":"赵六","confirmed":false}`, 400, "assurance.confirm_required"},
			{"wrong name", `{"id_number":"` + id + `","name":"赵七","confirmed":true}`, 400, "case.applicant_unmatched"},
			{"unknown number", `{"id_number":"110101198506154562","name":"赵六","confirmed":true}`, 400, "case.applicant_unmatched"},
			{"malformed number", `{"id_number":"1101","name":"赵六","confirmed":true}`, 400, "codes.citizen_id.length"},
		} {
			if st, m := apiCall(t, "POST", api+"/assurance", clerk, tc.payload); st != tc.status || (m["message_key"] != tc.key && !strings.HasPrefix(m["message_key"].(string), "codes.")) {
				t.Errorf("%s: %d %v", tc.name, st, m)
			}
		}
		if st, m := apiCall(t, "POST", api+"/assurance", token, `{"id_number":"`+id+`","name":"赵六","confirmed":true}`); st != 403 {
			t.Fatalf("a person raised themselves: %d %v", st, m)
		}
		if st, m := apiCall(t, "POST", api+"/assurance/code", token, `{"phone":"13700137000"}`); st != 403 {
			t.Fatalf("a person asked for a window's code: %d %v", st, m)
		}
		// At the window the person proves another number, which becomes the account's.
		code = askCodeAs(t, ts, screen, clerk, "/assurance/code", `{"phone":"13700137000"}`, "13700137000")
		st, m := apiCall(t, "POST", api+"/assurance", clerk, `{"id_number":"`+id+`","name":"赵六","confirmed":true,"phone":"13700137000","code":"`+code+`"}`)
		if st != 200 || m["changed"] != true || m["id_number_masked"] == id || m["phone"] != "137****7000" {
			t.Fatalf("verify: %d %v", st, m)
		}
		var n int
		if err := d.Reader().QueryRow(`SELECT count(*) FROM audit_pending WHERE action IN ('account.assurance', 'person.read.assurance') AND object_id = $1`, reg["user"].(map[string]any)["id"]).Scan(&n); err != nil || n != 2 {
			t.Fatalf("audited %d: %v", n, err)
		}
		if _, me := apiCall(t, "GET", api+"/me", token, ""); me["assurance"] != float64(2) {
			t.Fatalf("me after verification: %v", me)
		}
		if st, m := apiCall(t, "POST", api+"/cases", token, file); st == 403 {
			t.Fatalf("an L2 filing: %d %v", st, m)
		}
	})
}

func sameKeys(a, b map[string]any) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if _, ok := b[k]; !ok {
			return false
		}
	}
	return true
}

func wrongCode(c string) string {
	if c == "000000" {
		return "000001"
	}
	return "000000"
}

func fmtJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// The account pages in both languages, and their refusals on the page
// with the status and the reason (what was typed kept, never the code or
// the password); a duplicate registration answers the page as a success.
func TestRegisterPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts, screen := newSMSServer(t, d)
		for _, lang := range []string{"zh-CN", "en"} {
			for _, p := range []string{"/register", "/login/sms", "/password/reset", "/login"} {
				r, err := http.Get(ts.URL + p + "?lang=" + lang)
				if err != nil {
					t.Fatal(err)
				}
				b := body(t, r)
				if r.StatusCode != 200 || regexp.MustCompile(`\b(register|reset|login)\.[a-z_]+\b`).MatchString(b) {
					t.Errorf("%s (%s): %d, or a message key shows", p, lang, r.StatusCode)
				}
			}
		}
		c := ts.client()
		post := func(path string, v url.Values) (int, string, string) {
			t.Helper()
			v.Set("csrf_token", csrf(t, c, ts.URL+"/register"))
			r, err := c.PostForm(ts.URL+path, v)
			if err != nil {
				t.Fatal(err)
			}
			return r.StatusCode, r.Header.Get("Location"), body(t, r)
		}
		const phone, id = "13912345678", "110101199003071233"
		form := func(code string) url.Values {
			return url.Values{"name": {"赵六"}, "id_number": {id}, "phone": {phone}, "code": {code}, "password": {"zhao-liu-password"}}
		}
		if st, _, b := post("/register/code", url.Values{"phone": {"139"}, "name": {"赵六"}}); st != 400 || !strings.Contains(b, "手机号") || !strings.Contains(b, `value="赵六"`) {
			t.Fatalf("malformed number on the page: %d", st)
		}
		ts.now = ts.now.Add(2 * time.Minute)
		if st, _, b := post("/register/code", url.Values{"phone": {phone}, "name": {"赵六"}, "id_number": {id}}); st != 200 || !strings.Contains(b, "139****5678") || !strings.Contains(b, `value="`+id+`"`) {
			t.Fatalf("code asked on the page: %d", st)
		}
		code := codeRE.FindStringSubmatch(screen.Messages()[0].Body)[1]
		if st, _, b := post("/register", form(wrongCode(code))); st != 400 || !strings.Contains(b, "验证码不正确") || strings.Contains(b, "zhao-liu-password") {
			t.Fatalf("wrong code on the page: %d", st)
		}
		st, loc, _ := post("/register", form(code))
		if st != 303 || loc != "/me" {
			t.Fatalf("registered: %d %s", st, loc)
		}
		// The same number again, from another phone: the same answer.
		c = ts.client()
		ts.now = ts.now.Add(2 * time.Minute)
		post("/register/code", url.Values{"phone": {"13700137000"}})
		code = codeRE.FindStringSubmatch(screen.Messages()[0].Body)[1]
		f := form(code)
		f.Set("phone", "13700137000")
		if st2, loc2, _ := post("/register", f); st2 != st || loc2 != loc {
			t.Fatalf("a duplicate answered %d %s, a success %d %s", st2, loc2, st, loc)
		}
	})
}
