package queue_test

import (
	"context"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/queue"
)

// What a visit's rating learns of its ticket: only a finished ticket has a
// served-at time; the staff is who finished it; the department is the
// item's, else the window's only department, else the finishing staff's.
func TestServed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		tick(d)
		ctx := context.Background()
		f := newFixture(t, d, 1, 1)
		a := f.service(t, "A", 10, f.windows[0])
		c0 := f.clerks[0]
		var itemDept string
		if err := d.Reader().QueryRow(`SELECT department_id FROM items WHERE impl_code = $1`, f.items[0]).Scan(&itemDept); err != nil {
			t.Fatal(err)
		}
		winDept, staffDept := db.NewID(), db.NewID()
		now := time.Now().UTC()
		exec(t, d, `INSERT INTO departments (id, name, credit_code, region_code, created_at) VALUES ($1, '涪陵区政务服务中心', '11500102MB1C0003XM', $2, $3)`, winDept, county, now)
		exec(t, d, `INSERT INTO departments (id, name, credit_code, region_code, created_at) VALUES ($1, '涪陵区人力社保局', '11500102MB1C0004XM', $2, $3)`, staffDept, county, now)
		exec(t, d, `INSERT INTO role_grants (id, user_id, role, department_id, region_code, created_at) VALUES ($1, $2, 'clerk', $3, $4, $5)`, db.NewID(), c0.ID, staffDept, county, now)
		must(f.q.SignOn(ctx, c0, f.windows[0]))
		served := func(id string) *queue.Served {
			t.Helper()
			var sv *queue.Served
			if err := d.View(ctx, func(tx *db.Tx) (err error) { sv, err = queue.ServedTx(tx, id); return }); err != nil {
				t.Fatal(err)
			}
			return sv
		}
		serve := func(in queue.FinishInput) string {
			t.Helper()
			tk := f.kiosk(t, a.ID, "normal")
			must(f.q.CallNext(ctx, c0))
			must(f.q.Start(ctx, c0, tk.ID))
			tick(d)
			must(f.q.Finish(ctx, c0, tk.ID, in))
			return tk.ID
		}
		withItem := serve(queue.FinishInput{Outcome: queue.OutcomeCase, ImplCode: f.items[0]})
		byStaff := serve(queue.FinishInput{Outcome: queue.OutcomeEnquiry})
		staffSv := served(byStaff)
		exec(t, d, `INSERT INTO window_departments (window_id, department_id) VALUES ($1, $2)`, f.windows[0], winDept)
		byWindow := serve(queue.FinishInput{Outcome: queue.OutcomeEnquiry})
		waiting := f.kiosk(t, a.ID, "normal")

		for _, c := range []struct {
			name string
			sv   *queue.Served
			dept string
			item string
		}{
			{"the item's department", served(withItem), itemDept, f.items[0]},
			{"the staff's department (the window had none)", staffSv, staffDept, ""},
			{"the window's only department", served(byWindow), winDept, ""},
		} {
			sv := c.sv
			if sv.Finished == nil || sv.State != queue.StateDone {
				t.Fatalf("%s: %+v", c.name, sv)
			}
			if sv.Dept != c.dept || sv.StaffID != c0.ID || sv.Region != county || sv.ImplCode != c.item || sv.HallID != f.hall || sv.Number == "" {
				t.Errorf("%s: %+v", c.name, sv)
			}
		}
		if sv := served(waiting.ID); sv.Finished != nil || sv.State != queue.StateWaiting {
			t.Fatalf("a waiting ticket is not served: %+v", sv)
		}
		err := d.View(ctx, func(tx *db.Tx) (err error) { _, err = queue.ServedTx(tx, db.NewID()); return })
		refused(t, err, apperr.NotFound, "queue.ticket_unknown")
	})
}
