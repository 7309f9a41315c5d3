package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	"github.com/tongban/tongban/internal/identity"
)

// login signs in through the login form (and its second step for the
// accounts with a second factor).
func login(t *testing.T, ctx context.Context, base, user string) {
	t.Helper()
	do(t, ctx, chromedp.Navigate(base+"/login"), chromedp.WaitVisible(css("#username")),
		chromedp.SendKeys(css("#username"), user), chromedp.SendKeys(css("#password"), "tongban-demo"),
		chromedp.Click(css("#login-submit")))
	secondStep(t, ctx, base, user)
	do(t, ctx, chromedp.WaitVisible(css("#logout")))
}

// secondStep enters a one-time code on the login's second step, for the
// demo accounts that have one.
func secondStep(t *testing.T, ctx context.Context, base, user string) {
	t.Helper()
	if c := oneTimeCode(t, base, user); c != "" {
		do(t, ctx, chromedp.WaitVisible(css("#code")), chromedp.SendKeys(css("#code"), c), chromedp.Click(css("#code-submit")))
	}
}

var (
	codeMu   sync.Mutex
	lastStep = map[string]int64{}
)

// oneTimeCode is a TOTP code of the demo's secret (identity.DemoTOTPSecret)
// for the demo's administrator and supervisor, "" for other accounts. The
// server accepts a code once, so a second login in the same 30-second step
// waits for the next.
func oneTimeCode(t *testing.T, base, user string) string {
	t.Helper()
	if user != "admin" && user != "supervisor" {
		return ""
	}
	codeMu.Lock()
	defer codeMu.Unlock()
	key := base + "|" + user
	for time.Now().Unix()/30 <= lastStep[key] {
		time.Sleep(500 * time.Millisecond)
	}
	step := time.Now().Unix() / 30
	lastStep[key] = step
	c, err := totp.GenerateCode(identity.DemoTOTPSecret, time.Unix(step*30, 0))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func logout(t *testing.T, ctx context.Context) {
	t.Helper()
	do(t, ctx, chromedp.Click(css("#logout")), chromedp.WaitVisible(css("#login-link")))
}

// status opens a case page and returns the status the applicant sees.
func status(t *testing.T, ctx context.Context, base, no string) string {
	t.Helper()
	do(t, ctx, chromedp.Navigate(base+"/cases/"+no), chromedp.WaitVisible(css("#case-status")))
	return get(t, ctx, chromedp.Text(css("#case-status")))
}

// act opens an action's panel on the case page, fills it and submits.
func act(t *testing.T, ctx context.Context, base, no, action string, fill ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	do(t, ctx, chromedp.Navigate(base+"/cases/"+no), chromedp.WaitVisible(css("#act-"+action)))
	if !get(t, ctx, chromedp.Evaluate[bool](`document.getElementById("act-`+action+`").open`)) {
		do(t, ctx, chromedp.Click(css("#act-"+action+" > summary")))
	}
	do(t, ctx, fill...)
	do(t, ctx, chromedp.Click(css("#do-"+action)), chromedp.WaitVisible(css("#flash")))
}

// The scenario: 张三 applies online → the clerk sends a correction
// notice → 张三 corrects → the clerk accepts → handler, reviewer and
// approver act → concluded → 张三 sees 办结 and the decision document.
func TestApplyCorrectAcceptDecide(t *testing.T) {
	base := startDemo(t)
	ctx := browser(t)
	dir := t.TempDir()
	file := func(name string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte("%PDF-1.4\n% "+name+"\n%%EOF\n"), 0o644)
		return p
	}
	// The item's code, from the public API.
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
	code := res.Items[0].ImplCode

	login(t, ctx, base, "zhangsan")
	do(t, ctx, chromedp.Navigate(base+"/items/"+code), chromedp.WaitVisible(css("#apply-online")), chromedp.Click(css("#apply-online")),
		chromedp.WaitVisible(css("#application")))
	// Pre-filled from 张三's identity (数据沉淀): his own name and ID number.
	if name := get(t, ctx, chromedp.Value(css("#f-applicant_name"))); name != "张三" {
		t.Fatalf("name not pre-filled: %q", name)
	}
	do(t, ctx, chromedp.SetValue(css("#q-premises"), "rented"), chromedp.Click(css("#apply-situations")),
		chromedp.WaitVisible(css(`#materials tr[data-material="lease"][data-definite="true"]`)))
	do(t, ctx,
		chromedp.SetValue(css("#f-applicant_phone"), "13800000000"),
		chromedp.SetValue(css("#f-scope"), "餐饮服务（小吃）"),
		chromedp.SetValue(css("#f-capital"), "5"),
		chromedp.SetValue(css(`select[name="org_address.town"]`), "500102006000"),
		chromedp.SetValue(css(`input[name="org_address.detail"]`), "滨江路 8 号"),
		chromedp.SetUploadFiles(css("#m-application"), []string{file("application.pdf")}),
		chromedp.SetUploadFiles(css("#m-id_card"), []string{file("id_card.pdf")}),
		chromedp.SetUploadFiles(css("#m-lease"), []string{file("lease.pdf")}),
	)
	shot(t, ctx, "apply")
	do(t, ctx, chromedp.Click(css("#submit-application")), chromedp.WaitVisible(css("#case-status")))
	no := get(t, ctx, chromedp.Text(css("#case-no")))
	if st := get(t, ctx, chromedp.Text(css("#case-status"))); st != "待预审受理" || !strings.HasPrefix(no, code) {
		t.Fatalf("submitted: %q %q", st, no)
	}
	logout(t, ctx)

	// The clerk sends ONE notice listing what to correct.
	login(t, ctx, base, "clerk")
	act(t, ctx, base, no, "request_correction", chromedp.SendKeys(css("#corr-m-lease"), "租赁合同缺少出租方签字"))
	if st := status(t, ctx, base, no); st != "待补正" {
		t.Fatalf("after the notice: %q", st)
	}
	logout(t, ctx)

	// 张三 reads the notice and answers it with a corrected lease.
	login(t, ctx, base, "zhangsan")
	do(t, ctx, chromedp.Navigate(base+"/cases/"+no), chromedp.WaitVisible(css("#correction-notice")))
	if notice := get(t, ctx, chromedp.Text(css("#correction-notice"))); !strings.Contains(notice, "租赁合同缺少出租方签字") {
		t.Fatalf("correction notice: %q", notice)
	}
	shot(t, ctx, "correction")
	act(t, ctx, base, no, "resubmit", chromedp.SetUploadFiles(css("#resubmit-m-lease"), []string{file("lease-signed.pdf")}))
	if st := status(t, ctx, base, no); st != "待预审受理" {
		t.Fatalf("after correcting: %q", st)
	}
	logout(t, ctx)

	login(t, ctx, base, "clerk")
	act(t, ctx, base, no, "accept")
	logout(t, ctx)
	for _, s := range []struct{ user, action string }{{"handler", "pass"}, {"reviewer", "pass"}, {"approver", "grant"}} {
		login(t, ctx, base, s.user)
		// The case waits in the step's inbox.
		do(t, ctx, chromedp.Navigate(base+"/workbench"), chromedp.WaitVisible(css(`#case-list tr[data-case="`+no+`"]`)))
		act(t, ctx, base, no, s.action)
		logout(t, ctx)
	}

	login(t, ctx, base, "zhangsan")
	if st := status(t, ctx, base, no); st != "已办结" {
		t.Fatalf("after the decision: %q", st)
	}
	if d := get(t, ctx, chromedp.Text(css("#case-decision"))); !strings.Contains(d, "准予") {
		t.Fatalf("decision: %q", d)
	}
	// The 查询码 is on the applicant's case page and on every notice.
	qc := get(t, ctx, chromedp.Text(css("#query-code")))
	if len(qc) != 8 {
		t.Fatalf("query code %q", qc)
	}
	shot(t, ctx, "concluded")
	do(t, ctx, chromedp.Click(css(`#documents a[data-kind="decision"]`)), chromedp.WaitVisible(css("#document")))
	doc := get(t, ctx, chromedp.Text(css("#document")))
	if !strings.Contains(doc, "准予行政许可决定书") || !strings.Contains(doc, no) || !strings.Contains(doc, "张三") || !strings.Contains(doc, qc) {
		t.Fatalf("decision document: %q", doc)
	}
	shot(t, ctx, "decision")
	// The public progress query shows 办结 without logging in, given the
	// number, the name and the 查询码 typed into its form; number and name
	// alone are refused.
	logout(t, ctx)
	do(t, ctx, chromedp.Navigate(base+"/progress?case_no="+no+"&name="+url.QueryEscape("张三")), chromedp.WaitVisible(css("#problem")))
	if p := get(t, ctx, chromedp.Text(css("#problem"))); !strings.Contains(p, "查询码") {
		t.Fatalf("progress without the code: %q", p)
	}
	do(t, ctx, chromedp.SendKeys(css("#p-code"), strings.ToLower(qc)), chromedp.Click(css("#progress-query")), chromedp.WaitVisible(css("#progress-status")))
	if st := get(t, ctx, chromedp.Text(css("#progress-status"))); st != "已办结" {
		t.Fatalf("public progress: %q", st)
	}
}
