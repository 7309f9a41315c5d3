package cases

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/paging"
	"github.com/tongban/tongban/internal/workflow"
)

// Get returns a case with its materials, pauses, extensions, countersigns,
// notices and the actions u may take now. Returns NotFound outside u's
// scope. A staff reader's view of the applicant's data is recorded (R9.3).
func (s *Service) Get(ctx context.Context, u *identity.User, ref string) (*Case, error) {
	c, _, err := s.read(ctx, u, ref, false)
	return c, err
}

// Shown is what a case page shows: the case as its reader sees it and its
// timeline.
type Shown struct {
	Case   *Case
	Events []Event
}

// Page returns a case and its timeline in one read, recorded once as a
// staff reader's view (R9.3): a page makes one service call, as the API's
// read does, and a view is recorded only when a page shows the case.
func (s *Service) Page(ctx context.Context, u *identity.User, ref string) (*Shown, error) {
	c, events, err := s.read(ctx, u, ref, true)
	if err != nil {
		return nil, err
	}
	return &Shown{Case: c, Events: events}, nil
}

// ActOrShow is Act for a page that shows the case whatever the outcome.
// Done, it returns the case as changed (the page goes on to show it by its
// own read). Refused, it returns the refusal and, when the actor may still
// read the case, the case as it stands with its timeline — read, and
// recorded as one view, only because the page shows it again; nothing is
// read before the action (issue 14: the page's reads before every action
// wrote views nobody asked for).
func (s *Service) ActOrShow(ctx context.Context, u *identity.User, ref string, req ActionRequest) (*Case, *Shown, error) {
	after, err := s.Act(ctx, u, ref, req)
	if err == nil {
		return after, nil, nil
	}
	switch apperr.CodeOf(err) {
	case apperr.NotFound, apperr.Unauthenticated, apperr.Internal:
		return nil, nil, err
	}
	shown, rerr := s.Page(ctx, u, ref)
	if rerr != nil {
		return nil, nil, err
	}
	return nil, shown, err
}

// read is Get, with the timeline when asked.
func (s *Service) read(ctx context.Context, u *identity.User, ref string, withTimeline bool) (*Case, []Event, error) {
	if u == nil {
		return nil, nil, apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	var c *Case
	var events []Event
	var staff bool
	err := s.db.View(ctx, func(tx *db.Tx) error {
		var err error
		if c, err = s.load(tx, ref); err != nil {
			return err
		}
		roles, signer, err := access(tx, u, c)
		if err != nil {
			return err
		}
		staff = isStaff(roles) || signer
		if err := s.present(tx, u, c, roles, signer); err != nil {
			return err
		}
		if withTimeline {
			events, err = timeline(tx, c.ID)
		}
		return err
	})
	if err != nil {
		return nil, nil, apperr.Internalf("cases: get", err)
	}
	if staff {
		if err := s.record(ctx, u, c, "view"); err != nil {
			return nil, nil, err
		}
	}
	return c, events, nil
}

// access says what u is to c — their roles, and whether they are asked to
// countersign — or NotFound when u may not read c.
func access(tx *db.Tx, u *identity.User, c *Case) ([]string, bool, error) {
	signer, err := countersigner(tx, u, c)
	if err != nil {
		return nil, false, err
	}
	roles := rolesFor(u, c)
	return roles, signer, canRead(u, c, roles, signer)
}

// present fills what a reader sees of c beyond its row: details, material
// names, the actions they may take and the working days left.
func (s *Service) present(tx *db.Tx, u *identity.User, c *Case, roles []string, signer bool) error {
	it, err := s.catalog.ItemAt(tx, c.ItemCode, c.ItemVersion)
	if err != nil {
		return err
	}
	// Staff see the files resubmissions replaced too (read with the rest).
	if err := details(tx, c, isStaff(roles)); err != nil {
		return err
	}
	if c.ApplicantKind == string(identity.KindOrganisation) && c.Channel == ChannelOnline && c.CreatedBy != c.ApplicantID {
		if err := tx.QueryRow(`SELECT display_name FROM users WHERE id = $1`, c.CreatedBy).Scan(&c.FiledBy); err != nil {
			return err
		}
	}
	for _, list := range [][]Material{c.Materials, c.Superseded} {
		for i := range list {
			if m, ok := it.Material(list[i].Key); ok {
				list[i].Name = m.Name
			} else if list[i].Key == MandateKey {
				list[i].Name = MandateName // an agent's mandate on an item that does not list it
			}
		}
	}
	if s.licensing != nil && it.Result.LicenceType != "" && c.Decision == Granted {
		if err := tx.QueryRow(`SELECT COALESCE(MAX(identifier), '') FROM licences WHERE case_id = $1`, c.ID).Scan(&c.Licence); err != nil {
			return err
		}
	}
	if s.licensing != nil && it.TakesLicences() {
		if c.Licences, err = caseLicences(tx, c); err != nil {
			return err
		}
	}
	if c.Passes, err = casePasses(tx, c, it); err != nil {
		return err
	}
	d, err := s.process(c)
	if err != nil {
		return err
	}
	c.Actions = available(d, c, u, roles, signer)
	s.daysLeft(c)
	return nil
}

// details loads what a case detail shows beyond the case row.
func details(tx *db.Tx, c *Case, staff bool) error {
	if err := attachments(tx, c, staff); err != nil {
		return err
	}
	// Most cases have no pauses, extensions or countersigns: their counts
	// (read with the case by load, else one probe) spare three reads.
	h := c.history
	if h == nil {
		h = &history{}
		if err := tx.QueryRow(`SELECT (SELECT COUNT(*) FROM case_pauses WHERE case_id = $1),
		(SELECT COUNT(*) FROM case_extensions WHERE case_id = $1), (SELECT COUNT(*) FROM case_countersigns WHERE case_id = $1)`,
			c.ID).Scan(&h.pauses, &h.extensions, &h.signs); err != nil {
			return err
		}
	}
	pauses, extensions, signs := h.pauses, h.extensions, h.signs
	if pauses > 0 {
		if err := casePauses(tx, c); err != nil {
			return err
		}
	}
	if extensions > 0 {
		if err := caseExtensions(tx, c); err != nil {
			return err
		}
	}
	if signs > 0 {
		var err error
		if c.Countersigns, err = countersigns(tx, c.ID); err != nil {
			return err
		}
	}
	if c.ParentID == "" && c.BundleCode != "" {
		var err error
		c.Children, err = children(tx, c.ID)
		return err
	}
	return nil
}

func children(tx *db.Tx, parent string) ([]Case, error) {
	rows, err := tx.Query(caseSelect+` WHERE c.parent_id = $1 ORDER BY c.created_at, c.id`, parent)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Case
	for rows.Next() {
		c, err := scanCase(rows, nil)
		if err != nil {
			return nil, err
		}
		c.Values = nil
		out = append(out, *c)
	}
	return out, rows.Err()
}

// available lists what u may do to c now: the process's transitions for u's
// roles, then the operations whose preconditions hold.
func available(d *workflow.Definition, c *Case, u *identity.User, roles []string, signer bool) []string {
	out := []string{}
	for _, a := range d.Available(c.State, roles) {
		if !slices.Contains(out, a.Key) {
			out = append(out, a.Key)
		}
	}
	for _, name := range operationOrder {
		if refusalOf(name, d, c, roles, signer) == allowed {
			out = append(out, name)
		}
	}
	return out
}

// daysLeft fills the working days to the deadline that matters now, and
// whether any deadline falls in a year whose holidays are not loaded (the
// weekday fallback counted it: provisional, STANDARDS.md §4).
func (s *Service) daysLeft(c *Case) {
	cal := s.calendars.For(c.Region)
	for _, t := range []*time.Time{c.DueAt, c.StepDueAt, c.PreReviewDueAt, c.NoticeDueAt, c.ToleranceDueAt, c.VerifyDueAt} {
		if t != nil && cal.Provisional(DueDate(*t)) {
			c.Provisional = true
		}
	}
	var due *time.Time
	switch {
	case c.Clock == ClockPaused:
		return
	case c.StepDueAt != nil:
		due = c.StepDueAt
	case c.PreReviewDueAt != nil:
		due = c.PreReviewDueAt
	case c.Clock == workflow.ClockDecision:
		due = c.DueAt
	case c.VerifyDueAt != nil:
		// Decided on a promise: what is left is the department's 事后核查.
		due = c.VerifyDueAt
	}
	if due == nil {
		return
	}
	if n, err := WorkdaysLeft(cal, s.Now(), *due); err == nil {
		c.DaysLeft = &n
	}
}

// Filter selects cases for a list.
type Filter struct {
	State      string     // a state key
	Status     string     // what the applicant sees (status.<status>)
	Department string     // a department id
	DueBefore  *time.Time // the decision clock runs and runs out at or before this instant
	Inbox      bool       // only cases waiting for the reader to act
	// Tab is one of the workbench's views (Tabs); "" lists every case in
	// scope. TabTodo is Inbox.
	Tab       string
	Item      string     // an implementation code
	Applicant string     // the applicant's name, whole or its beginning
	Q         string     // a case number or an applicant's name, whole or its beginning
	FiledFrom *time.Time // submitted at or after this instant
	FiledTo   *time.Time // submitted before this instant
	// ChangedSince keeps the cases changed after this instant (新到待办:
	// the inbox's new work since the reader last looked).
	ChangedSince *time.Time
	Sort         string // one of Sorts; "" keeps each view's own order
	Desc         bool   // with Sort: descending
	// Archive lists staff's archived cases (Archived) instead of the
	// everyday ones; a search by number (Q) finds either.
	Archive bool
	After   string // the token of the page before (paging), "" for the first
	PerPage int    // at most paging.MaxSize; 0 is 20
}

// The workbench's views of the cases in scope (issue 17).
const (
	TabTodo    = "todo"     // 待办: waiting for the reader to act (the inbox)
	TabDoing   = "doing"    // 在办: running, whoever holds it
	TabDone    = "done"     // 已办: the reader acted on it
	TabDueSoon = "due_soon" // 即将超期: a running deadline falls within DueSoonDays working days
	TabOverdue = "overdue"  // 已超期: a running deadline has passed
	TabUrged   = "urged"    // 督办: urged by supervision, still running
)

// Tabs lists the workbench's views in the order they are shown.
var Tabs = []string{TabTodo, TabDoing, TabDone, TabDueSoon, TabOverdue, TabUrged}

// BoundedTabs are the views of running cases only: there a list may be
// sorted by any of Sorts. Every case in scope (no tab), 已办 and the
// archive hold the whole history: only the filing time sorts them.
var BoundedTabs = []string{TabTodo, TabDoing, TabDueSoon, TabOverdue, TabUrged}

// Bounded says whether f's view holds running cases only.
func (f Filter) Bounded() bool {
	return !f.Archive && (f.Inbox || slices.Contains(BoundedTabs, f.Tab))
}

// Sorts lists the columns a list may be sorted by.
var Sorts = []string{"filed", "due", "state", "item"}

// DueSoonDays is how many working days ahead 即将超期 looks (today counts
// as day 0: a deadline today or within the next three working days).
const DueSoonDays = 3

// CountCap bounds the workbench's tab counts: a count stops at CountCap
// rows (shown as "99+"), so a tab of a region's million cases costs no
// more than a hundred index entries. A list's own total stops at
// paging.CountCap (Page).
const CountCap = 100

// ArchiveAfter is how long a finished case stays in staff's everyday lists
// after its last change (Archive).
const ArchiveAfter = 30 * 24 * time.Hour

// running is the statuses of a case still being handled.
const running = "c.status IN ('pre_review', 'correction', 'handling')"

// runningDue is the deadline that runs now: the step's, the pre-review's or
// the decision's while a clock runs, else 事后核查 until it is recorded.
// Migration 00051 indexes this very expression (cases_hot_running_due): a
// change here must be made there too, or the lists lose their index.
const runningDue = "(CASE WHEN c.clock IN ('pre_review', 'decision') THEN COALESCE(c.step_due_at, c.pre_review_due_at, c.due_at) ELSE c.verify_due_at END)"

// check refuses a filter's unknown tab or sort.
func (f *Filter) check() error {
	if f.Tab != "" && !slices.Contains(Tabs, f.Tab) {
		return apperr.E(apperr.Invalid, "case.tab_invalid", "tab", f.Tab, "tabs", strings.Join(Tabs, ", "))
	}
	if f.Sort != "" && !slices.Contains(Sorts, f.Sort) {
		return apperr.E(apperr.Invalid, "case.sort_invalid", "sort", f.Sort, "sorts", strings.Join(Sorts, ", "))
	}
	if f.Sort != "" && f.Sort != "filed" && !f.Bounded() {
		// Only the filing time has an index over every case; the other
		// orders sort what the view holds, which must then be the running
		// work, not the whole history.
		return apperr.E(apperr.Invalid, "case.sort_unbounded", "sort", f.Sort, "tabs", strings.Join(BoundedTabs, ", "))
	}
	if f.FiledFrom != nil && f.FiledTo != nil && !f.FiledFrom.Before(*f.FiledTo) {
		return apperr.E(apperr.Invalid, "case.filed_range")
	}
	return nil
}

// likePrefix is a LIKE pattern matching strings that begin with s.
func likePrefix(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s) + "%"
}

// where builds the condition of f for u: the scope, the tab, the filters.
// It returns "" when u may see nothing.
func (s *Service) where(u *identity.User, f Filter, arg func(any) string) string {
	inbox := f.Inbox || f.Tab == TabTodo
	scope := s.scope(u, inbox, arg)
	if scope == "" {
		return ""
	}
	where := []string{"(" + scope + ")"}
	if staffOnly(u) {
		// Said again outside the scope's alternatives, so that the lists'
		// partial indexes (migration 00051) are seen to fit.
		where = append(where, "c.submitted_at IS NOT NULL")
		switch {
		case f.Archive:
			where = append(where, "c.archived = TRUE")
		case strings.TrimSpace(f.Q) == "":
			where = append(where, "c.archived = FALSE")
		}
	}
	now := s.Now()
	switch f.Tab {
	case TabDoing:
		where = append(where, running)
	case TabDone:
		where = append(where, "c.id IN (SELECT e.case_id FROM case_events e WHERE e.actor_id = "+arg(u.ID)+")")
	case TabDueSoon:
		where = append(where, runningDue+" > "+arg(now.UTC())+" AND "+runningDue+" <= "+arg(s.dueSoonHorizon(u, now).UTC()))
	case TabOverdue:
		where = append(where, runningDue+" <= "+arg(now.UTC()))
	case TabUrged:
		where = append(where, "c.urged_at IS NOT NULL AND "+running)
	}
	if f.State != "" {
		where = append(where, "c.state = "+arg(f.State))
	}
	if f.Status != "" {
		where = append(where, "c.status = "+arg(f.Status))
	}
	if f.Department != "" {
		where = append(where, "c.department_id = "+arg(f.Department))
	}
	if f.DueBefore != nil {
		where = append(where, "c.clock = 'decision' AND c.due_at <= "+arg(f.DueBefore.UTC()))
	}
	if f.Item != "" {
		where = append(where, "c.impl_code = "+arg(f.Item))
	}
	if a := strings.TrimSpace(f.Applicant); a != "" {
		where = append(where, "(c.applicant_name = "+arg(a)+" OR c.applicant_name LIKE "+arg(likePrefix(a))+` ESCAPE '\')`)
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		// A case number is letters and digits; anything else is a name.
		if isCaseNo(q) {
			q = strings.ToUpper(q)
			where = append(where, "(c.case_no = "+arg(q)+" OR c.case_no LIKE "+arg(likePrefix(q))+` ESCAPE '\')`)
		} else {
			where = append(where, "(c.applicant_name = "+arg(q)+" OR c.applicant_name LIKE "+arg(likePrefix(q))+` ESCAPE '\')`)
		}
	}
	if f.FiledFrom != nil {
		where = append(where, "c.submitted_at >= "+arg(f.FiledFrom.UTC()))
	}
	if f.FiledTo != nil {
		where = append(where, "c.submitted_at < "+arg(f.FiledTo.UTC()))
	}
	if f.ChangedSince != nil {
		// Changed by someone else: a reader's own action is not new to them.
		where = append(where, "c.updated_at > "+arg(f.ChangedSince.UTC())+
			" AND NOT EXISTS (SELECT 1 FROM case_events e WHERE e.actor_id = "+arg(u.ID)+" AND e.case_id = c.id AND e.at >= c.updated_at)")
	}
	return " WHERE " + strings.Join(where, " AND ")
}

// FilterOf reads a list's tab, filters, search and sort from URL
// parameters (the workbench's page and the API's case list share them):
// tab, item, status, applicant, from and to (filing dates, China time, both
// inclusive), q, sort and dir (asc, desc), archive (true, false) and after
// (a page token). The page size is the caller's.
func FilterOf(q url.Values) (Filter, error) {
	f := Filter{Tab: q.Get("tab"), Item: strings.TrimSpace(q.Get("item")), Status: q.Get("status"),
		Applicant: strings.TrimSpace(q.Get("applicant")), Q: strings.TrimSpace(q.Get("q")), Sort: q.Get("sort"),
		Desc: q.Get("dir") == "desc", Archive: q.Get("archive") == "true", After: q.Get("after")}
	if a := q.Get("archive"); a != "" && a != "true" && a != "false" {
		return f, apperr.E(apperr.Invalid, "error.param_enum", "param", "archive", "values", "true, false")
	}
	if d := q.Get("dir"); d != "" && d != "asc" && d != "desc" {
		return f, apperr.E(apperr.Invalid, "error.param_enum", "param", "dir", "values", "asc, desc")
	}
	for _, p := range []struct {
		name string
		to   **time.Time
		add  int
	}{{"from", &f.FiledFrom, 0}, {"to", &f.FiledTo, 1}} {
		if v := q.Get(p.name); v != "" {
			d, err := calendar.ParseDate(v)
			if err != nil {
				return f, err
			}
			t := d.AddDays(p.add).Start(calendar.China)
			*p.to = &t
		}
	}
	return f, f.check()
}

// isCaseNo says whether a search looks like (the beginning of) a case
// number: ASCII letters, digits and dashes only.
func isCaseNo(q string) bool {
	for _, r := range q {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-') {
			return false
		}
	}
	return q != ""
}

// dueSoonHorizon is the end of the DueSoonDays-th working day from now, in
// the calendar of u's first scoped region (the national one without).
func (s *Service) dueSoonHorizon(u *identity.User, now time.Time) time.Time {
	region := ""
	for _, g := range u.Grants {
		if g.RegionCode != "" {
			region = g.RegionCode
			break
		}
	}
	cal := s.calendars.For(region)
	end, err := cal.AddWorkdays(calendar.DateIn(now), DueSoonDays)
	if err != nil {
		end = calendar.DateIn(now).AddDays(DueSoonDays)
	}
	return end.AddDays(1).Start(calendar.China)
}

// sortKey is one key of a list's order: an expression of the case row, its
// direction, whether it can be NULL (NULLs then sort last either way), and
// its value in a row already read (nil for NULL) for the next page's token.
type sortKey struct {
	expr     string
	desc     bool
	nullable bool
	value    func(c *Case) any // a time.Time, string or int, or nil
}

// timeKey reads a nullable timestamp as a sort key value.
func timeKey(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC()
}

// dueKey is COALESCE(step_due_at, pre_review_due_at, verify_due_at, due_at).
func dueKey(c *Case) any {
	for _, t := range []*time.Time{c.StepDueAt, c.PreReviewDueAt, c.VerifyDueAt, c.DueAt} {
		if t != nil {
			return t.UTC()
		}
	}
	return nil
}

// runningDueKey is runningDue of a case read.
func runningDueKey(c *Case) any {
	if c.Clock == workflow.ClockPreReview || c.Clock == workflow.ClockDecision {
		for _, t := range []*time.Time{c.StepDueAt, c.PreReviewDueAt, c.DueAt} {
			if t != nil {
				return t.UTC()
			}
		}
		return nil
	}
	return timeKey(c.VerifyDueAt)
}

// keys is the order of f as sort keys, the case id last so that every row
// has its own place (a keyset page starts strictly after the last row's).
// Each order runs one way throughout, so that a page's start is one row
// comparison an index can seek to. staff says the list reads only
// submitted cases (submitted_at is then never NULL).
func (f Filter) keys(staff bool) []sortKey {
	desc := f.Desc
	var ks []sortKey
	switch {
	case f.Sort == "filed":
		ks = []sortKey{{expr: "c.submitted_at", nullable: !staff, value: func(c *Case) any { return timeKey(c.SubmittedAt) }}}
	case f.Sort == "due":
		ks = []sortKey{{expr: "COALESCE(c.step_due_at, c.pre_review_due_at, c.verify_due_at, c.due_at)", nullable: true, value: dueKey}}
	case f.Sort == "state":
		ks = []sortKey{{expr: "c.status", value: func(c *Case) any { return c.Status }}, {expr: "c.state", value: func(c *Case) any { return c.State }}}
	case f.Sort == "item":
		ks = []sortKey{{expr: "c.item_name", value: func(c *Case) any { return c.ItemName }}, {expr: "c.impl_code", value: func(c *Case) any { return c.ItemCode }}}
	case f.ChangedSince != nil:
		desc = true // the newest change first
		ks = []sortKey{{expr: "c.updated_at", value: func(c *Case) any { return c.UpdatedAt.UTC() }}}
	case f.Inbox || f.Tab == TabTodo || f.Tab == TabUrged:
		// Urged cases (督办) wait for an answer: they lead the inbox; then
		// the nearest deadline, none last.
		desc = false
		ks = []sortKey{{expr: "(CASE WHEN c.urged_at IS NULL THEN 1 ELSE 0 END)", value: func(c *Case) any {
			if c.UrgedAt == nil {
				return 1
			}
			return 0
		}}, {expr: "COALESCE(c.step_due_at, c.pre_review_due_at, c.verify_due_at, c.due_at)", nullable: true, value: dueKey}}
	case f.DueBefore != nil || f.Tab == TabDueSoon || f.Tab == TabOverdue:
		// Most urgent first; these views keep only cases whose running
		// deadline is set (compared with an instant), so it is never NULL.
		desc = false
		ks = []sortKey{{expr: runningDue, value: runningDueKey}}
	default:
		desc = true // the newest change first
		ks = []sortKey{{expr: "c.updated_at", value: func(c *Case) any { return c.UpdatedAt.UTC() }}}
	}
	ks = append(ks, sortKey{expr: "c.id", value: func(c *Case) any { return c.ID }})
	for i := range ks {
		ks[i].desc = desc
	}
	return ks
}

// orderBy is the ORDER BY of keys.
func orderBy(keys []sortKey) string {
	var parts []string
	for _, k := range keys {
		if k.nullable {
			parts = append(parts, "CASE WHEN "+k.expr+" IS NULL THEN 1 ELSE 0 END")
		}
		dir := " ASC"
		if k.desc {
			dir = " DESC"
		}
		parts = append(parts, k.expr+dir)
	}
	return " ORDER BY " + strings.Join(parts, ", ")
}

// after is the condition of the rows that come after the row whose key
// values are vals (nil for NULL) in keys' order. Without nullable keys it
// is one row comparison, which both databases seek to on an index of the
// same columns; otherwise the lexicographic comparison spelled out, NULLs
// last.
func after(keys []sortKey, vals []any, arg func(any) string) string {
	op := " > "
	if keys[0].desc {
		op = " < "
	}
	if !slices.ContainsFunc(keys, func(k sortKey) bool { return k.nullable }) {
		var es, as []string
		for i, k := range keys {
			es = append(es, k.expr)
			as = append(as, arg(vals[i]))
		}
		return "(" + strings.Join(es, ", ") + ")" + op + "(" + strings.Join(as, ", ") + ")"
	}
	var ors, eqs []string
	for i, k := range keys {
		v := vals[i]
		if v == nil {
			// Nothing comes after NULL but another NULL (NULLs last).
			if i < len(keys)-1 {
				eqs = append(eqs, k.expr+" IS NULL")
			}
			continue
		}
		strict := k.expr + op + arg(v)
		if k.nullable {
			strict = "(" + strict + " OR " + k.expr + " IS NULL)"
		}
		ors = append(ors, "("+strings.Join(append(slices.Clone(eqs), strict), " AND ")+")")
		if i < len(keys)-1 {
			eqs = append(eqs, k.expr+" = "+arg(v))
		}
	}
	if len(ors) == 0 {
		return "1 = 0"
	}
	return "(" + strings.Join(ors, " OR ") + ")"
}

// encodeKey writes a row's key values as a token carries them: "-" for
// NULL, else a kind letter and the value (times to the nanosecond, as
// SQLite stores them).
func encodeKey(keys []sortKey, c *Case) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		switch v := k.value(c).(type) {
		case nil:
			out[i] = "-"
		case time.Time:
			out[i] = "t" + v.UTC().Format(time.RFC3339Nano)
		case int:
			out[i] = "i" + strconv.Itoa(v)
		case string:
			out[i] = "s" + v
		}
	}
	return out
}

// decodeKey reads the key values encodeKey wrote, refusing what it never
// writes.
func decodeKey(keys []sortKey, in []string) ([]any, error) {
	bad := apperr.E(apperr.Invalid, "paging.token_malformed")
	if len(in) != len(keys) {
		return nil, bad
	}
	out := make([]any, len(in))
	for i, v := range in {
		if v == "-" && keys[i].nullable {
			continue
		}
		if v == "" {
			return nil, bad
		}
		switch v[0] {
		case 't':
			t, err := time.Parse(time.RFC3339Nano, v[1:])
			if err != nil {
				return nil, bad
			}
			out[i] = t.UTC()
		case 'i':
			n, err := strconv.Atoi(v[1:])
			if err != nil {
				return nil, bad
			}
			out[i] = n
		case 's':
			out[i] = v[1:]
		default:
			return nil, bad
		}
	}
	return out, nil
}

// ListName is the list a case list's page tokens name.
const ListName = "cases"

// fingerprint is what a page token of f for u is bound to: the reader and
// their scope, and every filter and the order (not the page size).
func (s *Service) fingerprint(u *identity.User, f Filter) string {
	parts := []string{u.ID, string(u.Kind), f.Tab, f.State, f.Status, f.Department, f.Item, f.Applicant, f.Q, f.Sort,
		strconv.FormatBool(f.Desc), strconv.FormatBool(f.Inbox), strconv.FormatBool(f.Archive)}
	for _, g := range u.Grants {
		parts = append(parts, string(g.Role)+"/"+g.RegionCode+"/"+g.DepartmentID)
	}
	for _, er := range u.Enterprises {
		parts = append(parts, er.OrganisationID+"/"+strings.Join(er.Items, ","))
	}
	for _, t := range []*time.Time{f.DueBefore, f.FiledFrom, f.FiledTo, f.ChangedSince} {
		if t != nil {
			parts = append(parts, t.UTC().Format(time.RFC3339Nano))
		} else {
			parts = append(parts, "")
		}
	}
	return paging.Fingerprint(parts...)
}

// Page is one page of a case list.
type Page struct {
	Cases []Case
	// Total counts the list's rows up to paging.CountCap; Capped says
	// there are more (shown "1000+"): an unbounded list is never counted.
	Total  int
	Capped bool
	// Next is the token of the next page (after=), "" on the last.
	Next string
}

// List is ListPage's cases and total, for callers that show one page.
func (s *Service) List(ctx context.Context, u *identity.User, f Filter) ([]Case, int, error) {
	p, err := s.ListPage(ctx, u, f)
	if err != nil {
		return nil, 0, err
	}
	return p.Cases, p.Total, nil
}

// ListPage returns a page of the cases u may see that match f, without
// form values (lists never show personal data beyond the masked
// identifier). Applicants see their own cases, agents those they filed,
// staff those in their scopes — archived cases only when searched by
// number or with the archive filter. The page starts after f.After (a
// token of an earlier page of the same list, reader and filters) and is
// found by its sort key on an index, never by skipping rows; the total is
// counted up to paging.CountCap only.
func (s *Service) ListPage(ctx context.Context, u *identity.User, f Filter) (*Page, error) {
	if u == nil {
		return nil, apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	if err := f.check(); err != nil {
		return nil, err
	}
	if f.PerPage <= 0 {
		f.PerPage = 20
	}
	if f.PerPage > paging.MaxSize {
		return nil, apperr.E(apperr.Invalid, "paging.size_too_large", "max", paging.MaxSize)
	}
	now := s.Now()
	staff := staffOnly(u)
	keys := f.keys(staff)
	fp := s.fingerprint(u, f)
	raw, err := paging.Decode(f.After, ListName, fp, now)
	if err != nil {
		return nil, err
	}
	var vals []any
	if raw != nil {
		if vals, err = decodeKey(keys, raw); err != nil {
			return nil, err
		}
	}
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	cond := s.where(u, f, arg)
	if cond == "" {
		return &Page{Cases: []Case{}}, nil
	}
	countArgs := len(args)
	page := &Page{}
	var out []Case
	err = s.db.View(ctx, func(tx *db.Tx) error {
		var n int
		if err := tx.QueryRow(fmt.Sprintf(`SELECT COUNT(*) FROM (SELECT 1 FROM cases c%s LIMIT %d) capped`, cond, paging.CountCap+1),
			args[:countArgs]...).Scan(&n); err != nil {
			return err
		}
		page.Total, page.Capped = min(n, paging.CountCap), n > paging.CountCap
		q := caseSelect + cond
		if vals != nil {
			q += " AND " + after(keys, vals, arg)
		}
		rows, err := tx.Query(q+orderBy(keys)+fmt.Sprintf(" LIMIT %d", f.PerPage+1), args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			c, err := scanCase(rows, nil)
			if err != nil {
				return err
			}
			c.Values, c.Answers = nil, nil
			out = append(out, *c)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, apperr.Internalf("cases: list", err)
	}
	if len(out) > f.PerPage {
		out = out[:f.PerPage]
		page.Next = paging.Encode(ListName, fp, encodeKey(keys, &out[len(out)-1]), now)
	}
	for i := range out {
		s.daysLeft(&out[i])
	}
	if out == nil {
		out = []Case{}
	}
	page.Cases = out
	return page, nil
}

// staffOnly says whether u reads cases only as staff (no cases of their
// own or filed as an agent): their lists then hold submitted cases only.
func staffOnly(u *identity.User) bool {
	return u.Kind == identity.KindStaff && !u.Has(identity.RoleAgent)
}

// Counts returns, for each of Tabs, how many cases u sees there with f's
// other filters, each counted up to CountCap only (a count of CountCap
// reads "99+").
func (s *Service) Counts(ctx context.Context, u *identity.User, f Filter) (map[string]int, error) {
	if u == nil {
		return nil, apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	out := map[string]int{}
	f.Inbox, f.Sort = false, ""
	if err := f.check(); err != nil {
		return nil, err
	}
	err := s.db.View(ctx, func(tx *db.Tx) error {
		for _, tab := range Tabs {
			var args []any
			arg := func(v any) string {
				args = append(args, v)
				return fmt.Sprintf("$%d", len(args))
			}
			g := f
			g.Tab = tab
			cond := s.where(u, g, arg)
			if cond == "" {
				out[tab] = 0
				continue
			}
			var n int
			if err := tx.QueryRow(fmt.Sprintf(`SELECT COUNT(*) FROM (SELECT 1 FROM cases c%s LIMIT %d) capped`, cond, CountCap), args...).Scan(&n); err != nil {
				return err
			}
			out[tab] = n
		}
		return nil
	})
	if err != nil {
		return nil, apperr.Internalf("cases: counts", err)
	}
	return out, nil
}

// scope is the SQL condition for the cases u may see (or, for the inbox,
// must act on): own cases for applicants and agents; for each staff grant,
// its region (clerks, supervisors) or its department in its region.
func (s *Service) scope(u *identity.User, inbox bool, arg func(any) string) string {
	var ors []string
	if u.Kind != identity.KindStaff {
		// A bundle's sub-cases show inside the bundle, not beside it.
		own := "c.applicant_id = " + arg(u.ID) + " AND c.parent_id IS NULL"
		if inbox {
			own += " AND c.state IN ('draft', 'correction')"
		}
		ors = append(ors, own)
		// The enterprises the person holds or acts for, within each scope.
		for _, er := range u.Enterprises {
			cond := "c.applicant_id = " + arg(er.OrganisationID) + " AND c.parent_id IS NULL"
			if !er.LegalRep && len(er.Items) > 0 {
				var ph []string
				for _, it := range er.Items {
					ph = append(ph, arg(it))
				}
				cond += " AND c.impl_code IN (" + strings.Join(ph, ", ") + ")"
			}
			if inbox {
				cond += " AND c.state IN ('draft', 'correction')"
			}
			ors = append(ors, cond)
		}
	}
	if u.Has(identity.RoleAgent) {
		ors = append(ors, "c.agent_id = "+arg(u.ID)+" AND c.parent_id IS NULL")
	}
	var depts []string
	for _, g := range u.Grants {
		if !g.Role.Staff() || g.Role == identity.RoleAdmin {
			continue
		}
		// Staff never see an unsubmitted draft (see rolesFor).
		parts := []string{"c.submitted_at IS NOT NULL"}
		if g.RegionCode != "" {
			parts = append(parts, "c.region_code LIKE "+arg(codes.DivisionPrefix(g.RegionCode)+"%"))
		}
		if g.Role != identity.RoleClerk && g.Role != identity.RoleSupervisor && g.DepartmentID != "" {
			parts = append(parts, "c.department_id = "+arg(g.DepartmentID))
			depts = append(depts, g.DepartmentID)
		}
		if len(parts) == 1 {
			continue // a grant with neither region nor department scopes nothing
		}
		if inbox {
			// 事后核查 of a 告知承诺 decision waits in the department's back
			// office until it is recorded (verify_due_at is then cleared).
			verify := slices.Contains(VerifyRoles, string(g.Role)) && g.DepartmentID != ""
			states := s.holderStates(string(g.Role))
			if len(states) == 0 && !verify {
				continue
			}
			var ors2 []string
			if len(states) > 0 {
				var ph []string
				for _, st := range states {
					ph = append(ph, arg(st))
				}
				ors2 = append(ors2, "c.state IN ("+strings.Join(ph, ", ")+") AND (c.assignee_id IS NULL OR c.assignee_id = "+arg(u.ID)+")")
			}
			if verify {
				ors2 = append(ors2, "c.verify_due_at IS NOT NULL")
			}
			// Each alternative whole (the grant's scope repeated), so that
			// every one of the condition's alternatives has its own index
			// (the inbox's state, the 事后核查 deadline): a nested OR would
			// leave the planner only a scan of every case in scope.
			for _, alt := range ors2 {
				ors = append(ors, strings.Join(parts, " AND ")+" AND "+alt)
			}
			continue
		}
		ors = append(ors, strings.Join(parts, " AND "))
	}
	// Departments asked to countersign see the case while their opinion is open.
	for _, d := range slices.Compact(slices.Sorted(slices.Values(depts))) {
		ors = append(ors, `c.id IN (SELECT t.case_id FROM case_countersign_tasks t JOIN case_countersigns x ON x.id = t.countersign_id
			WHERE x.done_at IS NULL AND t.opinion = ''`+inTurn+` AND t.department_id = `+arg(d)+`)`)
	}
	return strings.Join(ors, " OR ")
}

// holderStates lists the states, across processes, whose inbox is role's.
func (s *Service) holderStates(role string) []string {
	var out []string
	for _, k := range s.flows.Keys() {
		d, _ := s.flows.Latest(k)
		for _, st := range d.States {
			if slices.Contains(st.Holders, role) && !slices.Contains(out, st.Key) && st.Key != "draft" {
				out = append(out, st.Key)
			}
		}
	}
	return out
}

// Timeline returns every event of a case in order, for its readers.
func (s *Service) Timeline(ctx context.Context, u *identity.User, ref string) ([]Event, error) {
	if u == nil {
		return nil, apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	var out []Event
	err := s.db.View(ctx, func(tx *db.Tx) error {
		c, err := s.load(tx, ref)
		if err != nil {
			return err
		}
		signer, err := countersigner(tx, u, c)
		if err != nil {
			return err
		}
		if err := canRead(u, c, rolesFor(u, c), signer); err != nil {
			return err
		}
		out, err = timeline(tx, c.ID)
		return err
	})
	return out, apperr.Internalf("cases: timeline", err)
}

func timeline(tx *db.Tx, caseID string) ([]Event, error) {
	rows, err := tx.Query(`SELECT e.seq, e.action, e.from_state, e.to_state, e.actor_name, e.actor_role, e.reason, e.data, e.step_due_at, e.at,
		COALESCE(e.audit_id, ''), r.leaf_index
		FROM case_events e LEFT JOIN audit_records r ON r.id = e.audit_id WHERE e.case_id = $1 ORDER BY e.seq`, caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Event{}
	for rows.Next() {
		var e Event
		var data string
		var due nullTime
		if err := rows.Scan(&e.Seq, &e.Action, &e.FromState, &e.ToState, &e.Actor, &e.ActorRole, &e.Reason, &data, &due, &e.At,
			&e.AuditID, &e.LeafIndex); err != nil {
			return nil, err
		}
		e.StepDueAt = due.ptr()
		if err := json.Unmarshal([]byte(data), &e.Data); err != nil {
			return nil, err
		}
		if len(e.Data) == 0 {
			e.Data = nil
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func casePauses(tx *db.Tx, c *Case) error {
	rows, err := tx.Query(`SELECT id, kind, reason, expected, started_at, ended_at, workdays FROM case_pauses WHERE case_id = $1 ORDER BY started_at, id`, c.ID)
	if err != nil {
		return err
	}
	for rows.Next() {
		var p Pause
		var end nullTime
		if err := rows.Scan(&p.ID, &p.Kind, &p.Reason, &p.Expected, &p.StartedAt, &end, &p.Workdays); err != nil {
			rows.Close()
			return err
		}
		p.EndedAt = end.ptr()
		c.Pauses = append(c.Pauses, p)
	}
	rows.Close()
	return rows.Err()
}

func caseExtensions(tx *db.Tx, c *Case) error {
	rows, err := tx.Query(`SELECT half_days, reason, approver, at FROM case_extensions WHERE case_id = $1 ORDER BY at, id`, c.ID)
	if err != nil {
		return err
	}
	for rows.Next() {
		var e Extension
		var half int
		if err := rows.Scan(&half, &e.Reason, &e.Approver, &e.At); err != nil {
			rows.Close()
			return err
		}
		e.Days = limitString(half)
		c.Extensions = append(c.Extensions, e)
	}
	rows.Close()
	return rows.Err()
}
