package audit

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/tongban/tongban/internal/db"
)

// Subject is where a record's object lies — the department and region of a
// case or a licence, the region of an item or of a region's supervision
// setting or rule — so that readers of the log are scoped like readers of
// the object. Found is false for records about the installation itself
// (accounts, keys, licence types, settings that apply everywhere) and for
// objects no longer found: only installation-level staff read those.
type Subject struct {
	Department string
	Region     string
	Found      bool
}

// SubjectOf finds where r's object lies.
func SubjectOf(ctx context.Context, d *db.DB, r *Record) (Subject, error) {
	var s Subject
	var q string
	id := r.ObjectID
	switch r.ObjectType {
	case "case":
		q = `SELECT department_id, region_code FROM cases WHERE id = $1`
	case "licence":
		q = `SELECT l.department_id, COALESCE(c.region_code, dp.region_code) FROM licences l
			JOIN departments dp ON dp.id = l.department_id LEFT JOIN cases c ON c.id = l.case_id WHERE l.id = $1`
	case "item":
		q = `SELECT '', region_code FROM items WHERE impl_code = $1`
	case "department":
		q = `SELECT id, region_code FROM departments WHERE id = $1`
	case "hall":
		q = `SELECT '', region_code FROM halls WHERE id = $1`
	case "window":
		q = `SELECT '', h.region_code FROM windows w JOIN halls h ON h.id = w.hall_id WHERE w.id = $1`
	case "hall_service":
		q = `SELECT '', h.region_code FROM hall_services s JOIN halls h ON h.id = s.hall_id WHERE s.id = $1`
	case "rule":
		q = `SELECT '', region_code FROM escalation_rules WHERE id = $1`
	case "open311_client":
		q = `SELECT '', region_code FROM open311_clients WHERE id = $1`
	case "region":
		// A region's thresholds: "region:item type"; "" applies everywhere.
		region, _, _ := strings.Cut(id, ":")
		return Subject{Region: region, Found: region != ""}, nil
	default:
		return s, nil
	}
	err := d.View(ctx, func(tx *db.Tx) error {
		return tx.QueryRow(q, id).Scan(&s.Department, &s.Region)
	})
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return Subject{}, nil
	case err != nil:
		return s, err
	}
	s.Found = s.Region != ""
	return s, nil
}
