package rating

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/paging"
)

// LedgerRoles may read the 差评 ledger (台账): the department's back office
// and the region's supervisors.
var LedgerRoles = []identity.Role{identity.RoleHandler, identity.RoleReviewer, identity.RoleApprover, identity.RoleSupervisor}

// LedgerFilter selects orders of the ledger.
type LedgerFilter struct {
	State   string
	Flagged bool   // only orders whose rating is part of a burst of one text
	After   string // a continuation token (paging): "" the first page
	PerPage int    // at most MaxPerPage
}

// MaxPerPage bounds a ledger page.
const MaxPerPage = paging.MaxSize

// LedgerList is the name ledger pages' continuation tokens carry.
const LedgerList = "rating_ledger"

// LedgerPage is a page of the ledger, the next page's token ("" on the
// last) and how many orders match, counted up to paging.CountCap (Capped:
// at least that many).
type LedgerPage struct {
	Orders []Order
	Next   string
	Total  int
	Capped bool
}

// ledgerGroups are the ledger's two runs: open orders first, then closed
// ones, each by verification deadline and id.
var ledgerGroups = []string{"open", "closed"}

// Ledger lists the 差评 work orders u's grants cover (identity.Scope: the
// department and region of each grant; a supervisor's region), open ones
// first by their verification deadline. The comment is left out: the list
// names no rater and carries no free text.
func (s *Service) Ledger(ctx context.Context, u *identity.User, f LedgerFilter) (*LedgerPage, error) {
	if u == nil {
		return nil, apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	sc := u.ScopeOf(LedgerRoles...)
	if u.Kind != identity.KindStaff || sc.Empty() {
		return nil, apperr.E(apperr.Forbidden, "error.forbidden")
	}
	if f.State != "" && !slices.Contains(States, f.State) {
		return nil, apperr.E(apperr.Invalid, "rating_order.state_unknown", "state", f.State)
	}
	if f.PerPage <= 0 {
		f.PerPage = 50
	}
	if f.PerPage > MaxPerPage {
		return nil, apperr.E(apperr.Invalid, "paging.size_too_large", "max", MaxPerPage)
	}
	fp := paging.Fingerprint(u.ID, f.State, strconv.FormatBool(f.Flagged))
	key, err := paging.Decode(f.After, LedgerList, fp, s.DB.Now())
	if err != nil {
		return nil, err
	}
	groups := ledgerGroups
	var afterDue time.Time
	if key != nil {
		if len(key) != 3 || !slices.Contains(groups, key[0]) {
			return nil, apperr.E(apperr.Invalid, "paging.token_malformed")
		}
		if afterDue, err = time.Parse(time.RFC3339Nano, key[1]); err != nil {
			return nil, apperr.E(apperr.Invalid, "paging.token_malformed")
		}
		groups = groups[slices.Index(groups, key[0]):]
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
	n := len(args)
	page := &LedgerPage{Orders: []Order{}}
	err = s.DB.View(ctx, func(tx *db.Tx) error {
		if err := tx.QueryRow(`SELECT COUNT(*) FROM (SELECT 1 FROM rating_orders o JOIN ratings r ON r.id = o.rating_id WHERE `+cond+
			fmt.Sprintf(" LIMIT %d) n", paging.CountCap), args...).Scan(&page.Total); err != nil {
			return err
		}
		for _, g := range groups {
			need := f.PerPage + 1 - len(page.Orders)
			if need <= 0 {
				break
			}
			ga := append([]any{}, args[:n]...)
			garg := func(v any) string {
				ga = append(ga, v)
				return fmt.Sprintf("$%d", len(ga))
			}
			gc := cond + " AND o.state <> 'closed'"
			if g == "closed" {
				gc = cond + " AND o.state = 'closed'"
			}
			if key != nil && g == key[0] {
				gc += " AND o.verify_due_at >= " + garg(afterDue) + " AND (o.verify_due_at, o.id) > (" + garg(afterDue) + ", " + garg(key[2]) + ")"
			}
			rows, err := tx.Query(selectOrder+` WHERE `+gc+` ORDER BY o.verify_due_at, o.id`+fmt.Sprintf(" LIMIT %d", need), ga...)
			if err != nil {
				return err
			}
			for rows.Next() {
				o, err := scanOrder(rows)
				if err != nil {
					rows.Close()
					return err
				}
				o.Comment, o.raterID = "", ""
				o.Actions = Available(o.State, capacities(u, o)...)
				page.Orders = append(page.Orders, *o)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, apperr.Internalf("rating: ledger", err)
	}
	page.Capped = page.Total >= paging.CountCap
	if len(page.Orders) > f.PerPage {
		page.Orders = page.Orders[:f.PerPage]
		last := page.Orders[f.PerPage-1]
		g := "open"
		if last.State == Closed {
			g = "closed"
		}
		page.Next = paging.Encode(LedgerList, fp, []string{g, last.VerifyDueAt.UTC().Format(time.RFC3339Nano), last.ID}, s.DB.Now())
	}
	return page, nil
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
