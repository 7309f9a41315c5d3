package stats

import (
	"context"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
)

// Scope narrows q to what u may read: a supervisor reads their regions (the
// first by default), an approver their department. Anyone else is refused;
// the public figures (Public) need no scope.
func Scope(u *identity.User, q Query) (Query, error) {
	if u == nil {
		return q, apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	var regions, depts []string
	for _, g := range u.Grants {
		switch g.Role {
		case identity.RoleSupervisor:
			regions = append(regions, g.RegionCode)
		case identity.RoleApprover:
			if g.DepartmentID != "" {
				depts = append(depts, g.DepartmentID)
			}
		}
	}
	switch {
	case len(regions) > 0:
		if q.Region == "" {
			q.Region = regions[0]
			return q, nil
		}
		for _, r := range regions {
			if r == "" || strings.HasPrefix(q.Region, codes.DivisionPrefix(r)) {
				return q, nil
			}
		}
		return q, apperr.E(apperr.Forbidden, "stats.region_forbidden", "region", q.Region)
	case len(depts) > 0:
		if q.Department == "" {
			q.Department = depts[0]
		}
		for _, d := range depts {
			if d == q.Department {
				return q, nil
			}
		}
		return q, apperr.E(apperr.Forbidden, "stats.department_forbidden")
	}
	return q, apperr.E(apperr.Forbidden, "error.forbidden")
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
