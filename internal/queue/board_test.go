package queue_test

import (
	"context"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/queue"
)

func TestBoardAndFigures(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		tickBy(d, time.Minute)
		ctx := context.Background()
		f := newFixture(t, d, 2, 2)
		a := f.service(t, "A", 10, f.windows[0])
		b := f.service(t, "B", 10, f.windows[1])
		_, err := f.q.Board(ctx, "no-such-hall")
		refused(t, err, apperr.NotFound, "queue.hall_unknown")
		empty := must(f.q.Board(ctx, f.hall))
		if len(empty.Calling) != 0 || len(empty.Next) != 2 || empty.Version == "" {
			t.Fatalf("empty board: %+v", empty)
		}
		a1, a2, b1 := f.kiosk(t, a.ID, ""), f.kiosk(t, a.ID, ""), f.kiosk(t, b.ID, "")
		must(f.q.SignOn(ctx, f.clerks[0], f.windows[0]))
		must(f.q.CallNext(ctx, f.clerks[0]))
		bd := must(f.q.Board(ctx, f.hall))
		if len(bd.Calling) != 1 || bd.Calling[0].Number != a1.Number || bd.Calling[0].WindowNo != "1" || bd.Calling[0].Calls != 1 {
			t.Fatalf("calling: %+v", bd.Calling)
		}
		if bd.Next[0].Prefix != "A" || len(bd.Next[0].Numbers) != 1 || bd.Next[0].Numbers[0] != a2.Number || bd.Next[1].Numbers[0] != b1.Number {
			t.Fatalf("next: %+v", bd.Next)
		}
		if bd.Version == empty.Version {
			t.Fatal("the version did not change")
		}
		if again := must(f.q.Board(ctx, f.hall)); again.Version != bd.Version {
			t.Fatal("the version changed without a change")
		}
		must(f.q.Recall(ctx, f.clerks[0], a1.ID))
		if re := must(f.q.Board(ctx, f.hall)); re.Version == bd.Version || re.Calling[0].Calls != 2 {
			t.Fatalf("a recall is shown (and spoken) again: %+v", re.Calling)
		}
		must(f.q.Start(ctx, f.clerks[0], a1.ID))
		must(f.q.Finish(ctx, f.clerks[0], a1.ID, queue.FinishInput{Outcome: queue.OutcomeEnquiry}))

		// Figures: staff of the hall's region only.
		_, err = f.q.HallFigures(ctx, f.outsider, f.hall, "", "")
		refused(t, err, apperr.Forbidden, "queue.forbidden_hall")
		_, err = f.q.HallFigures(ctx, f.admin, f.hall, "2026-01-01", "2027-06-01")
		refused(t, err, apperr.Invalid, "catalog.at")
		today := queue.Day(d.Now())
		fg := must(f.q.HallFigures(ctx, f.admin, f.hall, today, today))
		if fg.Total.Tickets != 3 || fg.Total.Called != 1 || fg.Total.Served != 1 || len(fg.Days) != 1 || fg.Days[0].Taken != 3 || fg.Days[0].Served != 1 {
			t.Fatalf("figures: %+v", fg)
		}
		if len(fg.ByWindow) != 1 || fg.ByWindow[0].Key != "1" || len(fg.ByStaff) != 1 || fg.ByStaff[0].Label != "clerk0" || fg.Total.AvgWait <= 0 || fg.Total.AvgService <= 0 {
			t.Fatalf("figures by window %+v, staff %+v, total %+v", fg.ByWindow, fg.ByStaff, fg.Total)
		}
		sum := must(queue.RegionSummary(ctx, d, "500000", today, today))
		if sum.Tickets != 3 || sum.Served != 1 || sum.AvgWait != fg.Total.AvgWait {
			t.Fatalf("summary %+v", sum)
		}
		if none := must(queue.RegionSummary(ctx, d, "500103", today, today)); none.Tickets != 0 {
			t.Fatalf("another county's summary: %+v", none)
		}
	})
}

// The "即将到号" message goes once, through the outbox, to a person who
// asked for it when three or fewer are ahead.
func TestNearAlert(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		tick(d)
		ctx := context.Background()
		f := newFixture(t, d, 1, 1)
		a := f.service(t, "A", 10, f.windows...)
		for i := 0; i < 4; i++ {
			f.kiosk(t, a.ID, "")
		}
		mine := must(f.q.Take(ctx, f.person, queue.TakeInput{HallID: f.hall, ServiceID: a.ID, Source: queue.SourceOnline, NearAlert: true}))
		if mine.Ahead != 4 {
			t.Fatalf("ahead %d", mine.Ahead)
		}
		count := func() int {
			var n int
			if err := d.View(ctx, func(tx *db.Tx) error {
				return tx.QueryRow(`SELECT COUNT(*) FROM notify_pending WHERE user_id = $1 AND kind = 'queue_near'`, f.person.ID).Scan(&n)
			}); err != nil {
				t.Fatal(err)
			}
			return n
		}
		must(f.q.SignOn(ctx, f.clerks[0], f.windows[0]))
		if got := count(); got != 0 {
			t.Fatalf("4 ahead: %d messages", got)
		}
		for i := 0; i < 3; i++ {
			tk := must(f.q.CallNext(ctx, f.clerks[0]))
			if got := count(); got != 1 {
				t.Fatalf("after call %d (%d ahead): %d messages, want 1", i+1, 3-i, got)
			}
			must(f.q.Start(ctx, f.clerks[0], tk.ID))
			must(f.q.Finish(ctx, f.clerks[0], tk.ID, queue.FinishInput{Outcome: queue.OutcomeEnquiry}))
		}
		if got := count(); got != 1 {
			t.Fatalf("%d messages, want exactly one", got)
		}
	})
}
