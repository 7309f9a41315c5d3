package catalog

import (
	"context"
	"database/sql"
	"encoding/json"
	"regexp"
	"slices"
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
	// Produces, when set, says that one item of the bundle creates an
	// enterprise whose results the later items take (结果实时共享).
	Produces *Produces `json:"produces,omitempty"`
}

// Produces declares the results one sub-case of a bundle passes on to the
// later ones (结果实时共享, issue 17). The item (a registration, such as a
// company's 设立登记) yields a licence; when its sub-case is granted, the
// licence is issued to the enterprise it creates — named by the item's
// NameField, its legal representative by RepField, given a new unified
// social credit code — and not to the filing account. The later items'
// Fields (of type creditcode) are filled with that code, and their
// Materials (whose licence type is the item's result) are satisfied by the
// licence: the merged form asks for neither, their check waits until the
// result exists, and those sub-cases cannot be granted before it does.
type Produces struct {
	Item      string   `json:"item"`       // implementation code of the producing item, one of the bundle's
	NameField string   `json:"name_field"` // its form field naming the new enterprise
	RepField  string   `json:"rep_field"`  // its form field naming the legal representative
	Fields    []string `json:"fields"`     // later items' creditcode fields: the new credit code
	Materials []string `json:"materials"`  // later items' materials: the licence issued
}

// Passes reports whether the field key is one the producing sub-case fills.
func (p *Produces) Passes(field string) bool { return p != nil && slices.Contains(p.Fields, field) }

// PassesMaterial reports whether the material key is one the producing
// sub-case's licence satisfies.
func (p *Produces) PassesMaterial(key string) bool {
	return p != nil && slices.Contains(p.Materials, key)
}

// MergedField is a field of a bundle's form with the items that ask for it.
// PassedFrom names the item whose result fills it (it is not asked).
type MergedField struct {
	Field
	Items      []string `json:"items"`
	PassedFrom string   `json:"passed_from,omitempty"`
}

// MergedMaterial is a material of a bundle, listed once however many items
// require it; the counts are the largest any item asks for.
type MergedMaterial struct {
	Material
	Items      []string `json:"items"`
	PassedFrom string   `json:"passed_from,omitempty"` // the item whose licence supplies it (not asked)
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
			fields = append(fields, MergedField{Field: f, Items: []string{it.ImplCode}})
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
			mats = append(mats, MergedMaterial{Material: m, Items: []string{it.ImplCode}})
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
	itemsFault := len(b.Items) < 2 || len(b.Items) > MaxBundleItems
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
	if p := b.Produces; p != nil && !itemsFault { // its item is looked for among valid items
		switch i := slices.Index(b.Items, p.Item); {
		case i < 0:
			f.add("produces.item", apperr.E(apperr.Invalid, "catalog.produces_item", "code", p.Item))
		case i == len(b.Items)-1:
			f.add("produces.item", apperr.E(apperr.Invalid, "catalog.produces_last"))
		}
		if p.NameField == "" {
			f.add("produces.name_field", apperr.E(apperr.Invalid, "catalog.required"))
		}
		if p.RepField == "" {
			f.add("produces.rep_field", apperr.E(apperr.Invalid, "catalog.required"))
		}
		if len(p.Fields)+len(p.Materials) == 0 {
			f.add("produces", apperr.E(apperr.Invalid, "catalog.produces_nothing"))
		}
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
	if b.Produces != nil {
		items, err := bundleItemsTx(tx, b.Items)
		if err != nil {
			return err
		}
		if err := CheckProduces(b.Produces, items); err != nil {
			return err
		}
	}
	produces, err := producesText(b.Produces)
	if err != nil {
		return err
	}
	var id string
	err = tx.QueryRow(`SELECT id FROM bundles WHERE code = $1`, b.Code).Scan(&id)
	switch {
	case err == sql.ErrNoRows:
		id = db.NewID()
		_, err = tx.Exec(`INSERT INTO bundles (id, code, name, name_en, subject, life_event, summary, published, frequency, produces, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)`,
			id, b.Code, b.Name, b.NameEN, b.Subject, b.LifeEvent, b.Summary, b.Published, b.Frequency, produces, tx.Now)
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
			frequency = $7, produces = $8, updated_at = $9 WHERE id = $10`, b.Name, b.NameEN, b.Subject, b.LifeEvent, b.Summary, b.Published, b.Frequency, produces, tx.Now, id)
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
	rows, err := tx.Query(`SELECT b.code, b.name, b.name_en, b.subject, b.life_event, b.summary, b.published, b.frequency, b.produces, bi.impl_code
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
		var item, produces string
		if err := rows.Scan(&b.Code, &b.Name, &b.NameEN, &b.Subject, &b.LifeEvent, &b.Summary, &b.Published, &b.Frequency, &produces, &item); err != nil {
			return nil, err
		}
		if n := len(out); n > 0 && out[n-1].Code == b.Code {
			out[n-1].Items = append(out[n-1].Items, item)
			continue
		}
		if produces != "" {
			b.Produces = &Produces{}
			if err := json.Unmarshal([]byte(produces), b.Produces); err != nil {
				return nil, err
			}
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
	if p := v.Produces; p != nil {
		name := v.Items[0]
		for _, ver := range v.Versions {
			if ver.ImplCode == p.Item {
				name = ver.Item.Name
			}
		}
		for i := range v.Form {
			if p.Passes(v.Form[i].Key) {
				v.Form[i].PassedFrom = name
			}
		}
		for i := range v.Materials {
			if p.PassesMaterial(v.Materials[i].Key) {
				v.Materials[i].PassedFrom = name
			}
		}
	}
	return v, nil
}

// Awaits reports whether the bundle's item (implementation code) takes a
// result from the producing item: it cannot be decided before that exists.
func (v *BundleView) Awaits(implCode string) bool {
	p := v.Produces
	if p == nil {
		return false
	}
	for _, ver := range v.Versions {
		if ver.ImplCode != implCode || ver.ImplCode == p.Item {
			continue
		}
		for _, f := range ver.Item.Form {
			if p.Passes(f.Key) {
				return true
			}
		}
		for _, m := range ver.Item.Materials {
			if p.PassesMaterial(m.Key) {
				return true
			}
		}
	}
	return false
}

// AskedForm is the merged form the applicant fills: the fields a sub-case's
// result fills are not asked.
func (v *BundleView) AskedForm() []Field {
	var out []Field
	for _, f := range v.Form {
		if f.PassedFrom == "" {
			out = append(out, f.Field)
		}
	}
	return out
}

// ParseProduces reads a declaration written as JSON (the workbook's cell,
// the console's field); unknown keys are refused.
func ParseProduces(s string) (*Produces, error) {
	p := &Produces{}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(p); err != nil || dec.More() {
		return nil, apperr.E(apperr.Invalid, "catalog.cell_produces")
	}
	return p, nil
}

// producesText is a bundle's declaration as stored ("" for none).
func producesText(p *Produces) (string, error) {
	if p == nil {
		return "", nil
	}
	b, err := json.Marshal(p)
	return string(b), err
}

// bundleItemsTx reads the items of a bundle being saved: each one's
// published version, or its draft when it has none yet.
func bundleItemsTx(tx *db.Tx, codes []string) ([]*Item, error) {
	var out []*Item
	for _, code := range codes {
		var body string
		err := tx.QueryRow(`SELECT v.body FROM items i JOIN item_versions v ON v.item_id = i.id
			AND v.version = CASE WHEN i.published_version > 0 THEN i.published_version ELSE i.draft_version END
			WHERE i.impl_code = $1`, code).Scan(&body)
		if err != nil {
			return nil, db.NotFound(err, "catalog.item_unknown", "code", code)
		}
		it, err := decode(body)
		if err != nil {
			return nil, err
		}
		it.ImplCode = code
		out = append(out, it)
	}
	return out, nil
}

// CheckProduces checks a bundle's declaration of passed-on results against
// its items (in the bundle's order): the producing item yields a licence
// and has the naming fields; each passed field is a credit-code field of a
// later item and of no earlier one; each passed material is, in a later
// item, the producing item's licence, and is asked by no earlier one.
func CheckProduces(p *Produces, items []*Item) error {
	f := &faults{}
	at := slices.IndexFunc(items, func(it *Item) bool { return it.ImplCode == p.Item })
	if at < 0 || at == len(items)-1 {
		f.add("produces.item", apperr.E(apperr.Invalid, "catalog.produces_item", "code", p.Item))
		return apperr.E(apperr.Invalid, "catalog.bundle_invalid", "count", len(f.list), "first", f.list[0]).WithDetails(f.list)
	}
	producer := items[at]
	licence := producer.Result.LicenceType
	if licence == "" {
		f.add("produces.item", apperr.E(apperr.Invalid, "catalog.produces_no_licence", "item", producer.Name))
	}
	hasField := func(it *Item, key string) (Field, bool) {
		i := slices.IndexFunc(it.Form, func(x Field) bool { return x.Key == key })
		if i < 0 {
			return Field{}, false
		}
		return it.Form[i], true
	}
	for _, k := range []struct{ path, key string }{{"produces.name_field", p.NameField}, {"produces.rep_field", p.RepField}} {
		if _, ok := hasField(producer, k.key); !ok {
			f.add(k.path, apperr.E(apperr.Invalid, "catalog.produces_field", "key", k.key, "item", producer.Name))
		}
	}
	for _, key := range p.Fields {
		used := false
		for i, it := range items {
			fl, ok := hasField(it, key)
			switch {
			case !ok:
			case i <= at:
				f.add("produces.fields", apperr.E(apperr.Invalid, "catalog.produces_asked_before", "key", key, "item", it.Name))
			case fl.Type != "creditcode":
				f.add("produces.fields", apperr.E(apperr.Invalid, "catalog.produces_not_code", "key", key, "item", it.Name))
			default:
				used = true
			}
		}
		if !used {
			f.add("produces.fields", apperr.E(apperr.Invalid, "catalog.produces_unused", "key", key))
		}
	}
	for _, key := range p.Materials {
		used := false
		for i, it := range items {
			m, ok := it.Material(key)
			switch {
			case !ok:
			case i <= at:
				f.add("produces.materials", apperr.E(apperr.Invalid, "catalog.produces_asked_before", "key", key, "item", it.Name))
			case licence == "" || m.LicenceType != licence:
				f.add("produces.materials", apperr.E(apperr.Invalid, "catalog.produces_not_licence", "key", key, "item", it.Name))
			default:
				used = true
			}
		}
		if !used {
			f.add("produces.materials", apperr.E(apperr.Invalid, "catalog.produces_unused", "key", key))
		}
	}
	if len(f.list) == 0 {
		return nil
	}
	return apperr.E(apperr.Invalid, "catalog.bundle_invalid", "count", len(f.list), "first", f.list[0]).WithDetails(f.list)
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
