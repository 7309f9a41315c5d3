package appeal

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strings"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
)

// Category is one entry of the dispatch directory (派单目录): what an order
// is about, the department it is dispatched to and the types it takes.
type Category struct {
	Code           string   `json:"code"`
	Name           string   `json:"name"`
	NameEN         string   `json:"name_en"`
	DepartmentID   string   `json:"department_id"`
	DepartmentName string   `json:"department_name"`
	Types          []string `json:"types"`
	Enabled        bool     `json:"enabled"`
}

// Takes reports whether the category takes orders of typ.
func (c *Category) Takes(typ string) bool { return slices.Contains(c.Types, typ) }

// categoryCode is the form of a category code: lower-case letters, digits,
// dots and hyphens (it is an Open311 service_code too).
var categoryCode = regexp.MustCompile(`^[a-z0-9][a-z0-9.\-]{0,31}$`)

const categorySelect = `SELECT c.code, c.name, c.name_en, c.department_id, COALESCE(d.name, ''), c.types, c.enabled
	FROM appeal_categories c LEFT JOIN departments d ON d.id = c.department_id`

func scanCategory(row scanner) (*Category, error) {
	c := &Category{}
	var types string
	if err := row.Scan(&c.Code, &c.Name, &c.NameEN, &c.DepartmentID, &c.DepartmentName, &types, &c.Enabled); err != nil {
		return nil, err
	}
	c.Types = strings.Fields(types)
	return c, nil
}

// Categories lists the dispatch directory (enabled and disabled), by code.
func (s *Service) Categories(ctx context.Context) ([]Category, error) {
	out := []Category{}
	err := s.DB.View(ctx, func(tx *db.Tx) error {
		rows, err := tx.Query(categorySelect + ` ORDER BY c.code`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			c, err := scanCategory(rows)
			if err != nil {
				return err
			}
			out = append(out, *c)
		}
		return rows.Err()
	})
	return out, apperr.Internalf("appeal: categories", err)
}

// category reads one entry in tx.
func category(tx *db.Tx, code string) (*Category, error) {
	c, err := scanCategory(tx.QueryRow(categorySelect+` WHERE c.code = $1`, code))
	return c, db.NotFound(err, "appeal.category_unknown", "code", code)
}

// PutCategory adds or changes an entry of the directory: an administrator
// whose scope covers the department (audited, the entry before and after).
func (s *Service) PutCategory(ctx context.Context, u *identity.User, c Category) (*Category, error) {
	if u == nil {
		return nil, apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	if !u.Has(identity.RoleAdmin) {
		return nil, apperr.E(apperr.Forbidden, "error.forbidden")
	}
	c.Code, c.Name, c.NameEN = strings.TrimSpace(c.Code), strings.TrimSpace(c.Name), strings.TrimSpace(c.NameEN)
	switch {
	case !categoryCode.MatchString(c.Code):
		return nil, apperr.E(apperr.Invalid, "appeal.category_code_invalid")
	case c.Name == "" || len([]rune(c.Name)) > 100 || len([]rune(c.NameEN)) > 200:
		return nil, apperr.E(apperr.Invalid, "appeal.category_name_invalid")
	case len(c.Types) == 0:
		return nil, apperr.E(apperr.Invalid, "appeal.category_types_required")
	}
	var types []string
	for _, t := range c.Types {
		if !slices.Contains(Types, t) {
			return nil, apperr.E(apperr.Invalid, "appeal.type_invalid", "type", t)
		}
		if !slices.Contains(types, t) {
			types = append(types, t)
		}
	}
	err := s.DB.Update(ctx, func(tx *db.Tx) error {
		var region string
		if err := tx.QueryRow(`SELECT region_code FROM departments WHERE id = $1`, c.DepartmentID).Scan(&region); err != nil {
			return db.NotFound(err, "appeal.department_unknown")
		}
		if !u.ScopeOf(identity.RoleAdmin).Covers(c.DepartmentID, region) {
			return apperr.E(apperr.Forbidden, "error.forbidden")
		}
		var before any
		old, err := category(tx, c.Code)
		switch {
		case err == nil:
			before = old
			if !u.ScopeOf(identity.RoleAdmin).Covers(old.DepartmentID, region) {
				return apperr.E(apperr.Forbidden, "error.forbidden")
			}
			_, err = tx.Exec(`UPDATE appeal_categories SET name = $1, name_en = $2, department_id = $3, types = $4, enabled = $5, updated_at = $6
				WHERE code = $7`, c.Name, c.NameEN, c.DepartmentID, strings.Join(types, " "), c.Enabled, tx.Now, c.Code)
		case apperr.CodeOf(err) == apperr.NotFound:
			_, err = tx.Exec(`INSERT INTO appeal_categories (code, name, name_en, department_id, types, enabled, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`, c.Code, c.Name, c.NameEN, c.DepartmentID, strings.Join(types, " "), c.Enabled, tx.Now)
		}
		if err != nil {
			return err
		}
		c.Types = types
		b, _ := json.Marshal(map[string]any{"before": before, "after": c})
		return audit.Append(tx, &audit.Record{Actor: u.ID, Role: string(identity.RoleAdmin), Action: "appeal.category_put",
			ObjectType: "appeal_category", ObjectID: c.Code}, b)
	})
	if err != nil {
		return nil, apperr.Internalf("appeal: put category", err)
	}
	var out *Category
	err = s.DB.View(ctx, func(tx *db.Tx) error {
		out, err = category(tx, c.Code)
		return err
	})
	return out, apperr.Internalf("appeal: put category", err)
}
