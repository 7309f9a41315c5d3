package cases_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/synth"
)

// The workbench's views (issue 17): each tab, filter, search and sort
// selects and orders exactly the cases it names, inside the reader's scope,
// and pages are stable.
func TestWorkbenchTabsFiltersSorts(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		clerk := f.users["clerk"]
		// c1: 张三's, filed online on Monday, accepted, then urged by supervision.
		f.setNow("2026-03-02 09:00")
		c1 := f.submitSoleTrader()
		c1 = f.act("clerk", c1, cases.ActionRequest{Action: "accept"})
		c1 = f.act("supervisor", c1, cases.ActionRequest{Action: "urge", Comment: "请加快办理"})
		// c2: 张三's, filed online on Tuesday, waiting for pre-review.
		f.setNow("2026-03-03 10:00")
		c2 := f.submitSoleTrader()
		// c3: a walk-in, 李四, filed and accepted at the window on Wednesday.
		f.setNow("2026-03-04 10:00")
		vals := soleTraderValues()
		delete(vals, "applicant_name")
		delete(vals, "applicant_id")
		c3, _, err := f.svc.Create(f.ctx, clerk, cases.NewCase{ItemCode: f.codes[soleTrader], Values: vals,
			Answers: map[string]string{"premises": "rented"}, Submit: true, Accept: true, Applicant: "11010519491231002X", ApplicantName: "李四"})
		if err != nil {
			t.Fatal(err)
		}
		f.setNow("2026-03-04 12:00") // c1 (one working day) is late; c3 is due tomorrow
		police := f.staff("police", identity.RoleHandler, "重庆市公安局涪陵区分局")

		day := func(s string) *time.Time { x := at(s); return &x }
		nos := func(list []cases.Case) string {
			var out []string
			for _, c := range list {
				for i, x := range []*cases.Case{c1, c2, c3} {
					if c.No == x.No {
						out = append(out, "c"+string(rune('1'+i)))
					}
				}
			}
			return strings.Join(out, " ")
		}
		for _, tt := range []struct {
			name string
			who  *identity.User
			f    cases.Filter
			want string // the cases listed, in order
		}{
			{"clerk 待办: waiting for pre-review", clerk, cases.Filter{Tab: cases.TabTodo}, "c2"},
			{"handler 待办: accepted, urged first", f.users["handler"], cases.Filter{Tab: cases.TabTodo}, "c1 c3"},
			{"clerk 在办, filed order", clerk, cases.Filter{Tab: cases.TabDoing, Sort: "filed"}, "c1 c2 c3"},
			{"clerk 在办, filed descending", clerk, cases.Filter{Tab: cases.TabDoing, Sort: "filed", Desc: true}, "c3 c2 c1"},
			{"clerk 已办: what the clerk acted on", clerk, cases.Filter{Tab: cases.TabDone, Sort: "filed"}, "c1 c3"},
			{"handler 已办: nothing yet", f.users["handler"], cases.Filter{Tab: cases.TabDone}, ""},
			{"即将超期", clerk, cases.Filter{Tab: cases.TabDueSoon, Item: f.codes[soleTrader], Status: "handling"}, "c3"},
			{"已超期", clerk, cases.Filter{Tab: cases.TabOverdue}, "c1"},
			{"督办", clerk, cases.Filter{Tab: cases.TabUrged}, "c1"},
			{"another department sees none", police, cases.Filter{Tab: cases.TabDoing}, ""},
			{"another department: no overdue", police, cases.Filter{Tab: cases.TabOverdue}, ""},
			{"applicant's name", clerk, cases.Filter{Tab: cases.TabDoing, Applicant: "李"}, "c3"},
			{"search by name", clerk, cases.Filter{Tab: cases.TabDoing, Q: "张三", Sort: "filed"}, "c1 c2"},
			{"search by case number", clerk, cases.Filter{Tab: cases.TabDoing, Q: c2.No}, "c2"},
			{"search by a number's beginning (lower case)", clerk, cases.Filter{Q: strings.ToLower(c3.No[:len(c3.No)-2])}, "c3"},
			{"a wildcard is no wildcard", clerk, cases.Filter{Q: "%"}, ""},
			{"filed from Tuesday", clerk, cases.Filter{FiledFrom: day("2026-03-03 00:00"), Sort: "filed"}, "c2 c3"},
			{"filed before Tuesday", clerk, cases.Filter{FiledTo: day("2026-03-03 00:00")}, "c1"},
			{"filed on Tuesday", clerk, cases.Filter{FiledFrom: day("2026-03-03 00:00"), FiledTo: day("2026-03-04 00:00")}, "c2"},
			{"status", clerk, cases.Filter{Status: "pre_review"}, "c2"},
			{"another item", clerk, cases.Filter{Item: f.codes[foodLicence]}, ""},
			{"sort by state: 办理中 before 待预审", clerk, cases.Filter{Tab: cases.TabDoing, Sort: "state", Q: "张三"}, "c1 c2"},
			{"sort by due: no deadline last", clerk, cases.Filter{Tab: cases.TabDoing, Sort: "due", Applicant: "张"}, "c1 c2"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				list, total, err := f.svc.List(f.ctx, tt.who, tt.f)
				if err != nil {
					t.Fatal(err)
				}
				if got := nos(list); got != tt.want {
					t.Errorf("listed %q, want %q", got, tt.want)
				}
				if n := len(strings.Fields(tt.want)); tt.f.PerPage == 0 && total != n {
					t.Errorf("total %d, want %d", total, n)
				}
				for _, c := range list {
					if strings.Contains(c.ApplicantMasked, "1949123100") || strings.Contains(c.ApplicantMasked, "1985061200") || c.Values != nil {
						t.Errorf("a list shows personal data: %q %v", c.ApplicantMasked, c.Values)
					}
				}
			})
		}

		// Each tab's count, and the filters narrow the counts as they do the list.
		counts, err := f.svc.Counts(f.ctx, clerk, cases.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int{cases.TabTodo: 1, cases.TabDoing: 3, cases.TabDone: 2, cases.TabDueSoon: counts[cases.TabDueSoon], cases.TabOverdue: 1, cases.TabUrged: 1}
		if counts[cases.TabDueSoon] < 1 || !mapsEqual(counts, want) {
			t.Errorf("counts %v", counts)
		}
		if counts, _ := f.svc.Counts(f.ctx, clerk, cases.Filter{Q: "李四"}); counts[cases.TabDoing] != 1 || counts[cases.TabUrged] != 0 || counts[cases.TabDone] != 1 {
			t.Errorf("counts of 李四's cases %v", counts)
		}
		if counts, _ := f.svc.Counts(f.ctx, police, cases.Filter{}); slices.ContainsFunc(cases.Tabs, func(tab string) bool { return counts[tab] != 0 }) {
			t.Errorf("another department counts %v", counts)
		}

		for _, tt := range []struct {
			name string
			f    cases.Filter
			key  string
		}{
			{"unknown tab", cases.Filter{Tab: "all"}, "case.tab_invalid"},
			{"unknown sort", cases.Filter{Sort: "applicant_id"}, "case.sort_invalid"},
			{"empty date range", cases.Filter{FiledFrom: day("2026-03-04 00:00"), FiledTo: day("2026-03-03 00:00")}, "case.filed_range"},
			{"sort by due over every case", cases.Filter{Sort: "due"}, "case.sort_unbounded"},
			{"sort by state over 已办", cases.Filter{Tab: cases.TabDone, Sort: "state"}, "case.sort_unbounded"},
			{"sort by item over the archive", cases.Filter{Tab: cases.TabDoing, Archive: true, Sort: "item"}, "case.sort_unbounded"},
			{"a page of 101", cases.Filter{PerPage: 101}, "paging.size_too_large"},
		} {
			if _, _, err := f.svc.List(f.ctx, clerk, tt.f); !apperr.Is(err, apperr.Invalid, tt.key) {
				t.Errorf("%s: %v", tt.name, err)
			}
		}
	})
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// On many cases each tab's count stops at CountCap, and every case a tab
// lists (page after page, none twice) belongs there by its status and working days left.
func TestWorkbenchTabsOnManyCases(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		now := at("2026-05-19 14:00")
		f.SetNow(now)
		deps := synth.Deps{DB: f.db, Catalog: f.cat, Identity: f.ids, Calendars: calendar.National(), Cases: f.svc}
		// A mix over two months (some late), then many open cases.
		for _, o := range []synth.Options{{Cases: 400, Months: 2, Seed: 7}, {Cases: 150, Months: 1, Seed: 8, OpenOnly: true}} {
			o.Now, o.Applicants = now, 5
			if _, err := synth.Run(f.ctx, deps, o); err != nil {
				t.Fatal(err)
			}
		}
		sup := f.users["supervisor"] // the region's every case
		counts, err := f.svc.Counts(f.ctx, sup, cases.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		running := map[string]bool{"pre_review": true, "correction": true, "handling": true}
		for _, tab := range []string{cases.TabDoing, cases.TabDueSoon, cases.TabOverdue} {
			seen := map[string]bool{}
			total := -1
			for after := ""; ; {
				p, err := f.svc.ListPage(f.ctx, sup, cases.Filter{Tab: tab, Sort: "due", After: after, PerPage: 100})
				if err != nil {
					t.Fatal(err)
				}
				list, n := p.Cases, p.Total
				total = n
				for _, c := range list {
					if seen[c.ID] {
						t.Errorf("%s: %s listed twice", tab, c.No)
					}
					seen[c.ID] = true
					left := -1000
					if c.DaysLeft != nil {
						left = *c.DaysLeft
					}
					switch {
					case tab == cases.TabDoing && !running[c.Status],
						tab == cases.TabDueSoon && (c.DaysLeft == nil || left < 0 || left > cases.DueSoonDays),
						tab == cases.TabOverdue && (c.DaysLeft == nil || left > 0):
						t.Errorf("%s lists %s: %s, %d days left", tab, c.No, c.Status, left)
					}
				}
				if after = p.Next; after == "" {
					break
				}
			}
			if len(seen) != total || counts[tab] != min(total, cases.CountCap) {
				t.Errorf("%s: listed %d, total %d, count %d", tab, len(seen), total, counts[tab])
			}
			t.Logf("%s: %d", tab, total)
		}
		if counts[cases.TabDoing] != cases.CountCap {
			t.Errorf("在办 counts %d of many", counts[cases.TabDoing])
		}
	})
}
