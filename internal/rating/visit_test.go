package rating

import (
	"fmt"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/demo"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/stats"
)

// 一次一评: a hall visit is rated once, anonymous or by its account, within
// the window from the end of service; a bad rating opens an order whose
// 回访 is by phone when nobody is known.
func TestRateVisit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		v := Visit{TicketID: db.NewID(), TicketNo: "A012", Dept: f.deptID(), Region: demo.Region, ServedAt: f.Now().Add(-time.Hour)}
		if _, err := f.svc.RateVisit(f.Ctx, Visit{}, Input{Level: Satisfied, Channel: "hall_tablet"}); err == nil {
			t.Fatal("a visit without a ticket")
		}
		_, err := f.svc.RateVisit(f.Ctx, v, Input{Level: Dissatisfied, Channel: "hall_tablet"})
		refused(t, err, apperr.Invalid, "rating.indicator_required")
		r, err := f.svc.RateVisit(f.Ctx, v, Input{Level: Dissatisfied, Indicators: []string{"onsite.long_wait"}, Channel: "hall_tablet"})
		if err != nil || r.OrderID == "" || r.SubjectKind != SubjectVisit {
			t.Fatalf("visit rating %+v %v", r, err)
		}
		_, err = f.svc.RateVisit(f.Ctx, v, Input{Level: VerySatisfied, Channel: "hall_tablet"})
		refused(t, err, apperr.Conflict, "rating.visit_rated")
		_, err = f.svc.RateVisit(f.Ctx, v, Input{Kind: KindFollowUp, Level: VerySatisfied, Channel: "hall_tablet"})
		refused(t, err, apperr.Conflict, "rating.follow_up_visit")
		late := Visit{TicketID: db.NewID(), TicketNo: "A013", Dept: v.Dept, Region: demo.Region, ServedAt: f.Now().Add(-8 * 24 * time.Hour)}
		_, err = f.svc.RateVisit(f.Ctx, late, Input{Level: VerySatisfied, Channel: "qr"})
		refused(t, err, apperr.Conflict, "rating.window_closed")
		// The department works the order; the anonymous visitor's 回访 is by phone.
		for _, in := range []OrderInput{{Action: "verify", Note: "属实。"}, {Action: "rectify", Note: "增开窗口。"}, {Action: "revisit", Answer: "satisfied", Note: "电话回访"}} {
			if _, err := f.svc.Act(f.Ctx, f.Users["handler"], r.OrderID, in); err != nil {
				t.Fatalf("%s: %v", in.Action, err)
			}
		}
		o, err := f.svc.Order(f.Ctx, f.Users["handler"], r.OrderID)
		if err != nil || o.RevisitBy != "phone" || o.SubjectKind != SubjectVisit || o.CaseNo != "A012" {
			t.Fatalf("order %+v %v", o, err)
		}
		if n := f.count(`SELECT COUNT(*) FROM notify_pending WHERE kind = 'rating_rectified'`); n != 0 {
			t.Fatalf("%d notifications to nobody", n)
		}
	})
}

// ticket writes a queue ticket of the demo county's hall in state, taken
// with person's account ("" for none), finished ago before now by the
// handler when done (the queue's own tests cover how tickets get there).
func (f *fixture) ticket(state, person string, ago time.Duration) string {
	f.t.Helper()
	id := db.NewID()
	err := f.DB.Update(f.Ctx, func(tx *db.Tx) error {
		var hall, svc, impl string
		if err := tx.QueryRow(`SELECT id FROM halls WHERE region_code = $1 ORDER BY id LIMIT 1`, demo.Region).Scan(&hall); err != nil {
			return err
		}
		if err := tx.QueryRow(`SELECT impl_code FROM cases ORDER BY id LIMIT 1`).Scan(&impl); err != nil {
			return err
		}
		if err := tx.QueryRow(`SELECT id FROM hall_services WHERE hall_id = $1 AND prefix = 'R'`, hall).Scan(&svc); err != nil {
			svc = db.NewID()
			if _, err := tx.Exec(`INSERT INTO hall_services (id, hall_id, prefix, name, minutes, created_at) VALUES ($1, $2, 'R', '综合', 10, $3)`, svc, hall, tx.Now); err != nil {
				return err
			}
		}
		var seq int
		if err := tx.QueryRow(`SELECT COUNT(*) + 1 FROM queue_tickets`).Scan(&seq); err != nil {
			return err
		}
		var finished any
		if state == "done" {
			finished = tx.Now.Add(-ago)
		}
		var pid any
		if person != "" {
			pid = person
		}
		if _, err := tx.Exec(`INSERT INTO queue_tickets (id, hall_id, service_id, day, prefix, seq, number, priority, rank, source, person_id, state,
			taken_at, queued_at, staff_id, finished_at, outcome, impl_code, changed_at)
			VALUES ($1, $2, $3, '2026-09-28', 'R', $4, $5, 'normal', 0, 'kiosk', $6, $7, $8, $8, $9, $10, $11, $12, $8)`,
			id, hall, svc, seq, fmt.Sprintf("R%03d", seq), pid, state, tx.Now.Add(-ago-time.Hour), f.Users["handler"].ID, finished,
			map[bool]string{true: "case"}[state == "done"], map[bool]string{true: impl}[state == "done"]); err != nil {
			return err
		}
		if state == "done" {
			_, err := tx.Exec(`INSERT INTO ticket_events (id, ticket_id, hall_id, kind, staff_id, detail, at) VALUES ($1, $2, $3, 'finish', $4, 'case', $5)`,
				db.NewID(), id, hall, f.Users["handler"].ID, finished)
			return err
		}
		return nil
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return id
}

// 一次一评 by the ticket: only a served ticket, once, never by staff, by
// its own account or anonymously; every refusal writes nothing.
func TestRateTicket(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		zs, other := f.Users["zhangsan"], f.Users["legalrep"]
		anon := f.ticket("done", "", time.Hour)
		mine := f.ticket("done", zs.ID, time.Hour)
		theirs := f.ticket("done", other.ID, time.Hour)
		waiting := f.ticket("waiting", "", 0)
		late := f.ticket("done", "", 8*24*time.Hour)
		good := Input{Level: VerySatisfied, Channel: "qr"}
		for _, c := range []struct {
			name   string
			u      *identity.User
			ticket string
			in     Input
			code   apperr.Code
			key    string
		}{
			{"staff never rate", f.Users["handler"], anon, good, apperr.Forbidden, "rating.staff"},
			{"not served yet", nil, waiting, good, apperr.Conflict, "rating.visit_not_served"},
			{"unknown ticket", nil, db.NewID(), good, apperr.NotFound, "queue.ticket_unknown"},
			{"another account's ticket", zs, theirs, good, apperr.Forbidden, "rating.visit_not_yours"},
			{"a bad rating needs an indicator", nil, anon, Input{Level: Dissatisfied, Channel: "qr"}, apperr.Invalid, "rating.indicator_required"},
			{"an unknown indicator", nil, anon, Input{Level: Dissatisfied, Indicators: []string{"onsite.nope"}, Channel: "qr"}, apperr.Invalid, "rating.indicator_unknown"},
			{"an unknown channel", nil, anon, Input{Level: Satisfied, Channel: "fax"}, apperr.Invalid, "rating.channel_unknown"},
			{"no follow-up", nil, anon, Input{Kind: KindFollowUp, Level: Satisfied, Channel: "qr"}, apperr.Conflict, "rating.follow_up_visit"},
			{"after the window", nil, late, good, apperr.Conflict, "rating.window_closed"},
		} {
			_, err := f.svc.RateTicket(f.Ctx, c.u, c.ticket, c.in)
			refused(t, err, c.code, c.key)
		}
		if n := f.count(`SELECT COUNT(*) FROM ratings WHERE subject_kind = 'visit'`); n != 0 {
			t.Fatalf("refusals wrote %d ratings", n)
		}
		if rated, err := f.svc.TicketRated(f.Ctx, anon); err != nil || rated {
			t.Fatalf("rated before a rating: %v %v", rated, err)
		}
		r, err := f.svc.RateTicket(f.Ctx, nil, anon, good)
		if err != nil || r.SubjectKind != SubjectVisit || r.SubjectID != anon || r.RaterID != "" || r.DepartmentID != f.deptID() ||
			r.Region != demo.Region || len(r.StaffIDs) != 1 || r.StaffIDs[0] != f.Users["handler"].ID || r.ItemCode == "" || r.Channel != "qr" {
			t.Fatalf("anonymous visit rating %+v %v", r, err)
		}
		if rated, err := f.svc.TicketRated(f.Ctx, anon); err != nil || !rated {
			t.Fatalf("not rated after a rating: %v %v", rated, err)
		}
		_, err = f.svc.RateTicket(f.Ctx, zs, anon, good)
		refused(t, err, apperr.Conflict, "rating.visit_rated")
		r, err = f.svc.RateTicket(f.Ctx, zs, mine, Input{Level: VeryDissatisfied, Indicators: []string{"onsite.attitude"}, Channel: "hall_tablet"})
		if err != nil || r.RaterID != zs.ID || r.OrderID == "" {
			t.Fatalf("own visit, bad: %+v %v", r, err)
		}
		if n := f.count(`SELECT COUNT(*) FROM ratings WHERE subject_kind = 'visit'`); n != 2 {
			t.Fatalf("%d visit ratings, want 2", n)
		}
		// The figures: visits count in 满意度 and 差评数, not in 评价率
		// (ratings of cases / concluded cases).
		sum, err := stats.Summarize(f.Ctx, d, stats.Query{From: calendar.Date{Year: 2026, Month: 9, Day: 1}, To: calendar.Date{Year: 2026, Month: 10, Day: 31}, Region: demo.Region, Items: true})
		if err != nil {
			t.Fatal(err)
		}
		tot := sum.Totals
		if tot.Rated != 2 || tot.RatedCases != 0 || tot.Satisfied != 1 || tot.Bad != 1 || tot.Satisfaction != 0.5 || tot.RatingRate != 0 || tot.Concluded == 0 {
			t.Fatalf("totals with visits %+v", tot)
		}
		var byDept int
		for _, dp := range sum.Departments {
			byDept += dp.Rated
		}
		if byDept != 2 {
			t.Fatalf("by department %d, want 2", byDept)
		}
		m, err := stats.BuildMonthly(f.Ctx, d, "2026-09", demo.Region, "", f.Now())
		if err != nil || m.Total.Rated != 2 || m.Total.RatedCases != 0 || m.Total.Bad != 1 {
			t.Fatalf("monthly %+v %v", m.Total, err)
		}
	})
}
