package cases_test

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"
	"syscall"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/config"
	"github.com/tongban/tongban/internal/notify"
)

// BenchmarkLifecycleNotify is BenchmarkLifecycle (serial) with the
// notifications of every step written (notify=on, as served) and not
// written (notify=off: notify.Send does nothing), one after the other on the
// same machine, so that what notifications cost a case is measured side by
// side (settling the notifications sent included). Run it with a fixed count, several times, so that the two variants
// alternate:
//
//	go test ./internal/cases -run XXX -bench LifecycleNotify -benchtime 400x -count 3
//
// Besides cases/s it reports what a case wrote: notifications (in-app) and
// outbox rows (one per notification; the dispatcher makes a delivery of each
// for every channel its recipient chose).
func BenchmarkLifecycleNotify(b *testing.B) {
	was := debug.SetGCPercent(100)
	debug.SetGCPercent(was)
	defer debug.SetGCPercent(was)
	config.TuneGC(os.Getenv)
	for _, dbName := range []string{"sqlite", "postgres"} {
		for _, on := range []bool{true, false} {
			b.Run(fmt.Sprintf("%s/notify=%v", dbName, map[bool]string{true: "on", false: "off"}[on]), func(b *testing.B) {
				f := benchFixture(b, dbName)
				count := func(table string) int {
					var n int
					if err := f.db.Reader().QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
						b.Fatal(err)
					}
					return n
				}
				n0, o0 := count("notifications"), count("outbox")
				notify.DiscardForBenchmark.Store(!on)
				defer notify.DiscardForBenchmark.Store(false)
				start, cpu0 := time.Now(), cpuTime()
				// As served, notifications are settled into the inbox and the
				// outbox after the steps' commits, in batches (the dispatcher
				// every few seconds, readers of an inbox at once). Here every
				// 64 cases and at the end, inside the timing: what settling
				// costs is part of what notifications cost.
				settle := func() {
					if _, err := notify.Settle(context.Background(), f.db); err != nil {
						b.Fatal(err)
					}
				}
				i := 0
				for b.Loop() {
					lifecycle(b, f)
					if i++; i%64 == 0 {
						settle()
					}
				}
				settle()
				b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "cases/s")
				// The process's CPU time per case: on a machine shared with
				// other work it varies less than the wall clock (with SQLite
				// it is all of a case's work; with PostgreSQL the client's).
				b.ReportMetric(float64(cpuTime()-cpu0)/float64(time.Millisecond)/float64(b.N), "cpu-ms/case")
				b.ReportMetric(float64(count("notifications")-n0)/float64(b.N), "notifs/case")
				b.ReportMetric(float64(count("outbox")-o0)/float64(b.N), "outbox/case")
			})
		}
	}
}

// cpuTime is the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
