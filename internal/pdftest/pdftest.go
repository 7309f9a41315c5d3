// Package pdftest reads back the text of PDFs the platform renders, with
// poppler's pdftotext, for tests: Chinese text must come back out.
package pdftest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Text is the text of pdf as pdftotext -layout gives it. Without the tool it
// returns false — and fails the test where CI requires it
// (TONGBAN_REQUIRE_BROWSER=1, which installs poppler-utils with Chromium).
func Text(t testing.TB, pdf []byte) (string, bool) {
	t.Helper()
	tool, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("TONGBAN_REQUIRE_BROWSER") == "1" {
			t.Fatal("pdftotext is required in CI")
		}
		return "", false
	}
	path := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool, "-layout", path, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	return string(out), true
}
