package cases

import (
	"strconv"

	"github.com/tongban/tongban/internal/anomaly"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/stats"
	"github.com/tongban/tongban/internal/workflow"
)

// flag raises the anomalies a transition shows (R4.4), in its transaction.
func flag(tx *db.Tx, c *Case, it *catalog.Item, mv workflow.Move, wasConcluded bool) error {
	cause := strconv.Itoa(c.Rev)
	raise := func(kind string, detail map[string]any) error {
		return anomaly.Raise(tx, c.ID, kind, cause, c.DepartmentID, c.Region, detail)
	}
	// Reopened: a case already concluded (办结) is moved back where a clock
	// runs or the applicant edits — which no process of ours allows, so it
	// shows a process changed or a record edited to undo a conclusion.
	if wasConcluded && (mv.To.Clock != "" || mv.To.Editable) {
		if err := raise(anomaly.Reopened, map[string]any{"from": "state." + mv.From.Key, "to": "state." + mv.To.Key}); err != nil {
			return err
		}
	}
	for _, e := range mv.Action.Effects {
		switch e {
		case workflow.EffectGrant, workflow.EffectDeny:
			// 告知承诺: the acceptance is the decision, by design (国办发〔2020〕42号) —
			// a decision at once on the applicant's promise is no 事后录入.
			if c.AcceptedAt != nil && !c.Commitment && anomaly.IsAfterTheFact(it.Handling == 2, int(c.PromisedLimit), *c.AcceptedAt, tx.Now) {
				mins := int(tx.Now.Sub(*c.AcceptedAt).Minutes())
				if err := raise(anomaly.AfterTheFact, map[string]any{"minutes": mins, "promised": c.PromisedLimit.String()}); err != nil {
					return err
				}
			}
		}
		if (e == workflow.EffectRefuse || e == workflow.EffectDeny) && anomaly.IsBoilerplate(c.Reason) {
			if err := raise(anomaly.Boilerplate, map[string]any{"reason": c.Reason, "action": "action." + mv.Action.Key}); err != nil {
				return err
			}
		}
	}
	return nil
}

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
