package catalog

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// readings lists a plan's alternatives as their pieces joined by "+".
func readings(p *plan) []string {
	var out []string
	for _, a := range p.alts {
		if a.event != "" {
			out = append(out, "#"+a.event)
			continue
		}
		out = append(out, strings.Join(a.pieces, "+"))
	}
	return out
}

func TestPlan(t *testing.T) {
	d := newDictionary(nil)
	for _, tc := range []struct {
		q      string
		want   []string // readings that must be among the plan's, the first one first
		events []string
	}{
		{"营业执照办理", []string{"营业执照"}, nil},                            // filler after a term
		{"我要办营业执照", []string{"营业执照"}, nil},                           // filler and a leading 办
		{"怎么办理居住证？", []string{"居住证"}, nil},                           // punctuation folds away, filler before
		{"身份证丢了怎么办", []string{"身份证丢了", "居民身份证+补领"}, nil},             // a whole phrase is a term
		{"身份证补办", []string{"身份证+补办", "居民身份证+补办", "身份证+补领"}, nil},     // two terms, each expanded
		{"生了孩子要办什么", []string{"生孩子", "出生", "生育"}, []string{"birth"}}, // a particle hid the term
		{"上学", []string{"上学", "#schooling"}, []string{"schooling"}},  // an event's word
		{"食品经营许可", []string{"食品经营许可"}, nil},                          // an event's word inside a name does not cut it
		{"ＣＯＭＰＡＮＹ", []string{"company"}, nil},                        // full-width folds
		{"房", []string{"房"}, nil},                                    // one character stays alone
		{"怎么办", []string{"怎么办"}, nil},                                // nothing but filler: as typed
		{"宅基地 南沱", []string{"宅基地+南沱"}, nil},                          // words stay apart
	} {
		var words []string
		for _, w := range strings.Fields(tc.q) {
			words = append(words, Normalize(w))
		}
		p := d.plan(words)
		got := readings(p)
		if got[0] != tc.want[0] {
			t.Errorf("%s: first reading %q, want %q (all %v)", tc.q, got[0], tc.want[0], got)
		}
		for _, w := range tc.want {
			if !slices.Contains(got, w) {
				t.Errorf("%s: no reading %q in %v", tc.q, w, got)
			}
		}
		if tc.events != nil && !slices.Equal(p.events, tc.events) {
			t.Errorf("%s: events %v, want %v", tc.q, p.events, tc.events)
		}
	}
}

func TestNeedOf(t *testing.T) {
	for n, want := range map[int]int{0: 0, 1: 1, 2: 2, 3: 2, 4: 3, 5: 3, 7: 5, 10: 6, 16: 10} {
		if got := needOf(n); got != want {
			t.Errorf("needOf(%d) = %d, want %d", n, got, want)
		}
	}
}

// FuzzPlan: any query text (what the portal's search box sends) makes a
// bounded plan and never panics.
func FuzzPlan(f *testing.F) {
	for _, s := range []string{"身份证丢了怎么办", "营业执照 办理", "生了孩子要办什么", "ｆｏｏｄ许可", "%_", "的了吗", "a", "500101", "怎么办怎么办理办理"} {
		f.Add(s)
	}
	d := newDictionary([]Synonym{{Term: "娃儿", Expansions: []string{"新生儿 出生", "生育"}}})
	f.Fuzz(func(t *testing.T, q string) {
		if !utf8.ValidString(q) || utf8.RuneCountInString(q) > MaxQueryRunes {
			return
		}
		var words []string
		for _, w := range strings.Fields(q) {
			if n := Normalize(w); n != "" {
				words = append(words, n)
			}
		}
		if len(words) == 0 || len(words) > MaxQueryWords {
			return
		}
		p := d.plan(words)
		if len(p.alts) == 0 || len(p.alts) > maxAlternatives+len(LifeEvents) {
			t.Fatalf("%q: %d alternatives", q, len(p.alts))
		}
		for _, a := range p.alts {
			if len(a.grams) > maxAltGrams || a.need > len(a.grams) || (len(a.grams) == 0 && len(a.strict) == 0 && a.event == "") {
				t.Fatalf("%q: alternative %+v", q, a)
			}
		}
	})
}
