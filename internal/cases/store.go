package cases

import (
	"database/sql"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/mandate"
	"github.com/tongban/tongban/internal/vault"
)

// caseSelect reads every column scanCase expects.
const caseSelect = `SELECT c.id, COALESCE(c.case_no, ''), COALESCE(c.parent_id, ''), c.bundle_code, c.item_id, c.impl_code,
	c.item_version, c.item_name, c.department_id, d.name, c.region_code, c.process, c.state, c.status,
	c.applicant_id, c.applicant_name, c.applicant_kind, c.applicant_masked, COALESCE(c.agent_id, ''), COALESCE(ag.display_name, ''),
	c.channel, c.created_by, c.form_values, c.answers, c.commitment, c.tolerance, COALESCE(c.assignee_id, ''),
	COALESCE(asg.display_name, ''), c.rev, c.promised_limit, c.extension, c.paused_days, c.paused_since, c.step_started_at,
	c.step_paused_days, c.submitted_at, c.accepted_at, c.decided_at, c.concluded_at, c.delivered_at, c.decision,
	c.decision_reason, c.delivery_method, c.tracking_no, c.urged_at, c.clock, c.due_at, c.pre_review_due_at, c.notice_due_at,
	c.step_due_at, c.tolerance_due_at, c.verify_due_at, c.verified_at, c.created_at, c.updated_at, c.query_code,
	c.delivery_choice, c.delivery_post, COALESCE(c.mandate_id, ''), COALESCE(mn.items, ''), COALESCE(mn.method, ''), mn.expires_at
	FROM cases c JOIN departments d ON d.id = c.department_id
	LEFT JOIN users ag ON ag.id = c.agent_id LEFT JOIN users asg ON asg.id = c.assignee_id
	LEFT JOIN mandates mn ON mn.id = c.mandate_id`

// historySelect is caseSelect with the counts of pauses, extensions and
// countersigns (index lookups by case): one read instead of a probe later.
var historySelect = strings.Replace(caseSelect, "\n\tFROM cases c", `,
	(SELECT COUNT(*) FROM case_pauses hp WHERE hp.case_id = c.id), (SELECT COUNT(*) FROM case_extensions he WHERE he.case_id = c.id),
	(SELECT COUNT(*) FROM case_countersigns hs WHERE hs.case_id = c.id)
	FROM cases c`, 1)

type scanner interface{ Scan(...any) error }

func scanCase(row scanner, v *vault.Vault, extra ...any) (*Case, error) {
	c := &Case{sealer: v}
	var values, answers, owed string
	var promised, ext int
	var times [15]sql.NullTime
	var mandateItems, mandateMethod string
	var mandateExpires sql.NullTime
	targets := []any{&c.ID, &c.No, &c.ParentID, &c.BundleCode, &c.ItemID, &c.ItemCode, &c.ItemVersion, &c.ItemName,
		&c.DepartmentID, &c.Department, &c.Region, &c.Process, &c.State, &c.Status,
		&c.ApplicantID, &c.ApplicantName, &c.ApplicantKind, &c.ApplicantMasked, &c.AgentID, &c.AgentName,
		&c.Channel, &c.CreatedBy, &values, &answers, &c.Commitment, &owed, &c.AssigneeID, &c.Assignee, &c.Rev,
		&promised, &ext, &c.PausedDays, &times[0], &times[1], &c.StepPausedDays,
		&times[2], &times[3], &times[4], &times[5], &times[6], &c.Decision, &c.Reason, &c.Delivery, &c.TrackingNo, &times[7], &c.Clock,
		&times[8], &times[9], &times[10], &times[11], &times[12], &times[13], &times[14], &c.CreatedAt, &c.UpdatedAt, &c.QueryCode,
		&c.Choice.Method, &c.postSealed, &c.MandateID, &mandateItems, &mandateMethod, &mandateExpires}
	if err := row.Scan(append(targets, extra...)...); err != nil {
		return nil, err
	}
	if c.MandateID != "" && mandateExpires.Valid {
		c.Mandate = mandate.RefOf(c.MandateID, mandateItems, mandateMethod, mandateExpires.Time)
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
	c.derive()
	// Lists pass no vault: they show no form values, so none are opened.
	if v != nil {
		plain, err := v.OpenText(values, valuesPurpose(c.ID))
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(plain), &c.Values); err != nil {
			return nil, err
		}
		if err := openPost(v, c.ID, c.postSealed, &c.Choice); err != nil {
			return nil, err
		}
	}
	if err := json.Unmarshal([]byte(answers), &c.Answers); err != nil {
		return nil, err
	}
	c.Owed = splitBars(owed)
	c.Pauses, c.Extensions = []Pause{}, []Extension{}
	c.stored = storedJSON{c.Values, c.Answers, values, answers}
	c.loaded = c.columnsWith(values, answers)
	return c, nil
}

// valuesPurpose binds a case's sealed form values to its row (PIPL Art. 51,
// GB/T 35273 §6.3: personal data stored encrypted): the whole document is
// sealed, so every personal field — ID numbers, phones, address details, and
// any field type added later — is covered without the form at hand.
func valuesPurpose(caseID string) string { return "cases.form_values/" + caseID }

// SealValues is the stored text of a case's form values (synth writes rows
// directly).
func SealValues(v *vault.Vault, caseID string, vals catalog.Values) string {
	return v.SealText(jsonText(vals), valuesPurpose(caseID))
}

// storedJSON is a case's form values and answers as stored (the values
// sealed), with their text.
type storedJSON struct {
	values                  catalog.Values
	answers                 map[string]string
	valuesJSON, answersJSON string
}

// text returns the JSON of c's values and answers, encoding only what was
// replaced since they were stored.
func (c *Case) text() (values, answers string) {
	values, answers = c.stored.valuesJSON, c.stored.answersJSON
	if !sameMap(c.Values, c.stored.values) || values == "" {
		values = SealValues(c.sealer, c.ID, c.Values)
	}
	if !sameMap(c.Answers, c.stored.answers) || answers == "" {
		answers = jsonText(c.Answers)
	}
	c.stored = storedJSON{c.Values, c.Answers, values, answers}
	return values, answers
}

// sameMap reports whether a and b are the same map (not equal contents).
func sameMap[M ~map[K]V, K comparable, V any](a, b M) bool {
	return reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
}

// derive fills the fields computed from stored ones.
func (c *Case) derive() {
	c.Promised = c.PromisedLimit.String()
	c.DueDate = nil
	if c.DueAt != nil {
		d := DueDate(*c.DueAt)
		c.DueDate = &d
	}
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
func (s *Service) load(tx *db.Tx, ref string) (*Case, error) {
	col := "c.case_no"
	if len(ref) == 36 && strings.Count(ref, "-") == 4 {
		col = "c.id"
	}
	var h history
	c, err := scanCase(tx.QueryRow(historySelect+` WHERE `+col+` = $1`, ref), s.vault(), &h.pauses, &h.extensions, &h.signs)
	if err != nil {
		return nil, db.NotFound(err, "case.not_found", "ref", ref)
	}
	c.history = &h
	return c, nil
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // values of our own types always encode
	}
	return string(b)
}

// columns lists the mutable columns of a case with their values.
func (c *Case) columns() []column {
	return c.columnsWith(c.text())
}

// columnsWith is columns with the JSON columns as given (as read, when
// scanning: no need to encode what was just decoded).
func (c *Case) columnsWith(values, answers string) []column {
	return []column{
		{"case_no", nullString(c.No)}, {"department_id", c.DepartmentID}, {"state", c.State}, {"status", c.Status},
		{"form_values", values}, {"answers", answers}, {"commitment", c.Commitment},
		{"tolerance", joinBars(c.Owed)}, {"assignee_id", nullString(c.AssigneeID)}, {"promised_limit", int(c.PromisedLimit)},
		{"extension", int(c.Extension)}, {"paused_days", c.PausedDays}, {"paused_since", c.PausedSince},
		{"step_started_at", c.StepStartedAt}, {"step_paused_days", c.StepPausedDays}, {"submitted_at", c.SubmittedAt},
		{"accepted_at", c.AcceptedAt}, {"decided_at", c.DecidedAt}, {"concluded_at", c.ConcludedAt},
		{"delivered_at", c.DeliveredAt}, {"decision", c.Decision}, {"decision_reason", c.Reason}, {"delivery_method", c.Delivery},
		{"tracking_no", c.TrackingNo}, {"urged_at", c.UrgedAt}, {"due_at", c.DueAt}, {"pre_review_due_at", c.PreReviewDueAt},
		{"notice_due_at", c.NoticeDueAt}, {"step_due_at", c.StepDueAt}, {"tolerance_due_at", c.ToleranceDueAt},
		{"verify_due_at", c.VerifyDueAt}, {"verified_at", c.VerifiedAt}, {"process", c.Process}, {"clock", string(c.Clock)},
		{"delivery_choice", c.Choice.Method}, {"delivery_post", c.postSealed},
	}
}

type column struct {
	name  string
	value any
}

// same compares two column values: times by instant, the rest by value
// (JSON and lists are compared as the text they are stored as).
func same(a, b any) bool {
	if ta, ok := a.(*time.Time); ok {
		tb := b.(*time.Time)
		return (ta == nil) == (tb == nil) && (ta == nil || ta.Equal(*tb))
	}
	return a == b
}

// save writes the columns of c that changed since it was read, if nobody
// changed the case since revision c.Rev, and advances the revision. A
// concurrent change is a Conflict: the caller reloads and decides again.
// Writing only what changed spares the case's many indexes (deadlines,
// inbox, applicant) the work of rewriting entries that did not move.
func save(tx *db.Tx, c *Case) error {
	if c.unstored {
		c.Rev++
		c.UpdatedAt = tx.Now
		return storeNew(tx, c)
	}
	set := []string{"rev = rev + 1", "updated_at = $1"}
	args := []any{tx.Now}
	was := c.loaded
	now := c.columns()
	for i, col := range now {
		if was != nil && same(was[i].value, col.value) {
			continue
		}
		args = append(args, col.value)
		set = append(set, col.name+" = $"+strconv.Itoa(len(args)))
	}
	args = append(args, c.ID, c.Rev)
	res, err := tx.Exec(`UPDATE cases SET `+strings.Join(set, ", ")+` WHERE id = $`+strconv.Itoa(len(args)-1)+` AND rev = $`+strconv.Itoa(len(args)), args...)
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
	c.loaded = now
	return nil
}

// storeNew inserts the row of a new case as it is in memory, at its
// revision.
func storeNew(tx *db.Tx, c *Case) error {
	cols := c.columns()
	args := []any{c.ID, c.ItemID, c.ItemCode, c.ItemVersion, c.ItemName, c.Region, c.ApplicantID, c.ApplicantName,
		c.ApplicantKind, c.ApplicantMasked, nullString(c.AgentID), c.Channel, c.CreatedBy, nullString(c.idempotencyKey),
		c.Rev, c.CreatedAt, c.UpdatedAt, c.QueryCode, nullString(c.MandateID)}
	for _, col := range cols {
		args = append(args, col.value)
	}
	if _, err := tx.Exec(insertCase(), args...); err != nil {
		return err
	}
	c.unstored, c.loaded = false, cols
	return nil
}

// insertCase is the INSERT statement of storeNew: the same text every time
// (the columns are fixed), so it is prepared once.
var insertCase = sync.OnceValue(func() string {
	names := []string{"id", "item_id", "impl_code", "item_version", "item_name", "region_code", "applicant_id", "applicant_name",
		"applicant_kind", "applicant_masked", "agent_id", "channel", "created_by", "idempotency_key", "rev", "created_at", "updated_at", "query_code", "mandate_id"}
	for _, col := range (&Case{}).columnsWith("", "") {
		names = append(names, col.name)
	}
	marks := make([]string, len(names))
	for i := range marks {
		marks[i] = "$" + strconv.Itoa(i+1)
	}
	return `INSERT INTO cases (` + strings.Join(names, ", ") + `) VALUES (` + strings.Join(marks, ", ") + `)`
})

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// actor is who does something to a case, as the timeline records it.
type actor struct {
	ID, Name, Role string
}

// appendEvent adds an event to c's timeline in the transaction. Every
// event follows exactly one change of the case (its creation, or a save
// that advanced the revision), so the revision numbers the timeline; the
// unique (case_id, seq) key would refuse a second event for one change.
func appendEvent(tx *db.Tx, c *Case, who actor, action, from, to, reason string, data map[string]any) error {
	seq := c.Rev
	if data == nil {
		data = map[string]any{}
	}
	id, body := db.NewID(), jsonText(data)
	// The audit log (R4.7): the event, its payload kept apart by hash.
	rec := &audit.Record{Actor: who.ID, Role: who.Role, Action: "case." + action, ObjectType: "case", ObjectID: c.ID}
	// The event row keeps the payload (erasable there); the record its hash.
	if err := audit.AppendRef(tx, rec, audit.PayloadHash(EventPayload(c.ID, seq, id, from, to, reason, body))); err != nil {
		return err
	}
	_, err := tx.Exec(`INSERT INTO case_events (id, case_id, seq, action, from_state, to_state, actor_id, actor_name, actor_role,
		reason, data, step_due_at, at, audit_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		id, c.ID, seq, action, from, to, nullString(who.ID), who.Name, who.Role, reason, body, c.StepDueAt, tx.Now, rec.ID)
	return err
}

// EventPayload is the canonical encoding of an event whose SHA-256 the
// audit log keeps (docs/AUDIT.md): one JSON object, keys in this order, the
// event's data as stored.
func EventPayload(caseID string, seq int, id, from, to, reason, data string) []byte {
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	return []byte(`{"case":` + q(caseID) + `,"event":` + q(id) + `,"seq":` + strconv.Itoa(seq) + `,"from":` + q(from) +
		`,"to":` + q(to) + `,"reason":` + q(reason) + `,"data":` + data + `}`)
}

func ptr[T any](v T) *T { return &v }
