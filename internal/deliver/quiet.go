package deliver

import (
	"database/sql"
	"time"
)

// Window is quiet hours: from the hour From to the hour To, in China
// Standard Time (Asia/Shanghai). A window with From > To crosses midnight
// (22–8: 22:00 to 08:00 the next morning); From == To is no window at all.
type Window struct {
	From int `json:"from"`
	To   int `json:"to"`
}

// Until is when the window covering t ends, or the zero time when t is
// outside it.
func (w Window) Until(t time.Time) time.Time {
	if w.From == w.To {
		return time.Time{}
	}
	l := t.In(shanghai)
	h := l.Hour()
	in := h >= w.From || h < w.To
	if w.From < w.To {
		in = h >= w.From && h < w.To
	}
	if !in {
		return time.Time{}
	}
	end := time.Date(l.Year(), l.Month(), l.Day(), w.To, 0, 0, 0, shanghai)
	if !end.After(l) {
		end = end.AddDate(0, 0, 1)
	}
	return end.UTC()
}

// Quiet is a person's own choice of quiet hours: their own window, or nil
// for the installation's (22:00–08:00 unless configured); Email holds
// back e-mail in the window too (SMS always is, unless urgent).
type Quiet struct {
	Window *Window
	Email  bool
}

// set reads the stored columns: both NULL for the installation's window.
func (q *Quiet) set(from, to sql.NullInt64) {
	q.Window = nil
	if from.Valid && to.Valid {
		q.Window = &Window{From: int(from.Int64), To: int(to.Int64)}
	}
}

// Quiet hours as a person chooses them (Contact.Quiet).
const (
	QuietDefault = "default" // the installation's window
	QuietNone    = "none"    // no quiet hours
	QuietCustom  = "custom"  // QuietFrom to QuietTo
)
