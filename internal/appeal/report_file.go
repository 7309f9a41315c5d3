package appeal

import (
	"fmt"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/report"
)

// The monthly 诉求 report as a document (issue 18): a row per department
// and the region's total, in the columns and definitions below — the
// figures MonthlyReport computes, as the case report's 通报 gives its own
// (internal/stats/monthly.go).

var reportHeader = []string{"部门", "受理", "办结", "并单", "按时响应", "响应率", "答复", "按时答复", "按时办结率",
	"回访问解决", "已解决", "解决率", "回访", "满意", "满意率", "重复诉求率"}

// reportNotes define the figures.
var reportNotes = []string{
	"受理：本月受理的诉求工单（按受理地时间），按工单当前所在部门统计；并单：作为重复诉求并入其他工单的工单。",
	"响应率 = 在派单时限内派单（或直接答复）且在签收时限内签收的工单 ÷（受理 − 并单）。",
	"按时办结率 = 在办理时限（自派单起算，含批准的延期）内答复的工单 ÷ 已答复的工单。",
	"解决率 = 回访中表示问题已解决的 ÷ 回访中回答了是否解决的；满意率 = 回访满意 ÷ 回访。",
	"重复诉求率 = 并单 ÷ 受理。",
}

// Title is the report's heading.
func (r *Report) Title() string {
	t, _ := time.Parse("2006-01", r.Month)
	return fmt.Sprintf("%s诉求办理月度报告（%d年%d月）", r.RegionName, t.Year(), int(t.Month()))
}

func (r *Report) period() string {
	t, _ := time.Parse("2006-01", r.Month)
	return fmt.Sprintf("统计区间：%s 至 %s（按受理地时间）", r.Month+"-01", t.AddDate(0, 1, -1).Format("2006-01-02"))
}

// rows are the departments' rows and the total, named.
func (r *Report) rows() []DepartmentFigures {
	out := make([]DepartmentFigures, 0, len(r.Departments)+1)
	for _, d := range r.Departments {
		if d.DepartmentID == "" {
			d.Name = "未派单"
		}
		out = append(out, d)
	}
	return append(out, DepartmentFigures{Name: r.RegionName + "合计", Figures: r.Figures})
}

func pctText(p *float64) string {
	if p == nil {
		return "—"
	}
	return strconv.FormatFloat(*p*100, 'f', 1, 64) + "%"
}

// cells is a row as text, in reportHeader's order.
func (f Figures) cells(name string) []string {
	n := strconv.Itoa
	return []string{name, n(f.Accepted), n(f.Closed), n(f.Merged), n(f.Responded), pctText(f.ResponseRate), n(f.Replied), n(f.OnTime),
		pctText(f.OnTimeRate), n(f.ResolvedAsk), n(f.Resolved), pctText(f.ResolvedRate), n(f.Visited), n(f.Satisfied),
		pctText(f.SatisfactionRate), pctText(f.RepeatRate)}
}

// PDF renders the report; issued is when (the footer's date).
func (r *Report) PDF(issued time.Time) ([]byte, error) {
	rows := r.rows()
	t := report.Table{Title: r.Title(), Subtitle: r.period(), Header: reportHeader,
		Widths: []float64{3.2, 1, 1, 1, 1, 1.1, 1, 1, 1.1, 1.1, 1, 1.1, 1, 1, 1.1, 1.1},
		Total:  rows[len(rows)-1].cells(rows[len(rows)-1].Name), Notes: reportNotes,
		Footer: "通办电子监察系统 " + calendar.DateIn(issued).String() + " 生成"}
	for _, d := range rows[:len(rows)-1] {
		t.Rows = append(t.Rows, d.cells(d.Name))
	}
	return t.PDF()
}

// XLSX renders the report as a workbook: numbers as numbers, rates as
// fractions formatted as percentages ("—" without a denominator), and the
// definitions on their own sheet.
func (r *Report) XLSX() ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "诉求月报"
	f.SetSheetName("Sheet1", sheet)
	pctStyle, _ := f.NewStyle(&excelize.Style{NumFmt: 10}) // 0.00%
	bold, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	f.SetCellValue(sheet, "A1", r.Title())
	f.SetCellStyle(sheet, "A1", "A1", bold)
	f.SetCellValue(sheet, "A2", r.period())
	for i, h := range reportHeader {
		cell, _ := excelize.CoordinatesToCellName(i+1, 4)
		f.SetCellValue(sheet, cell, h)
		f.SetCellStyle(sheet, cell, cell, bold)
	}
	frac := func(p *float64) any {
		if p == nil {
			return "—"
		}
		return *p
	}
	rows := r.rows()
	for i, d := range rows {
		v := d.Figures
		vals := []any{d.Name, v.Accepted, v.Closed, v.Merged, v.Responded, frac(v.ResponseRate), v.Replied, v.OnTime, frac(v.OnTimeRate),
			v.ResolvedAsk, v.Resolved, frac(v.ResolvedRate), v.Visited, v.Satisfied, frac(v.SatisfactionRate), frac(v.RepeatRate)}
		for c, val := range vals {
			cell, _ := excelize.CoordinatesToCellName(c+1, i+5)
			f.SetCellValue(sheet, cell, val)
			switch c {
			case 5, 8, 11, 14, 15:
				f.SetCellStyle(sheet, cell, cell, pctStyle)
			}
		}
		if i == len(rows)-1 {
			a, _ := excelize.CoordinatesToCellName(1, i+5)
			f.SetCellStyle(sheet, a, a, bold)
		}
	}
	f.SetColWidth(sheet, "A", "A", 36)
	f.SetColWidth(sheet, "B", "P", 11)
	f.NewSheet("说明")
	for i, n := range reportNotes {
		f.SetCellValue("说明", fmt.Sprintf("A%d", i+1), n)
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		return nil, fmt.Errorf("appeal: report xlsx: %w", err)
	}
	return buf.Bytes(), nil
}

// File is the report in a format ("xlsx" or "pdf"): its bytes, content
// type and a file name; issued dates the PDF.
func (r *Report) File(format string, issued time.Time) ([]byte, string, string, error) {
	name := fmt.Sprintf("tongban-appeals-%s-%s", r.Region, r.Month)
	switch format {
	case "pdf":
		b, err := r.PDF(issued)
		return b, "application/pdf", name + ".pdf", err
	case "xlsx":
		b, err := r.XLSX()
		return b, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", name + ".xlsx", err
	}
	return nil, "", "", apperr.E(apperr.Invalid, "stats.format_unknown", "format", format)
}
