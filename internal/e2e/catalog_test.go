package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// A citizen finds 营业执照 on the portal, opens the guide and answers the
// situation questions; the material list follows the answers and the
// address picker loads villages through the public API. Then an
// administrator edits and publishes a new version, and the old version is
// still there as it was.
func TestPortalGuideAndPublishing(t *testing.T) {
	base := startDemo(t)
	ctx := browser(t)

	do(t, ctx,
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(css("#hot")),
		chromedp.SendKeys(css("#home-q"), "营业执照"),
		chromedp.Click(css("#home-search")),
		chromedp.WaitVisible(css("#results")),
	)
	first := get(t, ctx, chromedp.Text(css("#results .item-name")))
	shot(t, ctx, "portal-search")
	if first != "个体工商户设立登记" {
		t.Fatalf("first result %q", first)
	}
	do(t, ctx, chromedp.Click(css("#results .item-name")), chromedp.WaitVisible(css("#situation-form")))
	rows := `document.querySelectorAll('#materials tbody tr').length`
	all := get(t, ctx, chromedp.Evaluate[int](rows))
	if all != 6 {
		t.Fatalf("%d materials before answering, want 6", all)
	}
	do(t, ctx,
		chromedp.Click(css(`input[name="a.premises"][value="rented"]`)),
		chromedp.Click(css(`input[name="a.by_agent"][value="no"]`)),
	)
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](rows+` === 3`, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("the material list did not follow the answers: %v", err)
	}
	mats := get(t, ctx, chromedp.Text(css("#materials")))
	if !strings.Contains(mats, "经营场所租赁合同") || strings.Contains(mats, "经营场所产权证明") || strings.Contains(mats, "授权委托书") {
		t.Fatalf("materials for a rented shop, no agent: %q", mats)
	}
	// The address picker: choosing 南沱镇 loads its villages.
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`(() => { const s = document.querySelector('select[name="org_address.town"]');
		s.value = '500102103000'; s.dispatchEvent(new Event('change', {bubbles: true})); })()`))
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector('select[name="org_address.village"]').options.length > 1`, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("villages were not loaded: %v", err)
	}
	// Pre-checking the empty form names the missing fields.
	do(t, ctx, chromedp.Click(css("#check-form")), chromedp.WaitVisible(css(".field-error")))
	if n := get(t, ctx, chromedp.Evaluate[int](rows)); n != 3 {
		t.Errorf("after the pre-check the guide lists %d materials, want the 3 for the answers given", n)
	}
	shot(t, ctx, "portal-guide")
	guide := get(t, ctx, chromedp.Location())
	code := guide[strings.LastIndex(guide, "/items/")+len("/items/"):]
	if i := strings.IndexAny(code, "/?"); i >= 0 {
		code = code[:i]
	}

	// The administrator shortens the promised limit and publishes.
	do(t, ctx,
		chromedp.Navigate(base+"/login?next=/admin/catalog/items/"+code),
		chromedp.WaitVisible(css("#username")),
		chromedp.SendKeys(css("#username"), "admin"),
		chromedp.SendKeys(css("#password"), "tongban-demo"),
		chromedp.Click(css("#login-submit")),
	)
	secondStep(t, ctx, base, "admin")
	do(t, ctx,
		chromedp.WaitVisible(css("#editor")),
		chromedp.SetValue(css("#e-prom"), "0.5"),
		chromedp.SetValue(css("#e-note"), "承诺时限压缩至半个工作日"),
		// A new material in the first blank row of the materials table.
		chromedp.SetValue(css(`#e-materials tbody tr:nth-last-child(2) input[name="m.key"]`), "health"),
		chromedp.SetValue(css(`#e-materials tbody tr:nth-last-child(2) input[name="m.name"]`), "从业人员健康证明"),
		chromedp.Click(css("#save-draft")),
		chromedp.WaitVisible(css("#editing-draft")),
		chromedp.Click(css("#diff-draft")),
		chromedp.WaitVisible(css("#diff")),
	)
	diff := get(t, ctx, chromedp.Text(css("#diff")))
	if !strings.Contains(diff, "promised_limit") || !strings.Contains(diff, "materials[health].name") {
		t.Fatalf("diff: %q", diff)
	}
	do(t, ctx, chromedp.Navigate(base+"/admin/catalog/items/"+code), chromedp.WaitVisible(css("#publish")), chromedp.Click(css("#publish")), chromedp.WaitVisible(css("#flash")))
	shot(t, ctx, "admin-published")
	do(t, ctx, chromedp.Navigate(base+"/items/"+code), chromedp.WaitVisible(css("#promised")))
	now := get(t, ctx, chromedp.Text(css("#promised")))
	if mats := get(t, ctx, chromedp.Text(css("#materials"))); !strings.Contains(mats, "从业人员健康证明") {
		t.Errorf("the new material is not on the current guide: %q", mats)
	}
	do(t, ctx, chromedp.Navigate(base+"/items/"+code+"?version=1"), chromedp.WaitVisible(css("#promised")))
	old := get(t, ctx, chromedp.Text(css("#promised")))
	if mats := get(t, ctx, chromedp.Text(css("#materials"))); strings.Contains(mats, "从业人员健康证明") {
		t.Errorf("version 1 changed: %q", mats)
	}
	if now != "0.5 个工作日" || old != "1 个工作日" {
		t.Fatalf("current %q, version 1 %q", now, old)
	}
}
