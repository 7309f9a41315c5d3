package edge

import (
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/apperr"
)

func TestCheckText(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		lines    bool
		key      string // "" = accepted
	}{
		{"plain ASCII", "Zhang San 1-2", false, ""},
		{"Chinese", "张三 重庆市涪陵区滨江路1号", false, ""},
		{"emoji and marks", "好👍 e\u0301 \u200f", false, ""},
		{"empty", "", false, ""},
		{"NUL", "张\x00三", false, "input.control"},
		{"NUL in prose", "a\x00b", true, "input.control"},
		{"escape", "\x1b[31mred", false, "input.control"},
		{"DEL", "a\x7fb", false, "input.control"},
		{"C1 NEL", "a\u0085b", true, "input.control"},
		{"LRE", "a\u202ab", false, "input.bidi"},
		{"RLE", "a\u202bb", false, "input.bidi"},
		{"PDF", "a\u202cb", false, "input.bidi"},
		{"LRO", "a\u202db", false, "input.bidi"},
		{"RLO", "evil\u202etxt.exe", true, "input.bidi"},
		{"LRI", "a\u2066b", false, "input.bidi"},
		{"RLI", "a\u2067b", false, "input.bidi"},
		{"FSI", "a\u2068b", false, "input.bidi"},
		{"PDI", "a\u2069b", true, "input.bidi"},
		{"invalid UTF-8", "a\xffb", true, "input.bad_utf8"},
		{"truncated UTF-8", "张\xe5\xbc", false, "input.bad_utf8"},
		{"encoded surrogate", "\xed\xa0\x80", false, "input.bad_utf8"},
		{"noncharacter U+FDD0 (the bad-byte mark)", "a\ufdd0b", true, "input.bad_utf8"},
		{"newline in one line", "a\nb", false, "input.single_line"},
		{"CR in one line", "a\rb", false, "input.single_line"},
		{"tab in one line", "a\tb", false, "input.single_line"},
		{"line separator in one line", "a\u2028b", false, "input.single_line"},
		{"newline in prose", "第一行\r\n第二行\t完", true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckText("name", tc.in, tc.lines)
			if tc.key == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if !apperr.Is(err, apperr.Invalid, tc.key) || apperr.As(err).Args["field"] != "name" {
				t.Fatalf("got %v, want %s naming the field", err, tc.key)
			}
		})
	}
}

func TestMultiline(t *testing.T) {
	for field, want := range map[string]bool{
		"reason": true, "comment": true, "m.note": true, "corr.other": true, "faq[2].a": true, "legal_basis[0]": true,
		"name": false, "username": false, "q": false, "applicant": false, "m.name": false, "path": false,
	} {
		if got := Multiline(field); got != want {
			t.Errorf("Multiline(%q) = %v", field, got)
		}
	}
}

func TestCheckJSONNamesThePath(t *testing.T) {
	for _, tc := range []struct{ doc, key, field string }{
		{`{"item_code":"x\u0000"}`, "input.control", "item_code"},
		{`{"form_values":{"name":["ok","\u202e"]}}`, "input.bidi", "form_values.name[1]"},
		{`{"answers":{"a\u0000":"x"}}`, "input.control", "answers.a\uFFFD"},
		{`{"reason":"one\nline\ttwo"}`, "", ""},
		{`{"form_values":{"hardship":["多行\n说明"]}}`, "", ""}, // the form's rule decides
		{`{"applicant_name":"张\n三"}`, "input.single_line", "applicant_name"},
		{`{"items":[{"name":"a\u2066b"}]}`, "input.bidi", "items[0].name"},
		{`{"n":1.5,"ok":true,"none":null}`, "", ""},
	} {
		var v any
		dec := json.NewDecoder(strings.NewReader(tc.doc))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		err := CheckJSON(v)
		if tc.key == "" {
			if err != nil {
				t.Errorf("%s: refused: %v", tc.doc, err)
			}
			continue
		}
		if !apperr.Is(err, apperr.Invalid, tc.key) || apperr.As(err).Args["field"] != tc.field {
			t.Errorf("%s: got %v, want %s on %s", tc.doc, err, tc.key, tc.field)
		}
	}
}

func TestCheckRequest(t *testing.T) {
	for _, tc := range []struct {
		name, target string
		hdr          map[string]string
		key, field   string
	}{
		{"clean", "/items?q=" + url.QueryEscape("营业执照"), nil, "", ""},
		{"NUL in the query", "/api/v1/items?q=a%00b", nil, "input.control", "q"},
		{"bidi in the query", "/progress?name=" + url.QueryEscape("张\u202e三"), nil, "input.bidi", "name"},
		{"invalid UTF-8 in the query", "/items?q=%FF", nil, "input.bad_utf8", "q"},
		{"newline in the query", "/items?q=a%0Ab", nil, "input.single_line", "q"},
		{"bad key", "/items?%00=1", nil, "input.control", "\uFFFD"},
		{"malformed query", "/items?q=%zz", nil, "input.bad_query", ""},
		{"NUL in the path", "/api/v1/cases/a%00b", nil, "input.control", "path"},
		{"invalid UTF-8 in the path", "/items/%C3%28", nil, "input.bad_utf8", "path"},
		{"bidi in the path", "/verify/" + url.PathEscape("\u2067x"), nil, "input.bidi", "path"},
		{"idempotency key", "/api/v1/cases", map[string]string{"Idempotency-Key": "k\xff"}, "input.bad_utf8", "Idempotency-Key"},
		{"user agent", "/login", map[string]string{"User-Agent": "x\u202ey"}, "input.bidi", "User-Agent"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", tc.target, nil)
			for k, v := range tc.hdr {
				r.Header.Set(k, v)
			}
			err := CheckRequest(r)
			if tc.key == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if !apperr.Is(err, apperr.Invalid, tc.key) || (tc.field != "" && apperr.As(err).Args["field"] != tc.field) {
				t.Fatalf("got %v, want %s on %q", err, tc.key, tc.field)
			}
		})
	}
}

func TestCheckForm(t *testing.T) {
	form := func(vals url.Values) *http.Request {
		r := httptest.NewRequest("POST", "/x", strings.NewReader(vals.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.ParseForm()
		return r
	}
	if err := CheckForm(form(url.Values{"reason": {"两行\r\n理由"}, "name": {"张三"}}), false); err != nil {
		t.Errorf("prose refused: %v", err)
	}
	if err := CheckForm(form(url.Values{"username": {"a\nb"}}), false); !apperr.Is(err, apperr.Invalid, "input.single_line") {
		t.Errorf("a newline in a one-line field: %v", err)
	}
	// An application form's keys are the item's; its own rule decides lines.
	if err := CheckForm(form(url.Values{"hardship": {"a\nb"}}), true); err != nil {
		t.Errorf("application form: %v", err)
	}
	if err := CheckForm(form(url.Values{"hardship": {"a\x00b"}}), true); !apperr.Is(err, apperr.Invalid, "input.control") {
		t.Errorf("NUL in an application form: %v", err)
	}

	// A multipart form: its values and its files' names.
	var b strings.Builder
	mw := multipart.NewWriter(&b)
	mw.WriteField("note", "ok")
	fw, _ := mw.CreateFormFile("m.lease", "lease\u202efdp.exe")
	fw.Write([]byte("%PDF-1.4"))
	mw.Close()
	r := httptest.NewRequest("POST", "/x", strings.NewReader(b.String()))
	r.Header.Set("Content-Type", mw.FormDataContentType())
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		t.Fatal(err)
	}
	if err := CheckForm(r, false); !apperr.Is(err, apperr.Invalid, "input.bidi") || apperr.As(err).Args["field"] != "m.lease" {
		t.Errorf("file name: %v", err)
	}
}
