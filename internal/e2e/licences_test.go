package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// api calls the JSON API as a demo user and decodes the reply into out.
func api(t *testing.T, base, token, method, path string, body, out any) int {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, _ := http.NewRequest(method, base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

func apiLogin(t *testing.T, base, user string) string {
	t.Helper()
	var res struct {
		Token string `json:"token"`
	}
	if st := api(t, base, "", "POST", "/api/v1/auth/login", map[string]string{"username": user, "password": "tongban-demo", "code": oneTimeCode(t, base, user)}, &res); st != 200 {
		t.Fatalf("login %s: %d", user, st)
	}
	return res.Token
}

// grantedCase has the back office carry a window filing of 个体工商户设立登记
// for 张三 to 准予 through the API, and returns its number: 张三 then holds a
// licence.
func grantedCase(t *testing.T, base string) string {
	t.Helper()
	var items struct {
		Items []struct {
			ImplCode string `json:"impl_code"`
		} `json:"items"`
	}
	api(t, base, "", "GET", "/api/v1/items?q="+url.QueryEscape("个体工商户设立登记"), nil, &items)
	var created struct {
		Case struct {
			No string `json:"case_no"`
		} `json:"case"`
	}
	values := map[string][]string{"applicant_name": {"张三"}, "applicant_id": {"500102198506120011"}, "applicant_phone": {"13800000000"},
		"business_name": {"张三面馆"}, "form_of": {"person"}, "scope": {"面食制售"}, "org_address": {"500102006001", "滨江路 9 号"}, "capital": {"3"}}
	if st := api(t, base, apiLogin(t, base, "clerk"), "POST", "/api/v1/cases", map[string]any{"item_code": items.Items[0].ImplCode,
		"form_values": values, "applicant": "500102198506120011", "submit": true}, &created); st != 201 {
		t.Fatalf("filing: %d", st)
	}
	no := created.Case.No
	for _, s := range []struct{ user, action string }{{"clerk", "accept"}, {"handler", "pass"}, {"reviewer", "pass"}, {"approver", "grant"}} {
		if st := api(t, base, apiLogin(t, base, s.user), "POST", "/api/v1/cases/"+no+"/actions", map[string]string{"action": s.action}, nil); st != 200 {
			t.Fatalf("%s %s: %d", s.user, s.action, st)
		}
	}
	return no
}

// The scenario: 张三 receives a licence when his case concludes,
// makes a share link, and a second browser context opens it and sees 有效;
// after the issuing department revokes the licence it sees 已撤销; 张三
// sees who checked it.
func TestLicenceIssuedSharedVerifiedRevoked(t *testing.T) {
	base := startDemo(t)
	no := grantedCase(t, base)

	ctx := browser(t)
	login(t, ctx, base, "zhangsan")
	if st := status(t, ctx, base, no); st != "已办结" {
		t.Fatalf("case status: %q", st)
	}
	do(t, ctx, chromedp.Click(css("#case-licence")), chromedp.WaitVisible(css("#licence-status")))
	identifier := get(t, ctx, chromedp.Text(css("#licence-identifier")))
	facts := get(t, ctx, chromedp.Text(css("#licence-facts")))
	if st := get(t, ctx, chromedp.Text(css("#licence-status"))); st != "有效" || !strings.Contains(facts, "张三面馆") || !strings.Contains(facts, "面食制售") {
		t.Fatalf("licence page: %q %q", st, facts)
	}
	shot(t, ctx, "licence")
	// The wallet lists it.
	do(t, ctx, chromedp.Navigate(base+"/licences"), chromedp.WaitVisible(css(`#wallet li[data-identifier="`+identifier+`"]`)))
	shot(t, ctx, "wallet")
	// A one-time link, with the reason stated.
	do(t, ctx, chromedp.Navigate(base+"/licences/"+identifier), chromedp.WaitVisible(css("#share-form")),
		chromedp.SendKeys(css("#share-reason"), "银行开户"), chromedp.Click(css("#share-submit")), chromedp.WaitVisible(css("#share-url")))
	link := get(t, ctx, chromedp.Value(css("#share-url")))
	shot(t, ctx, "share")
	if !strings.Contains(link, "/s/") {
		t.Fatalf("share link: %q", link)
	}

	// A second browser context (its own cookies) opens the link.
	other, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancel()
	verdict := func() string {
		do(t, other, chromedp.Navigate(link), chromedp.WaitVisible(css("#verdict-text")))
		return get(t, other, chromedp.Text(css("#verdict-text")))
	}
	if v := verdict(); v != "有效" {
		t.Fatalf("the verifier sees %q", v)
	}
	holder := get(t, other, chromedp.Text(css("#verdict-holder")))
	reason := get(t, other, chromedp.Text(css("#verdict")))
	shot(t, other, "share-opened")
	if !strings.Contains(holder, "张三") || !strings.Contains(reason, "银行开户") {
		t.Fatalf("shared licence: holder %q, page %q", holder, reason)
	}
	// Anyone else with the link is told it was used (one-time).
	if st := api(t, base, "", "GET", "/api/v1/shares/"+link[strings.LastIndex(link, "/")+1:], nil, nil); st != http.StatusGone {
		t.Errorf("the API opening a used link: %d", st)
	}

	// The issuing department's approver revokes the licence.
	logout(t, ctx)
	login(t, ctx, base, "approver")
	do(t, ctx, chromedp.Navigate(base+"/licences/"+identifier), chromedp.WaitVisible(css("#status-form")),
		chromedp.SetValue(css("#status-action"), "revoke"), chromedp.SendKeys(css("#status-reason"), "申请人以欺骗手段取得许可"),
		chromedp.Click(css("#status-submit")), chromedp.WaitVisible(css("#status-done")))
	if st := get(t, ctx, chromedp.Text(css("#licence-status"))); st != "已撤销" {
		t.Fatalf("after revoking: %q", st)
	}
	// The verifier reloads the same link: 已撤销, at once.
	if v := verdict(); v != "已撤销" {
		t.Fatalf("after revocation the verifier sees %q", v)
	}
	shot(t, other, "share-revoked")
	// The public page says so too.
	do(t, other, chromedp.Navigate(base+"/verify/"+identifier), chromedp.WaitVisible(css("#verdict-text")))
	if v := get(t, other, chromedp.Text(css("#verdict-text"))); v != "已撤销" {
		t.Fatalf("verification page: %q", v)
	}

	// 张三 sees who checked his licence, through which link, why.
	logout(t, ctx)
	login(t, ctx, base, "zhangsan")
	do(t, ctx, chromedp.Navigate(base+"/licences/"+identifier), chromedp.WaitVisible(css("#licence-checks")))
	checks := get(t, ctx, chromedp.Text(css("#licence-checks")))
	shot(t, ctx, "licence-checks")
	if !strings.Contains(checks, "出示链接") || !strings.Contains(checks, "银行开户") || !strings.Contains(checks, "已撤销") {
		t.Fatalf("checks the holder sees: %q", checks)
	}
}
