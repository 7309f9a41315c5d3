package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// Issue 17, 企业开办一件事 in the browser: 张三 founds a company without a
// credit code or an uploaded 营业执照 (the registration produces them); a
// missing field is named with its sub-case's item; once the registration is
// granted, the seal's sub-case shows the credit code and licence passed on,
// and the licence is the new company's, in 张三's wallet.
func TestFoundingACompanyThroughTheBundle(t *testing.T) {
	base := startDemo(t)
	ctx := browser(t)
	dir := t.TempDir()
	file := func(name string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte("%PDF-1.4\n% "+name+"\n%%EOF\n"), 0o644)
		return p
	}
	const company = "重庆市涪陵区通办新创网络科技有限公司"

	login(t, ctx, base, "zhangsan")
	do(t, ctx, chromedp.Navigate(base+"/apply/bundle/qykb"), chromedp.WaitVisible(css("#application")),
		chromedp.WaitVisible(css(`#passed li[data-passed="org_credit_code"]`)), chromedp.WaitVisible(css(`#passed li[data-passed="business_licence"]`)))
	if asked := get(t, ctx, chromedp.Evaluate[bool](`!!document.getElementById("f-org_credit_code") || !!document.getElementById("m-business_licence")`)); asked {
		t.Fatal("the bundle asks for the credit code or the 营业执照 it produces")
	}
	do(t, ctx,
		chromedp.SetValue(css("#f-org_name"), company),
		chromedp.SetValue(css("#f-legal_rep"), "张三"),
		chromedp.SetValue(css("#f-applicant_phone"), "13800000000"),
		chromedp.SetValue(css(`select[name="org_address.town"]`), "500102006000"),
		chromedp.SetValue(css(`input[name="org_address.detail"]`), "滨江路 18 号"),
		chromedp.SetValue(css("#f-registered_capital"), "100"),
		chromedp.SetValue(css("#f-scope"), "软件开发"),
		chromedp.SetValue(css("#f-employees"), "5"),
		chromedp.SetValue(css("#f-vat_kind"), "small"),
		chromedp.SetValue(css("#f-invoice_type"), "ordinary"),
	)
	inputs := get(t, ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#materials input[type=file]')].map(e => e.id)`))
	if len(inputs) == 0 {
		t.Fatal("no material to upload")
	}
	for _, id := range inputs {
		do(t, ctx, chromedp.SetUploadFiles(css("#"+id), []string{file(id + ".pdf")}))
	}
	// No seal chosen: the seal's sub-case refuses, naming the field and its item.
	// (The form is pre-filled from 张三's earlier filing of the demo: clear the seals.)
	get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('#f-seals input').forEach(e => e.checked = false), 0`))
	do(t, ctx, chromedp.Click(css("#submit-application")), chromedp.WaitVisible(css(`#problem li[data-field="seals"]`)))
	fault := get(t, ctx, chromedp.Text(css(`#problem li[data-field="seals"]`)))
	shot(t, ctx, "bundle-fault")
	if !strings.Contains(fault, "公章刻制备案") || !strings.Contains(fault, "刻制印章") {
		t.Fatalf("the fault says %q", fault)
	}
	// The form's own summary lists it too, linked to the field.
	if href := get(t, ctx, chromedp.Evaluate[string](`document.querySelector('#form-faults li[data-field="seals"] a')?.getAttribute("href") ?? ""`)); href != "#f-seals" {
		t.Errorf("the form's summary links %q", href)
	}
	do(t, ctx, chromedp.Click(css(`#f-seals input[value="official"]`)), chromedp.Click(css("#submit-application")), chromedp.WaitVisible(css("#case-status")))
	no := get(t, ctx, chromedp.Text(css("#case-no")))

	var bundle struct {
		Case struct {
			Children []struct {
				No       string `json:"case_no"`
				ItemName string `json:"item_name"`
			} `json:"sub_cases"`
		} `json:"case"`
	}
	zs := apiLogin(t, base, "zhangsan")
	if st := api(t, base, zs, "GET", "/api/v1/cases/"+no, nil, &bundle); st != 200 || len(bundle.Case.Children) != 5 {
		t.Fatalf("the bundle: %d %+v", st, bundle)
	}
	reg, seal := bundle.Case.Children[0].No, bundle.Case.Children[1].No
	// The seal (即办件) cannot be made before the registration's result exists.
	clerk := apiLogin(t, base, "clerk")
	var problem struct {
		Key string `json:"message_key"`
	}
	if st := api(t, base, clerk, "POST", "/api/v1/cases/"+seal+"/actions", map[string]string{"action": "accept"}, &problem); st != 409 || problem.Key != "case.result_awaited" {
		t.Fatalf("accepting the seal first: %d %s", st, problem.Key)
	}
	for _, s := range []struct{ user, action string }{{"clerk", "accept"}, {"handler", "pass"}, {"reviewer", "pass"}, {"approver", "grant"}} {
		if st := api(t, base, apiLogin(t, base, s.user), "POST", "/api/v1/cases/"+reg+"/actions", map[string]string{"action": s.action}, nil); st != 200 {
			t.Fatalf("registration %s %s: %d", s.user, s.action, st)
		}
	}

	// The seal's sub-case shows the credit code and licence passed on.
	do(t, ctx, chromedp.Navigate(base+"/cases/"+seal), chromedp.WaitVisible(css(`#case-passes li[data-pass="org_credit_code"][data-passed="true"]`)),
		chromedp.WaitVisible(css(`#case-licences tr[data-material="business_licence"]`)))
	passes := get(t, ctx, chromedp.Text(css("#case-passes")))
	values := get(t, ctx, chromedp.Text(css("#case-values")))
	shot(t, ctx, "bundle-passed-on")
	if !strings.Contains(passes, reg) || !strings.Contains(values, "91500102") {
		t.Fatalf("passed on: %q; values %q", passes, values)
	}
	// The licence is the new company's, and its founder sees it.
	do(t, ctx, chromedp.Navigate(base+"/cases/"+reg), chromedp.WaitVisible(css("#case-licence")), chromedp.Click(css("#case-licence")),
		chromedp.WaitVisible(css("#licence-status")))
	facts := get(t, ctx, chromedp.Text(css("#licence-facts")))
	shot(t, ctx, "bundle-licence")
	if !strings.Contains(facts, company) {
		t.Fatalf("the licence names %q", facts)
	}
	// It is in the founder's wallet too.
	identifier := get(t, ctx, chromedp.Text(css("#licence-identifier")))
	do(t, ctx, chromedp.Navigate(base+"/licences"), chromedp.WaitVisible(css(`#wallet li[data-identifier="`+identifier+`"]`)))
	// Now the seal is made.
	if st := api(t, base, clerk, "POST", "/api/v1/cases/"+seal+"/actions", map[string]string{"action": "accept"}, nil); st != 200 {
		t.Fatalf("accepting the seal after the registration: %d", st)
	}
}

// Issue 17: the API's problem details name the field or material, its
// label and the sub-case's item.
func TestBundleProblemDetailsNameTheField(t *testing.T) {
	base := startDemo(t)
	var problem struct {
		Key     string `json:"message_key"`
		Details []struct {
			Field string `json:"field"`
			Label string `json:"label"`
			Item  string `json:"item"`
		} `json:"details"`
	}
	st := api(t, base, apiLogin(t, base, "zhangsan"), "POST", "/api/v1/cases?lang=en", map[string]any{"bundle": "qykb", "submit": true,
		"form_values": map[string][]string{"org_name": {"某某有限公司"}, "legal_rep": {"张三"}}}, &problem)
	if st != 400 || problem.Key != "case.bundle_item" || len(problem.Details) == 0 {
		t.Fatalf("%d %+v", st, problem)
	}
	for _, d := range problem.Details {
		if d.Field == "" || d.Label == "" || d.Item != "Registration of a limited liability company" {
			t.Errorf("a detail names %+v", d)
		}
	}
}
