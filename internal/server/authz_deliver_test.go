package server

import (
	"context"
	"errors"
	"testing"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/deliver"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/notify"
)

// refuseAll is a gateway that refuses every message for good.
type refuseAll struct{}

func (refuseAll) Send(context.Context, deliver.Envelope) error {
	return deliver.Permanent(errors.New("550 mailbox unavailable"))
}

// deadLetter makes a dead delivery and names it "dead": each request
// resends it, so each needs a fresh one.
func deadLetter(t *testing.T, fx *authzFixture) {
	t.Helper()
	fx.r["dead"] = makeDead(t, fx.ts, fx.users["zhangsan"])
}

// makeDead makes a dead delivery: an e-mail to u refused for good.
func makeDead(t *testing.T, ts *testServer, u *identity.User) string {
	t.Helper()
	ctx := t.Context()
	c := &deliver.Contacts{DB: ts.db, Vault: ts.ids.Vault()}
	if err := c.Set(ctx, u, "", "zs@example.cn", false, true); err != nil {
		t.Fatal(err)
	}
	if err := ts.db.Update(ctx, func(tx *db.Tx) error {
		return notify.Send(tx, u.ID, "", "deemed", notify.Message{Key: "notify.deemed", Args: map[string]any{"case_no": "X"}}, "dead|"+db.NewID())
	}); err != nil {
		t.Fatal(err)
	}
	d := &deliver.Dispatcher{DB: ts.db, Vault: ts.ids.Vault(), Holder: "test", Channels: map[string]deliver.Channel{deliver.ChannelEmail: refuseAll{}}}
	if _, err := d.Pass(ctx); err != nil {
		t.Fatal(err)
	}
	var id string
	if err := ts.db.Reader().QueryRow(`SELECT id FROM deliveries WHERE state = 'dead' ORDER BY id DESC LIMIT 1`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}
