package cases

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/notify"
)

// New work (新到待办). A case entering a step is its holders' new work.
// It used to be written as one notification to each holder at every step:
// half of a case's notifications, growing with the size of a department,
// and the larger part of what telling people cost a case (issue 16). Now a
// staff member's new work is read from their inbox list — the cases waiting
// for them that changed since they last looked (work_seen.seen_at) — on the
// notification page, in the unread badge and through the API; and the staff
// who chose a channel are told of it in one digest at most every
// NewWorkEvery (TellNewWork), not one message a case.

// NewWorkShown is how many of the newest cases the inbox lists.
const NewWorkShown = 10

// NewWorkEvery is how often at most the digest tells a staff member.
const NewWorkEvery = 30 * time.Minute

// NewWorkLease is the digest's lease: one replica tells at a time.
const NewWorkLease = "new-work"

// NewWork is a staff member's new work.
type NewWork struct {
	Count int        `json:"count"`           // up to CountCap (shown "99+")
	Since *time.Time `json:"since,omitempty"` // when they last looked; absent: never
	Cases []Case     `json:"cases"`           // the newest changes first, at most NewWorkShown
}

// workSeen reads when u last looked at their new work and was last told.
func workSeen(tx *db.Tx, userID string) (seen, told *time.Time, err error) {
	err = tx.QueryRow(`SELECT seen_at, told_at FROM work_seen WHERE user_id = $1`, userID).Scan(&seen, &told)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, nil
	}
	return seen, told, err
}

// never is the start of new work for who has never looked: every case
// waiting for them is new.
var never = time.Unix(0, 0).UTC()

// NewWork lists u's new work; nothing for anyone but staff.
func (s *Service) NewWork(ctx context.Context, u *identity.User) (NewWork, error) {
	out := NewWork{Cases: []Case{}}
	if u == nil {
		return out, apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	if u.Kind != identity.KindStaff {
		return out, nil
	}
	var seen *time.Time
	if err := s.db.View(ctx, func(tx *db.Tx) (err error) {
		seen, _, err = workSeen(tx, u.ID)
		return err
	}); err != nil {
		return out, apperr.Internalf("cases: new work", err)
	}
	since := never
	if seen != nil {
		t := seen.UTC()
		out.Since, since = &t, t
	}
	list, _, err := s.List(ctx, u, Filter{Tab: TabTodo, ChangedSince: &since, PerPage: NewWorkShown})
	if err != nil {
		return out, err
	}
	out.Cases = list
	out.Count, err = s.countNewWork(ctx, u, since)
	return out, err
}

// NewWorkCount is how many cases of u's new work there are, up to
// CountCap: the unread badge adds it (staff only).
func (s *Service) NewWorkCount(ctx context.Context, u *identity.User) (int, error) {
	if u == nil || u.Kind != identity.KindStaff {
		return 0, nil
	}
	var seen *time.Time
	if err := s.db.View(ctx, func(tx *db.Tx) (err error) {
		seen, _, err = workSeen(tx, u.ID)
		return err
	}); err != nil {
		return 0, apperr.Internalf("cases: new work", err)
	}
	since := never
	if seen != nil {
		since = seen.UTC()
	}
	return s.countNewWork(ctx, u, since)
}

func (s *Service) countNewWork(ctx context.Context, u *identity.User, since time.Time) (int, error) {
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	cond := s.where(u, Filter{Tab: TabTodo, ChangedSince: &since}, arg)
	if cond == "" {
		return 0, nil
	}
	var n int
	err := s.db.View(ctx, func(tx *db.Tx) error {
		return tx.QueryRow(fmt.Sprintf(`SELECT COUNT(*) FROM (SELECT 1 FROM cases c%s LIMIT %d) capped`, cond, CountCap), args...).Scan(&n)
	})
	return n, apperr.Internalf("cases: new work", err)
}

// SeenWork records that u looked at their new work now (the inbox page,
// the workbench's 待办, or marking notifications read).
func (s *Service) SeenWork(ctx context.Context, u *identity.User) error {
	if u == nil || u.Kind != identity.KindStaff {
		return nil
	}
	return apperr.Internalf("cases: seen work", s.db.Update(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(`INSERT INTO work_seen (user_id, seen_at) VALUES ($1, $2)
			ON CONFLICT (user_id) DO UPDATE SET seen_at = excluded.seen_at`, u.ID, tx.Now)
		return err
	}))
}

// NoticeNewWork is the digest's notification kind.
const NoticeNewWork = "new_work"

// TellNewWork tells each of the staff named (those who chose a channel)
// of the new work they have not seen nor been told of, in one notification
// — "您有 N 件新的待办件" — and at most once every NewWorkEvery. It returns
// how many were told. A staff member who cannot be read (closed) is skipped.
func (s *Service) TellNewWork(ctx context.Context, staff []string) (int, error) {
	told := 0
	for _, id := range staff {
		u, err := s.identity.UserByID(ctx, id)
		if err != nil || u.Kind != identity.KindStaff || u.Disabled {
			continue
		}
		var seen, last *time.Time
		if err := s.db.View(ctx, func(tx *db.Tx) (err error) {
			seen, last, err = workSeen(tx, u.ID)
			return err
		}); err != nil {
			return told, apperr.Internalf("cases: tell new work", err)
		}
		now := s.Now()
		if last != nil && now.Sub(*last) < NewWorkEvery {
			continue
		}
		since := never
		for _, t := range []*time.Time{seen, last} {
			if t != nil && t.After(since) {
				since = t.UTC()
			}
		}
		n, err := s.countNewWork(ctx, u, since)
		if err != nil {
			return told, err
		}
		if n == 0 {
			continue
		}
		count := fmt.Sprint(n)
		if n >= CountCap {
			count = fmt.Sprintf("%d+", CountCap-1)
		}
		err = s.db.Update(ctx, func(tx *db.Tx) error {
			if _, err := tx.Exec(`INSERT INTO work_seen (user_id, told_at) VALUES ($1, $2)
				ON CONFLICT (user_id) DO UPDATE SET told_at = excluded.told_at`, u.ID, tx.Now); err != nil {
				return err
			}
			return notify.Send(tx, u.ID, "", NoticeNewWork, notify.Message{Key: "notify." + NoticeNewWork, Args: map[string]any{"count": count}},
				NoticeNewWork+"|"+tx.Now.UTC().Format(time.RFC3339Nano))
		})
		if err != nil {
			return told, apperr.Internalf("cases: tell new work", err)
		}
		told++
	}
	return told, nil
}

// TellNewWorkIfHeld tells of new work when holder holds the lease (or
// takes it) for ttl.
func (s *Service) TellNewWorkIfHeld(ctx context.Context, holder string, ttl time.Duration, staff func(context.Context) ([]string, error)) (int, error) {
	held, err := s.db.Lease(ctx, NewWorkLease, holder, ttl)
	if err != nil || !held {
		return 0, err
	}
	ids, err := staff(ctx)
	if err != nil {
		return 0, err
	}
	n, err := s.TellNewWork(ctx, ids)
	if err != nil {
		return n, err
	}
	return n, s.db.LeaseRan(ctx, NewWorkLease, holder)
}
