package catalog

import (
	"bytes"
	_ "embed"
	"io"
)

// The demo region's division tree (see data/SOURCE.md).
//
//go:embed data/divisions-500102.csv
var fulingDivisions []byte

// FulingDivisions returns the embedded division file of 重庆市涪陵区.
func FulingDivisions() io.Reader { return bytes.NewReader(fulingDivisions) }
