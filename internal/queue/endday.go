package queue

import (
	"github.com/tongban/tongban/internal/db"
)

// DayEnded is the void reason (the void event's detail) of a ticket left
// waiting, called or held when its day ended.
const DayEnded = "day ended"

// EndDaysTx voids the tickets of days before today (China) still waiting,
// called or held: numbers start again each day, so such a ticket can never
// be called or served; it is void, its void event says why, and it counts
// as void in the figures. A ticket being served is left to its window to
// finish. The mobile numbers given for past days' tickets are cleared. It returns how many it voided; the booking sweep runs it under
// its lease each minute.
func EndDaysTx(tx *db.Tx) (int, error) {
	today := Day(tx.Now)
	rows, err := tx.Query(`UPDATE queue_tickets SET state = 'void', finished_at = $1, changed_at = $1
		WHERE day < $2 AND state IN ('waiting', 'called', 'held') RETURNING id, hall_id, COALESCE(window_id, '')`, tx.Now, today)
	if err != nil {
		return 0, err
	}
	type voided struct{ id, hall, window string }
	var list []voided
	for rows.Next() {
		var v voided
		if err := rows.Scan(&v.id, &v.hall, &v.window); err != nil {
			rows.Close()
			return 0, err
		}
		list = append(list, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	// The numbers given for 即将到号 are kept for their day only.
	if _, err := tx.Exec(`UPDATE queue_tickets SET near_phone_sealed = '' WHERE day < $1 AND near_phone_sealed <> ''`, today); err != nil {
		return 0, err
	}
	for _, v := range list {
		if err := event(tx, v.id, v.hall, "void", v.window, "", DayEnded); err != nil {
			return 0, err
		}
	}
	return len(list), nil
}
