package workflow

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
)

//go:embed data/*.json
var builtin embed.FS

// Built-in process keys.
const (
	Standard  = "standard"    // 申请和受理 → 承办 → 审核 → 批准 → 办结
	OnTheSpot = "on_the_spot" // 即办件 and 告知承诺: decided at acceptance
	Bundle    = "bundle"      // 一件事: the parent of one sub-case per item
	Simple    = "simple"      // 承办 → 批准, without a separate review step
)

// ItemProcesses are the processes an item may name (items that name none run
// Standard; 即办件 and 告知承诺 always run OnTheSpot).
var ItemProcesses = []string{Standard, Simple}

// Registry holds validated definitions by key and version.
type Registry struct {
	defs   map[string]*Definition // by Ref
	latest map[string]*Definition // by Key
}

// Builtin loads the embedded definitions, validated against roles.
func Builtin(roles []string) (*Registry, error) {
	r := &Registry{defs: map[string]*Definition{}, latest: map[string]*Definition{}}
	err := fs.WalkDir(builtin, "data", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := builtin.ReadFile(path)
		if err != nil {
			return err
		}
		return r.Add(b, roles)
	})
	return r, err
}

// Add parses, validates and registers a definition. A definition already
// registered under the same key and version is refused: a version, once
// cases refer to it, never changes.
func (r *Registry) Add(doc []byte, roles []string) error {
	var d Definition
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return fmt.Errorf("workflow: %w", err)
	}
	if err := Validate(&d, roles); err != nil {
		return err
	}
	if r.defs[d.Ref()] != nil {
		return fmt.Errorf("workflow: %s is already registered", d.Ref())
	}
	r.defs[d.Ref()] = &d
	if cur := r.latest[d.Key]; cur == nil || cur.Version < d.Version {
		r.latest[d.Key] = &d
	}
	return nil
}

// Get returns the definition a case refers to (key@version).
func (r *Registry) Get(ref string) (*Definition, bool) {
	d, ok := r.defs[ref]
	return d, ok
}

// Latest returns the newest version of a process, which new cases start under.
func (r *Registry) Latest(key string) (*Definition, bool) {
	d, ok := r.latest[key]
	return d, ok
}

// Keys lists the registered process keys.
func (r *Registry) Keys() []string {
	var ks []string
	for k := range r.latest {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
