package rating

import (
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/supervise"
)

// The order's clocks are supervise's work-order clocks (order_clocks): the
// scanner gives them 预警/黄牌/红牌, reminds and escalates by the region's
// rules; the order keeps its due times too, for its ledger and figures.
type orderClock = supervise.Clock

const (
	clockVerify  = supervise.ClockRatingVerify
	clockRectify = supervise.ClockRatingRectify
)

// remindRoles are reminded of an order nobody has taken yet.
var remindRoles = []string{"handler"}

// startClocks starts the verification and rectification clocks at the rating.
func startClocks(tx *db.Tx, o *Order) error {
	for _, c := range []orderClock{clockVerify, clockRectify} {
		due := o.VerifyDueAt
		if c == clockRectify {
			due = o.RectifyDueAt
		}
		if err := supervise.StartOrderClock(tx, supervise.OrderClock{Kind: supervise.OrderRating, OrderID: o.ID, OrderNo: o.No, Clock: c,
			State: o.State, Dept: o.DepartmentID, Region: o.Region, Roles: remindRoles, Start: o.CreatedAt, Due: due}); err != nil {
			return err
		}
	}
	return nil
}

// stopClock stops a clock and says whether it met its deadline.
func stopClock(tx *db.Tx, o *Order, c orderClock) (bool, error) {
	return supervise.StopOrderClock(tx, supervise.OrderRating, o.ID, c)
}

// moveOrder lets the running clocks follow the order's state and assignee.
func moveOrder(tx *db.Tx, o *Order, state, assignee string) error {
	return supervise.MoveOrder(tx, supervise.OrderRating, o.ID, state, o.DepartmentID, assignee)
}

// orderClocks lists the order's clocks for its page.
func orderClocks(tx *db.Tx, o *Order) ([]supervise.OrderClockView, error) {
	return supervise.OrderClocks(tx, supervise.OrderRating, o.ID)
}
