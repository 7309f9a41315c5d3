package catalog

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
)

// Version is one version of an item with its content.
type Version struct {
	ImplCode    string     `json:"impl_code"`
	Version     int        `json:"version"`
	Status      string     `json:"status"`  // draft, published
	Current     bool       `json:"current"` // the published version applicants file under now
	Digest      string     `json:"digest"`  // SHA-256 of the stored document
	Note        string     `json:"note,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	CreatedBy   string     `json:"created_by"`
	UpdatedAt   time.Time  `json:"updated_at"`
	PublishedAt *time.Time `json:"published_at,omitempty"`
	PublishedBy string     `json:"published_by,omitempty"`
	Item        *Item      `json:"item,omitempty"`
	// DepartmentName is the implementing department's name, for display.
	DepartmentName   string `json:"department_name"`
	DepartmentNameEN string `json:"department_name_en,omitempty"`
	// Withdrawn: the item takes no new applications (an adoption withdrawn);
	// its versions stay readable and its open cases continue.
	Withdrawn bool `json:"withdrawn,omitempty"`
	// ItemID and DepartmentID are the item's and its department's row ids,
	// for the records that refer to them (a case).
	ItemID       string `json:"-"`
	DepartmentID string `json:"-"`
}

// Version statuses.
const (
	StatusDraft     = "draft"
	StatusPublished = "published"
)

// canEdit: administrators read and edit the items (drafts, versions,
// exports) of the regions their grant covers, by the one scoping rule
// (identity.Scope). The catalog is a region's: an administrator's grant
// naming a department edits none of it.
func canEdit(u *identity.User, region string) error {
	if u == nil {
		return apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	if !u.ScopeOf(identity.RoleAdmin).CoversRegion(region) {
		return apperr.E(apperr.Forbidden, "catalog.edit_forbidden", "region", region)
	}
	return nil
}

// encode is the stored form of a version: Go's JSON encoding of the struct,
// which is deterministic (struct order, sorted map keys), and its digest.
func encode(it *Item) (string, string) {
	b, err := json.Marshal(it)
	if err != nil {
		panic(err) // an Item always encodes
	}
	sum := sha256.Sum256(b)
	return string(b), hex.EncodeToString(sum[:])
}

// SaveDraft validates it and stores it as the item's open draft: it creates
// the item if its implementation code is new, replaces the open draft if
// there is one, or starts a new draft version after the newest version.
// Published versions are never touched. Returns the draft's number.
func (c *Catalog) SaveDraft(ctx context.Context, u *identity.User, it *Item, note string) (int, error) {
	if err := Validate(it); err != nil {
		return 0, err
	}
	if err := canEdit(u, it.Region); err != nil {
		return 0, err
	}
	var v int
	err := c.db.Update(ctx, func(tx *db.Tx) error {
		var err error
		v, err = saveDraft(tx, u, it, note)
		return err
	})
	return v, apperr.Internalf("catalog: save draft", err)
}

// saveDraft writes the draft and its audit record (R4.7).
func saveDraft(tx *db.Tx, u *identity.User, it *Item, note string) (int, error) {
	actor := u.ID
	v, err := saveDraftRow(tx, u, it, note)
	if err != nil {
		return 0, err
	}
	body, _ := encode(it)
	return v, audit.Append(tx, &audit.Record{Actor: actor, Role: "admin", Action: "item.draft", ObjectType: "item", ObjectID: it.ImplCode},
		[]byte(fmt.Sprintf(`{"version":%d,"body":%s}`, v, body)))
}

func saveDraftRow(tx *db.Tx, u *identity.User, it *Item, note string) (int, error) {
	actor := u.ID
	dept, err := departmentByCode(tx, it.Department)
	if err != nil {
		return 0, err
	}
	if !codes.DivisionCovers(dept.RegionCode, it.Region) {
		return 0, apperr.E(apperr.Invalid, "catalog.at", "field", "region",
			"reason", apperr.E(apperr.Invalid, "catalog.region_outside", "region", it.Region, "department", dept.Name))
	}
	if _, err := regionName(tx, it.Region); err != nil {
		return 0, err
	}
	// Items only in served divisions (issue 15).
	var served bool
	if err := tx.QueryRow(`SELECT served FROM regions WHERE code = $1`, it.Region).Scan(&served); err != nil {
		return 0, err
	}
	if !served {
		return 0, apperr.E(apperr.Invalid, "catalog.at", "field", "region",
			"reason", apperr.E(apperr.Invalid, "org.region_not_served", "region", it.Region))
	}
	body, digest := encode(it)
	var id, stored string
	var published int
	var draft sql.NullInt64
	err = tx.QueryRow(`SELECT id, published_version, draft_version, region_code FROM items WHERE impl_code = $1`, it.ImplCode).
		Scan(&id, &published, &draft, &stored)
	if err == nil {
		// The stored item must be the administrator's too: naming their own
		// region in a draft must not take over another region's item.
		if err := canEdit(u, stored); err != nil {
			return 0, err
		}
	}
	switch {
	case err == sql.ErrNoRows:
		id = db.NewID()
		if _, err := tx.Exec(`INSERT INTO items (id, impl_code, basic_code, department_id, region_code, draft_version,
			name, subject, item_type, level, handling, depth_level, visits, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $8, $9, $10, $11, $12, $13, $13)`,
			id, it.ImplCode, it.BasicCode, dept.ID, it.Region, it.Name, it.Subject(), it.Type, it.Level,
			it.Handling, it.DepthLevel, it.Visits, tx.Now); err != nil {
			return 0, err
		}
		if err := project(tx, id, it, dept.Name); err != nil {
			return 0, err
		}
		_, err = tx.Exec(`INSERT INTO item_versions (item_id, version, status, body, digest, note, created_at, created_by, updated_at)
			VALUES ($1, 1, 'draft', $2, $3, $4, $5, $6, $5)`, id, body, digest, note, tx.Now, actor)
		return 1, err
	case err != nil:
		return 0, err
	}
	if draft.Valid {
		_, err := tx.Exec(`UPDATE item_versions SET body = $1, digest = $2, note = $3, updated_at = $4, created_by = $5
			WHERE item_id = $6 AND version = $7 AND status = 'draft'`, body, digest, note, tx.Now, actor, id, draft.Int64)
		if err == nil && published == 0 {
			err = project(tx, id, it, dept.Name)
		}
		return int(draft.Int64), err
	}
	var last int
	if err := tx.QueryRow(`SELECT MAX(version) FROM item_versions WHERE item_id = $1`, id).Scan(&last); err != nil {
		return 0, err
	}
	v := last + 1
	if _, err := tx.Exec(`INSERT INTO item_versions (item_id, version, status, body, digest, note, created_at, created_by, updated_at)
		VALUES ($1, $2, 'draft', $3, $4, $5, $6, $7, $6)`, id, v, body, digest, note, tx.Now, actor); err != nil {
		return 0, err
	}
	_, err = tx.Exec(`UPDATE items SET draft_version = $1, updated_at = $2 WHERE id = $3`, v, tx.Now, id)
	return v, err
}

// project copies the browse and search columns of a version onto the item.
func project(tx *db.Tx, id string, it *Item, deptName string) error {
	_, err := tx.Exec(`UPDATE items SET name = $1, subject = $2, item_type = $3, level = $4, handling = $5,
		depth_level = $6, visits = $7, frequency = $8, themes = $9, life_events = $10, name_key = $11, search = $12,
		region_code = $13, updated_at = $14, offered_levels = $15, self_service = $16 WHERE id = $17`,
		it.Name, it.Subject(), it.Type, it.Level, it.Handling, it.DepthLevel, it.Visits, it.Frequency,
		bars(it.Themes), bars(it.LifeEvents), Normalize(it.Name), searchText(it, deptName), it.Region, tx.Now, levelBars(it.OfferedLevels),
		it.SelfService, id)
	if err != nil {
		return err
	}
	return indexGrams(tx, id, searchText(it, deptName), facetGrams(it))
}

// facetGrams are index entries for the browse filters (subject, theme, life
// event), so that browsing is an index lookup too. "#" never survives
// Normalize, so these cannot collide with text grams.
func facetGrams(it *Item) []string {
	var gs []string
	switch s := it.Subject(); s {
	case SubjectBoth:
		gs = append(gs, "#s:"+SubjectPersonal, "#s:"+SubjectLegal)
	default:
		gs = append(gs, "#s:"+s)
	}
	for _, t := range it.Themes {
		gs = append(gs, "#t:"+t)
	}
	for _, e := range it.LifeEvents {
		gs = append(gs, "#e:"+e)
	}
	return gs
}

// indexGrams replaces an item's rows in the bigram index, many rows per
// statement so that indexing costs few round trips on PostgreSQL.
func indexGrams(tx *db.Tx, id, text string, facets []string) error {
	if _, err := tx.Exec(`DELETE FROM item_grams WHERE item_id = $1`, id); err != nil {
		return err
	}
	gs := append(Grams(text), facets...)
	const chunk = 200
	for len(gs) > 0 {
		n := min(chunk, len(gs))
		var b strings.Builder
		args := make([]any, 0, 2*n)
		b.WriteString(`INSERT INTO item_grams (gram, item_id) VALUES `)
		for i, g := range gs[:n] {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "($%d, $%d)", 2*i+1, 2*i+2)
			args = append(args, g, id)
		}
		if _, err := tx.Exec(b.String(), args...); err != nil {
			return err
		}
		gs = gs[n:]
	}
	return nil
}

// levelBars is a list of levels as "|5|6|" (empty for none).
func levelBars(ls []int) string {
	ss := make([]string, len(ls))
	for i, l := range ls {
		ss[i] = strconv.Itoa(l)
	}
	return bars(ss)
}

func bars(ss []string) string {
	if len(ss) == 0 {
		return ""
	}
	return "|" + strings.Join(ss, "|") + "|"
}

// Publish makes the item's open draft its current version. The previous
// version stays as it was, and cases filed under it keep referring to it.
func (c *Catalog) Publish(ctx context.Context, u *identity.User, implCode string) (int, error) {
	var v int
	err := c.db.Update(ctx, func(tx *db.Tx) error {
		var err error
		v, err = publish(tx, u, implCode)
		return err
	})
	return v, apperr.Internalf("catalog: publish", err)
}

func publish(tx *db.Tx, u *identity.User, implCode string) (int, error) {
	id, region, err := itemRef(tx, implCode)
	if err != nil {
		return 0, err
	}
	if err := canEdit(u, region); err != nil {
		return 0, err
	}
	var draft sql.NullInt64
	if err := tx.QueryRow(`SELECT draft_version FROM items WHERE id = $1`, id).Scan(&draft); err != nil {
		return 0, err
	}
	if !draft.Valid {
		return 0, apperr.E(apperr.Conflict, "catalog.no_draft", "code", implCode)
	}
	v := int(draft.Int64)
	var body string
	if err := tx.QueryRow(`SELECT body FROM item_versions WHERE item_id = $1 AND version = $2`, id, v).Scan(&body); err != nil {
		return 0, err
	}
	it, err := decode(body)
	if err != nil {
		return 0, err
	}
	// Rules may have tightened since the draft was saved: publish only what passes now.
	if err := Validate(it); err != nil {
		return 0, err
	}
	// An adopted item keeps its promise within the source's, however it is
	// edited (the catalog console too).
	if err := adoptionBound(tx, id, it); err != nil {
		return 0, err
	}
	if _, err := tx.Exec(`UPDATE item_versions SET status = 'published', published_at = $1, published_by = $2, updated_at = $1
		WHERE item_id = $3 AND version = $4`, tx.Now, u.ID, id, v); err != nil {
		return 0, err
	}
	if _, err := tx.Exec(`UPDATE items SET published_version = $1, draft_version = NULL WHERE id = $2`, v, id); err != nil {
		return 0, err
	}
	// The audit log keeps what was published (R1.5, R4.7).
	if err := audit.Append(tx, &audit.Record{Actor: u.ID, Role: "admin", Action: "item.publish", ObjectType: "item", ObjectID: implCode},
		[]byte(fmt.Sprintf(`{"version":%d,"body":%s}`, v, body))); err != nil {
		return 0, err
	}
	dept, err := departmentByCode(tx, it.Department)
	if err != nil {
		return 0, err
	}
	return v, project(tx, id, it, dept.Name)
}

// DiscardDraft deletes the open draft; an item never published disappears.
func (c *Catalog) DiscardDraft(ctx context.Context, u *identity.User, implCode string) error {
	err := c.db.Update(ctx, func(tx *db.Tx) error {
		id, region, err := itemRef(tx, implCode)
		if err != nil {
			return err
		}
		if err := canEdit(u, region); err != nil {
			return err
		}
		var published int
		var draft sql.NullInt64
		if err := tx.QueryRow(`SELECT published_version, draft_version FROM items WHERE id = $1`, id).Scan(&published, &draft); err != nil {
			return err
		}
		if !draft.Valid {
			return apperr.E(apperr.Conflict, "catalog.no_draft", "code", implCode)
		}
		if _, err := tx.Exec(`DELETE FROM item_versions WHERE item_id = $1 AND version = $2 AND status = 'draft'`, id, draft.Int64); err != nil {
			return err
		}
		if published == 0 {
			var n int
			if err := tx.QueryRow(`SELECT COUNT(*) FROM bundle_items WHERE impl_code = $1`, implCode).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return apperr.E(apperr.Conflict, "catalog.in_bundle", "code", implCode)
			}
			_, err := tx.Exec(`DELETE FROM items WHERE id = $1`, id)
			return err
		}
		_, err = tx.Exec(`UPDATE items SET draft_version = NULL WHERE id = $1`, id)
		return err
	})
	return apperr.Internalf("catalog: discard draft", err)
}

func itemRef(tx *db.Tx, implCode string) (id, region string, err error) {
	err = tx.QueryRow(`SELECT id, region_code FROM items WHERE impl_code = $1`, implCode).Scan(&id, &region)
	return id, region, db.NotFound(err, "catalog.item_unknown", "code", implCode)
}

func decode(body string) (*Item, error) {
	var it Item
	if err := json.Unmarshal([]byte(body), &it); err != nil {
		return nil, err
	}
	return &it, nil
}

// Published returns a published version of an item: the current one when
// version is 0. Drafts are not public: asking for one is NotFound.
func (c *Catalog) Published(ctx context.Context, implCode string, version int) (*Version, error) {
	return c.version(ctx, implCode, version, false, false)
}

// PublishedShared is Published for readers that never change what they get
// (the case engine, on every action): the decoded version comes from a
// cache and its Item is shared. A published version never changes (R1.5),
// so the cache is never stale.
func (c *Catalog) PublishedShared(ctx context.Context, implCode string, version int) (*Version, error) {
	return c.version(ctx, implCode, version, false, true)
}

// PublishedSharedTx is PublishedShared for the current version, read in the
// caller's transaction (the case engine files an application in one).
// A withdrawn item takes no new applications: Conflict catalog.item_withdrawn.
func (c *Catalog) PublishedSharedTx(tx *db.Tx, implCode string) (*Version, error) {
	v, err := c.versionTx(tx, implCode, 0, false, true)
	if err == nil && v.Withdrawn {
		return nil, apperr.E(apperr.Conflict, "catalog.item_withdrawn", "code", implCode)
	}
	return v, err
}

// Draft returns the open draft of an item for an administrator of its region.
func (c *Catalog) Draft(ctx context.Context, u *identity.User, implCode string) (*Version, error) {
	v, err := c.version(ctx, implCode, -1, true, false)
	if apperr.Is(err, apperr.NotFound, "catalog.no_draft") {
		// Whether an item outside the administrator's regions has a draft is
		// not theirs to learn (ASVS V4.2.1): without one they get the same
		// 403 as with one.
		var region string
		if qerr := c.db.Reader().QueryRowContext(ctx, `SELECT region_code FROM items WHERE impl_code = $1`, implCode).Scan(&region); qerr == nil {
			if ferr := canEdit(u, region); ferr != nil {
				return nil, ferr
			}
		}
	}
	if err != nil {
		return nil, err
	}
	if err := canEdit(u, v.Item.Region); err != nil {
		return nil, err
	}
	return v, nil
}

// version loads one version; -1 means the open draft. shared reads and
// fills the cache of decoded published versions.
func (c *Catalog) version(ctx context.Context, implCode string, version int, drafts, shared bool) (*Version, error) {
	var v *Version
	err := c.db.View(ctx, func(tx *db.Tx) error {
		var err error
		v, err = c.versionTx(tx, implCode, version, drafts, shared)
		return err
	})
	if err != nil {
		return nil, apperr.Internalf("catalog: version", err)
	}
	return v, nil
}

func (c *Catalog) versionTx(tx *db.Tx, implCode string, version int, drafts, shared bool) (*Version, error) {
	if version > math.MaxInt32 {
		// No item has so many versions; the column is 32-bit on PostgreSQL,
		// which answered 500 when asked for one (?version=, ?from=, ?to=).
		return nil, apperr.E(apperr.NotFound, "catalog.version_unknown", "code", implCode, "version", version)
	}
	var v Version
	err := func() error {
		var id, deptID string
		var published int
		var draft sql.NullInt64
		var withdrawn bool
		if err := tx.QueryRow(`SELECT id, published_version, draft_version, department_id, withdrawn FROM items WHERE impl_code = $1`, implCode).
			Scan(&id, &published, &draft, &deptID, &withdrawn); err != nil {
			return db.NotFound(err, "catalog.item_unknown", "code", implCode)
		}
		switch {
		case version == -1 && !draft.Valid:
			return apperr.E(apperr.NotFound, "catalog.no_draft", "code", implCode)
		case version == -1:
			version = int(draft.Int64)
		case version == 0 && published == 0:
			return apperr.E(apperr.NotFound, "catalog.item_unknown", "code", implCode)
		case version == 0:
			version = published
		}
		// A published version never changes (R1.5): decode it once.
		if hit, ok := c.versions.get(implCode, version); ok && shared {
			v = hit
			v.Current = v.Version == published
			v.ItemID, v.DepartmentID, v.Withdrawn = id, deptID, withdrawn
			return tx.QueryRow(`SELECT name, name_en FROM departments WHERE credit_code = $1`, v.Item.Department).
				Scan(&v.DepartmentName, &v.DepartmentNameEN)
		}
		var body string
		err := scanVersion(tx.QueryRow(`SELECT `+versionColumns+`, body FROM item_versions WHERE item_id = $1 AND version = $2`, id, version), &v, &body)
		if err != nil {
			return db.NotFound(err, "catalog.version_unknown", "code", implCode, "version", version)
		}
		if v.Status != StatusPublished && !drafts {
			return apperr.E(apperr.NotFound, "catalog.version_unknown", "code", implCode, "version", version)
		}
		v.ImplCode = implCode
		v.Current = v.Version == published
		v.ItemID, v.DepartmentID, v.Withdrawn = id, deptID, withdrawn
		if v.Item, err = decode(body); err != nil {
			return err
		}
		if v.Status == StatusPublished && shared {
			c.versions.put(implCode, version, v)
		}
		return tx.QueryRow(`SELECT name, name_en FROM departments WHERE credit_code = $1`, v.Item.Department).
			Scan(&v.DepartmentName, &v.DepartmentNameEN)
	}()
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// Versions lists an item's history, newest first, without content: the
// published versions, and drafts too for an administrator (admin not nil)
// whose scope covers the item's region (Forbidden for another).
func (c *Catalog) Versions(ctx context.Context, implCode string, admin *identity.User) ([]Version, error) {
	var out []Version
	withDraft := admin != nil
	err := c.db.View(ctx, func(tx *db.Tx) error {
		var id, region string
		var published int
		if err := tx.QueryRow(`SELECT id, published_version, region_code FROM items WHERE impl_code = $1`, implCode).Scan(&id, &published, &region); err != nil {
			return db.NotFound(err, "catalog.item_unknown", "code", implCode)
		}
		if withDraft {
			if err := canEdit(admin, region); err != nil {
				return err
			}
		}
		rows, err := tx.Query(`SELECT `+versionColumns+` FROM item_versions WHERE item_id = $1 ORDER BY version DESC`, id)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var v Version
			if err := scanVersion(rows, &v); err != nil {
				return err
			}
			if v.Status != StatusPublished && !withDraft {
				continue
			}
			v.ImplCode = implCode
			v.Current = v.Version == published
			out = append(out, v)
		}
		return rows.Err()
	})
	return out, apperr.Internalf("catalog: versions", err)
}

// versionColumns are the metadata columns scanVersion reads, in its order.
const versionColumns = `version, status, digest, note, created_at, created_by, updated_at, published_at, published_by`

// scanVersion reads versionColumns (and any further columns into more).
func scanVersion(row interface{ Scan(...any) error }, v *Version, more ...any) error {
	var pubBy sql.NullString
	var pubAt sql.NullTime
	dest := append([]any{&v.Version, &v.Status, &v.Digest, &v.Note, &v.CreatedAt, &v.CreatedBy, &v.UpdatedAt, &pubAt, &pubBy}, more...)
	if err := row.Scan(dest...); err != nil {
		return err
	}
	if pubAt.Valid {
		t := pubAt.Time
		v.PublishedAt = &t
	}
	v.PublishedBy = pubBy.String
	return nil
}

func departmentByCode(tx *db.Tx, credit string) (Department, error) {
	var d Department
	err := tx.QueryRow(`SELECT id, name, name_en, credit_code, region_code FROM departments WHERE credit_code = $1`, credit).
		Scan(&d.ID, &d.Name, &d.NameEN, &d.CreditCode, &d.RegionCode)
	if err != nil {
		return d, db.NotFound(err, "catalog.department_unknown", "code", credit)
	}
	return d, nil
}

func regionName(tx *db.Tx, code string) (string, error) {
	var n string
	err := tx.QueryRow(`SELECT name FROM regions WHERE code = $1`, code).Scan(&n)
	return n, db.NotFound(err, "catalog.region_unknown", "code", code)
}

// Exists reports whether an item with the implementation code exists.
func (c *Catalog) Exists(ctx context.Context, implCode string) (bool, error) {
	var n int
	err := c.db.View(ctx, func(tx *db.Tx) error {
		return tx.QueryRow(`SELECT COUNT(*) FROM items WHERE impl_code = $1`, implCode).Scan(&n)
	})
	return n > 0, apperr.Internalf("catalog: exists", err)
}

// VersionFor returns a version for an administrator: "" or "current" for the
// current published version, "draft" for the open draft, or a number.
func (c *Catalog) VersionFor(ctx context.Context, u *identity.User, implCode, which string) (*Version, error) {
	var v *Version
	var err error
	switch which {
	case "", "current":
		v, err = c.version(ctx, implCode, 0, true, false)
	case "draft":
		return c.Draft(ctx, u, implCode)
	default:
		n, perr := strconv.Atoi(which)
		if perr != nil || n < 1 {
			return nil, apperr.E(apperr.Invalid, "catalog.version_param", "value", which)
		}
		v, err = c.version(ctx, implCode, n, true, false)
	}
	if err != nil {
		return nil, err
	}
	if err := canEdit(u, v.Item.Region); err != nil {
		return nil, err
	}
	return v, nil
}
