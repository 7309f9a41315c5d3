package catalog

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Change is one difference between two versions of an item.
type Change struct {
	Path string `json:"path"` // "materials[licence].copies", "promised_limit"
	Old  string `json:"old,omitempty"`
	New  string `json:"new,omitempty"`
	Kind string `json:"kind"` // added, removed, changed
}

// Diff lists the differences from a to b, field by field. Lists of things
// with keys (materials, conditions, form fields, questions) are compared by
// key, so inserting a material shows as one addition, not a cascade.
func Diff(a, b *Item) []Change {
	fa, fb := flatten(a), flatten(b)
	paths := map[string]bool{}
	for p := range fa {
		paths[p] = true
	}
	for p := range fb {
		paths[p] = true
	}
	var out []Change
	for p := range paths {
		o, inA := fa[p]
		n, inB := fb[p]
		switch {
		case !inA:
			out = append(out, Change{Path: p, New: n, Kind: "added"})
		case !inB:
			out = append(out, Change{Path: p, Old: o, Kind: "removed"})
		case o != n:
			out = append(out, Change{Path: p, Old: o, New: n, Kind: "changed"})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

func flatten(it *Item) map[string]string {
	b, _ := json.Marshal(it)
	var v any
	json.Unmarshal(b, &v)
	out := map[string]string{}
	walk("", v, out)
	return out
}

func walk(path string, v any, out map[string]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			p := k
			if path != "" {
				p = path + "." + k
			}
			walk(p, e, out)
		}
	case []any:
		for i, e := range x {
			idx := fmt.Sprint(i)
			if m, ok := e.(map[string]any); ok {
				if k, ok := m["key"].(string); ok && k != "" {
					idx = k
				}
			}
			walk(fmt.Sprintf("%s[%s]", path, idx), e, out)
		}
	case nil:
	default:
		s := fmt.Sprint(x)
		if f, ok := x.(float64); ok {
			s = strings.TrimSuffix(fmt.Sprintf("%g", f), ".0")
		}
		out[path] = s
	}
}
