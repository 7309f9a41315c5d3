package web

import "testing"

// TestLocalPath holds the redirect targets of /login?next= and POST /prefs
// return= to this site, including the WHATWG URL parser's readings that
// turn a path into another origin.
func TestLocalPath(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		// Same-origin paths pass, normalised.
		{"/workbench", "/workbench"},
		{"/cases/2026?tab=timeline", "/cases/2026?tab=timeline"},
		{"/items/", "/items/"},
		{"/", "/"},
		{"/a/./b", "/a/b"},
		{"/a/../b", "/b"},
		{"/../../etc", "/etc"},
		{"/..//evil.example", "/evil.example"},
		{" /workbench ", "/workbench"},
		{"/%E5%8A%9E%E4%BA%8B", "/%E5%8A%9E%E4%BA%8B"},
		// Another origin, however written, does not.
		{"/./%5Cevil.example", ""},  // the reported case: cleaned to /\\evil.example
		{"/./%5cevil.example", ""},  // lower-case escape
		{"/./\\evil.example", ""},   // the same after the query is decoded
		{"/%5Cevil.example", ""},    // encoded backslash
		{"/%5C%5Cevil.example", ""}, // two
		{"/\\evil.example", ""},     // backslash read as slash: //evil.example
		{"\\\\evil.example", ""},
		{"\\/evil.example", ""},
		{"//evil.example", ""},
		{"///evil.example", ""},
		{"/\t/evil.example", ""}, // tab removed: //evil.example
		{"/\n/evil.example", ""}, // newline removed
		{"/\r\n/evil.example", ""},
		{"\t//evil.example", ""},
		{"/%09/evil.example", ""}, // encoded tab
		{"/%0A/evil.example", ""},
		{"/\x00/evil", ""},
		{"https://evil.example/", ""},
		{"HTTPS://evil.example", ""},
		{"http:evil.example", ""},
		{"javascript:alert(1)", ""},
		{"data:text/html,x", ""},
		{"evil.example", ""},
		{"./evil", ""},
		{"../evil", ""},
		{"", ""},
		{"/%2F%2Fevil.example", "/evil.example"}, // decoded slashes collapse; stays here
	} {
		if got := localPath(c.in); got != c.want {
			t.Errorf("localPath(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
