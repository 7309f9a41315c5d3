//go:build !linux

package cli

import (
	"errors"
	"io"
	"os"
)

// terminal: outside Linux a password prompt is not hidden, so standard
// input is treated as a pipe (give the password through one).
func terminal(io.Reader) (*os.File, bool) { return nil, false }

func noEcho(*os.File) func() { return func() {} }

// diskSpace is not measured outside Linux.
func diskSpace(string) (uint64, uint64, error) {
	return 0, 0, errors.New("free disk is measured on Linux only")
}
