package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// 张三 chooses on the apply page how to receive the result: the posting
// fields appear only once post is chosen (by CSS alone), a malformed phone
// comes back naming the field with what he typed kept, and the case page
// shows his choice.
func TestDeliveryChoiceInTheBrowser(t *testing.T) {
	base := startDemo(t)
	ctx := browser(t)
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
	do(t, ctx, chromedp.Navigate(base+"/apply/"+code), chromedp.WaitVisible(css("#delivery-choice")))
	visible := func(sel string) bool {
		return get(t, ctx, chromedp.Evaluate[bool](`document.querySelector('`+sel+`').offsetParent !== null`))
	}
	if !get(t, ctx, chromedp.Evaluate[bool](`document.querySelector('#delivery-online').checked`)) || visible("#delivery-phone") {
		t.Fatal("online should be chosen by default, with the posting fields hidden")
	}
	do(t, ctx, chromedp.Click(css("#delivery-post")), chromedp.WaitVisible(css("#delivery-phone")))
	do(t, ctx,
		chromedp.SetValue(css("#f-applicant_phone"), "13800000000"),
		chromedp.SendKeys(css("#delivery-recipient"), "张三"),
		chromedp.SendKeys(css("#delivery-phone"), "1380000"),
		chromedp.SendKeys(css("#delivery-region"), "500102"),
		chromedp.SendKeys(css("#delivery-address"), "滨江路 88 号"))
	shot(t, ctx, "apply-delivery")
	do(t, ctx, chromedp.Click(css("#save-draft")), chromedp.WaitVisible(css("#problem")))
	if msg := get(t, ctx, chromedp.Text(css("#problem"))); !strings.Contains(msg, "delivery.phone") {
		t.Fatalf("the refusal: %q", msg)
	}
	if !visible("#delivery-phone") || get(t, ctx, chromedp.Value(css("#delivery-address"))) != "滨江路 88 号" {
		t.Fatal("the refused choice is not shown back as typed")
	}
	do(t, ctx, chromedp.SetValue(css("#delivery-phone"), "13800001234"), chromedp.Click(css("#save-draft")),
		chromedp.WaitVisible(css("#case-delivery-choice")))
	if got := get(t, ctx, chromedp.Text(css("#case-delivery-choice"))); !strings.Contains(got, "邮寄送达") || !strings.Contains(got, "滨江路 88 号") {
		t.Fatalf("the case page shows %q", got)
	}
}
