package stats

import (
	"context"
	"slices"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
)

// Scope narrows q to what u may read, by the one scoping rule
// (identity.Scope): a supervisor reads their regions, an approver their
// department within their grant's region (a town's approver the town's
// figures of their department, never the district's). Without a region or
// department asked for, the first grant's (supervisors' first) is read.
// Anyone else is refused; the public figures (Public) need no scope.
func Scope(u *identity.User, q Query) (Query, error) {
	if u == nil {
		return q, apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	sups, apps := u.ScopeOf(identity.RoleSupervisor), u.ScopeOf(identity.RoleApprover)
	grants := append(sups.Grants(), apps.Grants()...)
	if len(grants) == 0 {
		return q, apperr.E(apperr.Forbidden, "error.forbidden")
	}
	for _, g := range grants {
		// The first grant that could cover what was asked fills in the rest.
		if q.Department != "" && g.DepartmentID != "" && g.DepartmentID != q.Department ||
			q.Region != "" && g.RegionCode != "" && !codes.DivisionCovers(g.RegionCode, q.Region) {
			continue
		}
		if q.Region == "" {
			q.Region = g.RegionCode
		}
		if q.Department == "" {
			q.Department = g.DepartmentID
		}
		break
	}
	if u.ScopeOf(identity.RoleSupervisor, identity.RoleApprover).Covers(q.Department, q.Region) {
		return q, nil
	}
	if q.Department != "" && !slices.ContainsFunc(grants, func(g identity.Grant) bool { return g.DepartmentID == "" || g.DepartmentID == q.Department }) {
		return q, apperr.E(apperr.Forbidden, "stats.department_forbidden")
	}
	return q, apperr.E(apperr.Forbidden, "stats.region_forbidden", "region", q.Region)
}

// Period reads a period from query values (dates, both included); the
// default is the month so far in China.
func Period(from, to string, now time.Time) (calendar.Date, calendar.Date, error) {
	today := calendar.DateIn(now)
	f, t := calendar.Date{Year: today.Year, Month: today.Month, Day: 1}, today
	var err error
	if from != "" {
		if f, err = calendar.ParseDate(from); err != nil {
			return f, t, err
		}
	}
	if to != "" {
		if t, err = calendar.ParseDate(to); err != nil {
			return f, t, err
		}
	}
	return f, t, nil
}

// Reader answers statistics queries from the rollups.
type Reader struct {
	DB *db.DB
}

// Summarize is Summarize on the reader's database.
func (r *Reader) Summarize(ctx context.Context, q Query) (*Summary, error) {
	return Summarize(ctx, r.DB, q)
}
