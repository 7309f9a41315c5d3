package edge

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/tongban/tongban/internal/apperr"
)

// Text hygiene (OWASP ASVS 4.0 V5.1.3, V5.1.4; GB/T 35273 §8): every text a
// request carries — path, query, form values, multipart file names, JSON
// strings and keys, the headers we store — is checked here, once, before any
// handler reads it, so a new route gets the check without asking for it.
// Refused with 400 naming the field:
//   - bytes that are not UTF-8 (PostgreSQL refuses them with an error, SQLite
//     stores them and every later reader trips over them);
//   - control characters (C0, DEL, C1): NUL ends strings in C and answers 500
//     from PostgreSQL; the others hide text from readers and logs;
//   - bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069),
//     which make a name or a reason read differently from what it is
//     (CVE-2021-42574 "Trojan Source");
//   - tab and line breaks (CR, LF, U+2028, U+2029), except in a multi-line
//     field: prose a person writes in a textarea (reasons, comments, notes,
//     the catalog editor's texts) and the values of an application form,
//     whose own rule (catalog.ValidateValues) allows them only in fields of
//     type textarea.

// multiline names the fields where a person writes prose; for a dotted
// form key ("m.note") or a JSON path the last segment counts.
var multiline = map[string]bool{
	"reason": true, "comment": true, "note": true, "opinion": true, "summary": true,
	// the catalog editor (items, bundles, licence types as text or JSON)
	"keywords": true, "legal_basis": true, "fees": true, "form": true, "situations": true, "item": true,
	"items": true, "type_json": true, "text": true, "basis": true, "sample": true, "a": true,
	"other": true, // a correction notice's free text (corr.other)
	"body":  true, // a notification template (issue 16)
	// a search synonym's catalog wordings, one a line (issue 17)
	"expansions":  true,
	"description": true, // a 诉求 (issue 18)
}

// Multiline reports whether field (a form key or a JSON path) may carry
// tabs and line breaks.
func Multiline(field string) bool {
	if i := strings.LastIndexByte(field, '.'); i >= 0 {
		field = field[i+1:]
	}
	if i := strings.IndexByte(field, '['); i >= 0 {
		field = field[:i]
	}
	return multiline[field]
}

// CheckText refuses text no input may carry; lines allows tabs and line
// breaks. The error names field.
func CheckText(field, s string, lines bool) error {
	// The common case, printable ASCII, is one pass over the bytes.
	plain := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			plain = false
			break
		}
	}
	if plain {
		return nil
	}
	if !utf8.ValidString(s) {
		return apperr.E(apperr.Invalid, "input.bad_utf8", "field", Printable(field))
	}
	for _, r := range s {
		switch {
		case r == '\t' || r == '\n' || r == '\r' || r == '\u2028' || r == '\u2029':
			if !lines {
				return apperr.E(apperr.Invalid, "input.single_line", "field", Printable(field))
			}
		case r < 0x20 || (r >= 0x7f && r <= 0x9f):
			return apperr.E(apperr.Invalid, "input.control", "field", Printable(field), "char", fmt.Sprintf("U+%04X", r))
		case r == 0xfdd0:
			return apperr.E(apperr.Invalid, "input.bad_utf8", "field", Printable(field))
		case bidi(r):
			return apperr.E(apperr.Invalid, "input.bidi", "field", Printable(field), "char", fmt.Sprintf("U+%04X", r))
		}
	}
	return nil
}

// BadByte stands in for bytes that are not UTF-8 while a JSON body is
// decoded (encoding/json would put U+FFFD there and the fault would be lost):
// a noncharacter (Unicode §23.7), never text, which CheckText refuses as bad
// UTF-8 — so the refusal can name the field it was in.
const BadByte = "\uFDD0"

func bidi(r rune) bool {
	return (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}

// Printable is s with everything CheckText refuses replaced by U+FFFD, for
// naming a field whose very name is bad.
func Printable(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if r < 0x20 || (r >= 0x7f && r <= 0x9f) || bidi(r) || r == '\u2028' || r == '\u2029' {
			return '\uFFFD'
		}
		return r
	}, s)
}

// CheckValues checks every key and value of a query or a form; lines says
// which keys may carry line breaks (nil: none). Keys are visited in order,
// so the same request always names the same field.
func CheckValues(vals url.Values, lines func(key string) bool) error {
	keys := make([]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := CheckText(k, k, false); err != nil {
			return err
		}
		ml := lines != nil && lines(k)
		for _, v := range vals[k] {
			if err := CheckText(k, v, ml); err != nil {
				return err
			}
		}
	}
	return nil
}

// storedHeaders are the request headers the platform writes down (the
// session's browser, a submission's idempotency key).
var storedHeaders = []string{"User-Agent", "Idempotency-Key"}

// CheckRequest checks the path (and so every path value), the query and the
// headers that are stored. A query that does not parse is refused, not
// half read.
func CheckRequest(r *http.Request) error {
	if err := CheckText("path", r.URL.Path, false); err != nil {
		return err
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return apperr.E(apperr.Invalid, "input.bad_query")
	}
	if err := CheckValues(q, nil); err != nil {
		return err
	}
	for _, h := range storedHeaders {
		for _, v := range r.Header.Values(h) {
			if err := CheckText(h, v, false); err != nil {
				return err
			}
		}
	}
	return nil
}

// CheckForm checks a parsed form body: values, and a multipart form's
// values and file names. appForm marks an application form, whose keys
// are the item's field keys (see the rule above).
func CheckForm(r *http.Request, appForm bool) error {
	lines := Multiline
	if appForm {
		lines = func(string) bool { return true }
	}
	if err := CheckValues(r.PostForm, lines); err != nil {
		return err
	}
	if r.MultipartForm == nil {
		return nil
	}
	if err := CheckValues(r.MultipartForm.Value, lines); err != nil {
		return err
	}
	for k, fs := range r.MultipartForm.File {
		if err := CheckText(k, k, false); err != nil {
			return err
		}
		for _, f := range fs {
			if err := CheckText(k, f.Filename, false); err != nil {
				return err
			}
		}
	}
	return nil
}

// CheckJSON walks a decoded JSON value (encoding/json with UseNumber):
// every key and string, named by its path ("form_values.name[0]"). Values
// under form_values may be multi-line (their form's rule decides). The
// bytes must have been checked to be UTF-8 before decoding, since
// encoding/json silently replaces what is not.
func CheckJSON(v any) error {
	return checkJSON("", v, false)
}

func checkJSON(path string, v any, form bool) error {
	switch x := v.(type) {
	case string:
		return CheckText(path, x, form || Multiline(path))
	case []any:
		for i, e := range x {
			if err := checkJSON(fmt.Sprintf("%s[%d]", path, i), e, form); err != nil {
				return err
			}
		}
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := k
			if path != "" {
				p = path + "." + k
			}
			if err := CheckText(p, k, false); err != nil {
				return err
			}
			if err := checkJSON(p, x[k], form || k == "form_values"); err != nil {
				return err
			}
		}
	}
	return nil
}

// CheckValue applies CheckJSON to a value decoded from a document that did
// not come as a JSON body — a catalog file, JSON typed into the catalog
// editor's or the licence types' textareas — where a "\u0000" escape or a
// spreadsheet cell carries the same characters.
func CheckValue(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return apperr.Internalf("edge: check value", err)
	}
	var raw any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return apperr.Internalf("edge: check value", err)
	}
	return CheckJSON(raw)
}
