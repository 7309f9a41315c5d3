package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// The administrator creates a handler on /admin/staff and reads its
// one-time password off the page; the handler logs in with it, is led to
// the change-password page, chooses a password and reaches the workbench.
func TestAdminCreatesStaff(t *testing.T) {
	base := startDemo(t)
	ctx := browser(t)
	login(t, ctx, base, "admin")
	do(t, ctx, chromedp.Navigate(base+"/admin"), chromedp.WaitVisible(css("#admin-staff-link")),
		chromedp.Click(css("#admin-staff-link")), chromedp.WaitVisible(css("#staff-new")),
		chromedp.SendKeys(css("#username"), "sun-handler"), chromedp.SendKeys(css("#name"), "孙承办"),
		chromedp.SetValue(css("#role"), "handler"),
		chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById('department_id');
			for (const o of s.options) if (o.text.endsWith('市场监督管理局')) { s.value = o.value; break; } })()`),
	)
	shot(t, ctx, "admin-staff-new")
	do(t, ctx, chromedp.Click(css("#staff-create")), chromedp.WaitVisible(css("#staff-otp")))
	otp := get(t, ctx, chromedp.Text(css("#staff-otp")))
	if len(otp) < 16 {
		t.Fatalf("one-time password %q", otp)
	}
	if grants := get(t, ctx, chromedp.Text(css("#staff-grants"))); !strings.Contains(grants, "市场监督管理局") {
		t.Fatalf("grants on the account's page: %q", grants)
	}
	logout(t, ctx) // lands on the login form

	do(t, ctx, chromedp.WaitVisible(css("#username")),
		chromedp.SendKeys(css("#username"), "sun-handler"), chromedp.SendKeys(css("#password"), otp),
		chromedp.Click(css("#login-submit")), chromedp.WaitVisible(css("#password-required")),
		chromedp.SendKeys(css("#current_password"), otp),
		chromedp.SendKeys(css("#new_password"), "sun-own-password"),
		chromedp.SendKeys(css("#confirm_password"), "sun-own-password"),
		chromedp.Click(css("#password-submit")), chromedp.WaitVisible(css("#inbox")))
	if loc := get(t, ctx, chromedp.Location()); !strings.HasSuffix(loc, "/workbench") {
		t.Fatalf("after the change the handler is at %s", loc)
	}
	shot(t, ctx, "staff-first-login")
}

// The administrator creates a handler with an invitation link instead of a
// one-time password and reads the link off the page; the person opens it,
// sets a password, logs in with it and reaches the workbench; the link then
// refuses a second use without naming the account.
func TestAdminInvitesStaff(t *testing.T) {
	base := startDemo(t)
	ctx := browser(t)
	login(t, ctx, base, "admin")
	do(t, ctx, chromedp.Navigate(base+"/admin/staff"), chromedp.WaitVisible(css("#staff-new")),
		chromedp.SendKeys(css("#username"), "zhou-handler"), chromedp.SendKeys(css("#name"), "周承办"),
		chromedp.SetValue(css("#role"), "handler"),
		chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById('department_id');
			for (const o of s.options) if (o.text.endsWith('市场监督管理局')) { s.value = o.value; break; } })()`),
		chromedp.Click(css("#credential-invite")),
		chromedp.SetValue(css("#invite_ttl_hours"), "24"),
	)
	do(t, ctx, chromedp.Click(css("#staff-create")), chromedp.WaitVisible(css("#staff-invite-link")))
	link := get(t, ctx, chromedp.Text(css("#staff-invite-link")))
	if !strings.HasPrefix(link, base+"/invite/") {
		t.Fatalf("invitation link %q", link)
	}
	if state := get(t, ctx, chromedp.Text(css("#staff-invite-state"))); !strings.Contains(state, "有效至") {
		t.Fatalf("the account's invitation state: %q", state)
	}
	shot(t, ctx, "admin-staff-invite")
	logout(t, ctx)

	do(t, ctx, chromedp.Navigate(link), chromedp.WaitVisible(css("#invite-form")))
	if intro := get(t, ctx, chromedp.Text(css("#invite-intro"))); !strings.Contains(intro, "zhou-handler") {
		t.Fatalf("the link's page: %q", intro)
	}
	do(t, ctx, chromedp.SendKeys(css("#new_password"), "zhou-own-password"),
		chromedp.SendKeys(css("#confirm_password"), "zhou-own-password"),
		chromedp.Click(css("#invite-submit")), chromedp.WaitVisible(css("#login-submit")))
	if user := get(t, ctx, chromedp.Value(css("#username"))); user != "zhou-handler" {
		t.Fatalf("the login form after the link holds %q", user)
	}
	do(t, ctx, chromedp.SendKeys(css("#password"), "zhou-own-password"),
		chromedp.Click(css("#login-submit")), chromedp.WaitVisible(css("#inbox")))
	if loc := get(t, ctx, chromedp.Location()); !strings.HasSuffix(loc, "/workbench") {
		t.Fatalf("after the login the handler is at %s", loc)
	}
	shot(t, ctx, "staff-invited-login")
	logout(t, ctx)

	do(t, ctx, chromedp.Navigate(link), chromedp.WaitVisible(css("#invite-error")))
	if msg := get(t, ctx, chromedp.Text(css("main"))); !strings.Contains(msg, "已经使用过") || strings.Contains(msg, "zhou-handler") {
		t.Fatalf("the used link's page: %q", msg)
	}
}
