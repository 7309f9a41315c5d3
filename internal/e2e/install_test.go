package e2e

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/cli"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/vault"
)

// startInstalled runs `tongban setup` by flags on the empty migrated
// database dsn, then `tongban serve` on it; it returns the server's URL
// and the administrator's TOTP secret that setup printed.
func startInstalled(t *testing.T, dsn string) (base, secret string) {
	t.Helper()
	dir := t.TempDir()
	key, auditDir := filepath.Join(dir, "data.key"), filepath.Join(dir, "audit-keys")
	if _, err := vault.EnsureKeyFile(key); err != nil {
		t.Fatal(err)
	}
	common := []string{"--db", dsn, "--data-key-file", key, "--audit-keys", auditDir, "--files", filepath.Join(dir, "files")}
	var out strings.Builder
	code := cli.Main(context.Background(), &cli.Env{
		Args: append(append([]string{"setup"}, common...), "--region", "500102", "--centre-name", "重庆市涪陵区政务服务中心",
			"--centre-address", "涪陵区太白大道 18 号", "--centre-phone", "023-72222222", "--host-org", "重庆市涪陵区人民政府办公室",
			"--contact", "fl-zwfw@example.gov.cn", "--icp", "渝ICP备12345678号-1", "--admin-username", "itadmin", "--admin-name", "李明"),
		Stdin: strings.NewReader(adminPassword + "\n"), Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" },
	})
	if code != 0 {
		t.Fatalf("setup: %d %s", code, out.String())
	}
	u, err := url.Parse(regexp.MustCompile(`otpauth://\S+`).FindString(out.String()))
	if err != nil || u.Query().Get("secret") == "" {
		t.Fatalf("no otpauth URI in %q", out.String())
	}
	secret = u.Query().Get("secret")

	ctx, cancel := context.WithCancel(context.Background())
	urls := make(chan string, 1)
	done := make(chan int, 1)
	var log strings.Builder
	go func() {
		done <- cli.Main(ctx, &cli.Env{
			Args:   append(append([]string{"serve"}, common...), "--addr", "127.0.0.1:0", "--files", filepath.Join(dir, "files"), "--log-level", "warn"),
			Stdout: &log, Stderr: &log, Getenv: func(string) string { return "" },
			Ready: func(u string) { urls <- u },
		})
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		if t.Failed() {
			t.Logf("tongban serve log:\n%s", log.String())
		}
	})
	select {
	case u := <-urls:
		return strings.TrimSuffix(u, "/"), secret
	case code := <-done:
		t.Fatalf("tongban serve exited with %d:\n%s", code, log.String())
	case <-time.After(30 * time.Second):
		t.Fatal("tongban serve did not start")
	}
	return "", ""
}

const adminPassword = "a county secret"

// signIn logs in through the login form; code, when not nil, answers the
// second step.
func signIn(t *testing.T, ctx context.Context, base, user, password string, code func() string) {
	t.Helper()
	do(t, ctx, chromedp.Navigate(base+"/login"), chromedp.WaitVisible(css("#username")),
		chromedp.SendKeys(css("#username"), user), chromedp.SendKeys(css("#password"), password),
		chromedp.Click(css("#login-submit")))
	if code != nil {
		do(t, ctx, chromedp.WaitVisible(css("#code")), chromedp.SendKeys(css("#code"), code()), chromedp.Click(css("#code-submit")))
	}
}

// text is the text of sel on the page.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	return get(t, ctx, chromedp.Text(css(sel)))
}

// a11yBasics checks the page for the basics an accessibility checker
// (axe) asks first: the landmarks, one h1, every control named by a label
// (for= its id, or around it) or aria-label, every id once, and every
// aria-describedby pointing at an element.
func a11yBasics(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	faults := get(t, ctx, chromedp.Evaluate[[]string](`(() => {
		const out = [];
		for (const sel of ['header[role=banner]', 'nav[aria-label]', 'main', 'footer[role=contentinfo]'])
			if (!document.querySelector(sel)) out.push('no ' + sel);
		if (document.querySelectorAll('h1').length !== 1) out.push(document.querySelectorAll('h1').length + ' h1');
		for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
			const named = el.getAttribute('aria-label') || el.closest('label') || (el.id && document.querySelector('label[for="' + CSS.escape(el.id) + '"]'));
			if (!named) out.push('unlabelled ' + el.tagName + ' ' + (el.id || el.name));
		}
		const ids = {};
		for (const el of document.querySelectorAll('[id]')) { if (ids[el.id]) out.push('id twice: ' + el.id); ids[el.id] = true; }
		for (const el of document.querySelectorAll('[aria-describedby]'))
			for (const id of el.getAttribute('aria-describedby').split(/\s+/)) if (!document.getElementById(id)) out.push('describedby ' + id + ' missing');
		return out;
	})()`))
	if len(faults) > 0 {
		t.Errorf("%s: %v", page, faults)
	}
}

// The browser proof of issue 15: from an empty migrated database and
// `tongban setup`, the administrator — logging in with the second factor
// setup printed — chooses the divisions served, creates a department (a
// refused credit code first: the form comes back as filled, the field
// marked), the district's hall and a window, four staff with grants and an
// item drafted and published in the catalog console, all through the admin
// pages; 首次使用 on /admin follows along and is gone at the end. The staff
// log in with their one-time passwords and choose their own; the window
// clerk takes in a walk-in's application at the window, and handler,
// reviewer and approver bring it to 办结 through the case pages. Both
// databases.
func TestInstallThroughThePages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		var rows int
		if err := d.View(t.Context(), func(tx *db.Tx) error {
			return tx.QueryRow(`SELECT (SELECT COUNT(*) FROM users WHERE username <> 'system') + (SELECT COUNT(*) FROM departments) +
				(SELECT COUNT(*) FROM halls) + (SELECT COUNT(*) FROM items)`).Scan(&rows)
		}); err != nil || rows != 0 {
			t.Fatalf("the database is not empty: %d rows, %v", rows, err)
		}
		base, secret := startInstalled(t, d.DSN())
		ctx := browserFor(t, 4*time.Minute)

		signIn(t, ctx, base, "itadmin", adminPassword, func() string {
			c, err := totp.GenerateCode(secret, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			return c
		})
		do(t, ctx, chromedp.WaitVisible(css("#logout")), chromedp.Navigate(base+"/admin"), chromedp.WaitVisible(css("#first-steps")))
		for step, done := range map[string]string{"regions": "true", "department": "false", "hall": "false", "window": "false", "staff": "false", "item": "false"} {
			if got := get(t, ctx, chromedp.AttributeValue(css("#first-"+step), "data-done")).Value; got != done {
				t.Errorf("first step %s done=%s on a fresh installation, want %s", step, got, done)
			}
		}
		shot(t, ctx, "install-first-steps")
		a11yBasics(t, ctx, "/admin")

		// The divisions served: 白涛街道 is left to the neighbouring centre.
		const baitao = "500102013000"
		do(t, ctx, chromedp.Click(css("#first-regions a")), chromedp.WaitVisible(css("#regions-form")))
		a11yBasics(t, ctx, "/admin/regions")
		if !get(t, ctx, chromedp.Evaluate[bool](`document.getElementById('r-`+baitao+`').checked`)) {
			t.Fatal("白涛街道 is not served after setup")
		}
		// Unticking the town unticks its villages on the page too.
		do(t, ctx, chromedp.Evaluate[chromedp.Void](`document.getElementById('r-`+baitao+`').click()`))
		if n := get(t, ctx, chromedp.Evaluate[int](`document.getElementById('r-`+baitao+`').closest('li').querySelectorAll('input:checked').length`)); n != 0 {
			t.Errorf("%d boxes inside 白涛街道 still ticked", n)
		}
		do(t, ctx, chromedp.Click(css("#save-regions")), chromedp.WaitVisible(css("#regions-done")))
		if get(t, ctx, chromedp.Evaluate[bool](`document.getElementById('r-`+baitao+`').checked`)) {
			t.Fatal("白涛街道 is still served")
		}
		shot(t, ctx, "install-regions")

		// A department: a mistyped credit code first.
		credit, err := codes.CompleteCreditCode("11500102MB0001XA")
		if err != nil {
			t.Fatal(err)
		}
		do(t, ctx, chromedp.Navigate(base+"/admin/organisation"), chromedp.WaitVisible(css("#new-department")),
			chromedp.SendKeys(css("#nd-name"), "重庆市涪陵区民政局"), chromedp.SendKeys(css("#nd-cc"), credit[:17]+"0"),
			chromedp.SendKeys(css("#nd-region"), "500102"), chromedp.SetValue(css("#nd-kind"), "government"),
			chromedp.SendKeys(css("#nd-phone"), "023-72220000"), chromedp.SendKeys(css("#nd-address"), "涪陵区太白大道 20 号"),
			chromedp.Click(css("#create-department")), chromedp.WaitVisible(css("#form-problem")))
		if credit[17] == '0' {
			t.Fatal("the test's mistyped code is the right one")
		}
		if inv := get(t, ctx, chromedp.AttributeValue(css("#nd-cc"), "aria-invalid")).Value; inv != "true" ||
			get(t, ctx, chromedp.Value(css("#nd-name"))) != "重庆市涪陵区民政局" || !strings.Contains(text(t, ctx, "#nd-cc-err"), "校验") {
			t.Fatalf("the refused department: aria-invalid=%q, message %q", inv, text(t, ctx, "#form-problem"))
		}
		shot(t, ctx, "install-department-refused")
		a11yBasics(t, ctx, "/admin/organisation, a refused form")
		do(t, ctx, chromedp.SetValue(css("#nd-cc"), credit), chromedp.Click(css("#create-department")), chromedp.WaitVisible(css("#org-done")))
		if list := text(t, ctx, "#department-list"); !strings.Contains(list, "重庆市涪陵区民政局") {
			t.Fatalf("departments: %q", list)
		}

		// The district's hall (区行政服务中心); 白涛街道 is not offered.
		if n := get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('#nh-region option[value="`+baitao+`"]').length`)); n != 0 {
			t.Error("a hall is offered in a division not served")
		}
		do(t, ctx, chromedp.SetValue(css("#nh-region"), "500102"), chromedp.SendKeys(css("#nh-address"), "涪陵区太白大道 18 号"),
			chromedp.SendKeys(css("#nh-phone"), "023-72222222"), chromedp.SendKeys(css("#nh-hours"), "1-5 09:00-12:00; 1-5 14:00-17:30"),
			chromedp.SendKeys(css("#nh-lat"), "29.70"), chromedp.SendKeys(css("#nh-lng"), "107.39"),
			chromedp.Click(css("#create-hall")), chromedp.WaitVisible(css("#hall-form")))
		if h1, level := text(t, ctx, "h1"), text(t, ctx, "#hall-level"); h1 != "涪陵区行政服务中心" || !strings.Contains(level, "区行政服务中心") {
			t.Fatalf("the hall: %q %q", h1, level)
		}
		// A window serving the department.
		do(t, ctx, chromedp.SendKeys(css("#wn-new"), "1"), chromedp.SendKeys(css("#wm-new"), "综合受理"),
			chromedp.SetValue(css("#wk-new"), "comprehensive"), chromedp.Click(css(`#new-window input[name="departments"]`)),
			chromedp.Click(css("#create-window")), chromedp.WaitVisible(css("#window-list tbody tr")))
		if list := text(t, ctx, "#window-list"); !strings.Contains(list, "综合受理") || !strings.Contains(list, "综合窗口") {
			t.Fatalf("windows: %q", list)
		}
		shot(t, ctx, "install-hall")
		a11yBasics(t, ctx, "a hall's page")

		// Staff with grants, each with a one-time password read off the page.
		once := map[string]string{}
		for _, s := range []struct{ username, name, role, region string }{
			{"clerk1", "王窗口", "clerk", "500102"}, {"handler1", "赵承办", "handler", ""},
			{"reviewer1", "钱审核", "reviewer", ""}, {"approver1", "孙批准", "approver", ""},
		} {
			do(t, ctx, chromedp.Navigate(base+"/admin/staff"), chromedp.WaitVisible(css("#staff-new")),
				chromedp.SendKeys(css("#username"), s.username), chromedp.SendKeys(css("#name"), s.name),
				chromedp.SetValue(css("#role"), s.role),
				chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById('department_id');
					for (const o of s.options) if (o.text.endsWith('重庆市涪陵区民政局')) { s.value = o.value; break; } })()`))
			if s.region != "" {
				do(t, ctx, chromedp.SendKeys(css("#region_code"), s.region))
			}
			do(t, ctx, chromedp.Click(css("#staff-create")), chromedp.WaitVisible(css("#staff-otp")))
			once[s.username] = text(t, ctx, "#staff-otp")
			if grants := text(t, ctx, "#staff-grants"); !strings.Contains(grants, "重庆市涪陵区民政局") {
				t.Fatalf("%s's grants: %q", s.username, grants)
			}
		}

		// An item of the department, drafted in the catalog console and published.
		basic := "000112345000"
		it := catalog.Item{
			BasicCode: basic, ImplCode: credit + "4" + basic, Name: "临时救助申请", Type: "01", Level: 4, AgencyNature: 1,
			Department: credit, Region: "500102", Objects: []int{1}, LegalBasis: []string{"《社会救助暂行办法》"},
			Conditions: []catalog.Condition{{Key: "c1", Text: "本区户籍居民"}}, StatutoryLimit: "20", PromisedLimit: "10",
			Handling: 2, Depth: []int{1, 2}, DepthLevel: 2, Visits: 1, Delivery: []string{"window"},
			ConsultPhone: "023-72220000", SupervisePhone: "12345", Result: catalog.Result{Name: "临时救助决定书"}, Frequency: 100,
			Materials: []catalog.Material{{Key: "application", Name: "临时救助申请书", Source: "applicant", Originals: 1, Required: true}},
			Form: []catalog.Field{
				{Key: "applicant_name", Label: "申请人姓名", Type: "text", Required: true, MaxLen: 30},
				{Key: "applicant_id", Label: "公民身份号码", Type: "idnumber", Required: true},
				{Key: "applicant_phone", Label: "联系电话", Type: "phone", Required: true},
			},
		}
		item, _ := json.MarshalIndent(it, "", "  ")
		do(t, ctx, chromedp.Navigate(base+"/admin/catalog/new"), chromedp.WaitVisible(css("#n-item")),
			chromedp.SetValue(css("#n-item"), string(item)), chromedp.SendKeys(css("#n-note"), "首次发布"),
			chromedp.Click(css("#create-item")), chromedp.WaitVisible(css("#editing-draft")),
			// Published from the item's page (the saved draft's page shows its own notice).
			chromedp.Navigate(base+"/admin/catalog/items/"+it.ImplCode), chromedp.WaitVisible(css("#publish")),
			chromedp.Click(css("#publish")), chromedp.WaitVisible(css("#flash")))
		shot(t, ctx, "install-item")
		do(t, ctx, chromedp.Navigate(base+"/admin"), chromedp.WaitVisible(css("#staff")))
		if n := get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('#first-steps').length`)); n != 0 {
			t.Errorf("首次使用 is still shown once every step is done: %q", text(t, ctx, "#first-steps"))
		}
		logout(t, ctx)

		// Each logs in with the one-time password and must choose their own first.
		password := func(user string) string { return user + " county password" }
		for _, user := range []string{"clerk1", "handler1", "reviewer1", "approver1"} {
			signIn(t, ctx, base, user, once[user], nil)
			do(t, ctx, chromedp.WaitVisible(css("#password-required")),
				chromedp.SendKeys(css("#current_password"), once[user]),
				chromedp.SendKeys(css("#new_password"), password(user)),
				chromedp.SendKeys(css("#confirm_password"), password(user)),
				chromedp.Click(css("#password-submit")), chromedp.WaitVisible(css("#inbox")))
			logout(t, ctx)
		}

		// A walk-in applies at the window; the clerk accepts at once.
		dir := t.TempDir()
		scan := filepath.Join(dir, "application.pdf")
		os.WriteFile(scan, []byte("%PDF-1.4\n% application\n%%EOF\n"), 0o644)
		signIn(t, ctx, base, "clerk1", password("clerk1"), nil)
		do(t, ctx, chromedp.WaitVisible(css("#logout")), chromedp.Navigate(base+"/workbench/intake?code="+it.ImplCode), chromedp.WaitVisible(css("#apply")),
			chromedp.SendKeys(css("#f-applicant"), "500102198506120011"), chromedp.SendKeys(css("#f-applicant-name"), "张三"),
			chromedp.SendKeys(css("#f-applicant_phone"), "13800000000"),
			chromedp.Click(css(`input[name="originals"][value="application"]`)),
			chromedp.SetUploadFiles(css(`input[name="m.application"]`), []string{scan}))
		shot(t, ctx, "install-intake")
		do(t, ctx, chromedp.Click(css("#intake-accept")), chromedp.WaitVisible(css("#case-status")))
		no := text(t, ctx, "#case-no")
		if !strings.HasPrefix(no, it.ImplCode) {
			t.Fatalf("the case filed at the window: %q (%q)", no, text(t, ctx, "main"))
		}
		logout(t, ctx)
		for _, s := range []struct{ user, action string }{{"handler1", "pass"}, {"reviewer1", "pass"}, {"approver1", "grant"}} {
			signIn(t, ctx, base, s.user, password(s.user), nil)
			do(t, ctx, chromedp.WaitVisible(css("#logout")), chromedp.Navigate(base+"/workbench"), chromedp.WaitVisible(css(`#case-list tr[data-case="`+no+`"]`)))
			act(t, ctx, base, no, s.action)
			logout(t, ctx)
		}
		signIn(t, ctx, base, "clerk1", password("clerk1"), nil)
		do(t, ctx, chromedp.WaitVisible(css("#logout")))
		if st := status(t, ctx, base, no); st != "已办结" {
			t.Fatalf("after the decision: %q", st)
		}
		shot(t, ctx, "install-concluded")
	})
}
