package stats

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/queue"
	"github.com/tongban/tongban/internal/report"
)

// Monthly is the monthly supervision report (通报, R4.5) of a region — a
// row per department — or of one department — a row per item: applications,
// the share filed online, acceptances, conclusions, cards, the on-time and
// instant rates, average duration and satisfaction.
type Monthly struct {
	Month      string // yyyy-mm
	Region     string // division code
	RegionName string
	Department string // id, for a department's report
	DeptName   string
	Rows       []MonthlyRow
	Total      Figures
	Hall       *queue.Summary // the region's service halls (nil in a department's report)
	Issued     time.Time
}

// MonthlyRow is one department (or item) of the report.
type MonthlyRow struct {
	Name string
	Figures
}

// ParseMonth reads yyyy-mm.
func ParseMonth(s string) (calendar.Date, calendar.Date, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil {
		return calendar.Date{}, calendar.Date{}, apperr.E(apperr.Invalid, "stats.month_format", "value", s)
	}
	first := calendar.DateOf(t)
	last := calendar.DateOf(t.AddDate(0, 1, -1))
	return first, last, nil
}

// BuildMonthly gathers the report of month for a region, or for one of its
// departments when dept is set.
func BuildMonthly(ctx context.Context, d *db.DB, month, region, dept string, now time.Time) (*Monthly, error) {
	from, to, err := ParseMonth(month)
	if err != nil {
		return nil, err
	}
	sum, err := Summarize(ctx, d, Query{From: from, To: to, Region: region, Department: dept, Items: dept != ""})
	if err != nil {
		return nil, err
	}
	m := &Monthly{Month: month, Region: region, Department: dept, Total: sum.Totals, Issued: now}
	if sum.Hall != nil {
		m.Hall = &sum.Hall.Total
	}
	err = d.View(ctx, func(tx *db.Tx) error {
		if err := tx.QueryRow(`SELECT name FROM regions WHERE code = $1`, region).Scan(&m.RegionName); err != nil {
			return db.NotFound(err, "stats.region_unknown", "region", region)
		}
		if dept != "" {
			if err := tx.QueryRow(`SELECT name FROM departments WHERE id = $1`, dept).Scan(&m.DeptName); err != nil {
				return db.NotFound(err, "stats.department_unknown", "department", dept)
			}
		}
		return nil
	})
	if err != nil {
		return nil, apperr.Internalf("stats: monthly", err)
	}
	if dept != "" {
		for _, it := range sum.Items {
			m.Rows = append(m.Rows, MonthlyRow{Name: it.Name, Figures: it.Figures})
		}
	} else {
		for _, dp := range sum.Departments {
			m.Rows = append(m.Rows, MonthlyRow{Name: dp.Name, Figures: dp.Figures})
		}
	}
	return m, nil
}

// Title is the report's heading.
func (m *Monthly) Title() string {
	t, _ := time.Parse("2006-01", m.Month)
	who := m.RegionName
	if m.DeptName != "" {
		who = m.DeptName
	}
	return fmt.Sprintf("%s政务服务电子监察通报（%d年%d月）", who, t.Year(), int(t.Month()))
}

var monthlyHeader = []string{"", "申请量", "网上申报", "网上申报占比", "受理", "不予受理", "办结", "按时办结", "按时办结率", "即办", "即办率",
	"平均办理时长（工作日）", "黄牌", "红牌", "满意度", "评价率", "差评", "差评整改率", "按时整改率", "差评回访率"}

// monthlyNotes define the figures (who reads a 通报 must be able to check it).
var monthlyNotes = []string{
	"申请量：本月首次提交的申请（一件事按部门分件计）；网上申报占比 = 网上申报 ÷ 申请量。",
	"办结：本月作出准予或不予决定的办件；按时办结率 = 在承诺时限内办结 ÷ 办结；即办率 = 受理当日办结 ÷ 办结。",
	"平均办理时长：自受理之日起至决定之日的工作日数（不含特别程序时间）的平均值。",
	"黄牌、红牌：本月时限（承诺、环节、预审、补正告知）超期 1 个、2 个及以上工作日的次数。",
	"满意度 = 基本满意及以上的评价 ÷ 评价数；评价率 = 评价数 ÷ 办结：本月办件的首次实名评价（一事一评），不含逾期默认评价和经申诉认定的误评、恶意评价。",
	"差评：本月“不满意”“非常不满意”的评价；差评整改率 = 已整改 ÷ 差评；按时整改率 = 整改时限内整改 ÷ 已整改；差评回访率 = 实名回访 ÷ 已整改。",
}

// hallNote defines the hall figures.
const hallNote = "大厅服务：本区域各政务服务大厅本月的取号数；日均取号 = 取号数 ÷ 有取号的天数；平均等候时长 = 取号至首次叫号的分钟数的平均值；平均办理时长 = 开始办理至办结的分钟数的平均值；预约爽约率 = 爽约的预约 ÷ 到期的预约（已签到或爽约）。"

// hallLine is the hall figures as a line of the PDF.
func hallLine(h *queue.Summary) string {
	noShow := "—"
	if h.Bookings > 0 {
		noShow = pct(h.NoShows, h.Bookings)
	}
	return fmt.Sprintf("大厅服务：取号 %d 张（日均 %.1f 张），办结 %d 张；平均等候时长 %.1f 分钟；平均办理时长 %.1f 分钟；预约爽约率 %s（%d/%d）。",
		h.Tickets, h.PerDay, h.Served, h.AvgWait, h.AvgService, noShow, h.NoShows, h.Bookings)
}

func pct(num, den int) string {
	if den == 0 {
		return "—"
	}
	return strconv.FormatFloat(float64(num)*100/float64(den), 'f', 1, 64) + "%"
}

func avg(sum, n int) string {
	if n == 0 {
		return "—"
	}
	return strconv.FormatFloat(float64(sum)/float64(n), 'f', 1, 64)
}

// cells is a row as text, in monthlyHeader's order.
func cells(name string, f Figures) []string {
	return []string{name, strconv.Itoa(f.Submitted), strconv.Itoa(f.Online), pct(f.Online, f.Submitted), strconv.Itoa(f.Accepted),
		strconv.Itoa(f.Refused), strconv.Itoa(f.Concluded), strconv.Itoa(f.OnTime), pct(f.OnTime, f.Concluded), strconv.Itoa(f.Instant),
		pct(f.Instant, f.Concluded), avg(f.Workdays, f.Concluded), strconv.Itoa(f.Yellow), strconv.Itoa(f.Red),
		pct(f.Satisfied, f.Rated), pct(f.RatedCases, f.Concluded), strconv.Itoa(f.Bad), pct(f.Rectified, f.Bad), pct(f.RectifiedOnTime, f.Rectified),
		pct(f.Revisited, f.Rectified)}
}

func (m *Monthly) header() []string {
	h := append([]string{}, monthlyHeader...)
	h[0] = "部门"
	if m.Department != "" {
		h[0] = "事项"
	}
	return h
}

func (m *Monthly) totalName() string {
	if m.Department != "" {
		return "本部门合计"
	}
	return m.RegionName + "合计"
}

// PDF renders the report.
func (m *Monthly) PDF() ([]byte, error) {
	t := report.Table{Title: m.Title(), Header: m.header(),
		Subtitle: fmt.Sprintf("统计区间：%s 至 %s（按受理地时间）", m.Month+"-01", lastDay(m.Month)),
		Widths:   []float64{3.2, 1, 1, 1.1, 1, 1, 1, 1, 1.1, 1, 1, 1.5, .8, .8, 1, 1, .8, 1.1, 1.1, 1.1},
		Total:    cells(m.totalName(), m.Total), Notes: monthlyNotes,
		Footer: "通办电子监察系统 " + calendar.DateIn(m.Issued).String() + " 生成"}
	for _, r := range m.Rows {
		t.Rows = append(t.Rows, cells(r.Name, r.Figures))
	}
	if m.Hall != nil {
		t.Notes = append([]string{hallLine(m.Hall)}, append(append([]string{}, monthlyNotes...), hallNote)...)
	}
	return t.PDF()
}

func lastDay(month string) string {
	_, to, _ := ParseMonth(month)
	return to.String()
}

// XLSX renders the report as a workbook: the report sheet with numbers as
// numbers (rates as fractions formatted as percentages), and the
// definitions.
func (m *Monthly) XLSX() ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "通报"
	f.SetSheetName("Sheet1", sheet)
	pctStyle, _ := f.NewStyle(&excelize.Style{NumFmt: 10}) // 0.00%
	oneStyle, _ := f.NewStyle(&excelize.Style{CustomNumFmt: ptr("0.0")})
	bold, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	f.SetCellValue(sheet, "A1", m.Title())
	f.SetCellStyle(sheet, "A1", "A1", bold)
	f.SetCellValue(sheet, "A2", fmt.Sprintf("统计区间：%s 至 %s", m.Month+"-01", lastDay(m.Month)))
	for i, h := range m.header() {
		cell, _ := excelize.CoordinatesToCellName(i+1, 4)
		f.SetCellValue(sheet, cell, h)
		f.SetCellStyle(sheet, cell, cell, bold)
	}
	rows := append([]MonthlyRow{}, m.Rows...)
	rows = append(rows, MonthlyRow{Name: m.totalName(), Figures: m.Total})
	for r, row := range rows {
		ff := row.Figures
		ff.rates()
		vals := []any{row.Name, ff.Submitted, ff.Online, ff.OnlineShare, ff.Accepted, ff.Refused, ff.Concluded, ff.OnTime, ff.OnTimeRate,
			ff.Instant, ff.InstantRate, ff.AvgWorkdays, ff.Yellow, ff.Red, rate(ff.Satisfied, ff.Rated), rate(ff.RatedCases, ff.Concluded), ff.Bad,
			rate(ff.Rectified, ff.Bad), rate(ff.RectifiedOnTime, ff.Rectified), rate(ff.Revisited, ff.Rectified)}
		for c, v := range vals {
			cell, _ := excelize.CoordinatesToCellName(c+1, r+5)
			f.SetCellValue(sheet, cell, v)
			switch c {
			case 3, 8, 10, 14, 15, 17, 18, 19:
				f.SetCellStyle(sheet, cell, cell, pctStyle)
			case 11:
				f.SetCellStyle(sheet, cell, cell, oneStyle)
			}
		}
		if r == len(rows)-1 {
			a, _ := excelize.CoordinatesToCellName(1, r+5)
			f.SetCellStyle(sheet, a, a, bold)
		}
	}
	if h := m.Hall; h != nil {
		// The halls: a label and a value a row, below the table.
		r := len(rows) + 6
		f.SetCellValue(sheet, fmt.Sprintf("A%d", r), "大厅服务")
		f.SetCellStyle(sheet, fmt.Sprintf("A%d", r), fmt.Sprintf("A%d", r), bold)
		noShow := rate(h.NoShows, h.Bookings)
		for i, kv := range []struct {
			k string
			v any
		}{{"取号数", h.Tickets}, {"日均取号", h.PerDay}, {"办结", h.Served}, {"平均等候时长（分钟）", h.AvgWait},
			{"平均办理时长（分钟）", h.AvgService}, {"到期预约", h.Bookings}, {"爽约", h.NoShows}, {"预约爽约率", noShow}} {
			a, b := fmt.Sprintf("A%d", r+1+i), fmt.Sprintf("B%d", r+1+i)
			f.SetCellValue(sheet, a, kv.k)
			f.SetCellValue(sheet, b, kv.v)
			switch kv.k {
			case "预约爽约率":
				f.SetCellStyle(sheet, b, b, pctStyle)
			case "日均取号", "平均等候时长（分钟）", "平均办理时长（分钟）":
				f.SetCellStyle(sheet, b, b, oneStyle)
			}
		}
	}
	f.SetColWidth(sheet, "A", "A", 36)
	f.SetColWidth(sheet, "B", "T", 12)
	f.NewSheet("说明")
	notes := monthlyNotes
	if m.Hall != nil {
		notes = append(append([]string{}, monthlyNotes...), hallNote)
	}
	for i, n := range notes {
		f.SetCellValue("说明", fmt.Sprintf("A%d", i+1), n)
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		return nil, fmt.Errorf("stats: xlsx: %w", err)
	}
	return buf.Bytes(), nil
}

// rate is a fraction for the workbook, "—" without a denominator.
func rate(num, den int) any {
	if den == 0 {
		return "—"
	}
	return float64(num) / float64(den)
}

func ptr[T any](v T) *T { return &v }

// File is the report in a format ("xlsx" or "pdf"): its bytes, content
// type and a file name.
func (m *Monthly) File(format string) ([]byte, string, string, error) {
	name := fmt.Sprintf("tongban-report-%s-%s", m.Region, m.Month)
	switch format {
	case "pdf":
		b, err := m.PDF()
		return b, "application/pdf", name + ".pdf", err
	case "xlsx", "":
		b, err := m.XLSX()
		return b, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", name + ".xlsx", err
	}
	return nil, "", "", apperr.E(apperr.Invalid, "stats.format_unknown", "format", format)
}

// MonthlyFor is the report u may read: a supervisor's region (the first by
// default), an approver's department.
func MonthlyFor(ctx context.Context, d *db.DB, u *identity.User, month, region, dept string, now time.Time) (*Monthly, error) {
	q, err := Scope(u, Query{Region: region, Department: dept})
	if err != nil {
		return nil, err
	}
	if q.Region == "" {
		// An approver's department report lies in the department's region.
		if err := d.View(ctx, func(tx *db.Tx) error {
			return tx.QueryRow(`SELECT region_code FROM departments WHERE id = $1`, q.Department).Scan(&q.Region)
		}); err != nil {
			return nil, apperr.Internalf("stats: monthly", err)
		}
	}
	return BuildMonthly(ctx, d, month, q.Region, q.Department, now)
}
