package catalog

import (
	"bytes"
	"encoding/csv"
	"strings"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
)

// CheckRoot checks a code as an installation's root region: a 6-digit
// GB/T 2260 code of the embedded table (a county, a prefecture or a
// province). Towns and villages are served by an installation, never its
// root. Invalid (setup.region_*) otherwise.
func CheckRoot(code string) (codes.Division, error) {
	d, err := codes.ParseDivision(code)
	if err != nil {
		return d, apperr.E(apperr.Invalid, "setup.region_unknown", "code", code, "reason", err)
	}
	if len(code) != 6 {
		return d, apperr.E(apperr.Invalid, "setup.region_level", "code", code)
	}
	return d, nil
}

// LoadRegionTree writes, in tx, the region tree of an installation whose
// root is root: its enclosing province and prefecture, and every division
// of the embedded GB/T 2260 table within it; within 重庆市涪陵区 also the
// towns and villages of the embedded statistical list (data/SOURCE.md).
// Other counties load theirs with `tongban import divisions`. Existing
// codes are renamed, never duplicated. Returns the number of regions.
func LoadRegionTree(tx *db.Tx, root string) (int, error) {
	d, err := CheckRoot(root)
	if err != nil {
		return 0, err
	}
	var rows [][2]string
	for a := ParentOf(d); a != ""; {
		ad, _ := codes.ParseDivision(a)
		rows = append([][2]string{{a, codes.DivisionFullName(a)}}, rows...)
		a = ParentOf(ad)
	}
	for _, c := range codes.DivisionsWithin(root) {
		rows = append(rows, [2]string{c, codes.DivisionFullName(c)})
	}
	fl, err := csv.NewReader(bytes.NewReader(fulingDivisions)).ReadAll()
	if err != nil {
		return 0, err
	}
	for _, r := range fl[1:] {
		if len(r[0]) == 12 && codes.DivisionCovers(root, r[0]) {
			rows = append(rows, [2]string{r[0], strings.TrimSpace(r[1])})
		}
	}
	for _, r := range rows {
		rd, err := codes.ParseDivision(r[0])
		if err != nil {
			return 0, err
		}
		var parent any
		if p := ParentOf(rd); p != "" {
			parent = p
		}
		if _, err := tx.Exec(`INSERT INTO regions (code, name, level, parent_code) VALUES ($1, $2, $3, $4)
			ON CONFLICT (code) DO UPDATE SET name = excluded.name`, r[0], r[1], rd.Level(), parent); err != nil {
			return 0, err
		}
	}
	return len(rows), nil
}
