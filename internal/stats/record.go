// Package stats keeps the daily rollups of case figures (R4.5, R8.3) and
// answers dashboards and monthly reports from them: applications, the share
// filed online, acceptances, conclusions, the on-time and instant rates,
// average duration, and cards, per day, department, item and region.
package stats

import (
	"time"

	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/db"
)

// Key is the row a figure is counted in.
type Key struct {
	Day        time.Time // any instant of the day (China time)
	Department string
	ItemCode   string
	Region     string
}

// Delta is what one event adds.
type Delta struct {
	Submitted, Online, Agent, Accepted, Refused, Withdrawn int
	Concluded, Granted, OnTime, Instant, Workdays          int
	Yellow, Red                                            int
}

// Add counts d under k in the caller's transaction: one upsert, so the
// figure is exact and written with the change it counts. The row is the
// transaction's shard of the figure (db.Tx.Shard; readers sum the shards),
// so concurrent writers of one item's day do not queue on one row.
func Add(tx *db.Tx, k Key, d Delta) error {
	_, err := tx.Exec(`INSERT INTO stats_daily (day, department_id, impl_code, region_code, shard, submitted, online, agent, accepted, refused,
			withdrawn, concluded, granted, on_time, instant, workdays, yellow, red)
		VALUES ($1, $2, $3, $4, $18, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
		ON CONFLICT (day, department_id, impl_code, region_code, shard) DO UPDATE SET
			submitted = stats_daily.submitted + excluded.submitted, online = stats_daily.online + excluded.online,
			agent = stats_daily.agent + excluded.agent, accepted = stats_daily.accepted + excluded.accepted,
			refused = stats_daily.refused + excluded.refused, withdrawn = stats_daily.withdrawn + excluded.withdrawn,
			concluded = stats_daily.concluded + excluded.concluded, granted = stats_daily.granted + excluded.granted,
			on_time = stats_daily.on_time + excluded.on_time, instant = stats_daily.instant + excluded.instant,
			workdays = stats_daily.workdays + excluded.workdays, yellow = stats_daily.yellow + excluded.yellow,
			red = stats_daily.red + excluded.red`,
		calendar.DateIn(k.Day).String(), k.Department, k.ItemCode, k.Region, d.Submitted, d.Online, d.Agent, d.Accepted, d.Refused,
		d.Withdrawn, d.Concluded, d.Granted, d.OnTime, d.Instant, d.Workdays, d.Yellow, d.Red, tx.Shard())
	return err
}

// AddStaff counts a member of staff's action on a case of dept and region:
// within the limit of the step they finished, or not. Like Add, in the
// transaction's shard.
func AddStaff(tx *db.Tx, userID, dept, region string, onTime bool) error {
	ot := 0
	if onTime {
		ot = 1
	}
	_, err := tx.Exec(`INSERT INTO stats_staff_daily (day, user_id, department_id, region_code, shard, acted, on_time) VALUES ($1, $2, $3, $4, $6, 1, $5)
		ON CONFLICT (day, user_id, department_id, region_code, shard) DO UPDATE SET acted = stats_staff_daily.acted + 1,
			on_time = stats_staff_daily.on_time + excluded.on_time`,
		calendar.DateIn(tx.Now).String(), userID, dept, region, ot, tx.Shard())
	return err
}
