package catalog

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
)

// Synonym is a 检索同义词 entry: a way people say something (Term) and the
// catalog's wording for it (Expansions; words in one expansion are separated
// by spaces). Stored without expansions, an entry turns the shipped term off.
type Synonym struct {
	Term       string   `json:"term"`
	Expansions []string `json:"expansions"`
}

// SynonymEntry is a term as the administration lists it: what applies, the
// shipped wording if any, and where the entry comes from.
type SynonymEntry struct {
	Synonym
	Default []string `json:"default,omitempty"` // the shipped expansions
	Source  string   `json:"source"`            // "default", "custom" (stored), "off" (a shipped term turned off)
}

// Bounds of an entry (issue 14): a term is a short phrase; a query expands
// into at most maxAlternatives readings anyway.
const (
	MaxSynonymRunes      = 20
	MaxSynonymExpansions = 8
	MaxExpansionRunes    = 40
)

// dictTTL is how long a replica uses the synonyms it read: a change made
// through another replica applies there within this time (at once here).
const dictTTL = 5 * time.Second

type dictCache struct {
	mu sync.Mutex
	d  *dictionary
	at time.Time
}

// dictionary is the synonym set searches use now.
func (c *Catalog) dictionary(tx *db.Tx) (*dictionary, error) {
	c.dict.mu.Lock()
	defer c.dict.mu.Unlock()
	if c.dict.d != nil && time.Since(c.dict.at) < dictTTL {
		return c.dict.d, nil
	}
	stored, err := storedSynonyms(tx)
	if err != nil {
		return nil, err
	}
	c.dict.d, c.dict.at = newDictionary(stored), time.Now()
	return c.dict.d, nil
}

func (c *Catalog) forgetDictionary() {
	c.dict.mu.Lock()
	c.dict.d = nil
	c.dict.mu.Unlock()
}

func storedSynonyms(tx *db.Tx) ([]Synonym, error) {
	rows, err := tx.Query(`SELECT term, expansions FROM search_synonyms ORDER BY term`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Synonym
	for rows.Next() {
		var s Synonym
		var exps string
		if err := rows.Scan(&s.Term, &exps); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(exps), &s.Expansions); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// CheckSynonym tidies an entry (spaces collapsed, empty expansions and
// repeats dropped) and checks its bounds; the term must fold to something.
func CheckSynonym(s *Synonym) error {
	s.Term = strings.TrimSpace(s.Term)
	if Normalize(s.Term) == "" {
		return apperr.E(apperr.Invalid, "catalog.synonym_term")
	}
	if utf8.RuneCountInString(s.Term) > MaxSynonymRunes {
		return apperr.E(apperr.Invalid, "catalog.synonym_term_long", "max", MaxSynonymRunes)
	}
	var exps []string
	for _, e := range s.Expansions {
		e = strings.Join(strings.Fields(e), " ")
		if Normalize(e) == "" || slices.Contains(exps, e) {
			continue
		}
		if utf8.RuneCountInString(e) > MaxExpansionRunes {
			return apperr.E(apperr.Invalid, "catalog.synonym_expansion_long", "max", MaxExpansionRunes)
		}
		exps = append(exps, e)
	}
	if len(exps) > MaxSynonymExpansions {
		return apperr.E(apperr.Invalid, "catalog.synonym_expansions", "max", MaxSynonymExpansions)
	}
	s.Expansions = exps
	if s.Expansions == nil {
		s.Expansions = []string{}
	}
	return nil
}

// mayEditSynonyms: the synonyms serve the whole installation's search, so
// only its administrators (a grant covering the installation) change them.
func (c *Catalog) mayEditSynonyms(u *identity.User) error {
	if u == nil {
		return apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	if !u.Installation(identity.RoleAdmin, c.Home) {
		return apperr.E(apperr.Forbidden, "catalog.synonym_installation_only")
	}
	return nil
}

// MayEditSynonyms reports whether u may change the synonyms.
func (c *Catalog) MayEditSynonyms(u *identity.User) bool { return c.mayEditSynonyms(u) == nil }

// Synonyms lists every term: the shipped ones and the stored ones, by term.
// Any administrator may read them.
func (c *Catalog) Synonyms(ctx context.Context, u *identity.User) ([]SynonymEntry, error) {
	if !u.Has(identity.RoleAdmin) {
		return nil, apperr.E(apperr.Forbidden, "error.forbidden")
	}
	var stored []Synonym
	err := c.db.View(ctx, func(tx *db.Tx) error {
		var err error
		stored, err = storedSynonyms(tx)
		return err
	})
	if err != nil {
		return nil, apperr.Internalf("catalog: synonyms", err)
	}
	byTerm := map[string]*SynonymEntry{}
	var out []*SynonymEntry
	for _, s := range defaultSynonyms {
		e := &SynonymEntry{Synonym: s, Default: s.Expansions, Source: "default"}
		byTerm[Normalize(s.Term)] = e
		out = append(out, e)
	}
	for _, s := range stored {
		e, ok := byTerm[Normalize(s.Term)]
		if !ok {
			e = &SynonymEntry{}
			out = append(out, e)
		}
		e.Synonym, e.Source = s, "custom"
		if len(s.Expansions) == 0 {
			e.Source = "off"
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Term < out[j].Term })
	res := make([]SynonymEntry, len(out))
	for i, e := range out {
		res[i] = *e
	}
	return res, nil
}

// SaveSynonym stores an entry (replacing a stored one of the same term),
// audited as synonym.save.
func (c *Catalog) SaveSynonym(ctx context.Context, u *identity.User, s Synonym) error {
	if err := c.mayEditSynonyms(u); err != nil {
		return err
	}
	if err := CheckSynonym(&s); err != nil {
		return err
	}
	err := c.db.Update(ctx, func(tx *db.Tx) error { return saveSynonym(tx, u, s) })
	c.forgetDictionary()
	return apperr.Internalf("catalog: save synonym", err)
}

func saveSynonym(tx *db.Tx, u *identity.User, s Synonym) error {
	exps, err := json.Marshal(s.Expansions)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(`DELETE FROM search_synonyms WHERE term = $1`, s.Term); err != nil {
		return err
	}
	if _, err := tx.Exec(`INSERT INTO search_synonyms (term, expansions, updated_at, updated_by) VALUES ($1, $2, $3, $4)`,
		s.Term, string(exps), tx.Now, u.ID); err != nil {
		return err
	}
	body, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return audit.Append(tx, &audit.Record{Actor: u.ID, Role: "admin", Action: "synonym.save", ObjectType: "synonym", ObjectID: s.Term}, body)
}

// DeleteSynonym removes a stored entry: a shipped term applies again as
// shipped. Audited as synonym.delete; NotFound when nothing is stored.
func (c *Catalog) DeleteSynonym(ctx context.Context, u *identity.User, term string) error {
	if err := c.mayEditSynonyms(u); err != nil {
		return err
	}
	err := c.db.Update(ctx, func(tx *db.Tx) error {
		var exps string
		err := tx.QueryRow(`SELECT expansions FROM search_synonyms WHERE term = $1`, term).Scan(&exps)
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.E(apperr.NotFound, "catalog.synonym_unknown", "term", term)
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(`DELETE FROM search_synonyms WHERE term = $1`, term); err != nil {
			return err
		}
		return audit.Append(tx, &audit.Record{Actor: u.ID, Role: "admin", Action: "synonym.delete", ObjectType: "synonym", ObjectID: term},
			[]byte(`{"term":`+jsonString(term)+`,"expansions":`+exps+`}`))
	})
	c.forgetDictionary()
	return apperr.Internalf("catalog: delete synonym", err)
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// exportSynonyms is the stored entries, for the exchange document.
func (c *Catalog) exportSynonyms(ctx context.Context) ([]Synonym, error) {
	var out []Synonym
	err := c.db.View(ctx, func(tx *db.Tx) error {
		var err error
		out, err = storedSynonyms(tx)
		return err
	})
	if out == nil {
		out = []Synonym{}
	}
	return out, apperr.Internalf("catalog: synonyms", err)
}
