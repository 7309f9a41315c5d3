package e2e

import (
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// Issue 17: a citizen's everyday words find the bundle, the life event and
// the item; an administrator adds a dialect word as a search synonym and the
// portal finds it at once.
func TestPortalEverydaySearch(t *testing.T) {
	base := startDemo(t)
	ctx := browser(t)

	do(t, ctx,
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(css("#home-q")),
		chromedp.SendKeys(css("#home-q"), "生了孩子要办什么"),
		chromedp.Click(css("#home-search")),
		chromedp.WaitVisible(css("#bundle-results")),
	)
	shot(t, ctx, "portal-search-everyday")
	if b := get(t, ctx, chromedp.Text(css("#bundle-results .item-name"))); b != "新生儿出生一件事" {
		t.Errorf("bundle %q", b)
	}
	if ev := get(t, ctx, chromedp.Text(css("#event-results"))); !strings.Contains(ev, "出生") {
		t.Errorf("life events %q", ev)
	}
	do(t, ctx, chromedp.Navigate(base+"/items?q="+url.QueryEscape("身份证丢了怎么办")), chromedp.WaitVisible(css("#results")))
	if first := get(t, ctx, chromedp.Text(css("#results .item-name"))); first != "居民身份证申领（换领、补领）" {
		t.Errorf("身份证丢了怎么办: first %q", first)
	}

	do(t, ctx,
		chromedp.Navigate(base+"/login?next=/admin/catalog/synonyms"),
		chromedp.WaitVisible(css("#username")),
		chromedp.SendKeys(css("#username"), "admin"),
		chromedp.SendKeys(css("#password"), "tongban-demo"),
		chromedp.Click(css("#login-submit")),
	)
	secondStep(t, ctx, base, "admin")
	do(t, ctx,
		chromedp.WaitVisible(css("#synonym-editor")),
		chromedp.SendKeys(css("#s-term"), "娃儿"),
		chromedp.SendKeys(css("#s-exps"), "新生儿\n出生"),
		chromedp.Click(css("#save-synonym")),
		chromedp.WaitVisible(css("#flash")),
	)
	if list := get(t, ctx, chromedp.Text(css("#synonyms"))); !strings.Contains(list, "娃儿") {
		t.Fatalf("the new term is not listed")
	}
	shot(t, ctx, "admin-synonyms")
	do(t, ctx, chromedp.Navigate(base+"/items?q="+url.QueryEscape("娃儿")), chromedp.WaitVisible(css("#results")))
	if res := get(t, ctx, chromedp.Text(css("#results"))); !strings.Contains(res, "出生登记") {
		t.Errorf("娃儿 after the synonym: %q", res)
	}
}
