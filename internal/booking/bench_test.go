package booking_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/booking"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
)

// BenchmarkBook measures bookings a second by 8 concurrent clients: 1,000
// persons over the ten working days of a window (Monday 2026-11-02 on),
// six slots a day of 350 online places; every rule of a booking checked
// in its transaction. At most 21,000 bookings: run with -benchtime=Nx,
// N ≤ 21000 (docs: -benchtime=4000x).
func BenchmarkBook(b *testing.B) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		b.Run(dialect, func(b *testing.B) {
			var d *db.DB
			if dialect == "sqlite" {
				d = dbtest.SQLite(b)
			} else {
				d = dbtest.Postgres(b)
			}
			if b.N > 21000 {
				b.Fatalf("at most 21000 bookings (-benchtime=Nx), not %d", b.N)
			}
			f := newFixture(b, d, "2026-11-02 10:00")
			p := booking.DefaultPolicy
			p.PerDay, p.PerMonth = 10, 100
			if _, err := f.svc.SetPolicy(f.ctx, f.admin, p); err != nil {
				b.Fatal(err)
			}
			exec(b, d, `UPDATE booking_templates SET capacity = 500`)
			people := f.people(1000)
			var days []calendar.Date
			for day := calendar.DateIn(at("2026-11-03 09:00")); len(days) < 10; day = day.AddDays(1) {
				if w, _ := calendar.National().For(county).IsWorkday(day); w {
					days = append(days, day)
				}
			}
			var next atomic.Int64
			b.SetParallelism(4)
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := int(next.Add(1) - 1)
					day := days[i/2100%10]
					slot := (i % 2100) / 350
					when := day.Start(calendar.China).Add(9*time.Hour + time.Duration(slot*30)*time.Minute)
					if _, err := f.svc.Book(f.ctx, people[i%1000], booking.Request{HallID: f.hall, ServiceID: f.service, StartsAt: when}); err != nil {
						b.Errorf("booking %d (%s): %v", i, when, err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "bookings/s")
			var n int
			if err := d.Reader().QueryRow(`SELECT COUNT(*) FROM bookings`).Scan(&n); err != nil || n != b.N {
				b.Fatalf("%d bookings for %d: %v", n, b.N, err)
			}
		})
	}
}
