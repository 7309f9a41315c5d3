package rating

import (
	"context"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/db"
)

// Visit is a hall visit (一次一评: a queue ticket served at a window) as the
// queue knows it when the person rates it — on the window's tablet or the
// ticket's QR code. The queue proves the ticket; the rating records it.
type Visit struct {
	TicketID string    // the queue ticket: the rating's subject
	TicketNo string    // its number, shown in the ledger
	PersonID string    // the account the ticket was taken with, or "" (anonymous)
	Dept     string    // the department of the window that served it
	Region   string    // the hall's region
	ItemCode string    // the item, when the ticket names one
	ItemName string    //
	StaffIDs []string  // who served
	ServedAt time.Time // the end of service: the window runs from it
}

// RateVisit records the one rating of a hall visit (一次一评): no 追评, the
// region's window from the end of service, the same levels, indicators and
// channels; a bad one opens a 差评 work order like a case's (its 回访 by
// phone when the visitor is anonymous). Refusals write nothing.
func (s *Service) RateVisit(ctx context.Context, v Visit, in Input) (*Rating, error) {
	if v.TicketID == "" || v.Dept == "" || v.Region == "" || v.ServedAt.IsZero() {
		return nil, apperr.E(apperr.Invalid, "rating.visit_unknown")
	}
	if in.Kind == "" {
		in.Kind = KindFirst
	}
	in.Comment = strings.TrimSpace(in.Comment)
	var out *Rating
	err := s.DB.Update(ctx, func(tx *db.Tx) error {
		rule, err := RuleFor(tx, v.Region)
		if err != nil {
			return err
		}
		served := v.ServedAt.UTC()
		a := Attempt{Applicant: true, Concluded: &served, Kind: in.Kind, Level: in.Level, Indicators: in.Indicators,
			Comment: in.Comment, Channel: in.Channel, Now: tx.Now, Rule: rule}
		var at time.Time
		err = tx.QueryRow(`SELECT created_at FROM ratings WHERE subject_kind = 'visit' AND subject_id = $1 AND kind = 'first'`, v.TicketID).Scan(&at)
		switch {
		case err == nil:
			a.First = &at
		case !isNoRows(err):
			return err
		}
		if in.Kind != KindFirst { // 一次一评: once
			return apperr.E(apperr.Conflict, "rating.follow_up_visit")
		}
		if e := Check(a); e != nil {
			return e
		}
		r := &Rating{ID: db.NewID(), SubjectKind: SubjectVisit, SubjectID: v.TicketID, SubjectNo: v.TicketNo, Kind: KindFirst, RaterID: v.PersonID,
			Level: in.Level, Direction: Direction, IndicatorSet: Indicators.Version, Indicators: uniq(in.Indicators), Comment: in.Comment,
			Channel: in.Channel, ItemCode: v.ItemCode, ItemName: v.ItemName, DepartmentID: v.Dept, Region: v.Region, StaffIDs: v.StaffIDs,
			CreatedAt: tx.Now}
		if r.StaffIDs == nil {
			r.StaffIDs = []string{}
		}
		if err := insert(tx, r, &served); err != nil {
			if db.IsUniqueViolation(err) {
				return apperr.E(apperr.Conflict, "rating.already_rated")
			}
			return err
		}
		if err := flagBurst(tx, r); err != nil {
			return err
		}
		actor := v.PersonID
		if actor == "" {
			actor = "-"
		}
		if err := audit.Append(tx, &audit.Record{Actor: actor, Role: "applicant", Action: "rating.create", ObjectType: "visit", ObjectID: v.TicketID}, nil); err != nil {
			return err
		}
		if r.Level.Bad() {
			if r.OrderID, err = s.openOrder(tx, r, rule); err != nil {
				return err
			}
		}
		out = r
		return nil
	})
	if err != nil {
		return nil, apperr.Internalf("rating: rate visit", err)
	}
	return out, nil
}
