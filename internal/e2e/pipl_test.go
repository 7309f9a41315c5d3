package e2e

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/vault"
)

// A person who registered online (L1) and has filed nothing corrects their
// name and region on /me/profile (a bad ID number refused with its
// reason), changes their mobile with the code the demo's SMS screen shows,
// and closes the account: the session ends, the login page says so, and
// signing in again is refused with a clear message.
func TestProfileCorrectAndClose(t *testing.T) {
	dir := t.TempDir()
	base := startDemoIn(t, dir)
	// The demo has no self-registration: the person is made through the
	// identity service on the demo's own database and data key.
	ctx0 := context.Background()
	d, err := db.Open(ctx0, "sqlite:"+filepath.Join(dir, "tongban.db"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := vault.LoadKeyFile(filepath.Join(dir, "tongban-data.key"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := vault.New(key)
	if err != nil {
		t.Fatal(err)
	}
	_, err = identity.NewService(d, v).CreatePerson(ctx0, identity.NewPerson{Account: identity.Account{Username: "wangwu", Password: "wangwu-password-1"},
		Name: "王五", IDNumber: "110101199003070011"})
	d.Close()
	if err != nil {
		t.Fatal(err)
	}

	ctx := browser(t)
	signIn := func() {
		do(t, ctx, chromedp.Navigate(base+"/login"), chromedp.WaitVisible(css("#username")),
			chromedp.SendKeys(css("#username"), "wangwu"), chromedp.SendKeys(css("#password"), "wangwu-password-1"),
			chromedp.Click(css("#login-submit")))
	}
	signIn()
	do(t, ctx, chromedp.WaitVisible(css("#logout")), chromedp.Navigate(base+"/me"), chromedp.WaitVisible(css("#my-profile")),
		chromedp.Click(css("#my-profile")), chromedp.WaitVisible(css("#profile-submit")))

	// A wrong check digit is refused on the page, nothing saved.
	do(t, ctx, chromedp.SetValue(css("#name"), "王小五"), chromedp.SendKeys(css("#id_number"), "110101199003070012"),
		chromedp.Click(css("#profile-submit")), chromedp.WaitVisible(css("#profile-error")))
	if msg := get(t, ctx, chromedp.Text(css("#profile-error"))); !strings.Contains(msg, "校验") {
		t.Fatalf("refusal: %q", msg)
	}
	if n := get(t, ctx, chromedp.Value(css("#name"))); n != "王五" {
		t.Fatalf("the refused name was saved: %q", n)
	}
	do(t, ctx, chromedp.SetValue(css("#name"), "王小五"), chromedp.SetValue(css("#region"), "500102"),
		chromedp.Click(css("#profile-submit")), chromedp.WaitVisible(css("#flash")))
	if msg := get(t, ctx, chromedp.Text(css("#flash"))); !strings.Contains(msg, "已保存更正") {
		t.Fatalf("notice %q", msg)
	}
	if n, r := get(t, ctx, chromedp.Value(css("#name"))), get(t, ctx, chromedp.Value(css("#region"))); n != "王小五" || r != "500102" {
		t.Fatalf("after saving: %q %q", n, r)
	}
	if h := get(t, ctx, chromedp.Text(css("#region-hint"))); !strings.Contains(h, "涪陵区") {
		t.Fatalf("region named %q", h)
	}
	shot(t, ctx, "profile-corrected")

	// A new mobile: the code texted to it (the demo's SMS screen) and the password.
	do(t, ctx, chromedp.SendKeys(css("#new-phone"), "13900139000"), chromedp.Click(css("#phone-code-submit")),
		chromedp.WaitVisible(css("#code-sent")))
	code := demoSMSCode(t, base, "13900139000")
	do(t, ctx, chromedp.SendKeys(css("#phone-code"), code), chromedp.SendKeys(css("#phone-password"), "wangwu-password-1"),
		chromedp.Click(css("#phone-submit")), chromedp.WaitVisible(css("#flash")))
	if p := get(t, ctx, chromedp.Text(css("#current-phone"))); p != "139****9000" {
		t.Fatalf("verified number shown %q", p)
	}

	// Closing: the retention of records is said; a wrong password refused.
	if kept := get(t, ctx, chromedp.Text(css("#close-kept"))); !strings.Contains(kept, "第四十七条") || !strings.Contains(kept, "档案法") {
		t.Fatalf("retention %q", kept)
	}
	do(t, ctx, chromedp.SendKeys(css("#close-password"), "not-the-password"), chromedp.Click(css("#close-confirm")),
		chromedp.Click(css("#close-submit")), chromedp.WaitVisible(css("#close-error")))
	do(t, ctx, chromedp.SendKeys(css("#close-password"), "wangwu-password-1"), chromedp.Click(css("#close-confirm")),
		chromedp.Click(css("#close-submit")), chromedp.WaitVisible(css("#flash")))
	if msg := get(t, ctx, chromedp.Text(css("#flash"))); !strings.Contains(msg, "已注销") {
		t.Fatalf("after closing: %q", msg)
	}
	shot(t, ctx, "account-closed")
	signIn()
	do(t, ctx, chromedp.WaitVisible(css("#login-error")))
	if msg := get(t, ctx, chromedp.Text(css("#login-error"))); !strings.Contains(msg, "已注销") {
		t.Fatalf("login after closing: %q", msg)
	}
}

// demoSMSCode reads the newest code texted to phone off the demo's SMS screen.
func demoSMSCode(t *testing.T, base, phone string) string {
	t.Helper()
	r, err := http.Get(base + "/demo/sms")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	m := regexp.MustCompile(`<td class="demosms-to">` + phone + `</td><td class="demosms-body">[^<]*?([0-9]{6})`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("no code for %s on /demo/sms", phone)
	}
	return string(m[1])
}
