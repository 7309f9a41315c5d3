// Package e2e drives the real tongban command in a real browser (Debian
// chromium through chromedp). With TONGBAN_REQUIRE_BROWSER=1 (CI), a missing
// browser fails the tests instead of skipping them.
package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tongban/tongban/internal/cli"
)

// startDemo runs `tongban demo` on a free port in a temporary directory and
// returns its URL; the server stops when the test ends.
func startDemo(t *testing.T) string {
	t.Helper()
	return startDemoIn(t, t.TempDir())
}

// startDemoIn is startDemo with its database (tongban.db) and data key
// (tongban-data.key) in dir, for a test that reaches them directly.
func startDemoIn(t *testing.T, dir string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	urls := make(chan string, 1)
	done := make(chan int, 1)
	var out strings.Builder
	go func() {
		done <- cli.Main(ctx, &cli.Env{
			Args:   []string{"demo", "--addr", "127.0.0.1:0", "--db", "sqlite:" + filepath.Join(dir, "tongban.db"), "--log-level", "warn"},
			Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" },
			Ready: func(u string) { urls <- u },
		})
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		if t.Failed() {
			t.Logf("tongban demo log:\n%s", out.String())
		}
	})
	select {
	case u := <-urls:
		return strings.TrimSuffix(u, "/")
	case code := <-done:
		t.Fatalf("tongban demo exited with %d:\n%s", code, out.String())
	case <-time.After(30 * time.Second):
		t.Fatal("tongban demo did not start")
	}
	return ""
}

// browser returns a chromedp context on Debian's chromium, for 150 seconds
// (axe-core's checks of each page take their share).
func browser(t *testing.T) context.Context {
	t.Helper()
	return browserFor(t, 150*time.Second)
}

// browserFor returns a chromedp context on Debian's chromium that ends
// after d.
func browserFor(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("TONGBAN_REQUIRE_BROWSER") == "1" {
			t.Fatal("TONGBAN_REQUIRE_BROWSER=1 but chromium is not installed")
		}
		t.Skip("chromium not installed")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, d)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	return ctx
}

// get runs one action and returns its result, failing the test on error.
// Like do, it runs axe-core on a page it is the first to see.
func get[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	checkAxe(t, ctx)
	return v
}

// do runs the steps one by one, failing the test on error. After each step,
// a page not yet checked is checked by axe-core (checkAxe): so every page a
// test visits is checked once, whichever step brought it.
func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	for _, s := range steps {
		if err := chromedp.Do(ctx, s); err != nil {
			t.Fatal(err)
		}
		checkAxe(t, ctx)
	}
}

type css = chromedp.CSS

// shot saves a screenshot when TONGBAN_SCREENSHOTS names a directory.
func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("TONGBAN_SCREENSHOTS")
	if dir == "" {
		return
	}
	png := get(t, ctx, chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestClerkWorkbenchLanguageAndCareMode(t *testing.T) {
	base := startDemo(t)
	ctx := browser(t)

	do(t, ctx,
		chromedp.Navigate(base+"/workbench"), // not logged in: sent to the login page
		chromedp.WaitVisible(css("#username")),
	)
	shot(t, ctx, "login")
	do(t, ctx,
		chromedp.SendKeys(css("#username"), "clerk"),
		chromedp.SendKeys(css("#password"), "tongban-demo"),
		chromedp.Click(css("#login-submit")),
		chromedp.WaitVisible(css("#posts")),
		// The inbox is refreshed by htmx after load: proves the vendored htmx runs.
		chromedp.WaitReady(css("#inbox #inbox-live")),
	)
	lang := get(t, ctx, chromedp.AttributeValue(css("html"), "lang")).Value
	h1 := get(t, ctx, chromedp.Text(css("h1")))
	posts := get(t, ctx, chromedp.Text(css("#posts")))
	inbox := get(t, ctx, chromedp.Text(css("#inbox")))
	loc := get(t, ctx, chromedp.Location())
	shot(t, ctx, "workbench-zh")
	if lang != "zh-CN" || h1 != "工作台" || !strings.HasSuffix(loc, "/workbench") || !strings.Contains(posts, "综合窗口人员") ||
		!strings.Contains(posts, "重庆市涪陵区政务服务管理办公室") || !strings.Contains(inbox, "待预审受理") {
		t.Fatalf("Chinese workbench: lang=%q h1=%q loc=%q posts=%q inbox=%q", lang, h1, loc, posts, inbox)
	}

	// Switch to English: the same page, now in English.
	do(t, ctx, chromedp.Click(css("#switch-lang")), chromedp.WaitVisible(css(`html[lang="en"]`)), chromedp.WaitVisible(css("#posts")))
	h1 = get(t, ctx, chromedp.Text(css("h1")))
	posts = get(t, ctx, chromedp.Text(css("#posts")))
	shot(t, ctx, "workbench-en")
	if h1 != "Workbench" || !strings.Contains(posts, "Window clerk") {
		t.Fatalf("English workbench: h1=%q posts=%q", h1, posts)
	}

	// 关怀模式: larger type; it persists across a reload.
	before := get(t, ctx, chromedp.Evaluate[string](`getComputedStyle(document.body).fontSize`))
	do(t, ctx,
		chromedp.Click(css("#switch-care")),
		chromedp.WaitVisible(css("body.care")),
		chromedp.Reload(),
		chromedp.WaitVisible(css("#posts")),
	)
	bodyClass := get(t, ctx, chromedp.AttributeValue(css("body"), "class")).Value
	after := get(t, ctx, chromedp.Evaluate[string](`getComputedStyle(document.body).fontSize`))
	lang = get(t, ctx, chromedp.AttributeValue(css("html"), "lang")).Value
	pressed := get(t, ctx, chromedp.AttributeValue(css("#switch-care"), "aria-pressed")).Value
	shot(t, ctx, "workbench-care")
	if bodyClass != "care" || lang != "en" || before != "16px" || after != "20px" || pressed != "true" {
		t.Fatalf("care mode: class=%q lang=%q pressed=%q font %s → %s", bodyClass, lang, pressed, before, after)
	}
}
