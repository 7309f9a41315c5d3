package license

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
)

// Type is a licence type (证照类型) as data: what a licence of the type
// carries, who defines it, how long it is valid and how it is laid out.
type Type struct {
	Code          string  `json:"code"` // GB/T 36904: the defining authority's credit code + 3 digits
	Name          string  `json:"name"`
	NameEN        string  `json:"name_en,omitempty"`
	Authority     string  `json:"authority"` // 定义机构
	Fields        []Field `json:"fields"`
	ValidityYears int     `json:"validity_years"` // 0: 长期 (no end)
	NumberPrefix  string  `json:"number_prefix,omitempty"`
	Layout        Layout  `json:"layout"`
}

// Field is one entry a licence of the type shows, and where its value
// comes from when a case issues the licence.
type Field struct {
	Key     string `json:"key"`
	Label   string `json:"label"`
	LabelEN string `json:"label_en,omitempty"`
	// From: "form:<field key>" (the application form's value, as displayed),
	// "applicant.name", "case.no", "item.name" or "department.name"; several
	// joined by "|" take the first that has a value (items of one type name
	// their form fields differently).
	From string `json:"from"`
}

// Layout is how the licence document looks.
type Layout struct {
	Accent   string `json:"accent,omitempty"`   // border and title colour, "#rrggbb"
	Subtitle string `json:"subtitle,omitempty"` // a line under the title, e.g. （电子证照）
}

// fieldSources are the sources a field may name besides a form field.
var fieldSources = []string{"applicant.name", "case.no", "item.name", "department.name"}

// Validate checks a type before it is stored.
func (t *Type) Validate() error {
	if len(t.Code) != 21 {
		return apperr.E(apperr.Invalid, "codes.licence_id.type_length", "got", len(t.Code))
	}
	if _, err := codes.ParseCreditCode(t.Code[:18]); err != nil {
		return apperr.E(apperr.Invalid, "codes.licence_id.type_authority", "code", t.Code[:18])
	}
	for i := 18; i < 21; i++ {
		if t.Code[i] < '0' || t.Code[i] > '9' {
			return apperr.E(apperr.Invalid, "codes.licence_id.type_number", "code", t.Code[18:])
		}
	}
	if strings.TrimSpace(t.Name) == "" || strings.TrimSpace(t.Authority) == "" {
		return apperr.E(apperr.Invalid, "licence.type_incomplete")
	}
	if t.ValidityYears < 0 || t.ValidityYears > 100 {
		return apperr.E(apperr.Invalid, "licence.type_validity", "value", t.ValidityYears)
	}
	seen := map[string]bool{}
	for _, f := range t.Fields {
		// A key becomes "field.<key>=" in the signed payload: no "=" or line breaks.
		if f.Key == "" || strings.ContainsAny(f.Key, "=\n\r") || seen[f.Key] || f.Label == "" {
			return apperr.E(apperr.Invalid, "licence.type_field", "key", f.Key)
		}
		seen[f.Key] = true
		for _, from := range strings.Split(f.From, "|") {
			if key, ok := strings.CutPrefix(from, "form:"); (!ok || key == "") && !contains(fieldSources, from) {
				return apperr.E(apperr.Invalid, "licence.type_field_source", "key", f.Key, "from", f.From)
			}
		}
	}
	return nil
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// DefineType creates or changes a licence type as u. A type is the
// installation's (every department issues under it, every verifier reads
// it): only an installation administrator defines one.
func (s *Service) DefineType(ctx context.Context, u *identity.User, t Type) error {
	if u == nil {
		return apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	if !u.Installation(identity.RoleAdmin, s.Home) {
		return apperr.E(apperr.Forbidden, "licence.type_installation_only")
	}
	return SaveType(ctx, s.DB, u.ID, t)
}

// SaveType stores a licence type (an administrator's change, or the
// demo's: actorID ""), with an audit record of the type as saved.
func SaveType(ctx context.Context, d *db.DB, actorID string, t Type) error {
	if err := t.Validate(); err != nil {
		return err
	}
	fields, _ := json.Marshal(t.Fields)
	layout, _ := json.Marshal(t.Layout)
	err := d.Update(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(`INSERT INTO licence_types (code, name, name_en, authority, fields, validity_years, number_prefix, layout, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
			ON CONFLICT (code) DO UPDATE SET name = $2, name_en = $3, authority = $4, fields = $5, validity_years = $6,
				number_prefix = $7, layout = $8, updated_at = $9`,
			t.Code, t.Name, t.NameEN, t.Authority, string(fields), t.ValidityYears, t.NumberPrefix, string(layout), tx.Now)
		if err != nil {
			return err
		}
		body, _ := json.Marshal(t)
		return audit.Append(tx, &audit.Record{Actor: actorID, Role: "admin", Action: "licence_type.save", ObjectType: "licence_type", ObjectID: t.Code}, body)
	})
	return apperr.Internalf("license: save type", err)
}

const typeColumns = `code, name, name_en, authority, fields, validity_years, number_prefix, layout`

func scanType(row interface{ Scan(...any) error }) (*Type, error) {
	var t Type
	var fields, layout string
	if err := row.Scan(&t.Code, &t.Name, &t.NameEN, &t.Authority, &fields, &t.ValidityYears, &t.NumberPrefix, &layout); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(fields), &t.Fields); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(layout), &t.Layout); err != nil {
		return nil, err
	}
	return &t, nil
}

// typeTx reads a type; ok is false when the library does not define it.
func typeTx(tx *db.Tx, code string) (*Type, bool, error) {
	t, err := scanType(tx.QueryRow(`SELECT `+typeColumns+` FROM licence_types WHERE code = $1`, code))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	return t, err == nil, err
}

// Types lists the licence types (public: what the library issues).
func Types(ctx context.Context, d *db.DB) ([]Type, error) {
	var out []Type
	err := d.View(ctx, func(tx *db.Tx) error {
		rows, err := tx.Query(`SELECT ` + typeColumns + ` FROM licence_types ORDER BY code`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			t, err := scanType(rows)
			if err != nil {
				return err
			}
			out = append(out, *t)
		}
		return rows.Err()
	})
	return out, apperr.Internalf("license: types", err)
}
