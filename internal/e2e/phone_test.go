package e2e

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// phoneWidth is the width of a small phone (iPhone SE, most Android phones
// at default zoom): the citizen pages must work at it.
const phoneWidth = 375

// phoneTapExcluded is where the tap-target check does not look: the
// skip link, off-screen until focused.
const phoneTapExcluded = "a.skip"

// phoneCheck checks the page ctx shows (at phoneWidth): nothing scrolls
// sideways, and every link, button and form control is a tap target at least
// 44 px high (WCAG 2.5.5), or sits in a label that is. A link inside a
// sentence is exempt, as WCAG 2.5.8 exempts inline targets. The header
// (brand, language, 关怀模式, 通知, navigation) is checked like the rest.
func phoneCheck(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	type result struct {
		Width int      `json:"width"`
		Wide  []string `json:"wide"`
		Small []string `json:"small"`
	}
	res := get(t, ctx, chromedp.Evaluate[result](`(() => {
		const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.name ? '[name=' + el.name + ']' : '') +
			' "' + (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().slice(0, 20) + '"';
		const shown = el => {
			const r = el.getBoundingClientRect(), s = getComputedStyle(el);
			return r.width > 1 && r.height > 1 && s.visibility !== 'hidden' && r.right > 0 && r.bottom > 0;
		};
		const inSentence = el => getComputedStyle(el).display === 'inline' &&
			[...el.parentElement.childNodes].some(n => n !== el && n.nodeType === Node.TEXT_NODE && n.textContent.trim() !== '');
		const small = [];
		for (const el of document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary')) {
			if (!shown(el) || el.closest('`+phoneTapExcluded+`')) continue;
			const h = el.getBoundingClientRect().height;
			if (h >= 43.5) continue;
			const label = el.closest('label');
			if (label && label.getBoundingClientRect().height >= 43.5) continue;
			if (el.tagName === 'A' && inSentence(el)) continue;
			small.push(name(el) + ' ' + Math.round(h) + 'px');
		}
		// Inside a box that scrolls sideways itself (the sections' row), an
		// element does not widen the page.
		const scrolled = el => { for (let p = el.parentElement; p; p = p.parentElement) if (['auto', 'scroll'].includes(getComputedStyle(p).overflowX)) return true; return false; };
		const wide = [];
		for (const el of document.querySelectorAll('body *'))
			if (shown(el) && el.getBoundingClientRect().right > 375.5 && getComputedStyle(el).position !== 'fixed' && !scrolled(el)) wide.push(name(el) + ' to ' + Math.round(el.getBoundingClientRect().right));
		return {width: document.documentElement.scrollWidth, wide: wide.slice(0, 8), small};
	})()`))
	if res.Width > phoneWidth {
		t.Errorf("%s at %d px scrolls sideways: %d px wide; widest: %s", page, phoneWidth, res.Width, strings.Join(res.Wide, "; "))
	}
	if len(res.Small) > 0 {
		t.Errorf("%s at %d px: tap targets under 44 px: %s", page, phoneWidth, strings.Join(res.Small, "; "))
	}
}

// Every citizen page — home, search, guide, bundle, apply, case, licences,
// share, notifications, progress, verify — at a phone's width: no sideways
// scrolling, tap targets of 44 px (issue 17). axe-core runs on each (do).
func TestCitizenPagesAtPhoneWidth(t *testing.T) {
	base := startDemo(t)
	no := grantedCase(t, base)
	var items struct {
		Items []struct {
			ImplCode string `json:"impl_code"`
		} `json:"items"`
	}
	api(t, base, "", "GET", "/api/v1/items?q="+url.QueryEscape("个体工商户设立登记"), nil, &items)
	code := items.Items[0].ImplCode
	var bundles struct {
		Bundles []struct {
			Code string `json:"code"`
		} `json:"bundles"`
	}
	api(t, base, "", "GET", "/api/v1/bundles", nil, &bundles)
	if len(bundles.Bundles) == 0 {
		t.Fatal("the demo has no bundle")
	}
	bundle := bundles.Bundles[0].Code

	ctx := browserFor(t, 150*time.Second)
	do(t, ctx, chromedp.EmulateViewport(phoneWidth, 740))
	visit := func(name, path, ready string) {
		t.Helper()
		do(t, ctx, chromedp.Navigate(base+path), chromedp.WaitVisible(css(ready)))
		shot(t, ctx, "phone-"+name)
		phoneCheck(t, ctx, name)
	}
	visit("home", "/", "h1")
	if h1 := get(t, ctx, chromedp.Text(css("h1"))); h1 != "一网通办" {
		t.Errorf("home h1: %q", h1)
	}
	visit("search", "/items?q="+url.QueryEscape("个体工商户"), "#results")
	visit("guide", "/items/"+code, "#apply-online")
	visit("bundle", "/bundles/"+bundle, "h1")
	visit("progress", "/progress", "h1")
	visit("progress-found", "/progress?case_no="+no+"&name="+url.QueryEscape("张三"), "h1")
	visit("login", "/login", "#username")

	login(t, ctx, base, "zhangsan")
	visit("apply", "/apply/"+code, "#application")
	// The material names get the width of the screen, not two characters.
	if w := get(t, ctx, chromedp.Evaluate[float64](`Math.min(...[...document.querySelectorAll('#materials tbody td:first-child')].map(td => td.getBoundingClientRect().width))`)); w < 300 {
		t.Errorf("apply at %d px: a material's name is squeezed to %.0f px", phoneWidth, w)
	}
	visit("apply-bundle", "/apply/bundle/"+bundle, "h1")
	visit("case", "/cases/"+no, "#case-status")
	visit("my-cases", "/my/cases", "#case-list")
	visit("me", "/me", "h1")
	visit("notifications", "/notifications", "#notifications")
	visit("licences", "/licences", "#wallet")
	do(t, ctx, chromedp.Click(css("#wallet li a")), chromedp.WaitVisible(css("#share-form")))
	identifier := get(t, ctx, chromedp.Text(css("#licence-identifier")))
	shot(t, ctx, "phone-licence")
	phoneCheck(t, ctx, "licence")
	do(t, ctx, chromedp.SendKeys(css("#share-reason"), "银行开户"), chromedp.Click(css("#share-submit")), chromedp.WaitVisible(css("#share-url")))
	phoneCheck(t, ctx, "licence-shared")
	link := get(t, ctx, chromedp.Value(css("#share-url")))

	// The share link and the public verification page, as a stranger.
	logout(t, ctx)
	visit("share", strings.TrimPrefix(link, base), "#verdict-text")
	visit("verify", "/verify/"+identifier, "#verdict-text")

	// 关怀模式 at a phone's width: everything is larger (1.25×), and still
	// nothing scrolls sideways and every target is 44 px.
	do(t, ctx, chromedp.Click(css("#switch-care")), chromedp.WaitVisible(css(`#switch-care[aria-pressed="true"]`)))
	for _, p := range [][3]string{
		{"care-home", "/", "h1"},
		{"care-search", "/items?q=" + url.QueryEscape("营业执照"), "#results"},
		{"care-guide", "/items/" + code, "#apply-online"},
		{"care-progress", "/progress", "h1"},
		{"care-verify", "/verify/" + identifier, "#verdict-text"},
	} {
		visit(p[0], p[1], p[2])
	}
	login(t, ctx, base, "zhangsan")
	visit("care-apply", "/apply/"+code, "#application")
	visit("care-case", "/cases/"+no, "#case-status")
	visit("care-licences", "/licences", "#wallet")
}
