package queue_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/queue"
)

// tick makes the database's clock advance a second at every transaction,
// from 09:00 China time: places in the queue are then never tied by time.
func tick(d *db.DB) { tickBy(d, time.Second) }

// tickBy is tick by step.
func tickBy(d *db.DB, step time.Duration) {
	var n atomic.Int64
	start := time.Date(2026, 12, 8, 1, 0, 0, 0, time.UTC)
	d.SetClock(func() time.Time { return start.Add(time.Duration(n.Add(1)) * step) })
}

// must is v, failing the test (by a panic the test reports) on an error.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func refused(t *testing.T, err error, code apperr.Code, key string) {
	t.Helper()
	if !apperr.Is(err, code, key) {
		t.Fatalf("err = %v, want %s %s", err, code, key)
	}
}

func TestCallingRules(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		tick(d)
		ctx := context.Background()
		f := newFixture(t, d, 3, 3)
		a := f.service(t, "A", 10, f.windows[0], f.windows[1])
		b := f.service(t, "B", 10, f.windows[2])
		c0, c1, c2 := f.clerks[0], f.clerks[1], f.clerks[2]

		// Sessions: one window per staff member, one staff member per window.
		_, err := f.q.CallNext(ctx, c0)
		refused(t, err, apperr.Conflict, "queue.not_signed_on")
		must(f.q.SignOn(ctx, c0, f.windows[0]))
		_, err = f.q.SignOn(ctx, c1, f.windows[0])
		refused(t, err, apperr.Conflict, "queue.window_taken")
		_, err = f.q.SignOn(ctx, f.outsider, f.windows[1])
		refused(t, err, apperr.Forbidden, "queue.forbidden_hall")
		must(f.q.SignOn(ctx, c1, f.windows[1]))
		must(f.q.SignOn(ctx, c2, f.windows[2]))
		// Moving to another window ends the first session.
		must(f.q.SignOn(ctx, c0, f.windows[0]))

		if tk := must(f.q.CallNext(ctx, c0)); tk != nil {
			t.Fatalf("empty queue called %s", tk.Number)
		}
		a1 := f.kiosk(t, a.ID, "")
		a2 := f.kiosk(t, a.ID, "")
		a3 := f.kiosk(t, a.ID, "elderly60")
		b1 := f.kiosk(t, b.ID, "")

		// Priority first, then order.
		got := must(f.q.CallNext(ctx, c0))
		if got.Number != a3.Number || got.State != queue.StateCalled || got.WindowNo != "1" {
			t.Fatalf("first call = %+v, want %s called at 1", got, a3.Number)
		}
		_, err = f.q.CallNext(ctx, c0)
		refused(t, err, apperr.Conflict, "queue.window_busy")
		// A window calls only tickets of services it serves.
		_, err = f.q.Call(ctx, c1, b1.ID)
		refused(t, err, apperr.Conflict, "queue.not_served_here")
		// Another window cannot touch this window's ticket.
		_, err = f.q.Start(ctx, c1, a3.ID)
		refused(t, err, apperr.Conflict, "queue.not_at_window")

		// Recall up to N times, then 过号 makes it void.
		for i := 0; i < queue.MaxRecalls; i++ {
			must(f.q.Recall(ctx, c0, a3.ID))
		}
		_, err = f.q.Recall(ctx, c0, a3.ID)
		refused(t, err, apperr.Conflict, "queue.recall_limit")
		if v := must(f.q.Skip(ctx, c0, a3.ID)); v.State != queue.StateVoid {
			t.Fatalf("skipped after %d recalls: %s", queue.MaxRecalls, v.State)
		}
		// 过号 before: to the back of its class.
		if got := must(f.q.CallNext(ctx, c0)); got.ID != a1.ID {
			t.Fatalf("next = %s, want %s", got.Number, a1.Number)
		}
		if back := must(f.q.Skip(ctx, c0, a1.ID)); back.State != queue.StateWaiting || back.Ahead != 1 {
			t.Fatalf("skipped: %s, %d ahead; want waiting behind %s", back.State, back.Ahead, a2.Number)
		}
		if got := must(f.q.CallNext(ctx, c0)); got.ID != a2.ID {
			t.Fatalf("after skip = %s, want %s", got.Number, a2.Number)
		}
		// Serve, hold, resume, transfer to service B keeping the place.
		must(f.q.Start(ctx, c0, a2.ID))
		must(f.q.Hold(ctx, c0, a2.ID))
		if got := must(f.q.CallNext(ctx, c0)); got.ID != a1.ID {
			t.Fatalf("while held = %s, want %s", got.Number, a1.Number)
		}
		_, err = f.q.Resume(ctx, c0, a2.ID)
		refused(t, err, apperr.Conflict, "queue.window_busy")
		must(f.q.Start(ctx, c0, a1.ID))
		_, err = f.q.Finish(ctx, c0, a1.ID, queue.FinishInput{Outcome: "gossip"})
		refused(t, err, apperr.Invalid, "queue.outcome")
		fin := must(f.q.Finish(ctx, c0, a1.ID, queue.FinishInput{Outcome: queue.OutcomeCase, ImplCode: f.items[0]}))
		if fin.Ticket.State != queue.StateDone || fin.Next != queue.IntakeLink(f.items[0], a1.ID) {
			t.Fatalf("finished: %+v", fin)
		}
		_, err = f.q.Transfer(ctx, c0, a1.ID, queue.TransferInput{ServiceID: b.ID})
		refused(t, err, apperr.Conflict, "queue.transfer_finished")
		// The case filed at intake is linked by the clerk who served it, once.
		refused(t, f.q.LinkCase(ctx, c1, a1.ID, "case-1"), apperr.Forbidden, "error.forbidden")
		if err := f.q.LinkCase(ctx, c0, a1.ID, "case-1"); err != nil {
			t.Fatal(err)
		}
		if err := f.q.LinkCase(ctx, c0, a1.ID, "case-2"); err != nil {
			t.Fatal(err)
		}
		var linked string
		if err := d.View(ctx, func(tx *db.Tx) error {
			return tx.QueryRow(`SELECT case_id FROM queue_tickets WHERE id = $1`, a1.ID).Scan(&linked)
		}); err != nil || linked != "case-1" {
			t.Fatalf("linked %q %v", linked, err)
		}
		_, err = f.q.Transfer(ctx, c0, a2.ID, queue.TransferInput{})
		refused(t, err, apperr.Invalid, "queue.transfer_target")
		if r := must(f.q.Resume(ctx, c0, a2.ID)); r.State != queue.StateServing {
			t.Fatalf("resumed: %s", r.State)
		}
		moved := must(f.q.Transfer(ctx, c0, a2.ID, queue.TransferInput{ServiceID: b.ID}))
		if moved.State != queue.StateWaiting || moved.Ahead != 0 {
			t.Fatalf("transferred: %s, %d ahead; taken before %s it keeps its place", moved.State, moved.Ahead, b1.Number)
		}
		if got := must(f.q.CallNext(ctx, c2)); got.ID != a2.ID {
			t.Fatalf("window 3 called %s, want the transferred %s", got.Number, a2.Number)
		}
		// Transfer to a window: only that window calls it.
		must(f.q.Transfer(ctx, c2, a2.ID, queue.TransferInput{WindowID: f.windows[1]}))
		if got := must(f.q.CallNext(ctx, c2)); got.ID != b1.ID {
			t.Fatalf("window 3 called %s, want %s", got.Number, b1.Number)
		}
		if got := must(f.q.CallNext(ctx, c1)); got.ID != a2.ID {
			t.Fatalf("window 2 called %s, want the transferred %s", got.Number, a2.Number)
		}
		// Nothing written by the refusals: the ticket's events are those of its changes.
		var events int
		if err := d.View(ctx, func(tx *db.Tx) error {
			return tx.QueryRow(`SELECT COUNT(*) FROM ticket_events WHERE ticket_id = $1`, a3.ID).Scan(&events)
		}); err != nil {
			t.Fatal(err)
		}
		if events != 1+1+queue.MaxRecalls+1 { // take, call, recalls, void
			t.Fatalf("%d events for %s", events, a3.Number)
		}
	})
}

// mticket is the model of a ticket.
type mticket struct {
	id, service, target, window string
	rank, seq                   int
	queued                      time.Time
	state                       string
	calls                       int
	started                     bool
}

// TestCallingProperty runs random sequences of take, call, recall, skip,
// hold, resume, start, finish and transfer against a model: each call
// picks the first eligible ticket in priority order then place, and at the
// end every ticket is served or void exactly once.
func TestCallingProperty(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		for seed := uint64(1); seed <= 3; seed++ {
			propertyRun(t, d, seed)
		}
	})
}

func propertyRun(t *testing.T, d *db.DB, seed uint64) {
	ctx := context.Background()
	rnd := rand.New(rand.NewPCG(seed, 19))
	tick(d)
	if seed == 1 {
		propFixture = newFixture(t, d, 3, 3)
		f := propFixture
		propServices = []queue.HallService{
			f.service(t, "A", 10, f.windows[0], f.windows[1]),
			f.service(t, "B", 5, f.windows[1], f.windows[2]),
			f.service(t, "C", 20, f.windows[2]),
		}
		for i, w := range f.windows {
			must(f.q.SignOn(ctx, f.clerks[i], w))
		}
	}
	f := propFixture
	// Each run is a new day: yesterday's tickets are not called.
	base := time.Date(2026, 12, 8+int(seed), 1, 0, 0, 0, time.UTC)
	var clock atomic.Int64
	d.SetClock(func() time.Time { return base.Add(time.Duration(clock.Add(1)) * time.Second) })
	ranks := map[string]int{"normal": 100, "elderly70": 20, "booking": 10, "disabled": 40}
	prios := []string{"normal", "normal", "normal", "elderly70", "booking", "disabled"}
	serves := map[string][]string{} // window → services
	for _, s := range propServices {
		for _, w := range s.Windows {
			serves[w] = append(serves[w], s.ID)
		}
	}
	model := map[string]*mticket{}
	var order []string
	eligible := func(w string) *mticket {
		var best *mticket
		for _, id := range order {
			m := model[id]
			if m.state != queue.StateWaiting {
				continue
			}
			if m.target != "" && m.target != w || m.target == "" && !slices.Contains(serves[w], m.service) {
				continue
			}
			if best == nil || m.rank < best.rank || m.rank == best.rank && (m.queued.Before(best.queued) || m.queued.Equal(best.queued) && m.seq < best.seq) {
				best = m
			}
		}
		return best
	}
	at := func(w string, states ...string) *mticket {
		for _, id := range order {
			if m := model[id]; m.window == w && slices.Contains(states, m.state) {
				return m
			}
		}
		return nil
	}
	sync := func(tk *queue.Ticket) {
		m := model[tk.ID]
		m.state, m.window, m.calls = tk.State, tk.WindowID, tk.Calls
	}
	for step := 0; step < 300; step++ {
		wi := rnd.IntN(3)
		w, clerk := f.windows[wi], f.clerks[wi]
		switch op := rnd.IntN(10); {
		case op < 3:
			s := propServices[rnd.IntN(3)]
			p := prios[rnd.IntN(len(prios))]
			tk := f.kiosk(t, s.ID, p)
			seq, queued := place(t, d, tk.ID)
			model[tk.ID] = &mticket{id: tk.ID, service: s.ID, rank: ranks[p], seq: seq, queued: queued, state: queue.StateWaiting}
			order = append(order, tk.ID)
		case op < 5:
			if at(w, queue.StateCalled, queue.StateServing) != nil {
				_, err := f.q.CallNext(ctx, clerk)
				refused(t, err, apperr.Conflict, "queue.window_busy")
				continue
			}
			want := eligible(w)
			got := must(f.q.CallNext(ctx, clerk))
			switch {
			case want == nil && got != nil:
				t.Fatalf("seed %d step %d: called %s, want nothing", seed, step, got.Number)
			case want != nil && (got == nil || got.ID != want.id):
				t.Fatalf("seed %d step %d: called %v, want %s (priority, then place)", seed, step, got, want.id)
			case got != nil:
				sync(got)
			}
		case op == 5:
			if m := at(w, queue.StateCalled); m != nil {
				tk, err := f.q.Recall(ctx, clerk, m.id)
				if m.calls > queue.MaxRecalls {
					refused(t, err, apperr.Conflict, "queue.recall_limit")
				} else if err != nil {
					t.Fatal(err)
				} else {
					sync(tk)
				}
			}
		case op == 6:
			if m := at(w, queue.StateCalled); m != nil {
				tk := must(f.q.Skip(ctx, clerk, m.id))
				_, m.queued = place(t, d, m.id)
				sync(tk)
				if (m.calls > queue.MaxRecalls) != (tk.State == queue.StateVoid) {
					t.Fatalf("seed %d step %d: skip after %d calls → %s", seed, step, m.calls, tk.State)
				}
			}
		case op == 7:
			if m := at(w, queue.StateCalled); m != nil {
				sync(must(f.q.Start(ctx, clerk, m.id)))
				model[m.id].started = true
			} else if m := at(w, queue.StateServing); m != nil {
				if rnd.IntN(4) == 0 {
					sync(must(f.q.Hold(ctx, clerk, m.id)))
				} else {
					fin := must(f.q.Finish(ctx, clerk, m.id, queue.FinishInput{Outcome: queue.OutcomeEnquiry}))
					sync(fin.Ticket)
				}
			} else if m := at(w, queue.StateHeld); m != nil {
				sync(must(f.q.Resume(ctx, clerk, m.id)))
			}
		case op == 8:
			if m := at(w, queue.StateCalled, queue.StateServing, queue.StateHeld); m != nil {
				var in queue.TransferInput
				if rnd.IntN(2) == 0 {
					other := f.windows[(wi+1+rnd.IntN(2))%3]
					in.WindowID, m.target = other, other
				} else {
					s := propServices[rnd.IntN(3)]
					if s.ID == m.service && m.target == "" {
						continue
					}
					in.ServiceID, m.service, m.target = s.ID, s.ID, ""
				}
				tk := must(f.q.Transfer(ctx, clerk, m.id, in))
				sync(tk)
				m.started = false
			}
		case op == 9:
			// A finished ticket is never transferred.
			for _, id := range order {
				if m := model[id]; m.state == queue.StateDone || m.state == queue.StateVoid {
					_, err := f.q.Transfer(ctx, clerk, id, queue.TransferInput{ServiceID: propServices[0].ID})
					if !apperr.Is(err, apperr.Conflict, "queue.transfer_finished") && !apperr.Is(err, apperr.Conflict, "queue.not_at_window") {
						t.Fatalf("transferring a finished ticket: %v", err)
					}
					break
				}
			}
		}
	}
	// Drain: every window serves what it holds and everything it can call.
	for round := 0; round < 2000; round++ {
		progressed := false
		for wi, w := range f.windows {
			clerk := f.clerks[wi]
			if m := at(w, queue.StateCalled); m != nil {
				sync(must(f.q.Start(ctx, clerk, m.id)))
				progressed = true
			}
			if m := at(w, queue.StateServing); m != nil {
				sync(must(f.q.Finish(ctx, clerk, m.id, queue.FinishInput{Outcome: queue.OutcomeEnquiry})).Ticket)
				progressed = true
				continue
			}
			if m := at(w, queue.StateHeld); m != nil {
				sync(must(f.q.Resume(ctx, clerk, m.id)))
				progressed = true
				continue
			}
			want := eligible(w)
			got := must(f.q.CallNext(ctx, clerk))
			if (want == nil) != (got == nil) || want != nil && want.id != got.ID {
				t.Fatalf("seed %d drain: called %v, want %v", seed, got, want)
			}
			if got != nil {
				sync(got)
				progressed = true
			}
		}
		if !progressed {
			break
		}
	}
	// Every ticket served or void exactly once.
	for _, id := range order {
		var state string
		var ends int
		if err := d.View(ctx, func(tx *db.Tx) error {
			if err := tx.QueryRow(`SELECT state FROM queue_tickets WHERE id = $1`, id).Scan(&state); err != nil {
				return err
			}
			return tx.QueryRow(`SELECT COUNT(*) FROM ticket_events WHERE ticket_id = $1 AND kind IN ('finish', 'void')`, id).Scan(&ends)
		}); err != nil {
			t.Fatal(err)
		}
		if state != queue.StateDone && state != queue.StateVoid || ends != 1 {
			t.Fatalf("seed %d: ticket %s ends %s with %d ending events", seed, id, state, ends)
		}
	}
	counts := map[string]int{}
	for _, id := range order {
		counts[model[id].state]++
	}
	if len(order) == 0 || counts[queue.StateDone] == 0 {
		t.Fatalf("seed %d: a degenerate run: %v", seed, counts)
	}
	t.Logf("seed %d: %d tickets, %v", seed, len(order), counts)
}

// place reads a ticket's number of the day and its place in the queue.
func place(t *testing.T, d *db.DB, id string) (int, time.Time) {
	t.Helper()
	var seq int
	var queued time.Time
	if err := d.View(context.Background(), func(tx *db.Tx) error {
		return tx.QueryRow(`SELECT seq, queued_at FROM queue_tickets WHERE id = $1`, id).Scan(&seq, &queued)
	}); err != nil {
		t.Fatal(err)
	}
	return seq, queued.UTC()
}

var (
	propFixture  *fixture
	propServices []queue.HallService
)
