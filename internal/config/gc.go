package config

import (
	"runtime/debug"
	"strings"
)

// ServerGCPercent is the garbage collector's target for the tongban process:
// the heap may grow to five times what is live before a collection. A case
// action allocates a few hundred kilobytes of short-lived objects (rows,
// JSON, replies) against a live heap of tens of megabytes, so with Go's
// default of 100 the collector ran every few dozen cases and took a sixth of
// the CPU of the case lifecycle benchmark (docs/PERFORMANCE.md, 2026-12-01).
const ServerGCPercent = 400

// TuneGC applies ServerGCPercent unless the operator chose GOGC, and returns
// the percentage in force. GOMEMLIMIT, when the operator sets it, still
// bounds the heap (the runtime reads it itself).
func TuneGC(getenv func(string) string) int {
	if v := strings.TrimSpace(getenv("GOGC")); v != "" {
		old := debug.SetGCPercent(100) // read what the runtime took from GOGC …
		debug.SetGCPercent(old)        // … and leave it
		return old
	}
	debug.SetGCPercent(ServerGCPercent)
	return ServerGCPercent
}
