//go:build !linux

package cli

import (
	"io"
	"os"
)

// terminal: outside Linux a password prompt is not hidden, so standard
// input is treated as a pipe (give the password through one).
func terminal(io.Reader) (*os.File, bool) { return nil, false }

func noEcho(*os.File) func() { return func() {} }
