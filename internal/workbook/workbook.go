// Package workbook reads and writes the exchange workbooks (xlsx) of the
// catalog, the organisation and the staff: one sheet per part, a header row
// whose cells read "label (key)" — the key in brackets is what the reader
// reads, so columns may be reordered and the label edited — and one entry
// per row. Every value is written as text (codes keep their leading zeros).
// A reader collects every fault with its sheet, row and column (Faults);
// callers refuse the whole workbook when there is one.
package workbook

import (
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/tongban/tongban/internal/apperr"
)

// MaxUnzipped bounds what an imported workbook may unpack to (issue 14: a
// zip of a few megabytes can claim gigabytes; excelize's own default is
// 16 GB). A whole county catalog is a few megabytes unpacked.
var MaxUnzipped int64 = 256 << 20

// MaxRead bounds the bytes of a workbook read.
const MaxRead = 64 << 20

// Open reads a workbook from r: Invalid (workbook.unreadable) when it is
// not one.
func Open(r io.Reader) (*excelize.File, error) {
	f, err := excelize.OpenReader(io.LimitReader(r, MaxRead), excelize.Options{UnzipSizeLimit: MaxUnzipped})
	if err != nil {
		return nil, apperr.E(apperr.Invalid, "workbook.unreadable", "error", err.Error())
	}
	return f, nil
}

// Faults collects a reader's faults, each named by sheet, row and column,
// up to Max (unbounded when 0).
type Faults struct {
	Max  int
	List []*apperr.Error
}

// Add records reason at the cell (row and col 1-based).
func (fs *Faults) Add(sheet string, row, col int, reason error) {
	if fs.Max == 0 || len(fs.List) < fs.Max {
		fs.List = append(fs.List, apperr.E(apperr.Invalid, "workbook.cell",
			"sheet", sheet, "row", row, "column", ColName(col), "reason", apperr.As(reason)))
	}
}

// Cell names a cell as "sheet!C7" (or "sheet!7" without a column).
func Cell(sheet string, row, col int) string {
	if col == 0 {
		return fmt.Sprintf("%s!%d", sheet, row)
	}
	return fmt.Sprintf("%s!%s%d", sheet, ColName(col), row)
}

// ColName is a column's letters (1 → A).
func ColName(c int) string {
	if c < 1 {
		c = 1
	}
	n, _ := excelize.ColumnNumberToName(c)
	return n
}

// HeaderKey finds the key of a header cell: "事项名称 (name)" → name.
var HeaderKey = regexp.MustCompile(`\(([a-z0-9_.]+)\)\s*$`)

// ReadRows reads one sheet: its header row names the columns by key
// (HeaderKey); an unknown header, a missing key and (when required) a
// missing sheet are faults; each row with a cell filled is passed to each
// with its trimmed cells. It answers the column of each key, and whether
// the sheet had a header row.
func ReadRows(f *excelize.File, sheet string, required bool, keys []string, fault func(sheet string, row, col int, reason error),
	each func(row int, cells map[string]string, colOf map[string]int)) (map[string]int, bool) {
	rows, err := f.GetRows(sheet)
	if err != nil {
		if required {
			fault(sheet, 1, 1, apperr.E(apperr.Invalid, "workbook.sheet_missing", "sheet", sheet))
		}
		return nil, false
	}
	if len(rows) == 0 {
		return nil, false
	}
	colOf := map[string]int{}
	for i, h := range rows[0] {
		m := HeaderKey.FindStringSubmatch(h)
		if m == nil {
			if strings.TrimSpace(h) != "" {
				fault(sheet, 1, i+1, apperr.E(apperr.Invalid, "workbook.header_unknown", "value", h))
			}
			continue
		}
		colOf[m[1]] = i + 1
	}
	for _, k := range keys {
		if colOf[k] == 0 {
			fault(sheet, 1, len(rows[0])+1, apperr.E(apperr.Invalid, "workbook.header_missing", "key", k))
		}
	}
	for r := 1; r < len(rows); r++ {
		cells := map[string]string{}
		empty := true
		for k, c := range colOf {
			if c-1 < len(rows[r]) {
				cells[k] = strings.TrimSpace(rows[r][c-1])
				if cells[k] != "" {
					empty = false
				}
			}
		}
		if !empty {
			each(r+1, cells, colOf)
		}
	}
	return colOf, true
}

// Keys lists the n column keys of a sheet.
func Keys(n int, key func(int) string) []string {
	var ks []string
	for i := 0; i < n; i++ {
		ks = append(ks, key(i))
	}
	return ks
}

// WriteSheet writes rows (the header first) to the sheet name — the
// workbook's first sheet renamed when first — as text, with the header row
// frozen.
func WriteSheet(f *excelize.File, name string, rows [][]any, first bool) error {
	if first {
		if err := f.SetSheetName(f.GetSheetName(0), name); err != nil {
			return err
		}
	} else if _, err := f.NewSheet(name); err != nil {
		return err
	}
	for r, vals := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, r+1)
		strs := make([]any, len(vals))
		for j, v := range vals {
			strs[j] = fmt.Sprint(v)
		}
		if err := f.SetSheetRow(name, cell, &strs); err != nil {
			return err
		}
	}
	return f.SetPanes(name, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
}
