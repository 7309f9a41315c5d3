package api

import (
	"reflect"
	"testing"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/edge"
)

func TestJSONMedia(t *testing.T) {
	for ct, ok := range map[string]bool{
		"application/json": true, "application/json; charset=utf-8": true, "Application/JSON; charset=UTF-8": true,
		"": false, "text/plain": false, "application/x-www-form-urlencoded": false, "multipart/form-data; boundary=x": false,
		"application/json; charset=gbk": false, "application/jsonx": false, "application/json;;": false,
	} {
		err := jsonMedia(ct)
		if ok != (err == nil) || (!ok && !apperr.Is(err, apperr.Unsupported, "error.unsupported_media_type")) {
			t.Errorf("%q: %v", ct, err)
		}
	}
}

func TestDecodeJSON(t *testing.T) {
	for _, tc := range []struct {
		name, body, key string
	}{
		{"a case", `{"item_code":"x","form_values":{"name":["张三"]},"submit":true}`, ""},
		{"null", `null`, "error.json_null"},
		{"null with spaces", " \n null \t", "error.json_null"},
		{"empty", ``, "error.bad_json"},
		{"not an object", `"x"`, "error.bad_json"},
		{"an array", `[]`, "error.bad_json"},
		{"unknown field", `{"item_code":"x","surprise":1}`, "error.bad_json"},
		{"trailing data", `{} {}`, "error.bad_json"},
		{"NaN", `{"submit":NaN}`, "error.bad_json"},
		{"invalid UTF-8", "{\"item_code\":\"\xff\"}", "input.bad_utf8"},
		{"escaped NUL", `{"item_code":"a\u0000"}`, "input.control"},
		{"bidi in a value", `{"form_values":{"name":["\u202e"]}}`, "input.bidi"},
		{"bidi in a key", `{"form_values":{"na\u2066me":["x"]}}`, "input.bidi"},
		{"newline in a name", `{"applicant_name":"a\nb"}`, "input.single_line"},
		{"wrong type", `{"submit":"yes"}`, "error.bad_json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var nc cases.NewCase
			err := decodeJSON([]byte(tc.body), &nc)
			if tc.key == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if !apperr.Is(err, apperr.Invalid, tc.key) {
				t.Fatalf("got %v, want %s", err, tc.key)
			}
		})
	}
}

// FuzzDecodeNewCase holds the API's decoding of a case submission to its
// promise: no panic; every refusal an apperr whose code maps to a 4xx; and
// everything accepted is text the edge allows.
func FuzzDecodeNewCase(f *testing.F) {
	for _, s := range []string{
		`{"item_code":"11500102MB1234567X3000000001","submit":true,"answers":{"premises":"rented"},` +
			`"form_values":{"applicant_name":["张三"],"org_address":["500102006001","滨江路 1 号"],"capital":["5"]},` +
			`"materials":[{"key":"lease","id":"0190"}],"applicant":"500102198506120011","originals_checked":["id_card"]}`,
		`{"bundle":"qykb","form_values":{"note":["第一行\n第二行"]}}`,
		`null`, `{}`, `[]`, `{"submit":1e999}`, "{\"item_code\":\"\xff\"}", `{"item_code":"\u0000"}`,
		`{"form_values":{"x":["\u202e"]}}`, `{"a":`, `{"answers":{"q":"\ud800"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var nc cases.NewCase
		err := decodeJSON(body, &nc)
		if err != nil {
			var e *apperr.Error
			if e = apperr.As(err); e.Code == apperr.Internal {
				t.Fatalf("unclassified refusal: %v", err)
			}
			if st := edge.Status(e.Code); st < 400 || st > 499 {
				t.Fatalf("refusal %v maps to %d", err, st)
			}
			return
		}
		eachString(reflect.ValueOf(nc), func(s string) {
			if err := edge.CheckText("", s, true); err != nil {
				t.Fatalf("accepted %q: %v", s, err)
			}
		})
	})
}

// eachString visits every string in v (structs, maps with their keys,
// slices).
func eachString(v reflect.Value, fn func(string)) {
	switch v.Kind() {
	case reflect.String:
		fn(v.String())
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				eachString(v.Field(i), fn)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			eachString(v.Index(i), fn)
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			eachString(k, fn)
			eachString(v.MapIndex(k), fn)
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			eachString(v.Elem(), fn)
		}
	}
}
