package cases

import (
	"context"
	"encoding/json"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
)

// Prefill returns values for the item's form from what the applicant gave
// before (数据沉淀, R5.5): the latest value of each field in their earlier
// applications, then their identity, which always wins — an applicant's own
// name and number are not retyped, and not mistyped.
func (s *Service) Prefill(ctx context.Context, u *identity.User, it *catalog.Item) (catalog.Values, error) {
	out := catalog.Values{}
	if u == nil || u.Kind == identity.KindStaff {
		return out, nil
	}
	want := map[string]bool{}
	for _, f := range it.Form {
		if f.Type != "attachment" {
			want[f.Key] = true
		}
	}
	err := s.db.View(ctx, func(tx *db.Tx) error {
		rows, err := tx.Query(`SELECT id, form_values FROM cases WHERE applicant_id = $1 ORDER BY updated_at DESC LIMIT 20`, u.ID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id, stored string
			if err := rows.Scan(&id, &stored); err != nil {
				return err
			}
			raw, err := s.vault().OpenText(stored, valuesPurpose(id))
			if err != nil {
				return err
			}
			var vals catalog.Values
			if json.Unmarshal([]byte(raw), &vals) != nil {
				continue
			}
			for k, v := range vals {
				if _, seen := out[k]; want[k] && !seen && len(v) > 0 {
					out[k] = v
				}
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, apperr.Internalf("cases: prefill", err)
	}
	app, err := s.identity.ApplicantOf(ctx, u)
	if err != nil {
		return nil, err
	}
	for _, f := range it.Form {
		switch {
		case u.Kind == identity.KindPerson && f.Key == "applicant_name":
			out[f.Key] = []string{app.Name}
		case u.Kind == identity.KindPerson && f.Type == "idnumber" && f.Key == "applicant_id":
			n, err := s.identity.OwnIDNumber(ctx, u)
			if err != nil {
				return nil, err
			}
			out[f.Key] = []string{n}
		case u.Kind == identity.KindOrganisation && f.Key == "org_name":
			out[f.Key] = []string{app.Name}
		case u.Kind == identity.KindOrganisation && f.Key == "org_credit_code":
			out[f.Key] = []string{app.Masked} // a credit code is public and kept whole
		}
	}
	return out, nil
}
