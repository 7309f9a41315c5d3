// Package cases is the case engine (办件, R2 and R3): online application
// and one-window acceptance, pre-review and the one-time correction notice,
// the back-office steps of the approval, decisions and delivery, with the
// working-day clock, special procedures and extensions. Every change is one
// transaction that moves the case, appends its event and checks the case's
// revision, so two staff acting at once never both win.
package cases

import (
	"time"

	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/mandate"
	"github.com/tongban/tongban/internal/vault"
	"github.com/tongban/tongban/internal/workflow"
)

// ClockPaused marks a decision clock stopped by a special procedure.
const ClockPaused workflow.Clock = "paused"

// Case is one application (办件) as a reader sees it.
type Case struct {
	ID           string `json:"id"`
	No           string `json:"case_no,omitempty"` // 办件编号; empty while a draft
	ParentID     string `json:"parent_id,omitempty"`
	BundleCode   string `json:"bundle_code,omitempty"`
	ItemID       string `json:"-"`
	ItemCode     string `json:"item_code"`
	ItemVersion  int    `json:"item_version"`
	ItemName     string `json:"item_name"`
	DepartmentID string `json:"department_id"`
	Department   string `json:"department_name"`
	Region       string `json:"region"`
	Process      string `json:"process"`
	State        string `json:"state"`
	Status       string `json:"status"` // what the applicant sees ("status.<status>")
	Step         string `json:"step,omitempty"`

	ApplicantID     string `json:"-"`
	ApplicantName   string `json:"applicant_name"`
	ApplicantKind   string `json:"applicant_kind"`
	ApplicantMasked string `json:"applicant_identifier"` // masked ID number or credit code
	// QueryCode (查询码) is printed on every notice and shown to those who
	// read the case: with the number and the applicant's name it opens the
	// public progress query.
	QueryCode string `json:"query_code,omitempty"`
	AgentID   string `json:"-"`
	AgentName string `json:"agent_name,omitempty"`
	// Mandate is the mandate (授权委托) an agent filed the case under:
	// its scope and the last day it covers.
	MandateID string       `json:"-"`
	Mandate   *mandate.Ref `json:"mandate,omitempty"`
	Channel   string       `json:"channel"` // online, window, agent
	CreatedBy string       `json:"-"`
	// FiledBy names the person who filed an enterprise's case for it (its
	// legal representative or a 经办人): "经办人：…" on the case.
	FiledBy string `json:"filed_by,omitempty"`

	// Values and Answers are replaced as a whole, never edited in place:
	// save tells a change by the map, not its contents (storedJSON).
	Values     catalog.Values    `json:"form_values,omitempty"` // only for readers allowed personal data
	Answers    map[string]string `json:"answers,omitempty"`
	Commitment bool              `json:"commitment"`
	Owed       []string          `json:"tolerance_owed,omitempty"` // 容缺: material keys still owed
	AssigneeID string            `json:"-"`
	Assignee   string            `json:"assignee,omitempty"`
	Rev        int               `json:"rev"`

	PromisedLimit  calendar.Limit `json:"-"`
	Promised       string         `json:"promised_limit"` // working days
	Extension      calendar.Limit `json:"-"`
	PausedDays     int            `json:"paused_workdays"`
	PausedSince    *time.Time     `json:"paused_since,omitempty"`
	StepStartedAt  *time.Time     `json:"step_started_at,omitempty"`
	StepPausedDays int            `json:"-"`

	SubmittedAt *time.Time `json:"submitted_at,omitempty"`
	AcceptedAt  *time.Time `json:"accepted_at"`
	DecidedAt   *time.Time `json:"decided_at,omitempty"`
	ConcludedAt *time.Time `json:"concluded_at,omitempty"`
	DeliveredAt *time.Time `json:"delivered_at,omitempty"`
	Decision    string     `json:"decision,omitempty"` // granted, denied
	Reason      string     `json:"decision_reason,omitempty"`
	Delivery    string     `json:"delivery_method,omitempty"` // how the result was delivered
	// Choice is how the applicant chose at filing to receive the result
	// (method "" for cases filed before the choice existed).
	Choice     DeliveryChoice `json:"delivery"`
	TrackingNo string         `json:"tracking_no,omitempty"`
	UrgedAt    *time.Time     `json:"urged_at,omitempty"`

	Clock          workflow.Clock `json:"clock,omitempty"` // the clock that runs now; "paused" during a special procedure
	DueAt          *time.Time     `json:"due_at,omitempty"`
	DueDate        *calendar.Date `json:"due_date"`
	PreReviewDueAt *time.Time     `json:"pre_review_due_at,omitempty"`
	NoticeDueAt    *time.Time     `json:"notice_due_at,omitempty"`
	StepDueAt      *time.Time     `json:"step_due_at,omitempty"`
	ToleranceDueAt *time.Time     `json:"tolerance_due_at,omitempty"`
	VerifyDueAt    *time.Time     `json:"verify_due_at,omitempty"`
	VerifiedAt     *time.Time     `json:"verified_at,omitempty"`
	CreatedAt      time.Time      `json:"created_at"`
	UpdatedAt      time.Time      `json:"updated_at"`
	// Archived: finished and untouched for ArchiveAfter, out of staff's
	// everyday lists (found by number or with the archive filter).
	Archived bool `json:"archived,omitempty"`

	// Filled for a case detail, not for lists.
	Pauses     []Pause     `json:"pauses"`
	Extensions []Extension `json:"extensions"`
	Materials  []Material  `json:"materials,omitempty"`
	// Licences are the licences that satisfy materials (免提交, R5.2).
	Licences []LicenceRef `json:"licences,omitempty"`
	// Passes are what a bundle's sub-case takes from a sibling sub-case's
	// result (结果实时共享): a field it fills, a material its licence is.
	Passes []Pass `json:"passes,omitempty"`
	// Licence is the identifier of the licence the case issued (准予).
	Licence      string        `json:"licence,omitempty"`
	Countersigns []Countersign `json:"countersigns,omitempty"`
	Notices      []Notice      `json:"notices,omitempty"`
	// Superseded are the files a resubmission after 补正 replaced: the
	// record of what was corrected, shown to staff only.
	Superseded []Material `json:"superseded_materials,omitempty"`
	Children   []Case     `json:"sub_cases,omitempty"`

	// Actions lists what the reader may do now (transitions and operations).
	Actions []string `json:"actions"`
	// DaysLeft is the working days to the deadline that matters now (the
	// step, pre-review or decision clock); nil when no clock runs.
	DaysLeft *int `json:"workdays_left,omitempty"`
	// Provisional: a deadline falls in a year without a holiday notice and was
	// counted Monday to Friday (the weekday fallback, STANDARDS.md §4).
	Provisional bool `json:"deadline_provisional,omitempty"`
	// OutOfScope: the action just taken moved the case beyond the actor's
	// reach (a transfer, a countersign opinion); they see only the outcome.
	OutOfScope bool `json:"out_of_scope,omitempty"`

	loaded []column // the stored values as read or last saved: save writes only what changed since
	// stored is the form values and answers as loaded or last saved, with
	// their JSON: save encodes them again only when they were replaced
	// (Values and Answers are replaced, never edited in place).
	stored storedJSON
	// unstored: a new case whose row is not written yet; its first save
	// inserts it (a filing submitted at once is one row and one event).
	unstored       bool
	sealer         *vault.Vault // seals the form values when they are stored
	postSealed     string       // the posting address as stored (sealed)
	idempotencyKey string       // a new case's key, written with its row
	tasks          *[]string    // departments with an open countersign task, read once per transaction
	// history counts the case's pauses, extensions and countersigns when the
	// read that loaded it asked (load does), sparing reads of what is not there.
	history *history
}

// Ref returns how the case is addressed: its number, or its id while a draft.
func (c *Case) Ref() string {
	if c.No != "" {
		return c.No
	}
	return c.ID
}

// Pause is a special procedure (特别程序) that stopped the clock.
type Pause struct {
	ID        string     `json:"id"`
	Kind      string     `json:"kind"` // hearing, inspection, testing, quarantine, appraisal, expert_review, publicity
	Reason    string     `json:"reason"`
	Expected  int        `json:"expected_workdays"`
	StartedAt time.Time  `json:"started_at"`
	EndedAt   *time.Time `json:"ended_at,omitempty"`
	Workdays  int        `json:"workdays"` // working days the clock stood still (after it ended)
}

// PauseKinds are the special procedures of 行政许可法 Art. 45 (and 公示,
// which local rules add).
var PauseKinds = []string{"hearing", "inspection", "testing", "quarantine", "appraisal", "expert_review", "publicity"}

// Extension is one 延长审批.
type Extension struct {
	Days     string    `json:"workdays"`
	Reason   string    `json:"reason"`
	Approver string    `json:"approver"`
	At       time.Time `json:"at"`
}

// Material is one uploaded file of a case.
type Material struct {
	ID          string    `json:"id"`
	Key         string    `json:"material_key"`
	Name        string    `json:"material_name,omitempty"`
	Filename    string    `json:"filename"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	CreatedAt   time.Time `json:"created_at"`
}

// Countersign is one 会签: departments asked for their opinion.
type Countersign struct {
	ID        string            `json:"id"`
	Mode      string            `json:"mode"`             // all (会签), any (或签), sequential (依次会签)
	Result    string            `json:"result,omitempty"` // when done: agreed, disagreed
	Note      string            `json:"note"`
	StartedAt time.Time         `json:"started_at"`
	DoneAt    *time.Time        `json:"done_at,omitempty"`
	Tasks     []CountersignTask `json:"tasks"`
}

// CountersignTask is one department's part of a countersign.
type CountersignTask struct {
	DepartmentID string     `json:"department_id"`
	Department   string     `json:"department_name"`
	Opinion      string     `json:"opinion"` // "", agree, disagree
	Comment      string     `json:"comment,omitempty"`
	Actor        string     `json:"actor,omitempty"`
	ActedAt      *time.Time `json:"acted_at,omitempty"`
}

// Notice is a written notice or decision as issued.
type Notice struct {
	ID       string         `json:"id"`
	Kind     string         `json:"kind"` // acceptance, refusal, correction, special_procedure, decision
	Body     map[string]any `json:"body"`
	IssuedAt time.Time      `json:"issued_at"`
}

// Correction is one entry of the one-time correction notice (补正告知书):
// a material or a form field and what is wrong with it.
type Correction struct {
	Material string `json:"material,omitempty"` // material key
	Field    string `json:"field,omitempty"`    // form field key
	Name     string `json:"name"`               // as the applicant reads it (filled from the item)
	Problem  string `json:"problem"`
}

// Event is one entry of a case's timeline.
type Event struct {
	Seq       int            `json:"seq"`
	Action    string         `json:"action"`
	FromState string         `json:"from_state,omitempty"`
	ToState   string         `json:"to_state,omitempty"`
	Actor     string         `json:"actor"`
	ActorRole string         `json:"actor_role"`
	Reason    string         `json:"reason,omitempty"`
	Data      map[string]any `json:"data,omitempty"`
	StepDueAt *time.Time     `json:"step_due_at,omitempty"`
	At        time.Time      `json:"at"`
	AuditID   string         `json:"audit_id,omitempty"`   // the event's record in the audit log
	LeafIndex *int64         `json:"leaf_index,omitempty"` // its place in the log, once sequenced (seconds)
}

// Channels.
const (
	ChannelOnline = "online" // 网上申报 by the applicant
	ChannelAgent  = "agent"  // 代办 by an agent on the applicant's behalf
	ChannelWindow = "window" // 窗口受理 by a clerk
)

// Decisions.
const (
	Granted = "granted" // 准予
	Denied  = "denied"  // 不予
)

// history is how many pauses, extensions and countersigns a case has.
type history struct{ pauses, extensions, signs int }
