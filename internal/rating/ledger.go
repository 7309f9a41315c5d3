package rating

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
)

// LedgerRoles may read the 差评 ledger (台账): the department's back office
// and the region's supervisors.
var LedgerRoles = []identity.Role{identity.RoleHandler, identity.RoleReviewer, identity.RoleApprover, identity.RoleSupervisor}

// LedgerFilter selects orders of the ledger.
type LedgerFilter struct {
	State   string
	Flagged bool // only orders whose rating is part of a burst of one text
	Page    int
	PerPage int
}

// MaxPerPage bounds a ledger page.
const MaxPerPage = 100

// Ledger lists the 差评 work orders u's grants cover (identity.Scope: the
// department and region of each grant; a supervisor's region), open ones
// first by their verification deadline. The comment is left out: the list
// names no rater and carries no free text.
func (s *Service) Ledger(ctx context.Context, u *identity.User, f LedgerFilter) ([]Order, int, error) {
	if u == nil {
		return nil, 0, apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	sc := u.ScopeOf(LedgerRoles...)
	if u.Kind != identity.KindStaff || sc.Empty() {
		return nil, 0, apperr.E(apperr.Forbidden, "error.forbidden")
	}
	if f.State != "" && !slices.Contains(States, f.State) {
		return nil, 0, apperr.E(apperr.Invalid, "rating_order.state_unknown", "state", f.State)
	}
	if f.PerPage <= 0 || f.PerPage > MaxPerPage {
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
	where := []string{"(" + sc.SQL("o.department_id", "o.region_code", arg) + ")"}
	if f.State != "" {
		where = append(where, "o.state = "+arg(f.State))
	}
	if f.Flagged {
		where = append(where, "r.flagged")
	}
	cond := strings.Join(where, " AND ")
	out := []Order{}
	var total int
	err := s.DB.View(ctx, func(tx *db.Tx) error {
		if err := tx.QueryRow(`SELECT COUNT(*) FROM rating_orders o JOIN ratings r ON r.id = o.rating_id WHERE `+cond, args...).Scan(&total); err != nil {
			return err
		}
		rows, err := tx.Query(selectOrder+` WHERE `+cond+` ORDER BY CASE WHEN o.state = 'closed' THEN 1 ELSE 0 END, o.verify_due_at, o.id`+
			fmt.Sprintf(" LIMIT %d OFFSET %d", f.PerPage, (f.Page-1)*f.PerPage), args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			o, err := scanOrder(rows)
			if err != nil {
				return err
			}
			o.Comment, o.raterID = "", ""
			o.Actions = Available(o.State, capacities(u, o)...)
			out = append(out, *o)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, 0, apperr.Internalf("rating: ledger", err)
	}
	return out, total, nil
}

// OrdersOfCase lists the orders of a case's ratings that u rated: the
// rater's 回访 on their case page.
func (s *Service) OrdersOfCase(ctx context.Context, u *identity.User, caseID string) ([]Order, error) {
	out := []Order{}
	if u == nil || u.Kind == identity.KindStaff {
		return out, nil
	}
	err := s.DB.View(ctx, func(tx *db.Tx) error {
		// A 一件事's page shows the orders of its sub-cases' ratings.
		rows, err := tx.Query(selectOrder+` WHERE r.subject_kind = 'case' AND r.subject_id IN (SELECT id FROM cases WHERE id = $1 OR parent_id = $1)
			AND r.rater_id = $2 ORDER BY o.created_at, o.order_no`, caseID, u.ID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			o, err := scanOrder(rows)
			if err != nil {
				return err
			}
			o.Actions = Available(o.State, ByRater)
			out = append(out, *o)
		}
		return rows.Err()
	})
	return out, apperr.Internalf("rating: orders of case", err)
}
