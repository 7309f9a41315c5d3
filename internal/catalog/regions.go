// Package catalog is the service catalog (事项库): regions, departments and
// service halls now; items, materials, forms, situations and bundles as the
// catalog issue proceeds. It owns its types, rules and SQL.
package catalog

import (
	"context"
	"encoding/csv"
	"errors"
	"io"
	"strings"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
)

// Region is one administrative division (行政区划).
type Region struct {
	Code        string `json:"code"`
	Name        string `json:"name"`
	Level       int    `json:"level"` // 1 province … 5 village
	Kind        string `json:"kind"`  // subdistrict, town, township, community, village …
	ParentCode  string `json:"parent_code,omitempty"`
	HasChildren bool   `json:"has_children"`
	Served      bool   `json:"served"` // the installation serves it (items and halls only in served divisions)
}

// Catalog is the catalog service.
type Catalog struct {
	db       *db.DB
	versions *versionCache
	dict     *dictCache
	// Home is the installation's root region: its administrators alone
	// change what applies everywhere (the search synonyms).
	Home string
}

// New returns the catalog service over d.
func New(d *db.DB) *Catalog {
	return &Catalog{db: d, versions: newVersionCache(4096), dict: &dictCache{}}
}

// ParentOf derives a division's parent from its code: village → township
// (first 9 digits + 000), township → county (first 6), county → city
// (first 4 + 00), city → province (first 2 + 0000).
func ParentOf(d codes.Division) string {
	switch d.Level() {
	case 5:
		return d.Code[:9] + "000"
	case 4:
		return d.County
	case 3:
		return d.County[:4] + "00"
	case 2:
		return d.County[:2] + "0000"
	}
	return ""
}

func kindOf(d codes.Division) string {
	switch d.Level() {
	case 5:
		return codes.VillageKind(d.Village)
	case 4:
		return codes.TownshipKind(d.Township)
	case 3:
		return "county"
	case 2:
		return "city"
	}
	return "province"
}

// ImportDivisions loads a "code,name" file. Every row is checked (a valid
// code, a name, a parent present in the database or earlier in the file);
// any error rejects the whole file, naming the line. Existing codes are
// renamed, never duplicated. Returns the number of rows read.
func (c *Catalog) ImportDivisions(ctx context.Context, r io.Reader) (int, error) {
	rows, err := csv.NewReader(r).ReadAll()
	if err != nil {
		var pe *csv.ParseError
		line := 0
		if errors.As(err, &pe) {
			line = pe.Line
		}
		return 0, apperr.E(apperr.Invalid, "catalog.import_format", "line", line, "error", err.Error())
	}
	if len(rows) == 0 || len(rows[0]) < 2 || rows[0][0] != "code" {
		return 0, apperr.E(apperr.Invalid, "catalog.import_header", "want", "code,name")
	}
	n := 0
	err = c.db.Update(ctx, func(tx *db.Tx) error {
		seen := map[string]bool{}
		for i, row := range rows[1:] {
			line := i + 2
			if len(row) < 2 || strings.TrimSpace(row[1]) == "" {
				return apperr.E(apperr.Invalid, "catalog.import_name", "line", line)
			}
			d, err := codes.ParseDivision(strings.TrimSpace(row[0]))
			if err != nil {
				return apperr.E(apperr.Invalid, "catalog.import_code", "line", line, "code", row[0])
			}
			parent := ParentOf(d)
			var parentArg any
			if parent != "" {
				if !seen[parent] {
					var x string
					if err := tx.QueryRow(`SELECT code FROM regions WHERE code = $1`, parent).Scan(&x); err != nil {
						return db.NotFound(err, "catalog.import_parent", "line", line, "code", d.Code, "parent", parent)
					}
				}
				parentArg = parent
			}
			if _, err := tx.Exec(`INSERT INTO regions (code, name, level, parent_code) VALUES ($1, $2, $3, $4)
				ON CONFLICT (code) DO UPDATE SET name = excluded.name`, d.Code, strings.TrimSpace(row[1]), d.Level(), parentArg); err != nil {
				return err
			}
			seen[d.Code] = true
			n++
		}
		return nil
	})
	if err != nil {
		return 0, apperr.Internalf("catalog: import divisions", err)
	}
	return n, nil
}

// Region returns one region. Returns Invalid for a malformed code and
// NotFound for an unknown one.
func (c *Catalog) Region(ctx context.Context, code string) (*Region, error) {
	d, err := codes.ParseDivision(code)
	if err != nil {
		return nil, err
	}
	r := &Region{Kind: kindOf(d)}
	err = c.db.View(ctx, func(tx *db.Tx) error {
		err := tx.QueryRow(`SELECT code, name, level, COALESCE(parent_code, ''),
				EXISTS (SELECT 1 FROM regions c WHERE c.parent_code = r.code), served
			FROM regions r WHERE code = $1`, code).Scan(&r.Code, &r.Name, &r.Level, &r.ParentCode, &r.HasChildren, &r.Served)
		return db.NotFound(err, "catalog.region_unknown", "code", code)
	})
	if err != nil {
		return nil, apperr.Internalf("catalog: region", err)
	}
	return r, nil
}

// Children lists a region's direct children in code order (the region
// picker's next level). Returns NotFound for an unknown region.
func (c *Catalog) Children(ctx context.Context, code string) (*Region, []Region, error) {
	parent, err := c.Region(ctx, code)
	if err != nil {
		return nil, nil, err
	}
	var out []Region
	err = c.db.View(ctx, func(tx *db.Tx) error {
		rows, err := tx.Query(`SELECT code, name, level,
				EXISTS (SELECT 1 FROM regions c WHERE c.parent_code = r.code), served
			FROM regions r WHERE parent_code = $1 ORDER BY code`, code)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			r := Region{ParentCode: code}
			if err := rows.Scan(&r.Code, &r.Name, &r.Level, &r.HasChildren, &r.Served); err != nil {
				return err
			}
			if d, err := codes.ParseDivision(r.Code); err == nil {
				r.Kind = kindOf(d)
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	return parent, out, apperr.Internalf("catalog: children", err)
}
