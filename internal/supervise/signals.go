package supervise

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/paging"
)

// Signal is one recorded signal as supervisors list it: the case by number
// and item, never the applicant (lists carry no personal data).
type Signal struct {
	CaseNo     string     `json:"case_no"`
	ItemName   string     `json:"item_name"`
	Department string     `json:"department"`
	DeptID     string     `json:"department_id"`
	Region     string     `json:"region_code"`
	State      string     `json:"state"`
	Status     string     `json:"status"`
	Clock      Clock      `json:"clock"`
	Level      string     `json:"level"`
	DueAt      time.Time  `json:"due_at"`
	DueDate    string     `json:"due_date"`
	Since      time.Time  `json:"since"`
	UrgedAt    *time.Time `json:"urged_at,omitempty"`

	caseID string // with Clock, the row's key
}

// SignalFilter selects signals.
type SignalFilter struct {
	Level   string // warning, yellow, red; "" all
	Dept    string // a department id
	Region  string // a division code: it and every division under it
	Clock   Clock
	After   string // a continuation token (paging): "" the first page
	PerPage int
	// Counts asks for the counts by department and level too: what the
	// dashboard shows, the same on every page (the API gives them with the
	// first page only).
	Counts bool
}

// SignalList is the name signal pages' continuation tokens carry.
const SignalList = "signals"

// SignalPage is a page of signals: the next page's token ("" on the last),
// how many match (counted up to paging.CountCap: Capped says there are at
// least that many) and the counts by department and level.
type SignalPage struct {
	Signals []Signal
	Next    string
	Total   int
	Capped  bool
	Counts  []Count
}

// Count is a number of signals by department and level.
type Count struct {
	DeptID     string `json:"department_id"`
	Department string `json:"department"`
	Warning    int    `json:"warning"`
	Yellow     int    `json:"yellow"`
	Red        int    `json:"red"`
}

// Reader answers supervisors' questions about signals.
type Reader struct {
	DB *db.DB
}

// levelOrder is the order signals are listed in: the most serious first.
var levelOrder = []string{"red", "yellow", "warning"}

// Signals lists a page of the signals u may read that match f, the most
// serious first, then the most overdue (ties by case and clock); and the
// counts by department and level over the same scope and filter (except
// the level). Pages are read by keyset on case_signals_page (or
// case_signals_dept_page with a department), one level after another.
func (r *Reader) Signals(ctx context.Context, u *identity.User, f SignalFilter) (*SignalPage, error) {
	if u == nil {
		return nil, apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	if !identity.CanSupervise(u) {
		return nil, apperr.E(apperr.Forbidden, "error.forbidden")
	}
	levels := levelOrder
	if f.Level != "" {
		if lv, ok := ParseLevel(f.Level); !ok || lv == Normal {
			return nil, apperr.E(apperr.Invalid, "signal.level_unknown", "level", f.Level)
		}
		levels = []string{f.Level}
	}
	if f.Clock != "" && clockColumns[f.Clock] == "" {
		return nil, apperr.E(apperr.Invalid, "signal.clock_unknown", "clock", string(f.Clock))
	}
	if f.PerPage <= 0 {
		f.PerPage = 50
	}
	if f.PerPage > paging.MaxSize {
		return nil, apperr.E(apperr.Invalid, "paging.size_too_large", "max", paging.MaxSize)
	}
	fp := paging.Fingerprint(u.ID, f.Level, f.Dept, f.Region, string(f.Clock))
	key, err := paging.Decode(f.After, SignalList, fp, r.DB.Now())
	if err != nil {
		return nil, err
	}
	var after struct {
		level, caseID, clock string
		due                  time.Time
	}
	if key != nil {
		if len(key) != 4 || !slices.Contains(levels, key[0]) {
			return nil, apperr.E(apperr.Invalid, "paging.token_malformed")
		}
		if after.due, err = time.Parse(time.RFC3339Nano, key[1]); err != nil {
			return nil, apperr.E(apperr.Invalid, "paging.token_malformed")
		}
		after.level, after.caseID, after.clock = key[0], key[2], key[3]
		levels = levels[slices.Index(levels, key[0]):]
	}
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	page := &SignalPage{Signals: []Signal{}, Counts: []Count{}}
	sc := identity.SupervisionScope(u, "s.department_id", "s.region_code", arg)
	if sc == "" {
		return page, nil
	}
	where := []string{"(" + sc + ")"}
	if f.Dept != "" {
		where = append(where, "s.department_id = "+arg(f.Dept))
	}
	if f.Region != "" {
		where = append(where, "s.region_code LIKE "+arg(codes.DivisionPrefix(f.Region)+"%"))
	}
	if f.Clock != "" {
		where = append(where, "s.clock = "+arg(string(f.Clock)))
	}
	common := strings.Join(where, " AND ")
	nCommon := len(args)
	byLevel := common
	if f.Level != "" {
		byLevel += " AND s.level = " + arg(f.Level)
	}
	nLevel := len(args)
	out := []Signal{}
	err = r.DB.View(ctx, func(tx *db.Tx) error {
		// How many: counted up to the cap, never every signal of a province.
		if err := tx.QueryRow(`SELECT COUNT(*) FROM (SELECT 1 FROM case_signals s WHERE `+byLevel+
			fmt.Sprintf(" LIMIT %d) n", paging.CountCap), args[:nLevel]...).Scan(&page.Total); err != nil {
			return err
		}
		page.Capped = page.Total >= paging.CountCap
		for _, lv := range levels {
			need := f.PerPage + 1 - len(out)
			if need <= 0 {
				break
			}
			la := append([]any{}, args[:nCommon]...)
			larg := func(v any) string {
				la = append(la, v)
				return fmt.Sprintf("$%d", len(la))
			}
			cond := common + " AND s.level = " + larg(lv)
			if lv == after.level {
				cond += " AND s.due_at >= " + larg(after.due) + " AND (s.due_at, s.case_id, s.clock) > (" + larg(after.due) + ", " + larg(after.caseID) + ", " + larg(after.clock) + ")"
			}
			rows, err := tx.Query(`SELECT c.case_no, c.item_name, d.name, s.department_id, s.region_code, c.state, c.status, s.clock,
					s.level, s.due_at, s.since, c.urged_at, s.case_id
				FROM case_signals s JOIN cases c ON c.id = s.case_id JOIN departments d ON d.id = s.department_id
				WHERE `+cond+`
				ORDER BY s.due_at, s.case_id, s.clock`+fmt.Sprintf(" LIMIT %d", need), la...)
			if err != nil {
				return err
			}
			for rows.Next() {
				var sg Signal
				var urged *time.Time
				if err := rows.Scan(&sg.CaseNo, &sg.ItemName, &sg.Department, &sg.DeptID, &sg.Region, &sg.State, &sg.Status, &sg.Clock,
					&sg.Level, &sg.DueAt, &sg.Since, &urged, &sg.caseID); err != nil {
					rows.Close()
					return err
				}
				sg.DueAt, sg.Since = sg.DueAt.UTC(), sg.Since.UTC()
				sg.DueDate = calendar.DateIn(sg.DueAt.Add(-time.Nanosecond)).String()
				if urged != nil {
					t := urged.UTC()
					sg.UrgedAt = &t
				}
				out = append(out, sg)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		if !f.Counts {
			return nil
		}
		// Counts leave the level out (they show every level), so they use
		// only the arguments of the common conditions. They are grouped on
		// case_signals_dept_page alone (it covers department, level and
		// region), the names joined to the groups after.
		rows, err := tx.Query(`SELECT g.department_id, d.name, g.level, g.n FROM (SELECT s.department_id, s.level, COUNT(*) AS n FROM case_signals s
			WHERE `+common+` GROUP BY s.department_id, s.level) g JOIN departments d ON d.id = g.department_id ORDER BY d.name, g.department_id`, args[:nCommon]...)
		if err != nil {
			return err
		}
		defer rows.Close()
		idx := map[string]int{}
		for rows.Next() {
			var id, name, level string
			var k int
			if err := rows.Scan(&id, &name, &level, &k); err != nil {
				return err
			}
			i, ok := idx[id]
			if !ok {
				i = len(page.Counts)
				idx[id] = i
				page.Counts = append(page.Counts, Count{DeptID: id, Department: name})
			}
			switch level {
			case "warning":
				page.Counts[i].Warning += k
			case "yellow":
				page.Counts[i].Yellow += k
			case "red":
				page.Counts[i].Red += k
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, apperr.Internalf("supervise: signals", err)
	}
	if len(out) > f.PerPage {
		out = out[:f.PerPage]
		last := out[len(out)-1]
		page.Next = paging.Encode(SignalList, fp, []string{last.Level, last.DueAt.Format(time.RFC3339Nano), last.caseID, string(last.Clock)}, r.DB.Now())
	}
	page.Signals = out
	return page, nil
}

// LastPass is when the scanner last finished a pass (zero if never).
func (r *Reader) LastPass(ctx context.Context) (time.Time, error) {
	var t *time.Time
	err := r.DB.View(ctx, func(tx *db.Tx) error {
		err := tx.QueryRow(`SELECT last_run_at FROM job_leases WHERE name = $1`, LeaseName).Scan(&t)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		return err
	})
	if err != nil || t == nil {
		return time.Time{}, apperr.Internalf("supervise: last pass", err)
	}
	return t.UTC(), nil
}

// OfCase lists a case's recorded signals (the case page shows them to staff
// who may read the case; the caller has checked that).
func (r *Reader) OfCase(ctx context.Context, caseID string) ([]Signal, error) {
	out := []Signal{}
	err := r.DB.View(ctx, func(tx *db.Tx) error {
		rows, err := tx.Query(`SELECT s.clock, s.level, s.due_at, s.since FROM case_signals s WHERE s.case_id = $1
			ORDER BY CASE s.level WHEN 'red' THEN 0 WHEN 'yellow' THEN 1 ELSE 2 END, s.clock`, caseID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var sg Signal
			if err := rows.Scan(&sg.Clock, &sg.Level, &sg.DueAt, &sg.Since); err != nil {
				return err
			}
			sg.DueAt, sg.Since = sg.DueAt.UTC(), sg.Since.UTC()
			sg.DueDate = calendar.DateIn(sg.DueAt.Add(-time.Nanosecond)).String()
			out = append(out, sg)
		}
		return rows.Err()
	})
	return out, apperr.Internalf("supervise: case signals", err)
}
