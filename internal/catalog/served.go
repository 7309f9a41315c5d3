package catalog

import (
	"context"
	"slices"
	"strconv"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
)

// The divisions an administrator serves, chosen as a whole on one page
// (/admin/regions), and how far a fresh installation has come (the first
// steps on /admin).

// RegionNode is a division in the administrator's tree, with the divisions
// directly below it.
type RegionNode struct {
	Region
	Children []*RegionNode
}

// scopedRegions reads the divisions the administrator's grants cover, in
// code order (a parent before its children).
func scopedRegions(tx *db.Tx, u *identity.User) ([]Region, error) {
	var args []any
	cond := u.ScopeOf(identity.RoleAdmin).SQL("", "code", func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) })
	rows, err := tx.Query(`SELECT code, name, level, COALESCE(parent_code, ''), served FROM regions WHERE `+cond+` ORDER BY level, code`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Region
	for rows.Next() {
		var r Region
		if err := rows.Scan(&r.Code, &r.Name, &r.Level, &r.ParentCode, &r.Served); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ServedTree is the tree of the divisions the administrator covers, each
// with whether it is served: one root per grant's region.
func (c *Catalog) ServedTree(ctx context.Context, u *identity.User) ([]*RegionNode, error) {
	var roots []*RegionNode
	err := c.db.View(ctx, func(tx *db.Tx) error {
		rs, err := scopedRegions(tx, u)
		if err != nil {
			return err
		}
		byCode := map[string]*RegionNode{}
		for _, r := range rs {
			n := &RegionNode{Region: r}
			byCode[r.Code] = n
			if p := byCode[r.ParentCode]; p != nil {
				p.Children = append(p.Children, n)
				p.HasChildren = true
			} else {
				roots = append(roots, n)
			}
		}
		return nil
	})
	return roots, apperr.Internalf("catalog: served tree", err)
}

// ServedChange is what SetServedRegions changed: the divisions that began
// and stopped being served.
type ServedChange struct {
	Served, Unserved int
}

// SetServedRegions makes served exactly the listed divisions among those
// the administrator covers: a division is served when it is listed and so
// is every division above it up to the administrator's own (a division
// that stops being served takes the divisions inside it along, as
// SetServed does). A listed division outside the administrator's is
// forbidden, an unknown one invalid; refused too is stopping a division that still has an active hall or an
// item inside it. All or nothing, one audit record per division whose
// change is not its parent's.
func (c *Catalog) SetServedRegions(ctx context.Context, u *identity.User, served []string) (ServedChange, error) {
	var ch ServedChange
	err := c.db.Update(ctx, func(tx *db.Tx) error {
		rs, err := scopedRegions(tx, u)
		if err != nil {
			return err
		}
		if len(rs) == 0 {
			return apperr.E(apperr.Forbidden, "org.forbidden", "region", "")
		}
		in := map[string]bool{}
		for i, code := range served {
			if !slices.ContainsFunc(rs, func(r Region) bool { return r.Code == code }) {
				f := "served[" + strconv.Itoa(i) + "]"
				var name string
				if err := tx.QueryRow(`SELECT name FROM regions WHERE code = $1`, code).Scan(&name); err != nil {
					return at(f, apperr.E(apperr.Invalid, "catalog.region_unknown", "code", code))
				}
				return at(f, apperr.E(apperr.Forbidden, "org.forbidden", "region", name))
			}
			in[code] = true
		}
		want := map[string]bool{}
		byCode := map[string]Region{}
		for _, r := range rs { // parents first
			byCode[r.Code] = r
			_, parentInScope := byCode[r.ParentCode]
			want[r.Code] = in[r.Code] && (!parentInScope || want[r.ParentCode])
		}
		for _, r := range rs {
			if want[r.Code] == r.Served {
				continue
			}
			p, parentInScope := byCode[r.ParentCode]
			top := !parentInScope || want[p.Code] == p.Served || want[p.Code] != want[r.Code]
			if top && !want[r.Code] {
				var halls, items int
				if err := tx.QueryRow(`SELECT COUNT(*) FROM halls WHERE region_code LIKE $1 AND active = $2`, within(r.Code), true).Scan(&halls); err != nil {
					return err
				}
				if err := tx.QueryRow(`SELECT COUNT(*) FROM items WHERE region_code LIKE $1`, within(r.Code)).Scan(&items); err != nil {
					return err
				}
				if halls > 0 || items > 0 {
					return at("served", apperr.E(apperr.Conflict, "org.region_in_use", "region", r.Name, "halls", halls, "items", items))
				}
			}
			if _, err := tx.Exec(`UPDATE regions SET served = $1 WHERE code = $2`, want[r.Code], r.Code); err != nil {
				return err
			}
			if want[r.Code] {
				ch.Served++
			} else {
				ch.Unserved++
			}
			if top {
				if err := record(tx, u, "region.served", "region", r.Code, map[string]any{"code": r.Code, "served": want[r.Code]}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return ch, apperr.Internalf("catalog: set served regions", err)
}

// OrgProgress counts what of the organisation the administrator covers
// exists: the first steps of a fresh installation.
type OrgProgress struct {
	ServedRegions, Departments, Halls, Windows, PublishedItems int
}

// Progress counts the administrator's organisation (OrgProgress).
func (c *Catalog) Progress(ctx context.Context, u *identity.User) (OrgProgress, error) {
	var p OrgProgress
	err := c.db.View(ctx, func(tx *db.Tx) error {
		var args []any
		arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
		sc := u.ScopeOf(identity.RoleAdmin)
		q := `SELECT (SELECT COUNT(*) FROM regions r WHERE r.served = ` + arg(true) + ` AND ` + sc.SQL("", "r.code", arg) + `),
			(SELECT COUNT(*) FROM departments d WHERE ` + sc.SQL("", "d.region_code", arg) + `),
			(SELECT COUNT(*) FROM halls h WHERE ` + sc.SQL("", "h.region_code", arg) + `),
			(SELECT COUNT(*) FROM windows w JOIN halls h ON h.id = w.hall_id WHERE ` + sc.SQL("", "h.region_code", arg) + `),
			(SELECT COUNT(*) FROM items i WHERE i.published_version > 0 AND ` + sc.SQL("", "i.region_code", arg) + `)`
		return tx.QueryRow(q, args...).Scan(&p.ServedRegions, &p.Departments, &p.Halls, &p.Windows, &p.PublishedItems)
	})
	return p, apperr.Internalf("catalog: progress", err)
}

// Window reads a window of a hall the administrator covers.
func (c *Catalog) Window(ctx context.Context, u *identity.User, id string) (Window, error) {
	var w Window
	err := c.db.View(ctx, func(tx *db.Tx) error {
		var err error
		if w, err = windowRow(tx, id); err != nil {
			return err
		}
		h, err := hallRow(tx, w.HallID)
		if err != nil {
			return err
		}
		if err := adminOf(u, h.RegionCode); err != nil {
			return apperr.E(apperr.NotFound, "org.window_unknown", "id", id)
		}
		return nil
	})
	return w, apperr.Internalf("catalog: window", err)
}
