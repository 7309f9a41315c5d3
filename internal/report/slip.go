package report

import (
	"bytes"
	"fmt"

	"github.com/signintech/gopdf"
)

// Slip is a small receipt (80 mm wide, a hall terminal's printer): a title,
// one large line (a ticket's number), a few lines and a QR code.
type Slip struct {
	Title     string
	Big       string
	Lines     []string
	QR        string // URL encoded in the QR code
	QRCaption string
}

// 80 mm × 140 mm in points.
const (
	slipW      = 226.8
	slipH      = 396.9
	slipMargin = 14.0
)

// PDF renders s on one small page.
func (s Slip) PDF() ([]byte, error) {
	p := &gopdf.GoPdf{}
	p.Start(gopdf.Config{PageSize: gopdf.Rect{W: slipW, H: slipH}})
	if err := p.AddTTFFontData("cjk", cjkFont); err != nil {
		return nil, fmt.Errorf("report: font: %w", err)
	}
	p.SetInfo(gopdf.PdfInfo{Title: s.Title + " " + s.Big, Creator: "Tongban 通办"})
	p.AddPage()
	y := slipMargin
	center := func(size float64, text string) error {
		if err := p.SetFont("cjk", "", size); err != nil {
			return err
		}
		for _, line := range wrap(p, text, slipW-2*slipMargin) {
			w, _ := p.MeasureTextWidth(line)
			p.SetXY((slipW-w)/2, y)
			if err := p.Cell(nil, line); err != nil {
				return err
			}
			y += size * 1.5
		}
		return nil
	}
	if err := center(12, s.Title); err != nil {
		return nil, err
	}
	y += 4
	if err := center(40, s.Big); err != nil {
		return nil, err
	}
	y += 4
	for _, l := range s.Lines {
		if err := center(10, l); err != nil {
			return nil, err
		}
	}
	if s.QR != "" {
		img, err := qr(s.QR)
		if err != nil {
			return nil, err
		}
		y += 6
		const side = 110.0
		if err := p.ImageFrom(img, (slipW-side)/2, y, &gopdf.Rect{W: side, H: side}); err != nil {
			return nil, fmt.Errorf("report: qr: %w", err)
		}
		y += side + 4
		if err := center(8, s.QRCaption); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	if _, err := p.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("report: write: %w", err)
	}
	return buf.Bytes(), nil
}
