package license_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/license"
	"github.com/tongban/tongban/internal/pdftest"
)

// The licence renders as a PDF with every field in Chinese, the identifier
// and the QR code's caption; a revoked licence carries a banner.
func TestLicencePDF(t *testing.T) {
	f := setup(t, dbtest.SQLite(t), license.AlgSM2)
	_, l := f.licensed()
	text := func() string {
		b, err := license.Document(l, "http://127.0.0.1/verify/"+l.Metadata.Identifier).PDF()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(b, []byte("%PDF-")) {
			t.Fatal("not a PDF")
		}
		if dir := os.Getenv("TONGBAN_SCREENSHOTS"); dir != "" {
			os.WriteFile(filepath.Join(dir, "licence-"+l.Status+".pdf"), b, 0o644)
		}
		out, ok := pdftest.Text(t, b)
		if !ok {
			t.Skip("pdftotext not installed")
		}
		return strings.Join(strings.Fields(out), "")
	}
	got := text()
	for _, want := range []string{"营业执照", "张三小吃店", "小吃服务", "经营者", "重庆市涪陵区市场监督管理局", "2026年3月2日", "长期",
		l.Metadata.Number, l.Metadata.Identifier, "扫码核验", "SM2/SM3"} {
		if !strings.Contains(got, strings.Join(strings.Fields(want), "")) {
			t.Errorf("%q not in the PDF's text:\n%s", want, got)
		}
	}
	if strings.Contains(got, "已撤销") {
		t.Error("a valid licence carries a banner")
	}
	l.Status = license.StatusRevoked
	if got := text(); !strings.Contains(got, "已撤销") {
		t.Errorf("no banner on a revoked licence:\n%s", got)
	}
}
