package web

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/edge"
	"github.com/tongban/tongban/internal/queue"
	"github.com/tongban/tongban/internal/report"
)

// The service hall (issue 19): a hall's kiosk take page, a ticket's status
// page (its QR code), the display board and its event stream, the window's
// console, the administration of a hall's services and the figures.

// hallTake is the hall's take page (取号): choose a service and, when one
// applies, a priority class. Anonymous, as the hall's terminal is.
func (s *Server) hallTake(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "queue.take_title")
	return s.renderTake(w, r, v, http.StatusOK)
}

func (s *Server) renderTake(w http.ResponseWriter, r *http.Request, v *View, status int) error {
	b, err := s.Queue.Board(r.Context(), r.PathValue("hallID"))
	if err != nil {
		return err
	}
	svcs, err := s.Queue.Services(r.Context(), b.HallID)
	if err != nil {
		return err
	}
	ps, err := s.Queue.Priorities(r.Context())
	if err != nil {
		return err
	}
	v.TitleText = b.HallName + " · " + v.T("queue.take_title")
	v.Data["Board"], v.Data["Services"], v.Data["Priorities"] = b, svcs, ps
	s.render(w, r, status, "hall_take", v)
	return nil
}

func (s *Server) hallTakePost(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "queue.take_title")
	if s.QueueTakeLimit != nil {
		if err := s.QueueTakeLimit.Check(r); err != nil {
			return err
		}
	}
	in := queue.TakeInput{HallID: r.PathValue("hallID"), ServiceID: r.PostForm.Get("service"), Priority: r.PostForm.Get("priority"), Source: queue.SourceKiosk}
	if v.User != nil && r.PostForm.Get("desk") == "1" {
		in.Source = queue.SourceDesk
	}
	t, err := s.Queue.Take(r.Context(), v.User, in)
	if err != nil {
		switch apperr.CodeOf(err) {
		case apperr.Invalid, apperr.Conflict:
			p := edge.ProblemOf(r.Context(), v.Lang, err)
			v.Problem = &p
			return s.renderTake(w, r, v, p.Status)
		}
		return err
	}
	http.Redirect(w, r, "/queue/"+url.PathEscape(t.ID), http.StatusSeeOther)
	return nil
}

// ticketPage is a ticket's public status: its number, the people ahead
// and the wait; no personal data. Its QR code is this page's address.
func (s *Server) ticketPage(w http.ResponseWriter, r *http.Request) error {
	return s.showTicket(w, r, s.view(r, "queue.ticket_title"), http.StatusOK)
}

// showTicket renders a ticket's public page with status (a refused rating
// shows again with its problem).
func (s *Server) showTicket(w http.ResponseWriter, r *http.Request, v *View, status int) error {
	t, err := s.Queue.Status(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := s.visitRating(r, v, t, "/queue/"+url.PathEscape(t.ID)+"/rate"); err != nil {
		return err
	}
	v.TitleText = t.Number + " · " + t.HallName
	link := edge.BaseURL(r, s.PublicURL, s.SecureCookies) + "/queue/" + url.PathEscape(t.ID)
	png, err := report.QRPNG(link)
	if err != nil {
		return apperr.Internalf("web: qr", err)
	}
	v.Data["Ticket"], v.Data["URL"] = t, link
	v.Data["QR"] = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))
	s.render(w, r, status, "hall_ticket", v)
	return nil
}

// hallBoard is the full-screen display board (public): the numbers called
// and where, the next per service, kept live by the event stream.
func (s *Server) hallBoard(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "queue.board_title")
	b, err := s.Queue.Board(r.Context(), r.PathValue("hallID"))
	if err != nil {
		return err
	}
	v.TitleText = b.HallName
	v.Data["Board"] = b
	var buf bytes.Buffer
	if err := s.pages["hall_board"].ExecuteTemplate(&buf, "board_page", v); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(buf.Bytes())
	return nil
}

// Board event stream bounds: how often the database is read, how long one
// stream lasts before the browser reconnects (to any replica), and the
// keep-alive comment for proxies.
var (
	BoardPoll      = time.Second
	BoardStreamFor = 4 * time.Minute
	boardKeepAlive = 15 * time.Second
)

// hallEvents streams the board's state as Server-Sent Events. The state is
// read from the database (any replica can serve any board) and sent, with
// its version as the event id, whenever it changes and on connecting unless
// the browser already has that version (Last-Event-ID). A client that does
// not ask for an event stream gets the current state once.
func (s *Server) hallEvents(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	hallID := r.PathValue("hallID")
	b, err := s.Queue.Board(ctx, hallID)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Now().Add(BoardStreamFor + time.Minute))
	send := func(b *queue.Board) error {
		body, err := json.Marshal(b)
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(w, "id: %s\nevent: board\ndata: %s\n\n", b.Version, body); err != nil {
			return err
		}
		return rc.Flush()
	}
	fmt.Fprint(w, "retry: 2000\n\n")
	last := r.Header.Get("Last-Event-ID")
	if b.Version != last {
		if err := send(b); err != nil {
			return nil
		}
		last = b.Version
	} else if err := rc.Flush(); err != nil {
		return nil
	}
	if !strings.Contains(r.Header.Get("Accept"), "text/event-stream") {
		return nil
	}
	var stopping <-chan struct{}
	if s.Streams != nil {
		stopping = s.Streams.Done()
	}
	end := time.After(BoardStreamFor)
	poll := time.NewTicker(BoardPoll)
	defer poll.Stop()
	alive := time.NewTicker(boardKeepAlive)
	defer alive.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-stopping:
			return nil
		case <-end:
			return nil
		case <-alive.C:
			if _, err := fmt.Fprint(w, ": alive\n\n"); err != nil {
				return nil
			}
			if err := rc.Flush(); err != nil {
				return nil
			}
		case <-poll.C:
			b, err := s.Queue.Board(ctx, hallID)
			if err != nil {
				slog.WarnContext(ctx, "web: board events", "hall", hallID, "err", err)
				continue
			}
			if b.Version == last {
				continue
			}
			if err := send(b); err != nil {
				return nil
			}
			last = b.Version
		}
	}
}

// hallConsole is the window's console (叫号): sign on to a window, then
// call, recall, skip, hold, resume, start, finish and transfer.
func (s *Server) hallConsole(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "queue.console_title")
	return s.renderConsole(w, r, v, http.StatusOK)
}

func (s *Server) renderConsole(w http.ResponseWriter, r *http.Request, v *View, status int) error {
	se, err := s.Queue.CurrentSession(r.Context(), v.User)
	if err != nil {
		return err
	}
	if se == nil {
		halls, err := s.Queue.StaffHalls(r.Context(), v.User)
		if err != nil {
			return err
		}
		v.Data["Halls"] = halls
	} else {
		c, err := s.Queue.Console(r.Context(), v.User)
		if err != nil {
			return err
		}
		v.Data["Console"] = c
		v.Data["Items"] = consoleItems(c)
	}
	v.Data["Done"] = r.URL.Query().Get("done")
	s.render(w, r, status, "hall_console", v)
	return nil
}

// consoleItems are the items the window's services serve (to finish with
// a case of one of them).
func consoleItems(c *queue.ConsoleView) []string {
	seen := map[string]bool{}
	var out []string
	mine := map[string]bool{}
	for _, n := range c.Counts {
		mine[n.ServiceID] = true
	}
	for _, sv := range c.Services {
		if !mine[sv.ID] {
			continue
		}
		for _, it := range sv.Items {
			if !seen[it] {
				seen[it] = true
				out = append(out, it)
			}
		}
	}
	return out
}

func (s *Server) hallConsolePost(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "queue.console_title")
	ctx, u, f := r.Context(), v.User, r.PostForm
	id := f.Get("ticket")
	var err error
	done := f.Get("do")
	switch done {
	case "signon":
		_, err = s.Queue.SignOn(ctx, u, f.Get("window"))
	case "signoff":
		err = s.Queue.SignOff(ctx, u)
	case "next":
		var t *queue.Ticket
		t, err = s.Queue.CallNext(ctx, u)
		if err == nil && t == nil {
			done = "none"
		}
	case "call":
		_, err = s.Queue.Call(ctx, u, id)
	case "recall":
		_, err = s.Queue.Recall(ctx, u, id)
	case "skip":
		_, err = s.Queue.Skip(ctx, u, id)
	case "hold":
		_, err = s.Queue.Hold(ctx, u, id)
	case "resume":
		_, err = s.Queue.Resume(ctx, u, id)
	case "start":
		_, err = s.Queue.Start(ctx, u, id)
	case "transfer":
		in := queue.TransferInput{}
		if kind, target, ok := strings.Cut(f.Get("target"), ":"); ok && kind == "window" {
			in.WindowID = target
		} else if ok && kind == "service" {
			in.ServiceID = target
		}
		_, err = s.Queue.Transfer(ctx, u, id, in)
	case "finish":
		var fin *queue.Finished
		fin, err = s.Queue.Finish(ctx, u, id, queue.FinishInput{Outcome: f.Get("outcome"), ImplCode: f.Get("impl_code")})
		if err == nil && fin.Next != "" {
			http.Redirect(w, r, fin.Next, http.StatusSeeOther)
			return nil
		}
	default:
		err = apperr.E(apperr.Invalid, "queue.action", "value", done)
	}
	if err != nil {
		switch apperr.CodeOf(err) {
		case apperr.Invalid, apperr.Conflict, apperr.NotFound:
			p := edge.ProblemOf(ctx, v.Lang, err)
			v.Problem = &p
			return s.renderConsole(w, r, v, p.Status)
		}
		return err
	}
	http.Redirect(w, r, "/hall/console?done="+url.QueryEscape(done), http.StatusSeeOther)
	return nil
}

// adminHallQueue is a hall's services (业务类型: prefix, duration, items)
// and which windows serve each, for its administrators.
func (s *Server) adminHallQueue(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "queue.admin_title")
	return s.renderHallQueue(w, r, v, http.StatusOK)
}

func (s *Server) renderHallQueue(w http.ResponseWriter, r *http.Request, v *View, status int) error {
	hallID := r.PathValue("id")
	ws, err := s.Queue.HallWindows(r.Context(), v.User, hallID)
	if err != nil {
		return err
	}
	hs, err := s.Catalog.AdminHalls(r.Context(), v.User)
	if err != nil {
		return err
	}
	name := ""
	for _, h := range hs {
		if h.ID == hallID {
			name = h.Name
		}
	}
	if name == "" {
		return apperr.E(apperr.NotFound, "queue.hall_unknown", "id", hallID)
	}
	svcs, err := s.Queue.Services(r.Context(), hallID)
	if err != nil {
		return err
	}
	v.TitleText = name + " · " + v.T("queue.admin_title")
	v.Data["HallID"], v.Data["HallName"], v.Data["Services"], v.Data["Windows"] = hallID, name, svcs, ws
	v.Data["Done"] = r.URL.Query().Get("done")
	s.render(w, r, status, "admin_hall_queue", v)
	return nil
}

func (s *Server) adminHallQueuePost(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "queue.admin_title")
	hallID, f := r.PathValue("id"), r.PostForm
	in := queue.ServiceInput{Prefix: formText(r, "prefix"), Name: formText(r, "name"), NameEN: formText(r, "name_en")}
	if m := f.Get("minutes"); m != "" || f.Has("minutes") {
		n, err := strconv.Atoi(m)
		if err != nil {
			n = -1
		}
		in.Minutes = &n
	}
	items := strings.FieldsFunc(f.Get("items"), func(c rune) bool { return c == ',' || c == '，' || c == ' ' || c == '\n' || c == '\r' })
	windows := f["windows"]
	if windows == nil {
		windows = []string{}
	}
	in.Items, in.Windows = &items, &windows
	var err error
	form := "new-service"
	if id := f.Get("service"); id != "" {
		form = "service-" + id
		active := f.Get("active") == "1"
		in.Active = &active
		_, err = s.Queue.UpdateService(r.Context(), v.User, id, in)
	} else {
		_, err = s.Queue.CreateService(r.Context(), v.User, hallID, in)
	}
	if err != nil {
		return s.refuse(w, r, v, form, err, func(status int) error { return s.renderHallQueue(w, r, v, status) })
	}
	http.Redirect(w, r, "/admin/organisation/halls/"+url.PathEscape(hallID)+"/queue?done=service", http.StatusSeeOther)
	return nil
}

// hallFiguresPage is a hall's queue figures for its staff.
func (s *Server) hallFiguresPage(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "queue.figures_title")
	q := r.URL.Query()
	f, err := s.Queue.HallFigures(r.Context(), v.User, r.PathValue("hallID"), q.Get("from"), q.Get("to"))
	if err != nil {
		if apperr.CodeOf(err) != apperr.Invalid {
			return err
		}
		p := edge.ProblemOf(r.Context(), v.Lang, err)
		v.Problem = &p
		if f, err = s.Queue.HallFigures(r.Context(), v.User, r.PathValue("hallID"), "", ""); err != nil {
			return err
		}
	}
	v.TitleText = f.HallName + " · " + v.T("queue.figures_title")
	v.Data["Figures"] = f
	status := http.StatusOK
	if v.Problem != nil {
		status = v.Problem.Status
	}
	s.render(w, r, status, "hall_figures", v)
	return nil
}

func init() {
	// qbtn passes a page, a ticket and an action to the console's one-button form.
	funcs["qbtn"] = func(v *View, t queue.Ticket, do string) map[string]any {
		return map[string]any{"V": v, "T": t, "Do": do}
	}
	// serviceFields passes a page and a hall's service (nil: a new one) to the service form's fields.
	funcs["serviceFields"] = func(v *View, sv any) map[string]any {
		m := map[string]any{"V": v, "S": sv, "Windows": []string{}}
		if hs, ok := sv.(queue.HallService); ok {
			m["Windows"] = hs.Windows
		}
		return m
	}
	// qfig passes a page, a title, an id and rows to a figures table.
	funcs["qfig"] = func(v *View, title, id string, rows []queue.FigureRow) map[string]any {
		return map[string]any{"V": v, "Title": title, "ID": id, "Rows": rows}
	}
}
