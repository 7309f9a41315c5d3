// Package anomaly raises and lists the anomalies of electronic supervision
// (R4.4) — a decision entered after the fact (事后录入), a pre-review or a
// step overdue while the case is not, a refusal with an empty or
// boilerplate reason, a case reopened after its conclusion — each with a
// reason a supervisor can read. The rules are pure; Raise records.
package anomaly

import (
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/db"
)

// Kinds of anomaly.
const (
	AfterTheFact     = "after_the_fact"     // 事后录入: a 承诺件 accepted and decided within minutes
	PreReviewOverdue = "pre_review_overdue" // 预审超期
	StepOverdue      = "step_overdue"       // a step late while the case is not
	Boilerplate      = "boilerplate_reason" // 不予受理/不予许可 without a real reason
	Reopened         = "reopened"           // a concluded case moved again
	RepeatCorrection = "repeat_correction"  // 再次补正: a second correction notice (行政许可法 Art. 32 asks for one)
)

// Kinds lists them in the order pages show them.
var Kinds = []string{AfterTheFact, PreReviewOverdue, StepOverdue, Boilerplate, Reopened, RepeatCorrection}

// AfterTheFactWindow: a decision this soon after acceptance on an item
// promised in several days was not worked on in the system — it was
// entered afterwards (R4.4 事后录入, 双轨运行).
const AfterTheFactWindow = 10 * time.Minute

// AfterTheFactMinDays is the promise (working days) from which a
// same-moment decision is suspicious: 即办件 and one-day items are decided
// at once legitimately.
const AfterTheFactMinDays = 3

// IsAfterTheFact says whether a decision looks entered after the fact.
func IsAfterTheFact(commitmentItem bool, promisedHalfDays int, accepted, decided time.Time) bool {
	return commitmentItem && promisedHalfDays >= 2*AfterTheFactMinDays && decided.Sub(accepted) < AfterTheFactWindow
}

// boilerplate are reasons that say nothing the applicant can act on.
var boilerplate = []string{"不符合条件", "不符合要求", "不符合规定", "材料不全", "材料不齐", "不予受理", "不予许可", "不予批准", "不同意",
	"其他", "无", "见附件", "略", "同上", "不符合", "审核不通过", "不通过"}

// MinReasonRunes: a reason shorter than this cannot cite the rule and the
// fact it rests on (行政许可法 Art. 38: a refusal states its reasons).
const MinReasonRunes = 8

// IsBoilerplate says whether a refusal's reason is empty or boilerplate.
func IsBoilerplate(reason string) bool {
	r := strings.Trim(strings.TrimSpace(reason), "。.！!，, ")
	if utf8.RuneCountInString(r) < MinReasonRunes {
		return true
	}
	for _, b := range boilerplate {
		if r == b {
			return true
		}
	}
	return false
}

// Raise records an anomaly of a case once per cause, in the caller's
// transaction.
func Raise(tx *db.Tx, caseID, kind, cause, dept, region string, detail map[string]any) error {
	if detail == nil {
		detail = map[string]any{}
	}
	b, err := json.Marshal(detail)
	if err != nil {
		return err
	}
	res, err := tx.Exec(`INSERT INTO case_anomalies (id, case_id, kind, cause, detail, department_id, region_code, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (case_id, kind, cause) DO NOTHING`,
		db.NewID(), caseID, kind, cause, string(b), dept, region, tx.Now)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil // raised before
	}
	return audit.Append(tx, &audit.Record{Actor: "-", Role: "system", Action: "anomaly." + kind, ObjectType: "case", ObjectID: caseID}, b)
}
