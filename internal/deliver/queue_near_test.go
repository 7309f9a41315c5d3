package deliver_test

import (
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/deliver"
	"github.com/tongban/tongban/internal/demo"
	"github.com/tongban/tongban/internal/queue"
)

// 即将到号 to a number given at the kiosk goes through the SMS channel to
// that number, once, when 3 are ahead; the recipient of record has no
// contact of its own, and nothing kept for the dead-letter list or the
// inbox shows the number.
func TestQueueNearToKioskPhone(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		var hall, win string
		if err := d.Reader().QueryRow(`SELECT h.id, w.id FROM halls h JOIN windows w ON w.hall_id = h.id WHERE h.region_code = $1 ORDER BY w.number LIMIT 1`,
			demo.Region).Scan(&hall, &win); err != nil {
			t.Fatal(err)
		}
		q := &queue.Service{DB: d, Vault: f.IDs.Vault()}
		prefix, name, minutes, windows := "A", "综合受理", 10, []string{win}
		svc, err := q.CreateService(f.Ctx, f.Users["admin"], hall, queue.ServiceInput{Prefix: &prefix, Name: &name, Minutes: &minutes, Windows: &windows})
		if err != nil {
			t.Fatal(err)
		}
		take := func(phone string) *queue.Ticket {
			tk, err := q.Take(f.Ctx, nil, queue.TakeInput{HallID: hall, ServiceID: svc.ID, Source: queue.SourceKiosk, Phone: phone, Consent: phone != ""})
			if err != nil {
				t.Fatal(err)
			}
			return tk
		}
		for range 4 {
			take("")
		}
		mine := take("13900139000")
		disp := f.dispatcher("a", deliver.Policy{})
		clerk := f.Users["clerk"]
		if _, err := q.SignOn(f.Ctx, clerk, win); err != nil {
			t.Fatal(err)
		}
		f.pass(disp)
		if s := f.sms.Sent(); len(s) != 0 {
			t.Fatalf("sent with 4 ahead: %+v", s)
		}
		for range 2 {
			tk, err := q.CallNext(f.Ctx, clerk)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := q.Start(f.Ctx, clerk, tk.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := q.Finish(f.Ctx, clerk, tk.ID, queue.FinishInput{Outcome: queue.OutcomeEnquiry}); err != nil {
				t.Fatal(err)
			}
			f.pass(disp)
		}
		s := f.sms.Sent()
		if len(s) != 1 || s[0].To != "13900139000" || !strings.Contains(s[0].Body, mine.Number) || !strings.Contains(s[0].Body, "即将到号") {
			t.Fatalf("sms %+v", s)
		}
		var kept string
		d.Reader().QueryRow(`SELECT n.body || o.payload || d.last_error FROM notifications n JOIN outbox o ON o.notification_id = n.id
			JOIN deliveries d ON d.outbox_id = o.id WHERE n.dedup = $1`, queue.NearDedup(mine.ID)).Scan(&kept)
		if kept == "" || strings.Contains(kept, "13900139000") {
			t.Fatalf("kept %q", kept)
		}
	})
}
