package e2e

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"encoding/json"

	"github.com/chromedp/chromedp"
)

// The clerk's workbench uses the screen (issue 17): tabs with counts, a
// filter, a search and a sortable column, each through the page's links
// and GET form, which keep one another.
func TestWorkbenchTabsFilterSearchSort(t *testing.T) {
	base := startDemo(t)
	ctx := browser(t)
	login(t, ctx, base, "clerk")
	do(t, ctx, chromedp.Navigate(base+"/workbench"), chromedp.WaitVisible(css("#tabs")), chromedp.WaitVisible(css("#filters")))
	tabs := get(t, ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#tabs a")].map(a => a.dataset.tab + ":" + a.querySelector(".count").textContent)`))
	if len(tabs) != 6 || !strings.HasPrefix(tabs[0], "todo:") || get(t, ctx, chromedp.AttributeValue(css("#tab-todo"), "aria-current")).Value != "page" {
		t.Fatalf("tabs: %q", tabs)
	}
	shot(t, ctx, "workbench-tabs")

	// 在办: every running case of the region; its count is its rows'.
	do(t, ctx, chromedp.Click(css("#tab-doing")), chromedp.WaitVisible(css(`#tab-doing[aria-current="page"]`)), chromedp.WaitVisible(css("#case-list")))
	rows := func() []string {
		return get(t, ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#case-list tbody tr")].map(r => r.cells[0].textContent.trim() + "|" + r.cells[2].textContent.trim() + "|" + r.cells[3].textContent.trim() + "|" + r.cells[5].textContent.trim())`))
	}
	doing := rows()
	count := get(t, ctx, chromedp.Text(css("#tab-doing .count")))
	if len(doing) < 2 || count == "0" {
		t.Fatalf("在办 %s: %q", count, doing)
	}
	for _, r := range doing {
		if strings.Contains(r, "已办结") || strings.Contains(r, "已送达") || strings.Contains(r, "500102198506120011") {
			t.Errorf("在办 lists %q (a finished case, or an unmasked ID number)", r)
		}
	}

	// Sort by filing time, then the other way: the page keeps the tab.
	do(t, ctx, chromedp.Click(css("#sort-filed")), chromedp.WaitVisible(css(`#sort-filed[data-sort="ascending"]`)))
	asc := rows()
	filed := func(rs []string) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r[strings.LastIndex(r, "|")+1:])
		}
		return out
	}
	if !slices.IsSorted(filed(asc)) || len(asc) != len(doing) || !strings.Contains(get(t, ctx, chromedp.Location()), "tab=doing") {
		t.Fatalf("ascending by filing: %q", asc)
	}
	do(t, ctx, chromedp.Click(css("#sort-filed")), chromedp.WaitVisible(css(`#sort-filed[data-sort="descending"]`)))
	desc := filed(rows())
	if !slices.IsSortedFunc(desc, func(a, b string) int { return strings.Compare(b, a) }) || desc[0] != filed(asc)[len(asc)-1] {
		t.Fatalf("descending by filing: %q", desc)
	}
	shot(t, ctx, "workbench-sorted")

	// A filter: 待预审受理 only; the sort stays.
	do(t, ctx, chromedp.SetValue(css("#wb-status"), "pre_review"), chromedp.Click(css("#wb-filter")),
		chromedp.WaitReady(css(`#wb-status option[value="pre_review"][selected]`)))
	pre := rows()
	loc := get(t, ctx, chromedp.Location())
	if len(pre) == 0 || len(pre) >= len(doing) || !strings.Contains(loc, "sort=filed") || !strings.Contains(loc, "tab=doing") {
		t.Fatalf("filtered by status at %s: %q", loc, pre)
	}
	for _, r := range pre {
		if !strings.Contains(r, "待预审受理") {
			t.Errorf("the 待预审受理 filter lists %q", r)
		}
	}

	// Search by a case number: that case alone; then by its applicant's name.
	no := doing[0][:strings.Index(doing[0], "|")]
	reset := get(t, ctx, chromedp.AttributeValue(css("#wb-reset"), "href")).Value
	if reset != "/workbench?tab=doing" {
		t.Errorf("clear filters: %q", reset)
	}
	do(t, ctx, chromedp.Navigate(base+reset), chromedp.WaitVisible(css(`#tab-doing[aria-current="page"]`)),
		chromedp.SendKeys(css("#wb-q"), no), chromedp.Click(css("#wb-filter")), chromedp.WaitVisible(css(`#wb-q[value="`+no+`"]`)))
	if found := rows(); len(found) != 1 || !strings.HasPrefix(found[0], no+"|") {
		t.Fatalf("search %s: %q", no, found)
	}
	do(t, ctx, chromedp.SetValue(css("#wb-q"), "张三"), chromedp.Click(css("#wb-filter")), chromedp.WaitVisible(css(`#wb-q[value="张三"]`)))
	byName := rows()
	if len(byName) == 0 {
		t.Fatal("search 张三: nothing")
	}
	for _, r := range byName {
		if !strings.Contains(r, "张三") {
			t.Errorf("search 张三 lists %q", r)
		}
	}
	if n := get(t, ctx, chromedp.Text(css("#tab-doing .count"))); n != itoa(len(byName)) {
		t.Errorf("the tab counts %s of 张三's cases, the list shows %d", n, len(byName))
	}
	shot(t, ctx, "workbench-search")
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// At intake the clerk types the applicant's name and number once, and a
// failed check keeps every input: the applicant, the form, the ticked
// originals and the chosen file, which the accepted case then carries.
func TestIntakeKeepsInputsAfterAFailedCheck(t *testing.T) {
	base := startDemo(t)
	ctx := browser(t)
	dir := t.TempDir()
	scan := filepath.Join(dir, "lease-scan.pdf")
	os.WriteFile(scan, []byte("%PDF-1.4\n% lease\n%%EOF\n"), 0o644)
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

	login(t, ctx, base, "clerk")
	do(t, ctx, chromedp.Navigate(base+"/workbench/intake?code="+code+"&a.premises=rented"), chromedp.WaitVisible(css("#apply")))
	// The name and number are asked once, in the applicant's fieldset.
	if n := get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("#f-applicant_name, #f-applicant_id").length`)); n != 0 {
		t.Fatalf("the form asks the applicant's name and number again (%d fields)", n)
	}
	do(t, ctx,
		chromedp.SendKeys(css("#f-applicant"), "110105194912310055"), chromedp.SendKeys(css("#f-applicant-name"), "孙八"),
		chromedp.SetValue(css("#f-form_of"), "person"), chromedp.SetValue(css("#f-scope"), "小吃服务"),
		chromedp.Click(css(`input[name="originals"][value="application"]`)), chromedp.Click(css(`input[name="originals"][value="id_card"]`)),
		chromedp.SetUploadFiles(css(`input[name="m.lease"]`), []string{scan}),
		// A mistyped ID number; no phone, no address, no capital: the check fails.
		chromedp.Click(css("#check-form")), chromedp.WaitVisible(css(`[data-chosen="lease"]`)))
	shot(t, ctx, "intake-kept")
	kept := get(t, ctx, chromedp.Evaluate[map[string]any](`({
		applicant: document.querySelector("#f-applicant").value, name: document.querySelector("#f-applicant-name").value,
		scope: document.querySelector("#f-scope").value, form_of: document.querySelector("#f-form_of").value,
		originals: [...document.querySelectorAll('input[name="originals"]:checked')].map(i => i.value).join(","),
		chosen: document.querySelector('[data-chosen="lease"]').textContent, hidden: document.querySelectorAll('input[name="u.lease"]').length,
		errors: [...document.querySelectorAll('.field.invalid input, .field.invalid select, .field.invalid .region-picker')].map(i => i.id).join(",")})`))
	if kept["applicant"] != "110105194912310055" || !strings.Contains(kept["errors"].(string), "f-applicant,") || kept["name"] != "孙八" || kept["scope"] != "小吃服务" || kept["form_of"] != "person" ||
		kept["originals"] != "application,id_card" || !strings.Contains(kept["chosen"].(string), "lease-scan.pdf") || kept["hidden"] != float64(1) ||
		!strings.Contains(kept["errors"].(string), "f-applicant_phone") {
		t.Fatalf("after a failed check: %v", kept)
	}
	// Completed and accepted: the case carries the file chosen before the check.
	do(t, ctx,
		chromedp.SetValue(css("#f-applicant"), "110105194912310054"), chromedp.SetValue(css("#f-applicant_phone"), "13900139000"), chromedp.SetValue(css("#f-capital"), "5"),
		chromedp.SetValue(css(`select[name="org_address.town"]`), "500102006000"),
		chromedp.SetValue(css(`input[name="org_address.detail"]`), "滨江路 9 号"),
		chromedp.Click(css("#intake-accept")), chromedp.WaitVisible(css("#case-status, #problem")))
	if n := get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("#case-status").length`)); n == 0 {
		t.Fatalf("not accepted: %s", get(t, ctx, chromedp.Text(css("main"))))
	}
	page := get(t, ctx, chromedp.Text(css("main")))
	if !strings.Contains(page, "lease-scan.pdf") || !strings.Contains(page, "孙八") {
		t.Fatalf("the accepted case: %s", page)
	}
}
