package appeal_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/tongban/tongban/internal/appeal"
	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/pdftest"
)

// The monthly 诉求 report by department, and as xlsx and PDF (issue 18):
// two complaints to the market regulator (one answered on time, resolved
// and satisfied, the other merged into it as a repeat) and a request to
// human resources dispatched and not yet answered. The files carry the
// figures the report computes.
func TestMonthlyReportByDepartmentAndFiles(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		zs, clerk, handler := f.Users["zhangsan"], f.Users["clerk"], f.Users["handler"]
		a, err := f.svc.Submit(f.Ctx, zs, complaint())
		if err != nil {
			t.Fatal(err)
		}
		b, err := f.svc.Submit(f.Ctx, zs, complaint())
		if err != nil {
			t.Fatal(err)
		}
		f.act(clerk, b.ID, appeal.Action{Action: appeal.ActMerge, Parent: a.No})
		f.act(clerk, a.ID, appeal.Action{Action: appeal.ActDispatch})
		f.act(handler, a.ID, appeal.Action{Action: appeal.ActSign})
		f.act(handler, a.ID, appeal.Action{Action: appeal.ActReply, Text: "已核实并整改。"})
		f.act(zs, a.ID, appeal.Action{Action: appeal.ActVisit, Satisfied: yes(), Resolved: yes()})
		f.act(clerk, a.ID, appeal.Action{Action: appeal.ActClose})
		in := complaint()
		in.Type, in.Category = appeal.TypeRequest, "wages"
		c, err := f.svc.Submit(f.Ctx, zs, in)
		if err != nil {
			t.Fatal(err)
		}
		f.act(clerk, c.ID, appeal.Action{Action: appeal.ActDispatch})

		rep, err := f.svc.MonthlyReport(f.Ctx, f.Users["supervisor"], "500102", "2026-09")
		if err != nil {
			t.Fatal(err)
		}
		if rep.RegionName != "涪陵区" || rep.Accepted != 3 || rep.Merged != 1 || rep.Closed != 1 || rep.Replied != 1 || *rep.RepeatRate != 1.0/3 ||
			*rep.OnTimeRate != 1 || *rep.SatisfactionRate != 1 {
			t.Fatalf("report %+v", rep)
		}
		if len(rep.Departments) != 2 {
			t.Fatalf("departments %+v", rep.Departments)
		}
		byName := map[string]appeal.DepartmentFigures{}
		for _, d := range rep.Departments {
			byName[d.Name] = d
		}
		amr, hr := byName["重庆市涪陵区市场监督管理局"], byName[c.DepartmentName]
		if amr.Accepted != 2 || amr.Merged != 1 || amr.Closed != 1 || *amr.RepeatRate != 0.5 || *amr.ResponseRate != 1 || *amr.ResolvedRate != 1 {
			t.Errorf("market regulator %+v", amr)
		}
		if hr.Accepted != 1 || hr.Replied != 0 || hr.OnTimeRate != nil || hr.SatisfactionRate != nil || *hr.RepeatRate != 0 {
			t.Errorf("%s %+v", c.DepartmentName, hr)
		}
		sum := 0
		for _, d := range rep.Departments {
			sum += d.Accepted
		}
		if sum != rep.Accepted {
			t.Errorf("the departments' rows add to %d, the total is %d", sum, rep.Accepted)
		}

		x, ctype, name, err := rep.File("xlsx", f.Now())
		if err != nil || !strings.HasPrefix(ctype, "application/vnd.openxmlformats") || name != "tongban-appeals-500102-2026-09.xlsx" {
			t.Fatalf("xlsx: %v %s %s", err, ctype, name)
		}
		wb, err := excelize.OpenReader(bytes.NewReader(x))
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := wb.GetRows("诉求月报", excelize.Options{RawCellValue: true})
		if len(rows) != 4+3 || rows[0][0] != "涪陵区诉求办理月度报告（2026年9月）" || rows[3][0] != "部门" || rows[3][5] != "响应率" {
			t.Fatalf("xlsx rows %v", rows)
		}
		total := rows[len(rows)-1]
		// 部门, 受理, 办结, 并单, 按时响应, 响应率, 答复, 按时答复, 按时办结率, 回访问解决, 已解决, 解决率, 回访, 满意, 满意率, 重复诉求率
		want := []string{"涪陵区合计", "3", "1", "1", "2", "1", "1", "1", "1", "1", "1", "1", "1", "1", "1", "0.333333333333333"}
		for i, w := range want {
			if i >= len(total) || total[i] != w {
				t.Fatalf("xlsx totals %v, want %v", total, want)
			}
		}
		for _, row := range rows[4:6] {
			if row[0] == c.DepartmentName && (row[1] != "1" || row[8] != "—" || row[15] != "0") {
				t.Errorf("xlsx row %v", row)
			}
			if row[0] == "重庆市涪陵区市场监督管理局" && (row[1] != "2" || row[3] != "1" || row[15] != "0.5") {
				t.Errorf("xlsx row %v", row)
			}
		}
		p, ctype, _, err := rep.File("pdf", f.Now())
		if err != nil || ctype != "application/pdf" {
			t.Fatalf("pdf: %v", err)
		}
		if out, ok := pdftest.Text(t, p); ok {
			for _, w := range []string{"涪陵区诉求办理月度报告（2026年9月）", "涪陵区合计", "重庆市涪陵区市场监督管理局", "33.3%", "50.0%", "100.0%", "按时办结率", "重复诉求率"} {
				if !strings.Contains(out, w) {
					t.Errorf("%q not in the PDF:\n%s", w, out)
				}
			}
		}
		if _, _, _, err := rep.File("docx", f.Now()); !apperr.Is(err, apperr.Invalid, "stats.format_unknown") {
			t.Errorf("an unknown format: %v", err)
		}
	})
}
