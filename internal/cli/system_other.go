//go:build !linux

package cli

import (
	"errors"
	"io"
	"os"
	"time"
)

// terminal: outside Linux a password prompt is not hidden, so standard
// input is treated as a pipe (give the password through one).
func terminal(io.Reader) (*os.File, bool) { return nil, false }

func noEcho(*os.File) func() { return func() {} }

// diskSpace is not measured outside Linux.
func diskSpace(string) (uint64, uint64, error) {
	return 0, 0, errors.New("free disk is measured on Linux only")
}

// clockSync is not read outside Linux.
func clockSync() (bool, time.Duration, error) {
	return false, 0, errors.New("the clock's synchronisation is read on Linux only (check it with the system's time service)")
}
