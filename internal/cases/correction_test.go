package cases_test

import (
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/anomaly"
	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/cases"
)

// 行政许可法 Art. 32: the correction notice is one-time. After a
// resubmission, a second notice may only repeat entries of the first; its
// document says 再次补正, never "现一次性告知" again, and supervision counts it.
func TestCorrectionIsOneTime(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		c := f.submitSoleTrader()
		first := f.act("clerk", c, cases.ActionRequest{Action: "request_correction", Corrections: []cases.Correction{
			{Material: "lease", Problem: "租赁合同缺少出租方签字"}, {Field: "scope", Problem: "经营范围表述不规范"}}})
		doc := cases.Document(first, &first.Notices[len(first.Notices)-1], nil, "")
		if doc.Title != "补正告知书" || !strings.Contains(strings.Join(doc.Paragraphs, ""), "现一次性告知") {
			t.Fatalf("first notice: %s %v", doc.Title, doc.Paragraphs)
		}
		if got := f.anomalies(first); len(got) != 0 {
			t.Fatalf("a first notice is no anomaly: %v", got)
		}
		u := f.users["zhangsan"]
		c = f.act("zhangsan", first, cases.ActionRequest{Action: "resubmit", Values: soleTraderValues(), Materials: []cases.MaterialRef{f.upload(u, "lease")}})

		// The lease it replaced stays readable by staff, marked superseded;
		// the applicant sees the current one only.
		staffView, err := f.svc.Get(f.ctx, f.users["clerk"], c.No)
		if err != nil {
			t.Fatal(err)
		}
		if len(staffView.Superseded) != 1 || staffView.Superseded[0].Key != "lease" || staffView.Superseded[0].Name == "" {
			t.Fatalf("superseded for staff: %+v", staffView.Superseded)
		}
		old := staffView.Superseded[0].ID
		if _, rc, err := f.svc.OpenMaterial(f.ctx, f.users["clerk"], c.No, old); err != nil {
			t.Fatalf("staff open the replaced lease: %v", err)
		} else {
			rc.Close()
		}
		if own, _ := f.svc.Get(f.ctx, u, c.No); len(own.Superseded) != 0 {
			t.Errorf("the applicant is shown superseded files: %+v", own.Superseded)
		}
		if _, _, err := f.svc.OpenMaterial(f.ctx, u, c.No, old); !apperr.Is(err, apperr.NotFound, "") {
			t.Errorf("the applicant opens the replaced lease: %v", err)
		}

		// Something the first notice did not name cannot be asked now.
		f.refused(f.users["clerk"], c, cases.ActionRequest{Action: "request_correction", Corrections: []cases.Correction{
			{Material: "lease", Problem: "仍缺少签字"}, {Material: "id_card", Problem: "身份证复印件模糊"}}}, apperr.Invalid, "case.correction_not_in_first")
		f.refused(f.users["clerk"], c, cases.ActionRequest{Action: "request_correction", Corrections: []cases.Correction{
			{Problem: "其他问题"}}}, apperr.Invalid, "case.correction_not_in_first")
		// What it named and is still not right can.
		second := f.act("clerk", c, cases.ActionRequest{Action: "request_correction", Corrections: []cases.Correction{
			{Field: "scope", Problem: "经营范围仍未按规范表述"}}})
		n := second.Notices[len(second.Notices)-1]
		doc = cases.Document(second, &n, nil, "")
		text := strings.Join(doc.Paragraphs, "")
		if doc.Title != "再次补正告知书" || strings.Contains(text, "现一次性告知") || !strings.Contains(text, "仍未补正到位") || !strings.Contains(text, "已于") {
			t.Fatalf("second notice: %s %q", doc.Title, text)
		}
		if len(doc.Items) != 1 || !strings.Contains(doc.Items[0], "经营范围") {
			t.Errorf("second notice items %v", doc.Items)
		}
		if got := f.anomalies(second); got[anomaly.RepeatCorrection] != 1 {
			t.Errorf("anomalies after a second notice: %v", got)
		}
	})
}
