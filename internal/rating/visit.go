package rating

import (
	"context"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/queue"
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
	var out *Rating
	err := s.DB.Update(ctx, func(tx *db.Tx) error {
		var err error
		out, err = s.rateVisit(tx, v, in)
		return err
	})
	if err != nil {
		return nil, apperr.Internalf("rating: rate visit", err)
	}
	return out, nil
}

// rateVisit is RateVisit in the caller's transaction.
func (s *Service) rateVisit(tx *db.Tx, v Visit, in Input) (*Rating, error) {
	if v.TicketID == "" || v.Dept == "" || v.Region == "" || v.ServedAt.IsZero() {
		return nil, apperr.E(apperr.Invalid, "rating.visit_unknown")
	}
	if in.Kind == "" {
		in.Kind = KindFirst
	}
	in.Comment = strings.TrimSpace(in.Comment)
	rule, err := RuleFor(tx, v.Region)
	if err != nil {
		return nil, err
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
		return nil, err
	}
	if in.Kind != KindFirst { // 一次一评: once
		return nil, apperr.E(apperr.Conflict, "rating.follow_up_visit")
	}
	if a.First != nil {
		return nil, apperr.E(apperr.Conflict, "rating.visit_rated")
	}
	if e := Check(a); e != nil {
		return nil, e
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
			return nil, apperr.E(apperr.Conflict, "rating.visit_rated")
		}
		return nil, err
	}
	if err := flagBurst(tx, r); err != nil {
		return nil, err
	}
	actor := v.PersonID
	if actor == "" {
		actor = "-"
	}
	if err := audit.Append(tx, &audit.Record{Actor: actor, Role: "applicant", Action: "rating.create", ObjectType: "visit", ObjectID: v.TicketID}, nil); err != nil {
		return nil, err
	}
	if r.Level.Bad() {
		if r.OrderID, err = s.openOrder(tx, r, rule); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// RateTicket records the rating of a hall visit by its queue ticket (the
// ticket's id is what its holder has: the slip's QR code, the kiosk's
// page): only once the ticket was served to its end, once. The rater is
// the ticket's account, or nobody; a signed-in account may rate only its
// own ticket or an anonymous one, and staff never. Refusals write nothing.
func (s *Service) RateTicket(ctx context.Context, u *identity.User, ticketID string, in Input) (*Rating, error) {
	if u != nil && u.Kind == identity.KindStaff {
		return nil, apperr.E(apperr.Forbidden, "rating.staff")
	}
	var out *Rating
	err := s.DB.Update(ctx, func(tx *db.Tx) error {
		sv, err := queue.ServedTx(tx, ticketID)
		if err != nil {
			return err
		}
		if sv.Finished == nil {
			return apperr.E(apperr.Conflict, "rating.visit_not_served")
		}
		if u != nil && sv.PersonID != "" && sv.PersonID != u.ID {
			return apperr.E(apperr.Forbidden, "rating.visit_not_yours")
		}
		v := Visit{TicketID: sv.TicketID, TicketNo: sv.Number, PersonID: sv.PersonID, Dept: sv.Dept, Region: sv.Region,
			ItemCode: sv.ImplCode, ItemName: sv.ItemName, ServedAt: *sv.Finished}
		if sv.StaffID != "" {
			v.StaffIDs = []string{sv.StaffID}
		}
		out, err = s.rateVisit(tx, v, in)
		return err
	})
	if err != nil {
		return nil, apperr.Internalf("rating: rate ticket", err)
	}
	return out, nil
}

// TicketRated reports whether a visit (its ticket) has its rating: the
// ticket's pages show the form until it does.
func (s *Service) TicketRated(ctx context.Context, ticketID string) (bool, error) {
	var n int
	err := s.DB.View(ctx, func(tx *db.Tx) error {
		return tx.QueryRow(`SELECT COUNT(*) FROM ratings WHERE subject_kind = 'visit' AND subject_id = $1 AND kind = 'first'`, ticketID).Scan(&n)
	})
	return n > 0, apperr.Internalf("rating: ticket rated", err)
}
