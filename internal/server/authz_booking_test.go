package server

import (
	"testing"
	"time"

	"github.com/tongban/tongban/internal/booking"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/demo"
	"github.com/tongban/tongban/internal/queue"
)

// 网上预约 (issue 19) in the authorisation matrix. The fixture's clock is
// Saturday 2026-02-14 17:00 (China), a make-up working day; the window's
// first open days follow the Spring Festival: Tuesday 2026-02-24 on.
// The district hall has a service (prefix Y) with a template Monday–Friday
// 09:00–12:00; 张三 holds bookings on the 24th (read, checked in: too
// early, so refused with 409 after the checks of who), the 25th (cancelled
// through the API) and the 26th (cancelled through the page).
func (fx *authzFixture) buildBookings(t *testing.T, d *db.DB) {
	t.Helper()
	ctx := fx.ctx
	q := &queue.Service{DB: d}
	prefix, name, minutes := "Y", "预约服务", 15
	hs := must(q.CreateService(ctx, fx.users["admin"], fx.r["hall_d"], queue.ServiceInput{Prefix: &prefix, Name: &name, Minutes: &minutes}))
	fx.r["svc_d"] = hs.ID
	svc := &booking.Service{DB: d, Calendars: mustCalendars(t), Root: demo.Region}
	tpl := booking.Template{ServiceID: hs.ID, Weekdays: []int{1, 2, 3, 4, 5}, From: "09:00", To: "12:00", SlotMinutes: 30, Capacity: 6, Active: true}
	fx.r["tpl_d"] = must(svc.SaveTemplate(ctx, fx.users["admin"], fx.r["hall_d"], tpl)).ID
	for _, k := range []string{"tpl_del", "tpl_del_web"} {
		extra := tpl
		extra.From, extra.To = "14:00", "15:00"
		fx.r[k] = must(svc.SaveTemplate(ctx, fx.users["admin"], fx.r["hall_d"], extra)).ID
	}
	zs := fx.users["zhangsan"]
	china := time.FixedZone("CST", 8*3600)
	for k, day := range map[string]int{"booking_z": 24, "booking_c": 25, "booking_cw": 26} {
		b := must(svc.Book(ctx, zs, booking.Request{HallID: fx.r["hall_d"], ServiceID: hs.ID, StartsAt: time.Date(2026, 2, day, 9, 0, 0, 0, china)}))
		fx.r[k] = b.ID
	}
	fx.r["book_body"] = `{"hall_id":"` + fx.r["hall_d"] + `","service_id":"` + hs.ID + `","starts_at":"2026-02-27T09:30:00+08:00"}`
	fx.r["book_form"] = "hall=" + fx.r["hall_d"] + "&service=" + hs.ID + "&starts_at=2026-02-27T10:00:00%2B08:00"
	fx.r["tpl_body"] = `{"service_id":"` + hs.ID + `","weekdays":[1,2],"from":"13:00","to":"14:00","slot_minutes":30,"capacity":4}`
	fx.r["tpl_form"] = "service_id=" + hs.ID + "&weekday=1&from=15:00&to=16:00&slot_minutes=30&capacity=4"
	fx.r["policy_body"] = mustJSON(t, booking.DefaultPolicy)
}

// closedDay closes 2026-03-02 at the district hall, for a principal to reopen.
func closedDay(t *testing.T, fx *authzFixture) {
	t.Helper()
	exec := func(q string, args ...any) {
		if _, err := fx.ts.db.Writer().ExecContext(fx.ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	exec(`DELETE FROM booking_blackouts WHERE hall_id = $1 AND day = '2026-03-02'`, fx.ref("hall_d"))
	exec(`INSERT INTO booking_blackouts (hall_id, day, reason, created_by, created_at) VALUES ($1, '2026-03-02', '', $2, $3)`,
		fx.ref("hall_d"), fx.users["admin"].ID, time.Now().UTC())
}

func init() {
	apiCells = append(apiCells,
		cell{op: "GET /api/v1/halls/{id}/booking", path: "/halls/<hall_d>/booking?service=<svc_d>&day=2026-02-24", allow: "@all"},
		cell{op: "GET /api/v1/halls/{id}/bookings", variant: "the district hall", path: "/halls/<hall_d>/bookings?day=2026-02-24", allow: "clerk",
			sees: []seen{{"booking_z", "clerk"}}},
		cell{op: "GET /api/v1/bookings", path: "/bookings", allow: "zhangsan lisi", sees: []seen{{"booking_z", "zhangsan"}}},
		cell{op: "POST /api/v1/bookings", path: "/bookings", body: "<book_body>", allow: "zhangsan lisi"},
		cell{op: "GET /api/v1/bookings/{id}", path: "/bookings/<booking_z>", allow: "zhangsan"},
		cell{op: "POST /api/v1/bookings/{id}/cancel", path: "/bookings/<booking_c>/cancel", allow: "zhangsan"},
		cell{op: "POST /api/v1/bookings/{id}/check-in", path: "/bookings/<booking_z>/check-in", allow: "zhangsan clerk"},
		cell{op: "GET /api/v1/admin/halls/{id}/booking", variant: "the district hall", path: "/admin/halls/<hall_d>/booking", allow: "admin"},
		cell{op: "GET /api/v1/admin/halls/{id}/booking", variant: "the town hall", path: "/admin/halls/<hall_t>/booking", allow: townAdmin},
		cell{op: "POST /api/v1/admin/halls/{id}/booking-templates", path: "/admin/halls/<hall_d>/booking-templates", body: "<tpl_body>", allow: "admin"},
		cell{op: "PUT /api/v1/admin/halls/{id}/booking-templates/{tid}", path: "/admin/halls/<hall_d>/booking-templates/<tpl_d>", body: "<tpl_body>", allow: "admin"},
		cell{op: "DELETE /api/v1/admin/halls/{id}/booking-templates/{tid}", path: "/admin/halls/<hall_d>/booking-templates/<tpl_del>", allow: "admin"},
		cell{op: "PUT /api/v1/admin/halls/{id}/booking-blackouts/{day}", path: "/admin/halls/<hall_d>/booking-blackouts/2026-03-03", body: `{"reason":"停电检修"}`, allow: "admin"},
		cell{op: "DELETE /api/v1/admin/halls/{id}/booking-blackouts/{day}", path: "/admin/halls/<hall_d>/booking-blackouts/2026-03-02", allow: "admin",
			before: closedDay},
		cell{op: "GET /api/v1/admin/booking-policy", path: "/admin/booking-policy", allow: instAdmin},
		cell{op: "PUT /api/v1/admin/booking-policy", path: "/admin/booking-policy", body: "<policy_body>", allow: instAdmin},
	)
	webCells = append(webCells,
		cell{op: "GET /booking", path: "/booking?hall=<hall_d>&service=<svc_d>&day=2026-02-24", allow: "@applicants"},
		cell{op: "POST /booking", path: "/booking", body: "<book_form>", allow: "zhangsan lisi"},
		cell{op: "GET /me/bookings", path: "/me/bookings", allow: "zhangsan lisi", sees: []seen{{"booking_z", "zhangsan"}}},
		cell{op: "POST /me/bookings/{id}/cancel", path: "/me/bookings/<booking_cw>/cancel", allow: "zhangsan"},
		cell{op: "POST /me/bookings/{id}/check-in", path: "/me/bookings/<booking_z>/check-in", allow: "zhangsan"},
		cell{op: "GET /workbench/bookings", path: "/workbench/bookings?day=2026-02-24", allow: "clerk clerk-t", sees: []seen{{"booking_z", "clerk"}}},
		cell{op: "POST /workbench/bookings/{id}/check-in", path: "/workbench/bookings/<booking_z>/check-in", allow: "clerk"},
		cell{op: "GET /admin/halls/{id}/booking", path: "/admin/halls/<hall_d>/booking", allow: "admin"},
		cell{op: "POST /admin/halls/{id}/booking/templates", path: "/admin/halls/<hall_d>/booking/templates", body: "<tpl_form>", allow: "admin"},
		cell{op: "POST /admin/halls/{id}/booking/templates/{tid}/delete", path: "/admin/halls/<hall_d>/booking/templates/<tpl_del_web>/delete", allow: "admin"},
		cell{op: "POST /admin/halls/{id}/booking/blackouts", path: "/admin/halls/<hall_d>/booking/blackouts", body: "day=2026-03-04&reason=%E5%81%9C%E7%94%B5", allow: "admin"},
		cell{op: "POST /admin/halls/{id}/booking/blackouts/{day}/delete", path: "/admin/halls/<hall_d>/booking/blackouts/2026-03-02/delete", allow: "admin",
			before: closedDay},
	)
}
