package server

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
)

// badTexts are what no text input may carry: a NUL, a right-to-left
// override, and a byte that is not UTF-8 (each inside otherwise good text).
var badTexts = []struct{ name, text, key string }{
	{"NUL", "张\x00三", "input.control"},
	{"bidi override", "张\u202e三", "input.bidi"},
	{"invalid UTF-8", "张\xff三", "input.bad_utf8"},
}

// fingerprint is every row of every table but sessions (a request touches
// its session), sorted: equal fingerprints mean nothing was written.
func fingerprint(t *testing.T, d *db.DB) string {
	t.Helper()
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	if d.Dialect == db.Postgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`
	}
	var tables []string
	rows, err := d.Reader().Query(q)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		rows.Scan(&n)
		if n != "sessions" && n != "goose_db_version" {
			tables = append(tables, n)
		}
	}
	rows.Close()
	sort.Strings(tables)
	var b strings.Builder
	for _, tb := range tables {
		rows, err := d.Reader().Query(`SELECT * FROM ` + tb)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		var lines []string
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, fmt.Sprintf("%q", vals))
		}
		rows.Close()
		sort.Strings(lines)
		fmt.Fprintf(&b, "%s %d\n%s\n", tb, len(lines), strings.Join(lines, "\n"))
	}
	return b.String()
}

// send makes a request and returns its status, message key (the API's
// error shape) and body.
func send(t *testing.T, c *http.Client, method, u, token, ctype, payload string, hdr ...string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	if c == nil {
		c = http.DefaultClient
	}
	r, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	var m struct {
		Key string `json:"message_key"`
	}
	json.Unmarshal(b, &m)
	return r.StatusCode, m.Key, string(b)
}

// jsonString quotes s for a JSON document byte for byte: a NUL as \u0000,
// a byte that is not UTF-8 left raw (encoding/json would replace it).
func jsonString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20:
			fmt.Fprintf(&b, `\u%04x`, c)
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// TestBadTextRefusedEverywhere walks API operations and pages — anonymous
// and logged in, query, path, header, form, multipart and JSON inputs — with
// each bad text: every one answers 400 naming the field, the same on both
// databases, and nothing is written.
func TestBadTextRefusedEverywhere(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		api := ts.URL + "/api/v1"
		zs, clerk, admin := apiToken(t, api, "zhangsan"), apiToken(t, api, "clerk"), apiToken(t, api, "admin")
		code := soleTraderCode(t, api)
		// The text is refused before anything looks the case up.
		const caseNo = "500102-20260214-0001"

		zsWeb, clerkWeb, anon := ts.client(), ts.client(), ts.client()
		ts.webLogin(t, zsWeb, "zhangsan")
		ts.webLogin(t, clerkWeb, "clerk")
		zsTok := csrf(t, zsWeb, ts.URL+"/apply/"+code)
		clerkTok := csrf(t, clerkWeb, ts.URL+"/me")
		anonTok := csrf(t, anon, ts.URL+"/login")
		adminWeb := ts.client()
		ts.webLogin(t, adminWeb, "admin")
		adminTok := csrf(t, adminWeb, ts.URL+"/me")
		const form = "application/x-www-form-urlencoded"
		const js = "application/json"
		formOf := func(kv ...string) string {
			v := url.Values{}
			for i := 0; i+1 < len(kv); i += 2 {
				v.Set(kv[i], kv[i+1])
			}
			return v.Encode()
		}

		before := fingerprint(t, d)
		for _, bad := range badTexts {
			q, p, j := url.QueryEscape(bad.text), url.PathEscape(bad.text), jsonString(bad.text)
			for _, tc := range []struct {
				name, field                  string
				c                            *http.Client
				method, path, token, ct, msg string
				hdr                          []string
			}{
				{"API login", "username", nil, "POST", "/api/v1/auth/login", "", js, `{"username":` + j + `,"password":"x"}`, nil},
				{"API catalog search", "q", nil, "GET", "/api/v1/items?q=" + q, "", "", "", nil},
				{"API progress", "name", nil, "GET", "/api/v1/progress?case_no=" + caseNo + "&name=" + q, "", "", "", nil},
				{"API item by code", "path", nil, "GET", "/api/v1/items/" + p, "", "", "", nil},
				{"API case by number", "path", nil, "GET", "/api/v1/cases/" + p, zs, "", "", nil},
				{"API calendar", "from", nil, "GET", "/api/v1/calendar/add?days=1&from=" + q, zs, "", "", nil},
				{"API draft's form value", "form_values.applicant_name[0]", nil, "POST", "/api/v1/cases", zs, js,
					`{"item_code":"` + code + `","form_values":{"applicant_name":[` + j + `]}}`, nil},
				{"API situation answer", "answers.premises", nil, "POST", "/api/v1/cases", zs, js,
					`{"item_code":"` + code + `","answers":{"premises":` + j + `}}`, nil},
				{"API refusal's reason", "reason", nil, "POST", "/api/v1/cases/" + caseNo + "/actions", clerk, js,
					`{"action":"refuse","reason":` + j + `}`, nil},
				{"API urging note", "note", nil, "POST", "/api/v1/cases/" + caseNo + "/urge", admin, js, `{"note":` + j + `}`, nil},
				{"API escalation rule", "region", nil, "PUT", "/api/v1/admin/escalation-rules/default-decision-red", admin, js,
					`{"region":` + j + `,"clock":"decision","level":"red","action":"notify","enabled":true}`, nil},
				{"API licence share", "reason", nil, "POST", "/api/v1/licences/x/share", zs, js, `{"reason":` + j + `}`, nil},
				{"web login", "username", anon, "POST", "/login", "", form, formOf("csrf_token", anonTok, "username", bad.text, "password", "x"), nil},
				{"web catalog search", "q", anon, "GET", "/items?q=" + q, "", "", "", nil},
				{"web progress", "name", anon, "GET", "/progress?case_no=" + caseNo + "&name=" + q, "", "", "", nil},
				{"web verification", "path", anon, "GET", "/verify/" + p, "", "", "", nil},
				{"web application", "applicant_name", zsWeb, "POST", "/apply/" + code, "", form,
					formOf("csrf_token", zsTok, "applicant_name", bad.text, "do", "save"), nil},
				{"web case action", "reason", clerkWeb, "POST", "/cases/" + caseNo + "/act", "", form,
					formOf("csrf_token", clerkTok, "action", "refuse", "reason", bad.text), nil},
			} {
				st, key, b := send(t, tc.c, tc.method, ts.URL+tc.path, tc.token, tc.ct, tc.msg, tc.hdr...)
				if st != http.StatusBadRequest {
					t.Errorf("%s, %s: %d %s", tc.name, bad.name, st, b)
					continue
				}
				if tc.c == nil && key != bad.key {
					t.Errorf("%s, %s: %s; want %s", tc.name, bad.name, b, bad.key)
				}
				if !strings.Contains(b, "“"+tc.field+"”") {
					t.Errorf("%s, %s: the page does not name %s: %s", tc.name, bad.name, tc.field, b)
				}
			}
			if bad.name != "NUL" { // a client cannot put a NUL in a header or a file name's line
				if st, key, b := send(t, nil, "POST", api+"/cases", zs, js, `{"item_code":"`+code+`"}`, "Idempotency-Key", bad.text); st != 400 || key != bad.key {
					t.Errorf("idempotency key, %s: %d %s", bad.name, st, b)
				}
				if st, m := upload(t, api, zs, "lease"+bad.text+".pdf", []byte("%PDF-1.4\n%%EOF\n")); st != 400 || m["message_key"] != bad.key {
					t.Errorf("upload's file name, %s: %d %v", bad.name, st, m)
				}
			}
		}
		// Documents decoded from files or typed JSON: a "\u0000" escape is a
		// NUL all the same (a catalog file through the API, a licence type
		// typed into /admin).
		_, m := apiCall(t, "GET", api+"/admin/catalog/export?format=json", admin, "")
		items := m["items"].([]any)
		items[0].(map[string]any)["name"] = "个体\x00工商户"
		doc, _ := json.Marshal(m)
		if st, key, b := send(t, nil, "POST", api+"/admin/catalog/import?format=json", admin, "application/json", string(doc)); st != 400 || key != "input.control" || !strings.Contains(b, ".name”") {
			t.Errorf("catalog import with a NUL: %d %s", st, b)
		}
		typeJSON := `{"code":"x","name":"证\u202e照"}`
		if st, _, b := send(t, adminWeb, "POST", ts.URL+"/admin/licence-types", "", form,
			formOf("csrf_token", adminTok, "type_json", typeJSON)); st != 400 || !strings.Contains(b, "“name”") {
			t.Errorf("licence type with a bidi override: %d %s", st, b)
		}
		if after := fingerprint(t, d); after != before {
			t.Errorf("refused requests changed the database")
		}
	})
}

// TestJSONBodyRules: JSON only as application/json, never null, and form
// values only for the fields the form defines — each refusal in the error
// shape, nothing written.
func TestJSONBodyRules(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		api := ts.URL + "/api/v1"
		zs := apiToken(t, api, "zhangsan")
		code := soleTraderCode(t, api)
		_, m := apiCall(t, "GET", api+"/bundles", "", "")
		bundle := m["bundles"].([]any)[0].(map[string]any)["code"].(string)
		good := `{"item_code":"` + code + `","form_values":{"applicant_name":["张三"]}}`
		// Submitted with every value valid but one number.
		withCapital := func(capital string) string {
			return `{"item_code":"` + code + `","submit":true,"answers":{"premises":"rented"},
			"form_values":{"applicant_name":["张三"],"applicant_id":["500102198506120011"],"applicant_phone":["13800000000"],
			"form_of":["person"],"scope":["小吃"],"org_address":["500102006001","滨江路 1 号"],"capital":["` + capital + `"]}}`
		}
		before := fingerprint(t, d)
		for _, tc := range []struct {
			name, ctype, body string
			status            int
			key, detail       string
		}{
			{"no content type", "", good, 415, "error.unsupported_media_type", ""},
			{"text/plain", "text/plain", good, 415, "error.unsupported_media_type", ""},
			{"a form", "application/x-www-form-urlencoded", "item_code=" + code, 415, "error.unsupported_media_type", ""},
			{"another charset", "application/json; charset=gbk", good, 415, "error.unsupported_media_type", ""},
			{"null", "application/json", "null", 400, "error.json_null", ""},
			{"an unknown form key", "application/json", `{"item_code":"` + code + `","form_values":{"applicant_name":["张三"],"nickname":["三儿"]}}`,
				400, "form.unknown_fields", "form.unknown_field"},
			{"an unknown key in a bundle", "application/json", `{"bundle":"` + bundle + `","form_values":{"nickname":["三儿"]}}`,
				400, "form.unknown_fields", "form.unknown_field"},
			{"NaN", "application/json", withCapital("NaN"), 400, "case.form_invalid", "form.number"},
			{"Infinity", "application/json", withCapital("+Inf"), 400, "case.form_invalid", "form.number"},
			{"overflow", "application/json", withCapital("1e999"), 400, "case.form_invalid", "form.number"},
			{"a line break in a one-line field", "application/json", `{"item_code":"` + code + `","submit":true,"form_values":{"scope":["小吃\n服务"]}}`,
				400, "case.form_invalid", "form.single_line"},
		} {
			st, key, b := send(t, nil, "POST", api+"/cases", zs, tc.ctype, tc.body)
			if st != tc.status || key != tc.key || !strings.Contains(b, `"message":"`) || !strings.Contains(b, tc.detail) {
				t.Errorf("%s: %d %s; want %d %s (%s)", tc.name, st, b, tc.status, tc.key, tc.detail)
			}
		}
		// Issue 17: a detail names its field (key and label, in the reader's language).
		for lang, want := range map[string]string{"": `"field":"capital","label":"资金数额（万元）"`, "?lang=en": `"field":"capital","label":"Capital (10,000 yuan)"`} {
			if _, _, b := send(t, nil, "POST", api+"/cases"+lang, zs, "application/json", withCapital("NaN")); !strings.Contains(b, want) {
				t.Errorf("the detail does not name the field (%q): %s", lang, b)
			}
		}
		if fingerprint(t, d) != before {
			t.Errorf("refused requests changed the database")
		}
		// The same draft as JSON is filed.
		if st, _, b := send(t, nil, "POST", api+"/cases", zs, "application/json; charset=utf-8", good); st != 201 {
			t.Errorf("draft: %d %s", st, b)
		}
	})
}
