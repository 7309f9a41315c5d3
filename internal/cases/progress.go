package cases

import (
	"context"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
)

// Progress is what anyone holding a case number and the applicant's name
// may see (办事过程查询, R2.10): where the case is and when each step
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

// Progress looks a case up by number and the applicant's name. A wrong
// name and an unknown number get the same answer, so the query reveals
// nothing about cases whose applicant the asker cannot name.
func (s *Service) Progress(ctx context.Context, no, name string) (*Progress, error) {
	no, name = strings.TrimSpace(no), strings.TrimSpace(name)
	if err := codes.CheckCaseNo(no); err != nil {
		return nil, err
	}
	if name == "" {
		return nil, apperr.E(apperr.Invalid, "case.progress_name")
	}
	var p *Progress
	err := s.db.View(ctx, func(tx *db.Tx) error {
		c, err := s.load(tx, no)
		if err != nil || c.ApplicantName != name {
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

// publicActions are the timeline entries the public progress shows.
var publicActions = map[string]bool{"submit": true, "resubmit": true, "request_correction": true, "accept": true, "refuse": true,
	"pass": true, "return": true, "pause": true, "resume": true, "extend": true, "grant": true, "deny": true, "deliver": true,
	"withdraw": true, "terminate": true, "transfer": true}
