package appeal

import (
	"context"
	"database/sql"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
)

// Report is the monthly 诉求 report of a region: the orders accepted in the
// month and how they went. Rates are fractions (0–1), nil when nothing
// counts toward them.
type Report struct {
	Region   string `json:"region_code"`
	Month    string `json:"month"` // YYYY-MM (China)
	Accepted int    `json:"accepted"`
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
	rep := &Report{Region: region, Month: month}
	err = s.DB.View(ctx, func(tx *db.Tx) error {
		rows, err := tx.Query(`SELECT a.state, a.dispatched_at IS NOT NULL, a.replied_at IS NOT NULL, a.satisfaction, a.resolved,
			(SELECT MIN(CASE WHEN c.on_time THEN 1 ELSE 0 END) FROM order_clocks c WHERE c.kind = 'appeal' AND c.order_id = a.id
				AND c.clock IN ('appeal_dispatch', 'appeal_sign') AND c.stopped_at IS NOT NULL),
			(SELECT MIN(CASE WHEN c.on_time THEN 1 ELSE 0 END) FROM order_clocks c WHERE c.kind = 'appeal' AND c.order_id = a.id
				AND c.clock = 'appeal_reply' AND c.stopped_at IS NOT NULL)
			FROM appeals a WHERE a.region_code LIKE $1 AND a.created_at >= $2 AND a.created_at < $3`,
			regionLike(region), start.UTC(), end.UTC())
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var state, sat string
			var dispatched, replied bool
			var resolved sql.NullBool
			var respOK, replyOK sql.NullInt64
			if err := rows.Scan(&state, &dispatched, &replied, &sat, &resolved, &respOK, &replyOK); err != nil {
				return err
			}
			rep.Accepted++
			if state == StateMerged {
				rep.Merged++
				continue
			}
			if state == StateClosed {
				rep.Closed++
			}
			if respOK.Valid && respOK.Int64 == 1 && (dispatched || replied) {
				rep.Responded++
			}
			if replied {
				rep.Replied++
				if !replyOK.Valid || replyOK.Int64 == 1 {
					rep.OnTime++
				}
			}
			if sat != "" {
				rep.Visited++
				if sat == "satisfied" {
					rep.Satisfied++
				}
			}
			if resolved.Valid {
				rep.ResolvedAsk++
				if resolved.Bool {
					rep.Resolved++
				}
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, apperr.Internalf("appeal: report", err)
	}
	handled := rep.Accepted - rep.Merged
	rep.ResponseRate = rate(rep.Responded, handled)
	rep.OnTimeRate = rate(rep.OnTime, rep.Replied)
	rep.ResolvedRate = rate(rep.Resolved, rep.ResolvedAsk)
	rep.SatisfactionRate = rate(rep.Satisfied, rep.Visited)
	rep.RepeatRate = rate(rep.Merged, rep.Accepted)
	return rep, nil
}

// regionLike is the LIKE pattern of a region and the regions within it.
func regionLike(region string) string { return codes.DivisionPrefix(region) + "%" }
