package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tongban/tongban/internal/calendar"
)

// Issue 16: 王五, the demo company's legal representative, authorises 张三
// as its 经办人 for the seal filing only; 张三 then files as the company
// ("申请人：本人 / 公司"), and the case is the company's, naming who filed it;
// another item's page does not offer the company (the API's refusal of it
// is TestEnterpriseAPI's).
func TestOperatorFilesAsTheEnterprise(t *testing.T) {
	base := startDemo(t)
	r, err := http.Get(base + "/api/v1/items?q=" + url.QueryEscape("公章刻制备案"))
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Items []struct {
			Name     string `json:"name"`
			ImplCode string `json:"impl_code"`
		} `json:"items"`
	}
	json.NewDecoder(r.Body).Decode(&res)
	r.Body.Close()
	var seal string
	for _, it := range res.Items {
		if it.Name == "公章刻制备案" && seal == "" {
			seal = it.ImplCode
		}
	}
	if seal == "" {
		t.Fatalf("no seal item: %+v", res)
	}
	const corp = "91500102MA5U7X2K" // the demo company's, its two check characters below
	ctx := browser(t)
	login(t, ctx, base, "legalrep")
	do(t, ctx, chromedp.Navigate(base+"/me"), chromedp.WaitVisible(css("#my-enterprises")), chromedp.Click(css("#my-enterprises")),
		chromedp.WaitVisible(css("section.enterprise")))
	code := get(t, ctx, chromedp.AttributeValue(css("section.enterprise"), "data-enterprise")).Value
	if !strings.HasPrefix(code, corp) {
		t.Fatalf("王五's enterprise: %q", code)
	}
	// 周芳 is already authorised (the demo's); 张三 is added for one item.
	until := time.Now().In(calendar.China).AddDate(0, 1, 0).Format("2006-01-02")
	do(t, ctx,
		chromedp.SendKeys(css("#op-name-"+code), "张三"),
		chromedp.SendKeys(css("#op-id-"+code), "500102198506120011"),
		chromedp.Click(css("#op-scope-items-"+code)),
		chromedp.SendKeys(css("#op-items-"+code), seal),
		chromedp.SetValue(css("#op-exp-"+code), until),
		chromedp.Click(css("#op-submit-"+code)),
		chromedp.WaitVisible(css(".notice")),
	)
	shot(t, ctx, "enterprise-operators")
	rows := get(t, ctx, chromedp.Text(css("#ent-"+code+" table.operators")))
	if !strings.Contains(rows, "张三") || !strings.Contains(rows, "500102********0011") || !strings.Contains(rows, seal) || !strings.Contains(rows, until) ||
		strings.Contains(rows, "500102198506120011") {
		t.Fatalf("the operators: %q", rows)
	}

	// 张三, in his own browser, files as the company.
	zs := browser(t)
	login(t, zs, base, "zhangsan")
	do(t, zs, chromedp.Navigate(base+"/apply/"+seal), chromedp.WaitVisible(css("#apply-as")))
	choice := get(t, zs, chromedp.Text(css("#apply-as")))
	if !strings.Contains(choice, "本人") || !strings.Contains(choice, "重庆市涪陵区通办示范科技有限公司") {
		t.Fatalf("the applicant choice: %q", choice)
	}
	do(t, zs, chromedp.Click(css("#as-"+code)), chromedp.Click(css("#save-draft")), chromedp.WaitVisible(css("#filed-by")))
	shot(t, zs, "enterprise-case")
	if by := get(t, zs, chromedp.Text(css("#filed-by"))); by != "经办人：张三" {
		t.Fatalf("filed by: %q", by)
	}
	if facts := get(t, zs, chromedp.Text(css("body"))); !strings.Contains(facts, "重庆市涪陵区通办示范科技有限公司") {
		t.Fatalf("the case does not name the company: %q", facts)
	}
	// 我的办件 lists it, marked as the enterprise's.
	do(t, zs, chromedp.Navigate(base+"/my/cases"), chromedp.WaitVisible(css("#case-list")))
	if list := get(t, zs, chromedp.Text(css("#case-list"))); !strings.Contains(list, "企业办件") {
		t.Fatalf("my cases: %q", list)
	}
	// Another item is outside his scope: its page does not offer the company.
	r, err = http.Get(base + "/api/v1/items?q=" + url.QueryEscape("有限责任公司设立登记"))
	if err != nil {
		t.Fatal(err)
	}
	res.Items = nil
	json.NewDecoder(r.Body).Decode(&res)
	r.Body.Close()
	if len(res.Items) == 0 {
		t.Fatal("no company registration item")
	}
	do(t, zs, chromedp.Navigate(base+"/apply/"+res.Items[0].ImplCode), chromedp.WaitVisible(css("#application")))
	if offered := get(t, zs, chromedp.Evaluate[bool](`document.querySelector('#apply-as') !== null`)); offered {
		t.Fatal("an item outside his scope offers the company")
	}
}
