package rating

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/paging"
)

// The 差评 ledger is read page by page with continuation tokens: every
// order once, open ones first, each run by verification deadline (ties by
// id), orders recorded between pages ahead of the reader's place on the
// later pages; bad tokens and sizes are refused.
func TestLedgerPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		r, err := f.svc.Rate(f.Ctx, f.Users["zhangsan"], f.caseOf("zhangsan", "concluded"), bad)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		// copyOrder records a copy of the order (and of its rating, which
		// an order names once) due at due, in state.
		copyOrder := func(due time.Time, state string) {
			t.Helper()
			n++
			rid, oid := db.NewID(), db.NewID()
			err := f.DB.Update(f.Ctx, func(tx *db.Tx) error {
				for _, q := range []struct {
					sql  string
					args []any
				}{
					{`CREATE TEMP TABLE rcopy AS SELECT * FROM ratings WHERE id = $1`, []any{r.ID}},
					{`UPDATE rcopy SET id = $1, subject_id = $1`, []any{rid}},
					{`INSERT INTO ratings SELECT * FROM rcopy`, nil},
					{`DROP TABLE rcopy`, nil},
					{`CREATE TEMP TABLE ocopy AS SELECT * FROM rating_orders WHERE id = $1`, []any{r.OrderID}},
					{`UPDATE ocopy SET id = $1, rating_id = $2, order_no = $3, verify_due_at = $4, state = $5`,
						[]any{oid, rid, fmt.Sprint("CP-COPY-", n), due.UTC(), state}},
					{`INSERT INTO rating_orders SELECT * FROM ocopy`, nil},
					{`DROP TABLE ocopy`, nil},
				} {
					if _, err := tx.Exec(q.sql, q.args...); err != nil {
						return fmt.Errorf("%s: %w", q.sql, err)
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		t0 := f.Now().Add(24 * time.Hour)
		for i := range 8 {
			state := Pending
			if i%3 == 0 {
				state = Closed
			}
			copyOrder(t0.Add(time.Duration(i%2)*time.Hour), state) // ties on two instants
		}
		type row struct {
			closed bool
			due    time.Time
			id     string
		}
		read := func() []row {
			var out []row
			rows, err := f.DB.Reader().Query(`SELECT state, verify_due_at, id FROM rating_orders`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var x row
				var st string
				if err := rows.Scan(&st, &x.due, &x.id); err != nil {
					t.Fatal(err)
				}
				x.closed = st == Closed
				out = append(out, x)
			}
			sort.Slice(out, func(i, j int) bool {
				a, b := out[i], out[j]
				if a.closed != b.closed {
					return !a.closed
				}
				if !a.due.Equal(b.due) {
					return a.due.Before(b.due)
				}
				return a.id < b.id
			})
			return out
		}
		staff := f.Users["handler"]
		var got []string
		after, first := "", ""
		for pages := 0; ; pages++ {
			if pages > 10 {
				t.Fatal("the pages do not end")
			}
			pg, err := f.svc.Ledger(f.Ctx, staff, LedgerFilter{After: after, PerPage: 3})
			if err != nil {
				t.Fatal(err)
			}
			if len(pg.Orders) > 3 || (pg.Next != "" && len(pg.Orders) != 3) {
				t.Fatalf("a page of %d, next %q", len(pg.Orders), pg.Next)
			}
			for _, o := range pg.Orders {
				got = append(got, o.ID)
			}
			if pages == 0 {
				first = pg.Next
				copyOrder(t0.Add(48*time.Hour), Pending) // open, due last: ahead
				copyOrder(t0.Add(-48*time.Hour), Closed) // closed, due first: ahead (closed come after open)
			}
			if pg.Next == "" {
				break
			}
			after = pg.Next
		}
		var want []string
		for _, x := range read() {
			want = append(want, x.id)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("pages read\n%v\nwant\n%v", got, want)
		}
		for _, c := range []struct {
			name string
			f    LedgerFilter
			key  string
		}{
			{"malformed", LedgerFilter{After: "x"}, "paging.token_malformed"},
			{"other filter", LedgerFilter{State: Closed, After: first}, "paging.token_other_list"},
			{"too large", LedgerFilter{PerPage: paging.MaxSize + 1}, "paging.size_too_large"},
		} {
			_, err := f.svc.Ledger(f.Ctx, staff, c.f)
			if e := apperr.As(err); e == nil || e.Code != apperr.Invalid || e.Key != c.key {
				t.Errorf("%s: %v, want %s", c.name, err, c.key)
			}
		}
	})
}
