package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
)

// ExchangeFormat names the catalog exchange document (JSON and xlsx hold
// the same content; see docs/CATALOG.md).
const ExchangeFormat = "tongban-catalog/1"

// Exchange is the whole catalog of a region as one document: the current
// published version of every item, and the bundles.
type Exchange struct {
	Format  string   `json:"format"`
	Items   []*Item  `json:"items"`
	Bundles []Bundle `json:"bundles"`
	// Synonyms are the installation's stored search synonyms (检索同义词):
	// the administrators' entries over the shipped set, in every export.
	Synonyms []Synonym `json:"synonyms,omitempty"`
}

// ExportFor is the export an administrator may take: the published catalog
// inside the region of their first grant (the region they administer).
// Forbidden without a grant covering a region.
func (c *Catalog) ExportFor(ctx context.Context, u *identity.User) (*Exchange, error) {
	for _, g := range u.ScopeOf(identity.RoleAdmin).Grants() {
		if g.DepartmentID == "" && g.RegionCode != "" {
			return c.Export(ctx, g.RegionCode)
		}
	}
	if u == nil {
		return nil, apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	return nil, apperr.E(apperr.Forbidden, "error.forbidden")
}

// Export returns the published catalog inside region ("" for all), in
// implementation-code order.
func (c *Catalog) Export(ctx context.Context, region string) (*Exchange, error) {
	ex := &Exchange{Format: ExchangeFormat, Items: []*Item{}}
	var codes []string
	err := c.db.View(ctx, func(tx *db.Tx) error {
		rows, err := tx.Query(`SELECT impl_code FROM items WHERE published_version > 0 AND region_code LIKE $1 ORDER BY impl_code`, within(region))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				return err
			}
			codes = append(codes, s)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, apperr.Internalf("catalog: export", err)
	}
	in := map[string]bool{}
	for _, code := range codes {
		v, err := c.Published(ctx, code, 0)
		if err != nil {
			return nil, err
		}
		ex.Items = append(ex.Items, v.Item)
		in[code] = true
	}
	bs, err := c.Bundles(ctx, true)
	if err != nil {
		return nil, err
	}
	ex.Bundles = []Bundle{}
	for _, b := range bs {
		if len(b.Items) > 0 && in[b.Items[0]] {
			ex.Bundles = append(ex.Bundles, b)
		}
	}
	if ex.Synonyms, err = c.exportSynonyms(ctx); err != nil {
		return nil, err
	}
	return ex, nil
}

// WriteJSON writes the exchange document, indented for review in diffs.
func (ex *Exchange) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(ex)
}

// Write writes the document as "json" (the default) or "xlsx" and returns
// its content type and file name.
func (ex *Exchange) Write(w io.Writer, format string) (contentType, filename string, err error) {
	switch format {
	case "", "json":
		return "application/json; charset=utf-8", "catalog.json", ex.WriteJSON(w)
	case "xlsx":
		if err := ex.WriteXLSX(w); err != nil {
			return "", "", apperr.Internalf("catalog: xlsx", err)
		}
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "catalog.xlsx", nil
	}
	return "", "", apperr.E(apperr.Invalid, "catalog.exchange_format", "value", format)
}

// Read reads an exchange document in the given format ("json", "xlsx").
func Read(r io.Reader, format string) (*Exchange, Locator, error) {
	switch format {
	case "", "json":
		ex, err := ReadJSON(r)
		return ex, nil, err
	case "xlsx":
		return ReadXLSX(r)
	}
	return nil, nil, apperr.E(apperr.Invalid, "catalog.exchange_format", "value", format)
}

// ReadJSON parses an exchange document strictly: unknown fields are errors,
// so that a misspelt field is not silently dropped.
func ReadJSON(r io.Reader) (*Exchange, error) {
	dec := json.NewDecoder(io.LimitReader(r, 64<<20))
	dec.DisallowUnknownFields()
	var ex Exchange
	if err := dec.Decode(&ex); err != nil {
		return nil, apperr.E(apperr.Invalid, "catalog.import_json", "error", jsonReason(err))
	}
	if ex.Format != ExchangeFormat {
		return nil, apperr.E(apperr.Invalid, "catalog.import_format_name", "want", ExchangeFormat, "got", ex.Format)
	}
	for i, it := range ex.Items {
		if it == nil {
			return nil, apperr.E(apperr.Invalid, "catalog.import_null", "index", i)
		}
	}
	return &ex, nil
}

func jsonReason(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("offset %d: %v", se.Offset, se)
	case errors.As(err, &te):
		return fmt.Sprintf("%s: expected %s, got %s", te.Field, te.Type, te.Value)
	}
	return err.Error()
}

// Locator names where in the source file an item's field came from, so that
// an import's faults point at a row and column ("" falls back to the path).
type Locator func(item int, path string) string

// ImportReport counts what an import did.
type ImportReport struct {
	Created   int  `json:"created"`   // items new to the catalog
	Updated   int  `json:"updated"`   // items whose content changed: a new version
	Unchanged int  `json:"unchanged"` // items identical to their current version
	Bundles   int  `json:"bundles"`
	Synonyms  int  `json:"synonyms"` // entries stored or changed
	Published bool `json:"published"`
}

// MaxImportFaults bounds the faults one import reports.
const MaxImportFaults = 200

// Import loads an exchange document in one transaction: every item is
// validated first and any fault rejects the whole document, listing every
// fault with its location. Changed items become drafts, published at once
// when publish is set; identical items are left alone.
func (c *Catalog) Import(ctx context.Context, u *identity.User, ex *Exchange, andPublish bool, loc Locator) (ImportReport, error) {
	if loc == nil {
		loc = func(int, string) string { return "" }
	}
	var list []*apperr.Error
	fault := func(i int, path string, reason error) {
		where := loc(i, path)
		if where == "" {
			where = fmt.Sprintf("items[%d].%s", i, path)
			if i < 0 {
				where = path
			}
		}
		if len(list) < MaxImportFaults {
			list = append(list, apperr.E(apperr.Invalid, "catalog.import_fault", "where", where, "reason", apperr.As(reason)))
		}
	}
	seen := map[string]int{}
	for i, it := range ex.Items {
		f := &faults{}
		it.checkInto(f)
		for _, d := range f.list {
			fault(i, d.Args["field"].(string), d.Args["reason"].(*apperr.Error))
		}
		if j, dup := seen[it.ImplCode]; dup && it.ImplCode != "" {
			fault(i, "impl_code", apperr.E(apperr.Invalid, "catalog.import_duplicate", "code", it.ImplCode, "other", j+1))
		}
		seen[it.ImplCode] = i
		if err := canEdit(u, it.Region); err != nil && f.list == nil {
			fault(i, "region", err)
		}
	}
	for i, b := range ex.Bundles {
		if err := ValidateBundle(&b); err != nil {
			for _, d := range apperr.As(err).Details {
				fault(-1, fmt.Sprintf("bundles[%d].%s", i, d.Args["field"]), d.Args["reason"].(*apperr.Error))
			}
		}
	}
	terms := map[string]int{}
	for i := range ex.Synonyms {
		s := &ex.Synonyms[i]
		if err := CheckSynonym(s); err != nil {
			fault(-1, fmt.Sprintf("synonyms[%d]", i), err)
		}
		if j, dup := terms[Normalize(s.Term)]; dup {
			fault(-1, fmt.Sprintf("synonyms[%d].term", i), apperr.E(apperr.Invalid, "catalog.import_duplicate", "code", s.Term, "other", j+1))
		}
		terms[Normalize(s.Term)] = i
	}
	if len(list) > 0 {
		return ImportReport{}, importErr(list)
	}
	if len(ex.Synonyms) > 0 {
		defer c.forgetDictionary()
	}
	var rep ImportReport
	err := c.db.Update(ctx, func(tx *db.Tx) error {
		rep = ImportReport{Published: andPublish}
		list = list[:0]
		for i, it := range ex.Items {
			var published int
			var current string
			err := tx.QueryRow(`SELECT i.published_version, COALESCE(v.digest, '') FROM items i
				LEFT JOIN item_versions v ON v.item_id = i.id AND v.version = i.published_version
				WHERE i.impl_code = $1`, it.ImplCode).Scan(&published, &current)
			isNew := err != nil
			if _, digest := encode(it); !isNew && published > 0 && digest == current {
				rep.Unchanged++
				continue
			}
			if _, err := saveDraft(tx, u, it, "import"); err != nil {
				if apperr.CodeOf(err) == apperr.Internal {
					return err
				}
				fault(i, "", err)
				continue
			}
			if andPublish {
				if _, err := publish(tx, u, it.ImplCode); err != nil {
					return err
				}
			}
			if isNew {
				rep.Created++
			} else {
				rep.Updated++
			}
		}
		if len(list) > 0 {
			return importErr(list)
		}
		for i := range ex.Bundles {
			b := ex.Bundles[i]
			if err := saveBundle(tx, u, &b); err != nil {
				if apperr.CodeOf(err) == apperr.Internal {
					return err
				}
				fault(-1, fmt.Sprintf("bundles[%d]", i), err)
				continue
			}
			rep.Bundles++
		}
		if len(list) > 0 {
			return importErr(list)
		}
		stored, err := storedSynonyms(tx)
		if err != nil {
			return err
		}
		for _, s := range ex.Synonyms {
			i := slices.IndexFunc(stored, func(o Synonym) bool { return o.Term == s.Term })
			if i >= 0 && slices.Equal(stored[i].Expansions, s.Expansions) {
				continue
			}
			// An export carries the synonyms; re-importing it unchanged needs
			// no right over them, changing them needs the installation's.
			if err := c.mayEditSynonyms(u); err != nil {
				return err
			}
			if err := saveSynonym(tx, u, s); err != nil {
				return err
			}
			rep.Synonyms++
		}
		return nil
	})
	return rep, apperr.Internalf("catalog: import", err)
}

func importErr(list []*apperr.Error) error {
	return apperr.E(apperr.Invalid, "catalog.import_rejected", "count", len(list), "first", list[0]).WithDetails(list)
}

// trimAll trims every string of a list and drops empty ones.
func trimAll(ss []string) []string {
	var out []string
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
