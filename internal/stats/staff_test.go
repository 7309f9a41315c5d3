package stats_test

import (
	"context"
	"testing"

	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/demo"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/stats"
	"github.com/tongban/tongban/internal/vault"
)

// The staff ranking names each member's own unit, not the department of
// the cases they moved: the window clerk who accepted the tax bureau's
// application is not listed under the tax bureau.
func TestStaffRankingUnits(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		v, _ := vault.New(vault.NewKey())
		if err := demo.Seed(ctx, d, identity.NewService(d, v)); err != nil {
			t.Fatal(err)
		}
		var tax, clerk, handler, handlerDept string
		d.Reader().QueryRow(`SELECT id FROM departments WHERE name LIKE '%税务局%' AND region_code = '500102'`).Scan(&tax)
		d.Reader().QueryRow(`SELECT id FROM users WHERE username = 'clerk'`).Scan(&clerk)
		d.Reader().QueryRow(`SELECT u.id, d.name FROM users u JOIN role_grants g ON g.user_id = u.id JOIN departments d ON d.id = g.department_id
			WHERE u.username = 'handler'`).Scan(&handler, &handlerDept)
		if tax == "" || clerk == "" || handler == "" {
			t.Fatal("demo data not found")
		}
		if err := d.Update(ctx, func(tx *db.Tx) error {
			for _, uid := range []string{clerk, clerk, handler} {
				if err := stats.AddStaff(tx, uid, tax, "500102", true); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		today := calendar.DateIn(d.Now())
		s, err := stats.Summarize(ctx, d, stats.Query{From: today, To: today, Staff: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Staff) != 2 || s.Staff[0].UserID != clerk || s.Staff[0].Acted != 2 {
			t.Fatalf("ranking %+v", s.Staff)
		}
		if got := s.Staff[0].Department; got == "" || got == "国家税务总局重庆市涪陵区税务局" {
			t.Errorf("the window clerk is listed under %q", got)
		}
		if got := s.Staff[1].Department; got != handlerDept {
			t.Errorf("the handler is listed under %q, works for %q", got, handlerDept)
		}
	})
}
