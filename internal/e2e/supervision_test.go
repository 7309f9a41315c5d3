package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// The scenario: the supervisor sees a red card on an overdue case,
// urges it (督办) with a note; the handler sees the urging in the inbox and
// the notifications, and answers; the supervisor is told of the answer.
func TestSupervisorUrgesRedCard(t *testing.T) {
	base := startDemo(t)
	ctx := browser(t)

	login(t, ctx, base, "supervisor")
	do(t, ctx, chromedp.Navigate(base+"/supervision?level=red"), chromedp.WaitVisible(css("#signals")))
	if n := get(t, ctx, chromedp.Text(css("#kpi-red strong"))); n == "0" {
		t.Fatal("no red card on the supervision page")
	}
	no := get(t, ctx, chromedp.Text(css("#signals tbody tr:first-child td:nth-child(2) a")))
	if badge := get(t, ctx, chromedp.Text(css("#signals tbody tr:first-child .badge"))); !strings.Contains(badge, "红牌") {
		t.Fatalf("first signal is %q", badge)
	}
	// The case page shows its signals to staff.
	do(t, ctx, chromedp.Navigate(base+"/cases/"+no), chromedp.WaitVisible(css("#case-signals")))
	if sig := get(t, ctx, chromedp.Text(css("#case-signals"))); !strings.Contains(sig, "红牌") {
		t.Fatalf("case signals: %q", sig)
	}
	// Each event of the timeline is in the audit log; the demo's were signed
	// at start: the first one verifies (signatures and inclusion proof).
	do(t, ctx, chromedp.Click(css("#timeline .audit-link")), chromedp.WaitVisible(css("#audit-result")))
	if res := get(t, ctx, chromedp.Text(css("#audit-result"))); !strings.Contains(res, "核验通过") {
		t.Fatalf("audit check: %q", res)
	}
	note := "请于今日内办结并答复督办。"
	act(t, ctx, base, no, "urge", chromedp.SendKeys(css("#urge-comment"), note))
	logout(t, ctx)

	login(t, ctx, base, "handler")
	// The inbox leads with the urged case.
	do(t, ctx, chromedp.Navigate(base+"/workbench"), chromedp.WaitReady(css("#inbox #inbox-live")))
	first := get(t, ctx, chromedp.Text(css("#inbox tbody tr:first-child")))
	if !strings.Contains(first, no) || !strings.Contains(first, "已催办") {
		t.Fatalf("the inbox does not lead with the urged case %s: %q", no, first)
	}
	if n := get(t, ctx, chromedp.Text(css("#unread-count"))); n == "" || n == "0" {
		t.Fatal("no unread notification for the handler")
	}
	do(t, ctx, chromedp.Click(css("#notifications-link")), chromedp.WaitVisible(css("#notifications")))
	if list := get(t, ctx, chromedp.Text(css("#notifications"))); !strings.Contains(list, no) || !strings.Contains(list, note) {
		t.Fatalf("the handler's notifications lack the urging: %q", list)
	}
	act(t, ctx, base, no, "respond", chromedp.SendKeys(css("#respond-comment"), "已补齐审查意见，今日提交审核。"))
	logout(t, ctx)

	login(t, ctx, base, "supervisor")
	do(t, ctx, chromedp.Navigate(base+"/notifications"), chromedp.WaitVisible(css("#notifications")))
	if list := get(t, ctx, chromedp.Text(css("#notifications"))); !strings.Contains(list, "已补齐审查意见") {
		t.Fatalf("the supervisor was not told of the answer: %q", list)
	}
}
