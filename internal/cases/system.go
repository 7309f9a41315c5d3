package cases

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/notify"
	"github.com/tongban/tongban/internal/workflow"
)

// The platform acting by rule (electronic supervision's escalation rules):
// no user, its own role on the timeline.

// SystemRole names the platform on timelines.
const SystemRole = "system"

// SystemUserID is the platform's own account (migration 00007), which cannot
// sign in: documents issued by rule are issued in its name.
const SystemUserID = "00000000-0000-7000-8000-000000000001"

var systemActor = actor{ID: SystemUserID, Name: "电子监察系统", Role: SystemRole}

// Deem accepts a case whose Art. 32 limit for the correction notice ran out
// while it waited in pre-review. 行政许可法 Art. 32: an agency that does not
// list the corrections within five days is taken to have accepted the
// application on the day it received it — so the decision clock counts from
// the submission, not from now. Conflict when the case is no longer waiting
// or its limit has not passed (somebody acted first).
func (s *Service) Deem(ctx context.Context, caseID string) error {
	return apperr.Internalf("cases: deem", s.db.Update(ctx, func(tx *db.Tx) error {
		c, err := s.load(tx, caseID)
		if err != nil {
			return err
		}
		if c.NoticeDueAt == nil || tx.Now.Before(*c.NoticeDueAt) || c.SubmittedAt == nil {
			return apperr.E(apperr.Conflict, "case.changed", "ref", c.Ref())
		}
		d, err := s.process(c)
		if err != nil {
			return err
		}
		roles := acceptRoles(d, c.State)
		if roles == nil {
			return apperr.E(apperr.Conflict, "case.changed", "ref", c.Ref())
		}
		it, err := s.catalog.ItemAt(tx, c.ItemCode, c.ItemVersion)
		if err != nil {
			return err
		}
		if err := s.transition(tx, c, it, systemActor, roles, ActionRequest{Action: "accept", deemed: true, quiet: true,
			Reason: "行政许可法第三十二条：逾期不告知补正的，自收到申请材料之日起即为受理"}); err != nil {
			return err
		}
		// The applicant learns it, and so do those who now hold the case.
		msg := notify.Message{Key: "notify.deemed", Args: map[string]any{"case_no": c.No}}
		if err := s.tellParties(tx, c, "deemed", msg, "deemed|"+c.ID); err != nil {
			return err
		}
		return s.notifyHolders(tx, c, "deemed", msg)
	}))
}

// acceptRoles are the roles that may accept in state, or nil if none may.
func acceptRoles(d *workflow.Definition, state string) []string {
	return actionRoles(d, "accept", state)
}

// actionRoles are the roles that may take action in state, or nil if none may.
func actionRoles(d *workflow.Definition, action, state string) []string {
	for _, a := range d.Actions {
		if a.Key == action && slices.Contains(a.From, state) {
			return a.Roles
		}
	}
	return nil
}

// RemindOwed tells the applicant of a 容缺 case that the materials owed at
// acceptance are due soon, once per deadline. Reports whether it wrote the
// reminder (false when it was sent before, or nothing is owed or the deadline
// has passed).
func (s *Service) RemindOwed(ctx context.Context, caseID string) (bool, error) {
	// Read first, and write only when a reminder is due: the scanner asks
	// every pass while the deadline is near.
	var c *Case
	var dedup string
	due := false
	err := s.db.View(ctx, func(tx *db.Tx) error {
		var err error
		if c, err = s.load(tx, caseID); err != nil {
			return err
		}
		if len(c.Owed) == 0 || c.ToleranceDueAt == nil || !tx.Now.Before(*c.ToleranceDueAt) {
			return nil
		}
		dedup = "owed-due|" + c.ID + "|" + c.ToleranceDueAt.UTC().Format(time.RFC3339)
		sent, err := notify.Sent(tx, c.ApplicantID, dedup)
		due = !sent
		return err
	})
	if err != nil || !due {
		return false, apperr.Internalf("cases: remind owed", err)
	}
	err = s.db.Update(ctx, func(tx *db.Tx) error {
		it, err := s.catalog.ItemAt(tx, c.ItemCode, c.ItemVersion)
		if err != nil {
			return err
		}
		msg := notify.Message{Key: "notify.owed_due", Args: map[string]any{"case_no": c.No, "materials": owedNames(it, c.Owed),
			"due_date": DueDate(*c.ToleranceDueAt).String()}}
		return s.tellParties(tx, c, "owed_due", msg, dedup)
	})
	return err == nil, apperr.Internalf("cases: remind owed", err)
}

// owedNames names the owed materials for a message: "经营场所租赁合同、…".
func owedNames(it *catalog.Item, owed []string) string {
	names := make([]string, 0, len(owed))
	for _, k := range owed {
		if m, ok := it.Material(k); ok {
			names = append(names, m.Name)
		} else {
			names = append(names, k)
		}
	}
	return strings.Join(names, "、")
}

// TerminateOwed ends (终止办理) a case accepted under 容缺受理 whose owed
// materials were not supplied by their deadline, in the platform's name: the
// consequence the applicant accepted with the deadline. The applicant and
// those holding the case are told. Conflict when nothing is owed any more,
// the deadline has not passed, or the case is in no state its process can
// terminate from (somebody acted first).
func (s *Service) TerminateOwed(ctx context.Context, caseID string) error {
	return apperr.Internalf("cases: terminate owed", s.db.Update(ctx, func(tx *db.Tx) error {
		c, err := s.load(tx, caseID)
		if err != nil {
			return err
		}
		if len(c.Owed) == 0 || c.ToleranceDueAt == nil || tx.Now.Before(*c.ToleranceDueAt) {
			return apperr.E(apperr.Conflict, "case.changed", "ref", c.Ref())
		}
		d, err := s.process(c)
		if err != nil {
			return err
		}
		roles := actionRoles(d, "terminate", c.State)
		if roles == nil {
			return apperr.E(apperr.Conflict, "case.changed", "ref", c.Ref())
		}
		it, err := s.catalog.ItemAt(tx, c.ItemCode, c.ItemVersion)
		if err != nil {
			return err
		}
		owed := owedNames(it, c.Owed)
		held := *c // who holds it now is told, not the holders of its end
		if err := s.transition(tx, c, it, systemActor, roles, ActionRequest{Action: "terminate", quiet: true,
			Reason: "容缺受理的材料逾期未补齐：" + owed}); err != nil {
			return err
		}
		msg := notify.Message{Key: "notify.terminated_owed", Args: map[string]any{"case_no": c.No, "materials": owed}}
		if err := s.tellParties(tx, c, "terminated", msg, "terminated|"+c.ID); err != nil {
			return err
		}
		return s.notifyHolders(tx, &held, "terminated", msg)
	}))
}

// SystemUrge urges (督办) an open case in the platform's name, once: a case
// urged and not yet answered is not urged again. Reports whether it urged.
func (s *Service) SystemUrge(ctx context.Context, caseID, note string) (bool, error) {
	urged := false
	err := s.db.Update(ctx, func(tx *db.Tx) error {
		c, err := s.load(tx, caseID)
		if err != nil {
			return err
		}
		if c.UrgedAt != nil || c.ConcludedAt != nil || c.DecidedAt != nil {
			return nil
		}
		c.UrgedAt = ptr(tx.Now)
		urged = true
		if err := s.finish(tx, c, systemActor, "urge", note, map[string]any{"supervision": true}); err != nil {
			return err
		}
		return s.notifyHolders(tx, c, "urge", notify.Message{Key: "notify.urge", Args: map[string]any{"case_no": c.No, "by": systemActor.Name, "note": note}})
	})
	return urged, apperr.Internalf("cases: system urge", err)
}

// Holders are the roles that hold a case in its current state (whose inbox
// it is in).
func (s *Service) Holders(process, state string) []string {
	d, ok := s.flows.Get(process)
	if !ok {
		return nil
	}
	st, ok := d.State(state)
	if !ok {
		return nil
	}
	return st.Holders
}

// deemedStart is when a deemed acceptance took effect: the day the
// application was received.
func deemedStart(c *Case, now time.Time) time.Time {
	if c.SubmittedAt != nil {
		return *c.SubmittedAt
	}
	return now
}

// ProcessFor is the process a case of the item runs (synthetic data files
// cases without the engine and must name the same process).
func (s *Service) ProcessFor(it *catalog.Item) (*workflow.Definition, error) {
	return s.processFor(it, false)
}

// tellParties sends one notice to each of the case's parties (the
// applicant, and an enterprise's legal representative and 经办人 in scope).
func (s *Service) tellParties(tx *db.Tx, c *Case, kind string, msg notify.Message, dedup string) error {
	to, err := s.parties(tx, c)
	if err != nil {
		return err
	}
	for _, id := range to {
		if err := notify.Send(tx, id, c.ID, kind, msg, dedup); err != nil {
			return err
		}
	}
	return nil
}
