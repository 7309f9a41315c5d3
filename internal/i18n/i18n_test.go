package i18n

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestCatalogsHaveTheSameKeys(t *testing.T) {
	zh, en := Keys(ZH), Keys(EN)
	if !reflect.DeepEqual(zh, en) {
		t.Fatalf("zh-CN and en differ:\nonly zh: %v\nonly en: %v", missing(zh, en), missing(en, zh))
	}
}

func missing(a, b []string) []string {
	in := map[string]bool{}
	for _, k := range b {
		in[k] = true
	}
	var out []string
	for _, k := range a {
		if !in[k] {
			out = append(out, k)
		}
	}
	return out
}

// Every message key passed to apperr.E, i18n.T or a template's T in the
// code base exists in the catalogs: a missing key would show a raw key.
func TestEveryKeyUsedExists(t *testing.T) {
	root := filepath.Join("..", "..")
	used := map[string]string{}
	filepath.WalkDir(filepath.Join(root, "internal"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		switch {
		case strings.HasSuffix(path, "_test.go"):
		case strings.HasSuffix(path, ".go"):
			collectGo(t, path, used)
		case strings.HasSuffix(path, ".html"):
			collectTemplate(t, path, used)
		}
		return nil
	})
	if _, ok := used["codes.citizen_id.check"]; !ok {
		t.Fatalf("the scanner missed a key known to be used (%d found)", len(used))
	}
	for key, where := range used {
		if !Has(ZH, key) {
			t.Errorf("%s: key %q missing from the catalogs", where, key)
		}
	}
}

func collectGo(t *testing.T, path string, used map[string]string) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		var name string
		switch fn := call.Fun.(type) {
		case *ast.SelectorExpr:
			name = fn.Sel.Name
		case *ast.Ident:
			name = fn.Name
		}
		argIdx := -1
		switch name {
		case "E": // apperr.E(code, key, …)
			argIdx = 1
		case "T", "Tr": // i18n.T(lang, key, …) and helpers
			argIdx = 1
		}
		if argIdx < 0 || len(call.Args) <= argIdx {
			return true
		}
		if lit, ok := call.Args[argIdx].(*ast.BasicLit); ok && lit.Kind == token.STRING {
			key, _ := strconv.Unquote(lit.Value)
			if strings.Contains(key, ".") && !strings.Contains(key, " ") {
				used[key] = fset.Position(lit.Pos()).String()
			}
		}
		return true
	})
}

func collectTemplate(t *testing.T, path string, used map[string]string) {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	for {
		i := strings.Index(s, `.T "`)
		if i < 0 {
			return
		}
		s = s[i+4:]
		j := strings.IndexByte(s, '"')
		used[s[:j]] = path
		s = s[j:]
	}
}

type msg struct {
	key  string
	args map[string]any
}

func (m msg) MessageKey() string          { return m.key }
func (m msg) MessageArgs() map[string]any { return m.args }

// A message quoted inside another (the reason an import cell failed) is
// translated into the same language.
func TestNestedMessage(t *testing.T) {
	inner := msg{"catalog.required", nil}
	for lang, want := range map[Lang]string{ZH: "name：必填。", EN: "name: Required."} {
		if got := T(lang, "catalog.at", map[string]any{"field": "name", "reason": inner}); got != want {
			t.Errorf("%s: %q, want %q", lang, got, want)
		}
	}
}
