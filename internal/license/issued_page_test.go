package license_test

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/license"
	"github.com/tongban/tongban/internal/paging"
)

// The issuing staff's list (证照管理) is read page by page with
// continuation tokens: every licence once, newest first (ties of one
// instant by id), with licences issued between pages (newer: not on later
// pages; older: on them); bad tokens and sizes are refused.
func TestIssuedPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d, license.AlgEd25519)
		_, l := f.licensed()
		n := 0
		// copyAt records a copy of l issued at at (the same department and
		// holder; a fixture for the list, not a licence anyone could verify).
		copyAt := func(at time.Time) {
			t.Helper()
			n++
			err := f.db.Update(f.ctx, func(tx *db.Tx) error {
				if _, err := tx.Exec(`CREATE TEMP TABLE lcopy AS SELECT * FROM licences WHERE id = $1`, l.ID); err != nil {
					return err
				}
				// The payload in clear, as before sealing: a sealed one opens only under its own id.
				if _, err := tx.Exec(`UPDATE lcopy SET id = $1, identifier = $2, case_id = NULL, issued_at = $3, payload = $4`,
					db.NewID(), fmt.Sprintf("copy-%d", n), at.UTC(), string(l.Payload)); err != nil {
					return err
				}
				if _, err := tx.Exec(`INSERT INTO licences SELECT * FROM lcopy`); err != nil {
					return err
				}
				_, err := tx.Exec(`DROP TABLE lcopy`)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		t0 := l.IssuedAt.Add(-time.Hour)
		for i := range 7 {
			copyAt(t0.Add(time.Duration(i%3) * time.Minute)) // ties at three instants
		}
		type row struct {
			at time.Time
			id string
		}
		read := func() []row {
			var out []row
			err := f.db.View(f.ctx, func(tx *db.Tx) error {
				rows, err := tx.Query(`SELECT issued_at, id FROM licences`)
				if err != nil {
					return err
				}
				defer rows.Close()
				for rows.Next() {
					var r row
					if err := rows.Scan(&r.at, &r.id); err != nil {
						return err
					}
					out = append(out, r)
				}
				return rows.Err()
			})
			if err != nil {
				t.Fatal(err)
			}
			sort.Slice(out, func(i, j int) bool {
				if !out[i].at.Equal(out[j].at) {
					return out[i].at.After(out[j].at)
				}
				return out[i].id > out[j].id
			})
			return out
		}
		staff := f.users["approver"]
		var got []string
		after := ""
		var first string
		for pages := 0; ; pages++ {
			if pages > 10 {
				t.Fatal("the pages do not end")
			}
			list, next, err := f.lib.Issued(f.ctx, staff, license.IssuedFilter{After: after, Limit: 3})
			if err != nil {
				t.Fatal(err)
			}
			if len(list) > 3 || (next != "" && len(list) != 3) {
				t.Fatalf("a page of %d, next %q", len(list), next)
			}
			for _, x := range list {
				got = append(got, x.ID)
			}
			if pages == 0 {
				first = next
				copyAt(l.IssuedAt.Add(time.Hour)) // newer: behind the reader
				copyAt(t0.Add(-24 * time.Hour))   // older: ahead of them
			}
			if next == "" {
				break
			}
			after = next
		}
		var want []string
		for _, r := range read()[1:] { // all but the newest, issued behind the reader
			want = append(want, r.id)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("pages read\n%v\nwant\n%v", got, want)
		}

		for _, c := range []struct {
			name string
			f    license.IssuedFilter
			key  string
		}{
			{"malformed", license.IssuedFilter{After: "x"}, "paging.token_malformed"},
			{"other filter", license.IssuedFilter{Status: license.StatusValid, After: first}, "paging.token_other_list"},
			{"too large", license.IssuedFilter{Limit: paging.MaxSize + 1}, "paging.size_too_large"},
		} {
			_, _, err := f.lib.Issued(f.ctx, staff, c.f)
			if e := apperr.As(err); e == nil || e.Code != apperr.Invalid || e.Key != c.key {
				t.Errorf("%s: %v, want %s", c.name, err, c.key)
			}
		}
		if _, _, err := f.lib.Issued(f.ctx, f.users["handler"], license.IssuedFilter{After: first}); apperr.As(err) == nil || apperr.As(err).Key != "paging.token_other_list" {
			t.Errorf("another's token: %v", err)
		}
		f.SetNow(f.db.Now().Add(paging.TTL + time.Minute))
		if _, _, err := f.lib.Issued(f.ctx, staff, license.IssuedFilter{After: first}); apperr.As(err) == nil || apperr.As(err).Key != "paging.token_expired" {
			t.Errorf("an expired token: %v", err)
		}
	})
}
