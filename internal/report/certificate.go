package report

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/signintech/gopdf"
)

// Certificate is an electronic licence rendered for reading and printing: a
// landscape page with a coloured border, the licence's name, its fields in
// Chinese, the issuer and date, its identifier, the signature's summary,
// and a QR code that opens its verification page.
type Certificate struct {
	Title     string
	Subtitle  string
	Accent    string // "#rrggbb"
	Number    string // 证照编号, top right
	Facts     []Fact // the fields, in order
	Issuer    string
	IssuedOn  string // 2026年12月1日
	ID        string // 证照标识
	Signature string // one line: algorithm, signer, certificate serial
	Status    string // a banner when the licence is not valid (已撤销 …); "" when valid
	QR        string
	QRCaption string
	// Rate is the rating page (好差评) of the granting case, opened by a
	// smaller QR code under the verification one.
	Rate        string
	RateCaption string
}

// PDF renders c.
func (c Certificate) PDF() ([]byte, error) {
	const w, h = 841.89, 595.28 // A4 landscape
	p := &gopdf.GoPdf{}
	p.Start(gopdf.Config{PageSize: gopdf.Rect{W: w, H: h}})
	if err := p.AddTTFFontData("cjk", cjkFont); err != nil {
		return nil, fmt.Errorf("report: font: %w", err)
	}
	p.SetInfo(gopdf.PdfInfo{Title: c.Title, Subject: c.ID, Creator: "Tongban 通办"})
	p.AddPage()
	r, g, b := hexColor(c.Accent)
	p.SetStrokeColor(r, g, b)
	p.SetLineWidth(3)
	p.RectFromUpperLeftWithStyle(24, 24, w-48, h-48, "D")
	p.SetLineWidth(0.8)
	p.RectFromUpperLeftWithStyle(32, 32, w-64, h-64, "D")

	put := func(size float64, x, y float64, s string) error {
		if err := p.SetFont("cjk", "", size); err != nil {
			return err
		}
		p.SetXY(x, y)
		return p.Cell(nil, s)
	}
	center := func(size, y float64, s string) error {
		if err := p.SetFont("cjk", "", size); err != nil {
			return err
		}
		tw, _ := p.MeasureTextWidth(s)
		p.SetXY((w-tw)/2, y)
		return p.Cell(nil, s)
	}
	p.SetTextColor(r, g, b)
	if err := center(30, 58, c.Title); err != nil {
		return nil, err
	}
	p.SetTextColor(60, 60, 60)
	if c.Subtitle != "" {
		if err := center(11, 100, c.Subtitle); err != nil {
			return nil, err
		}
	}
	if c.Number != "" {
		if err := put(10, w-330, 46, "编号："+c.Number); err != nil {
			return nil, err
		}
	}
	p.SetTextColor(0, 0, 0)
	y := 132.0
	textW := w - 64 - 56 - 170 // the QR code's column on the right
	if err := p.SetFont("cjk", "", 12); err != nil {
		return nil, err
	}
	// The label column is as wide as the widest label (within bounds).
	lw, _ := p.MeasureTextWidth(strings.Repeat("国", 5) + "：")
	for _, f := range c.Facts {
		if fw, _ := p.MeasureTextWidth(f.Label + "："); fw > lw {
			lw = min(fw, 190)
		}
	}
	for _, f := range c.Facts {
		p.SetXY(72, y)
		p.Cell(nil, f.Label+"：")
		lines := wrap(p, f.Text, textW-lw)
		if len(lines) == 0 {
			lines = []string{""}
		}
		for _, line := range lines {
			p.SetXY(72+lw, y)
			if err := p.Cell(nil, line); err != nil {
				return nil, err
			}
			y += 20
		}
		y += 4
		if y > h-150 {
			break // a licence is one page; its fields are few
		}
	}
	if c.QR != "" {
		img, err := qr(c.QR)
		if err != nil {
			return nil, err
		}
		if err := p.ImageFrom(img, w-64-140, 150, &gopdf.Rect{W: 130, H: 130}); err != nil {
			return nil, fmt.Errorf("report: qr: %w", err)
		}
		p.SetFont("cjk", "", 9)
		cw, _ := p.MeasureTextWidth(c.QRCaption)
		p.SetXY(w-64-75-cw/2, 286)
		p.Cell(nil, c.QRCaption)
	}
	if c.Rate != "" {
		img, err := qr(c.Rate)
		if err != nil {
			return nil, err
		}
		if err := p.ImageFrom(img, w-64-115, 305, &gopdf.Rect{W: 80, H: 80}); err != nil {
			return nil, fmt.Errorf("report: qr: %w", err)
		}
		p.SetFont("cjk", "", 9)
		cw, _ := p.MeasureTextWidth(c.RateCaption)
		p.SetXY(w-64-75-cw/2, 391)
		p.Cell(nil, c.RateCaption)
	}
	p.SetFont("cjk", "", 12)
	for i, line := range []string{"发证机关：" + c.Issuer, c.IssuedOn} {
		tw, _ := p.MeasureTextWidth(line)
		p.SetXY(w-72-tw, h-140+float64(i)*20)
		p.Cell(nil, line)
	}
	p.SetTextColor(90, 90, 90)
	if err := put(8.5, 56, h-80, "证照标识："+c.ID); err != nil {
		return nil, err
	}
	if err := put(8.5, 56, h-66, c.Signature); err != nil {
		return nil, err
	}
	if c.Status != "" {
		p.SetTextColor(200, 0, 0)
		if err := center(28, h/2-20, c.Status); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	if _, err := p.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("report: write: %w", err)
	}
	return buf.Bytes(), nil
}

// hexColor reads "#rrggbb"; a dark red by default.
func hexColor(s string) (uint8, uint8, uint8) {
	s = strings.TrimPrefix(s, "#")
	if len(s) != 6 {
		return 160, 30, 30
	}
	v, err := strconv.ParseUint(s, 16, 32)
	if err != nil {
		return 160, 30, 30
	}
	return uint8(v >> 16), uint8(v >> 8), uint8(v)
}
