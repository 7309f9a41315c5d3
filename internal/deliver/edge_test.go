package deliver

import (
	"context"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/demotest"
)

// keys is a channel that accepts every message and keeps its idempotency key.
type keys struct {
	mu  sync.Mutex
	got []string
}

func (k *keys) Send(_ context.Context, e Envelope) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.got = append(k.got, e.IdemKey)
	return nil
}

// The at-least-once edge, as wide as a batch: a replica that dies after
// its gateways accepted a batch but before it recorded the batch leaves
// every message of it to be sent again — with the same idempotency keys —
// by another replica once its claim expires; not before.
func TestDiesBeforeRecording(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := demotest.New(t, d, demotest.At("2026-12-07 10:00"))
		users := people(t, e, 3)
		notifyAll(t, d, users, "edge")
		gw := &keys{}
		chans := map[string]Channel{ChannelEmail: gw, ChannelSMS: gw}
		a := &Dispatcher{DB: d, Vault: e.IDs.Vault(), Holder: "a", Channels: chans, Policy: Policy{Claim: time.Minute}}
		a.beforeRecord = runtime.Goexit // killed between sending and recording
		done := make(chan struct{})
		go func() {
			defer close(done)
			a.Pass(e.Ctx)
		}()
		<-done
		if len(gw.got) != 6 {
			t.Fatalf("a sent %d messages, want 6", len(gw.got))
		}
		b := &Dispatcher{DB: d, Vault: e.IDs.Vault(), Holder: "b", Channels: chans, Policy: Policy{Claim: time.Minute}}
		if rep, err := b.Pass(e.Ctx); err != nil || rep.Claimed != 0 {
			t.Fatalf("b claimed %d while a's claim ran (%v)", rep.Claimed, err)
		}
		e.Advance(61 * time.Second)
		if rep, err := b.Pass(e.Ctx); err != nil || rep.Sent != 6 {
			t.Fatalf("after the claim expired: %+v %v", rep, err)
		}
		var pending int
		d.Reader().QueryRow(`SELECT COUNT(*) FROM deliveries WHERE state <> 'sent'`).Scan(&pending)
		first, again := slices.Sorted(slices.Values(gw.got[:6])), slices.Sorted(slices.Values(gw.got[6:]))
		if pending != 0 || !slices.Equal(first, again) {
			t.Fatalf("%d not sent; keys %v then %v", pending, first, again)
		}
	})
}
