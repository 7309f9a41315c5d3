// Package report renders documents: case notices and decisions as PDF with
// Chinese text (an embedded CJK font, subset into each file) and a QR code,
// and later the monthly supervision reports.
package report

import (
	"bytes"
	_ "embed"
	"fmt"
	"image"
	"strings"
	"unicode/utf8"

	"github.com/signintech/gopdf"
	qrcode "github.com/skip2/go-qrcode"
)

// WenQuanYi Micro Hei (Apache-2.0), see fonts/LICENSE.md.
//
//go:embed fonts/wqy-microhei.ttf
var cjkFont []byte

// Document is a one-page notice: a title, labelled facts, paragraphs and a
// QR code that opens a URL (the case's progress page).
type Document struct {
	Authority  string // the issuing department, above the title
	Title      string
	Reference  string // the document's number line, e.g. the case number
	Facts      []Fact
	Addressee  string // "张三：", the line the body opens with
	Paragraphs []string
	Items      []string // a numbered list (the corrections of a 补正告知书)
	Closing    string   // issuer and date, bottom right
	QR         string   // URL encoded in the QR code
	QRCaption  string
	// Rate is the rating page (好差评) a result notice's second QR code
	// opens, RateCaption its caption with the link.
	Rate        string
	RateCaption string
}

// Fact is one labelled line.
type Fact struct{ Label, Text string }

const (
	pageW, pageH = 595.28, 841.89 // A4 in points
	margin       = 56.0
	lineH        = 20.0
)

// PDF renders d.
func (d Document) PDF() ([]byte, error) {
	p := &gopdf.GoPdf{}
	p.Start(gopdf.Config{PageSize: *gopdf.PageSizeA4})
	// The font is subset into each file: only the characters used are embedded.
	if err := p.AddTTFFontData("cjk", cjkFont); err != nil {
		return nil, fmt.Errorf("report: font: %w", err)
	}
	p.SetInfo(gopdf.PdfInfo{Title: d.Title, Creator: "Tongban 通办"})
	p.AddPage()
	y := margin
	text := func(size float64, s string, center bool) error {
		if err := p.SetFont("cjk", "", size); err != nil {
			return err
		}
		for _, line := range wrap(p, s, pageW-2*margin) {
			x := margin
			if center {
				w, _ := p.MeasureTextWidth(line)
				x = (pageW - w) / 2
			}
			if y > pageH-margin-lineH {
				p.AddPage()
				y = margin
			}
			p.SetXY(x, y)
			if err := p.Cell(nil, line); err != nil {
				return err
			}
			y += size * 1.6
		}
		return nil
	}
	steps := []func() error{
		func() error { return text(12, d.Authority, true) },
		func() error { y += 4; return text(20, d.Title, true) },
		func() error { return text(10, d.Reference, true) },
	}
	for _, f := range steps {
		if err := f(); err != nil {
			return nil, err
		}
	}
	y += 12
	for _, f := range d.Facts {
		if err := text(11, f.Label+"："+f.Text, false); err != nil {
			return nil, err
		}
	}
	y += 6
	if d.Addressee != "" {
		if err := text(11, d.Addressee, false); err != nil {
			return nil, err
		}
	}
	for _, para := range d.Paragraphs {
		if err := text(11, "　　"+para, false); err != nil {
			return nil, err
		}
	}
	for i, it := range d.Items {
		if err := text(11, fmt.Sprintf("%d. %s", i+1, it), false); err != nil {
			return nil, err
		}
	}
	if d.QR != "" {
		img, err := qr(d.QR)
		if err != nil {
			return nil, err
		}
		if y > pageH-margin-140 {
			p.AddPage()
			y = margin
		}
		y += 16
		if err := p.ImageFrom(img, margin, y, &gopdf.Rect{W: 96, H: 96}); err != nil {
			return nil, fmt.Errorf("report: qr: %w", err)
		}
		p.SetFont("cjk", "", 9)
		p.SetXY(margin+108, y+40)
		p.Cell(nil, d.QRCaption)
		if d.Rate != "" {
			img, err := qr(d.Rate)
			if err != nil {
				return nil, err
			}
			y += 108
			if err := p.ImageFrom(img, margin, y, &gopdf.Rect{W: 96, H: 96}); err != nil {
				return nil, fmt.Errorf("report: qr: %w", err)
			}
			for i, line := range strings.Split(d.RateCaption, "\n") {
				p.SetXY(margin+108, y+32+float64(i)*14)
				p.Cell(nil, line)
			}
		}
	}
	if d.Closing != "" {
		p.SetFont("cjk", "", 11)
		for i, line := range strings.Split(d.Closing, "\n") {
			w, _ := p.MeasureTextWidth(line)
			p.SetXY(pageW-margin-w, y+24+float64(i)*lineH)
			p.Cell(nil, line)
		}
	}
	var buf bytes.Buffer
	if _, err := p.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("report: write: %w", err)
	}
	return buf.Bytes(), nil
}

func qr(url string) (image.Image, error) {
	q, err := qrcode.New(url, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("report: qr: %w", err)
	}
	q.DisableBorder = false
	return q.Image(256), nil
}

// QRPNG encodes url as a PNG QR code (for HTML pages).
func QRPNG(url string) ([]byte, error) {
	return qrcode.Encode(url, qrcode.Medium, 192)
}

// wrap breaks s into lines no wider than w: Chinese text breaks between any
// two characters.
func wrap(p *gopdf.GoPdf, s string, w float64) []string {
	var lines []string
	for _, para := range strings.Split(s, "\n") {
		line := ""
		for _, r := range para {
			next := line + string(r)
			if tw, _ := p.MeasureTextWidth(next); tw > w && utf8.RuneCountInString(line) > 0 {
				lines = append(lines, line)
				line = string(r)
				continue
			}
			line = next
		}
		lines = append(lines, line)
	}
	return lines
}
