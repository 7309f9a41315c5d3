package rating

import "github.com/tongban/tongban/internal/db"

// The order's clocks. Until supervise's work-order clocks land on main the
// order keeps its own due times (verify_due_at, rectify_due_at) and judges
// "on time" from them; clocksLive says the shared clocks run.
const clocksLive = false

type orderClock string

const (
	clockVerify  orderClock = "rating_verify"
	clockRectify orderClock = "rating_rectify"
)

func startClocks(tx *db.Tx, o *Order) error                       { return nil }
func stopClock(tx *db.Tx, o *Order, c orderClock) (bool, error)   { return true, nil }
func moveOrder(tx *db.Tx, o *Order, state, assignee string) error { return nil }
