package cases

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"strings"
	"time"
	"unicode"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
)

// Progress is what anyone holding a case number, the applicant's name and
// the case's 查询码 may see (办事过程查询, R2.10): where the case is and when each step
// happened. It names no staff and shows no personal data.
type Progress struct {
	No          string         `json:"case_no"`
	ItemName    string         `json:"item_name"`
	Department  string         `json:"department_name"`
	Status      string         `json:"status"`
	SubmittedAt *time.Time     `json:"submitted_at,omitempty"`
	AcceptedAt  *time.Time     `json:"accepted_at,omitempty"`
	DueDate     *calendar.Date `json:"due_date,omitempty"`
	ConcludedAt *time.Time     `json:"concluded_at,omitempty"`
	Decision    string         `json:"decision,omitempty"`
	Steps       []ProgressStep `json:"steps"`
}

// ProgressStep is one public entry of the timeline.
type ProgressStep struct {
	Action string    `json:"action"`
	At     time.Time `json:"at"`
}

// Progress looks a case up by number, the applicant's name and a second
// thing only the applicant holds (code): the case's 查询码, printed on its
// notices, or the last four characters of the applicant's ID number or
// credit code. Case numbers are sequential and names common, so number and
// name alone would tell strangers who applied for what (issue 14; a 残疾人证
// is health data, PIPL Art. 28). A wrong name or code and an unknown number
// get the same answer, so the query reveals nothing about cases whose
// applicant the asker cannot name and prove; the edge limits how often one
// address asks.
func (s *Service) Progress(ctx context.Context, no, name, code string) (*Progress, error) {
	no, name = strings.TrimSpace(no), strings.TrimSpace(name)
	code = normalizeCode(code)
	if err := codes.CheckCaseNo(no); err != nil {
		return nil, err
	}
	if name == "" {
		return nil, apperr.E(apperr.Invalid, "case.progress_name")
	}
	if code == "" {
		return nil, apperr.E(apperr.Invalid, "case.progress_code")
	}
	var p *Progress
	err := s.db.View(ctx, func(tx *db.Tx) error {
		c, err := s.load(tx, no)
		if err != nil || c.ApplicantName != name || !c.provenBy(code) {
			return apperr.E(apperr.NotFound, "case.progress_not_found")
		}
		p = &Progress{No: c.No, ItemName: c.ItemName, Department: c.Department, Status: c.Status, SubmittedAt: c.SubmittedAt,
			AcceptedAt: c.AcceptedAt, DueDate: c.DueDate, ConcludedAt: c.ConcludedAt, Decision: c.Decision, Steps: []ProgressStep{}}
		events, err := timeline(tx, c.ID)
		if err != nil {
			return err
		}
		for _, e := range events {
			if publicActions[e.Action] {
				p.Steps = append(p.Steps, ProgressStep{Action: e.Action, At: e.At})
			}
		}
		return nil
	})
	return p, apperr.Internalf("cases: progress", err)
}

// queryAlphabet is Crockford's base 32: no I, L, O or U to misread on paper.
const queryAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// newQueryCode is a 查询码: 8 characters, 40 random bits.
func newQueryCode() string {
	var b [8]byte
	rand.Read(b[:])
	for i := range b {
		b[i] = queryAlphabet[b[i]&31]
	}
	return string(b[:])
}

// normalizeCode reads a typed 查询码 or identifier tail: upper case, without
// spaces or dashes, with the letters Crockford reads as digits.
func normalizeCode(s string) string {
	return strings.Map(func(r rune) rune {
		switch r = unicode.ToUpper(r); r {
		case ' ', '-', '\t', '\u3000':
			return -1
		case 'O':
			return '0'
		case 'I', 'L':
			return '1'
		}
		return r
	}, s)
}

// provenBy says whether code is c's 查询码 or the last four characters of
// its applicant's identifier (shown unmasked at the end of the masked form).
func (c *Case) provenBy(code string) bool {
	if c.QueryCode != "" && subtle.ConstantTimeCompare([]byte(normalizeCode(c.QueryCode)), []byte(code)) == 1 {
		return true
	}
	id := strings.ToUpper(c.ApplicantMasked)
	return len(code) == 4 && len(id) >= 4 && !strings.Contains(id[len(id)-4:], "*") &&
		subtle.ConstantTimeCompare([]byte(normalizeCode(id[len(id)-4:])), []byte(code)) == 1
}

// publicActions are the timeline entries the public progress shows.
var publicActions = map[string]bool{"submit": true, "resubmit": true, "request_correction": true, "accept": true, "refuse": true,
	"pass": true, "return": true, "pause": true, "resume": true, "extend": true, "grant": true, "deny": true, "deliver": true,
	"withdraw": true, "terminate": true, "transfer": true}
