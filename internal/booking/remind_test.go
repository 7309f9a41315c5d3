package booking_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/deliver"
	"github.com/tongban/tongban/internal/notify"
	"github.com/tongban/tongban/internal/vault"
)

// phone keeps the short messages it was given.
type phone struct {
	mu   sync.Mutex
	sent []deliver.Envelope
}

func (p *phone) Send(_ context.Context, e deliver.Envelope) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sent = append(p.sent, e)
	return nil
}

// The reminder the day before goes by SMS through the outbox, with no
// personal data in its ≤70 characters; a booking cancelled after the
// reminder was sent (but before it was delivered) is not reminded: the
// dispatcher cancels the delivery.
func TestReminderIsCancelledWithTheBooking(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d, monday)
		v, err := vault.New(vault.NewKey())
		if err != nil {
			t.Fatal(err)
		}
		contacts := &deliver.Contacts{DB: d, Vault: v}
		kept, gone := f.person(), f.person()
		for i, u := range []string{"13800138001", "13800138002"} {
			who := kept
			if i == 1 {
				who = gone
			}
			if err := contacts.Set(f.ctx, who, u, "", true, false); err != nil {
				t.Fatal(err)
			}
		}
		f.book(kept, "2026-09-22 09:00")
		b := f.book(gone, "2026-09-22 09:30")
		if rep, err := f.svc.Sweep(f.ctx); err != nil || rep.Reminded != 2 {
			t.Fatalf("sweep %+v %v", rep, err)
		}
		if _, err := f.svc.Cancel(f.ctx, gone, b.ID); err != nil {
			t.Fatal(err)
		}
		sms := &phone{}
		disp := &deliver.Dispatcher{DB: d, Vault: v, Holder: "test", Channels: map[string]deliver.Channel{deliver.ChannelSMS: sms},
			Reminders: deliver.DefaultReminders, Renderer: &notify.TemplateRenderer{DB: d, Home: county}}
		rep, err := disp.Pass(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Cancelled != 1 || len(sms.sent) != 1 {
			t.Fatalf("pass %+v, sent %+v", rep, sms.sent)
		}
		e := sms.sent[0]
		if e.To != "13800138001" || e.Key != "notify.booking_reminder" || !strings.Contains(e.Body, "明天09:00在涪陵区政务服务中心办理综合受理") ||
			len([]rune(e.Body)) > 70 {
			t.Errorf("sent %+v", e)
		}
		for _, bad := range []string{kept.DisplayName, kept.Username, "13800138001"} {
			if strings.Contains(e.Body, bad) {
				t.Errorf("the reminder names %q: %s", bad, e.Body)
			}
		}
		t.Logf("reminder: %s", e.Body)
	})
}
