package catalog

import (
	"bufio"
	"bytes"
	_ "embed"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

// Everyday phrasing (R1.7): a query is folded (Normalize), cut at the terms
// the synonym dictionary knows, stripped of filler (办理, 怎么办, 我要 …), and
// expanded into alternatives — the query as typed and each synonym's
// catalog wording in place of the term. An item matches an alternative when
// it holds most of the alternative's bigrams (grams of one piece only, so
// that a query's word boundaries do not count against it); items are ranked
// by the share of the best alternative they hold, a name holding the words,
// then frequency. Naming a life event (出生, 退休, 身后 …) also finds the
// event's items, below those matched by their text.

//go:embed data/synonyms-zh-CN.txt
var defaultSynonymsText []byte

// fillers are words that say how one asks, not what one asks for. They are
// removed from a query outside the dictionary's terms, longest first.
var fillers = []string{
	"需要什么材料", "需要哪些材料", "要什么材料", "需要带什么", "怎么办理", "如何办理", "在哪里办", "在哪办理", "去哪里办",
	"办理流程", "办理手续", "怎么申请", "如何申请", "在哪里", "去哪办", "哪里办", "怎么办", "怎么弄", "怎么样", "有哪些",
	"需要什么", "要什么", "多少钱", "多长时间", "多久", "怎么", "如何", "怎样", "在哪", "哪里", "我要", "我想", "想要",
	"需要", "请问", "一下", "可以", "能否", "能不能", "是否", "办理", "申请", "手续", "流程", "材料", "什么", "哪些",
	"咨询", "网上", "在线", "查询",
}

// edgeFillers are single characters dropped where a piece of a query begins
// (leading) or ends (trailing); a character inside a piece stays.
// particles, dropped anywhere outside the dictionary's terms.
const (
	leadingFillers  = "我要想去办给帮"
	trailingFillers = "要办"
	particles       = "的了吗呢吧啊呀么"
)

// maxAlternatives bounds the alternatives of one query, and
// maxAltGrams the grams one alternative is looked up by (issue 14).
const (
	maxAlternatives = 8
	maxAltGrams     = 16
)

// dictionary is the synonym set in use: folded term → its expansions, each
// a list of folded pieces; and the life events' words.
type dictionary struct {
	terms  map[string][][]string
	maxLen int                 // longest term in runes
	events map[string][]string // life event → its folded words
}

// parseSynonyms reads the synonym file format: "term = a | b c", "#"
// comments, "@event = word | word" for life events.
func parseSynonyms(text []byte) ([]Synonym, map[string][]string) {
	var syns []Synonym
	events := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(text))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		term, rest, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		var exps []string
		for _, e := range strings.Split(rest, "|") {
			if e = strings.Join(strings.Fields(e), " "); e != "" {
				exps = append(exps, e)
			}
		}
		term = strings.TrimSpace(term)
		if ev, ok := strings.CutPrefix(term, "@"); ok {
			events[ev] = exps
			continue
		}
		syns = append(syns, Synonym{Term: term, Expansions: exps})
	}
	return syns, events
}

var defaultSynonyms, defaultEventWords = parseSynonyms(defaultSynonymsText)

// DefaultSynonyms is the curated zh-CN synonym set shipped with Tongban.
func DefaultSynonyms() []Synonym { return slices.Clone(defaultSynonyms) }

// newDictionary builds the dictionary of the defaults overlaid by the
// stored entries: a stored term replaces the default one; a stored term
// without expansions turns the default off.
func newDictionary(stored []Synonym) *dictionary {
	d := &dictionary{terms: map[string][][]string{}, events: map[string][]string{}}
	set := func(s Synonym) {
		t := Normalize(s.Term)
		if t == "" {
			return
		}
		if len(s.Expansions) == 0 {
			delete(d.terms, t)
			return
		}
		var exps [][]string
		for _, e := range s.Expansions {
			var pieces []string
			for _, w := range strings.Fields(e) {
				if n := Normalize(w); n != "" {
					pieces = append(pieces, n)
				}
			}
			if len(pieces) > 0 {
				exps = append(exps, pieces)
			}
		}
		d.terms[t] = exps
	}
	for _, s := range defaultSynonyms {
		set(s)
	}
	for _, s := range stored {
		set(s)
	}
	for ev, ws := range defaultEventWords {
		for _, w := range ws {
			d.events[ev] = append(d.events[ev], Normalize(w))
		}
	}
	for t := range d.terms {
		d.maxLen = max(d.maxLen, utf8.RuneCountInString(t))
	}
	return d
}

// token is a piece of a query: a dictionary term (with its expansions) or
// text between terms.
type token struct {
	text string
	exps [][]string
}

// tokens cuts a folded word at the dictionary's terms (longest match from
// the left) and removes filler from the text between them.
func (d *dictionary) tokens(word string) []token {
	rs := []rune(word)
	var out []token
	var gap []rune
	flush := func() {
		raw := string(gap)
		gap = gap[:0]
		for _, p := range stripFillers(raw) {
			if p != raw && len(p) < len(raw) {
				// What filler hid may be a term: 生了孩子 → 生孩子.
				out = append(out, d.tokens(p)...)
			} else {
				out = append(out, token{text: p})
			}
		}
	}
	for i := 0; i < len(rs); {
		matched := false
		for l := min(d.maxLen, len(rs)-i); l >= 2; l-- {
			if exps, ok := d.terms[string(rs[i:i+l])]; ok {
				flush()
				out = append(out, token{text: string(rs[i : i+l]), exps: exps})
				i += l
				matched = true
				break
			}
		}
		if !matched {
			gap = append(gap, rs[i])
			i++
		}
	}
	flush()
	return out
}

// fillersByLength is fillers, longest first.
var fillersByLength = func() []string {
	fs := slices.Clone(fillers)
	sort.SliceStable(fs, func(i, j int) bool { return utf8.RuneCountInString(fs[i]) > utf8.RuneCountInString(fs[j]) })
	return fs
}()

// stripFillers removes filler words from text and returns what remains, as
// pieces (a filler in the middle splits the text).
func stripFillers(text string) []string {
	for _, f := range fillersByLength {
		text = strings.ReplaceAll(text, f, " ")
	}
	text = strings.Map(func(r rune) rune {
		if strings.ContainsRune(particles, r) {
			return -1
		}
		return r
	}, text)
	var out []string
	for _, p := range strings.Fields(text) {
		p = strings.TrimLeft(p, leadingFillers)
		p = strings.TrimRight(p, trailingFillers)
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

// alternative is one way of reading a query: pieces, all of which an item
// should hold; the grams they are looked up by; how many of those an item
// must hold.
type alternative struct {
	pieces  []string
	grams   []string
	need    int
	strict  []string // pieces an item must hold exactly (codes, English words, one-character queries)
	penalty int      // subtracted from the score: synonyms rank just below the words as typed
	event   string   // an alternative standing for a life event's items
}

// counted reports whether items are matched to the alternative by counting
// its grams; an exact one (codes, English words: every piece must occur
// whole) and one without grams are matched otherwise.
func (a *alternative) counted() bool {
	return len(a.grams) > 0 && len(a.strict) < len(a.pieces)
}

// plan is what a text query searches for.
type plan struct {
	alts   []alternative
	events []string        // life events a word of the query names
	named  map[string]bool // life events a reading of the query is nothing but (出生, 去世 …): their bundles are found
}

// plan reads the folded words of a query.
func (d *dictionary) plan(words []string) *plan {
	var toks []token
	for _, w := range words {
		toks = append(toks, d.tokens(w)...)
	}
	if len(toks) == 0 {
		// Nothing but filler ("怎么办"): search for the words as typed.
		for _, w := range words {
			toks = append(toks, token{text: w})
		}
	}
	p := &plan{}
	seen := map[string]bool{}
	add := func(pieces []string, penalty int) {
		if len(p.alts) >= maxAlternatives {
			return
		}
		a := newAlternative(pieces, penalty)
		key := strings.Join(a.pieces, " ")
		if key == "" || seen[key] {
			return
		}
		seen[key] = true
		p.alts = append(p.alts, a)
	}
	typed := make([]string, len(toks))
	for i, t := range toks {
		typed[i] = t.text
	}
	add(typed, 0)
	// All terms in their first catalog wording, then each term in each of
	// its wordings.
	var first []string
	expanded := 0
	for _, t := range toks {
		if len(t.exps) > 0 {
			first = append(first, t.exps[0]...)
			expanded++
		} else {
			first = append(first, t.text)
		}
	}
	if expanded > 1 {
		add(first, 10)
	}
	for i, t := range toks {
		for k, e := range t.exps {
			var pieces []string
			for j, u := range toks {
				if j == i {
					pieces = append(pieces, e...)
				} else {
					pieces = append(pieces, u.text)
				}
			}
			// The dictionary lists a term's wordings best first.
			add(pieces, 10*(k+1))
		}
	}
	// A life event named by a piece of any alternative.
	p.named = map[string]bool{}
	for _, a := range p.alts {
		for _, ev := range LifeEvents {
			all := len(a.pieces) > 0
			for _, piece := range a.pieces {
				if slices.Contains(d.events[ev], piece) {
					if !slices.Contains(p.events, ev) {
						p.events = append(p.events, ev)
					}
				} else {
					all = false
				}
			}
			if all {
				p.named[ev] = true
			}
		}
	}
	for _, ev := range p.events {
		if len(p.alts) < maxAlternatives+2 {
			p.alts = append(p.alts, alternative{grams: []string{"#e:" + ev}, need: 1, penalty: 500, event: ev})
		}
	}
	return p
}

// newAlternative makes the grams of pieces. A one-character piece has no
// gram: it is dropped beside others, and alone it must occur exactly.
func newAlternative(pieces []string, penalty int) alternative {
	a := alternative{penalty: penalty}
	var long []string
	for _, pc := range pieces {
		if utf8.RuneCountInString(pc) >= 2 && !slices.Contains(long, pc) {
			long = append(long, pc)
		}
	}
	if len(long) == 0 {
		a.pieces = pieces[:min(1, len(pieces))]
		a.strict = a.pieces
		return a
	}
	a.pieces = long
	seen := map[string]bool{}
	for _, pc := range long {
		if runs := asciiRuns(pc); len(runs) == 1 && runs[0] == pc {
			a.strict = append(a.strict, pc)
		}
		for _, g := range wordGrams(pc) {
			if !seen[g] {
				seen[g] = true
				a.grams = append(a.grams, g)
			}
		}
	}
	if len(a.grams) > maxAltGrams {
		// Evenly spread grams, the last included.
		step := float64(len(a.grams)) / maxAltGrams
		var gs []string
		for i := 0; i < maxAltGrams; i++ {
			gs = append(gs, a.grams[int(float64(i)*step)])
		}
		a.grams = gs
	}
	a.need = needOf(len(a.grams))
	return a
}

// needOf is how many of n grams an item must hold: all of one or two,
// then three in five (a word cut wrongly or a character more or less still
// finds the item; ranking puts the items holding all of them first).
func needOf(n int) int {
	if n <= 2 {
		return n
	}
	return (3*n + 4) / 5
}

// score is how well folded text holds an alternative (0 when it does not
// match): per mille of its grams held.
func (a *alternative) score(text string) int {
	if a.event != "" || len(a.grams) == 0 {
		for _, s := range a.strict {
			if !strings.Contains(text, s) {
				return 0
			}
		}
		if a.event != "" || len(a.strict) == 0 {
			return 0
		}
		return 1000
	}
	n := 0
	for _, g := range a.grams {
		if strings.Contains(text, g) {
			n++
		}
	}
	if n < a.need {
		return 0
	}
	for _, s := range a.strict {
		if !strings.Contains(text, s) {
			return 0
		}
	}
	return n * 1000 / len(a.grams)
}

// nameBonus is what a folded name holding the alternative's pieces adds to
// its score, as the database ranks items: 300 for all of them.
func (a *alternative) nameBonus(name string) int {
	if len(a.pieces) == 0 {
		return 0
	}
	n := 0
	for _, pc := range a.pieces {
		if strings.Contains(name, pc) {
			n++
		}
	}
	return n * 300 / len(a.pieces)
}
