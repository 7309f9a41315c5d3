package config

import (
	"runtime/debug"
	"testing"
)

func TestTuneGC(t *testing.T) {
	was := debug.SetGCPercent(100)
	defer debug.SetGCPercent(was)
	if got := TuneGC(func(string) string { return "" }); got != ServerGCPercent || debug.SetGCPercent(ServerGCPercent) != ServerGCPercent {
		t.Errorf("without GOGC: %d", got)
	}
	// The operator's GOGC (already applied by the runtime at start) stands.
	debug.SetGCPercent(150)
	if got := TuneGC(func(k string) string {
		if k == "GOGC" {
			return "150"
		}
		return ""
	}); got != 150 || debug.SetGCPercent(150) != 150 {
		t.Errorf("with GOGC=150: %d", got)
	}
}
