package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/pdftest"
)

func TestNoticePDF(t *testing.T) {
	d := Document{Authority: "重庆市涪陵区市场监督管理局", Title: "补正告知书", Reference: "办件编号：11500102MB1C0002XM4500100101001202602120001",
		Facts:      []Fact{{"申请人", "张三"}, {"申请事项", "个体工商户设立登记"}},
		Paragraphs: []string{"您提交的申请材料不齐全或者不符合法定形式，请按下列要求一次性补正后重新提交。" + strings.Repeat("长句换行测试，", 20)},
		Items:      []string{"经营场所租赁合同：缺少出租方签字", "经营范围：表述不规范"},
		Closing:    "重庆市涪陵区行政服务中心\n2026年2月12日", QR: "http://127.0.0.1:8080/progress?case_no=x", QRCaption: "扫码查询办理进度"}
	b, err := d.PDF()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("%PDF-")) || !bytes.Contains(b, []byte("FontFile2")) {
		t.Fatalf("not a PDF with an embedded TrueType font (%d bytes)", len(b))
	}
	if len(b) > 400<<10 {
		t.Errorf("the font was not subset: %d bytes", len(b))
	}
	// Where poppler's pdftotext is installed (CI has it), the Chinese text must come back out.
	out, ok := pdftest.Text(t, b)
	if !ok {
		t.Skip("pdftotext not installed")
	}
	for _, want := range []string{"补正告知书", "个体工商户设立登记", "经营场所租赁合同", "扫码查询办理进度"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("%q not in the PDF's text:\n%s", want, out)
		}
	}
}

// A result notice and a licence carry the rating page's QR code (好差评).
func TestRatingQRCodes(t *testing.T) {
	d := Document{Title: "准予行政许可决定书", QR: "http://x/progress", QRCaption: "扫码查询办理进度",
		Rate: "http://x/rate?case_no=1&via=qr", RateCaption: "扫码评价本次服务（好差评）\n或访问 http://x/rate"}
	c := Certificate{Title: "营业执照", QR: "http://x/verify/1", QRCaption: "扫码核验真伪与状态", Rate: "http://x/rate?case_no=1", RateCaption: "扫码评价办理服务"}
	for name, f := range map[string]func() ([]byte, error){"notice": d.PDF, "licence": c.PDF} {
		b, err := f()
		if err != nil {
			t.Fatal(err)
		}
		out, ok := pdftest.Text(t, b)
		if !ok {
			t.Skip("pdftotext not installed")
		}
		want := map[string][]string{"notice": {"扫码评价本次服务", "http://x/rate"}, "licence": {"扫码评价办理服务", "扫码核验真伪与状态"}}[name]
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: %q not in the PDF's text:\n%s", name, w, out)
			}
		}
	}
}
