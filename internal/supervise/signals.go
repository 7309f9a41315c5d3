package supervise

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
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
}

// SignalFilter selects signals.
type SignalFilter struct {
	Level   string // warning, yellow, red; "" all
	Dept    string // a department id
	Region  string // a division code: it and every division under it
	Clock   Clock
	Page    int
	PerPage int
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

// Signals lists the signals u may read that match f, the most serious
// first, then the most overdue; and the counts by department and level over
// the same scope and filter (except the level).
func (r *Reader) Signals(ctx context.Context, u *identity.User, f SignalFilter) ([]Signal, int, []Count, error) {
	if u == nil {
		return nil, 0, nil, apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	if !identity.CanSupervise(u) {
		return nil, 0, nil, apperr.E(apperr.Forbidden, "error.forbidden")
	}
	if f.Level != "" {
		if lv, ok := ParseLevel(f.Level); !ok || lv == Normal {
			return nil, 0, nil, apperr.E(apperr.Invalid, "signal.level_unknown", "level", f.Level)
		}
	}
	if f.Clock != "" && clockColumns[f.Clock] == "" {
		return nil, 0, nil, apperr.E(apperr.Invalid, "signal.clock_unknown", "clock", string(f.Clock))
	}
	if f.PerPage <= 0 || f.PerPage > 200 {
		f.PerPage = 50
	}
	if f.Page < 1 {
		f.Page = 1
	}
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	sc := identity.SupervisionScope(u, "s.department_id", "s.region_code", arg)
	if sc == "" {
		return []Signal{}, 0, []Count{}, nil
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
	byLevel := common
	if f.Level != "" {
		byLevel += " AND s.level = " + arg(f.Level)
	}
	out := []Signal{}
	counts := []Count{}
	var total int
	err := r.DB.View(ctx, func(tx *db.Tx) error {
		if err := tx.QueryRow(`SELECT COUNT(*) FROM case_signals s WHERE `+byLevel, args...).Scan(&total); err != nil {
			return err
		}
		rows, err := tx.Query(`SELECT c.case_no, c.item_name, d.name, s.department_id, s.region_code, c.state, c.status, s.clock,
				s.level, s.due_at, s.since, c.urged_at
			FROM case_signals s JOIN cases c ON c.id = s.case_id JOIN departments d ON d.id = s.department_id
			WHERE `+byLevel+`
			ORDER BY CASE s.level WHEN 'red' THEN 0 WHEN 'yellow' THEN 1 ELSE 2 END, s.due_at, c.case_no`+
			fmt.Sprintf(" LIMIT %d OFFSET %d", f.PerPage, (f.Page-1)*f.PerPage), args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var sg Signal
			var urged *time.Time
			if err := rows.Scan(&sg.CaseNo, &sg.ItemName, &sg.Department, &sg.DeptID, &sg.Region, &sg.State, &sg.Status, &sg.Clock,
				&sg.Level, &sg.DueAt, &sg.Since, &urged); err != nil {
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
		// Counts leave the level out (they show every level), so they use
		// only the arguments of the common conditions.
		n := strings.Count(common, "$")
		rows, err = tx.Query(`SELECT s.department_id, d.name, s.level, COUNT(*) FROM case_signals s JOIN departments d ON d.id = s.department_id
			WHERE `+common+` GROUP BY s.department_id, d.name, s.level ORDER BY d.name`, args[:n]...)
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
				i = len(counts)
				idx[id] = i
				counts = append(counts, Count{DeptID: id, Department: name})
			}
			switch level {
			case "warning":
				counts[i].Warning += k
			case "yellow":
				counts[i].Yellow += k
			case "red":
				counts[i].Red += k
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, 0, nil, apperr.Internalf("supervise: signals", err)
	}
	return out, total, counts, nil
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
