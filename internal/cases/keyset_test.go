package cases_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/paging"
	"github.com/tongban/tongban/internal/synth"
)

// walk reads every page of a list of u's, calling between before each page
// after the first; it returns the ids in the order listed.
func walk(t *testing.T, f *fixture, u *identity.User, flt cases.Filter, between func()) []string {
	t.Helper()
	var ids []string
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("pages never end")
		}
		p, err := f.svc.ListPage(f.ctx, u, flt)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range p.Cases {
			ids = append(ids, c.ID)
		}
		if p.Next == "" {
			return ids
		}
		if len(p.Cases) != flt.PerPage {
			t.Fatalf("a page of %d before the last", len(p.Cases))
		}
		flt.After = p.Next
		if between != nil {
			between()
		}
	}
}

// copyCase inserts a copy of one of the cases (picked by *seed), under a new
// id next to its own and a new number: a new case with the same sort keys.
func (f *fixture) copyCase(t *testing.T, seed *uint64) {
	t.Helper()
	*seed++
	err := f.db.Update(f.ctx, func(tx *db.Tx) error {
		rows, err := tx.Query(`SELECT * FROM cases LIMIT 0`)
		if err != nil {
			return err
		}
		cols, _ := rows.Columns()
		rows.Close()
		var src string
		if err := tx.QueryRow(`SELECT id FROM cases WHERE case_no IS NOT NULL ORDER BY id LIMIT 1 OFFSET $1`, int(*seed*37%200)).Scan(&src); err != nil {
			return err
		}
		var sel []string
		for _, c := range cols {
			switch c {
			case "id":
				sel = append(sel, "$1")
			case "case_no":
				sel = append(sel, "$2")
			case "idempotency_key":
				sel = append(sel, "NULL")
			default:
				sel = append(sel, c)
			}
		}
		_, err = tx.Exec(`INSERT INTO cases (`+strings.Join(cols, ", ")+`) SELECT `+strings.Join(sel, ", ")+` FROM cases WHERE id = $3`,
			src+fmt.Sprintf("-%d", *seed), fmt.Sprintf("COPY%08d", *seed), src)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Keyset pages (issue 20): every list, in each of its orders, read a few
// rows at a time while new cases are filed between pages, shows every case
// it held at the start exactly once and in the order one read of large
// pages gives; no case twice.
func TestCaseListKeysetPages(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		now := at("2026-05-19 14:00")
		f.SetNow(now)
		deps := synth.Deps{DB: f.db, Catalog: f.cat, Identity: f.ids, Calendars: calendar.National(), Cases: f.svc}
		for _, o := range []synth.Options{{Cases: 160, Months: 2, Seed: 3}, {Cases: 60, Months: 1, Seed: 4, OpenOnly: true}} {
			o.Now, o.Applicants = now, 4
			if _, err := synth.Run(f.ctx, deps, o); err != nil {
				t.Fatal(err)
			}
		}
		sup, clerk, handler := f.users["supervisor"], f.users["clerk"], f.users["handler"]
		since := now.Add(-30 * 24 * time.Hour)
		seed := uint64(100)
		for _, tt := range []struct {
			name string
			who  *identity.User
			f    cases.Filter
		}{
			{"every case, newest change first", sup, cases.Filter{}},
			{"filed, ascending", sup, cases.Filter{Sort: "filed"}},
			{"filed, descending", clerk, cases.Filter{Sort: "filed", Desc: true}},
			{"在办 by due (no deadline last)", sup, cases.Filter{Tab: cases.TabDoing, Sort: "due"}},
			{"在办 by due, descending", sup, cases.Filter{Tab: cases.TabDoing, Sort: "due", Desc: true}},
			{"在办 by state, descending", sup, cases.Filter{Tab: cases.TabDoing, Sort: "state", Desc: true}},
			{"在办 by item", sup, cases.Filter{Tab: cases.TabDoing, Sort: "item"}},
			{"clerk's 待办", clerk, cases.Filter{Tab: cases.TabTodo}},
			{"handler's 待办", handler, cases.Filter{Tab: cases.TabTodo}},
			{"即将超期", sup, cases.Filter{Tab: cases.TabDueSoon}},
			{"已超期", sup, cases.Filter{Tab: cases.TabOverdue}},
			{"changed since", sup, cases.Filter{Tab: cases.TabDoing, ChangedSince: &since}},
			{"an applicant's own", f.users["zhangsan"], cases.Filter{}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				ref := tt.f
				ref.PerPage = 100
				want := walk(t, f, tt.who, ref, nil)
				small := tt.f
				small.PerPage = 3
				// New cases between pages: copies of cases anywhere in the
				// list, with the same sort keys (the id decides between them).
				got := walk(t, f, tt.who, small, func() { f.copyCase(t, &seed) })
				held := map[string]bool{}
				for _, id := range want {
					held[id] = true
				}
				seen := map[string]bool{}
				var kept []string
				for _, id := range got {
					if seen[id] {
						t.Fatalf("%s listed twice", id)
					}
					seen[id] = true
					if held[id] {
						kept = append(kept, id)
					}
				}
				if !slices.Equal(kept, want) {
					t.Errorf("pages of 3 listed %d of the %d cases (or out of order)", len(kept), len(want))
				}
				if len(want) < 4 && tt.who == sup {
					t.Errorf("only %d cases: the test proves little", len(want))
				}
			})
		}
		// The default order is the newest change first, filed order by filing.
		p, err := f.svc.ListPage(f.ctx, sup, cases.Filter{PerPage: 100})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.IsSortedFunc(p.Cases, func(a, b cases.Case) int { return b.UpdatedAt.Compare(a.UpdatedAt) }) {
			t.Error("not the newest change first")
		}
		if p.Total != paging.CountCap && !p.Capped && p.Total < 200 {
			t.Errorf("total %d capped %v", p.Total, p.Capped)
		}
	})
}

// A page token is refused (400, with its message) when damaged, issued for
// another list or other filters or another reader, or expired.
func TestCaseListTokens(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		f.setNow("2026-03-02 09:00")
		for range 3 {
			f.submitSoleTrader()
		}
		clerk := f.users["clerk"]
		p, err := f.svc.ListPage(f.ctx, clerk, cases.Filter{Sort: "filed", PerPage: 1})
		if err != nil || p.Next == "" || p.Total != 3 || p.Capped {
			t.Fatalf("first page: %+v %v", p, err)
		}
		tok := p.Next
		for _, tt := range []struct {
			name string
			who  *identity.User
			f    cases.Filter
			key  string
		}{
			{"malformed", clerk, cases.Filter{Sort: "filed", After: "not-a-token"}, "paging.token_malformed"},
			{"damaged", clerk, cases.Filter{Sort: "filed", After: tok[:len(tok)-2] + "AA"}, "paging.token_malformed"},
			{"another list", clerk, cases.Filter{Sort: "filed", After: paging.Encode("licences", "x", []string{"s1"}, at("2026-03-02 09:00"))}, "paging.token_other_list"},
			{"another filter", clerk, cases.Filter{Sort: "filed", Desc: true, After: tok}, "paging.token_other_list"},
			{"another tab", clerk, cases.Filter{Tab: cases.TabDoing, Sort: "filed", After: tok}, "paging.token_other_list"},
			{"another reader", f.users["supervisor"], cases.Filter{Sort: "filed", After: tok}, "paging.token_other_list"},
		} {
			if _, err := f.svc.ListPage(f.ctx, tt.who, tt.f); !apperr.Is(err, apperr.Invalid, tt.key) {
				t.Errorf("%s: %v, want %s", tt.name, err, tt.key)
			}
		}
		// The page size is not part of the filter: the token goes on at 2.
		if p, err := f.svc.ListPage(f.ctx, clerk, cases.Filter{Sort: "filed", After: tok, PerPage: 2}); err != nil || len(p.Cases) != 2 || p.Next != "" {
			t.Errorf("second page: %+v %v", p, err)
		}
		f.setNow("2026-03-03 09:01")
		if _, err := f.svc.ListPage(f.ctx, clerk, cases.Filter{Sort: "filed", After: tok}); !apperr.Is(err, apperr.Invalid, "paging.token_expired") {
			t.Errorf("a day later: %v", err)
		}
	})
}

// Finished cases leave staff's everyday lists ArchiveAfter after their
// last change; they are still found by number and with the archive
// filter, the applicant still sees them, and any change brings one back.
func TestCaseArchive(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		f.setNow("2026-03-02 09:00")
		done := f.submitSoleTrader()
		done = f.act("clerk", done, cases.ActionRequest{Action: "refuse", Reason: "不属于本机关职责范围"})
		open := f.submitSoleTrader()
		if done.Status != "refused" {
			t.Fatalf("status %s", done.Status)
		}
		sup := f.users["supervisor"]
		listed := func(u *identity.User, flt cases.Filter) []string {
			t.Helper()
			list, _, err := f.svc.List(f.ctx, u, flt)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, c := range list {
				out = append(out, c.No)
			}
			return out
		}
		if n, err := f.svc.Archive(f.ctx); err != nil || n != 0 {
			t.Fatalf("archived %d at once: %v", n, err)
		}
		f.SetNow(at("2026-03-02 09:00").Add(cases.ArchiveAfter + time.Hour))
		if n, err := f.svc.Archive(f.ctx); err != nil || n != 1 {
			t.Fatalf("archived %d: %v", n, err)
		}
		if got := listed(sup, cases.Filter{}); !slices.Equal(got, []string{open.No}) {
			t.Errorf("everyday list %v", got)
		}
		if got := listed(sup, cases.Filter{Archive: true}); !slices.Equal(got, []string{done.No}) {
			t.Errorf("archive %v", got)
		}
		if got := listed(sup, cases.Filter{Q: done.No}); !slices.Equal(got, []string{done.No}) {
			t.Errorf("by number %v", got)
		}
		if c, err := f.svc.Get(f.ctx, sup, done.No); err != nil || !c.Archived {
			t.Errorf("read by number: %v %v", c, err)
		}
		if got := listed(f.users["zhangsan"], cases.Filter{}); len(got) != 2 {
			t.Errorf("the applicant's own %v", got)
		}
	})
}
