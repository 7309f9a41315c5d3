package e2e

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"github.com/tongban/tongban/internal/calendar"
)

// The scenario (好差评): 张三 rates a concluded case 不满意 with two
// indicators → the department verifies and rectifies it → 张三 is asked and
// answers the 回访 → the monthly report and /statistics show the figures.
// The case page with its rating form is checked at a phone's width.
func TestRatingBadRectifiedRevisited(t *testing.T) {
	base := startDemo(t)
	no := grantedCase(t, base)
	ctx := browser(t)

	login(t, ctx, base, "zhangsan")
	do(t, ctx, chromedp.EmulateViewport(phoneWidth, 740), chromedp.Navigate(base+"/cases/"+no), chromedp.WaitVisible(css("#rating-form")))
	phoneCheck(t, ctx, "case-rating")
	do(t, ctx, chromedp.EmulateViewport(1280, 900))
	// A bad rating without a reason is refused, and the form says why.
	do(t, ctx, chromedp.Click(css("#level-2")), chromedp.Click(css("#rating-submit")), chromedp.WaitVisible(css("#problem")))
	if p := get(t, ctx, chromedp.Text(css("#problem"))); !strings.Contains(p, "至少选择一项") {
		t.Fatalf("refusal: %q", p)
	}
	do(t, ctx, chromedp.Click(css("#level-2")), chromedp.Click(css(`[id="ind-online.overdue"]`)), chromedp.Click(css(`[id="ind-online.extra_materials"]`)),
		chromedp.SendKeys(css("#rating-comment"), "补交了两次材料，超过承诺时限才办结。"),
		chromedp.Click(css("#rating-submit")), chromedp.WaitVisible(css("#rating-list")))
	if list := get(t, ctx, chromedp.Text(css("#rating-list"))); !strings.Contains(list, "不满意") || !strings.Contains(list, "额外要求提交材料") || !strings.Contains(list, "超时办理") {
		t.Fatalf("the rating on the case page: %q", list)
	}
	logout(t, ctx)

	// The department: its ledger, the order, verification and rectification.
	login(t, ctx, base, "handler")
	do(t, ctx, chromedp.Navigate(base+"/workbench/ratings"), chromedp.WaitVisible(css("#ledger")))
	if row := get(t, ctx, chromedp.Text(css("#ledger tbody tr:first-child"))); !strings.Contains(row, no) || !strings.Contains(row, "待核实") {
		t.Fatalf("ledger: %q", row)
	}
	do(t, ctx, chromedp.Click(css("#ledger tbody tr:first-child a")), chromedp.WaitVisible(css("#order-facts")))
	if clocks := get(t, ctx, chromedp.Text(css("#order-clocks"))); !strings.Contains(clocks, "差评核实时限") || !strings.Contains(clocks, "差评整改时限") {
		t.Fatalf("order clocks: %q", clocks)
	}
	// Each submit reloads the page: wait for its button to be gone before
	// touching the next form, so that no node of the old page is used.
	do(t, ctx, chromedp.Click(css("#order-submit-start")), chromedp.WaitNotPresent(css("#order-submit-start")), chromedp.WaitVisible(css("#order-verify")),
		chromedp.SendKeys(css("#note-verify"), "经核实，补正告知未一次性列明全部材料，情况属实。"), chromedp.Click(css("#order-submit-verify")),
		chromedp.WaitNotPresent(css("#order-submit-verify")), chromedp.WaitVisible(css("#order-rectify")),
		chromedp.SendKeys(css("#note-rectify"), "已修订该事项的一次性告知清单，并对窗口人员进行培训。"), chromedp.Click(css("#order-submit-rectify")),
		chromedp.WaitNotPresent(css("#order-rectify")), chromedp.WaitVisible(css("#order-state")))
	if st := get(t, ctx, chromedp.Text(css("#order-state"))); st != "已整改" {
		t.Fatalf("order state: %q", st)
	}
	logout(t, ctx)

	// 张三 is told, and answers the 回访 on his case page.
	login(t, ctx, base, "zhangsan")
	do(t, ctx, chromedp.Navigate(base+"/notifications"), chromedp.WaitVisible(css("#notifications")))
	if list := get(t, ctx, chromedp.Text(css("#notifications"))); !strings.Contains(list, "差评已整改") {
		t.Fatalf("张三 was not told: %q", list)
	}
	do(t, ctx, chromedp.Navigate(base+"/cases/"+no), chromedp.WaitVisible(css("#revisit-form")))
	if fix := get(t, ctx, chromedp.Text(css("#rating"))); !strings.Contains(fix, "一次性告知清单") {
		t.Fatalf("the fix is not shown: %q", fix)
	}
	do(t, ctx, chromedp.Click(css("#revisit-satisfied")), chromedp.Click(css("#revisit-submit")), chromedp.WaitVisible(css("#revisit-answer")))
	logout(t, ctx)

	login(t, ctx, base, "handler")
	do(t, ctx, chromedp.Navigate(base+"/workbench/ratings?state=revisited"), chromedp.WaitVisible(css("#ledger")),
		chromedp.Click(css("#ledger tbody tr:first-child a")), chromedp.WaitVisible(css("#order-close")),
		chromedp.Click(css("#order-submit-close")), chromedp.WaitNotPresent(css("#order-close")), chromedp.WaitVisible(css("#order-state")))
	if st := get(t, ctx, chromedp.Text(css("#order-state"))); st != "已办结" {
		t.Fatalf("order state: %q", st)
	}
	logout(t, ctx)

	// The monthly report of the month: 满意度 0 % (one rating, bad), 差评 1,
	// 差评整改率 and 按时整改率 100 %.
	login(t, ctx, base, "supervisor")
	month := time.Now().In(calendar.China).Format("2006-01")
	b64 := get(t, ctx, chromedp.Evaluate[string](`fetch("/supervision/report?format=xlsx&month=`+month+`").then(r => r.arrayBuffer()).then(b => {
		let s = ""; new Uint8Array(b).forEach(c => s += String.fromCharCode(c)); return btoa(s); })`, chromedp.EvalAwaitPromise))
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	book, err := excelize.OpenReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("monthly report: %v", err)
	}
	rows, _ := book.GetRows("通报")
	if len(rows) < 5 {
		t.Fatalf("monthly report rows: %v", rows)
	}
	// The region's total row (below it come the halls' figures and notes).
	head, total := rows[3], []string(nil)
	for _, r := range rows[4:] {
		if len(r) > 0 && strings.HasSuffix(r[0], "合计") {
			total = r
		}
	}
	col := func(name string) string {
		for i, h := range head {
			if h == name && i < len(total) {
				return total[i]
			}
		}
		t.Fatalf("no column %s in %v", name, head)
		return ""
	}
	if col("满意度") == "—" || col("差评") != "1" || col("差评整改率") == "—" || col("差评回访率") == "—" {
		t.Fatalf("monthly report total: 满意度 %s, 差评 %s, 整改率 %s, 回访率 %s", col("满意度"), col("差评"), col("差评整改率"), col("差评回访率"))
	}
	logout(t, ctx)

	// The public statistics: the figures, by department and item, never 张三.
	do(t, ctx, chromedp.Navigate(base+"/statistics"), chromedp.WaitVisible(css("#rating-figures")))
	if bad := get(t, ctx, chromedp.Text(css("#kpi-bad"))); bad != "1" {
		t.Fatalf("差评数 %q", bad)
	}
	if r := get(t, ctx, chromedp.Text(css("#kpi-rectify"))); r != "100.0%" {
		t.Fatalf("差评整改率 %q", r)
	}
	if r := get(t, ctx, chromedp.Text(css("#kpi-revisit"))); r != "100.0%" {
		t.Fatalf("回访率 %q", r)
	}
	if sec := get(t, ctx, chromedp.Text(css("#rating-figures"))); !strings.Contains(sec, "个体工商户设立登记") || strings.Contains(sec, "张三") {
		t.Fatalf("statistics by item: %q", sec)
	}
}
