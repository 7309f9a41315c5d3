package cases

import (
	"context"
	"fmt"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/db"
)

// SyncCalendars compares the holiday calendars loaded now with those the
// deployment last ran with, and recounts the running deadlines of the cases
// due in every year whose notice arrived or changed since: a deadline
// counted Monday to Friday under the weekday fallback (STANDARDS.md §4) then
// takes the notice's days off and make-up days into account. The first run
// only records what is loaded. Returns the years recounted and the cases
// whose deadlines moved.
func (s *Service) SyncCalendars(ctx context.Context) ([]int, int, error) {
	loaded := s.calendars.Sources()
	stored := map[string]string{}
	err := s.db.View(ctx, func(tx *db.Tx) error {
		rows, err := tx.Query(`SELECT scope, year, source FROM calendar_years`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var scope, source string
			var year int
			if err := rows.Scan(&scope, &year, &source); err != nil {
				return err
			}
			stored[fmt.Sprintf("%s|%d", scope, year)] = source
		}
		return rows.Err()
	})
	if err != nil {
		return nil, 0, apperr.Internalf("cases: calendar years", err)
	}
	var years []int
	seen := map[int]bool{}
	for _, y := range loaded {
		if src, ok := stored[fmt.Sprintf("%s|%d", y.Scope, y.Year)]; (!ok || src != y.Source) && len(stored) > 0 && !seen[y.Year] {
			seen[y.Year] = true
			years = append(years, y.Year)
		}
	}
	moved := 0
	for _, y := range years {
		n, err := s.recountYear(ctx, y)
		if err != nil {
			return nil, moved, err
		}
		moved += n
	}
	err = s.db.Update(ctx, func(tx *db.Tx) error {
		for _, y := range loaded {
			if _, err := tx.Exec(`INSERT INTO calendar_years (scope, year, source) VALUES ($1, $2, $3)
				ON CONFLICT (scope, year) DO UPDATE SET source = $3`, y.Scope, y.Year, y.Source); err != nil {
				return err
			}
		}
		return nil
	})
	return years, moved, apperr.Internalf("cases: record calendar years", err)
}

// recountYear recounts the open cases with a running deadline in year y,
// each in its own transaction.
func (s *Service) recountYear(ctx context.Context, y int) (int, error) {
	from := time.Date(y, 1, 1, 0, 0, 0, 0, calendar.China).UTC()
	to := time.Date(y+1, 1, 1, 0, 0, 0, 0, calendar.China).UTC()
	var ids []string
	err := s.db.View(ctx, func(tx *db.Tx) error {
		var err error
		// A deadline ending at midnight belongs to the day before: (from, to].
		ids, err = tx.Strings(`SELECT id FROM cases WHERE
			(due_at > $1 AND due_at <= $2) OR (pre_review_due_at > $1 AND pre_review_due_at <= $2)
			OR (notice_due_at > $1 AND notice_due_at <= $2) OR (step_due_at > $1 AND step_due_at <= $2)
			OR (tolerance_due_at > $1 AND tolerance_due_at <= $2) OR (verify_due_at > $1 AND verify_due_at <= $2)`, from, to)
		return err
	})
	if err != nil {
		return 0, apperr.Internalf("cases: recount", err)
	}
	moved := 0
	for _, id := range ids {
		err := s.db.Update(ctx, func(tx *db.Tx) error {
			c, err := s.load(tx, id)
			if err != nil {
				return err
			}
			before := c.columns()
			if err := s.recount(tx, c); err != nil {
				return err
			}
			changed := map[string]any{}
			for i, col := range c.columns() {
				if !same(before[i].value, col.value) {
					changed[col.name] = col.value
				}
			}
			if len(changed) == 0 {
				return nil
			}
			moved++
			changed["year"] = y
			return s.finish(tx, c, systemActor, "recount", "", changed)
		})
		if err != nil {
			return moved, apperr.Internalf("cases: recount", err)
		}
	}
	return moved, nil
}

// recount recomputes c's running deadlines from what started them, with
// the calendar loaded now — the same rules that set them (apply, accept,
// enterStep, the end of a pause). A decided case keeps its decision
// deadline (on-time figures were counted against it); only its
// post-verification deadline still runs.
func (s *Service) recount(tx *db.Tx, c *Case) error {
	cal := s.calendars.For(c.Region)
	set := func(p **time.Time, start *time.Time, l calendar.Limit) error {
		if *p == nil || start == nil {
			return nil
		}
		due, err := deadline(cal, *start, l)
		if err != nil {
			return err
		}
		*p = &due
		return nil
	}
	if c.VerifiedAt == nil {
		if err := set(&c.VerifyDueAt, c.AcceptedAt, s.Limits.VerifyDays); err != nil {
			return err
		}
	}
	if c.DecidedAt != nil || c.ConcludedAt != nil {
		return nil
	}
	it, err := s.catalog.ItemAt(tx, c.ItemCode, c.ItemVersion)
	if err != nil {
		return err
	}
	if err := set(&c.PreReviewDueAt, c.SubmittedAt, it.PreReview()); err != nil {
		return err
	}
	if err := set(&c.NoticeDueAt, c.SubmittedAt, NoticeLimit); err != nil {
		return err
	}
	if err := set(&c.ToleranceDueAt, c.AcceptedAt, max(c.PromisedLimit, calendar.Days(1))); err != nil {
		return err
	}
	if c.DueAt != nil && c.AcceptedAt != nil {
		if err := s.recomputeDue(c); err != nil {
			return err
		}
	}
	if c.StepDueAt != nil && c.StepStartedAt != nil {
		d, err := s.process(c)
		if err != nil {
			return err
		}
		if st, ok := d.State(c.State); ok {
			if l, ok := st.StepLimit(c.PromisedLimit + c.Extension); ok {
				if err := set(&c.StepDueAt, c.StepStartedAt, l+calendar.Days(c.StepPausedDays)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
