package rating

import (
	"testing"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/demo"
)

// 一次一评: a hall visit is rated once, anonymous or by its account, within
// the window from the end of service; a bad rating opens an order whose
// 回访 is by phone when nobody is known.
func TestRateVisit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		v := Visit{TicketID: db.NewID(), TicketNo: "A012", Dept: f.deptID(), Region: demo.Region, ServedAt: f.Now().Add(-time.Hour)}
		if _, err := f.svc.RateVisit(f.Ctx, Visit{}, Input{Level: Satisfied, Channel: "hall_tablet"}); err == nil {
			t.Fatal("a visit without a ticket")
		}
		_, err := f.svc.RateVisit(f.Ctx, v, Input{Level: Dissatisfied, Channel: "hall_tablet"})
		refused(t, err, apperr.Invalid, "rating.indicator_required")
		r, err := f.svc.RateVisit(f.Ctx, v, Input{Level: Dissatisfied, Indicators: []string{"onsite.long_wait"}, Channel: "hall_tablet"})
		if err != nil || r.OrderID == "" || r.SubjectKind != SubjectVisit {
			t.Fatalf("visit rating %+v %v", r, err)
		}
		_, err = f.svc.RateVisit(f.Ctx, v, Input{Level: VerySatisfied, Channel: "hall_tablet"})
		refused(t, err, apperr.Conflict, "rating.already_rated")
		_, err = f.svc.RateVisit(f.Ctx, v, Input{Kind: KindFollowUp, Level: VerySatisfied, Channel: "hall_tablet"})
		refused(t, err, apperr.Conflict, "rating.follow_up_visit")
		late := Visit{TicketID: db.NewID(), TicketNo: "A013", Dept: v.Dept, Region: demo.Region, ServedAt: f.Now().Add(-8 * 24 * time.Hour)}
		_, err = f.svc.RateVisit(f.Ctx, late, Input{Level: VerySatisfied, Channel: "qr"})
		refused(t, err, apperr.Conflict, "rating.window_closed")
		// The department works the order; the anonymous visitor's 回访 is by phone.
		for _, in := range []OrderInput{{Action: "verify", Note: "属实。"}, {Action: "rectify", Note: "增开窗口。"}, {Action: "revisit", Answer: "satisfied", Note: "电话回访"}} {
			if _, err := f.svc.Act(f.Ctx, f.Users["handler"], r.OrderID, in); err != nil {
				t.Fatalf("%s: %v", in.Action, err)
			}
		}
		o, err := f.svc.Order(f.Ctx, f.Users["handler"], r.OrderID)
		if err != nil || o.RevisitBy != "phone" || o.SubjectKind != SubjectVisit || o.CaseNo != "A012" {
			t.Fatalf("order %+v %v", o, err)
		}
		if n := f.count(`SELECT COUNT(*) FROM notify_pending WHERE kind = 'rating_rectified'`); n != 0 {
			t.Fatalf("%d notifications to nobody", n)
		}
	})
}
