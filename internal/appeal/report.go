package appeal

import (
	"context"
	"database/sql"
	"sort"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
)

// Report is the monthly 诉求 report of a region: the orders accepted in the
// month and how they went, in all and by the department each order is with
// (the directory's at acceptance, the dispatcher's after 派单 or 改派).
// Rates are fractions (0–1), nil when nothing counts toward them.
type Report struct {
	Region     string `json:"region_code"`
	RegionName string `json:"region_name"`
	Month      string `json:"month"` // YYYY-MM (China)
	Figures
	Departments []DepartmentFigures `json:"departments"`
}

// DepartmentFigures is one department's row of the report (DepartmentID
// empty: orders not with a department).
type DepartmentFigures struct {
	DepartmentID string `json:"department_id"`
	Name         string `json:"name"`
	Figures
}

// Figures are the report's counts and rates.
type Figures struct {
	Accepted int `json:"accepted"`
	// 响应率: orders dispatched (or answered directly) within the dispatch
	// clock and signed for within the sign clock, of those dispatched or
	// answered.
	Responded    int      `json:"responded"`
	ResponseRate *float64 `json:"response_rate"`
	// 按时办结率: orders answered within the reply clock, of those answered.
	Replied    int      `json:"replied"`
	OnTime     int      `json:"replied_on_time"`
	OnTimeRate *float64 `json:"on_time_rate"`
	// 解决率: answered "resolved" at 回访, of those who answered it.
	Resolved     int      `json:"resolved"`
	ResolvedAsk  int      `json:"resolved_asked"`
	ResolvedRate *float64 `json:"resolved_rate"`
	// 满意率: satisfied at 回访, of those visited.
	Satisfied        int      `json:"satisfied"`
	Visited          int      `json:"visited"`
	SatisfactionRate *float64 `json:"satisfaction_rate"`
	// 重复诉求率: orders merged into a parent (并单), of those accepted.
	Merged     int      `json:"merged"`
	RepeatRate *float64 `json:"repeat_rate"`
	Closed     int      `json:"closed"`
}

// rates fills the rates from the counts.
func (f *Figures) rates() {
	f.ResponseRate = rate(f.Responded, f.Accepted-f.Merged)
	f.OnTimeRate = rate(f.OnTime, f.Replied)
	f.ResolvedRate = rate(f.Resolved, f.ResolvedAsk)
	f.SatisfactionRate = rate(f.Satisfied, f.Visited)
	f.RepeatRate = rate(f.Merged, f.Accepted)
}

func rate(n, d int) *float64 {
	if d == 0 {
		return nil
	}
	r := float64(n) / float64(d)
	return &r
}

// MonthlyReport computes the report of region for month (YYYY-MM) for a
// supervisor (or dispatcher) whose scope covers the region.
func (s *Service) MonthlyReport(ctx context.Context, u *identity.User, region, month string) (*Report, error) {
	if u == nil {
		return nil, apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	if !u.HasAny(identity.RoleSupervisor, identity.RoleClerk) {
		return nil, apperr.E(apperr.Forbidden, "error.forbidden")
	}
	if !u.ScopeOf(identity.RoleSupervisor, identity.RoleClerk).CoversRegion(region) {
		return nil, apperr.E(apperr.Forbidden, "error.forbidden")
	}
	start, err := time.ParseInLocation("2006-01", month, calendar.China)
	if err != nil || start.Year() < 2000 || start.Year() > 2199 {
		return nil, apperr.E(apperr.Invalid, "appeal.month_invalid")
	}
	end := start.AddDate(0, 1, 0)
	rep := &Report{Region: region, Month: month, Departments: []DepartmentFigures{}}
	depts := map[string]*DepartmentFigures{}
	err = s.DB.View(ctx, func(tx *db.Tx) error {
		if err := tx.QueryRow(`SELECT name FROM regions WHERE code = $1`, region).Scan(&rep.RegionName); err != nil {
			return db.NotFound(err, "stats.region_unknown", "region", region)
		}
		rows, err := tx.Query(`SELECT COALESCE(a.department_id, ''), COALESCE(d.name, ''), a.state, a.dispatched_at IS NOT NULL, a.replied_at IS NOT NULL, a.satisfaction, a.resolved,
			(SELECT MIN(CASE WHEN c.on_time THEN 1 ELSE 0 END) FROM order_clocks c WHERE c.kind = 'appeal' AND c.order_id = a.id
				AND c.clock IN ('appeal_dispatch', 'appeal_sign') AND c.stopped_at IS NOT NULL),
			(SELECT MIN(CASE WHEN c.on_time THEN 1 ELSE 0 END) FROM order_clocks c WHERE c.kind = 'appeal' AND c.order_id = a.id
				AND c.clock = 'appeal_reply' AND c.stopped_at IS NOT NULL)
			FROM appeals a LEFT JOIN departments d ON d.id = a.department_id WHERE a.region_code LIKE $1 AND a.created_at >= $2 AND a.created_at < $3`,
			regionLike(region), start.UTC(), end.UTC())
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var deptID, deptName, state, sat string
			var dispatched, replied bool
			var resolved sql.NullBool
			var respOK, replyOK sql.NullInt64
			if err := rows.Scan(&deptID, &deptName, &state, &dispatched, &replied, &sat, &resolved, &respOK, &replyOK); err != nil {
				return err
			}
			dp := depts[deptID]
			if dp == nil {
				dp = &DepartmentFigures{DepartmentID: deptID, Name: deptName}
				depts[deptID] = dp
			}
			for _, f := range []*Figures{&rep.Figures, &dp.Figures} {
				f.count(state, sat, dispatched, replied, resolved, respOK, replyOK)
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, apperr.Internalf("appeal: report", err)
	}
	rep.rates()
	for _, dp := range depts {
		dp.rates()
		rep.Departments = append(rep.Departments, *dp)
	}
	// By name (orders with no department last), as the case report's rows.
	sort.Slice(rep.Departments, func(i, j int) bool {
		a, b := rep.Departments[i], rep.Departments[j]
		if (a.DepartmentID == "") != (b.DepartmentID == "") {
			return b.DepartmentID == ""
		}
		return a.Name < b.Name
	})
	return rep, nil
}

// count adds one order to the figures.
func (f *Figures) count(state, sat string, dispatched, replied bool, resolved sql.NullBool, respOK, replyOK sql.NullInt64) {
	f.Accepted++
	if state == StateMerged {
		f.Merged++
		return
	}
	if state == StateClosed {
		f.Closed++
	}
	if respOK.Valid && respOK.Int64 == 1 && (dispatched || replied) {
		f.Responded++
	}
	if replied {
		f.Replied++
		if !replyOK.Valid || replyOK.Int64 == 1 {
			f.OnTime++
		}
	}
	if sat != "" {
		f.Visited++
		if sat == "satisfied" {
			f.Satisfied++
		}
	}
	if resolved.Valid {
		f.ResolvedAsk++
		if resolved.Bool {
			f.Resolved++
		}
	}
}

// regionLike is the LIKE pattern of a region and the regions within it.
func regionLike(region string) string { return codes.DivisionPrefix(region) + "%" }
