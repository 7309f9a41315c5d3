package synth

import (
	"context"
	"fmt"
	"time"

	"math/rand/v2"

	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/stats"
	"github.com/tongban/tongban/internal/workflow"
)

type gen struct {
	d       Deps
	o       Options
	r       *rand.Rand
	items   []item
	total   int
	apps    []*identity.Applicant
	serials map[string]int // impl code|yyyyMMdd → last serial
	figures map[stats.Key]*stats.Delta
	rep     *Report
}

// synthCase is one case with its events, as rows.
type synthCase struct {
	id, no, itemID, impl, name, dept, region, process, state, status, channel string
	version, rev, promised                                                    int
	app                                                                       *identity.Applicant
	values                                                                    string
	clock                                                                     string
	submitted, accepted, decided, concluded, delivered, pausedSince           *time.Time
	stepStarted, due, preDue, noticeDue, stepDue                              *time.Time
	decision, reason, delivery                                                string
	created, updated                                                          time.Time
	events                                                                    []event
}

type event struct {
	action, from, to, role, reason string
	at                             time.Time
}

func (g *gen) loadSerials(ctx context.Context) error {
	return g.d.DB.View(ctx, func(tx *db.Tx) error {
		rows, err := tx.Query(`SELECT impl_code, day, MAX(block * 100000 + last) FROM case_serials GROUP BY impl_code, day`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var impl, day string
			var last int
			if err := rows.Scan(&impl, &day, &last); err != nil {
				return err
			}
			g.serials[impl+"|"+day] = last
		}
		return rows.Err()
	})
}

func (g *gen) pick() item {
	n := g.r.IntN(g.total)
	for _, it := range g.items {
		if n < it.weight {
			return it
		}
		n -= it.weight
	}
	return g.items[len(g.items)-1]
}

// officeHour is a random instant in the office hours of a working day d.
func (g *gen) officeHour(d calendar.Date) time.Time {
	minute := 9*60 + g.r.IntN(8*60)
	return d.Start(calendar.China).Add(time.Duration(minute) * time.Minute).UTC()
}

// workday is a random working day in [from, to].
func (g *gen) workday(cal *calendar.Calendar, from, to calendar.Date) (calendar.Date, error) {
	n, err := cal.WorkdaysBetween(from, to)
	if err != nil || n == 0 {
		return to, err
	}
	return cal.AddWorkdays(from, 1+g.r.IntN(n))
}

func (g *gen) later(cal *calendar.Calendar, t time.Time, workdays int) (time.Time, error) {
	d, err := cal.AddWorkdays(calendar.DateIn(t), workdays)
	if err != nil {
		return t, err
	}
	if workdays == 0 {
		return t.Add(time.Duration(10+g.r.IntN(90)) * time.Minute), nil
	}
	return g.officeHour(d), nil
}

func due(cal *calendar.Calendar, start time.Time, l calendar.Limit) (time.Time, error) {
	m, err := cal.Deadline(calendar.DateIn(start), l)
	if err != nil {
		return time.Time{}, err
	}
	return m.Time(calendar.China).UTC(), nil
}

func (g *gen) count(k stats.Key, f func(*stats.Delta)) {
	k.Day = calendar.DateIn(k.Day).Start(calendar.China)
	d := g.figures[k]
	if d == nil {
		d = &stats.Delta{}
		g.figures[k] = d
	}
	f(d)
}

// one makes a case: filed on a working day of the period, then taken as
// far as its age and luck allow.
func (g *gen) one() (*synthCase, error) {
	it := g.pick()
	cal := g.d.Calendars.For(it.it.Region)
	now := g.o.Now
	today := calendar.DateIn(now)
	first := calendar.DateIn(now.AddDate(0, -g.o.Months, 0))
	if g.o.OpenOnly {
		first = today.AddDays(-365) // a year's backlog, still open
	}
	day, err := g.workday(cal, first, today)
	if err != nil {
		return nil, err
	}
	sub := g.officeHour(day)
	if sub.After(now) {
		sub = now.Add(-time.Duration(1+g.r.IntN(60)) * time.Minute)
	}
	app := g.apps[g.r.IntN(len(g.apps))]
	c := &synthCase{id: db.NewID(), itemID: it.id, impl: it.it.ImplCode, name: it.it.Name, dept: it.dept, region: it.it.Region,
		process: it.proc.Ref(), version: it.version, app: app, promised: int(it.it.Promised()), created: sub, submitted: &sub,
		channel: cases.ChannelOnline}
	if g.r.IntN(100) < 28 {
		c.channel = cases.ChannelWindow
	}
	c.values = cases.SealValues(g.d.Identity.Vault(), c.id, catalog.Values{"applicant_name": {app.Name}})
	key := it.it.ImplCode + "|" + ymd(sub)
	g.serials[key]++
	if g.serials[key] > codes.SerialBlock {
		// Synthesised serials fill the day's first block only.
		return nil, fmt.Errorf("synth: more than %d cases of %s on one day: spread them over more months", codes.SerialBlock, it.it.Name)
	}
	c.no = codes.CaseNo(it.it.ImplCode, calendar.DateIn(sub).Start(calendar.China), g.serials[key])
	who := "applicant"
	if c.channel == cases.ChannelWindow {
		who = "clerk"
	}
	c.ev("create", "", "draft", who, "", sub)
	c.ev("submit", "draft", "pre_review", who, "", sub)
	k := stats.Key{Department: c.dept, ItemCode: c.impl, Region: c.region}
	k.Day = sub
	g.count(k, func(d *stats.Delta) {
		d.Submitted++
		if c.channel == cases.ChannelOnline {
			d.Online++
		}
	})
	pre, _ := due(cal, sub, it.it.PreReview())
	notice, _ := due(cal, sub, cases.NoticeLimit)
	c.state, c.status, c.clock, c.preDue, c.noticeDue = "pre_review", "pre_review", "pre_review", &pre, &notice

	// Pre-review: the window accepts at once; online, within two working days,
	// after a correction for one in ten, refused for one in thirty.
	roll := g.r.IntN(1000)
	acceptAt := sub
	if c.channel == cases.ChannelOnline {
		if acceptAt, err = g.later(cal, sub, g.r.IntN(3)); err != nil {
			return nil, err
		}
		if roll < 100 {
			corr, _ := g.later(cal, sub, 1)
			if corr.After(now) {
				return g.done(c), nil
			}
			c.ev("request_correction", "pre_review", "correction", "clerk", "", corr)
			c.state, c.status, c.clock, c.preDue, c.noticeDue = "correction", "correction", "", nil, nil
			back, _ := g.later(cal, corr, 1+g.r.IntN(3))
			if back.After(now) || roll < 15 {
				return g.done(c), nil // still being corrected
			}
			c.ev("resubmit", "correction", "pre_review", "applicant", "", back)
			p2, _ := due(cal, back, it.it.PreReview())
			n2, _ := due(cal, back, cases.NoticeLimit)
			c.state, c.status, c.clock, c.preDue, c.noticeDue = "pre_review", "pre_review", "pre_review", &p2, &n2
			if acceptAt, err = g.later(cal, back, g.r.IntN(2)); err != nil {
				return nil, err
			}
		}
	}
	if g.o.OpenOnly {
		acceptAt = sub
	}
	if acceptAt.After(now) {
		return g.done(c), nil
	}
	switch {
	case !g.o.OpenOnly && roll >= 970:
		c.ev("refuse", c.state, "refused", "clerk", "申请事项不属于本机关职权范围。", acceptAt)
		c.state, c.status, c.clock, c.preDue, c.noticeDue, c.concluded = "refused", "refused", "", nil, nil, &acceptAt
		c.reason = "申请事项不属于本机关职权范围。"
		k.Day = acceptAt
		g.count(k, func(d *stats.Delta) { d.Refused++ })
		return g.done(c), nil
	case !g.o.OpenOnly && roll >= 955:
		c.ev("withdraw", c.state, "withdrawn", "applicant", "不再办理。", acceptAt)
		c.state, c.status, c.clock, c.preDue, c.noticeDue, c.concluded = "withdrawn", "withdrawn", "", nil, nil, &acceptAt
		k.Day = acceptAt
		g.count(k, func(d *stats.Delta) { d.Withdrawn++ })
		return g.done(c), nil
	}
	dueAt, err := due(cal, acceptAt, calendar.Limit(c.promised))
	if err != nil {
		return nil, err
	}
	if g.o.OpenOnly {
		// A large backlog: deadlines spread over the next three months, one
		// in fifty near or past (what a scanner pass has to look at).
		spread := 5 + g.r.IntN(60)
		if g.r.IntN(50) == 0 {
			spread = g.r.IntN(2)
		}
		if dueAt, err = due(cal, now.AddDate(0, 0, -spread/20), calendar.Days(spread)); err != nil {
			return nil, err
		}
	}
	c.accepted, c.due, c.preDue, c.noticeDue, c.clock = &acceptAt, &dueAt, nil, nil, "decision"
	k.Day = acceptAt
	g.count(k, func(d *stats.Delta) { d.Accepted++ })

	// The decision: most within the promise, some late; 即办件 at once.
	limitDays := c.promised / 2 // half working days
	took := 0
	if limitDays > 0 {
		took = g.r.IntN(limitDays + 1)
		if g.r.IntN(100) < 12 {
			took = limitDays + 1 + g.r.IntN(4)
		}
	}
	decideAt, err := g.later(cal, acceptAt, took)
	if err != nil {
		return nil, err
	}
	steps := decisionStates(it.proc)
	if g.o.OpenOnly || decideAt.After(now) || len(steps) == 0 && decideAt.After(now) {
		if len(steps) == 0 {
			return g.done(c), nil
		}
		// Open: somewhere in its steps; one in fifty in a special procedure.
		i := g.r.IntN(len(steps))
		from := "pre_review"
		for _, st := range steps[:i+1] {
			c.ev(map[bool]string{true: "accept", false: "pass"}[from == "pre_review"], from, st.Key, "handler", "", acceptAt)
			from = st.Key
		}
		st := steps[i]
		c.state, c.status, c.stepStarted = st.Key, st.Status, &acceptAt
		if l, ok := st.StepLimit(calendar.Limit(c.promised)); ok && !g.o.OpenOnly {
			sd, err := due(cal, acceptAt, l)
			if err == nil {
				c.stepDue = &sd
			}
		}
		if !g.o.OpenOnly && g.r.IntN(50) == 0 {
			c.clock, c.pausedSince, c.stepDue = string(cases.ClockPaused), &acceptAt, nil
		}
		return g.done(c), nil
	}
	from := "pre_review"
	for i, st := range steps {
		c.ev(map[bool]string{true: "accept", false: "pass"}[i == 0], from, st.Key, "handler", "", acceptAt)
		from = st.Key
	}
	action, decision := "grant", cases.Granted
	if g.r.IntN(100) < 4 {
		action, decision = "deny", cases.Denied
		c.reason = "不符合法定条件。"
	}
	c.ev(action, from, "concluded", "approver", c.reason, decideAt)
	c.state, c.status, c.clock, c.decision, c.decided, c.concluded = "concluded", "concluded", "", decision, &decideAt, &decideAt
	k.Day = decideAt
	onTime := !decideAt.After(dueAt)
	workdays, _ := cal.WorkdaysBetween(calendar.DateIn(acceptAt), calendar.DateIn(decideAt))
	g.count(k, func(d *stats.Delta) {
		d.Concluded++
		if decision == cases.Granted {
			d.Granted++
		}
		if onTime {
			d.OnTime++
		}
		if calendar.DateIn(acceptAt) == calendar.DateIn(decideAt) {
			d.Instant++
		}
		d.Workdays += workdays
	})
	if !onTime {
		// The cards the scanner would have shown on the way.
		if y, err := cal.AddWorkdays(calendar.DateIn(dueAt.Add(-time.Nanosecond)), 1); err == nil && !calendar.DateIn(decideAt).Before(y) {
			k.Day = y.Start(calendar.China)
			g.count(k, func(d *stats.Delta) { d.Yellow++ })
		}
		if rd, err := cal.AddWorkdays(calendar.DateIn(dueAt.Add(-time.Nanosecond)), 2); err == nil && !calendar.DateIn(decideAt).Before(rd) {
			k.Day = rd.Start(calendar.China)
			g.count(k, func(d *stats.Delta) { d.Red++ })
		}
	}
	if deliverAt, err := g.later(cal, decideAt, 1); err == nil && !deliverAt.After(now) {
		c.ev("deliver", "concluded", "delivered", "clerk", "", deliverAt)
		c.state, c.status, c.delivered, c.delivery = "delivered", "delivered", &deliverAt, "window"
	}
	return g.done(c), nil
}

func decisionStates(d *workflow.Definition) []workflow.State {
	var out []workflow.State
	for _, st := range d.States {
		if st.Clock == workflow.ClockDecision {
			out = append(out, st)
		}
	}
	return out
}

func (c *synthCase) ev(action, from, to, role, reason string, at time.Time) {
	c.events = append(c.events, event{action, from, to, role, reason, at})
}

func (g *gen) done(c *synthCase) *synthCase {
	c.rev = len(c.events)
	c.updated = c.events[len(c.events)-1].at
	g.rep.ByState[c.state]++
	return c
}

func ymd(t time.Time) string { return calendar.DateIn(t).Start(calendar.China).Format("20060102") }

// write inserts a batch of cases with their events.
func write(tx *db.Tx, cs []*synthCase) error {
	for _, c := range cs {
		_, err := tx.Exec(`INSERT INTO cases (id, case_no, item_id, impl_code, item_version, item_name, department_id, region_code, process,
			state, status, applicant_id, applicant_name, applicant_kind, applicant_masked, channel, created_by, form_values, answers, rev,
			promised_limit, paused_since, step_started_at, submitted_at, accepted_at, decided_at, concluded_at, delivered_at, decision,
			decision_reason, delivery_method, clock, due_at, pre_review_due_at, notice_due_at, step_due_at, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, '{}', $19, $20, $21, $22, $23, $24,
			$25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35, $36, $37)`,
			c.id, c.no, c.itemID, c.impl, c.version, c.name, c.dept, c.region, c.process, c.state, c.status, c.app.UserID, c.app.Name,
			string(c.app.Kind), c.app.Masked, c.channel, c.app.UserID, c.values, c.rev, c.promised, utc(c.pausedSince), utc(c.stepStarted),
			utc(c.submitted), utc(c.accepted), utc(c.decided), utc(c.concluded), utc(c.delivered), c.decision, c.reason, c.delivery, c.clock,
			utc(c.due), utc(c.preDue), utc(c.noticeDue), utc(c.stepDue), c.created.UTC(), c.updated.UTC())
		if err != nil {
			return err
		}
		for i, e := range c.events {
			if _, err := tx.Exec(`INSERT INTO case_events (id, case_id, seq, action, from_state, to_state, actor_name, actor_role, reason, at)
				VALUES ($1, $2, $3, $4, $5, $6, '模拟数据', $7, $8, $9)`, db.NewID(), c.id, i+1, e.action, e.from, e.to, e.role, e.reason, e.at.UTC()); err != nil {
				return err
			}
		}
	}
	return nil
}

// utc is t in UTC, as the engine writes every instant: SQLite compares
// stored instants as text, so one written in China time would sort (and
// page) eight hours out of place.
func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// finish writes the case-number serials and the daily figures.
func (g *gen) finish(ctx context.Context) error {
	return g.d.DB.Update(ctx, func(tx *db.Tx) error {
		for key, last := range g.serials {
			impl, day := key[:len(key)-9], key[len(key)-8:]
			if _, err := tx.Exec(`INSERT INTO case_serials (impl_code, day, block, last) VALUES ($1, $2, 0, $3)
				ON CONFLICT (impl_code, day, block) DO UPDATE SET last = CASE WHEN case_serials.last > excluded.last THEN case_serials.last ELSE excluded.last END`,
				impl, day, last); err != nil {
				return err
			}
		}
		var days []calendar.Date
		for k, d := range g.figures {
			if err := stats.Add(tx, k, *d); err != nil {
				return err
			}
			days = append(days, calendar.DateIn(k.Day))
		}
		// Past days changed: their months are summed again.
		return stats.Invalidate(tx, days)
	})
}
