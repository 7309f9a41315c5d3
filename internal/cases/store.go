package cases

import (
	"database/sql"
	"encoding/json"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/db"
)

// caseSelect reads every column scanCase expects.
const caseSelect = `SELECT c.id, COALESCE(c.case_no, ''), COALESCE(c.parent_id, ''), c.bundle_code, c.item_id, c.impl_code,
	c.item_version, c.item_name, c.department_id, d.name, c.region_code, c.process, c.state, c.status,
	c.applicant_id, c.applicant_name, c.applicant_kind, c.applicant_masked, COALESCE(c.agent_id, ''), COALESCE(ag.display_name, ''),
	c.channel, c.created_by, c.form_values, c.answers, c.commitment, c.tolerance, COALESCE(c.assignee_id, ''),
	COALESCE(asg.display_name, ''), c.rev, c.promised_limit, c.extension, c.paused_days, c.paused_since, c.step_started_at,
	c.step_paused_days, c.submitted_at, c.accepted_at, c.decided_at, c.concluded_at, c.delivered_at, c.decision,
	c.decision_reason, c.delivery_method, c.tracking_no, c.urged_at, c.clock, c.due_at, c.pre_review_due_at, c.notice_due_at,
	c.step_due_at, c.tolerance_due_at, c.verify_due_at, c.verified_at, c.created_at, c.updated_at
	FROM cases c JOIN departments d ON d.id = c.department_id
	LEFT JOIN users ag ON ag.id = c.agent_id LEFT JOIN users asg ON asg.id = c.assignee_id`

type scanner interface{ Scan(...any) error }

func scanCase(row scanner) (*Case, error) {
	c := &Case{}
	var values, answers, owed string
	var promised, ext int
	var times [15]sql.NullTime
	err := row.Scan(&c.ID, &c.No, &c.ParentID, &c.BundleCode, &c.ItemID, &c.ItemCode, &c.ItemVersion, &c.ItemName,
		&c.DepartmentID, &c.Department, &c.Region, &c.Process, &c.State, &c.Status,
		&c.ApplicantID, &c.ApplicantName, &c.ApplicantKind, &c.ApplicantMasked, &c.AgentID, &c.AgentName,
		&c.Channel, &c.CreatedBy, &values, &answers, &c.Commitment, &owed, &c.AssigneeID, &c.Assignee, &c.Rev,
		&promised, &ext, &c.PausedDays, &times[0], &times[1], &c.StepPausedDays,
		&times[2], &times[3], &times[4], &times[5], &times[6], &c.Decision, &c.Reason, &c.Delivery, &c.TrackingNo, &times[7], &c.Clock,
		&times[8], &times[9], &times[10], &times[11], &times[12], &times[13], &times[14], &c.CreatedAt, &c.UpdatedAt)
	if err != nil {
		return nil, err
	}
	for i, p := range []**time.Time{&c.PausedSince, &c.StepStartedAt, &c.SubmittedAt, &c.AcceptedAt, &c.DecidedAt,
		&c.ConcludedAt, &c.DeliveredAt, &c.UrgedAt, &c.DueAt, &c.PreReviewDueAt, &c.NoticeDueAt, &c.StepDueAt,
		&c.ToleranceDueAt, &c.VerifyDueAt, &c.VerifiedAt} {
		if times[i].Valid {
			t := times[i].Time.UTC()
			*p = &t
		}
	}
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	c.PromisedLimit, c.Extension = calendar.Limit(promised), calendar.Limit(ext)
	c.Promised = c.PromisedLimit.String()
	if c.DueAt != nil {
		d := DueDate(*c.DueAt)
		c.DueDate = &d
	}
	if err := json.Unmarshal([]byte(values), &c.Values); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(answers), &c.Answers); err != nil {
		return nil, err
	}
	c.Owed = splitBars(owed)
	c.Pauses, c.Extensions = []Pause{}, []Extension{}
	return c, nil
}

func splitBars(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.Trim(s, "|"), "|")
}

func joinBars(ss []string) string {
	if len(ss) == 0 {
		return ""
	}
	return "|" + strings.Join(ss, "|") + "|"
}

// load reads a case by number or (for drafts) id.
func load(tx *db.Tx, ref string) (*Case, error) {
	col := "c.case_no"
	if len(ref) == 36 && strings.Count(ref, "-") == 4 {
		col = "c.id"
	}
	c, err := scanCase(tx.QueryRow(caseSelect+` WHERE `+col+` = $1`, ref))
	if err != nil {
		return nil, db.NotFound(err, "case.not_found", "ref", ref)
	}
	return c, nil
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // values of our own types always encode
	}
	return string(b)
}

// save writes the mutable columns of c if nobody changed the case since it
// was read at revision c.Rev, and advances the revision. A concurrent change
// is a Conflict: the caller reloads and decides again.
func save(tx *db.Tx, c *Case) error {
	res, err := tx.Exec(`UPDATE cases SET case_no = $1, department_id = $2, state = $3, status = $4, form_values = $5,
		answers = $6, commitment = $7, tolerance = $8, assignee_id = $9, rev = rev + 1, promised_limit = $10, extension = $11,
		paused_days = $12, paused_since = $13, step_started_at = $14, step_paused_days = $15, submitted_at = $16,
		accepted_at = $17, decided_at = $18, concluded_at = $19, delivered_at = $20, decision = $21, decision_reason = $22,
		delivery_method = $23, tracking_no = $24, urged_at = $25, due_at = $26, pre_review_due_at = $27, notice_due_at = $28,
		step_due_at = $29, tolerance_due_at = $30, verify_due_at = $31, verified_at = $32, process = $33, updated_at = $34,
		clock = $35 WHERE id = $36 AND rev = $37`,
		nullString(c.No), c.DepartmentID, c.State, c.Status, jsonText(c.Values), jsonText(c.Answers), c.Commitment,
		joinBars(c.Owed), nullString(c.AssigneeID), int(c.PromisedLimit), int(c.Extension), c.PausedDays,
		c.PausedSince, c.StepStartedAt, c.StepPausedDays, c.SubmittedAt, c.AcceptedAt, c.DecidedAt, c.ConcludedAt,
		c.DeliveredAt, c.Decision, c.Reason, c.Delivery, c.TrackingNo, c.UrgedAt, c.DueAt, c.PreReviewDueAt,
		c.NoticeDueAt, c.StepDueAt, c.ToleranceDueAt, c.VerifyDueAt, c.VerifiedAt, c.Process, tx.Now, string(c.Clock), c.ID, c.Rev)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n != 1 {
		return apperr.E(apperr.Conflict, "case.changed", "ref", c.Ref())
	}
	c.Rev++
	c.UpdatedAt = tx.Now
	return nil
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// actor is who does something to a case, as the timeline records it.
type actor struct {
	ID, Name, Role string
}

// appendEvent adds an event to c's timeline in the transaction.
func appendEvent(tx *db.Tx, c *Case, who actor, action, from, to, reason string, data map[string]any) error {
	var seq int
	if err := tx.QueryRow(`SELECT COALESCE(MAX(seq), 0) + 1 FROM case_events WHERE case_id = $1`, c.ID).Scan(&seq); err != nil {
		return err
	}
	if data == nil {
		data = map[string]any{}
	}
	_, err := tx.Exec(`INSERT INTO case_events (id, case_id, seq, action, from_state, to_state, actor_id, actor_name, actor_role,
		reason, data, step_due_at, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		db.NewID(), c.ID, seq, action, from, to, nullString(who.ID), who.Name, who.Role, reason, jsonText(data), c.StepDueAt, tx.Now)
	return err
}

func ptr[T any](v T) *T { return &v }
