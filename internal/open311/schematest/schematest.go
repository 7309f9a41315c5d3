// Package schematest validates JSON answers against the Open311 GeoReport
// v2 JSON Schemas vendored in internal/open311/testdata (the published ones,
// unchanged with their licence, and ours for the answers none was published
// for). Only tests import it: the schema library is a test dependency.
package schematest

import (
	"bytes"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

var (
	mu      sync.Mutex
	schemas = map[string]*jsonschema.Schema{}
)

// dir is internal/open311/testdata, found from this file.
func dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "testdata")
}

// Schema compiles a vendored schema ("georeport-v2/requests.json",
// "ours/errors.json") once, with formats asserted.
func Schema(t testing.TB, file string) *jsonschema.Schema {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if s, ok := schemas[file]; ok {
		return s
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	s, err := c.Compile(filepath.Join(dir(), file))
	if err != nil {
		t.Fatalf("schema %s: %v", file, err)
	}
	schemas[file] = s
	return s
}

// Valid fails t unless b is valid against the schema file.
func Valid(t testing.TB, file string, b []byte) {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: not JSON: %v\n%s", file, err, b)
	}
	if err := Schema(t, file).Validate(inst); err != nil {
		t.Errorf("%s: %v\n%s", file, err, b)
	}
}

// Invalid fails t when b is valid: the schemas must be able to fail.
func Invalid(t testing.TB, file string, b []byte) {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if err := Schema(t, file).Validate(inst); err == nil {
		t.Errorf("%s accepted what it must refuse:\n%s", file, b)
	}
}
