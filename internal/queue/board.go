package queue

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/db"
)

// Board is what a hall's display board shows (public, no personal data):
// the numbers being called and where, and the next numbers per service.
// Version changes whenever anything shown changes: the board's event
// stream sends it as the event id, so that a board reconnecting to any
// replica (Last-Event-ID) is sent the state only when it differs.
type Board struct {
	HallID   string      `json:"hall_id"`
	HallName string      `json:"hall_name"`
	Day      string      `json:"day"`
	Calling  []BoardCall `json:"calling"`
	Next     []BoardNext `json:"next"`
	Version  string      `json:"version"`
}

// BoardCall is a number called to a window; Calls counts the calls (a
// recall is spoken again) and At is the last call.
type BoardCall struct {
	Number   string    `json:"number"`
	WindowNo string    `json:"window"`
	State    string    `json:"state"`
	Calls    int       `json:"calls"`
	At       time.Time `json:"at"`
}

// BoardNext is a service's next numbers and how many wait.
type BoardNext struct {
	Prefix  string   `json:"prefix"`
	Name    string   `json:"name"`
	NameEN  string   `json:"name_en"`
	Numbers []string `json:"numbers"`
	Waiting int      `json:"waiting"`
}

// Bounds of a board.
const (
	BoardCalls = 8 // the newest calls shown
	BoardNexts = 5 // the next numbers shown per service
)

// Board reads a hall's board; an unknown hall is NotFound.
func (s *Service) Board(ctx context.Context, hallID string) (*Board, error) {
	var out *Board
	err := s.DB.View(ctx, func(tx *db.Tx) error {
		h, err := hallRow(tx, hallID)
		if err != nil {
			return err
		}
		b := &Board{HallID: h.ID, HallName: h.Name, Day: Day(tx.Now), Calling: []BoardCall{}, Next: []BoardNext{}}
		rows, err := tx.Query(`SELECT t.number, w.number, t.state, t.calls, t.last_call_at FROM queue_tickets t JOIN windows w ON w.id = t.window_id
			WHERE t.hall_id = $1 AND t.day = $2 AND t.state IN ('called', 'serving') ORDER BY t.last_call_at DESC, t.seq LIMIT $3`, h.ID, b.Day, BoardCalls)
		if err != nil {
			return err
		}
		for rows.Next() {
			var c BoardCall
			if err := rows.Scan(&c.Number, &c.WindowNo, &c.State, &c.Calls, &c.At); err != nil {
				rows.Close()
				return err
			}
			c.At = c.At.UTC()
			b.Calling = append(b.Calling, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		svcs, err := servicesTx(tx, h.ID)
		if err != nil {
			return err
		}
		for _, sv := range svcs {
			if !sv.Active {
				continue
			}
			n := BoardNext{Prefix: sv.Prefix, Name: sv.Name, NameEN: sv.NameEN}
			if err := tx.QueryRow(`SELECT COUNT(*) FROM queue_tickets WHERE service_id = $1 AND day = $2 AND state = 'waiting'`, sv.ID, b.Day).Scan(&n.Waiting); err != nil {
				return err
			}
			if n.Numbers, err = tx.Strings(`SELECT number FROM queue_tickets WHERE service_id = $1 AND day = $2 AND state = 'waiting' AND target_window_id IS NULL
				ORDER BY rank, queued_at, seq LIMIT $3`, sv.ID, b.Day, BoardNexts); err != nil {
				return err
			}
			b.Next = append(b.Next, n)
		}
		body, err := json.Marshal(b)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		b.Version = hex.EncodeToString(sum[:8])
		out = b
		return nil
	})
	return out, apperr.Internalf("queue: board", err)
}
