package mydata_test

import (
	"testing"

	"github.com/tongban/tongban/internal/appeal"
	"github.com/tongban/tongban/internal/blob"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/demo"
	"github.com/tongban/tongban/internal/demotest"
	"github.com/tongban/tongban/internal/mydata"
	"github.com/tongban/tongban/internal/rating"
)

// PIPL (issue 18): the staff reads of a person's 诉求 (the order, its
// contact) and of the 差评 work order on their rating are in their copy,
// each with its number, the purpose and the reader's grants; nobody
// else's copy holds them.
func TestStaffReadsOfAppealsAndRatingOrders(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := demotest.New(t, d, demotest.At("2026-09-28 10:00"))
		cals := calendar.National()
		cs, err := cases.New(d, e.Catalog, e.IDs, cals, blob.Dir{Root: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		if err := demo.SeedCases(e.Ctx, d, e.IDs, cs, e.Now); err != nil {
			t.Fatal(err)
		}
		zs, clerk, handler := e.Users["zhangsan"], e.Users["clerk"], e.Users["handler"]
		appeals := &appeal.Service{DB: d, Identity: e.IDs, Calendars: cals}
		ratings := &rating.Service{DB: d, Calendars: cals}
		ex := &mydata.Exporter{DB: d, Identity: e.IDs, Cases: cs, Appeals: appeals, Now: e.Now}

		a, err := appeals.Submit(e.Ctx, zs, appeal.SubmitInput{Channel: appeal.ChannelWeb, Type: appeal.TypeComplaint, Category: "business",
			RegionCode: "500102", Description: "窗口要求提供清单以外的材料。", Contact: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := appeals.Read(e.Ctx, clerk, a.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := appeals.Contact(e.Ctx, clerk, a.ID); err != nil {
			t.Fatal(err)
		}
		var caseID string
		if err := d.Reader().QueryRow(`SELECT id FROM cases WHERE applicant_id = $1 AND state = 'concluded' AND parent_id IS NULL ORDER BY id LIMIT 1`,
			zs.ID).Scan(&caseID); err != nil {
			t.Fatal(err)
		}
		r, err := ratings.Rate(e.Ctx, zs, caseID, rating.Input{Level: rating.Dissatisfied, Indicators: []string{"online.overdue"}, Channel: "pc"})
		if err != nil || r.OrderID == "" {
			t.Fatalf("rate: %v %+v", err, r)
		}
		o, err := ratings.Order(e.Ctx, handler, r.OrderID)
		if err != nil {
			t.Fatal(err)
		}

		doc, err := ex.Export(e.Ctx, zs)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]mydata.Read{}
		for _, rd := range doc.StaffReads {
			switch {
			case rd.AppealNo != "":
				got["appeal "+rd.AppealNo+" "+rd.Purpose] = rd
			case rd.RatingOrderNo != "":
				got["order "+rd.RatingOrderNo+" "+rd.Purpose] = rd
			}
		}
		for _, want := range []struct{ key, role string }{
			{"appeal " + a.No + " order", "clerk"}, {"appeal " + a.No + " contact", "clerk"}, {"order " + o.No + " view", "handler"},
		} {
			rd, ok := got[want.key]
			if !ok {
				t.Errorf("no staff read %q in %+v", want.key, doc.StaffReads)
				continue
			}
			if rd.CaseNo != "" || rd.At.IsZero() || len(rd.Grants) == 0 || rd.Grants[0].Role != want.role {
				t.Errorf("%s: %+v", want.key, rd)
			}
		}
		if len(got) != 3 {
			t.Errorf("reads of appeals and orders: %d, want 3 (%+v)", len(got), got)
		}
		// Another account's copy (the demo company's) holds none of them.
		other, err := ex.Export(e.Ctx, e.Users["democorp"])
		if err != nil {
			t.Fatal(err)
		}
		for _, rd := range other.StaffReads {
			if rd.AppealNo != "" || rd.RatingOrderNo != "" {
				t.Errorf("democorp's copy: %+v", rd)
			}
		}
	})
}
