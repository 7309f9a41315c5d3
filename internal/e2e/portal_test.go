package e2e

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tongban/tongban/internal/demo"
)

// contrastJS lists the visible text whose contrast with what lies behind it
// is under min:1 (WCAG 2 relative luminance), each as "ratio text (colours)".
// The background is the first ancestor's that is not transparent, blended
// over the ones behind it when translucent.
const contrastJS = `((min) => {
	const parse = c => { const m = c.match(/[\d.]+/g).map(Number); return {r: m[0], g: m[1], b: m[2], a: m.length > 3 ? m[3] : 1}; };
	const over = (top, under) => ({r: top.r*top.a + under.r*(1-top.a), g: top.g*top.a + under.g*(1-top.a), b: top.b*top.a + under.b*(1-top.a), a: 1});
	const lum = c => { const f = v => { v /= 255; return v <= 0.03928 ? v/12.92 : Math.pow((v+0.055)/1.055, 2.4); }; return 0.2126*f(c.r) + 0.7152*f(c.g) + 0.0722*f(c.b); };
	const bgOf = el => {
		const layers = [];
		for (let e = el; e; e = e.parentElement) {
			const c = parse(getComputedStyle(e).backgroundColor);
			if (c.a > 0) { layers.push(c); if (c.a >= 1) break; }
		}
		let bg = {r: 255, g: 255, b: 255, a: 1};
		for (let i = layers.length - 1; i >= 0; i--) bg = over(layers[i], bg);
		return bg;
	};
	const out = [];
	const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
	const seen = new Set();
	for (let n = walker.nextNode(); n; n = walker.nextNode()) {
		const el = n.parentElement;
		if (!n.textContent.trim() || seen.has(el)) continue;
		seen.add(el);
		const r = el.getBoundingClientRect(), st = getComputedStyle(el);
		if (r.width === 0 || r.height === 0 || st.visibility === 'hidden' || el.closest('.skip, .sr, [hidden], option, script, style')) continue;
		const bg = bgOf(el), fg = over(parse(st.color), bg);
		const a = lum(fg), b = lum(bg);
		const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
		if (ratio < min) out.push(ratio.toFixed(2) + ' ' + n.textContent.trim().slice(0, 20) + ' (' + st.color + ' on ' + JSON.stringify(bg) + ')');
	}
	return out;
})`

// sizesJS is the computed font size (px) of the first element of each
// selector, 0 for none.
const sizesJS = `((sels) => sels.map(s => { const e = document.querySelector(s); return e ? parseFloat(getComputedStyle(e).fontSize) : 0; }))`

// The portal says whose it is: the header names the centre, the footer the
// 主办单位, 承办单位 and contact from the site's settings, and the filing
// numbers once the administrator enters them (a wrong one refused, the
// field marked, what was typed kept); the favicon is served and cached.
func TestPortalIdentityFromSettings(t *testing.T) {
	base := startDemo(t)
	ctx := browser(t)
	do(t, ctx, chromedp.Navigate(base+"/"), chromedp.WaitVisible(css("#site-footer")))
	if got := text(t, ctx, "#site-centre"); got != demo.Site.CentreName {
		t.Errorf("header centre %q, want %q", got, demo.Site.CentreName)
	}
	footer := text(t, ctx, "#site-footer")
	for _, want := range []string{"主办单位：" + demo.Site.HostOrg, "承办单位：" + demo.Site.Organizer, "联系方式：" + demo.Site.Contact, "电话：" + demo.Site.CentrePhone} {
		if !strings.Contains(footer, want) {
			t.Errorf("footer %q lacks %q", footer, want)
		}
	}
	if n := get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("#site-icp, #site-psb").length`)); n != 0 {
		t.Errorf("the demo shows %d filing numbers it never had", n)
	}
	icons := get(t, ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('link[rel=icon]')].map(l => l.getAttribute('href'))`))
	if len(icons) != 2 {
		t.Errorf("icons %v", icons)
	}
	for _, p := range append(icons, "/favicon.ico") {
		r, err := http.Get(base + p)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "image/") || !strings.Contains(r.Header.Get("Cache-Control"), "max-age=") {
			t.Errorf("%s: %d %q %q", p, r.StatusCode, r.Header.Get("Content-Type"), r.Header.Get("Cache-Control"))
		}
	}

	login(t, ctx, base, "admin")
	do(t, ctx, chromedp.Navigate(base+"/admin"), chromedp.WaitVisible(css("#site-link")), chromedp.Click(css("#site-link")),
		chromedp.WaitVisible(css("#site-form")))
	if got := get(t, ctx, chromedp.Value(css("#s-host_org"))); got != demo.Site.HostOrg {
		t.Errorf("the form shows 主办单位 %q", got)
	}
	do(t, ctx, chromedp.SetValue(css("#s-icp"), "12345678"), chromedp.SetValue(css("#s-psb"), "渝公网安备 50010202000123号"),
		chromedp.Click(css("#save-site")), chromedp.WaitVisible(css("#form-problem")))
	shot(t, ctx, "admin-site-refused")
	invalid := get(t, ctx, chromedp.AttributeValue(css("#s-icp"), "aria-invalid")).Value
	kept := get(t, ctx, chromedp.Value(css("#s-psb")))
	if msg := text(t, ctx, "#form-problem"); !strings.Contains(msg, "ICP备案号") || invalid != "true" || kept != "渝公网安备 50010202000123号" {
		t.Errorf("a wrong ICP number: %q, aria-invalid=%q, 公安备案号 kept %q", msg, invalid, kept)
	}
	do(t, ctx, chromedp.SetValue(css("#s-icp"), "渝ICP备12345678号-1"), chromedp.Clear(css("#s-organizer")),
		chromedp.Click(css("#save-site")), chromedp.WaitVisible(css("#site-saved")))
	logout(t, ctx)

	do(t, ctx, chromedp.Navigate(base+"/items"), chromedp.WaitVisible(css("#site-icp")))
	icp := text(t, ctx, "#site-icp")
	href := get(t, ctx, chromedp.AttributeValue(css("#site-icp"), "href")).Value
	psb := text(t, ctx, "#site-psb")
	organizers := get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("#site-organizer").length`))
	if icp != "渝ICP备12345678号-1" || href != "https://beian.miit.gov.cn/" || psb != "渝公网安备 50010202000123号" || organizers != 0 {
		t.Errorf("after the save: ICP %q → %q, 公安 %q, %d 承办单位 (cleared)", icp, href, psb, organizers)
	}
}

// A citizen's pages carry nothing for developers: no SHA-256 column, no
// audit-log verification links, no UUID naming a draft, no 运行状态 block;
// link-buttons look like buttons, with a 44 px tap height.
func TestCitizenPagesHaveNoDeveloperArtefacts(t *testing.T) {
	base := startDemo(t)
	ctx := browser(t)
	do(t, ctx, chromedp.Navigate(base+"/"), chromedp.WaitVisible(css("#hot")))
	if body := text(t, ctx, "main"); strings.Contains(body, "运行状态") {
		t.Errorf("the home page shows 运行状态")
	}
	login(t, ctx, base, "zhangsan")
	do(t, ctx, chromedp.Navigate(base+"/my/cases"), chromedp.WaitVisible(css("#case-list")))
	refs := get(t, ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#case-list a[href^="/cases/"]')].map(a => a.getAttribute('href')).slice(0, 6)`))
	if len(refs) == 0 {
		t.Fatal("张三 has no cases")
	}
	materials, events := 0, 0
	for _, ref := range refs {
		do(t, ctx, chromedp.Navigate(base+ref), chromedp.WaitVisible(css("#case-status")))
		found := get(t, ctx, chromedp.Evaluate[[]string](`(() => {
			const out = [];
			if (document.body.innerText.includes('SHA-256')) out.push('SHA-256');
			if ((document.querySelector('#case-materials')?.innerText || '').includes('application/')) out.push('content type');
			if (document.querySelector('.audit-link, a[href*="/audit/"]')) out.push('audit link');
			if (/审计日志|核验/.test(document.querySelector('#timeline thead')?.innerText || '')) out.push('audit column');
			return out;
		})()`))
		if len(found) > 0 {
			t.Errorf("%s shows %v", ref, found)
		}
		shot(t, ctx, "case-citizen")
		materials += get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('#case-materials tbody tr').length`))
		events += get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('#timeline tbody tr').length`))
	}
	if materials == 0 || events == 0 {
		t.Errorf("the cases looked at show %d materials and %d events: nothing was checked", materials, events)
	}

	// The guide's 在线申报 is a link-button; the form's 保存草稿 a button.
	do(t, ctx, chromedp.Navigate(base+"/items?q=个体工商户设立登记"), chromedp.WaitVisible(css("a.item-name")), chromedp.Click(css("a.item-name")),
		chromedp.WaitVisible(css("#apply-online")))
	buttonLike(t, ctx, "#apply-online", true)
	do(t, ctx, chromedp.Click(css("#apply-online")), chromedp.WaitVisible(css("#save-draft")))
	buttonLike(t, ctx, "#save-draft", false)
	do(t, ctx, chromedp.Click(css("#save-draft")), chromedp.WaitVisible(css("#case-crumb")))
	shot(t, ctx, "case-draft")
	crumb := text(t, ctx, "#case-crumb")
	title := get(t, ctx, chromedp.Title())
	uuid := regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-`)
	if !strings.Contains(crumb, "个体工商户设立登记") || !strings.Contains(crumb, "草稿") || uuid.MatchString(crumb) || uuid.MatchString(title) {
		t.Errorf("a draft is named %q (title %q)", crumb, title)
	}
}

// buttonLike checks an element looks like a button: a background or
// border that shows, padding, at least 44 px tall; filled when primary.
func buttonLike(t *testing.T, ctx context.Context, sel string, primary bool) {
	t.Helper()
	type style struct {
		Height       float64 `json:"height"`
		MinHeight    string  `json:"minHeight"`
		PadLeft      float64 `json:"padLeft"`
		Background   string  `json:"background"`
		BorderWidth  float64 `json:"borderWidth"`
		BorderColour string  `json:"borderColour"`
		Colour       string  `json:"colour"`
		Decoration   string  `json:"decoration"`
	}
	st := get(t, ctx, chromedp.Evaluate[style](fmt.Sprintf(`(() => { const e = document.querySelector(%q), s = getComputedStyle(e);
		return {height: e.getBoundingClientRect().height, minHeight: s.minHeight, padLeft: parseFloat(s.paddingLeft), background: s.backgroundColor,
			borderWidth: parseFloat(s.borderTopWidth), borderColour: s.borderTopColor, colour: s.color, decoration: s.textDecorationLine}; })()`, sel)))
	if st.Height < 44 || st.PadLeft < 8 || st.BorderWidth < 1 || st.Decoration != "none" {
		t.Errorf("%s does not look like a button: %+v", sel, st)
	}
	if primary && (st.Background == "rgba(0, 0, 0, 0)" || st.Colour != "rgb(255, 255, 255)") {
		t.Errorf("%s is not a filled primary button: %+v", sel, st)
	}
	if !primary && st.BorderColour == "rgba(255, 255, 255, 0.8)" {
		t.Errorf("%s has the header's white border on a white page: %+v", sel, st)
	}
}

// 关怀模式 scales everything — headings, hints and badges too — by 1.25 or
// more and keeps every text at 7:1 contrast or more (WCAG AAA); standard
// mode at 4.5:1 (AA), the header's 通知 link included. The header's
// buttons are named by their visible text.
func TestCareModeScalesAndContrasts(t *testing.T) {
	base := startDemo(t)
	ctx := browser(t)
	login(t, ctx, base, "zhangsan")
	sels := []string{"h1", "main h2", "main .hint", "main .badge", "main .meta", ".brand-name", "#notifications-link"}
	pages := []string{"/", "/items?q=" + "身份证", "/my/cases", "/progress", "/verify", "/licences", "/notifications"}
	// and a case of 张三's, and the guide of the first item found.
	do(t, ctx, chromedp.Navigate(base+"/my/cases"), chromedp.WaitVisible(css("#case-list")))
	pages = append(pages, get(t, ctx, chromedp.Evaluate[string](`document.querySelector('#case-list a[href^="/cases/"]').getAttribute('href')`)))
	do(t, ctx, chromedp.Navigate(base+"/items?q=身份证"), chromedp.WaitVisible(css("a.item-name")))
	pages = append(pages, get(t, ctx, chromedp.Evaluate[string](`document.querySelector('a.item-name').getAttribute('href')`)))
	normal := map[string][]float64{}
	for _, p := range pages {
		do(t, ctx, chromedp.Navigate(base+p), chromedp.WaitVisible(css("h1")))
		normal[p] = get(t, ctx, chromedp.Evaluate[[]float64](sizesJS+`(`+jsList(sels)+`)`))
		if low := get(t, ctx, chromedp.Evaluate[[]string](contrastJS+`(4.5)`)); len(low) > 0 {
			t.Errorf("standard mode %s: text under 4.5:1: %v", p, low)
		}
		names := get(t, ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('.tools button, .tools a')].filter(b => {
			const label = b.getAttribute('aria-label'); return label && !label.includes(b.innerText.trim()); }).map(b => b.id)`))
		if len(names) > 0 {
			t.Errorf("%s: controls whose name lacks their visible text: %v", p, names)
		}
	}
	// At a phone's width the header stays compact: under a quarter of the
	// screen, signed in (four tools) as well.
	phone(t, ctx, base, "standard")
	do(t, ctx, chromedp.EmulateViewport(1280, 900))
	do(t, ctx, chromedp.Click(css("#switch-care")), chromedp.WaitVisible(css("body.care")))
	// The toggle keeps its name; aria-pressed says it is on.
	if label, pressed := text(t, ctx, "#switch-care"), get(t, ctx, chromedp.AttributeValue(css("#switch-care"), "aria-pressed")).Value; label != "关怀模式" || pressed != "true" {
		t.Errorf("care mode's toggle reads %q, pressed %q", label, pressed)
	}
	for _, p := range pages {
		do(t, ctx, chromedp.Navigate(base+p), chromedp.WaitVisible(css("body.care h1")))
		care := get(t, ctx, chromedp.Evaluate[[]float64](sizesJS+`(`+jsList(sels)+`)`))
		for i, sel := range sels {
			if normal[p][i] == 0 {
				continue // not on this page
			}
			if care[i] < 1.25*normal[p][i]-0.01 {
				t.Errorf("care mode %s %s: %.1fpx, standard %.1fpx (want ×1.25)", p, sel, care[i], normal[p][i])
			}
		}
		if low := get(t, ctx, chromedp.Evaluate[[]string](contrastJS+`(7)`)); len(low) > 0 {
			t.Errorf("care mode %s: text under 7:1: %v", p, low)
		}
	}
	phone(t, ctx, base, "care")
	// The page with every kind of element checked has them all.
	if n := normal["/"]; n[0] == 0 || n[1] == 0 || n[3] == 0 {
		t.Errorf("the home page lacks h1, h2 or badges: %v", n)
	}
	if n := normal["/my/cases"]; n[2] == 0 || n[6] == 0 {
		t.Errorf("我的办件 lacks hints or the 通知 link: %v", n)
	}
}

func jsList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(q, ",") + "]"
}

// phone opens 我的办件 at 375 px: the header takes at most a quarter of
// the screen (a third in care mode, whose type is larger) and nothing
// scrolls sideways.
func phone(t *testing.T, ctx context.Context, base, mode string) {
	t.Helper()
	do(t, ctx, chromedp.EmulateViewport(375, 740), chromedp.Navigate(base+"/my/cases"), chromedp.WaitVisible(css("h1")))
	header := get(t, ctx, chromedp.Evaluate[float64](`document.querySelector('header.top').getBoundingClientRect().height`))
	wide := get(t, ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
	shot(t, ctx, "mycases-phone-"+mode)
	limit := 740.0 / 4
	if mode == "care" {
		limit = 740.0 / 3
	}
	if header > limit || wide {
		t.Errorf("%s mode at 375 px: the header is %.0f px tall (at most %.0f), sideways scroll %v", mode, header, limit, wide)
	}
}
