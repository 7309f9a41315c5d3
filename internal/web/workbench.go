package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/paging"
	"github.com/tongban/tongban/internal/workflow"
)

// workbenchStatuses are the statuses the workbench's status filter offers.
var workbenchStatuses = []string{"pre_review", "correction", "handling", "concluded", "delivered", "refused", "withdrawn", "terminated"}

// workbenchParams are the URL parameters of the workbench's list: its tab,
// filters, search, sort, archive filter and page token (a GET form; every
// link keeps them).
var workbenchParams = []string{"tab", "item", "status", "applicant", "from", "to", "q", "sort", "dir", "archive", "after"}

// workbenchTab is one tab of the workbench: its label, capped count and link.
type workbenchTab struct {
	Key, Href, Count string
	Current          bool
}

// workbenchColumn is a sortable column head: its link and current order.
type workbenchColumn struct {
	Key, Label, Href, Sort string // Sort: ascending, descending or none (aria-sort)
}

// workbench is the staff home: the visitor's posts, and their cases in
// tabs (待办 first, which htmx refreshes) with filters, search, sortable
// columns and pages — a GET form whose every link keeps the rest.
func (s *Server) workbench(w http.ResponseWriter, r *http.Request) error {
	if t := r.URL.Query().Get("tab"); t == "" || t == cases.TabTodo {
		// Looking at 待办 is seeing the new work in it.
		if err := s.Cases.SeenWork(r.Context(), visitorFrom(r).User); err != nil {
			return err
		}
	}
	v := s.view(r, "workbench.title")
	if err := s.workbenchList(r, v); err != nil {
		return err
	}
	f := v.Data["Filter"].(cases.Filter)
	counts, err := s.Cases.Counts(r.Context(), v.User, f)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	var tabs []workbenchTab
	for _, t := range cases.Tabs {
		n := strconv.Itoa(counts[t])
		if counts[t] >= cases.CountCap {
			n = strconv.Itoa(cases.CountCap-1) + "+"
		}
		tabs = append(tabs, workbenchTab{Key: t, Count: n, Current: t == f.Tab, Href: workbenchURL(q, "tab", t, "after", "", "sort", sortIn(q, t))})
	}
	v.Data["Tabs"] = tabs
	items, err := s.Catalog.Search(r.Context(), catalog.Query{PerPage: 100})
	if err != nil {
		return err
	}
	v.Data["Items"] = items.Items
	v.Data["Statuses"] = workbenchStatuses
	v.Data["Q"] = workbenchForm(q)
	v.Data["Reset"] = workbenchURL(url.Values{}, "tab", f.Tab)
	if done := q.Get("done"); done != "" {
		v.Notice = v.T("case.done", "action", workflow.Label("action", done))
	}
	s.render(w, r, http.StatusOK, "workbench", v)
	return nil
}

// inbox is the workbench's list alone, as htmx refreshes it.
func (s *Server) inbox(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "workbench.title")
	if err := s.workbenchList(r, v); err != nil {
		return err
	}
	v.Data["Live"] = true
	s.fragment(w, r, "workbench", "inbox", v)
	return nil
}

// workbenchList fills the page's list: the cases of the tab (待办 by
// default) as filtered, sorted and paged, with the column and pager links.
func (s *Server) workbenchList(r *http.Request, v *View) error {
	q := r.URL.Query()
	f, err := cases.FilterOf(q)
	if err != nil {
		return err
	}
	if f.Tab == "" {
		f.Tab = cases.TabTodo
	}
	// Pages follow by keyset (after=); an old link's page= is ignored and
	// shows the first page.
	f.PerPage = 20
	p, err := s.Cases.ListPage(r.Context(), v.User, f)
	if err != nil {
		return err
	}
	v.Data["Filter"] = f
	v.Data["Cases"], v.Data["Total"] = p.Cases, p.Total
	v.Data["More"] = p.Capped
	v.Data["Cap"] = paging.Label(paging.CountCap, paging.CountCap)
	v.Data["Inbox"] = f.Tab == cases.TabTodo // concluded cases here wait for 送达, decided ones on a promise for 事后核查
	v.Data["Refresh"] = "/workbench/inbox" + strings.TrimPrefix(workbenchURL(q), "/workbench")
	if f.After != "" {
		v.Data["First"] = workbenchURL(q, "after", "")
	}
	if p.Next != "" {
		v.Data["Next"] = workbenchURL(q, "after", p.Next)
	}
	var cols []workbenchColumn
	for _, c := range []struct{ key, label string }{{"item", "case.item"}, {"state", "case.status"}, {"due", "case.deadline"}, {"filed", "case.filed"}} {
		col := workbenchColumn{Key: c.key, Label: c.label, Sort: "none"}
		dir := "asc"
		if f.Sort == c.key {
			col.Sort = "ascending"
			if f.Desc {
				col.Sort = "descending"
			} else {
				dir = "desc"
			}
		}
		g := f
		g.Sort = c.key
		if g.Sort == "filed" || g.Bounded() {
			// Sorting the whole history by anything but filing time would
			// sort every case in scope: those columns are not links there.
			col.Href = workbenchURL(q, "sort", c.key, "dir", dir, "after", "")
		}
		cols = append(cols, col)
	}
	v.Data["Columns"] = cols
	return nil
}

// workbenchURL is /workbench with q's list parameters, changed by pairs of
// name and value ("" drops the parameter).
func workbenchURL(q url.Values, pairs ...string) string {
	out := url.Values{}
	for _, k := range workbenchParams {
		if x := q.Get(k); x != "" {
			out.Set(k, x)
		}
	}
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] == "" {
			out.Del(pairs[i])
		} else {
			out.Set(pairs[i], pairs[i+1])
		}
	}
	if len(out) == 0 {
		return "/workbench"
	}
	return "/workbench?" + out.Encode()
}

// sortIn is q's sort as kept by a link to tab: dropped where that view may
// not be sorted so (cases.Filter.Bounded).
func sortIn(q url.Values, tab string) string {
	f := cases.Filter{Tab: tab, Sort: q.Get("sort"), Archive: q.Get("archive") == "true"}
	if f.Sort == "filed" || f.Bounded() {
		return f.Sort
	}
	return ""
}

// workbenchForm is the filter form's values as typed.
func workbenchForm(q url.Values) map[string]string {
	out := map[string]string{}
	for _, k := range workbenchParams {
		out[k] = q.Get(k)
	}
	return out
}
