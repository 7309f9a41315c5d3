package catalog

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
)

// Normalize folds text for search: NFKC (full-width letters and digits
// become ASCII), lower case, no spaces or punctuation. Item text and queries
// are folded the same way in Go, and matched with LIKE on the folded column,
// so that search behaves identically on SQLite and PostgreSQL.
func Normalize(s string) string {
	s = norm.NFKC.String(s)
	var b strings.Builder
	for _, r := range s {
		switch {
		case unicode.IsSpace(r), unicode.IsPunct(r), unicode.IsSymbol(r):
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// searchText is the folded text an item is found by: any part of its name
// (Chinese and English), its codes, keywords and department.
func searchText(it *Item, deptName string) string {
	parts := []string{it.Name, it.NameEN, it.BasicCode, it.ImplCode, deptName, it.Result.Name}
	parts = append(parts, it.Keywords...)
	for i := range parts {
		parts[i] = Normalize(parts[i])
	}
	// The separator keeps a query from matching across two fields.
	return strings.Join(parts, "\x1f")
}

// Grams returns what the index holds for folded text: the distinct
// bigrams of each field, and the 4-grams of runs of ASCII letters and digits
// (codes, English words), whose bigrams alone would hardly narrow a search.
// Grams never cross a field separator.
func Grams(text string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(g string) {
		if !seen[g] {
			seen[g] = true
			out = append(out, g)
		}
	}
	for _, field := range strings.Split(text, "\x1f") {
		rs := []rune(field)
		for i := 0; i+1 < len(rs); i++ {
			add(string(rs[i : i+2]))
		}
		for _, run := range asciiRuns(field) {
			for i := 0; i+4 <= len(run); i++ {
				add(run[i : i+4])
			}
		}
	}
	return out
}

// asciiRuns splits s into its maximal runs of ASCII letters and digits.
func asciiRuns(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	})
}

// wordGrams are the grams a query word is looked up by: 4-grams for a word
// of ASCII letters and digits at least four long, else bigrams.
func wordGrams(w string) []string {
	if runs := asciiRuns(w); len(runs) == 1 && runs[0] == w && len(w) >= 4 {
		var gs []string
		for i := 0; i+4 <= len(w); i++ {
			gs = append(gs, w[i:i+4])
		}
		return gs
	}
	rs := []rune(w)
	var gs []string
	for i := 0; i+1 < len(rs); i++ {
		gs = append(gs, string(rs[i:i+2]))
	}
	return gs
}

// Query selects items for browsing and search.
type Query struct {
	Q          string // words; every word must occur
	Department string // implementing department's credit code
	Subject    string // personal or legal ("both" items appear under each)
	Theme      string
	Event      string
	Region     string // items implemented in this division or inside it
	Page       int    // from 1
	PerPage    int    // default 20, at most 100
	Drafts     bool   // include never-published items (administration: Admin must be set)
	// Admin limits the listing to the items inside an administrator's scope
	// (the console lists what its user administers, drafts included).
	Admin *identity.User
}

// Summary is one row of a listing.
type Summary struct {
	ImplCode         string `json:"impl_code"`
	BasicCode        string `json:"basic_code"`
	Name             string `json:"name"`
	DepartmentName   string `json:"department_name"`
	DepartmentCode   string `json:"department"`
	RegionCode       string `json:"region"`
	Subject          string `json:"subject"`
	Type             string `json:"type"`
	Level            int    `json:"level"`
	Handling         int    `json:"handling"`
	DepthLevel       int    `json:"depth_level"`
	Visits           int    `json:"visits"`
	Frequency        int    `json:"frequency"`
	PublishedVersion int    `json:"published_version"`
	DraftVersion     int    `json:"draft_version,omitempty"`
}

// Results is one page of a listing.
type Results struct {
	Items   []Summary `json:"items"`
	Total   int       `json:"total"`
	Page    int       `json:"page"`
	PerPage int       `json:"per_page"`
	// Bundles and LifeEvents are what a text query finds besides items, on
	// the portal's first page (empty for administration and other pages).
	Bundles    []BundleHit `json:"bundles"`
	LifeEvents []string    `json:"life_events"`
}

// MaxQueryWords bounds a query: each word is one LIKE over the index.
const MaxQueryWords = 8

// MaxQueryRunes bounds a query's length: each character is a gram to look
// up (issue 14). Item names run to about thirty characters.
const MaxQueryRunes = 64

// Search lists items matching q (R1.7): for a text query, the items holding
// the best of its readings (see query.go) first, then high-frequency items,
// then by code; without one, by frequency and code. The portal's first page
// also lists the bundles (一件事) and life events the query names.
func (c *Catalog) Search(ctx context.Context, q Query) (Results, error) {
	if q.Page < 1 {
		q.Page = 1
	}
	if q.PerPage <= 0 {
		q.PerPage = 20
	}
	if q.PerPage > 100 {
		q.PerPage = 100
	}
	if q.Page > 10000 {
		return Results{}, apperr.E(apperr.Invalid, "catalog.page_range")
	}
	if q.Drafts && q.Admin == nil {
		return Results{}, apperr.E(apperr.Forbidden, "error.forbidden")
	}
	words, facets, err := checkQuery(q)
	if err != nil {
		return Results{}, err
	}
	res := Results{Items: []Summary{}, Bundles: []BundleHit{}, LifeEvents: []string{}, Page: q.Page, PerPage: q.PerPage}
	err = c.db.View(ctx, func(tx *db.Tx) error {
		var p *plan
		if len(words) > 0 {
			d, err := c.dictionary(tx)
			if err != nil {
				return err
			}
			p = d.plan(words)
		}
		m := c.match(q, p, facets)
		// The count and the page are two queries: a window count would make
		// the database materialise every match before it can stop at a page.
		if err := tx.QueryRow(m.with+`SELECT COUNT(*) FROM items i `+m.join+m.cond(), m.args...).Scan(&res.Total); err != nil {
			return err
		}
		if res.Total <= (q.Page-1)*q.PerPage {
			return c.findsBesides(tx, &res, p, q, 0)
		}
		order, score := "i.frequency DESC, i.impl_code", "0"
		if m.rank != nil {
			score = m.rank()
			order = "1 DESC, " + order
		}
		sqlText := m.with + `SELECT ` + score + `, i.impl_code, i.basic_code, i.name, d.name, d.credit_code, i.region_code, i.subject, i.item_type, i.level,
			i.handling, i.depth_level, i.visits, i.frequency, i.published_version, COALESCE(i.draft_version, 0)
			FROM items i JOIN departments d ON d.id = i.department_id ` + m.join + m.cond() + `
			ORDER BY ` + order + ` LIMIT ` + m.arg(q.PerPage) + ` OFFSET ` + m.arg((q.Page-1)*q.PerPage)
		rows, err := tx.Query(sqlText, m.args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		top := -1
		for rows.Next() {
			var s Summary
			var sc int
			if err := rows.Scan(&sc, &s.ImplCode, &s.BasicCode, &s.Name, &s.DepartmentName, &s.DepartmentCode, &s.RegionCode,
				&s.Subject, &s.Type, &s.Level, &s.Handling, &s.DepthLevel, &s.Visits, &s.Frequency,
				&s.PublishedVersion, &s.DraftVersion); err != nil {
				return err
			}
			res.Items = append(res.Items, s)
			top = max(top, sc)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()
		return c.findsBesides(tx, &res, p, q, top)
	})
	return res, apperr.Internalf("catalog: search", err)
}

// findsBesides adds to the portal's first page of a text query the bundles
// it finds as well as its best item (top: that item's score, 0 for none)
// and the life events it names.
func (c *Catalog) findsBesides(tx *db.Tx, res *Results, p *plan, q Query, top int) error {
	if p == nil || q.Page != 1 || q.Admin != nil || q.Department != "" || q.Region != "" || q.Theme != "" {
		return nil
	}
	bs, err := matchBundles(tx, p, q)
	if err != nil {
		return err
	}
	for _, b := range bs {
		if b.score >= top || p.named[b.LifeEvent] {
			res.Bundles = append(res.Bundles, b)
		}
	}
	for _, ev := range p.events {
		if q.Subject == "" || slices.Contains(eventsOf(q.Subject), ev) {
			res.LifeEvents = append(res.LifeEvents, ev)
		}
	}
	return nil
}

// eventsOf lists the life events of a portal subject.
func eventsOf(subject string) []string {
	if subject == SubjectLegal {
		return LegalEvents
	}
	return PersonalEvents
}

// checkQuery checks a query's text and filters and returns its folded words
// and the index entries of its filters.
func checkQuery(q Query) (words, facets []string, err error) {
	if utf8.RuneCountInString(q.Q) > MaxQueryRunes {
		return nil, nil, apperr.E(apperr.Invalid, "catalog.query_long", "max", MaxQueryRunes)
	}
	for _, w := range strings.Fields(q.Q) {
		if n := Normalize(w); n != "" {
			words = append(words, n)
		}
	}
	if len(words) > MaxQueryWords {
		return nil, nil, apperr.E(apperr.Invalid, "catalog.query_words", "max", MaxQueryWords)
	}
	switch q.Subject {
	case "":
	case SubjectPersonal, SubjectLegal:
		facets = append(facets, "#s:"+q.Subject)
	default:
		return nil, nil, apperr.E(apperr.Invalid, "catalog.subject", "value", q.Subject)
	}
	if q.Theme != "" {
		if !knownString(Themes, q.Theme) {
			return nil, nil, apperr.E(apperr.Invalid, "catalog.theme", "value", q.Theme)
		}
		facets = append(facets, "#t:"+q.Theme)
	}
	if q.Event != "" {
		if !knownString(LifeEvents, q.Event) {
			return nil, nil, apperr.E(apperr.Invalid, "catalog.event", "value", q.Event)
		}
		facets = append(facets, "#e:"+q.Event)
	}
	if q.Region != "" {
		if _, err := codes.ParseDivision(q.Region); err != nil {
			return nil, nil, err
		}
	}
	return words, facets, nil
}

// matchSQL is the SQL of a search's matches: an optional WITH of the
// index hits, the join to them, the conditions and the score to rank by.
type matchSQL struct {
	with, join string
	where      []string
	args       []any
	rank       func() string // the score of a text query, its parameters added after the conditions'
}

func (m *matchSQL) arg(v any) string {
	m.args = append(m.args, v)
	return "$" + strconv.Itoa(len(m.args))
}

func (m *matchSQL) cond() string {
	if len(m.where) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(m.where, " AND ")
}

// match builds the SQL selecting the items of q (text read as p).
func (c *Catalog) match(q Query, p *plan, facets []string) *matchSQL {
	m := &matchSQL{}
	if !q.Drafts {
		// A withdrawn item (an adoption withdrawn) is no longer offered.
		m.where = append(m.where, "i.published_version > 0", "i.withdrawn = "+m.arg(false))
	}
	if q.Admin != nil {
		m.where = append(m.where, q.Admin.ScopeOf(identity.RoleAdmin).SQL("", "i.region_code", m.arg))
	}
	if len(facets) > 0 {
		var sub []string
		for _, g := range facets {
			sub = append(sub, "SELECT item_id FROM item_grams WHERE gram = "+m.arg(g))
		}
		m.where = append(m.where, "i.id IN ("+strings.Join(sub, " INTERSECT ")+")")
	}
	if p != nil {
		c.matchText(m, p)
	}
	if q.Department != "" {
		m.where = append(m.where, "i.department_id = (SELECT id FROM departments WHERE credit_code = "+m.arg(q.Department)+")")
	}
	if q.Region != "" {
		m.where = append(m.where, "i.region_code LIKE "+m.arg(within(q.Region)))
	}
	return m
}

// matchText adds a text query's conditions and score: the index hits of
// every alternative's grams counted per item in one pass over the index,
// an item matching when it holds enough of one alternative's. Codes and
// English words (exact alternatives) are looked up as before: the items
// holding every gram, then the substring — their grams (5001, 0010) are in
// nearly every item's codes, too many to count.
func (c *Catalog) matchText(m *matchSQL, p *plan) {
	var all []string
	seen := map[string]bool{}
	gramless := false // some alternative is not counted: items outside the hits may match
	for _, a := range p.alts {
		if !a.counted() {
			gramless = true
			continue
		}
		for _, g := range a.grams {
			if !seen[g] {
				seen[g] = true
				all = append(all, g)
			}
		}
	}
	in := func(gs []string) string {
		ps := make([]string, len(gs))
		for i, g := range gs {
			ps[i] = m.arg(g)
		}
		return strings.Join(ps, ", ")
	}
	var conds []string
	if len(all) > 0 {
		var cols []string
		for k, a := range p.alts {
			if a.counted() {
				cols = append(cols, fmt.Sprintf("SUM(CASE WHEN g.gram IN (%s) THEN 1 ELSE 0 END) AS c%d", in(a.grams), k))
			}
		}
		m.with = "WITH hits AS (SELECT g.item_id, " + strings.Join(cols, ", ") +
			" FROM item_grams g WHERE g.gram IN (" + in(all) + ") GROUP BY g.item_id) "
		m.join = " JOIN hits h ON h.item_id = i.id"
		if gramless {
			m.join = " LEFT JOIN hits h ON h.item_id = i.id"
		}
	}
	for k, a := range p.alts {
		var cond []string
		switch {
		case a.counted():
			cond = append(cond, fmt.Sprintf("%s >= %d", hitsOf(k, gramless), a.need))
		case len(a.grams) > 0:
			var sub []string
			for _, g := range a.grams {
				sub = append(sub, "SELECT item_id FROM item_grams WHERE gram = "+m.arg(g))
			}
			cond = append(cond, "i.id IN ("+strings.Join(sub, " INTERSECT ")+")")
		}
		for _, s := range a.strict {
			cond = append(cond, c.contains("i.search", m.arg(s)))
		}
		conds = append(conds, "("+strings.Join(cond, " AND ")+")")
	}
	m.where = append(m.where, "("+strings.Join(conds, " OR ")+")")
	m.rank = func() string { return c.scoreText(m, p, conds, gramless) }
}

func hitsOf(k int, gramless bool) string {
	if gramless {
		return fmt.Sprintf("COALESCE(h.c%d, 0)", k)
	}
	return fmt.Sprintf("h.c%d", k)
}

// scoreText is a text query's ranking: for the best alternative an item
// matches, per mille of its grams the item holds, 300 more for a name
// holding all its words, less the alternative's penalty. Its parameters
// follow the conditions', which the count does not take.
func (c *Catalog) scoreText(m *matchSQL, p *plan, conds []string, gramless bool) string {
	var scores []string
	for k, a := range p.alts {
		held := "1000"
		if a.counted() {
			held = fmt.Sprintf("%s * 1000 / %d", hitsOf(k, gramless), len(a.grams))
		}
		score := fmt.Sprintf("%s - %d", held, a.penalty)
		if a.event == "" && len(a.pieces) > 0 {
			var in []string
			for _, pc := range a.pieces {
				in = append(in, "CASE WHEN "+c.contains("i.name_key", m.arg(pc))+" THEN 1 ELSE 0 END")
			}
			score += fmt.Sprintf(" + (%s) * 300 / %d", strings.Join(in, " + "), len(a.pieces))
		}
		scores = append(scores, "CASE WHEN "+conds[k]+" THEN "+score+" ELSE 0 END")
	}
	switch {
	case len(scores) == 1:
		return scores[0]
	case c.db.Dialect == db.Postgres:
		return "GREATEST(" + strings.Join(scores, ", ") + ")"
	default:
		return "max(" + strings.Join(scores, ", ") + ")"
	}
}

// BundleHit is a bundle (一件事) a query finds.
type BundleHit struct {
	Code      string `json:"code"`
	Name      string `json:"name"`
	NameEN    string `json:"name_en,omitempty"`
	Subject   string `json:"subject"`
	LifeEvent string `json:"life_event,omitempty"`
	Summary   string `json:"summary,omitempty"`
	score     int
	freq      int
}

// matchBundles lists the published bundles whose name holds a reading of
// the query, or whose life event it names, best first.
func matchBundles(tx *db.Tx, p *plan, q Query) ([]BundleHit, error) {
	rows, err := tx.Query(`SELECT code, name, name_en, subject, life_event, summary, frequency FROM bundles WHERE published = $1`, true)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []BundleHit{}
	for rows.Next() {
		var b BundleHit
		if err := rows.Scan(&b.Code, &b.Name, &b.NameEN, &b.Subject, &b.LifeEvent, &b.Summary, &b.freq); err != nil {
			return nil, err
		}
		if (q.Subject != "" && b.Subject != q.Subject) || (q.Event != "" && b.LifeEvent != q.Event) {
			continue
		}
		text := Normalize(b.Name) + "\x1f" + Normalize(b.NameEN)
		for _, a := range p.alts {
			s := 0
			if a.event != "" {
				if a.event == b.LifeEvent {
					s = 1000 - a.penalty
				}
			} else if s = a.score(text); s > 0 {
				// As an item's: 300 more for a name holding all the words.
				s += a.nameBonus(Normalize(b.Name)) - a.penalty
			}
			b.score = max(b.score, s)
		}
		if b.score > 0 {
			out = append(out, b)
		}
	}
	slices.SortStableFunc(out, func(x, y BundleHit) int {
		if x.score != y.score {
			return y.score - x.score
		}
		return y.freq - x.freq
	})
	return out, rows.Err()
}

// contains is a substring test: instr on SQLite, strpos on PostgreSQL. Both
// compare code points exactly; the text is folded by Normalize first, so
// the two databases find the same items.
func (c *Catalog) contains(column, param string) string {
	if c.db.Dialect == db.Postgres {
		return "strpos(" + column + ", " + param + ") > 0"
	}
	return "instr(" + column + ", " + param + ") > 0"
}

// RegionCount is a division with the number of published items implemented
// in it.
type RegionCount struct {
	Region
	Items int `json:"items"`
}

// ItemRegions lists the divisions inside region (itself included) where
// the published items q finds are implemented, county first, for browsing
// by level: the counts follow the query and its other filters (its own
// region filter aside, so that every division stays to choose).
func (c *Catalog) ItemRegions(ctx context.Context, region string, q Query) ([]RegionCount, error) {
	q.Region, q.Drafts, q.Admin = "", false, nil
	words, facets, err := checkQuery(q)
	if err != nil {
		return nil, err
	}
	var out []RegionCount
	err = c.db.View(ctx, func(tx *db.Tx) error {
		var p *plan
		if len(words) > 0 {
			d, err := c.dictionary(tx)
			if err != nil {
				return err
			}
			p = d.plan(words)
		}
		m := c.match(q, p, facets)
		m.where = append(m.where, "i.region_code LIKE "+m.arg(within(region)))
		rows, err := tx.Query(m.with+`SELECT r.code, r.name, r.level, COUNT(*) FROM items i JOIN regions r ON r.code = i.region_code `+m.join+m.cond()+`
			GROUP BY r.code, r.name, r.level ORDER BY r.level, r.code`, m.args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var rc RegionCount
			if err := rows.Scan(&rc.Code, &rc.Name, &rc.Level, &rc.Items); err != nil {
				return err
			}
			out = append(out, rc)
		}
		return rows.Err()
	})
	return out, apperr.Internalf("catalog: item regions", err)
}
