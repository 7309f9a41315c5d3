package catalog

import (
	"context"
	"database/sql"
	"encoding/json"
	"regexp"
	"strings"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
)

// Bundle is a "one thing" (一件事, R1.4): items across departments offered
// as one service with one merged form and one de-duplicated material list.
type Bundle struct {
	Code      string   `json:"code"`
	Name      string   `json:"name"`
	NameEN    string   `json:"name_en,omitempty"`
	Subject   string   `json:"subject"` // personal, legal
	LifeEvent string   `json:"life_event,omitempty"`
	Summary   string   `json:"summary,omitempty"`
	Published bool     `json:"published"`
	Frequency int      `json:"frequency"`
	Items     []string `json:"items"` // implementation codes, in presentation order
}

// MergedField is a field of a bundle's form with the items that ask for it.
type MergedField struct {
	Field
	Items []string `json:"items"`
}

// MergedMaterial is a material of a bundle, listed once however many items
// require it; the counts are the largest any item asks for.
type MergedMaterial struct {
	Material
	Items []string `json:"items"`
}

var bundleCode = regexp.MustCompile(`^[a-z][a-z0-9-]{1,39}$`)

// Merge builds a bundle's one form (a field shared by key appears once, as
// the first item defines it; it is required if any item requires it) and its
// material list, de-duplicated by name (and by licence type when one satisfies it).
func Merge(items []*Item) ([]MergedField, []MergedMaterial) {
	var fields []MergedField
	fi := map[string]int{}
	var mats []MergedMaterial
	mi := map[string]int{}
	for _, it := range items {
		for _, f := range it.Form {
			if i, ok := fi[f.Key]; ok {
				fields[i].Items = append(fields[i].Items, it.ImplCode)
				fields[i].Required = fields[i].Required || f.Required
				continue
			}
			fi[f.Key] = len(fields)
			fields = append(fields, MergedField{f, []string{it.ImplCode}})
		}
		for _, m := range it.Materials {
			k := materialIdentity(m)
			if i, ok := mi[k]; ok {
				mm := &mats[i]
				mm.Items = append(mm.Items, it.ImplCode)
				mm.Originals = max(mm.Originals, m.Originals)
				mm.Copies = max(mm.Copies, m.Copies)
				mm.Required = mm.Required || m.Required
				mm.Electronic = mm.Electronic && m.Electronic
				continue
			}
			mi[k] = len(mats)
			mats = append(mats, MergedMaterial{m, []string{it.ImplCode}})
		}
	}
	return fields, mats
}

// SameMaterial reports whether two items' materials are one material of a
// bundle (the merge lists them once).
func SameMaterial(a, b Material) bool { return materialIdentity(a) == materialIdentity(b) }

func materialIdentity(m Material) string {
	if m.LicenceType != "" {
		return "licence:" + m.LicenceType
	}
	return "name:" + Normalize(m.Name)
}

// ValidateBundle checks a bundle's own fields (its items are checked
// against the catalog when it is saved).
func ValidateBundle(b *Bundle) error {
	f := &faults{}
	if !bundleCode.MatchString(b.Code) || b.Code == "new" { // "new" names the console's blank form
		f.add("code", apperr.E(apperr.Invalid, "catalog.bundle_code", "value", b.Code))
	}
	if strings.TrimSpace(b.Name) == "" {
		f.add("name", apperr.E(apperr.Invalid, "catalog.required"))
	}
	if b.Subject != SubjectPersonal && b.Subject != SubjectLegal {
		f.add("subject", codeSet(b.Subject))
	}
	if b.LifeEvent != "" && !knownString(LifeEvents, b.LifeEvent) {
		f.add("life_event", codeSet(b.LifeEvent))
	}
	if len(b.Items) < 2 {
		f.add("items", apperr.E(apperr.Invalid, "catalog.bundle_items"))
	}
	// As an item's: a yearly count, never negative, and within what
	// PostgreSQL's 32-bit column holds (beyond it, saving answered 500).
	if b.Frequency < 0 {
		f.add("frequency", apperr.E(apperr.Invalid, "catalog.negative"))
	}
	if b.Frequency > MaxFrequency {
		f.add("frequency", apperr.E(apperr.Invalid, "catalog.frequency_max", "max", MaxFrequency))
	}
	if len(b.Items) > MaxBundleItems {
		f.add("items", apperr.E(apperr.Invalid, "catalog.bundle_items_max", "max", MaxBundleItems))
	}
	seen := map[string]bool{}
	for _, c := range b.Items {
		if seen[c] {
			f.add("items", apperr.E(apperr.Invalid, "catalog.key_duplicate", "value", c))
		}
		seen[c] = true
	}
	if len(f.list) == 0 {
		return nil
	}
	return apperr.E(apperr.Invalid, "catalog.bundle_invalid", "count", len(f.list), "first", f.list[0]).WithDetails(f.list)
}

// MaxBundleItems bounds a 一件事: each item is read, merged and filed as a
// sub-case in one transaction (issue 14). Published bundles join a handful.
const MaxBundleItems = 30

// SaveBundle creates or replaces a bundle. Every item must exist and lie in
// the administrator's regions; a published bundle may hold only published items.
func (c *Catalog) SaveBundle(ctx context.Context, u *identity.User, b *Bundle) error {
	if err := ValidateBundle(b); err != nil {
		return err
	}
	err := c.db.Update(ctx, func(tx *db.Tx) error { return saveBundle(tx, u, b) })
	return apperr.Internalf("catalog: save bundle", err)
}

// saveBundle writes the bundle and its audit record (R4.7).
func saveBundle(tx *db.Tx, u *identity.User, b *Bundle) error {
	if err := saveBundleRows(tx, u, b); err != nil {
		return err
	}
	body, err := json.Marshal(b)
	if err != nil {
		return err
	}
	return audit.Append(tx, &audit.Record{Actor: u.ID, Role: "admin", Action: "bundle.save", ObjectType: "bundle", ObjectID: b.Code}, body)
}

func saveBundleRows(tx *db.Tx, u *identity.User, b *Bundle) error {
	for i, code := range b.Items {
		var region string
		var published int
		err := tx.QueryRow(`SELECT region_code, published_version FROM items WHERE impl_code = $1`, code).Scan(&region, &published)
		if err != nil {
			return apperr.E(apperr.Invalid, "catalog.at", "field", "items", "reason",
				apperr.As(db.NotFound(err, "catalog.item_unknown", "code", code)))
		}
		if err := canEdit(u, region); err != nil {
			return err
		}
		if b.Published && published == 0 {
			return apperr.E(apperr.Invalid, "catalog.bundle_unpublished_item", "code", b.Items[i])
		}
	}
	var id string
	err := tx.QueryRow(`SELECT id FROM bundles WHERE code = $1`, b.Code).Scan(&id)
	switch {
	case err == sql.ErrNoRows:
		id = db.NewID()
		_, err = tx.Exec(`INSERT INTO bundles (id, code, name, name_en, subject, life_event, summary, published, frequency, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)`,
			id, b.Code, b.Name, b.NameEN, b.Subject, b.LifeEvent, b.Summary, b.Published, b.Frequency, tx.Now)
	case err == nil:
		// The stored bundle must be the administrator's too: naming only
		// their own items must not take over another region's bundle.
		stored, serr := bundles(tx, true, b.Code)
		if serr != nil {
			return serr
		}
		for i := range stored {
			if aerr := administers(tx, u, &stored[i]); aerr != nil {
				return aerr
			}
		}
		_, err = tx.Exec(`UPDATE bundles SET name = $1, name_en = $2, subject = $3, life_event = $4, summary = $5, published = $6,
			frequency = $7, updated_at = $8 WHERE id = $9`, b.Name, b.NameEN, b.Subject, b.LifeEvent, b.Summary, b.Published, b.Frequency, tx.Now, id)
		if err == nil {
			_, err = tx.Exec(`DELETE FROM bundle_items WHERE bundle_id = $1`, id)
		}
	}
	if err != nil {
		return err
	}
	for i, code := range b.Items {
		if _, err := tx.Exec(`INSERT INTO bundle_items (bundle_id, position, impl_code) VALUES ($1, $2, $3)`, id, i, code); err != nil {
			return err
		}
	}
	return nil
}

// Bundles lists bundles, most used first; drafts only when asked.
func (c *Catalog) Bundles(ctx context.Context, withDrafts bool) ([]Bundle, error) {
	var out []Bundle
	err := c.db.View(ctx, func(tx *db.Tx) error {
		var err error
		out, err = bundles(tx, withDrafts, "")
		return err
	})
	return out, apperr.Internalf("catalog: bundles", err)
}

func bundles(tx *db.Tx, withDrafts bool, code string) ([]Bundle, error) {
	rows, err := tx.Query(`SELECT b.code, b.name, b.name_en, b.subject, b.life_event, b.summary, b.published, b.frequency, bi.impl_code
		FROM bundles b JOIN bundle_items bi ON bi.bundle_id = b.id
		WHERE ($1 OR b.published) AND ($2 = '' OR b.code = $2)
		ORDER BY b.frequency DESC, b.code, bi.position`, withDrafts, code)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Bundle{}
	for rows.Next() {
		var b Bundle
		var item string
		if err := rows.Scan(&b.Code, &b.Name, &b.NameEN, &b.Subject, &b.LifeEvent, &b.Summary, &b.Published, &b.Frequency, &item); err != nil {
			return nil, err
		}
		if n := len(out); n > 0 && out[n-1].Code == b.Code {
			out[n-1].Items = append(out[n-1].Items, item)
			continue
		}
		b.Items = []string{item}
		out = append(out, b)
	}
	return out, rows.Err()
}

// BundleView is a bundle with its items' current versions, merged form and
// merged materials.
type BundleView struct {
	Bundle
	Versions  []*Version       `json:"versions"`
	Form      []MergedField    `json:"form"`
	Materials []MergedMaterial `json:"materials"`
}

// BundleByCode returns a published bundle (any bundle when drafts is set).
func (c *Catalog) BundleByCode(ctx context.Context, code string, drafts bool) (*BundleView, error) {
	var bs []Bundle
	err := c.db.View(ctx, func(tx *db.Tx) error {
		var err error
		bs, err = bundles(tx, drafts, code)
		return err
	})
	if err != nil {
		return nil, apperr.Internalf("catalog: bundle", err)
	}
	if len(bs) == 0 {
		return nil, apperr.E(apperr.NotFound, "catalog.bundle_unknown", "code", code)
	}
	v := &BundleView{Bundle: bs[0]}
	var items []*Item
	for _, ic := range v.Items {
		ver, err := c.Published(ctx, ic, 0)
		if err != nil {
			return nil, err
		}
		v.Versions = append(v.Versions, ver)
		items = append(items, ver.Item)
	}
	v.Form, v.Materials = Merge(items)
	return v, nil
}

// BundlesFor lists, drafts included, the bundles u administers: those whose
// every item lies inside u's scope (the only ones u may save).
func (c *Catalog) BundlesFor(ctx context.Context, u *identity.User) ([]Bundle, error) {
	out := []Bundle{}
	err := c.db.View(ctx, func(tx *db.Tx) error {
		all, err := bundles(tx, true, "")
		if err != nil {
			return err
		}
		for _, b := range all {
			if err := administers(tx, u, &b); err == nil {
				out = append(out, b)
			} else if apperr.CodeOf(err) == apperr.Internal {
				return err
			}
		}
		return nil
	})
	return out, apperr.Internalf("catalog: bundles", err)
}

// BundleFor is a bundle, drafts included, for an administrator of every
// one of its items (Forbidden for another).
func (c *Catalog) BundleFor(ctx context.Context, u *identity.User, code string) (*BundleView, error) {
	err := c.db.View(ctx, func(tx *db.Tx) error {
		bs, err := bundles(tx, true, code)
		if err != nil {
			return err
		}
		if len(bs) == 0 {
			return apperr.E(apperr.NotFound, "catalog.bundle_unknown", "code", code)
		}
		return administers(tx, u, &bs[0])
	})
	if err != nil {
		return nil, apperr.Internalf("catalog: bundle", err)
	}
	return c.BundleByCode(ctx, code, true)
}

// administers: every item of b lies inside u's scope.
func administers(tx *db.Tx, u *identity.User, b *Bundle) error {
	for _, code := range b.Items {
		var region string
		if err := tx.QueryRow(`SELECT region_code FROM items WHERE impl_code = $1`, code).Scan(&region); err != nil {
			return db.NotFound(err, "catalog.item_unknown", "code", code)
		}
		if err := canEdit(u, region); err != nil {
			return err
		}
	}
	return nil
}
