package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// Issue 16: the administrator rewrites a notification template in the
// browser (a wrong placeholder is refused, naming it); 张三's notifications
// — the step notices of the demo's cases — show the new text at once, and
// no page shows a message key, in either language.
func TestAdminEditsANotificationTemplate(t *testing.T) {
	base := startDemo(t)
	ctx := browser(t)

	login(t, ctx, base, "admin")
	do(t, ctx, chromedp.Navigate(base+"/admin"), chromedp.WaitVisible(css("#templates-link")),
		chromedp.Click(css("#templates-link")), chromedp.WaitVisible(css("#template-kind")),
		chromedp.SetValue(css("#kind"), "accepted"), chromedp.Submit(css("#kind")), chromedp.WaitVisible(css("#b-inapp-zh-CN")))
	// A placeholder the kind does not carry is refused, and what was typed stays.
	do(t, ctx, chromedp.SetValue(css("#b-inapp-zh-CN"), "【已受理】{item}：{reason}"), chromedp.Click(css("#save-inapp-zh-CN")),
		chromedp.WaitVisible(css("#template-error")))
	if msg := get(t, ctx, chromedp.Text(css("#template-error"))); !strings.Contains(msg, "{reason}") {
		t.Fatalf("refusal: %q", msg)
	}
	if typed := get(t, ctx, chromedp.Value(css("#b-inapp-zh-CN"))); !strings.Contains(typed, "{reason}") {
		t.Fatalf("what was typed is lost: %q", typed)
	}
	do(t, ctx, chromedp.SetValue(css("#b-inapp-zh-CN"), "【已受理】{item}（{case_no}），请在 {due_date} 前留意结果。"),
		chromedp.Click(css("#save-inapp-zh-CN")), chromedp.WaitVisible(css("#template-saved")))
	shot(t, ctx, "admin-templates")
	logout(t, ctx)

	login(t, ctx, base, "zhangsan")
	do(t, ctx, chromedp.Click(css("#notifications-link")), chromedp.WaitVisible(css("#notifications")))
	list := get(t, ctx, chromedp.Text(css("#notifications")))
	if !strings.Contains(list, "【已受理】") || !strings.Contains(list, "已提交") {
		t.Fatalf("张三's notifications: %q", list)
	}
	for _, lang := range []string{"zh-CN", "en"} {
		do(t, ctx, chromedp.Navigate(base+"/notifications?lang="+lang), chromedp.WaitVisible(css("#notifications")))
		if page := get(t, ctx, chromedp.Text(css("main"))); strings.Contains(page, "notify.") {
			t.Errorf("a message key on the %s page: %q", lang, page)
		}
	}
}
