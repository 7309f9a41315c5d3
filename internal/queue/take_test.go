package queue_test

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/queue"
)

// takeMany takes n tickets at once through the services given in turn (two
// services on two database handles are two replicas) and checks that the
// numbers of the day are exactly A001 … A{n}: unique and gapless.
func takeMany(t *testing.T, svcs []*queue.Service, hall, service string, n int) {
	t.Helper()
	var wg sync.WaitGroup
	numbers := make([]string, n)
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			tk, err := svcs[i%len(svcs)].Take(context.Background(), nil, queue.TakeInput{HallID: hall, ServiceID: service, Source: queue.SourceKiosk})
			if err != nil {
				errs[i] = err
				return
			}
			numbers[i] = tk.Number
		}(i)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	sort.Strings(numbers)
	for i, got := range numbers {
		if want := queue.Number("A", i+1); got != want {
			t.Fatalf("numbers[%d] = %s, want %s (numbers must be gapless and unique)", i, got, want)
		}
	}
	// The stored tickets agree.
	var count, distinct, maxSeq int
	if err := svcs[0].DB.View(context.Background(), func(tx *db.Tx) error {
		return tx.QueryRow(`SELECT COUNT(*), COUNT(DISTINCT number), MAX(seq) FROM queue_tickets WHERE hall_id = $1`, hall).Scan(&count, &distinct, &maxSeq)
	}); err != nil {
		t.Fatal(err)
	}
	if count != n || distinct != n || maxSeq != n {
		t.Fatalf("stored %d tickets, %d numbers, max %d; want %d", count, distinct, maxSeq, n)
	}
}

func TestNumbersGaplessUnderConcurrency(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d, 2, 1)
		a := f.service(t, "A", 10, f.windows...)
		takeMany(t, []*queue.Service{f.q}, f.hall, a.ID, 500)
	})
}

// Two replicas: two Service values on two connection pools of one
// PostgreSQL schema.
func TestNumbersGaplessAcrossReplicas(t *testing.T) {
	dsn := dbtest.PostgresSchema(t)
	ctx := context.Background()
	d1, err := db.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer d1.Close()
	if err := d1.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	d2, err := db.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	f := newFixture(t, d1, 2, 1)
	a := f.service(t, "A", 10, f.windows...)
	takeMany(t, []*queue.Service{f.q, {DB: d2}}, f.hall, a.ID, 500)
}

// A rolled-back take gives its number back; a new day starts again at 001;
// each prefix counts alone.
func TestNumbersPerPrefixAndDay(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d, 2, 1)
		a := f.service(t, "A", 10, f.windows[0])
		b := f.service(t, "B", 5, f.windows[1])
		ctx := context.Background()
		if got := f.kiosk(t, a.ID, "").Number; got != "A001" {
			t.Fatalf("first A = %s", got)
		}
		boom := fmt.Errorf("rolled back")
		err := d.Update(ctx, func(tx *db.Tx) error {
			if _, err := queue.TakeTx(tx, queue.TakeInput{HallID: f.hall, ServiceID: a.ID, Source: queue.SourceBooking, BookingID: "b1"}); err != nil {
				return err
			}
			return boom
		})
		if err != boom {
			t.Fatalf("err = %v", err)
		}
		if got := f.kiosk(t, a.ID, "").Number; got != "A002" {
			t.Fatalf("after a rollback = %s, want A002", got)
		}
		if got := f.kiosk(t, b.ID, "").Number; got != "B001" {
			t.Fatalf("first B = %s", got)
		}
		tomorrow := time.Now().Add(24 * time.Hour)
		d.SetClock(func() time.Time { return tomorrow })
		defer d.SetClock(time.Now)
		tk := f.kiosk(t, a.ID, "")
		if tk.Number != "A001" || tk.Day != queue.Day(tomorrow) {
			t.Fatalf("next day = %s %s", tk.Number, tk.Day)
		}
	})
}

// Bad input is refused precisely and writes nothing.
func TestTakeRefusals(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d, 1, 1)
		a := f.service(t, "A", 10, f.windows...)
		off := false
		if _, err := f.q.UpdateService(context.Background(), f.admin, a.ID, queue.ServiceInput{Active: &off}); err != nil {
			t.Fatal(err)
		}
		b := f.service(t, "B", 10, f.windows...)
		ctx := context.Background()
		for _, c := range []struct {
			name string
			in   queue.TakeInput
			user bool
			code apperr.Code
			key  string
		}{
			{"unknown hall", queue.TakeInput{HallID: "nope", ServiceID: b.ID, Source: "kiosk"}, false, apperr.NotFound, "queue.hall_unknown"},
			{"service of another hall", queue.TakeInput{HallID: f.other, ServiceID: b.ID, Source: "kiosk"}, false, apperr.NotFound, "queue.service_unknown"},
			{"inactive service", queue.TakeInput{HallID: f.hall, ServiceID: a.ID, Source: "kiosk"}, false, apperr.Conflict, "queue.service_inactive"},
			{"unknown priority", queue.TakeInput{HallID: f.hall, ServiceID: b.ID, Source: "kiosk", Priority: "vip"}, false, apperr.Invalid, "queue.priority_unknown"},
			{"unknown source", queue.TakeInput{HallID: f.hall, ServiceID: b.ID, Source: "fax"}, false, apperr.Invalid, "queue.source"},
			{"booking without TakeTx", queue.TakeInput{HallID: f.hall, ServiceID: b.ID, Source: "booking", BookingID: "x"}, false, apperr.Invalid, "queue.booking_source"},
			{"desk anonymous", queue.TakeInput{HallID: f.hall, ServiceID: b.ID, Source: "desk"}, false, apperr.Unauthenticated, "error.unauthenticated"},
			{"online anonymous", queue.TakeInput{HallID: f.hall, ServiceID: b.ID, Source: "online"}, false, apperr.Unauthenticated, "error.unauthenticated"},
			{"desk outside the clerk's county", queue.TakeInput{HallID: f.hall, ServiceID: b.ID, Source: "desk"}, true, apperr.Forbidden, "queue.forbidden_hall"},
		} {
			t.Run(c.name, func(t *testing.T) {
				var err error
				if c.user {
					_, err = f.q.Take(ctx, f.outsider, c.in)
				} else {
					_, err = f.q.Take(ctx, nil, c.in)
				}
				if !apperr.Is(err, c.code, c.key) {
					t.Fatalf("err = %v, want %s %s", err, c.code, c.key)
				}
			})
		}
		var n int
		if err := d.View(ctx, func(tx *db.Tx) error {
			return tx.QueryRow(`SELECT COUNT(*) FROM queue_tickets`).Scan(&n)
		}); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Fatalf("%d tickets written by refused takes", n)
		}
	})
}

// Priority classes then arrival: the people ahead and the wait.
func TestAheadAndWait(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d, 2, 2)
		a := f.service(t, "A", 10, f.windows...)
		ctx := context.Background()
		n1 := f.kiosk(t, a.ID, "")
		if n1.Ahead != 0 || n1.WaitMinutes != 0 {
			t.Fatalf("first: ahead %d wait %d", n1.Ahead, n1.WaitMinutes)
		}
		f.kiosk(t, a.ID, "")
		old := f.kiosk(t, a.ID, "elderly70")
		if old.Ahead != 0 {
			t.Fatalf("elderly70 ahead = %d, want 0", old.Ahead)
		}
		n4 := f.kiosk(t, a.ID, "")
		if n4.Ahead != 3 || n4.WaitMinutes != 30 {
			t.Fatalf("fourth: ahead %d wait %d, want 3 and 30 (no window open: one assumed)", n4.Ahead, n4.WaitMinutes)
		}
		for i, w := range f.windows {
			if _, err := f.q.SignOn(ctx, f.clerks[i], w); err != nil {
				t.Fatal(err)
			}
		}
		st, err := f.q.Status(ctx, n4.ID)
		if err != nil {
			t.Fatal(err)
		}
		if st.Ahead != 3 || st.WaitMinutes != 15 {
			t.Fatalf("two windows open: ahead %d wait %d, want 3 and 15", st.Ahead, st.WaitMinutes)
		}
	})
}
