package appeal

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/paging"
	"github.com/tongban/tongban/internal/supervise"
)

// PublicFilter selects orders as the public sees them.
type PublicFilter struct {
	IDs       []string  // ids or numbers; empty: any
	Category  string    // a category code
	State     string    // a state, or "open" / "closed" (Open311's two)
	Region    string    // a region code (and the regions within it)
	From, To  time.Time // created in [From, To) when set
	Published bool      // only orders whose requester consented to publication, closed
	Limit     int       // at most MaxList (default 50); with After, at most paging.MaxSize
	After     string    // a continuation token (paging): "" the first page
}

// MaxList bounds one page of a list.
const MaxList = 200

// Get reads one order as the public sees it: no requester, no staff; the
// description, location and reply only when the requester consented to
// publication (identifiers removed from the texts). A merged order is
// shown with its parent's number.
func (s *Service) Get(ctx context.Context, id string) (*Appeal, error) {
	var a *Appeal
	err := s.DB.View(ctx, func(tx *db.Tx) error {
		var err error
		a, err = getTx(tx, id)
		return err
	})
	if err != nil {
		return nil, apperr.Internalf("appeal: get", err)
	}
	publicView(a)
	return a, nil
}

// publicView strips an order for the public.
func publicView(a *Appeal) {
	published := a.Publish
	a.public()
	if !published {
		a.Description, a.Reply, a.Location = "", "", ""
	}
}

// Names of the appeal lists' continuation tokens.
const (
	PublicList = "appeals_public"
	QueueList  = "appeals_queue"
	DeptList   = "appeals_department"
)

// List lists a page of orders as the public sees them (see Get), newest
// first, and the next page's token ("" on the last).
func (s *Service) List(ctx context.Context, f PublicFilter) ([]*Appeal, string, error) {
	var conds []string
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	if len(f.IDs) > 0 {
		if len(f.IDs) > MaxList {
			return nil, "", apperr.E(apperr.Invalid, "appeal.list_too_many", "max", MaxList)
		}
		var in []string
		for _, id := range f.IDs {
			p := arg(id)
			in = append(in, "a.id = "+p+" OR a.appeal_no = "+p)
		}
		conds = append(conds, "("+strings.Join(in, " OR ")+")")
	}
	if f.Category != "" {
		conds = append(conds, "a.category = "+arg(f.Category))
	}
	switch f.State {
	case "":
	case "open":
		conds = append(conds, "a.state NOT IN ('closed', 'merged')")
	case "closed":
		conds = append(conds, "a.state IN ('closed', 'merged')")
	default:
		if !slices.Contains(States, f.State) {
			return nil, "", apperr.E(apperr.Invalid, "appeal.state_invalid")
		}
		conds = append(conds, "a.state = "+arg(f.State))
	}
	if f.Region != "" {
		conds = append(conds, "a.region_code LIKE "+arg(codes.DivisionPrefix(f.Region)+"%"))
	}
	if !f.From.IsZero() {
		conds = append(conds, "a.created_at >= "+arg(f.From.UTC()))
	}
	if !f.To.IsZero() {
		conds = append(conds, "a.created_at < "+arg(f.To.UTC()))
	}
	if f.Published {
		conds = append(conds, "a.publish = TRUE AND a.state = 'closed'")
	}
	fp := paging.Fingerprint(strings.Join(f.IDs, ","), f.Category, f.State, f.Region, f.From.String(), f.To.String(), strconv.FormatBool(f.Published))
	list, next, err := s.list(ctx, conds, args, page{list: PublicList, filter: fp, after: f.After, limit: f.Limit, desc: true})
	if err != nil {
		return nil, "", err
	}
	for _, a := range list {
		publicView(a)
	}
	return list, next, nil
}

// page is where a list starts and how much it reads: the token's list and
// filter, the token, the size and the direction of (created_at, id).
type page struct {
	list, filter, after string
	limit               int
	desc                bool
}

// list reads a page of orders by keyset on (created_at, id), in the
// direction p says, after the place p.after names; and the next page's
// token ("" on the last). Without a token the first page is read; a limit
// above paging.MaxSize is allowed only to the first page of the internal
// callers (MaxList: Open311's merged answer, a requester's own orders).
func (s *Service) list(ctx context.Context, conds []string, args []any, p page) ([]*Appeal, string, error) {
	if p.limit <= 0 {
		p.limit = 50
	}
	if p.limit > MaxList || (p.after != "" && p.limit > paging.MaxSize) {
		return nil, "", apperr.E(apperr.Invalid, "paging.size_too_large", "max", paging.MaxSize)
	}
	key, err := paging.Decode(p.after, p.list, p.filter, s.DB.Now())
	if err != nil {
		return nil, "", err
	}
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	if key != nil {
		if len(key) != 2 {
			return nil, "", apperr.E(apperr.Invalid, "paging.token_malformed")
		}
		at, err := time.Parse(time.RFC3339Nano, key[0])
		if err != nil {
			return nil, "", apperr.E(apperr.Invalid, "paging.token_malformed")
		}
		if p.desc {
			conds = append(conds, "a.created_at <= "+arg(at)+" AND (a.created_at, a.id) < ("+arg(at)+", "+arg(key[1])+")")
		} else {
			conds = append(conds, "a.created_at >= "+arg(at)+" AND (a.created_at, a.id) > ("+arg(at)+", "+arg(key[1])+")")
		}
	}
	q := appealSelect
	if len(conds) > 0 {
		q += " WHERE " + strings.Join(conds, " AND ")
	}
	if p.desc {
		q += " ORDER BY a.created_at DESC, a.id DESC"
	} else {
		q += " ORDER BY a.created_at, a.id"
	}
	q += " LIMIT " + strconv.Itoa(p.limit+1)
	out := []*Appeal{}
	err = s.DB.View(ctx, func(tx *db.Tx) error {
		rows, err := tx.Query(q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			a, err := scan(rows)
			if err != nil {
				return err
			}
			out = append(out, a)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, "", apperr.Internalf("appeal: list", err)
	}
	next := ""
	if len(out) > p.limit {
		out = out[:p.limit]
		last := out[len(out)-1]
		next = paging.Encode(p.list, p.filter, []string{last.Created.UTC().Format(time.RFC3339Nano), last.ID}, s.DB.Now())
	}
	return out, next, nil
}

// StaffRoles are the staff who read orders: the dispatcher (clerk) and
// supervisor of the order's region, the handler of its department.
var StaffRoles = []identity.Role{identity.RoleClerk, identity.RoleHandler, identity.RoleSupervisor}

// staffMay reports whether u reads a as staff.
func staffMay(u *identity.User, a *Appeal) bool {
	if u.ScopeOf(identity.RoleClerk, identity.RoleSupervisor).CoversRegion(a.RegionCode) {
		return true
	}
	return a.DepartmentID != "" && a.State != StateAccepted && u.ScopeOf(identity.RoleHandler).Covers(a.DepartmentID, a.RegionCode)
}

// Read reads one order for its requester or staff in scope, with its
// attachments and history; a staff read of the requester's data is
// recorded. Anyone else: not found.
func (s *Service) Read(ctx context.Context, u *identity.User, ref string) (*Appeal, error) {
	if u == nil {
		return nil, apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	var a *Appeal
	err := s.DB.Update(ctx, func(tx *db.Tx) error {
		var err error
		if a, err = getTx(tx, ref); err != nil {
			return err
		}
		switch {
		case u.Kind != identity.KindStaff && a.RequesterID == u.ID:
		case u.Kind == identity.KindStaff && staffMay(u, a):
			if !a.Anonymous && (a.sealed[0] != "" || a.sealed[1] != "") {
				if err := audit.Append(tx, &audit.Record{Actor: u.ID, Role: "staff", Action: "appeal.read.order", ObjectType: "appeal", ObjectID: a.ID}, nil); err != nil {
					return err
				}
			}
			if a.Clocks, err = supervise.OrderClocks(tx, Kind, a.ID); err != nil {
				return err
			}
		default:
			return apperr.E(apperr.NotFound, "appeal.not_found")
		}
		return details(tx, a)
	})
	if err != nil {
		return nil, apperr.Internalf("appeal: read", err)
	}
	s.reveal(a)
	if u.Kind != identity.KindStaff {
		a.AssigneeName, a.ReturnReason, a.ExtReason, a.ExternalClient = "", "", "", ""
	}
	return a, nil
}

// Contact opens the requester's full phone and e-mail for staff in scope
// who call back (回访 by phone); the read is recorded.
func (s *Service) Contact(ctx context.Context, u *identity.User, ref string) (phone, email string, err error) {
	if u == nil || u.Kind != identity.KindStaff {
		return "", "", apperr.E(apperr.Forbidden, "error.forbidden")
	}
	err = s.DB.Update(ctx, func(tx *db.Tx) error {
		a, err := getTx(tx, ref)
		if err != nil {
			return err
		}
		if !staffMay(u, a) {
			return apperr.E(apperr.NotFound, "appeal.not_found")
		}
		if a.Anonymous || !a.Contact {
			return apperr.E(apperr.Invalid, "appeal.no_contact")
		}
		v := s.Identity.Vault()
		if a.sealed[1] != "" {
			if phone, err = v.OpenText(a.sealed[1], sealPurpose("phone", a.ID)); err != nil {
				return err
			}
		}
		if a.sealed[2] != "" {
			if email, err = v.OpenText(a.sealed[2], sealPurpose("email", a.ID)); err != nil {
				return err
			}
		}
		if phone == "" && email == "" && a.RequesterID != "" {
			if phone, err = s.Identity.AccountPhoneNumberTx(tx, a.RequesterID); err != nil {
				return err
			}
		}
		return audit.Append(tx, &audit.Record{Actor: u.ID, Role: "staff", Action: "appeal.read.contact", ObjectType: "appeal", ObjectID: a.ID}, nil)
	})
	return phone, email, apperr.Internalf("appeal: contact", err)
}

// Mine lists the requester's own orders, newest first (their name shown,
// no staff names).
func (s *Service) Mine(ctx context.Context, u *identity.User) ([]*Appeal, error) {
	if u == nil {
		return nil, apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	if u.Kind == identity.KindStaff {
		return nil, apperr.E(apperr.Forbidden, "error.forbidden")
	}
	list, _, err := s.list(ctx, []string{"a.requester_id = $1"}, []any{u.ID}, page{limit: MaxList, desc: true})
	for _, a := range list {
		a.AssigneeName, a.ReturnReason, a.ExtReason = "", "", ""
	}
	return list, err
}

// StaffFilter selects a staff list.
type StaffFilter struct {
	State string // a state, "open", or "" for any
	Limit int    // at most paging.MaxSize
	After string // a continuation token (paging): "" the first page
}

// Queue is the dispatcher's list: orders of u's regions waiting for the
// dispatcher (accepted, returned, extension requested, replied, visited),
// oldest first; Filter.State narrows it. Lists never open personal data.
func (s *Service) Queue(ctx context.Context, u *identity.User, f StaffFilter) ([]*Appeal, string, error) {
	if u == nil || !u.HasAny(identity.RoleClerk, identity.RoleSupervisor) {
		return nil, "", apperr.E(apperr.Forbidden, "error.forbidden")
	}
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	conds := []string{u.ScopeOf(identity.RoleClerk, identity.RoleSupervisor).SQL("", "a.region_code", arg)}
	switch f.State {
	case "":
		conds = append(conds, "(a.state IN ('accepted', 'returned', 'replied', 'visited') OR a.ext_state = 'requested')")
	case "open":
		conds = append(conds, "a.state NOT IN ('closed', 'merged')")
	default:
		if !slices.Contains(States, f.State) {
			return nil, "", apperr.E(apperr.Invalid, "appeal.state_invalid")
		}
		conds = append(conds, "a.state = "+arg(f.State))
	}
	if f.Limit > paging.MaxSize {
		return nil, "", apperr.E(apperr.Invalid, "paging.size_too_large", "max", paging.MaxSize)
	}
	return s.list(ctx, conds, args, page{list: QueueList, filter: paging.Fingerprint(u.ID, f.State), after: f.After, limit: f.Limit})
}

// Department is the department's list (/workbench/appeals): the orders
// dispatched to u's departments in their regions, open ones by default,
// oldest first.
func (s *Service) Department(ctx context.Context, u *identity.User, f StaffFilter) ([]*Appeal, string, error) {
	if u == nil || !u.Has(identity.RoleHandler) {
		return nil, "", apperr.E(apperr.Forbidden, "error.forbidden")
	}
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	conds := []string{u.ScopeOf(identity.RoleHandler).SQL("a.department_id", "a.region_code", arg), "a.state <> 'accepted'"}
	switch f.State {
	case "", "open":
		conds = append(conds, "a.state IN ('dispatched', 'handling', 'returned')")
	default:
		if !slices.Contains(States, f.State) {
			return nil, "", apperr.E(apperr.Invalid, "appeal.state_invalid")
		}
		conds = append(conds, "a.state = "+arg(f.State))
	}
	if f.Limit > paging.MaxSize {
		return nil, "", apperr.E(apperr.Invalid, "paging.size_too_large", "max", paging.MaxSize)
	}
	return s.list(ctx, conds, args, page{list: DeptList, filter: paging.Fingerprint(u.ID, f.State), after: f.After, limit: f.Limit})
}
