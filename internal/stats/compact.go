package stats

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/db"
)

// Monthly rollups. A day's rows are written only on that day (the case
// engine and the scanner count on the day of the event), so once a month is
// over its daily rows never change: Compact sums them into stats_monthly,
// and long periods read months instead of days. Synthetic data written for
// past days invalidates the months it touched (Invalidate).

func monthOf(d calendar.Date) string { return fmt.Sprintf("%04d-%02d", d.Year, int(d.Month)) }

func firstOf(month string) calendar.Date {
	t, _ := time.Parse("2006-01", month)
	return calendar.DateOf(t)
}

func nextMonth(month string) string {
	t, _ := time.Parse("2006-01", month)
	return t.AddDate(0, 1, 0).Format("2006-01")
}

// Compact sums every closed month not compacted yet; it reports how many
// months it compacted. The supervision job calls it each minute: when there
// is nothing to do it costs two index reads.
func Compact(ctx context.Context, d *db.DB, now time.Time) (int, error) {
	current := monthOf(calendar.DateIn(now))
	var first sql.NullString
	if err := d.View(ctx, func(tx *db.Tx) error {
		return tx.QueryRow(`SELECT MIN(day) FROM stats_daily`).Scan(&first)
	}); err != nil || !first.Valid {
		return 0, err
	}
	done := map[string]bool{}
	if err := d.View(ctx, func(tx *db.Tx) error {
		rows, err := tx.Query(`SELECT month FROM stats_months`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var m string
			if err := rows.Scan(&m); err != nil {
				return err
			}
			done[m] = true
		}
		return rows.Err()
	}); err != nil {
		return 0, err
	}
	n := 0
	for m := first.String[:7]; m < current; m = nextMonth(m) {
		if done[m] {
			continue
		}
		from, to := firstOf(m), firstOf(nextMonth(m)).AddDays(-1)
		err := d.Update(ctx, func(tx *db.Tx) error {
			if _, err := tx.Exec(`DELETE FROM stats_monthly WHERE month = $1`, m); err != nil {
				return err
			}
			if _, err := tx.Exec(`INSERT INTO stats_monthly (month, department_id, impl_code, region_code, submitted, online, agent, accepted,
					refused, withdrawn, concluded, granted, on_time, instant, workdays, yellow, red)
				SELECT $1, department_id, impl_code, region_code, SUM(submitted), SUM(online), SUM(agent), SUM(accepted), SUM(refused),
					SUM(withdrawn), SUM(concluded), SUM(granted), SUM(on_time), SUM(instant), SUM(workdays), SUM(yellow), SUM(red)
				FROM stats_daily WHERE day >= $2 AND day <= $3 GROUP BY department_id, impl_code, region_code`,
				m, from.String(), to.String()); err != nil {
				return err
			}
			if _, err := tx.Exec(`DELETE FROM stats_monthly_dr WHERE month = $1`, m); err != nil {
				return err
			}
			if _, err := tx.Exec(`INSERT INTO stats_monthly_dr (month, department_id, region_code, submitted, online, agent, accepted,
					refused, withdrawn, concluded, granted, on_time, instant, workdays, yellow, red)
				SELECT month, department_id, region_code, SUM(submitted), SUM(online), SUM(agent), SUM(accepted), SUM(refused),
					SUM(withdrawn), SUM(concluded), SUM(granted), SUM(on_time), SUM(instant), SUM(workdays), SUM(yellow), SUM(red)
				FROM stats_monthly WHERE month = $1 GROUP BY month, department_id, region_code`, m); err != nil {
				return err
			}
			_, err := tx.Exec(`INSERT INTO stats_months (month, compacted_at) VALUES ($1, $2)`, m, tx.Now)
			return err
		})
		if db.IsUniqueViolation(err) {
			continue // another replica compacted it meanwhile
		}
		if err != nil {
			return n, fmt.Errorf("stats: compact %s: %w", m, err)
		}
		n++
	}
	return n, nil
}

// Invalidate forgets the compaction of the months of the given days (their
// daily rows changed after the fact).
func Invalidate(tx *db.Tx, days []calendar.Date) error {
	seen := map[string]bool{}
	for _, day := range days {
		m := monthOf(day)
		if seen[m] {
			continue
		}
		seen[m] = true
		if _, err := tx.Exec(`DELETE FROM stats_months WHERE month = $1`, m); err != nil {
			return err
		}
	}
	return nil
}

// span is a stretch of the period read from one table.
type span struct {
	from, to calendar.Date
	month    string // set when read from stats_monthly
}

// plan splits [from, to] into compacted whole months and daily stretches.
func plan(tx *db.Tx, from, to calendar.Date) ([]span, error) {
	compacted := map[string]bool{}
	rows, err := tx.Query(`SELECT month FROM stats_months WHERE month >= $1 AND month <= $2`, monthOf(from), monthOf(to))
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			rows.Close()
			return nil, err
		}
		compacted[m] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []span
	for m := monthOf(from); m <= monthOf(to); m = nextMonth(m) {
		a, b := firstOf(m), firstOf(nextMonth(m)).AddDays(-1)
		whole := !a.Before(from) && !b.After(to)
		if a.Before(from) {
			a = from
		}
		if b.After(to) {
			b = to
		}
		if whole && compacted[m] {
			out = append(out, span{from: a, to: b, month: m})
			continue
		}
		// A daily stretch continues the previous one when they touch.
		if n := len(out); n > 0 && out[n-1].month == "" && out[n-1].to.AddDays(1) == a {
			out[n-1].to = b
			continue
		}
		out = append(out, span{from: a, to: b})
	}
	return out, nil
}
