package stats

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/queue"
)

// Figures are counts over a period and the rates R4.5 asks for.
type Figures struct {
	Submitted int `json:"submitted"` // applications
	Online    int `json:"online"`    // of which filed online
	Agent     int `json:"agent"`
	Accepted  int `json:"accepted"`
	Refused   int `json:"refused"`
	Withdrawn int `json:"withdrawn"`
	Concluded int `json:"concluded"`
	Granted   int `json:"granted"`
	OnTime    int `json:"on_time"`
	Instant   int `json:"instant"`
	Workdays  int `json:"workdays"`
	Yellow    int `json:"yellow"`
	Red       int `json:"red"`

	// 好差评 (issue 18), by the day of the rating: real first ratings of
	// cases and of hall visits (一次一评; defaulted ones and those found
	// 误评/恶意 on appeal are not counted), of which those of cases (评价率
	// is of cases), satisfied (基本满意 and better) and bad; the bad ones'
	// work orders rectified, rectified on time, and revisited (回访).
	// Never the rater.
	Rated           int `json:"rated"`
	RatedCases      int `json:"rated_cases"`
	Satisfied       int `json:"satisfied"`
	Bad             int `json:"bad"`
	Rectified       int `json:"rectified"`
	RectifiedOnTime int `json:"rectified_on_time"`
	Revisited       int `json:"revisited"`

	OnlineShare float64 `json:"online_share"`  // 外网申报占比: online / submitted
	OnTimeRate  float64 `json:"on_time_rate"`  // 按时办结率: on time / concluded
	InstantRate float64 `json:"instant_rate"`  // 即办率: concluded on the day of acceptance / concluded
	AvgWorkdays float64 `json:"avg_workdays"`  // average working days from acceptance to decision
	GrantRate   float64 `json:"grant_rate"`    // granted / concluded
	RefuseShare float64 `json:"refusal_share"` // not accepted / (accepted + not accepted)

	Satisfaction  float64 `json:"satisfaction"`    // 满意度: satisfied / rated
	RatingRate    float64 `json:"rating_rate"`     // 评价率: rated cases / concluded
	RectifyRate   float64 `json:"rectify_rate"`    // 差评整改率: rectified / bad
	OnTimeRectify float64 `json:"on_time_rectify"` // 按时整改率: rectified on time / rectified
	RevisitRate   float64 `json:"revisit_rate"`    // 实名差评回访率: revisited / rectified
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// rates fills the rates from the counts.
func (f *Figures) rates() {
	f.OnlineShare = ratio(f.Online, f.Submitted)
	f.OnTimeRate = ratio(f.OnTime, f.Concluded)
	f.InstantRate = ratio(f.Instant, f.Concluded)
	f.AvgWorkdays = ratio(f.Workdays, f.Concluded)
	f.GrantRate = ratio(f.Granted, f.Concluded)
	f.RefuseShare = ratio(f.Refused, f.Accepted+f.Refused)
	f.Satisfaction = ratio(f.Satisfied, f.Rated)
	f.RatingRate = ratio(f.RatedCases, f.Concluded)
	f.RectifyRate = ratio(f.Rectified, f.Bad)
	f.OnTimeRectify = ratio(f.RectifiedOnTime, f.Rectified)
	f.RevisitRate = ratio(f.Revisited, f.Rectified)
}

func (f *Figures) add(g Figures) {
	f.Submitted += g.Submitted
	f.Online += g.Online
	f.Agent += g.Agent
	f.Accepted += g.Accepted
	f.Refused += g.Refused
	f.Withdrawn += g.Withdrawn
	f.Concluded += g.Concluded
	f.Granted += g.Granted
	f.OnTime += g.OnTime
	f.Instant += g.Instant
	f.Workdays += g.Workdays
	f.Yellow += g.Yellow
	f.Red += g.Red
	f.Rated += g.Rated
	f.RatedCases += g.RatedCases
	f.Satisfied += g.Satisfied
	f.Bad += g.Bad
	f.Rectified += g.Rectified
	f.RectifiedOnTime += g.RectifiedOnTime
	f.Revisited += g.Revisited
}

// Query selects a period (dates in China, both included) and optionally a
// department and a region (it and every division under it).
type Query struct {
	From, To   calendar.Date
	Department string
	Region     string
	Items      bool // also the figures per item (one more pass over the period's rows)
	Staff      bool // also the staff ranking (names of staff: not for the public page)
}

// Day is the figures of one day.
type Day struct {
	Day string `json:"day"` // yyyy-mm-dd, or yyyy-mm when the period is longer than two months
	Figures
}

// Department is the figures of one department.
type Department struct {
	ID   string `json:"department_id"`
	Name string `json:"name"`
	Figures
}

// Region is the figures of one division one level below the queried one.
type Region struct {
	Code string `json:"region_code"`
	Name string `json:"name"`
	Figures
}

// Item is the figures of one item.
type Item struct {
	Code string `json:"impl_code"`
	Name string `json:"name"`
	Figures
}

// Summary is what a dashboard or a report shows for a query.
type Summary struct {
	From        string       `json:"from"`
	To          string       `json:"to"`
	Region      string       `json:"region_code,omitempty"`
	Totals      Figures      `json:"totals"`
	Days        []Day        `json:"days"`
	Departments []Department `json:"departments"` // by on-time rate, then volume (a ranking)
	Regions     []Region     `json:"regions"`     // one level down (district → town → village)
	Items       []Item       `json:"items"`       // by volume, when asked for
	Staff       []Staff      `json:"staff"`       // by actions, when asked for

	// Hall is the service halls' queue figures (平均等候时长, service
	// time, tickets per day, 爽约率) of the region, by division one level
	// down and by service: for a region's query, not a department's (a
	// hall serves every department).
	Hall *queue.RegionFigures `json:"hall,omitempty"`
}

// Staff is what a member of staff moved in the period, and how much of it
// within the limit of the step they finished.
type Staff struct {
	UserID     string  `json:"user_id"`
	Name       string  `json:"name"`
	Department string  `json:"department"`
	Acted      int     `json:"acted"`
	OnTime     int     `json:"on_time"`
	OnTimeRate float64 `json:"on_time_rate"`
}

// staffRanking reads the staff figures of the period and scope: the 20 who
// acted most.
func staffRanking(tx *db.Tx, q Query) ([]Staff, error) {
	args := []any{q.From.String(), q.To.String()}
	where := "s.day >= $1 AND s.day <= $2"
	if q.Department != "" {
		args = append(args, q.Department)
		where += fmt.Sprintf(" AND s.department_id = $%d", len(args))
	}
	if q.Region != "" {
		args = append(args, codes.DivisionPrefix(q.Region)+"%")
		where += fmt.Sprintf(" AND s.region_code LIKE $%d", len(args))
	}
	// The unit shown is the staff member's own — the department of their
	// grants, else (a window clerk, a supervisor) the region they serve —
	// not the department of the cases they moved: a clerk accepting the tax
	// bureau's applications does not work for it.
	rows, err := tx.Query(`SELECT r.user_id, u.display_name,
		COALESCE((SELECT MIN(d.name) FROM role_grants g JOIN departments d ON d.id = g.department_id WHERE g.user_id = r.user_id),
			(SELECT MIN(x.name) FROM role_grants g JOIN regions x ON x.code = g.region_code WHERE g.user_id = r.user_id), ''),
		r.acted, r.on_time
		FROM (SELECT s.user_id, SUM(s.acted) AS acted, SUM(s.on_time) AS on_time FROM stats_staff_daily s
			WHERE `+where+` GROUP BY s.user_id ORDER BY SUM(s.acted) DESC, s.user_id LIMIT 20) r
		JOIN users u ON u.id = r.user_id ORDER BY r.acted DESC, r.user_id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Staff{}
	for rows.Next() {
		var st Staff
		if err := rows.Scan(&st.UserID, &st.Name, &st.Department, &st.Acted, &st.OnTime); err != nil {
			return nil, err
		}
		st.OnTimeRate = ratio(st.OnTime, st.Acted)
		out = append(out, st)
	}
	return out, rows.Err()
}

const sums = `SUM(s.submitted), SUM(s.online), SUM(s.agent), SUM(s.accepted), SUM(s.refused), SUM(s.withdrawn), SUM(s.concluded),
	SUM(s.granted), SUM(s.on_time), SUM(s.instant), SUM(s.workdays), SUM(s.yellow), SUM(s.red)`

func (f *Figures) targets() []any {
	return []any{&f.Submitted, &f.Online, &f.Agent, &f.Accepted, &f.Refused, &f.Withdrawn, &f.Concluded, &f.Granted, &f.OnTime,
		&f.Instant, &f.Workdays, &f.Yellow, &f.Red}
}

// MaxDays bounds a query's period: dashboards and reports cover at most a
// few years, day by day.
const MaxDays = 3 * 366

// Summarize answers q from the daily rollups: the request sums rows per
// day, department, item and region, never cases.
func Summarize(ctx context.Context, d *db.DB, q Query) (*Summary, error) {
	if q.To.Before(q.From) {
		return nil, apperr.E(apperr.Invalid, "stats.period_reversed", "from", q.From.String(), "to", q.To.String())
	}
	if q.From.AddDays(MaxDays).Before(q.To) {
		return nil, apperr.E(apperr.Invalid, "stats.period_too_long", "days", MaxDays)
	}
	var args []any
	filter := "1 = 1"
	if q.Department != "" {
		args = append(args, q.Department)
		filter += fmt.Sprintf(" AND s.department_id = $%d", len(args))
	}
	if q.Region != "" {
		args = append(args, codes.DivisionPrefix(q.Region)+"%")
		filter += fmt.Sprintf(" AND s.region_code LIKE $%d", len(args))
	}
	// Beyond two months the series is by month, and whole months already
	// summed (compact.go) are read from the monthly rollups.
	byMonth := q.From.AddDays(62).Before(q.To)
	sum := &Summary{From: q.From.String(), To: q.To.String(), Region: q.Region, Days: []Day{}, Departments: []Department{},
		Regions: []Region{}, Items: []Item{}, Staff: []Staff{}}
	err := d.View(ctx, func(tx *db.Tx) error {
		spans := []span{{from: q.From, to: q.To}}
		if byMonth {
			var err error
			if spans, err = plan(tx, q.From, q.To); err != nil {
				return err
			}
		}
		// The dates and months are bound as parameters after the filter's:
		// one statement text per shape, prepared once, nothing inlined.
		var daily, months []string
		var dailyArgs, monthArgs []any
		for _, sp := range spans {
			if sp.month != "" {
				monthArgs = append(monthArgs, sp.month)
				months = append(months, fmt.Sprintf("$%d", len(args)+len(monthArgs)))
			} else {
				dailyArgs = append(dailyArgs, sp.from.String(), sp.to.String())
				n := len(args) + len(dailyArgs)
				daily = append(daily, fmt.Sprintf("(s.day >= $%d AND s.day <= $%d)", n-1, n))
			}
		}
		// Each grouping is its own aggregate inside the database, which sums
		// faster than it can hand the rows over; daily stretches and whole
		// months are read from their tables and added up here.
		// Groupings without the item read the monthly rows without it
		// (stats_monthly_dr), a fifth as many.
		group := func(dailyCol, monthlyCol string, each func(key string, f Figures)) error {
			type statement struct {
				sql  string
				args []any
			}
			var queries []statement
			if len(daily) > 0 {
				queries = append(queries, statement{`SELECT ` + dailyCol + `, ` + sums + ` FROM stats_daily s WHERE (` + strings.Join(daily, " OR ") + `) AND ` + filter + ` GROUP BY ` + dailyCol,
					append(slices.Clip(args), dailyArgs...)})
			}
			if len(months) > 0 {
				table := "stats_monthly_dr"
				if monthlyCol == "s.impl_code" {
					table = "stats_monthly"
				}
				queries = append(queries, statement{`SELECT ` + monthlyCol + `, ` + sums + ` FROM ` + table + ` s WHERE s.month IN (` + strings.Join(months, ", ") + `) AND ` + filter + ` GROUP BY ` + monthlyCol,
					append(slices.Clip(args), monthArgs...)})
			}
			for _, query := range queries {
				rows, err := tx.Query(query.sql, query.args...)
				if err != nil {
					return err
				}
				for rows.Next() {
					var key string
					var f Figures
					if err := rows.Scan(append([]any{&key}, f.targets()...)...); err != nil {
						rows.Close()
						return err
					}
					each(key, f)
				}
				rows.Close()
				if err := rows.Err(); err != nil {
					return err
				}
			}
			return nil
		}
		days := map[string]*Day{}
		depts := map[string]*Department{}
		items := map[string]*Item{}
		regions := map[string]*Region{}
		dayCol, monthCol := "s.day", "s.day"
		if byMonth {
			dayCol, monthCol = "substr(s.day, 1, 7)", "s.month"
		}
		if err := group(dayCol, monthCol, func(k string, f Figures) {
			if days[k] == nil {
				days[k] = &Day{Day: k}
			}
			days[k].add(f)
			sum.Totals.add(f)
		}); err != nil {
			return err
		}
		if err := group("s.department_id", "s.department_id", func(k string, f Figures) {
			if depts[k] == nil {
				depts[k] = &Department{ID: k}
			}
			depts[k].add(f)
		}); err != nil {
			return err
		}
		if q.Items {
			if err := group("s.impl_code", "s.impl_code", func(k string, f Figures) {
				if items[k] == nil {
					items[k] = &Item{Code: k}
				}
				items[k].add(f)
			}); err != nil {
				return err
			}
		}
		if err := group("s.region_code", "s.region_code", func(k string, f Figures) {
			child := childOf(q.Region, k)
			if regions[child] == nil {
				regions[child] = &Region{Code: child}
			}
			regions[child].add(f)
		}); err != nil {
			return err
		}
		// 好差评: one aggregate per grouping over the period's ratings
		// (indexed by department or region and time), added to the rows.
		if err := ratingGroup(tx, q, "''", func(_ string, f Figures) { sum.Totals.add(f) }); err != nil {
			return err
		}
		if err := ratingGroup(tx, q, "r.department_id", func(k string, f Figures) {
			if depts[k] == nil {
				depts[k] = &Department{ID: k}
			}
			depts[k].add(f)
		}); err != nil {
			return err
		}
		if q.Items {
			if err := ratingGroup(tx, q, "r.item_code", func(k string, f Figures) {
				if k == "" {
					return // a visit that ended with no item
				}
				if items[k] == nil {
					items[k] = &Item{Code: k}
				}
				items[k].add(f)
			}); err != nil {
				return err
			}
		}
		if err := ratingGroup(tx, q, "r.region_code", func(k string, f Figures) {
			child := childOf(q.Region, k)
			if regions[child] == nil {
				regions[child] = &Region{Code: child}
			}
			regions[child].add(f)
		}); err != nil {
			return err
		}
		sum.Totals.rates()
		for _, v := range days {
			v.rates()
			sum.Days = append(sum.Days, *v)
		}
		sort.Slice(sum.Days, func(i, j int) bool { return sum.Days[i].Day < sum.Days[j].Day })
		if err := names(tx, `SELECT id, name FROM departments WHERE id IN (%s)`, keys(depts), func(id, name string) { depts[id].Name = name }); err != nil {
			return err
		}
		for _, v := range depts {
			v.rates()
			sum.Departments = append(sum.Departments, *v)
		}
		sort.Slice(sum.Departments, func(i, j int) bool {
			a, b := sum.Departments[i], sum.Departments[j]
			if a.OnTimeRate != b.OnTimeRate {
				return a.OnTimeRate > b.OnTimeRate
			}
			if a.Concluded != b.Concluded {
				return a.Concluded > b.Concluded
			}
			return a.Name < b.Name
		})
		if err := names(tx, `SELECT impl_code, name FROM items WHERE impl_code IN (%s)`, keys(items), func(code, name string) { items[code].Name = name }); err != nil {
			return err
		}
		for _, v := range items {
			v.rates()
			sum.Items = append(sum.Items, *v)
		}
		sort.Slice(sum.Items, func(i, j int) bool {
			if sum.Items[i].Submitted != sum.Items[j].Submitted {
				return sum.Items[i].Submitted > sum.Items[j].Submitted
			}
			return sum.Items[i].Code < sum.Items[j].Code
		})
		if err := names(tx, `SELECT code, name FROM regions WHERE code IN (%s)`, keys(regions), func(code, name string) { regions[code].Name = name }); err != nil {
			return err
		}
		for _, v := range regions {
			v.rates()
			sum.Regions = append(sum.Regions, *v)
		}
		sort.Slice(sum.Regions, func(i, j int) bool { return sum.Regions[i].Code < sum.Regions[j].Code })
		if q.Staff {
			staff, err := staffRanking(tx, q)
			if err != nil {
				return err
			}
			sum.Staff = staff
		}
		return nil
	})
	if err != nil {
		return nil, apperr.Internalf("stats: summarize", err)
	}
	if q.Department == "" && q.Region != "" {
		hall, err := queue.HallRegionFigures(ctx, d, q.Region, q.From.String(), q.To.String(), func(code string) string { return childOf(q.Region, code) })
		if err != nil {
			return nil, err
		}
		sum.Hall = hall
	}
	return sum, nil
}

// ratingGroup sums the period's ratings grouped by col (a column of
// ratings r, or a constant for the totals).
func ratingGroup(tx *db.Tx, q Query, col string, each func(key string, f Figures)) error {
	args := []any{q.From.Start(calendar.China).UTC(), q.To.AddDays(1).Start(calendar.China).UTC()}
	filter := ""
	if q.Department != "" {
		args = append(args, q.Department)
		filter += fmt.Sprintf(" AND r.department_id = $%d", len(args))
	}
	if q.Region != "" {
		args = append(args, codes.DivisionPrefix(q.Region)+"%")
		filter += fmt.Sprintf(" AND r.region_code LIKE $%d", len(args))
	}
	group := " GROUP BY " + col
	if col == "''" {
		group = "" // the totals: one row
	}
	rows, err := tx.Query(`SELECT `+col+`, COUNT(*),
		COALESCE(SUM(CASE WHEN r.subject_kind = 'case' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN r.level >= 3 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN r.level <= 2 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN o.rectified_at IS NOT NULL THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN o.rectified_on_time THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN o.rectified_at IS NOT NULL AND o.revisited_at IS NOT NULL THEN 1 ELSE 0 END), 0)
		FROM ratings r LEFT JOIN rating_orders o ON o.rating_id = r.id
		WHERE r.created_at >= $1 AND r.created_at < $2 AND r.kind = 'first' AND NOT r.defaulted
		AND (o.outcome IS NULL OR o.outcome NOT IN ('misrated', 'malicious'))`+filter+group, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var key string
		var f Figures
		if err := rows.Scan(&key, &f.Rated, &f.RatedCases, &f.Satisfied, &f.Bad, &f.Rectified, &f.RectifiedOnTime, &f.Revisited); err != nil {
			return err
		}
		each(key, f)
	}
	return rows.Err()
}

// childOf is the division one level below parent that contains code (a
// district's town, a town's village), or code itself when it is the parent
// or already at that level. Towns and villages have 12-digit codes; a
// district 6.
func childOf(parent, code string) string {
	switch {
	case len(parent) <= 6 && len(code) == 12:
		// District (or wider) → town: the first 9 digits name the town.
		if parent == "" || len(parent) == 6 {
			return code[:9] + "000"
		}
	case len(parent) == 12 && parent[9:] == "000" && len(code) == 12:
		return code // town → village
	}
	return code
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// names looks up display names for ids with query (its %s is the
// placeholder list).
func names(tx *db.Tx, query string, ids []string, set func(id, name string)) error {
	if len(ids) == 0 {
		return nil
	}
	ph := make([]string, len(ids))
	args := make([]any, len(ids))
	for i, id := range ids {
		ph[i] = fmt.Sprintf("$%d", i+1)
		args[i] = id
	}
	rows, err := tx.Query(fmt.Sprintf(query, strings.Join(ph, ", ")), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id, name string
		if err := rows.Scan(&id, &name); err != nil {
			return err
		}
		set(id, name)
	}
	return rows.Err()
}
