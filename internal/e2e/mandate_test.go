package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Issue 16's mandates in a real browser: the demo's village agent registers
// a villager who has no account — the code texted to the villager's mobile
// is read on the demo's SMS screen (/demo/sms) — which makes the villager's
// account and the active mandate; the agent then files for the villager
// under it, and the case page shows the mandate (scope, valid until).
func TestAgentRegistersAVillagerAndFilesUnderTheMandate(t *testing.T) {
	base := startDemo(t)
	ctx := browserFor(t, 150*time.Second)
	until := time.Now().AddDate(1, 0, 0).Format("2006-01-02")

	login(t, ctx, base, "agent")
	do(t, ctx, chromedp.Navigate(base+"/agent/mandates"), chromedp.WaitVisible(css("#villager-form")))
	// The demo's mandate of 张三's is listed, active.
	if got := get(t, ctx, chromedp.Text(css(".mandate"))); !strings.Contains(got, "张三") || !strings.Contains(got, "有效") {
		t.Fatalf("the demo's mandate: %q", got)
	}
	do(t, ctx,
		chromedp.SendKeys(css("#v-name"), "孙八"),
		chromedp.SendKeys(css("#v-number"), "110105194912310054"),
		chromedp.SendKeys(css("#v-phone"), "13900139000"),
		chromedp.SetValue(css("#v-until"), until),
		chromedp.Click(css("#villager-send")),
		chromedp.WaitVisible(css("#v-code")))
	if flash := get(t, ctx, chromedp.Text(css("#flash"))); !strings.Contains(flash, "139****9000") {
		t.Fatalf("code sent: %q", flash)
	}
	// The villager's phone: the demo's SMS screen, in another tab.
	tab, cancel := chromedp.NewContext(ctx)
	do(t, tab, chromedp.Navigate(base+"/demo/sms"), chromedp.WaitVisible(css("#demosms-list")))
	body := get(t, tab, chromedp.Text(css("#demosms-list tbody tr:last-child .demosms-body")))
	cancel()
	code := regexp.MustCompile(`[0-9]{6}`).FindString(body)
	if code == "" || !strings.Contains(body, "赵六") || strings.Contains(body, "110105194912310054") {
		t.Fatalf("the text: %q", body)
	}
	// Registered: back on the page, whose villager form starts again.
	do(t, ctx, chromedp.SendKeys(css("#v-code"), code), chromedp.Click(css("#villager-register")), chromedp.WaitVisible(css("#villager-send")))
	shot(t, ctx, "mandates-agent")
	if got := get(t, ctx, chromedp.Text(css("#mandate-error, #flash"))); !strings.Contains(got, "授权委托已生效") {
		t.Fatalf("registered: %q", got)
	}

	// The agent files for 孙八 under the mandate.
	r, err := http.Get(base + "/api/v1/items?q=" + url.QueryEscape("个体工商户设立登记"))
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Items []struct {
			ImplCode string `json:"impl_code"`
		} `json:"items"`
	}
	json.NewDecoder(r.Body).Decode(&res)
	r.Body.Close()
	item := res.Items[0].ImplCode
	dir := t.TempDir()
	file := func(name string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte("%PDF-1.4\n% "+name+"\n%%EOF\n"), 0o644)
		return p
	}
	// The situations answered in the address (a rented shop, by an agent),
	// as the guide's form sends them.
	do(t, ctx, chromedp.Navigate(base+"/apply/"+item+"?a.premises=rented&a.by_agent=yes"),
		chromedp.WaitVisible(css(`#materials tr[data-material="proxy_id"]`)), chromedp.WaitVisible(css("#f-for-name")))
	// The agent names the person once, above the form: the form does not
	// ask for the name and number again (the case binds them).
	if n := get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("#f-applicant_name, #f-applicant_id").length`)); n != 0 {
		t.Fatalf("the agent's form asks for the person's name or number again (%d fields)", n)
	}
	do(t, ctx,
		chromedp.SendKeys(css("#f-for-name"), "孙八"),
		chromedp.SendKeys(css("#f-applicant"), "110105194912310054"),
		chromedp.SetValue(css("#f-applicant_phone"), "13900139000"),
		chromedp.SetValue(css("#f-form_of"), "person"),
		chromedp.SetValue(css("#f-scope"), "餐饮服务（小吃）"),
		chromedp.SetValue(css("#f-capital"), "5"),
		chromedp.SetValue(css(`select[name="org_address.town"]`), "500102006000"),
		chromedp.SetValue(css(`input[name="org_address.detail"]`), "滨江路 9 号"),
		chromedp.SetUploadFiles(css("#m-application"), []string{file("application.pdf")}),
		chromedp.SetUploadFiles(css("#m-id_card"), []string{file("id_card.pdf")}),
		chromedp.SetUploadFiles(css("#m-lease"), []string{file("lease.pdf")}),
		chromedp.SetUploadFiles(css("#m-proxy_id"), []string{file("agent_id.pdf")}),
		chromedp.SetUploadFiles(css("#f-mandate"), []string{file("proxy.pdf")}),
		chromedp.Click(css("#submit-application")), chromedp.WaitVisible(css("#case-status, p.error")))
	shot(t, ctx, "mandates-case")
	if n := get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("#case-status").length`)); n == 0 {
		t.Fatalf("not filed: %s", get(t, ctx, chromedp.Evaluate[string](`document.querySelector("main").innerText`)))
	}
	got := get(t, ctx, chromedp.Text(css("#case-mandate")))
	if !strings.Contains(got, "全部事项") || !strings.Contains(got, until) {
		t.Fatalf("the case's mandate: %q", got)
	}
}
