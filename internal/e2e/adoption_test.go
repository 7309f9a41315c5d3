package e2e

import (
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// Items per region (issue 15): the administrator offers 居住证申领 to towns
// in the item editor and publishes; on /admin/adoptions 南沱镇's government
// adopts it — a promise above the district's is refused naming the field —
// with the town's centre and a shorter promise; the portal lists it in the
// town; withdrawn, it is no longer listed.
func TestAdoptionPage(t *testing.T) {
	base := startDemo(t)
	ctx := browser(t)
	do(t, ctx, chromedp.Navigate(base+"/items?q="+url.QueryEscape("居住证申领")), chromedp.WaitVisible(css("#results")))
	href := get(t, ctx, chromedp.Evaluate[string](`document.querySelector('#results .item-name').getAttribute('href')`))
	src := strings.TrimPrefix(href, "/items/")
	do(t, ctx, chromedp.Navigate(base+"/login?next=/admin/catalog/items/"+src), chromedp.WaitVisible(css("#username")),
		chromedp.SendKeys(css("#username"), "admin"), chromedp.SendKeys(css("#password"), "tongban-demo"), chromedp.Click(css("#login-submit")))
	secondStep(t, ctx, base, "admin")
	do(t, ctx, chromedp.WaitVisible(css("#editor")))
	do(t, ctx, chromedp.Click(css("#e-offer-5")), chromedp.Click(css("#save-draft")), chromedp.WaitVisible(css("#editing-draft")))
	do(t, ctx, chromedp.Click(css("#publish")), chromedp.WaitNotPresent(css("#editing-draft")), chromedp.WaitVisible(css("#flash")))

	do(t, ctx, chromedp.Navigate(base+"/admin"), chromedp.WaitVisible(css("#adoptions-link")), chromedp.Click(css("#adoptions-link")),
		chromedp.WaitVisible(css("#o-"+src)), chromedp.Click(css("#o-"+src+" summary")), chromedp.WaitVisible(css("#od-"+src)))
	pick := func(sel, text string) chromedp.Action[chromedp.Void] {
		return chromedp.Evaluate[chromedp.Void](`(() => { const s = document.querySelector('` + sel + `');
			for (const o of s.options) if (o.text.includes('` + text + `')) { s.value = o.value; break; } })()`)
	}
	do(t, ctx, pick("#od-"+src, "南沱镇"), pick("#oh-"+src, "南沱镇"),
		chromedp.SetValue(css("#op-"+src), "023-72701300"), chromedp.SetValue(css("#ol-"+src), "8"))
	shot(t, ctx, "adoption-offer")
	do(t, ctx, chromedp.Click(css("#o-"+src+" button[type=submit]")), chromedp.WaitVisible(css("#error-message")))
	if msg := get(t, ctx, chromedp.Text(css("#error-message"))); !strings.Contains(msg, "promised_limit") || !strings.Contains(msg, "承诺时限") {
		t.Fatalf("a promise above the district's: %q", msg)
	}
	// The page left by the refusal is replaced by a navigation: the form is
	// opened and sent by script, so no node of the page being replaced is
	// touched (chromedp's "No node with given id found" on a loaded machine).
	do(t, ctx, chromedp.Navigate(base+"/admin/adoptions"), chromedp.WaitVisible(css("#o-"+src)),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#o-`+src+` details').open = true`),
		pick("#od-"+src, "南沱镇"), pick("#oh-"+src, "南沱镇"), chromedp.SetValue(css("#ol-"+src), "5"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#o-`+src+` button[type=submit]').click()`), chromedp.WaitVisible(css("#adopt-done")))
	list := get(t, ctx, chromedp.Text(css("#adoption-list")))
	if !strings.Contains(list, "居住证申领") || !strings.Contains(list, "南沱镇") {
		t.Fatalf("adopted list: %q", list)
	}
	shot(t, ctx, "adoption-adopted")
	// The demo's towns have adopted the district's township items already: the row of 居住证申领.
	code := get(t, ctx, chromedp.Evaluate[string](`[...document.querySelectorAll('#adoption-list tbody tr')].find(r => r.textContent.includes('居住证申领')).id.slice(2)`))

	// The portal lists the town's own item.
	do(t, ctx, chromedp.Navigate(base+"/items/"+code), chromedp.WaitVisible(css("#promised")))
	if p := get(t, ctx, chromedp.Text(css("#promised"))); p != "5 个工作日" {
		t.Fatalf("the town's promise on its guide: %q", p)
	}

	// Withdrawn: no longer listed for the town.
	do(t, ctx, chromedp.Navigate(base+"/admin/adoptions"), chromedp.WaitVisible(css("#a-"+code)), chromedp.Click(css("#a-"+code+" summary")),
		chromedp.Click(css("#a-"+code+" .withdraw-adoption button")), chromedp.WaitVisible(css("#adopt-done")))
	// The list read afresh: the page the form left may still be the one being replaced.
	do(t, ctx, chromedp.Navigate(base+"/admin/adoptions"), chromedp.WaitVisible(css("#a-"+code)))
	if row := get(t, ctx, chromedp.Text(css("#a-"+code))); !strings.Contains(row, "已撤回") {
		t.Fatalf("withdrawn row: %q", row)
	}
	do(t, ctx, chromedp.Navigate(base+"/items/"+code), chromedp.WaitVisible(css("#withdrawn")))
	if n := get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('#apply-online').length`)); n != 0 {
		t.Fatalf("a withdrawn item's guide offers to apply")
	}
	do(t, ctx, chromedp.Navigate(base+"/items?region=500102103000&q="+url.QueryEscape("居住证")), chromedp.WaitVisible(css("body")))
	if page := get(t, ctx, chromedp.Text(css("body"))); strings.Contains(page, "居住证申领") {
		t.Fatalf("a withdrawn item is listed in the town")
	}
}
