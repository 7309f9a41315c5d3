package anomaly

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/i18n"
	"github.com/tongban/tongban/internal/identity"
)

// Anomaly is one raised anomaly as supervisors list it: the case by number
// and item, never the applicant.
type Anomaly struct {
	ID         string         `json:"id"`
	CaseNo     string         `json:"case_no"`
	ItemName   string         `json:"item_name"`
	Department string         `json:"department"`
	Kind       string         `json:"kind"`
	Detail     map[string]any `json:"detail"`
	Reason     string         `json:"reason"` // why it was raised, in the reader's language
	At         time.Time      `json:"at"`
}

// Filter selects anomalies raised in a period (dates in China, included).
type Filter struct {
	Kind     string
	Dept     string
	From, To calendar.Date
	Page     int
	PerPage  int
}

// Reader lists anomalies.
type Reader struct {
	DB *db.DB
}

// List returns the anomalies u may read that match f, newest first, with
// their reasons in lang.
func (r *Reader) List(ctx context.Context, u *identity.User, f Filter, lang i18n.Lang) ([]Anomaly, int, error) {
	if u == nil {
		return nil, 0, apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	if !identity.CanSupervise(u) {
		return nil, 0, apperr.E(apperr.Forbidden, "error.forbidden")
	}
	if f.Kind != "" && !slices.Contains(Kinds, f.Kind) {
		return nil, 0, apperr.E(apperr.Invalid, "anomaly.kind_unknown", "kind", f.Kind)
	}
	if f.PerPage <= 0 || f.PerPage > 200 {
		f.PerPage = 50
	}
	if f.Page < 1 {
		f.Page = 1
	}
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	sc := identity.SupervisionScope(u, "a.department_id", "a.region_code", arg)
	if sc == "" {
		return []Anomaly{}, 0, nil
	}
	where := []string{"(" + sc + ")", "a.at >= " + arg(f.From.Start(calendar.China).UTC()), "a.at < " + arg(f.To.AddDays(1).Start(calendar.China).UTC())}
	if f.Kind != "" {
		where = append(where, "a.kind = "+arg(f.Kind))
	}
	if f.Dept != "" {
		where = append(where, "a.department_id = "+arg(f.Dept))
	}
	cond := strings.Join(where, " AND ")
	out := []Anomaly{}
	var total int
	err := r.DB.View(ctx, func(tx *db.Tx) error {
		if err := tx.QueryRow(`SELECT COUNT(*) FROM case_anomalies a WHERE `+cond, args...).Scan(&total); err != nil {
			return err
		}
		rows, err := tx.Query(`SELECT a.id, c.case_no, c.item_name, d.name, a.kind, a.detail, a.at
			FROM case_anomalies a JOIN cases c ON c.id = a.case_id JOIN departments d ON d.id = a.department_id
			WHERE `+cond+` ORDER BY a.at DESC, a.id`+fmt.Sprintf(" LIMIT %d OFFSET %d", f.PerPage, (f.Page-1)*f.PerPage), args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var a Anomaly
			var detail string
			if err := rows.Scan(&a.ID, &a.CaseNo, &a.ItemName, &a.Department, &a.Kind, &detail, &a.At); err != nil {
				return err
			}
			if err := json.Unmarshal([]byte(detail), &a.Detail); err != nil {
				return err
			}
			a.At = a.At.UTC()
			a.Reason = reason(lang, a.Kind, a.Detail)
			out = append(out, a)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, 0, apperr.Internalf("anomaly: list", err)
	}
	return out, total, nil
}

// reason is the readable reason: "anomaly.<kind>" with the detail, whose
// values that are message keys are translated.
func reason(lang i18n.Lang, kind string, detail map[string]any) string {
	args := map[string]any{}
	for k, v := range detail {
		if s, ok := v.(string); ok && i18n.Has(lang, s) {
			v = i18n.T(lang, s, nil)
		}
		args[k] = v
	}
	return i18n.T(lang, "anomaly."+kind, args)
}
