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

// caseColumn is one column of a case as the engine reads and writes it:
// the SELECT expression, the column written (insert only, or also updated
// by save when it changed), where a read puts it and what a write stores.
// One table instead of five lists kept aligned by hand (issue 17).
type caseColumn struct {
	sel   string                                    // the SELECT expression; "" when never read back
	name  string                                    // the column written; "" when read only (joined)
	saved bool                                      // updated by save when changed (else written once, by storeNew)
	into  func(*caseRow) any                        // the scan target
	value func(c *Case, values, answers string) any // the value written
}

// caseRow is what reading a row fills: the case, and the columns stored in
// another form than the case holds them.
type caseRow struct {
	c                           *Case
	values, answers, owed       string
	promised, ext               int
	mandateItems, mandateMethod string
	mandateExpires              sql.NullTime
}

// caseTime scans a nullable timestamp into a *time.Time of the case, in UTC.
type caseTime struct{ p **time.Time }

func (n caseTime) Scan(src any) error {
	var t sql.NullTime
	if err := t.Scan(src); err != nil {
		return err
	}
	*n.p = nil
	if t.Valid {
		u := t.Time.UTC()
		*n.p = &u
	}
	return nil
}

// col is a column read and written under its name; saved columns are
// updated by save.
func col(name string, saved bool, into func(*caseRow) any, value func(*Case) any) caseColumn {
	return caseColumn{sel: "c." + name, name: name, saved: saved, into: into,
		value: func(c *Case, _, _ string) any { return value(c) }}
}

// timeCol is a nullable timestamp column, updated by save.
func timeCol(name string, field func(*Case) **time.Time) caseColumn {
	return col(name, true, func(r *caseRow) any { return caseTime{field(r.c)} }, func(c *Case) any { return *field(c) })
}

// joined is a column of another table, read only.
func joined(sel string, into func(*caseRow) any) caseColumn { return caseColumn{sel: sel, into: into} }

// optional is a nullable text column read as "" and written as NULL when
// empty.
func optional(name string, saved bool, field func(*Case) *string) caseColumn {
	c := col(name, saved, func(r *caseRow) any { return field(r.c) }, func(c *Case) any { return nullString(*field(c)) })
	c.sel = "COALESCE(c." + name + ", '')"
	return c
}

// caseColumns are the columns of a case, in the order they are read.
var caseColumns = []caseColumn{
	col("id", false, func(r *caseRow) any { return &r.c.ID }, func(c *Case) any { return c.ID }),
	optional("case_no", true, func(c *Case) *string { return &c.No }),
	joined("COALESCE(c.parent_id, '')", func(r *caseRow) any { return &r.c.ParentID }), // set by the bundle
	joined("c.bundle_code", func(r *caseRow) any { return &r.c.BundleCode }),
	col("item_id", false, func(r *caseRow) any { return &r.c.ItemID }, func(c *Case) any { return c.ItemID }),
	col("impl_code", false, func(r *caseRow) any { return &r.c.ItemCode }, func(c *Case) any { return c.ItemCode }),
	col("item_version", false, func(r *caseRow) any { return &r.c.ItemVersion }, func(c *Case) any { return c.ItemVersion }),
	col("item_name", false, func(r *caseRow) any { return &r.c.ItemName }, func(c *Case) any { return c.ItemName }),
	col("department_id", true, func(r *caseRow) any { return &r.c.DepartmentID }, func(c *Case) any { return c.DepartmentID }),
	joined("d.name", func(r *caseRow) any { return &r.c.Department }),
	col("region_code", false, func(r *caseRow) any { return &r.c.Region }, func(c *Case) any { return c.Region }),
	col("process", true, func(r *caseRow) any { return &r.c.Process }, func(c *Case) any { return c.Process }),
	col("state", true, func(r *caseRow) any { return &r.c.State }, func(c *Case) any { return c.State }),
	col("status", true, func(r *caseRow) any { return &r.c.Status }, func(c *Case) any { return c.Status }),
	col("applicant_id", false, func(r *caseRow) any { return &r.c.ApplicantID }, func(c *Case) any { return c.ApplicantID }),
	col("applicant_name", false, func(r *caseRow) any { return &r.c.ApplicantName }, func(c *Case) any { return c.ApplicantName }),
	col("applicant_kind", false, func(r *caseRow) any { return &r.c.ApplicantKind }, func(c *Case) any { return c.ApplicantKind }),
	col("applicant_masked", false, func(r *caseRow) any { return &r.c.ApplicantMasked }, func(c *Case) any { return c.ApplicantMasked }),
	optional("agent_id", false, func(c *Case) *string { return &c.AgentID }),
	joined("COALESCE(ag.display_name, '')", func(r *caseRow) any { return &r.c.AgentName }),
	col("channel", false, func(r *caseRow) any { return &r.c.Channel }, func(c *Case) any { return c.Channel }),
	col("created_by", false, func(r *caseRow) any { return &r.c.CreatedBy }, func(c *Case) any { return c.CreatedBy }),
	{sel: "c.form_values", name: "form_values", saved: true, into: func(r *caseRow) any { return &r.values },
		value: func(_ *Case, values, _ string) any { return values }},
	{sel: "c.answers", name: "answers", saved: true, into: func(r *caseRow) any { return &r.answers },
		value: func(_ *Case, _, answers string) any { return answers }},
	col("commitment", true, func(r *caseRow) any { return &r.c.Commitment }, func(c *Case) any { return c.Commitment }),
	col("tolerance", true, func(r *caseRow) any { return &r.owed }, func(c *Case) any { return joinBars(c.Owed) }),
	optional("assignee_id", true, func(c *Case) *string { return &c.AssigneeID }),
	joined("COALESCE(asg.display_name, '')", func(r *caseRow) any { return &r.c.Assignee }),
	col("rev", false, func(r *caseRow) any { return &r.c.Rev }, func(c *Case) any { return c.Rev }),
	col("promised_limit", true, func(r *caseRow) any { return &r.promised }, func(c *Case) any { return int(c.PromisedLimit) }),
	col("extension", true, func(r *caseRow) any { return &r.ext }, func(c *Case) any { return int(c.Extension) }),
	col("paused_days", true, func(r *caseRow) any { return &r.c.PausedDays }, func(c *Case) any { return c.PausedDays }),
	timeCol("paused_since", func(c *Case) **time.Time { return &c.PausedSince }),
	timeCol("step_started_at", func(c *Case) **time.Time { return &c.StepStartedAt }),
	col("step_paused_days", true, func(r *caseRow) any { return &r.c.StepPausedDays }, func(c *Case) any { return c.StepPausedDays }),
	timeCol("submitted_at", func(c *Case) **time.Time { return &c.SubmittedAt }),
	timeCol("accepted_at", func(c *Case) **time.Time { return &c.AcceptedAt }),
	timeCol("decided_at", func(c *Case) **time.Time { return &c.DecidedAt }),
	timeCol("concluded_at", func(c *Case) **time.Time { return &c.ConcludedAt }),
	timeCol("delivered_at", func(c *Case) **time.Time { return &c.DeliveredAt }),
	col("decision", true, func(r *caseRow) any { return &r.c.Decision }, func(c *Case) any { return c.Decision }),
	col("decision_reason", true, func(r *caseRow) any { return &r.c.Reason }, func(c *Case) any { return c.Reason }),
	col("delivery_method", true, func(r *caseRow) any { return &r.c.Delivery }, func(c *Case) any { return c.Delivery }),
	col("tracking_no", true, func(r *caseRow) any { return &r.c.TrackingNo }, func(c *Case) any { return c.TrackingNo }),
	timeCol("urged_at", func(c *Case) **time.Time { return &c.UrgedAt }),
	col("clock", true, func(r *caseRow) any { return &r.c.Clock }, func(c *Case) any { return string(c.Clock) }),
	timeCol("due_at", func(c *Case) **time.Time { return &c.DueAt }),
	timeCol("pre_review_due_at", func(c *Case) **time.Time { return &c.PreReviewDueAt }),
	timeCol("notice_due_at", func(c *Case) **time.Time { return &c.NoticeDueAt }),
	timeCol("step_due_at", func(c *Case) **time.Time { return &c.StepDueAt }),
	timeCol("tolerance_due_at", func(c *Case) **time.Time { return &c.ToleranceDueAt }),
	timeCol("verify_due_at", func(c *Case) **time.Time { return &c.VerifyDueAt }),
	timeCol("verified_at", func(c *Case) **time.Time { return &c.VerifiedAt }),
	col("created_at", false, func(r *caseRow) any { return &r.c.CreatedAt }, func(c *Case) any { return c.CreatedAt }),
	col("updated_at", false, func(r *caseRow) any { return &r.c.UpdatedAt }, func(c *Case) any { return c.UpdatedAt }),
	col("query_code", false, func(r *caseRow) any { return &r.c.QueryCode }, func(c *Case) any { return c.QueryCode }),
	col("delivery_choice", true, func(r *caseRow) any { return &r.c.Choice.Method }, func(c *Case) any { return c.Choice.Method }),
	col("delivery_post", true, func(r *caseRow) any { return &r.c.postSealed }, func(c *Case) any { return c.postSealed }),
	col("archived", true, func(r *caseRow) any { return &r.c.Archived }, func(c *Case) any { return c.Archived }),
	optional("mandate_id", false, func(c *Case) *string { return &c.MandateID }),
	joined("COALESCE(mn.items, '')", func(r *caseRow) any { return &r.mandateItems }),
	joined("COALESCE(mn.method, '')", func(r *caseRow) any { return &r.mandateMethod }),
	joined("mn.expires_at", func(r *caseRow) any { return &r.mandateExpires }),
	// Written once, never read back.
	{name: "idempotency_key", value: func(c *Case, _, _ string) any { return nullString(c.idempotencyKey) }},
}

// caseFrom is the FROM clause of every read of a case.
const caseFrom = `
	FROM cases c JOIN departments d ON d.id = c.department_id
	LEFT JOIN users ag ON ag.id = c.agent_id LEFT JOIN users asg ON asg.id = c.assignee_id
	LEFT JOIN mandates mn ON mn.id = c.mandate_id`

// caseSelect reads every column scanCase expects.
var caseSelect = func() string {
	var sels []string
	for _, k := range caseColumns {
		if k.sel != "" {
			sels = append(sels, k.sel)
		}
	}
	return `SELECT ` + strings.Join(sels, ", ") + caseFrom
}()

// historySelect is caseSelect with the counts of pauses, extensions and
// countersigns (index lookups by case): one read instead of a probe later.
var historySelect = strings.Replace(caseSelect, caseFrom, `,
	(SELECT COUNT(*) FROM case_pauses hp WHERE hp.case_id = c.id), (SELECT COUNT(*) FROM case_extensions he WHERE he.case_id = c.id),
	(SELECT COUNT(*) FROM case_countersigns hs WHERE hs.case_id = c.id)`+caseFrom, 1)

type scanner interface{ Scan(...any) error }

func scanCase(row scanner, v *vault.Vault, extra ...any) (*Case, error) {
	r := &caseRow{c: &Case{sealer: v}}
	c := r.c
	targets := make([]any, 0, len(caseColumns)+len(extra))
	for _, k := range caseColumns {
		if k.sel != "" {
			targets = append(targets, k.into(r))
		}
	}
	if err := row.Scan(append(targets, extra...)...); err != nil {
		return nil, err
	}
	if c.MandateID != "" && r.mandateExpires.Valid {
		c.Mandate = mandate.RefOf(c.MandateID, r.mandateItems, r.mandateMethod, r.mandateExpires.Time)
	}
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	c.PromisedLimit, c.Extension = calendar.Limit(r.promised), calendar.Limit(r.ext)
	c.derive()
	// Lists pass no vault: they show no form values, so none are opened.
	if v != nil {
		plain, err := v.OpenText(r.values, valuesPurpose(c.ID))
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
	if err := json.Unmarshal([]byte(r.answers), &c.Answers); err != nil {
		return nil, err
	}
	c.Owed = splitBars(r.owed)
	c.Pauses, c.Extensions = []Pause{}, []Extension{}
	c.stored = storedJSON{c.Values, c.Answers, r.values, r.answers}
	c.loaded = c.columnsWith(r.values, r.answers)
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
	out := make([]column, 0, len(caseColumns))
	for _, k := range caseColumns {
		if k.saved {
			out = append(out, column{k.name, k.value(c, values, answers)})
		}
	}
	return out
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
	// Any change brings an archived case back into the everyday lists.
	c.Archived = false
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

// storeArgs are the values of every column a new case's row is inserted
// with, in caseColumns' order.
func (c *Case) storeArgs(values, answers string) []any {
	var args []any
	for _, k := range caseColumns {
		if k.name != "" {
			args = append(args, k.value(c, values, answers))
		}
	}
	return args
}

// storeNew inserts the row of a new case as it is in memory, at its
// revision.
func storeNew(tx *db.Tx, c *Case) error {
	values, answers := c.text()
	if _, err := tx.Exec(insertCase(), c.storeArgs(values, answers)...); err != nil {
		return err
	}
	c.unstored, c.loaded = false, c.columnsWith(values, answers)
	return nil
}

// insertCase is the INSERT statement of storeNew: the same text every time
// (the columns are fixed), so it is prepared once.
var insertCase = sync.OnceValue(func() string {
	var names, marks []string
	for _, k := range caseColumns {
		if k.name != "" {
			names = append(names, k.name)
			marks = append(marks, "$"+strconv.Itoa(len(names)))
		}
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
