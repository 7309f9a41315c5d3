package appeal_test

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/appeal"
	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/paging"
)

// The dispatcher's queue is read page by page with continuation tokens:
// every order once, oldest first (ties of one instant by id), an order
// filed between pages coming at the end; bad tokens, sizes and offsets are
// refused.
func TestQueuePages(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		zs, clerk := f.Users["zhangsan"], f.Users["clerk"]
		submit := func() *appeal.Appeal {
			t.Helper()
			a, err := f.svc.Submit(f.Ctx, zs, complaint())
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		var all []*appeal.Appeal
		for i := range 7 {
			if i%3 == 0 {
				f.Advance(time.Minute) // three instants, ties within each
			}
			all = append(all, submit())
		}
		var got []string
		after, first := "", ""
		for pages := 0; ; pages++ {
			if pages > 10 {
				t.Fatal("the pages do not end")
			}
			list, next, err := f.svc.Queue(f.Ctx, clerk, appeal.StaffFilter{Limit: 3, After: after})
			if err != nil {
				t.Fatal(err)
			}
			if len(list) > 3 || (next != "" && len(list) != 3) {
				t.Fatalf("a page of %d, next %q", len(list), next)
			}
			for _, a := range list {
				got = append(got, a.ID)
			}
			if pages == 0 {
				first = next
				f.Advance(time.Minute)
				all = append(all, submit()) // newer: at the end
			}
			if next == "" {
				break
			}
			after = next
		}
		sort.SliceStable(all, func(i, j int) bool {
			if !all[i].Created.Equal(all[j].Created) {
				return all[i].Created.Before(all[j].Created)
			}
			return all[i].ID < all[j].ID
		})
		var want []string
		for _, a := range all {
			want = append(want, a.ID)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("pages read\n%v\nwant\n%v", got, want)
		}
		for _, c := range []struct {
			name string
			f    appeal.StaffFilter
			key  string
		}{
			{"malformed", appeal.StaffFilter{After: "x"}, "paging.token_malformed"},
			{"other filter", appeal.StaffFilter{State: "open", After: first}, "paging.token_other_list"},
			{"too large", appeal.StaffFilter{Limit: paging.MaxSize + 1}, "paging.size_too_large"},
		} {
			_, _, err := f.svc.Queue(f.Ctx, clerk, c.f)
			if e := apperr.As(err); e == nil || e.Code != apperr.Invalid || e.Key != c.key {
				t.Errorf("%s: %v, want %s", c.name, err, c.key)
			}
		}
		// A queue token is not the department list's.
		if _, _, err := f.svc.Department(f.Ctx, f.Users["handler"], appeal.StaffFilter{After: first}); apperr.As(err) == nil || apperr.As(err).Key != "paging.token_other_list" {
			t.Errorf("a queue token on the department list: %v", err)
		}
	})
}
