package e2e

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// axeSource is axe-core (npm, MPL-2.0, pinned in tools/npm; licence beside
// it). It lives with the tests and is injected into the page under test: it
// is never served by tongban.
//
//go:embed testdata/axe-core/axe.min.js
var axeSource string

// axeRun runs axe once on the current document: the rules tagged wcag2a,
// wcag2aa and best-practice that can find serious or critical faults,
// violations only, and returns the serious and critical ones. It waits (at
// most 5 s) for the document's load event first.
const axeRun = `;(async () => {
	window.__tongbanAxe = true;
	if (document.readyState !== 'complete') {
		await new Promise(r => { addEventListener('load', r, {once: true}); setTimeout(r, 5000); });
	}
	// Of those rules, only the ones that can find a serious or critical
	// fault: a rule with an impact of its own gives every node that impact
	// (axe-core's aggregation), so a moderate or minor rule is not run.
	const tags = ['wcag2a', 'wcag2aa', 'best-practice'];
	const rules = axe._audit.rules.filter(r => r.enabled !== false && r.tags.some(t => tags.includes(t)) &&
		!r.tags.some(t => t === 'experimental' || t === 'deprecated') && r.impact !== 'moderate' && r.impact !== 'minor').map(r => r.id);
	const res = await axe.run(document, {
		runOnly: {type: 'rule', values: rules},
		resultTypes: ['violations'],
		iframes: false,
	});
	const grave = i => i === 'serious' || i === 'critical';
	return res.violations.filter(v => grave(v.impact)).map(v => ({
		id: v.id, impact: v.impact, help: v.help,
		nodes: v.nodes.filter(n => grave(n.impact)).map(n => ({
			target: n.target.map(String).join(' '), html: n.html.slice(0, 160),
			summary: (n.failureSummary || '').replace(/\s+/g, ' ').slice(0, 240),
		})),
	}));
})()`

type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target  string `json:"target"`
		HTML    string `json:"html"`
		Summary string `json:"summary"`
	} `json:"nodes"`
}

// axeKnown are rule and selector pairs left out of the check, each with its
// reason. Keep it short: a violation is fixed, not listed here.
var axeKnown = []struct{ rule, target, why string }{}

func axeIgnored(rule, target string) bool {
	for _, k := range axeKnown {
		if k.rule == rule && k.target == target {
			return true
		}
	}
	return false
}

// axeTests keeps, per test, the violations already reported (so that a
// header's fault is reported once, not on every page), the pages checked
// (each once per test: axe-core takes from 0.2 s on a small page to several
// seconds on /admin/adoptions' 10,000 elements), and how many pages axe
// checked in how long, logged at the test's end (go test -v).
var axeTests sync.Map // *testing.T → *axeTally

type axeTally struct {
	seen    map[string]bool // violations reported
	checked map[string]bool // pages checked (see axeCheck)
	pages   int
	took    time.Duration
}

func axeTallyOf(t *testing.T) *axeTally {
	v, loaded := axeTests.LoadOrStore(t, &axeTally{seen: map[string]bool{}, checked: map[string]bool{}})
	a := v.(*axeTally)
	if !loaded {
		t.Cleanup(func() {
			t.Logf("axe-core checked %d pages in %v", a.pages, a.took.Round(time.Millisecond))
			axeTests.Delete(t)
		})
	}
	return a
}

// axeCheck runs axe on the page ctx shows unless it already ran on this
// document or (with checked) on the same page in another document, and
// returns the serious and critical violations. ran is false when the page
// was not checked: already checked, not an HTML page served over HTTP, or
// gone (a navigation) while it was checked, which the next step's check
// catches up on.
func axeCheck(ctx context.Context, checked map[string]bool) (vs []axeViolation, ran bool, err error) {
	fresh, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`location.protocol.startsWith('http') && document.contentType === 'text/html' && !window.__tongbanAxe`))
	if err != nil || !fresh {
		return nil, false, nil
	}
	if checked != nil {
		// The page as a reader meets it: its path, language, 关怀模式 and
		// width; a query (?done=saved, another search) shows the same page.
		key, err := chromedp.Run(ctx, chromedp.Evaluate[string](`window.__tongbanAxe = true, [location.pathname, document.documentElement.lang, document.body && document.body.className, innerWidth].join(' ')`))
		if err != nil || checked[key] {
			return nil, false, nil
		}
		checked[key] = true
	}
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](axeSource+axeRun, chromedp.EvalAwaitPromise))
	var exc *chromedp.ExceptionError
	if errors.As(err, &exc) {
		// A fault of axe's on the page it ran on fails the test; one on a
		// page being left (a navigation under way) does not.
		if same, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__tongbanAxe === true`)); same {
			return nil, false, fmt.Errorf("axe-core did not run: %w", err)
		}
		return nil, false, nil
	}
	if err != nil {
		return nil, false, nil
	}
	if err := json.Unmarshal(raw, &vs); err != nil {
		return nil, false, fmt.Errorf("axe-core result: %w", err)
	}
	return vs, true, nil
}

// checkAxe runs axe-core on the page ctx shows, once per page and test (see
// axeCheck), and fails the test (without stopping it) on every serious or
// critical violation not in axeKnown, naming the rule, its impact and the
// nodes; each rule and node is reported once per test.
func checkAxe(t *testing.T, ctx context.Context) {
	t.Helper()
	start := time.Now()
	tally := axeTallyOf(t)
	vs, ran, err := axeCheck(ctx, tally.checked)
	if err != nil {
		t.Fatal(err)
	}
	if !ran {
		return
	}
	tally.pages++
	tally.took += time.Since(start)
	if len(vs) == 0 {
		return
	}
	seen := tally.seen
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	var b strings.Builder
	for _, v := range vs {
		for _, n := range v.Nodes {
			key := v.ID + " " + n.Target
			if axeIgnored(v.ID, n.Target) || seen[key] {
				continue
			}
			seen[key] = true
			fmt.Fprintf(&b, "\n  %s (%s, %s) at %s: %s\n    %s", v.ID, v.Impact, v.Help, n.Target, n.Summary, n.HTML)
		}
	}
	if b.Len() > 0 {
		t.Errorf("axe-core on %s:%s", loc, b.String())
	}
}

// The checker itself: on a page with an unnamed button, an image without
// alternative text and a field without a label, axe-core reports each
// (critical or serious) with its node; a sound page passes; a document, and
// a page, is checked once.
func TestAxeFindsViolations(t *testing.T) {
	pages := map[string]string{
		"/bad":  `<!doctype html><html lang="zh-CN"><head><title>坏</title></head><body><main><h1>坏页面</h1><button id="b"></button><img id="i" src="/x.png"><input id="f"></main></body></html>`,
		"/good": `<!doctype html><html lang="zh-CN"><head><title>好</title></head><body><main><h1>好页面</h1><button>提交</button><img src="/x.png" alt="印章"><label for="f">姓名</label><input id="f"></main></body></html>`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := pages[r.URL.Path]; ok {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(w, p)
			return
		}
		http.NotFound(w, r)
	}))
	defer srv.Close()
	ctx := browser(t)

	checked := map[string]bool{}
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/bad")); err != nil {
		t.Fatal(err)
	}
	vs, ran, err := axeCheck(ctx, checked)
	if err != nil || !ran {
		t.Fatalf("axe on the bad page: ran=%v err=%v", ran, err)
	}
	found := map[string]string{}
	for _, v := range vs {
		for _, n := range v.Nodes {
			found[v.ID] = n.Target
		}
	}
	for rule, target := range map[string]string{"button-name": "#b", "image-alt": "#i", "label": "#f"} {
		if found[rule] != target {
			t.Errorf("rule %s: want node %s, got %q (all: %v)", rule, target, found[rule], found)
		}
	}
	if _, again, _ := axeCheck(ctx, nil); again {
		t.Error("axe ran twice on one document")
	}
	// The same page again, in a new document and with a query: not again.
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/bad?again=1")); err != nil {
		t.Fatal(err)
	}
	if _, again, _ := axeCheck(ctx, checked); again {
		t.Error("axe ran twice on one page")
	}

	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/good")); err != nil {
		t.Fatal(err)
	}
	if vs, ran, err := axeCheck(ctx, checked); err != nil || !ran || len(vs) != 0 {
		t.Errorf("the sound page: ran=%v err=%v violations=%v", ran, err, vs)
	}
}
