package e2e

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// smsCode reads the newest code texted to phone from the demo's SMS page.
func smsCode(t *testing.T, ctx context.Context, base, phone string) string {
	t.Helper()
	do(t, ctx, chromedp.Navigate(base+"/demo/sms"), chromedp.WaitVisible(css("#demosms-list")))
	rows := get(t, ctx, chromedp.Text(css("#demosms-list tbody")))
	for _, line := range strings.Split(rows, "\n") {
		if !strings.Contains(line, phone) {
			continue
		}
		if m := regexp.MustCompile(`验证码为\s*([0-9]{6})`).FindStringSubmatch(line); m != nil {
			return m[1]
		}
	}
	t.Fatalf("no code for %s on /demo/sms: %q", phone, rows)
	return ""
}

// Issue 16: a person registers on /register with the code read from
// /demo/sms, is an L1 person signed in; signs out and in again by SMS
// code; resets the password by SMS and signs in with the mobile number
// and the new password.
func TestRegisterSignInBySMSAndReset(t *testing.T) {
	base := startDemo(t)
	ctx := browser(t)
	const phone, id = "13912345678", "110101199003071233"

	do(t, ctx, chromedp.Navigate(base+"/login"), chromedp.WaitVisible(css("#register-link")), chromedp.Click(css("#register-link")),
		chromedp.WaitVisible(css("#register-form")),
		chromedp.SendKeys(css("#name"), "赵六"), chromedp.SendKeys(css("#id_number"), id), chromedp.SendKeys(css("#phone"), phone),
		chromedp.Click(css("#register-get-code")), chromedp.WaitVisible(css("#flash")))
	if v := get(t, ctx, chromedp.Value(css("#id_number"))); v != id {
		t.Fatalf("the form lost what was typed: %q", v)
	}
	code := smsCode(t, ctx, base, phone)
	// A wrong code is refused with its reason; nothing is made.
	do(t, ctx, chromedp.Navigate(base+"/register"), chromedp.WaitVisible(css("#register-form")),
		chromedp.SendKeys(css("#name"), "赵六"), chromedp.SendKeys(css("#id_number"), id), chromedp.SendKeys(css("#phone"), phone),
		chromedp.SendKeys(css("#code"), wrongCode(code)), chromedp.SendKeys(css("#password"), "zhao-liu-password"),
		chromedp.Click(css("#register-submit")), chromedp.WaitVisible(css("#register-error")))
	if msg := get(t, ctx, chromedp.Text(css("#register-error"))); !strings.Contains(msg, "验证码不正确") {
		t.Fatalf("wrong code: %q", msg)
	}
	do(t, ctx, chromedp.SetValue(css("#code"), code), chromedp.SetValue(css("#password"), "zhao-liu-password"),
		chromedp.Click(css("#register-submit")), chromedp.WaitVisible(css("#logout")))
	do(t, ctx, chromedp.Navigate(base+"/me"), chromedp.WaitVisible(css("#assurance")))
	if lvl := get(t, ctx, chromedp.Text(css("#assurance"))); !strings.Contains(lvl, "L1") {
		t.Fatalf("level on /me: %q", lvl)
	}
	shot(t, ctx, "registered")
	logout(t, ctx)

	// Signing in by SMS code: the second way on /login.
	time.Sleep(6 * time.Second) // the demo's gap between two codes to one number
	do(t, ctx, chromedp.Navigate(base+"/login"), chromedp.WaitVisible(css("#login-sms-link")), chromedp.Click(css("#login-sms-link")),
		chromedp.WaitVisible(css("#phone")), chromedp.SendKeys(css("#phone"), phone),
		chromedp.Click(css("#login-get-code")), chromedp.WaitVisible(css("#flash")))
	code = smsCode(t, ctx, base, phone)
	do(t, ctx, chromedp.Navigate(base+"/login/sms"), chromedp.WaitVisible(css("#phone")),
		chromedp.SendKeys(css("#phone"), phone), chromedp.SendKeys(css("#code"), code),
		chromedp.Click(css("#login-sms-submit")), chromedp.WaitVisible(css("#logout")))
	if who := get(t, ctx, chromedp.Text(css("header"))); !strings.Contains(who, "赵六") {
		t.Fatalf("signed in as: %q", who)
	}
	logout(t, ctx)

	// Resetting the password by SMS, then the mobile number and the new password.
	time.Sleep(6 * time.Second)
	do(t, ctx, chromedp.Navigate(base+"/login"), chromedp.WaitVisible(css("#reset-link")), chromedp.Click(css("#reset-link")),
		chromedp.WaitVisible(css("#phone")), chromedp.SendKeys(css("#phone"), phone),
		chromedp.Click(css("#reset-get-code")), chromedp.WaitVisible(css("#flash")))
	code = smsCode(t, ctx, base, phone)
	do(t, ctx, chromedp.Navigate(base+"/password/reset"), chromedp.WaitVisible(css("#phone")),
		chromedp.SendKeys(css("#phone"), phone), chromedp.SendKeys(css("#code"), code),
		chromedp.SendKeys(css("#password"), "zhao-liu-new-password"), chromedp.SendKeys(css("#confirm_password"), "zhao-liu-new-password"),
		chromedp.Click(css("#reset-submit")), chromedp.WaitVisible(css("#flash")))
	do(t, ctx, chromedp.SendKeys(css("#username"), phone), chromedp.SendKeys(css("#password"), "zhao-liu-password"),
		chromedp.Click(css("#login-submit")), chromedp.WaitVisible(css("#login-error")))
	do(t, ctx, chromedp.SetValue(css("#username"), phone), chromedp.SetValue(css("#password"), "zhao-liu-new-password"),
		chromedp.Click(css("#login-submit")), chromedp.WaitVisible(css("#logout")))
	logout(t, ctx)

	// 赵六 goes to a window: the clerk checks the ID card and raises the account to L2.
	login(t, ctx, base, "clerk")
	do(t, ctx, chromedp.Navigate(base+"/workbench/intake"), chromedp.WaitVisible(css("#assurance-link")), chromedp.Click(css("#assurance-link")),
		chromedp.WaitVisible(css("#id_number")), chromedp.SendKeys(css("#id_number"), id), chromedp.SendKeys(css("#name"), "赵七"),
		chromedp.Click(css("#confirmed")), chromedp.Click(css("#assurance-submit")), chromedp.WaitVisible(css("#assurance-error")))
	do(t, ctx, chromedp.SendKeys(css("#id_number"), id), chromedp.SetValue(css("#name"), "赵六"),
		chromedp.Click(css("#confirmed")), chromedp.Click(css("#assurance-submit")), chromedp.WaitVisible(css("#flash")))
	if msg := get(t, ctx, chromedp.Text(css("#flash"))); !strings.Contains(msg, "L2") || strings.Contains(msg, id) {
		t.Fatalf("the clerk's confirmation: %q", msg)
	}
	logout(t, ctx)
	do(t, ctx, chromedp.Navigate(base+"/login"), chromedp.WaitVisible(css("#username")),
		chromedp.SendKeys(css("#username"), phone), chromedp.SendKeys(css("#password"), "zhao-liu-new-password"),
		chromedp.Click(css("#login-submit")), chromedp.WaitVisible(css("#logout")),
		chromedp.Navigate(base+"/me"), chromedp.WaitVisible(css("#assurance")))
	if lvl := get(t, ctx, chromedp.Text(css("#assurance"))); !strings.Contains(lvl, "L2") {
		t.Fatalf("level on /me after the window: %q", lvl)
	}
}

// wrongCode is a six-digit code that is not c.
func wrongCode(c string) string {
	if c == "000000" {
		return "000001"
	}
	return "000000"
}
