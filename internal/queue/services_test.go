package queue_test

import (
	"context"
	"testing"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/queue"
)

func ptr[T any](v T) *T { return &v }

// A hall's services: every bad field refused naming it, nothing written.
func TestServiceRefusals(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d, 2, 1)
		a := f.service(t, "A", 10, f.windows[0])
		var otherWindow string
		if err := d.Writer().QueryRow(`SELECT id FROM windows WHERE hall_id <> $1 LIMIT 1`, f.hall).Scan(&otherWindow); err != nil {
			otherWindow = "no-such-window"
		}
		good := func() queue.ServiceInput {
			return queue.ServiceInput{Prefix: ptr("B"), Name: ptr("社保业务"), Minutes: ptr(8)}
		}
		for _, c := range []struct {
			name  string
			edit  func(in *queue.ServiceInput)
			code  apperr.Code
			field string
		}{
			{"two letters", func(in *queue.ServiceInput) { in.Prefix = ptr("AB") }, apperr.Invalid, "prefix"},
			{"lower case", func(in *queue.ServiceInput) { in.Prefix = ptr("b") }, apperr.Invalid, "prefix"},
			{"no prefix", func(in *queue.ServiceInput) { in.Prefix = nil }, apperr.Invalid, "prefix"},
			{"no name", func(in *queue.ServiceInput) { in.Name = ptr("") }, apperr.Invalid, "name"},
			{"spaces", func(in *queue.ServiceInput) { in.Name = ptr(" 社保") }, apperr.Invalid, "name"},
			{"zero minutes", func(in *queue.ServiceInput) { in.Minutes = ptr(0) }, apperr.Invalid, "minutes"},
			{"a day's minutes", func(in *queue.ServiceInput) { in.Minutes = ptr(481) }, apperr.Invalid, "minutes"},
			{"unknown item", func(in *queue.ServiceInput) { in.Items = ptr([]string{"nope"}) }, apperr.Invalid, "items"},
			{"another hall's window", func(in *queue.ServiceInput) { in.Windows = ptr([]string{otherWindow}) }, apperr.Invalid, "windows"},
			{"prefix taken", func(in *queue.ServiceInput) { in.Prefix = ptr("A") }, apperr.Conflict, ""},
		} {
			t.Run(c.name, func(t *testing.T) {
				in := good()
				c.edit(&in)
				_, err := f.q.CreateService(ctx, f.admin, f.hall, in)
				e := apperr.As(err)
				if e == nil || e.Code != c.code {
					t.Fatalf("err = %v, want %s", err, c.code)
				}
				if c.field != "" && e.Args["field"] != c.field {
					t.Fatalf("field = %v, want %s (%v)", e.Args["field"], c.field, err)
				}
			})
		}
		_, err := f.q.CreateService(ctx, f.outsider, f.hall, good())
		refused(t, err, apperr.Forbidden, "queue.forbidden_hall")
		_, err = f.q.CreateService(ctx, f.clerks[0], f.hall, good())
		refused(t, err, apperr.Forbidden, "queue.forbidden_hall")
		var n int
		if err := d.Writer().QueryRow(`SELECT COUNT(*) FROM hall_services`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("%d services after refusals (%v)", n, err)
		}
		// A prefix used today stays until tomorrow; the rest changes.
		f.kiosk(t, a.ID, "")
		_, err = f.q.UpdateService(ctx, f.admin, a.ID, queue.ServiceInput{Prefix: ptr("C")})
		refused(t, err, apperr.Conflict, "queue.prefix_in_use")
		got := must(f.q.UpdateService(ctx, f.admin, a.ID, queue.ServiceInput{Minutes: ptr(15), Windows: ptr(f.windows)}))
		if got.Minutes != 15 || len(got.Windows) != 2 || got.Prefix != "A" {
			t.Fatalf("updated: %+v", got)
		}
		// Windows' services: of the hall only.
		_, err = f.q.SetWindowServices(ctx, f.admin, f.windows[1], []string{"no-such-service"})
		refused(t, err, apperr.Invalid, "catalog.at")
		wi := must(f.q.SetWindowServices(ctx, f.admin, f.windows[1], []string{}))
		if len(wi.Services) != 0 {
			t.Fatalf("window services: %v", wi.Services)
		}
		// An inactive window takes no sign-on.
		if _, err := d.Writer().Exec(`UPDATE windows SET active = FALSE WHERE id = $1`, f.windows[1]); err != nil {
			t.Fatal(err)
		}
		_, err = f.q.SignOn(ctx, f.clerks[0], f.windows[1])
		refused(t, err, apperr.Conflict, "queue.window_inactive")
	})
}
