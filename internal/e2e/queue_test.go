package e2e

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tongban/tongban/internal/db"
)

// The service hall's queue (issue 19): the administrator gives the district
// hall a service served by its windows; a visitor takes A001 at the hall's
// take page; the clerk signs on to a window and calls next; the display
// board (another browser, live by Server-Sent Events) shows A001 at that
// window; the clerk serves and finishes with a case to file, is led to
// intake with the item chosen, and files the case, which the ticket records.
func TestHallQueue(t *testing.T) {
	dir := t.TempDir()
	base := startDemoIn(t, dir)
	var halls struct {
		Halls []struct {
			ID         string `json:"id"`
			RegionCode string `json:"region_code"`
		} `json:"halls"`
	}
	api(t, base, "", "GET", "/api/v1/halls?region=500102", nil, &halls)
	hall := ""
	for _, h := range halls.Halls {
		if h.RegionCode == "500102" {
			hall = h.ID
		}
	}
	var items struct {
		Items []struct {
			ImplCode string `json:"impl_code"`
		} `json:"items"`
	}
	api(t, base, "", "GET", "/api/v1/items?q="+url.QueryEscape("个体工商户设立登记"), nil, &items)
	if hall == "" || len(items.Items) == 0 {
		t.Fatalf("no district hall (%v) or item", halls)
	}
	code := items.Items[0].ImplCode

	ctx := browser(t)
	login(t, ctx, base, "admin")
	do(t, ctx, chromedp.Navigate(base+"/admin/organisation/halls/"+hall+"/queue"), chromedp.WaitVisible(css("#new-service")),
		chromedp.SetValue(css("#sp-new"), "A"), chromedp.SetValue(css("#sn-new"), "综合受理"), chromedp.SetValue(css("#sm-new"), "10"),
		chromedp.SetValue(css("#si-new"), code),
		chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('#new-service input[name=windows]').forEach(c => c.checked = true)`),
		chromedp.Click(css("#create-service")), chromedp.WaitVisible(css("#queue-done")))
	if list := get(t, ctx, chromedp.Text(css("#service-list"))); !strings.Contains(list, "综合受理") {
		t.Fatalf("services: %q", list)
	}
	shot(t, ctx, "queue-services")
	do(t, ctx, chromedp.Click(css("#logout")), chromedp.WaitVisible(css("#login-link")))

	// A visitor takes a number at the hall's take page.
	do(t, ctx, chromedp.Navigate(base+"/hall/"+hall+"/take"), chromedp.WaitVisible(css("#take-form")),
		chromedp.Click(css("#svc-A")), chromedp.Click(css("#take")), chromedp.WaitVisible(css("#ticket-number")))
	if n := get(t, ctx, chromedp.Text(css("#ticket-number"))); n != "A001" {
		t.Fatalf("ticket %q", n)
	}
	if ahead := get(t, ctx, chromedp.Text(css("#ticket-ahead"))); !strings.Contains(ahead, "前面还有 0 人") {
		t.Fatalf("ahead: %q", ahead)
	}
	shot(t, ctx, "queue-ticket")

	// The hall's screen: another browser.
	board := browser(t)
	do(t, board, chromedp.Navigate(base+"/hall/"+hall+"/board"), chromedp.WaitVisible(css("#board-hall")),
		chromedp.WaitVisible(css(`#board-next li[data-prefix="A"]`)))
	if next := get(t, board, chromedp.Text(css(`#board-next li[data-prefix="A"]`))); !strings.Contains(next, "A001") {
		t.Fatalf("board's next: %q", next)
	}

	// The clerk signs on to a window of the district hall and calls next.
	login(t, ctx, base, "clerk")
	do(t, ctx, chromedp.Navigate(base+"/hall/console"), chromedp.WaitVisible(css(`section[aria-labelledby="h-`+hall+`"] button`)),
		chromedp.Click(css(`section[aria-labelledby="h-`+hall+`"] button`)), chromedp.WaitVisible(css("#call-next")))
	window := get(t, ctx, chromedp.Text(css("#console-window")))
	do(t, ctx, chromedp.Click(css("#call-next")), chromedp.WaitVisible(css("#cur-A001")))
	shot(t, ctx, "queue-console")

	// The board shows the call, pushed by its event stream.
	do(t, board, chromedp.WaitVisible(css(`#board-calls tr[data-number="A001"]`)))
	row := get(t, board, chromedp.Text(css(`#board-calls tr[data-number="A001"]`)))
	win := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(row), "A001"))
	if win == "" || !strings.Contains(window, win+" 号窗口") {
		t.Fatalf("board row %q, console %q", row, window)
	}
	shot(t, board, "queue-board")

	// Served and finished with a case: intake, with the item.
	do(t, ctx, chromedp.Click(css("#start-A001")), chromedp.WaitVisible(css("#finish-A001")),
		chromedp.SetValue(css("#fo-A001"), "case"), chromedp.SetValue(css("#fi-A001"), code),
		chromedp.Click(css("#finish-btn-A001")), chromedp.WaitVisible(css("#apply")))
	if loc := get(t, ctx, chromedp.Location()); !strings.Contains(loc, "/workbench/intake?code="+code) {
		t.Fatalf("after finishing: %s", loc)
	}
	scan := filepath.Join(dir, "lease.pdf")
	os.WriteFile(scan, []byte("%PDF-1.4\n% lease\n%%EOF\n"), 0o644)
	do(t, ctx,
		chromedp.SendKeys(css("#f-applicant"), "110105194912310054"), chromedp.SendKeys(css("#f-applicant-name"), "孙八"),
		chromedp.SetValue(css("#f-form_of"), "person"), chromedp.SetValue(css("#f-scope"), "小吃服务"),
		chromedp.SetValue(css("#f-applicant_phone"), "13900139000"), chromedp.SetValue(css("#f-capital"), "5"),
		chromedp.SetValue(css(`select[name="org_address.town"]`), "500102006000"),
		chromedp.SetValue(css(`input[name="org_address.detail"]`), "滨江路 9 号"),
		chromedp.Click(css(`input[name="originals"][value="application"]`)), chromedp.Click(css(`input[name="originals"][value="id_card"]`)),
		chromedp.SetUploadFiles(css(`input[name="m.lease"]`), []string{scan}),
		chromedp.Click(css("#intake-accept")), chromedp.WaitVisible(css("#case-status, #problem")))
	if n := get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("#case-status").length`)); n == 0 {
		t.Fatalf("not accepted: %s", get(t, ctx, chromedp.Text(css("main"))))
	}
	caseNo := get(t, ctx, chromedp.Text(css("#case-no")))
	d, err := db.Open(context.Background(), "sqlite:"+filepath.Join(dir, "tongban.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var linked string
	if err := d.Reader().QueryRow(`SELECT c.case_no FROM queue_tickets t JOIN cases c ON c.id = t.case_id WHERE t.number = 'A001' AND t.state = 'done' AND t.outcome = 'case'`).Scan(&linked); err != nil || linked != caseNo {
		t.Fatalf("the ticket's case: %q %v, filed %q", linked, err, caseNo)
	}
	// The board no longer shows it being called.
	deadline := time.Now().Add(10 * time.Second)
	for {
		n := get(t, board, chromedp.Evaluate[int](`document.querySelectorAll('#board-calls tr[data-number="A001"]').length`))
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the board still shows A001 after it was served")
		}
		time.Sleep(200 * time.Millisecond)
	}
}
