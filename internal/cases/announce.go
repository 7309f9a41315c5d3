package cases

import (
	"slices"
	"strconv"
	"strings"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/notify"
)

// Every step tells the people concerned (issue 16): the applicant and
// their agent learn what happened to their case, and staff learn that a case
// came into their inbox (read from their lists: newwork.go). The notices are written here, once for every
// recorded change of a case (commit), in the change's transaction, once per
// cause: the dedup key names the case and the revision the change made.
//
// What a change announces follows from the action and the case as changed,
// so a new process inherits its notices from the actions it uses.

// The kinds of the notices the engine writes — to the applicant and agent,
// then to staff: each is a notification kind and, prefixed with "notify.",
// its message key (and its template kind, notify.Kinds).
const (
	NoticeSubmitted        = "submitted"
	NoticeResubmitted      = "resubmitted"
	NoticeCorrection       = "correction"
	NoticeAccepted         = "accepted"
	NoticeRefused          = "refused"
	NoticeSpecialProcedure = "special_procedure"
	NoticeResumed          = "resumed"
	NoticeExtended         = "extended"
	NoticeDecided          = "decided"
	NoticeDeliveredWindow  = "delivered_window"
	NoticePosted           = "posted"
	NoticeDeliveredOnline  = "delivered_online"
	NoticeWithdrawn        = "withdrawn"
	NoticeTerminated       = "terminated"
	NoticeBundleConcluded  = "bundle_concluded"
	// A bundle's item decided or refused: told without asking for a
	// rating, which the bundle's conclusion asks for (一件事, 一事一评).
	NoticeItemDecided = "item_decided"
	NoticeItemRefused = "item_refused"
	NoticeRevoked     = "revoked"
	// NoticeInbox was a notice to each holder of a step a case entered;
	// older notifications carry it (new work is read from lists: newwork.go).
	NoticeInbox         = "inbox"
	NoticeAssigned      = "assigned"    // staff: a colleague gave the case to them
	NoticeCountersign   = "countersign" // staff: their department is asked for its opinion
	NoticeCaseWithdrawn = "case_withdrawn"
	NoticeSupplied      = "supplied" // staff: the materials owed under 容缺 arrived
)

// The notices that conclude a case — decided, refused and bundle_concluded —
// ask the applicant to rate it (好差评, 一事一评) in the same message: one
// notice and one SMS at conclusion, its link (rate_url) filled by the
// template renderer from the platform's address. Older notifications of kind
// rate_invite were a separate invitation.

// change is one recorded change of a case, as commit announces it.
type change struct {
	action   string
	from, to string // states; equal for an operation
	moved    bool   // the case changed hands (state, or department by 转办)
	prior    *Case  // the case before an action that ended its holders' work (withdrawal), else nil
	data     map[string]any
	quiet    bool     // the caller writes its own notices (deemed acceptance, termination for owed materials)
	signers  []string // countersign: the departments asked
	assignee string   // assign: the user given the case
}

// commit appends the change's event and writes its notifications.
func (s *Service) commit(tx *db.Tx, c *Case, who actor, reason string, ch change) error {
	if err := appendEvent(tx, c, who, ch.action, ch.from, ch.to, reason, ch.data); err != nil {
		return err
	}
	if ch.quiet || notify.DiscardForBenchmark.Load() {
		// The benchmark's notify=off leaves out finding the recipients
		// too: what it measures is the whole cost of telling people.
		return nil
	}
	return s.announce(tx, c, who, reason, ch)
}

// finish saves an operation's change and records it.
func (s *Service) finish(tx *db.Tx, c *Case, who actor, action, reason string, data map[string]any) error {
	if err := save(tx, c); err != nil {
		return err
	}
	return s.commit(tx, c, who, reason, change{action: action, from: c.State, to: c.State, data: data})
}

// announce writes the notifications of one change.
func (s *Service) announce(tx *db.Tx, c *Case, who actor, reason string, ch change) error {
	if c.SubmittedAt == nil {
		return nil // a draft is its applicant's alone: nobody else is told
	}
	// One notification per kind, case and change, however often recorded.
	dedup := func(kind string) string { return kind + "|" + c.ID + "|" + strconv.Itoa(c.Rev) }
	if kind, args := applicantNotice(c, ch, reason); kind != "" {
		to, err := s.parties(tx, c)
		if err != nil {
			return err
		}
		if ch.action == "withdraw" {
			to = slices.DeleteFunc(to, func(id string) bool { return id == who.ID }) // who withdrew knows it
		}
		if err := notify.SendAll(tx, to, c.ID, kind, notify.Message{Key: "notify." + kind, Args: args}, dedup(kind)); err != nil {
			return err
		}
	}
	base := map[string]any{"case_no": c.No, "item": c.ItemName, "by": who.Name}
	var to []string
	var kind string
	var err error
	switch {
	case ch.action == "assign" && ch.assignee != "":
		kind, to = NoticeAssigned, []string{ch.assignee}
	case ch.action == "countersign":
		kind = NoticeCountersign
		base["note"] = reason
		for _, d := range ch.signers {
			ids, err := identity.Holders(tx, []string{string(identity.RoleHandler), string(identity.RoleReviewer), string(identity.RoleApprover)}, d, c.Region)
			if err != nil {
				return err
			}
			to = append(to, ids...)
		}
	case ch.action == "withdraw" && ch.prior != nil:
		kind = NoticeCaseWithdrawn
		if to, err = s.staffHolders(tx, ch.prior); err != nil {
			return err
		}
	case ch.action == "supply":
		kind = NoticeSupplied
		if to, err = s.staffHolders(tx, c); err != nil {
			return err
		}
	}
	// A case entering a step is its holders' new work: their inbox list
	// shows it, not a notification to each (newwork.go).
	if kind == "" {
		return nil
	}
	msg := notify.Message{Key: "notify." + kind, Args: base}
	sent := map[string]bool{who.ID: true} // the actor knows what they did
	once := to[:0:0]
	for _, id := range to {
		if !sent[id] && id != "" {
			sent[id] = true
			once = append(once, id)
		}
	}
	return notify.SendAll(tx, once, c.ID, kind, msg, dedup(kind))
}

// parties are the people a case is for: its applicant, the agent who
// filed it, and for an enterprise its legal representative and the current
// 经办人 whose scope covers the item.
func (s *Service) parties(tx *db.Tx, c *Case) ([]string, error) {
	out := []string{c.ApplicantID}
	if c.AgentID != "" && c.AgentID != c.ApplicantID {
		out = append(out, c.AgentID)
	}
	if c.ApplicantKind == string(identity.KindOrganisation) {
		ids, err := identity.EnterpriseRecipients(tx, c.ApplicantID, c.ItemCode)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			if !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	return out, nil
}

// staffHolders are the staff who hold c in its current state: its assignee,
// else the holders of its step's staff roles in its department and region.
func (s *Service) staffHolders(tx *db.Tx, c *Case) ([]string, error) {
	if c.AssigneeID != "" {
		return []string{c.AssigneeID}, nil
	}
	var roles []string
	for _, r := range s.Holders(c.Process, c.State) {
		if identity.Role(r).Staff() {
			roles = append(roles, r)
		}
	}
	return identity.Holders(tx, roles, c.DepartmentID, c.Region)
}

// applicantNotice is what a change tells the applicant and the agent: the
// kind ("" for nothing) and the message's arguments.
func applicantNotice(c *Case, ch change, reason string) (string, map[string]any) {
	args := map[string]any{"case_no": c.No, "item": c.ItemName}
	due := func() {
		if c.DueAt != nil {
			args["due_date"] = DueDate(*c.DueAt).String()
		}
	}
	switch ch.action {
	case "submit":
		if c.ParentID != "" {
			return "", nil // a bundle's sub-case: the bundle's submission tells it
		}
		return NoticeSubmitted, args
	case "resubmit":
		return NoticeResubmitted, args
	case "request_correction":
		var parts []string
		if list, ok := ch.data["corrections"].([]Correction); ok {
			for _, x := range list {
				if x.Name != "" {
					parts = append(parts, x.Name+"："+x.Problem)
				} else {
					parts = append(parts, x.Problem)
				}
			}
		}
		args["corrections"] = strings.Join(parts, "；")
		return NoticeCorrection, args
	case "accept":
		if c.Decision != "" { // 即办件, 告知承诺: acceptance is the decision
			args["decision"], args["reason"] = "decision."+c.Decision, c.Reason
			if c.ParentID != "" {
				return NoticeItemDecided, args
			}
			return NoticeDecided, args
		}
		due()
		return NoticeAccepted, args
	case "refuse":
		args["reason"] = reason
		if c.ParentID != "" {
			return NoticeItemRefused, args
		}
		return NoticeRefused, args
	case "grant", "deny":
		args["decision"], args["reason"] = "decision."+c.Decision, c.Reason
		if c.ParentID != "" {
			return NoticeItemDecided, args
		}
		return NoticeDecided, args
	case "deliver":
		if c.ParentID != "" {
			return "", nil
		}
		switch c.Delivery {
		case "post":
			args["tracking_no"] = c.TrackingNo
			return NoticePosted, args
		case "online":
			return NoticeDeliveredOnline, args
		}
		return NoticeDeliveredWindow, args
	case "withdraw":
		return NoticeWithdrawn, args
	case "terminate":
		args["reason"] = reason
		return NoticeTerminated, args
	case "conclude":
		return NoticeBundleConcluded, args
	case "pause":
		args["procedure"], args["reason"] = "pause."+asString(ch.data["kind"]), reason
		args["days"] = asString(ch.data["expected_workdays"])
		return NoticeSpecialProcedure, args
	case "resume":
		due()
		return NoticeResumed, args
	case "extend":
		due()
		args["days"], args["reason"] = asString(ch.data["workdays"]), reason
		return NoticeExtended, args
	case "verify":
		if ch.data["outcome"] == "false" {
			args["reason"] = reason
			return NoticeRevoked, args
		}
	}
	return "", nil
}

func asString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int:
		return strconv.Itoa(x)
	case nil:
		return ""
	}
	return ""
}
