package cases_test

import (
	"testing"
	"time"

	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/notify"
)

// 新到待办: the handler's new work counts the cases that came into their
// inbox since they last looked, not their own changes; the digest tells
// them once per NewWorkEvery, only of what they have neither seen nor been
// told, and nobody but staff has new work.
func TestNewWorkDigest(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		handler := f.users["handler"]
		count := func() int {
			t.Helper()
			n, err := f.svc.NewWorkCount(f.ctx, handler)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		digests := func() int {
			t.Helper()
			if _, err := notify.Settle(f.ctx, f.db); err != nil {
				t.Fatal(err)
			}
			var n int
			if err := f.db.View(f.ctx, func(tx *db.Tx) error {
				return tx.QueryRow(`SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND kind = 'new_work'`, handler.ID).Scan(&n)
			}); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if err := f.svc.SeenWork(f.ctx, handler); err != nil {
			t.Fatal(err)
		}
		f.Advance(time.Minute)
		a := f.act("clerk", f.submitSoleTrader(), cases.ActionRequest{Action: "accept"})
		f.act("clerk", f.submitSoleTrader(), cases.ActionRequest{Action: "accept"})
		if n := count(); n != 2 {
			t.Fatalf("two accepted cases: %d new", n)
		}
		// Their own comment is not new to them.
		f.Advance(time.Minute)
		if err := f.svc.SeenWork(f.ctx, handler); err != nil {
			t.Fatal(err)
		}
		f.Advance(time.Minute)
		f.act("handler", a, cases.ActionRequest{Action: "comment", Comment: "已核对"})
		if n := count(); n != 0 {
			t.Errorf("after their own comment: %d new", n)
		}
		// The digest: the two cases arrived before the last look, so nothing.
		if n, err := f.svc.TellNewWork(f.ctx, []string{handler.ID}); err != nil || n != 0 {
			t.Fatalf("digest with nothing new: %d %v", n, err)
		}
		f.Advance(time.Minute)
		f.act("clerk", f.submitSoleTrader(), cases.ActionRequest{Action: "accept"})
		if n, err := f.svc.TellNewWork(f.ctx, []string{handler.ID, f.users["zhangsan"].ID}); err != nil || n != 1 {
			t.Fatalf("digest of one new case: %d told, %v", n, err)
		}
		if n := digests(); n != 1 {
			t.Errorf("%d digests", n)
		}
		// Within NewWorkEvery another case waits for the next digest.
		f.Advance(time.Minute)
		f.act("clerk", f.submitSoleTrader(), cases.ActionRequest{Action: "accept"})
		if n, _ := f.svc.TellNewWork(f.ctx, []string{handler.ID}); n != 0 {
			t.Errorf("told again within %s", cases.NewWorkEvery)
		}
		f.Advance(cases.NewWorkEvery)
		if n, _ := f.svc.TellNewWork(f.ctx, []string{handler.ID}); n != 1 {
			t.Errorf("not told of the later case after %s", cases.NewWorkEvery)
		}
		// Told of it, nothing more until something else arrives.
		f.Advance(cases.NewWorkEvery)
		if n, _ := f.svc.TellNewWork(f.ctx, []string{handler.ID}); n != 0 {
			t.Errorf("told twice of the same case")
		}
		if n := digests(); n != 2 {
			t.Errorf("%d digests", n)
		}
		// An applicant has no new work.
		if w, err := f.svc.NewWork(f.ctx, f.users["zhangsan"]); err != nil || w.Count != 0 || len(w.Cases) != 0 {
			t.Errorf("an applicant's new work: %+v %v", w, err)
		}
		// Never looked: everything waiting for them is new, but the case
		// they commented on last; the newest change first.
		if err := f.db.Update(f.ctx, func(tx *db.Tx) error {
			_, err := tx.Exec(`DELETE FROM work_seen`)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		w, err := f.svc.NewWork(f.ctx, handler)
		if err != nil || w.Since != nil || w.Count != 3 || len(w.Cases) != 3 || w.Cases[0].UpdatedAt.Before(w.Cases[2].UpdatedAt) {
			t.Errorf("never looked: %d %v %v", w.Count, w.Since, err)
		}
	})
}
