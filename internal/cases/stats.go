package cases

import (
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/stats"
	"github.com/tongban/tongban/internal/workflow"
)

// count adds what a transition means to the daily figures (R4.5), in its
// transaction. A bundle's parent is not counted: its sub-cases are the
// applications, one per department.
func count(tx *db.Tx, cal *calendar.Calendar, c *Case, a *workflow.Action) error {
	if c.BundleCode != "" && c.ParentID == "" {
		return nil
	}
	var d stats.Delta
	for _, e := range a.Effects {
		switch e {
		case workflow.EffectSubmit:
			d.Submitted = 1
			switch c.Channel {
			case ChannelOnline:
				d.Online = 1
			case ChannelAgent:
				d.Agent = 1
			}
		case workflow.EffectAccept:
			d.Accepted = 1
		case workflow.EffectRefuse:
			d.Refused = 1
		case workflow.EffectWithdraw, workflow.EffectTerminate:
			d.Withdrawn = 1
		case workflow.EffectGrant, workflow.EffectDeny:
			d.Concluded = 1
			if e == workflow.EffectGrant {
				d.Granted = 1
			}
			if c.DueAt == nil || !tx.Now.After(*c.DueAt) {
				d.OnTime = 1
			}
			if c.AcceptedAt != nil {
				from, to := calendar.DateIn(*c.AcceptedAt), calendar.DateIn(tx.Now)
				if from == to {
					d.Instant = 1
				}
				// Working days the case took, less those a special procedure stood still.
				if n, err := cal.WorkdaysBetween(from, to); err == nil {
					d.Workdays = max(n-c.PausedDays, 0)
				}
			}
		}
	}
	if d == (stats.Delta{}) {
		return nil
	}
	return stats.Add(tx, stats.Key{Day: tx.Now, Department: c.DepartmentID, ItemCode: c.ItemCode, Region: c.Region}, d)
}
