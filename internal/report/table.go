package report

import (
	"bytes"
	"fmt"

	"github.com/signintech/gopdf"
)

// Table is a landscape report of rows under a header (the monthly
// supervision report, 通报), repeated on each page it runs to.
type Table struct {
	Title    string
	Subtitle string
	Header   []string
	Widths   []float64 // relative column widths; equal when nil
	Rows     [][]string
	Total    []string // the last, bold-ruled row (a region's totals)
	Notes    []string // definitions, below the table
	Footer   string   // issuer and date, bottom right
}

// PDF renders t on A4 landscape pages.
func (t Table) PDF() ([]byte, error) {
	p := &gopdf.GoPdf{}
	w, h := pageH, pageW // landscape
	p.Start(gopdf.Config{PageSize: gopdf.Rect{W: w, H: h}})
	if err := p.AddTTFFontData("cjk", cjkFont); err != nil {
		return nil, fmt.Errorf("report: font: %w", err)
	}
	p.SetInfo(gopdf.PdfInfo{Title: t.Title, Creator: "Tongban 通办"})
	const m = 36.0
	widths := make([]float64, len(t.Header))
	var sum float64
	for i := range widths {
		widths[i] = 1
		if i < len(t.Widths) {
			widths[i] = t.Widths[i]
		}
		sum += widths[i]
	}
	for i := range widths {
		widths[i] = widths[i] / sum * (w - 2*m)
	}
	y := 0.0
	row := func(cells []string, size float64, ruled bool) error {
		if err := p.SetFont("cjk", "", size); err != nil {
			return err
		}
		// A cell's text wraps within its column; the row is as tall as its tallest cell.
		lines := make([][]string, len(cells))
		n := 1
		for i, c := range cells {
			if i >= len(widths) {
				break
			}
			lines[i] = wrap(p, c, widths[i]-6)
			n = max(n, len(lines[i]))
		}
		rh := float64(n)*size*1.35 + 6
		x := m
		for i := range widths {
			p.SetLineWidth(0.5)
			if ruled {
				p.SetLineWidth(1.2)
			}
			p.RectFromUpperLeft(x, y, widths[i], rh)
			for j, l := range lines[i] {
				p.SetXY(x+3, y+3+float64(j)*size*1.35)
				if err := p.Cell(nil, l); err != nil {
					return err
				}
			}
			x += widths[i]
		}
		y += rh
		return nil
	}
	page := func() error {
		p.AddPage()
		y = m
		if err := p.SetFont("cjk", "", 16); err != nil {
			return err
		}
		tw, _ := p.MeasureTextWidth(t.Title)
		p.SetXY((w-tw)/2, y)
		p.Cell(nil, t.Title)
		y += 26
		p.SetFont("cjk", "", 10)
		sw, _ := p.MeasureTextWidth(t.Subtitle)
		p.SetXY((w-sw)/2, y)
		p.Cell(nil, t.Subtitle)
		y += 20
		return row(t.Header, 9, true)
	}
	if err := page(); err != nil {
		return nil, err
	}
	all := t.Rows
	if t.Total != nil {
		all = append(append([][]string{}, t.Rows...), t.Total)
	}
	for i, r := range all {
		if y > h-m-40 {
			if err := page(); err != nil {
				return nil, err
			}
		}
		if err := row(r, 9, t.Total != nil && i == len(all)-1); err != nil {
			return nil, err
		}
	}
	y += 10
	p.SetFont("cjk", "", 8)
	for _, n := range t.Notes {
		for _, l := range wrap(p, n, w-2*m) {
			if y > h-m {
				p.AddPage()
				y = m
			}
			p.SetXY(m, y)
			p.Cell(nil, l)
			y += 12
		}
	}
	if t.Footer != "" {
		p.SetFont("cjk", "", 10)
		fw, _ := p.MeasureTextWidth(t.Footer)
		p.SetXY(w-m-fw, y+12)
		p.Cell(nil, t.Footer)
	}
	var buf bytes.Buffer
	if _, err := p.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("report: write: %w", err)
	}
	return buf.Bytes(), nil
}
