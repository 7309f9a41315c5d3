package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/pdftest"
)

func TestSlipPDF(t *testing.T) {
	s := Slip{Title: "涪陵区政务服务中心", Big: "A012", Lines: []string{"综合受理", "前面还有 3 人 · 预计等候 45 分钟", "2026-02-24 09:12"},
		QR: "http://127.0.0.1:8080/queue/abc", QRCaption: "扫码查看排队进度"}
	b, err := s.PDF()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("%PDF-")) || !bytes.Contains(b, []byte("/MediaBox [0 0 226.80 396.90]")) && !bytes.Contains(b, []byte("226.8")) {
		t.Fatalf("not a small PDF page (%d bytes)", len(b))
	}
	if len(b) > 200<<10 {
		t.Errorf("the font was not subset: %d bytes", len(b))
	}
	out, ok := pdftest.Text(t, b)
	if !ok {
		t.Skip("pdftotext not installed")
	}
	for _, want := range []string{"A012", "综合受理", "前面还有 3 人", "扫码查看排队进度"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("%q not in the slip's text:\n%s", want, out)
		}
	}
}
