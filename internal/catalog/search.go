package catalog

import (
	"context"
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

// maxQueryGrams bounds the index lookups of one query; the exact substring
// test that follows keeps the result right whichever grams are used.
const maxQueryGrams = 6

// queryGrams picks bigrams of the words to narrow a search with: from each
// word its first, last and evenly spread bigrams. One-character words have
// none and are matched by the substring test alone.
func queryGrams(words []string) []string {
	seen := map[string]bool{}
	var out []string
	per := max(2, maxQueryGrams/max(1, len(words)))
	for _, w := range words {
		gs := wordGrams(w)
		if len(gs) == 0 {
			continue
		}
		step := max(1, (len(gs)+per-1)/per)
		for i := 0; i < len(gs); i += step {
			if !seen[gs[i]] && len(out) < maxQueryGrams {
				seen[gs[i]] = true
				out = append(out, gs[i])
			}
		}
		if last := gs[len(gs)-1]; !seen[last] && len(out) < maxQueryGrams {
			seen[last] = true
			out = append(out, last)
		}
	}
	return out
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
}

// MaxQueryWords bounds a query: each word is one LIKE over the index.
const MaxQueryWords = 8

// MaxQueryRunes bounds a query's length: each character is a gram to look
// up (issue 14). Item names run to about thirty characters.
const MaxQueryRunes = 64

// Search lists items matching q, name matches first, then high-frequency
// items first (R1.7), then by code.
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
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if !q.Drafts {
		// A withdrawn item (an adoption withdrawn) is no longer offered.
		where = append(where, "i.published_version > 0", "i.withdrawn = "+arg(false))
	} else if q.Admin == nil {
		return Results{}, apperr.E(apperr.Forbidden, "error.forbidden")
	}
	if q.Admin != nil {
		where = append(where, q.Admin.ScopeOf(identity.RoleAdmin).SQL("", "i.region_code", arg))
	}
	if utf8.RuneCountInString(q.Q) > MaxQueryRunes {
		return Results{}, apperr.E(apperr.Invalid, "catalog.query_long", "max", MaxQueryRunes)
	}
	var words []string
	for _, w := range strings.Fields(q.Q) {
		if n := Normalize(w); n != "" {
			words = append(words, n)
		}
	}
	if len(words) > MaxQueryWords {
		return Results{}, apperr.E(apperr.Invalid, "catalog.query_words", "max", MaxQueryWords)
	}
	gs := queryGrams(words)
	switch q.Subject {
	case "":
	case SubjectPersonal, SubjectLegal:
		gs = append(gs, "#s:"+q.Subject)
	default:
		return Results{}, apperr.E(apperr.Invalid, "catalog.subject", "value", q.Subject)
	}
	if q.Theme != "" {
		if !knownString(Themes, q.Theme) {
			return Results{}, apperr.E(apperr.Invalid, "catalog.theme", "value", q.Theme)
		}
		gs = append(gs, "#t:"+q.Theme)
	}
	if q.Event != "" {
		if !knownString(LifeEvents, q.Event) {
			return Results{}, apperr.E(apperr.Invalid, "catalog.event", "value", q.Event)
		}
		gs = append(gs, "#e:"+q.Event)
	}
	if len(gs) > 0 {
		var sub []string
		for _, g := range gs {
			sub = append(sub, "SELECT item_id FROM item_grams WHERE gram = "+arg(g))
		}
		where = append(where, "i.id IN ("+strings.Join(sub, " INTERSECT ")+")")
	}
	for _, w := range words {
		// A word that is exactly one indexed gram is matched exactly by the
		// index (grams never cross fields); longer words need the substring test.
		if gs := wordGrams(w); len(gs) == 1 && (gs[0] == w) {
			continue
		}
		where = append(where, c.contains("i.search", arg(w)))
	}
	if q.Department != "" {
		where = append(where, "i.department_id = (SELECT id FROM departments WHERE credit_code = "+arg(q.Department)+")")
	}
	if q.Region != "" {
		if _, err := codes.ParseDivision(q.Region); err != nil {
			return Results{}, err
		}
		where = append(where, "i.region_code LIKE "+arg(within(q.Region)))
	}
	whereArgs := len(args)
	rank := ""
	if len(words) > 0 {
		rank = "CASE WHEN " + c.contains("i.name_key", arg(words[0])) + " THEN 0 ELSE 1 END, "
	}
	cond := ""
	if len(where) > 0 {
		cond = "WHERE " + strings.Join(where, " AND ")
	}
	sqlText := `SELECT i.impl_code, i.basic_code, i.name, d.name, d.credit_code, i.region_code, i.subject, i.item_type, i.level,
		i.handling, i.depth_level, i.visits, i.frequency, i.published_version, COALESCE(i.draft_version, 0)
		FROM items i JOIN departments d ON d.id = i.department_id ` + cond + `
		ORDER BY ` + rank + `i.frequency DESC, i.impl_code
		LIMIT ` + arg(q.PerPage) + ` OFFSET ` + arg((q.Page-1)*q.PerPage)
	res := Results{Items: []Summary{}, Page: q.Page, PerPage: q.PerPage}
	err := c.db.View(ctx, func(tx *db.Tx) error {
		// The count and the page are two queries: a window count would make
		// the database materialise every match before it can stop at a page.
		if err := tx.QueryRow(`SELECT COUNT(*) FROM items i `+cond, args[:whereArgs]...).Scan(&res.Total); err != nil {
			return err
		}
		if res.Total <= (q.Page-1)*q.PerPage {
			return nil
		}
		rows, err := tx.Query(sqlText, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var s Summary
			if err := rows.Scan(&s.ImplCode, &s.BasicCode, &s.Name, &s.DepartmentName, &s.DepartmentCode, &s.RegionCode,
				&s.Subject, &s.Type, &s.Level, &s.Handling, &s.DepthLevel, &s.Visits, &s.Frequency,
				&s.PublishedVersion, &s.DraftVersion); err != nil {
				return err
			}
			res.Items = append(res.Items, s)
		}
		return rows.Err()
	})
	return res, apperr.Internalf("catalog: search", err)
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
// published items are implemented, county first, for browsing by level.
func (c *Catalog) ItemRegions(ctx context.Context, region string) ([]RegionCount, error) {
	var out []RegionCount
	err := c.db.View(ctx, func(tx *db.Tx) error {
		rows, err := tx.Query(`SELECT r.code, r.name, r.level, COUNT(*) FROM items i JOIN regions r ON r.code = i.region_code
			WHERE i.published_version > 0 AND i.withdrawn = $2 AND i.region_code LIKE $1 GROUP BY r.code, r.name, r.level ORDER BY r.level, r.code`, within(region), false)
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
