package queue_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/queue"
)

// The tickets of a past day still waiting, called or held are void when
// the day has ended ("day ended"), counted once, never served, and no
// longer keep their window busy; one being served is left to its window,
// and today's tickets are untouched.
func TestEndDays(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		var mu sync.Mutex
		now := time.Date(2026, 12, 8, 8, 0, 0, 0, time.UTC) // 16:00 in China
		d.SetClock(func() time.Time { mu.Lock(); defer mu.Unlock(); now = now.Add(time.Second); return now })
		ctx := context.Background()
		f := newFixture(t, d, 3, 3)
		a := f.service(t, "A", 10, f.windows...)
		served, held, called, waiting := f.kiosk(t, a.ID, ""), f.kiosk(t, a.ID, ""), f.kiosk(t, a.ID, ""), f.kiosk(t, a.ID, "")
		for i := range 3 {
			must(f.q.SignOn(ctx, f.clerks[i], f.windows[i]))
		}
		if tk := must(f.q.CallNext(ctx, f.clerks[0])); tk.ID != served.ID {
			t.Fatalf("called %s", tk.Number)
		}
		must(f.q.Start(ctx, f.clerks[0], served.ID))
		must(f.q.CallNext(ctx, f.clerks[1]))
		must(f.q.Hold(ctx, f.clerks[1], held.ID))
		must(f.q.CallNext(ctx, f.clerks[2]))
		endDays := func() int {
			var n int
			if err := d.Update(ctx, func(tx *db.Tx) (err error) { n, err = queue.EndDaysTx(tx); return err }); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := endDays(); n != 0 {
			t.Fatalf("today's tickets voided: %d", n)
		}
		// Midnight in China: a new day.
		mu.Lock()
		now = time.Date(2026, 12, 8, 16, 0, 5, 0, time.UTC)
		mu.Unlock()
		today := f.kiosk(t, a.ID, "")
		if today.Number != "A001" {
			t.Fatalf("the new day's first number: %s", today.Number)
		}
		if n := endDays(); n != 3 {
			t.Fatalf("voided %d, want 3 (held, called, waiting)", n)
		}
		if n := endDays(); n != 0 {
			t.Fatalf("voided again: %d", n)
		}
		for _, tk := range []*queue.Ticket{held, called, waiting} {
			st := must(f.q.Status(ctx, tk.ID))
			var detail string
			if err := d.Reader().QueryRow(`SELECT detail FROM ticket_events WHERE ticket_id = $1 AND kind = 'void'`, tk.ID).Scan(&detail); err != nil {
				t.Fatal(err)
			}
			if st.State != queue.StateVoid || detail != queue.DayEnded || st.FinishedAt == nil {
				t.Errorf("%s: %s %q", tk.Number, st.State, detail)
			}
		}
		if st := must(f.q.Status(ctx, served.ID)); st.State != queue.StateServing {
			t.Errorf("the ticket being served: %s", st.State)
		}
		if st := must(f.q.Status(ctx, today.ID)); st.State != queue.StateWaiting {
			t.Errorf("today's ticket: %s", st.State)
		}
		// Never served: the held ticket cannot be resumed, the called one not
		// started; their windows call today's queue.
		if _, err := f.q.Resume(ctx, f.clerks[1], held.ID); apperr.CodeOf(err) != apperr.Conflict {
			t.Fatalf("a voided ticket resumed: %v", err)
		}
		if _, err := f.q.Start(ctx, f.clerks[2], called.ID); err == nil {
			t.Fatal("a voided ticket started")
		}
		if tk := must(f.q.CallNext(ctx, f.clerks[2])); tk == nil || tk.ID != today.ID {
			t.Fatalf("window 3 calls %+v", tk)
		}
		// The void count in the figures of yesterday.
		fg := must(f.q.HallFigures(ctx, f.admin, f.hall, "2026-12-08", "2026-12-08"))
		if fg.Days[0].Void != 3 || fg.Days[0].Served != 0 {
			t.Fatalf("figures %+v", fg.Days)
		}
	})
}
