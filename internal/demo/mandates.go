package demo

import (
	"context"

	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/mandate"
)

// seedMandates gives the demo's village agent a mandate (授权委托) of 张三's
// for every item, as long as a mandate may last, through the services a
// real agent and person use: the agent asks online, and 张三 (the demo has
// no verified phones, so no code is texted) confirms on his account page.
// Kept when the agent holds any mandate of his already.
func seedMandates(ctx context.Context, d *db.DB, ids *identity.Service) error {
	agent, err := ids.UserByUsername(ctx, "agent")
	if err != nil {
		return err
	}
	person, err := ids.UserByUsername(ctx, "zhangsan")
	if err != nil {
		return err
	}
	var n int
	if err := d.Reader().QueryRow(`SELECT COUNT(*) FROM mandates WHERE agent_id = $1 AND principal_id = $2`, agent.ID, person.ID).Scan(&n); err != nil || n > 0 {
		return err
	}
	number, err := citizenID("500102198506120" + "01")
	if err != nil {
		return err
	}
	svc := &mandate.Service{DB: d, Identity: ids}
	m, err := svc.Request(ctx, agent, "", mandate.Request{Name: "张三", Number: number, AllItems: true, Method: mandate.MethodSMS,
		ValidUntil: calendar.DateIn(d.Now().Add(mandate.MaxValidity)).String()})
	if err != nil {
		return err
	}
	_, err = svc.Answer(ctx, person, m.ID, true)
	return err
}
