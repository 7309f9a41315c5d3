package queue_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/queue"
	"github.com/tongban/tongban/internal/vault"
)

// 即将到号 for a ticket taken at the kiosk without an account: the mobile
// number is checked and needs consent (nothing written otherwise), is
// stored sealed and shown masked only, and the message is queued once,
// when 3 are ahead — not at the take, not again; the day's end clears it.
func TestNearAlertToKioskPhone(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		tick(d)
		ctx := context.Background()
		f := newFixture(t, d, 1, 1)
		v, _ := vault.New(vault.NewKey())
		f.q.Vault = v
		a := f.service(t, "A", 10, f.windows...)
		take := func(phone string, consent bool) (*queue.Ticket, error) {
			return f.q.Take(ctx, nil, queue.TakeInput{HallID: f.hall, ServiceID: a.ID, Source: queue.SourceKiosk, Phone: phone, Consent: consent})
		}
		tickets := func() int {
			var n int
			d.Reader().QueryRow(`SELECT COUNT(*) FROM queue_tickets`).Scan(&n)
			return n
		}
		for _, bad := range []struct {
			phone   string
			consent bool
			key     string
		}{
			{"12345", true, "codes.mobile"},
			{"2380013800", true, "codes.mobile"},
			{"138 0013 800a", true, "codes.mobile"},
			{"13800138000", false, "queue.near_consent"},
		} {
			_, err := take(bad.phone, bad.consent)
			if apperr.CodeOf(err) != apperr.Invalid || !strings.Contains(err.Error(), bad.key) {
				t.Errorf("%q consent %v: %v, want %s", bad.phone, bad.consent, err, bad.key)
			}
		}
		if n := tickets(); n != 0 {
			t.Fatalf("refused takes wrote %d tickets", n)
		}
		for range 4 {
			must(take("", false))
		}
		mine := must(take("+86 138-0013-8000", true))
		if mine.NearPhone != "138****8000" || mine.Ahead != 4 {
			t.Fatalf("ticket %+v", mine)
		}
		var sealed, masked string
		d.Reader().QueryRow(`SELECT near_phone_sealed, near_phone_masked FROM queue_tickets WHERE id = $1`, mine.ID).Scan(&sealed, &masked)
		if sealed == "" || strings.Contains(sealed, "13800138000") || masked != "138****8000" {
			t.Fatalf("stored %q %q", sealed, masked)
		}
		if st := must(f.q.Status(ctx, mine.ID)); st.NearPhone != "138****8000" {
			t.Fatalf("status %+v", st)
		}
		queued := func() int {
			var n int
			d.Reader().QueryRow(`SELECT COUNT(*) FROM notify_pending WHERE kind = 'queue_near' AND dedup = $1`, queue.NearDedup(mine.ID)).Scan(&n)
			return n
		}
		must(f.q.SignOn(ctx, f.clerks[0], f.windows[0]))
		if queued() != 0 {
			t.Fatal("queued with 4 ahead")
		}
		for i := range 3 {
			tk := must(f.q.CallNext(ctx, f.clerks[0]))
			if got := queued(); got != 1 {
				t.Fatalf("after call %d (%d ahead): %d messages, want 1", i+1, 3-i, got)
			}
			must(f.q.Start(ctx, f.clerks[0], tk.ID))
			must(f.q.Finish(ctx, f.clerks[0], tk.ID, queue.FinishInput{Outcome: queue.OutcomeEnquiry}))
		}
		var body string
		d.Reader().QueryRow(`SELECT body FROM notify_pending WHERE dedup = $1`, queue.NearDedup(mine.ID)).Scan(&body)
		if strings.Contains(body, "8000") || !strings.Contains(body, mine.Number) {
			t.Fatalf("message %s", body)
		}
		// The console's lists never show the number unmasked.
		cv := must(f.q.Console(ctx, f.clerks[0]))
		if b, _ := json.Marshal(cv); strings.Contains(string(b), "13800138000") || !strings.Contains(string(b), "138****8000") {
			t.Fatalf("the console: %s", b)
		}
		// The next day the sealed number is gone.
		d.SetClock(func() time.Time { return time.Date(2026, 12, 9, 1, 0, 0, 0, time.UTC) })
		must(0, d.Update(ctx, func(tx *db.Tx) error { _, err := queue.EndDaysTx(tx); return err }))
		d.Reader().QueryRow(`SELECT near_phone_sealed, near_phone_masked FROM queue_tickets WHERE id = $1`, mine.ID).Scan(&sealed, &masked)
		if sealed != "" || masked != "138****8000" {
			t.Fatalf("after the day: %q %q", sealed, masked)
		}
	})
}
