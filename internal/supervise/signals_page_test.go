package supervise_test

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/paging"
	"github.com/tongban/tongban/internal/supervise"
)

// signalRow is a recorded signal as the keyset orders it.
type signalRow struct {
	rank          int
	due           time.Time
	caseID, clock string
	caseNo, level string
}

var rankOf = map[string]int{"red": 0, "yellow": 1, "warning": 2}

// The supervisor's signal list is read page by page with continuation
// tokens: every signal once, the most serious first, then the most overdue,
// even with signals recorded between pages (those behind the reader's
// place are not shown; those ahead are); bad tokens and sizes are refused.
func TestSignalPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		var ids []string
		for range 9 {
			ids = append(ids, f.file(true).ID)
		}
		base := at("2026-10-01 00:00").UTC() // stored in UTC, as every time is
		record := func(caseID, clock, level string, due time.Time) {
			t.Helper()
			err := f.db.Update(f.ctx, func(tx *db.Tx) error {
				_, err := tx.Exec(`INSERT INTO case_signals (case_id, clock, level, due_at, state, department_id, region_code, since)
					SELECT id, $2, $3, $4, state, department_id, region_code, $5 FROM cases WHERE id = $1`, caseID, clock, level, due, tx.Now)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		// Ties on purpose: several signals due at the same instant, and two
		// clocks of one case.
		levels := []string{"red", "yellow", "warning"}
		for i, id := range ids {
			record(id, "decision", levels[i%3], base.Add(time.Duration(i%2)*time.Hour))
			if i%4 == 0 {
				record(id, "step", levels[(i+1)%3], base)
			}
		}
		all := func() []signalRow {
			var out []signalRow
			err := f.db.View(f.ctx, func(tx *db.Tx) error {
				rows, err := tx.Query(`SELECT s.level, s.due_at, s.case_id, s.clock, c.case_no FROM case_signals s JOIN cases c ON c.id = s.case_id`)
				if err != nil {
					return err
				}
				defer rows.Close()
				for rows.Next() {
					var r signalRow
					if err := rows.Scan(&r.level, &r.due, &r.caseID, &r.clock, &r.caseNo); err != nil {
						return err
					}
					r.rank = rankOf[r.level]
					out = append(out, r)
				}
				return rows.Err()
			})
			if err != nil {
				t.Fatal(err)
			}
			sort.Slice(out, func(i, j int) bool {
				a, b := out[i], out[j]
				if a.rank != b.rank {
					return a.rank < b.rank
				}
				if !a.due.Equal(b.due) {
					return a.due.Before(b.due)
				}
				if a.caseID != b.caseID {
					return a.caseID < b.caseID
				}
				return a.clock < b.clock
			})
			return out
		}
		want := all()
		sup := f.users["supervisor"]
		r := f.scanReader()
		var got []string
		after := ""
		for pages := 0; ; pages++ {
			if pages > 20 {
				t.Fatal("the pages do not end")
			}
			pg, err := r.Signals(f.ctx, sup, supervise.SignalFilter{PerPage: 4, After: after})
			if err != nil {
				t.Fatal(err)
			}
			if pages == 0 && (pg.Total != len(want) || pg.Capped) {
				t.Errorf("total %d capped %v, want %d", pg.Total, pg.Capped, len(want))
			}
			if len(pg.Signals) > 4 || (pg.Next != "" && len(pg.Signals) != 4) {
				t.Fatalf("a page of %d with next %q", len(pg.Signals), pg.Next)
			}
			for _, s := range pg.Signals {
				got = append(got, s.CaseNo+"/"+string(s.Clock)+"/"+s.Level)
			}
			if pages == 0 {
				// Between pages: a red signal due first (behind the reader)
				// and a warning due last (ahead of them).
				record(ids[1], "step", "red", base.Add(-time.Hour))
				record(ids[2], "step", "warning", base.Add(48*time.Hour))
			}
			if pg.Next == "" {
				break
			}
			after = pg.Next
		}
		now := all()
		var wantNos []string
		for _, s := range now {
			if s.caseID == ids[1] && s.clock == "step" {
				continue // recorded behind the reader's place
			}
			wantNos = append(wantNos, s.caseNo+"/"+s.clock+"/"+s.level)
		}
		if fmt.Sprint(got) != fmt.Sprint(wantNos) {
			t.Errorf("pages read\n%v\nwant\n%v", got, wantNos)
		}

		// One level, read by the department's index.
		dept := f.users["handler"].Grants[0].DepartmentID
		pg, err := r.Signals(f.ctx, sup, supervise.SignalFilter{Level: "red", Dept: dept, PerPage: 1})
		if err != nil || len(pg.Signals) != 1 || pg.Signals[0].Level != "red" || pg.Next == "" {
			t.Fatalf("red of a department: %+v %v", pg, err)
		}
		pg2, err := r.Signals(f.ctx, sup, supervise.SignalFilter{Level: "red", Dept: dept, PerPage: 100, After: pg.Next})
		if err != nil || len(pg2.Signals) != pg.Total-1 || pg2.Next != "" {
			t.Fatalf("the rest of red: %d of %d, %v", len(pg2.Signals), pg.Total, err)
		}

		for _, c := range []struct {
			name string
			f    supervise.SignalFilter
			key  string
		}{
			{"malformed", supervise.SignalFilter{After: "not-a-token"}, "paging.token_malformed"},
			{"other filter", supervise.SignalFilter{Level: "yellow", After: pg.Next}, "paging.token_other_list"},
			{"other list", supervise.SignalFilter{After: paging.Encode("licences", "x", []string{"a"}, f.db.Now())}, "paging.token_other_list"},
			{"too large", supervise.SignalFilter{PerPage: paging.MaxSize + 1}, "paging.size_too_large"},
		} {
			_, err := r.Signals(f.ctx, sup, c.f)
			if e := apperr.As(err); e == nil || e.Code != apperr.Invalid || e.Key != c.key {
				t.Errorf("%s: %v, want %s", c.name, err, c.key)
			}
		}
		f.SetNow(f.db.Now().Add(paging.TTL + time.Minute))
		if _, err := r.Signals(f.ctx, sup, supervise.SignalFilter{Level: "red", Dept: dept, After: pg.Next}); apperr.CodeOf(err) != apperr.Invalid {
			t.Errorf("an expired token: %v", err)
		}
	})
}
