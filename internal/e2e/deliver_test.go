package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// 张三 chooses SMS on /me: a malformed number is refused on the page with
// its reason; a good one is saved and shown back to him, and so are his own
// quiet hours; the administrator's /admin/outbox opens
// from /admin with its figures.
func TestNotificationChannels(t *testing.T) {
	base := startDemo(t)
	ctx := browser(t)
	login(t, ctx, base, "zhangsan")
	do(t, ctx, chromedp.Navigate(base+"/me"), chromedp.WaitVisible(css("#contacts")),
		chromedp.SendKeys(css("#phone"), "1380013800"), chromedp.Click(css("#contact-sms")),
		chromedp.Click(css("#contacts-submit")), chromedp.WaitVisible(css("#contacts-error")))
	if msg := get(t, ctx, chromedp.Text(css("#contacts-error"))); !strings.Contains(msg, "手机号码格式不正确") {
		t.Fatalf("refusal: %q", msg)
	}
	do(t, ctx, chromedp.SetValue(css("#phone"), "13800138000"), chromedp.Click(css("#contacts-submit")),
		chromedp.WaitVisible(css("#flash")))
	if msg := get(t, ctx, chromedp.Text(css("#flash"))); !strings.Contains(msg, "通知方式已保存") {
		t.Fatalf("notice %q", msg)
	}
	if loc := get(t, ctx, chromedp.Location()); !strings.Contains(loc, "saved=contacts") {
		t.Fatalf("after saving at %s", loc)
	}
	if v := get(t, ctx, chromedp.Value(css("#phone"))); v != "13800138000" {
		t.Fatalf("phone shown back %q", v)
	}
	if !get(t, ctx, chromedp.Evaluate[bool](`document.getElementById('contact-sms').checked`)) {
		t.Fatal("SMS not chosen after saving")
	}
	shot(t, ctx, "me-contacts")
	// His own quiet hours, 21:00–07:00, e-mail held back too.
	// The earlier save's notice goes first, so that the wait is for the next page's.
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`document.getElementById('flash').remove()`),
		chromedp.Click(css("#quiet-custom")), chromedp.SetValue(css("#quiet-from"), "21"), chromedp.SetValue(css("#quiet-to"), "7"),
		chromedp.Click(css("#quiet-email")), chromedp.Click(css("#contacts-submit")), chromedp.WaitVisible(css("#flash")))
	if !get(t, ctx, chromedp.Evaluate[bool](`document.getElementById('quiet-custom').checked && document.getElementById('quiet-email').checked`)) {
		t.Fatal("quiet hours not chosen after saving")
	}
	if from, to := get(t, ctx, chromedp.Value(css("#quiet-from"))), get(t, ctx, chromedp.Value(css("#quiet-to"))); from != "21" || to != "7" {
		t.Fatalf("quiet hours shown back %s–%s", from, to)
	}
	logout(t, ctx)

	login(t, ctx, base, "admin")
	do(t, ctx, chromedp.Navigate(base+"/admin"), chromedp.WaitVisible(css("#outbox-link")),
		chromedp.Click(css("#outbox-link")), chromedp.WaitVisible(css("#outbox-figures")))
	if f := get(t, ctx, chromedp.Text(css("#figures-sms"))); !strings.Contains(f, "短信") {
		t.Fatalf("figures row %q", f)
	}
	shot(t, ctx, "admin-outbox")
}
