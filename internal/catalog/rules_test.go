package catalog

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/apperr"
)

var today = time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)

func f64(v float64) *float64 { return &v }

func TestValidateValues(t *testing.T) {
	form := []Field{
		{Key: "name", Label: "姓名", Type: "text", Required: true, MaxLen: 4},
		{Key: "id", Label: "身份证", Type: "idnumber"},
		{Key: "org", Label: "信用代码", Type: "creditcode"},
		{Key: "phone", Label: "电话", Type: "phone"},
		{Key: "n", Label: "人数", Type: "number", Min: f64(1), Max: f64(20)},
		{Key: "d", Label: "日期", Type: "date"},
		{Key: "s", Label: "单选", Type: "select", Options: []Option{{Value: "a", Label: "A"}}},
		{Key: "m", Label: "多选", Type: "multiselect", Options: []Option{{Value: "a", Label: "A"}, {Value: "b", Label: "B"}}},
		{Key: "addr", Label: "住址", Type: "address"},
		{Key: "zip", Label: "邮编", Type: "text", Pattern: `[0-9]{6}`},
	}
	cases := []struct {
		field string
		vals  []string
		key   string // "" = accepted
	}{
		{"name", nil, "form.required"},
		{"name", []string{"  "}, "form.required"},
		{"name", []string{"张三丰"}, ""},
		{"name", []string{"欧阳张三丰"}, "form.too_long"},
		{"id", []string{"11010519491231002X"}, ""},
		{"id", []string{"11010519491231002x"}, ""}, // lower-case x is accepted
		{"id", []string{"110105194912310021"}, "form.code"},
		{"org", []string{"91350100M000100Y43"}, ""},
		{"org", []string{"91350100M000100Y44"}, "form.code"},
		{"phone", []string{"13800138000"}, ""},
		{"phone", []string{"023-72223315"}, ""},
		{"phone", []string{"12345"}, "form.phone"},
		{"n", []string{"3"}, ""},
		{"n", []string{"0"}, "form.range"},
		{"n", []string{"三"}, "form.number"},
		{"d", []string{"2026-02-30"}, "form.date"},
		{"d", []string{"2026-02-28"}, ""},
		{"s", []string{"z"}, "form.option"},
		{"m", []string{"a", "b"}, ""},
		{"m", []string{"a", "c"}, "form.option"},
		{"addr", []string{"500102103000", "人民路 1 号"}, ""},
		{"addr", []string{"500102103000", ""}, "form.address_detail"},
		{"addr", []string{"999999", "x"}, "form.address_region"},
		{"zip", []string{"408000"}, ""},
		{"zip", []string{"4080001"}, "form.pattern"},
	}
	for _, c := range cases {
		vals := Values{"name": {"张三"}, c.field: c.vals}
		bad := ValidateValues(form, vals, today)
		got := ""
		if e := bad[c.field]; e != nil {
			got = e.Key
		}
		if got != c.key {
			t.Errorf("%s=%q: %q, want %q", c.field, c.vals, got, c.key)
		}
	}
}

func TestSelect(t *testing.T) {
	it := &Item{
		Conditions: []Condition{{Key: "c1", Text: "always"}, {Key: "c2", Text: "only renting"}},
		Materials:  []Material{{Key: "app", Name: "申请书"}, {Key: "lease", Name: "租赁合同"}, {Key: "title", Name: "产权证明"}, {Key: "proxy", Name: "委托书"}},
		Situations: &Situations{
			Questions: []Question{
				{Key: "premises", Options: []Option{{Value: "own"}, {Value: "rent"}}},
				{Key: "agent", Options: []Option{{Value: "yes"}, {Value: "no"}}},
			},
			Rules: []Rule{
				{When: map[string]string{"premises": "rent"}, Materials: []string{"lease"}, Conditions: []string{"c2"}},
				{When: map[string]string{"premises": "own"}, Materials: []string{"title"}},
				{When: map[string]string{"agent": "yes"}, Materials: []string{"proxy"}},
			},
		},
	}
	keys := func(s Selection) (ks []string, definite []bool) {
		for _, m := range s.Materials {
			ks = append(ks, m.Of.Key)
			definite = append(definite, m.Definite)
		}
		return
	}
	cases := []struct {
		answers  map[string]string
		want     []string
		definite []bool
		complete bool
		conds    int
	}{
		{nil, []string{"app", "lease", "title", "proxy"}, []bool{true, false, false, false}, false, 2},
		{map[string]string{"premises": "rent"}, []string{"app", "lease", "proxy"}, []bool{true, true, false}, false, 2},
		{map[string]string{"premises": "own", "agent": "no"}, []string{"app", "title"}, []bool{true, true}, true, 1},
		{map[string]string{"premises": "rent", "agent": "yes"}, []string{"app", "lease", "proxy"}, []bool{true, true, true}, true, 2},
		{map[string]string{"premises": "castle", "agent": "no"}, []string{"app", "lease", "title"}, []bool{true, false, false}, false, 2}, // unknown answers count as unanswered
	}
	for _, c := range cases {
		s := it.Select(c.answers)
		ks, def := keys(s)
		if !slices.Equal(ks, c.want) || !slices.Equal(def, c.definite) || s.Complete != c.complete || len(s.Conditions) != c.conds {
			t.Errorf("%v: %v %v complete=%v conds=%d", c.answers, ks, def, s.Complete, len(s.Conditions))
		}
	}
}

func TestNormalizeAndGrams(t *testing.T) {
	for in, want := range map[string]string{"ＦＯＯＤ 食品": "food食品", "营业执照（副本）": "营业执照副本", "A_B%c": "abc", "５００１０２": "500102"} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
	gs := Grams("食品经营\x1fsc500102")
	for _, want := range []string{"食品", "品经", "经营", "sc", "5001", "0102", "sc50"} {
		if !slices.Contains(gs, want) {
			t.Errorf("grams %v lack %q", gs, want)
		}
	}
	if slices.Contains(gs, "营s") {
		t.Error("a gram crosses fields")
	}
	// Every gram of a query word is a gram of any text containing the word:
	// the index never loses a match.
	text := Normalize("重庆市涪陵区市场监督管理局 食品经营许可（新办） 11500102MB1C0002XM")
	for _, w := range []string{"食品经营", "监督管理", "mb1c0002", "1150", "涪陵"} {
		for _, g := range wordGrams(w) {
			if !slices.Contains(Grams(text), g) {
				t.Errorf("word %q gram %q not indexed", w, g)
			}
		}
	}
}

func TestDiffByKey(t *testing.T) {
	a := &Item{Name: "x", Materials: []Material{{Key: "a", Name: "A"}, {Key: "b", Name: "B"}}}
	b := &Item{Name: "y", Materials: []Material{{Key: "new", Name: "N"}, {Key: "a", Name: "A"}, {Key: "b", Name: "B2"}}}
	var got []string
	for _, c := range Diff(a, b) {
		got = append(got, c.Kind+" "+c.Path)
	}
	s := strings.Join(got, "; ")
	for _, want := range []string{"changed name", "added materials[new].name", "changed materials[b].name"} {
		if !strings.Contains(s, want) {
			t.Errorf("diff %s lacks %s", s, want)
		}
	}
	if strings.Contains(s, "materials[a]") {
		t.Errorf("an unchanged material shows in the diff: %s", s)
	}
}

func FuzzReadJSON(f *testing.F) {
	f.Add([]byte(`{"format":"tongban-catalog/1","items":[],"bundles":[]}`))
	f.Add([]byte(`{"format":"tongban-catalog/1","items":[{"name":"x","form":[{"key":"a","type":"select"}]}]}`))
	f.Add([]byte(`{`))
	f.Add([]byte(`{"format":"tongban-catalog/1","items":[null]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ex, err := ReadJSON(bytes.NewReader(b))
		if err != nil {
			if apperr.CodeOf(err) != apperr.Invalid {
				t.Fatalf("not Invalid: %v", err)
			}
			return
		}
		for _, it := range ex.Items {
			Validate(it) // must not panic on any accepted document
			it.Select(map[string]string{"a": "b"})
		}
	})
}
