package open311

import (
	"bytes"
	"path/filepath"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The published Open311 GeoReport v2 schemas (testdata/georeport-v2,
// vendored unchanged with their licence) and ours for the answers none was
// published for (testdata/ours).
var (
	schemaMu sync.Mutex
	schemas  = map[string]*jsonschema.Schema{}
)

// Schema compiles a vendored schema once, with formats asserted.
func Schema(t testing.TB, file string) *jsonschema.Schema {
	t.Helper()
	schemaMu.Lock()
	defer schemaMu.Unlock()
	if s, ok := schemas[file]; ok {
		return s
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	abs, err := filepath.Abs(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(abs)
	if err != nil {
		t.Fatalf("schema %s: %v", file, err)
	}
	schemas[file] = s
	return s
}

// ValidJSON fails t unless b is valid against the schema file.
func ValidJSON(t testing.TB, file string, b []byte) {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: not JSON: %v\n%s", file, err, b)
	}
	if err := Schema(t, file).Validate(inst); err != nil {
		t.Errorf("%s: %v\n%s", file, err, b)
	}
}

// invalidJSON fails t when b is valid: the schemas must be able to fail.
func invalidJSON(t testing.TB, file string, b []byte) {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if err := Schema(t, file).Validate(inst); err == nil {
		t.Errorf("%s accepted what it must refuse:\n%s", file, b)
	}
}
