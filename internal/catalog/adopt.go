package catalog

import (
	"context"
	"database/sql"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
)

// Items per region (issue 15, R1.6 "one catalog serves all levels"): a
// district or city item names the lower levels that may adopt it
// (Item.OfferedLevels); the administrator of a town adopts (认领) it for the
// town's government or one of its departments. The adoption is the town's
// own item — its own 实施编码 (the adopting department's credit code, the
// town's 行使层级, the source's 基本编码), published through the ordinary
// versioned publication (item.draft and item.publish audit records) —
// linked to the source item and the version it follows, with the town's
// variations: hall and windows, phone, address, and a promised limit within
// both the statutory limit and the source's promised limit.
//
// A newer version of the source changes nothing by itself: the adoption
// keeps the version it follows (cases keep theirs), the lists say the source
// has a newer version, and the administrator follows it (Refresh), which
// checks the bounds again against the new version. Withdrawing an adoption
// takes no new applications on the item; its open cases continue, and
// adopting again brings it back under the same code.

// AdoptInput is an adoption: the source item offered, the adopting
// department, and the variations.
type AdoptInput struct {
	Source        string   `json:"source"`         // the offering item's implementation code
	DepartmentID  string   `json:"department_id"`  // the adopting town government or town department
	HallID        string   `json:"hall_id"`        // the hall where it is handled ("" none)
	Windows       []string `json:"windows"`        // windows of that hall that take it in
	Phone         string   `json:"phone"`          // 咨询电话 ("" the hall's, the department's or the source's)
	Address       string   `json:"address"`        // 办理地点 ("" the hall's)
	PromisedLimit string   `json:"promised_limit"` // ("" the source's)
}

// AdoptionUpdate changes an adoption's variations (nil: unchanged);
// Refresh follows the source's current version.
type AdoptionUpdate struct {
	HallID        *string   `json:"hall_id"`
	Windows       *[]string `json:"windows"`
	Phone         *string   `json:"phone"`
	Address       *string   `json:"address"`
	PromisedLimit *string   `json:"promised_limit"`
	Refresh       bool      `json:"refresh,omitempty"`
}

// Adoption is a town's adopted item with its link to the source.
type Adoption struct {
	ImplCode       string    `json:"impl_code"` // the adopted item's own code
	Name           string    `json:"name"`
	Version        int       `json:"version"` // the adopted item's current version
	Source         string    `json:"source"`  // the source item's code
	SourceName     string    `json:"source_name"`
	SourceVersion  int       `json:"source_version"` // the source version the adoption follows
	SourceCurrent  int       `json:"source_current"` // the source's current version
	Newer          bool      `json:"newer"`          // the source has a newer version than the one followed
	DepartmentID   string    `json:"department_id"`
	DepartmentName string    `json:"department_name"`
	RegionCode     string    `json:"region_code"`
	RegionName     string    `json:"region"`
	Level          int       `json:"level"`
	HallID         string    `json:"hall_id,omitempty"`
	HallName       string    `json:"hall_name,omitempty"`
	Windows        []string  `json:"windows"`
	Phone          string    `json:"phone,omitempty"`
	Address        string    `json:"address,omitempty"`
	PromisedLimit  string    `json:"promised_limit"`
	StatutoryLimit string    `json:"statutory_limit,omitempty"`
	SourcePromised string    `json:"source_promised_limit"`
	Withdrawn      bool      `json:"withdrawn"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// Offer is a published item that the levels below it may adopt, with the
// departments of the administrator's scope that may adopt it and whether
// each already has.
type Offer struct {
	ImplCode       string   `json:"impl_code"`
	Name           string   `json:"name"`
	Version        int      `json:"version"`
	DepartmentName string   `json:"department_name"`
	RegionCode     string   `json:"region_code"`
	Level          int      `json:"level"`
	OfferedLevels  []int    `json:"offered_levels"`
	Handling       int      `json:"handling"`
	StatutoryLimit string   `json:"statutory_limit,omitempty"`
	PromisedLimit  string   `json:"promised_limit"`
	Adopters       []string `json:"adopters"` // department ids in scope that may adopt it and have not
	Adopted        []string `json:"adopted"`  // implementation codes of its adoptions in scope
}

// ExercisingLevel is the 行使层级 (GB/T 39046: 4 县, 5 乡镇街道, 6 村社区) of
// an agency in a division of the given level (3 county, 4 township, 5 village).
func ExercisingLevel(regionLevel int) int { return regionLevel + 1 }

// AdoptedImplCode is the implementation code of an adoption (STANDARDS.md
// §1.4): the adopting agency's credit code + its level + the source's basic
// code.
func AdoptedImplCode(agencyCredit string, level int, basic string) (string, error) {
	c, err := codes.NewImplCode(agencyCredit, level, basic)
	return c.Code, err
}

// AdoptedLimit checks a promised limit for an adoption of src and returns it
// in canonical form ("" takes the source's). It is never above the
// statutory limit (行政许可法: the law's limit binds every level) nor above
// the source's promised limit (the district's promise to the public holds
// in its towns); a 即办件 stays 0 and a 承诺件 above 0. The error names the
// field promised_limit and the reason.
func AdoptedLimit(src *Item, promised string) (string, error) {
	if promised == "" {
		promised = src.PromisedLimit
	}
	fault := func(key string, kv ...any) error { return invalidAt("promised_limit", key, kv...) }
	if strings.HasPrefix(strings.TrimSpace(promised), "-") {
		return "", fault("catalog.limit_negative", "value", promised)
	}
	l, err := calendar.ParseLimit(promised)
	if err != nil {
		return "", at("promised_limit", asApp(err, apperr.E(apperr.Invalid, "calendar.limit_format", "value", promised)))
	}
	if stat, ok := src.Statutory(); ok && l > stat {
		return "", fault("catalog.promised_over_statutory", "promised", l.String(), "statutory", stat.String())
	}
	if p := src.Promised(); l > p {
		return "", fault("adoption.promised_over_source", "promised", l.String(), "source", p.String())
	}
	if src.Handling == 1 && l != 0 {
		return "", fault("catalog.instant_limit")
	}
	if src.Handling == 2 && l == 0 {
		return "", fault("catalog.promised_zero")
	}
	return l.String(), nil
}

// variations are an adoption's local settings, as stored.
type variations struct {
	hall    *Hall
	windows []string
	phone   string
	address string
	limit   string
}

// adoptedItem derives the adopting department's item from the source
// version: its own code, level, agency and region, and the variations.
func adoptedItem(src *Item, dept Department, level int, v variations) (*Item, error) {
	body, _ := encode(src)
	it, err := decode(body) // a deep copy: the source may be a shared cached version
	if err != nil {
		return nil, err
	}
	code, err := AdoptedImplCode(dept.CreditCode, level, src.BasicCode)
	if err != nil {
		return nil, invalidAt("department_id", "adoption.code", "department", dept.Name)
	}
	it.ImplCode, it.Department, it.Region, it.Level = code, dept.CreditCode, dept.RegionCode, level
	it.OfferedLevels = nil
	it.Frequency = 0 // the district's yearly volume is not the town's
	it.PromisedLimit = v.limit
	var place []string
	addr := v.address
	if v.hall != nil {
		place = append(place, v.hall.Name)
		if addr == "" {
			addr = v.hall.Address
		}
	}
	if addr != "" {
		place = append(place, addr)
	}
	if len(place) > 0 {
		it.Place = strings.Join(place, "，")
	}
	switch {
	case v.phone != "":
		it.ConsultPhone = v.phone
	case v.hall != nil && v.hall.Phone != "":
		it.ConsultPhone = v.hall.Phone
	case dept.Phone != "":
		it.ConsultPhone = dept.Phone
	}
	it.Canon()
	return it, nil
}

// adoptionRow is the stored adoption.
type adoptionRow struct {
	itemID, sourceID, deptID, region, hallID, phone, address, limit string
	sourceVersion                                                   int
}

// openAdoption reads the adoption of implCode for a change by u: u must
// administer its division, and a withdrawn adoption takes no change.
func openAdoption(tx *db.Tx, u *identity.User, implCode string) (adoptionRow, error) {
	a, err := readAdoption(tx, implCode)
	if err != nil {
		return a, err
	}
	if err := adminOf(u, a.region); err != nil {
		return a, err
	}
	var withdrawn bool
	if err := tx.QueryRow(`SELECT withdrawn FROM items WHERE id = $1`, a.itemID).Scan(&withdrawn); err != nil {
		return a, err
	}
	if withdrawn {
		return a, apperr.E(apperr.Conflict, "adoption.withdrawn", "code", implCode)
	}
	return a, nil
}

// readAdoption reads the stored adoption of the adopted item implCode.
func readAdoption(tx *db.Tx, implCode string) (adoptionRow, error) {
	var a adoptionRow
	var hall sql.NullString
	err := tx.QueryRow(`SELECT a.item_id, a.source_id, a.source_version, a.department_id, a.region_code, a.hall_id, a.phone, a.address, a.promised_limit
		FROM adoptions a JOIN items i ON i.id = a.item_id WHERE i.impl_code = $1`, implCode).
		Scan(&a.itemID, &a.sourceID, &a.sourceVersion, &a.deptID, &a.region, &hall, &a.phone, &a.address, &a.limit)
	a.hallID = hall.String
	return a, db.NotFound(err, "adoption.unknown", "code", implCode)
}

// sourceAt reads a published version of the source item (0: current) with
// its code, current version and withdrawal.
func (c *Catalog) sourceAt(tx *db.Tx, id string, version int) (*Version, error) {
	var code string
	if err := tx.QueryRow(`SELECT impl_code FROM items WHERE id = $1`, id).Scan(&code); err != nil {
		return nil, err
	}
	return c.versionTx(tx, code, version, false, true)
}

// adoptionVariations checks the variations for department dept's adoption:
// the hall lies in the department's division (its own centre or a village
// station below it) and is active, every window is one of that hall's
// (a window of another region's hall is refused), phone and address are
// well-formed, the promised limit within the bounds of src.
func adoptionVariations(tx *db.Tx, src *Item, dept Department, hallID string, windows []string, ph, address, limit string) (variations, error) {
	v := variations{phone: ph, address: address, windows: []string{}}
	if err := phone("phone", ph); err != nil {
		return v, err
	}
	if err := text("address", address, false, 200); err != nil {
		return v, err
	}
	if hallID != "" {
		h, err := hallRow(tx, hallID)
		if err != nil {
			return v, at("hall_id", apperr.E(apperr.Invalid, "org.hall_unknown", "id", hallID))
		}
		if !codes.DivisionCovers(dept.RegionCode, h.RegionCode) {
			return v, invalidAt("hall_id", "adoption.hall_region", "hall", h.Name, "region", dept.RegionName)
		}
		if !h.Active {
			return v, invalidAt("hall_id", "adoption.hall_inactive", "hall", h.Name)
		}
		v.hall = &h
	}
	if len(windows) > MaxWindowServes {
		return v, invalidAt("windows", "org.serves_many", "max", MaxWindowServes)
	}
	for i, id := range windows {
		f := "windows[" + strconv.Itoa(i) + "]"
		if v.hall == nil {
			return v, invalidAt(f, "adoption.windows_need_hall")
		}
		w, err := windowRow(tx, id)
		if err != nil {
			return v, at(f, apperr.E(apperr.Invalid, "org.window_unknown", "id", id))
		}
		if w.HallID != v.hall.ID {
			var name string
			if err := tx.QueryRow(`SELECT name FROM halls WHERE id = $1`, w.HallID).Scan(&name); err != nil {
				return v, err
			}
			return v, invalidAt(f, "adoption.window_hall", "window", w.Number+" "+w.Name, "hall", name)
		}
		if slices.Contains(v.windows, id) {
			return v, invalidAt(f, "org.serves_twice", "value", id)
		}
		v.windows = append(v.windows, id)
	}
	l, err := AdoptedLimit(src, limit)
	if err != nil {
		return v, err
	}
	v.limit = l
	return v, nil
}

// offeredTo checks that src may be adopted by dept: the source's division
// encloses the department's and is above it, and the source offers the
// department's level. Returns that level.
func offeredTo(tx *db.Tx, src *Version, dept Department) (int, error) {
	var level int
	if err := tx.QueryRow(`SELECT level FROM regions WHERE code = $1`, dept.RegionCode).Scan(&level); err != nil {
		return 0, err
	}
	lv := ExercisingLevel(level)
	if src.Item.Region == dept.RegionCode || !codes.DivisionCovers(src.Item.Region, dept.RegionCode) {
		return 0, invalidAt("department_id", "adoption.outside_source", "department", dept.Name, "item", src.Item.Name)
	}
	if !src.Item.Offers(lv) {
		return 0, invalidAt("department_id", "adoption.level_not_offered", "item", src.Item.Name, "level", lv)
	}
	return lv, nil
}

// Adopt adopts the source item for a department of a town (or village) the
// administrator covers: the department's own item, published at once, with
// the variations. Adopting an adoption withdrawn before brings it back with
// the new variations. Everything or nothing is written.
func (c *Catalog) Adopt(ctx context.Context, u *identity.User, in AdoptInput) (Adoption, error) {
	var out Adoption
	err := c.db.Update(ctx, func(tx *db.Tx) error {
		if in.Source == "" {
			return apperr.E(apperr.Invalid, "error.field_required", "field", "source")
		}
		if in.DepartmentID == "" {
			return apperr.E(apperr.Invalid, "error.field_required", "field", "department_id")
		}
		dept, err := departmentRow(tx, in.DepartmentID)
		if err != nil {
			return at("department_id", apperr.E(apperr.Invalid, "org.department_unknown", "id", in.DepartmentID))
		}
		if err := adminOf(u, dept.RegionCode); err != nil {
			return err
		}
		if !dept.Active {
			return invalidAt("department_id", "adoption.department_inactive", "department", dept.Name)
		}
		src, err := c.versionTx(tx, in.Source, 0, false, true)
		if err != nil {
			if apperr.CodeOf(err) == apperr.NotFound {
				return invalidAt("source", "catalog.item_unknown", "code", in.Source)
			}
			return err
		}
		if src.Withdrawn {
			return invalidAt("source", "catalog.item_withdrawn", "code", in.Source)
		}
		level, err := offeredTo(tx, src, dept)
		if err != nil {
			return err
		}
		v, err := adoptionVariations(tx, src.Item, dept, in.HallID, in.Windows, in.Phone, in.Address, in.PromisedLimit)
		if err != nil {
			return err
		}
		it, err := adoptedItem(src.Item, dept, level, v)
		if err != nil {
			return err
		}
		// Is the code the town's already?
		var itemID string
		var withdrawn, adopted bool
		err = tx.QueryRow(`SELECT i.id, i.withdrawn, a.item_id IS NOT NULL FROM items i LEFT JOIN adoptions a ON a.item_id = i.id WHERE i.impl_code = $1`, it.ImplCode).
			Scan(&itemID, &withdrawn, &adopted)
		switch {
		case err == sql.ErrNoRows:
		case err != nil:
			return err
		case !adopted:
			return at("source", apperr.E(apperr.Conflict, "adoption.item_exists", "code", it.ImplCode))
		case !withdrawn:
			return at("source", apperr.E(apperr.Conflict, "adoption.exists", "code", it.ImplCode))
		}
		a := adoptionRow{itemID: itemID, sourceID: src.ItemID, sourceVersion: src.Version, deptID: dept.ID, region: dept.RegionCode,
			phone: v.phone, address: v.address, limit: v.limit}
		if v.hall != nil {
			a.hallID = v.hall.ID
		}
		if adopted {
			// Adopted again: the link first, so that the publication checks
			// the item against the source version it now follows.
			if _, err := tx.Exec(`UPDATE adoptions SET source_version = $1, hall_id = $2, phone = $3, address = $4, promised_limit = $5,
				updated_at = $6, updated_by = $7 WHERE item_id = $8`, a.sourceVersion, nullable(a.hallID), a.phone, a.address, a.limit, tx.Now, u.ID, a.itemID); err != nil {
				return err
			}
		}
		if err := c.writeAdopted(tx, u, it, "认领 "+src.ImplCode+" 第 "+strconv.Itoa(src.Version)+" 版"); err != nil {
			return err
		}
		if err := tx.QueryRow(`SELECT id FROM items WHERE impl_code = $1`, it.ImplCode).Scan(&a.itemID); err != nil {
			return err
		}
		if _, err := tx.Exec(`UPDATE items SET withdrawn = $1 WHERE id = $2`, false, a.itemID); err != nil {
			return err
		}
		if !adopted {
			if _, err := tx.Exec(`INSERT INTO adoptions (item_id, source_id, source_version, department_id, region_code, hall_id, phone, address,
				promised_limit, created_at, created_by, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $10, $11)`,
				a.itemID, a.sourceID, a.sourceVersion, a.deptID, a.region, nullable(a.hallID), a.phone, a.address, a.limit, tx.Now, u.ID); err != nil {
				return err
			}
		}
		if err := serveOn(tx, it.ImplCode, v.windows); err != nil {
			return err
		}
		if out, err = c.adoptionOut(tx, it.ImplCode); err != nil {
			return err
		}
		return record(tx, u, "adoption.create", "item", it.ImplCode, out)
	})
	if db.IsUniqueViolation(err) {
		// Another administrator adopted it for the department meanwhile.
		return out, at("source", apperr.E(apperr.Conflict, "adoption.exists", "code", in.Source))
	}
	return out, apperr.Internalf("catalog: adopt", err)
}

// writeAdopted saves it as the item's draft and publishes it, through the
// catalog's publication (versions, audit records), unless it equals the
// current version.
func (c *Catalog) writeAdopted(tx *db.Tx, u *identity.User, it *Item, note string) error {
	if err := Validate(it); err != nil {
		return err
	}
	_, digest := encode(it)
	var same int
	if err := tx.QueryRow(`SELECT COUNT(*) FROM items i JOIN item_versions v ON v.item_id = i.id AND v.version = i.published_version
		WHERE i.impl_code = $1 AND v.digest = $2 AND i.draft_version IS NULL`, it.ImplCode, digest).Scan(&same); err != nil {
		return err
	}
	if same > 0 {
		return nil
	}
	if _, err := saveDraft(tx, u, it, note); err != nil {
		return err
	}
	_, err := publish(tx, u, it.ImplCode)
	return err
}

// serveOn makes exactly the windows take the item in.
func serveOn(tx *db.Tx, implCode string, windows []string) error {
	if _, err := tx.Exec(`DELETE FROM window_items WHERE impl_code = $1`, implCode); err != nil {
		return err
	}
	for _, w := range windows {
		if _, err := tx.Exec(`INSERT INTO window_items (window_id, impl_code) VALUES ($1, $2)`, w, implCode); err != nil {
			return err
		}
	}
	return nil
}

// UpdateAdoption changes an adoption's variations, or follows the source's
// current version (Refresh). A new version of the adopted item is published
// when its content changes; the bounds are checked against the source
// version followed.
func (c *Catalog) UpdateAdoption(ctx context.Context, u *identity.User, implCode string, in AdoptionUpdate) (Adoption, error) {
	var out Adoption
	err := c.db.Update(ctx, func(tx *db.Tx) error {
		a, err := openAdoption(tx, u, implCode)
		if err != nil {
			return err
		}
		dept, err := departmentRow(tx, a.deptID)
		if err != nil {
			return err
		}
		version := a.sourceVersion
		if in.Refresh {
			version = 0
		}
		src, err := c.sourceAt(tx, a.sourceID, version)
		if err != nil {
			return err
		}
		level := 0
		if in.Refresh {
			if src.Withdrawn {
				return invalidAt("refresh", "catalog.item_withdrawn", "code", src.ImplCode)
			}
			if level, err = offeredTo(tx, src, dept); err != nil {
				return invalidAt("refresh", "adoption.no_longer_offered", "item", src.Item.Name)
			}
		} else {
			var rl int
			if err := tx.QueryRow(`SELECT level FROM regions WHERE code = $1`, dept.RegionCode).Scan(&rl); err != nil {
				return err
			}
			level = ExercisingLevel(rl)
		}
		windows, err := itemWindows(tx, implCode)
		if err != nil {
			return err
		}
		set := func(dst *string, v *string) {
			if v != nil {
				*dst = *v
			}
		}
		set(&a.hallID, in.HallID)
		set(&a.phone, in.Phone)
		set(&a.address, in.Address)
		set(&a.limit, in.PromisedLimit)
		if in.Windows != nil {
			windows = *in.Windows
		} else if in.HallID != nil {
			windows = []string{} // another hall: its windows are named again
		}
		v, err := adoptionVariations(tx, src.Item, dept, a.hallID, windows, a.phone, a.address, a.limit)
		if err != nil {
			return err
		}
		it, err := adoptedItem(src.Item, dept, level, v)
		if err != nil {
			return err
		}
		if it.ImplCode != implCode {
			return apperr.E(apperr.Conflict, "adoption.code_changed", "code", implCode)
		}
		// The link first: the publication checks the item against the
		// source version it now follows.
		if _, err := tx.Exec(`UPDATE adoptions SET source_version = $1, hall_id = $2, phone = $3, address = $4, promised_limit = $5,
			updated_at = $6, updated_by = $7 WHERE item_id = $8`, src.Version, nullable(a.hallID), v.phone, v.address, v.limit, tx.Now, u.ID, a.itemID); err != nil {
			return err
		}
		if err := c.writeAdopted(tx, u, it, "认领 "+src.ImplCode+" 第 "+strconv.Itoa(src.Version)+" 版"); err != nil {
			return err
		}
		if err := serveOn(tx, implCode, v.windows); err != nil {
			return err
		}
		if out, err = c.adoptionOut(tx, implCode); err != nil {
			return err
		}
		return record(tx, u, "adoption.update", "item", implCode, out)
	})
	return out, apperr.Internalf("catalog: update adoption", err)
}

// WithdrawAdoption withdraws an adoption: the item takes no new
// applications and no window takes it in; cases filed on it continue under
// the version they were filed under.
func (c *Catalog) WithdrawAdoption(ctx context.Context, u *identity.User, implCode string) (Adoption, error) {
	var out Adoption
	err := c.db.Update(ctx, func(tx *db.Tx) error {
		a, err := openAdoption(tx, u, implCode)
		if err != nil {
			return err
		}
		var bundles int
		if err := tx.QueryRow(`SELECT COUNT(*) FROM bundle_items WHERE impl_code = $1`, implCode).Scan(&bundles); err != nil {
			return err
		}
		if bundles > 0 {
			return apperr.E(apperr.Conflict, "catalog.in_bundle", "code", implCode)
		}
		if _, err := tx.Exec(`UPDATE items SET withdrawn = $1, updated_at = $2 WHERE id = $3`, true, tx.Now, a.itemID); err != nil {
			return err
		}
		if err := serveOn(tx, implCode, nil); err != nil {
			return err
		}
		if _, err := tx.Exec(`UPDATE adoptions SET updated_at = $1, updated_by = $2 WHERE item_id = $3`, tx.Now, u.ID, a.itemID); err != nil {
			return err
		}
		if out, err = c.adoptionOut(tx, implCode); err != nil {
			return err
		}
		return record(tx, u, "adoption.withdraw", "item", implCode, out)
	})
	return out, apperr.Internalf("catalog: withdraw adoption", err)
}

// adoptionSelect reads adoptions (scanAdoption).
const adoptionSelect = `SELECT i.impl_code, i.name, i.published_version, s.impl_code, s.name, a.source_version, s.published_version,
	a.department_id, d.name, a.region_code, r.name, i.level, COALESCE(a.hall_id, ''), COALESCE(h.name, ''), a.phone, a.address,
	a.promised_limit, i.withdrawn, a.updated_at
	FROM adoptions a JOIN items i ON i.id = a.item_id JOIN items s ON s.id = a.source_id
	JOIN departments d ON d.id = a.department_id JOIN regions r ON r.code = a.region_code
	LEFT JOIN halls h ON h.id = a.hall_id`

func scanAdoption(row interface{ Scan(...any) error }) (Adoption, error) {
	var a Adoption
	err := row.Scan(&a.ImplCode, &a.Name, &a.Version, &a.Source, &a.SourceName, &a.SourceVersion, &a.SourceCurrent,
		&a.DepartmentID, &a.DepartmentName, &a.RegionCode, &a.RegionName, &a.Level, &a.HallID, &a.HallName, &a.Phone, &a.Address,
		&a.PromisedLimit, &a.Withdrawn, &a.UpdatedAt)
	a.Newer = a.SourceCurrent > a.SourceVersion
	a.UpdatedAt = a.UpdatedAt.UTC()
	return a, err
}

// complete adds the windows and the source version's limits.
func (c *Catalog) complete(tx *db.Tx, a *Adoption) error {
	var err error
	if a.Windows, err = itemWindows(tx, a.ImplCode); err != nil {
		return err
	}
	src, err := c.versionTx(tx, a.Source, a.SourceVersion, false, true)
	if err != nil {
		return err
	}
	a.StatutoryLimit, a.SourcePromised = src.Item.StatutoryLimit, src.Item.PromisedLimit
	return nil
}

func (c *Catalog) adoptionOut(tx *db.Tx, implCode string) (Adoption, error) {
	a, err := scanAdoption(tx.QueryRow(adoptionSelect+` WHERE i.impl_code = $1`, implCode))
	if err != nil {
		return a, db.NotFound(err, "adoption.unknown", "code", implCode)
	}
	return a, c.complete(tx, &a)
}

// Adoptions lists the adoptions of the divisions the administrator covers,
// by division and name.
func (c *Catalog) Adoptions(ctx context.Context, u *identity.User) ([]Adoption, error) {
	out := []Adoption{}
	err := c.db.View(ctx, func(tx *db.Tx) error {
		var args []any
		cond := u.ScopeOf(identity.RoleAdmin).SQL("", "a.region_code", func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) })
		rows, err := tx.Query(adoptionSelect+` WHERE `+cond+` ORDER BY a.region_code, i.name, i.impl_code`, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			a, err := scanAdoption(rows)
			if err != nil {
				rows.Close()
				return err
			}
			out = append(out, a)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for i := range out {
			if err := c.complete(tx, &out[i]); err != nil {
				return err
			}
		}
		return nil
	})
	return out, apperr.Internalf("catalog: adoptions", err)
}

// Adoption returns one adoption for an administrator covering it.
func (c *Catalog) Adoption(ctx context.Context, u *identity.User, implCode string) (Adoption, error) {
	var out Adoption
	err := c.db.View(ctx, func(tx *db.Tx) error {
		var err error
		if out, err = c.adoptionOut(tx, implCode); err != nil {
			return err
		}
		return adminOf(u, out.RegionCode)
	})
	return out, apperr.Internalf("catalog: adoption", err)
}

// Offered lists the published items that departments of the
// administrator's divisions may adopt: items above those divisions offering
// their level, each with the departments in scope that may still adopt it
// and the adoptions made.
func (c *Catalog) Offered(ctx context.Context, u *identity.User) ([]Offer, error) {
	out := []Offer{}
	scope := u.ScopeOf(identity.RoleAdmin)
	if scope.Empty() {
		return out, apperr.E(apperr.Forbidden, "error.forbidden")
	}
	err := c.db.View(ctx, func(tx *db.Tx) error {
		// The departments in scope below the county (towns, villages), active.
		var args []any
		cond := scope.SQL("", "d.region_code", func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) })
		args = append(args, true)
		type adopter struct {
			Department
			level int
		}
		var adopters []adopter
		rows, err := tx.Query(`SELECT d.id, d.name, d.credit_code, d.region_code, r.level FROM departments d JOIN regions r ON r.code = d.region_code
			WHERE `+cond+` AND d.active = $`+strconv.Itoa(len(args))+` AND r.level >= 4 ORDER BY d.region_code, d.name`, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var a adopter
			if err := rows.Scan(&a.ID, &a.Name, &a.CreditCode, &a.RegionCode, &a.level); err != nil {
				rows.Close()
				return err
			}
			adopters = append(adopters, a)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(adopters) == 0 {
			return nil
		}
		rows, err = tx.Query(`SELECT i.impl_code, i.region_code FROM items i WHERE i.published_version > 0 AND i.withdrawn = $1
			AND i.offered_levels <> '' ORDER BY i.region_code, i.frequency DESC, i.impl_code`, false)
		if err != nil {
			return err
		}
		var codesOffered []string
		for rows.Next() {
			var code, region string
			if err := rows.Scan(&code, &region); err != nil {
				rows.Close()
				return err
			}
			for _, a := range adopters {
				if region != a.RegionCode && codes.DivisionCovers(region, a.RegionCode) {
					codesOffered = append(codesOffered, code)
					break
				}
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		// The items of towns and villages, adopted or not, by code.
		type state struct{ withdrawn, adopted bool }
		have := map[string]state{}
		rows, err = tx.Query(`SELECT i.impl_code, i.withdrawn, a.item_id IS NOT NULL FROM items i LEFT JOIN adoptions a ON a.item_id = i.id
			WHERE i.level >= $1`, ExercisingLevel(4))
		if err != nil {
			return err
		}
		for rows.Next() {
			var code string
			var st state
			if err := rows.Scan(&code, &st.withdrawn, &st.adopted); err != nil {
				rows.Close()
				return err
			}
			have[code] = st
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, code := range codesOffered {
			v, err := c.versionTx(tx, code, 0, false, true)
			if err != nil {
				return err
			}
			it := v.Item
			o := Offer{ImplCode: code, Name: it.Name, Version: v.Version, DepartmentName: v.DepartmentName, RegionCode: it.Region, Level: it.Level,
				OfferedLevels: it.OfferedLevels, Handling: it.Handling, StatutoryLimit: it.StatutoryLimit, PromisedLimit: it.PromisedLimit,
				Adopters: []string{}, Adopted: []string{}}
			for _, a := range adopters {
				lv := ExercisingLevel(a.level)
				if a.RegionCode == it.Region || !codes.DivisionCovers(it.Region, a.RegionCode) || !it.Offers(lv) {
					continue
				}
				own, err := AdoptedImplCode(a.CreditCode, lv, it.BasicCode)
				if err != nil {
					continue
				}
				st, exists := have[own]
				switch {
				case !exists || (st.adopted && st.withdrawn):
					o.Adopters = append(o.Adopters, a.ID)
				case st.adopted:
					o.Adopted = append(o.Adopted, own)
				}
			}
			if len(o.Adopters)+len(o.Adopted) > 0 {
				out = append(out, o)
			}
		}
		return nil
	})
	return out, apperr.Internalf("catalog: offered", err)
}

// adoptionBound refuses a version of an adopted item whose promised limit
// leaves the bounds of the source version it follows.
func adoptionBound(tx *db.Tx, itemID string, it *Item) error {
	var body string
	err := tx.QueryRow(`SELECT v.body FROM adoptions a JOIN item_versions v ON v.item_id = a.source_id AND v.version = a.source_version
		WHERE a.item_id = $1`, itemID).Scan(&body)
	if err == sql.ErrNoRows {
		return nil
	}
	if err != nil {
		return err
	}
	src, err := decode(body)
	if err != nil {
		return err
	}
	_, err = AdoptedLimit(src, it.PromisedLimit)
	return err
}

// itemWindows lists the windows that take in the item implCode (never nil).
func itemWindows(tx *db.Tx, implCode string) ([]string, error) {
	windows := []string{}
	rows, err := tx.Query(`SELECT window_id FROM window_items WHERE impl_code = $1 ORDER BY window_id`, implCode)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var w string
		if err := rows.Scan(&w); err != nil {
			return nil, err
		}
		windows = append(windows, w)
	}
	return windows, rows.Err()
}
