package api

import (
	"net/http"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/queue"
)

// The service hall's queue (issue 19): services, windows' services, taking
// tickets, a ticket's public status, the window's console and its actions,
// the display board's state and the figures. Every rule is the queue
// service's.

func (s *Server) hallServices(w http.ResponseWriter, r *http.Request) error {
	hs, err := s.Queue.Services(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	ps, err := s.Queue.Priorities(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"services": hs, "priorities": ps})
	return nil
}

func (s *Server) createHallService(w http.ResponseWriter, r *http.Request) error {
	var in queue.ServiceInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	hs, err := s.Queue.CreateService(r.Context(), userFrom(r.Context()), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"service": hs})
	return nil
}

func (s *Server) updateHallService(w http.ResponseWriter, r *http.Request) error {
	var in queue.ServiceInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	hs, err := s.Queue.UpdateService(r.Context(), userFrom(r.Context()), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"service": hs})
	return nil
}

func (s *Server) putWindowServices(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Services *[]string `json:"services"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.Services == nil {
		return errField("services")
	}
	wi, err := s.Queue.SetWindowServices(r.Context(), userFrom(r.Context()), r.PathValue("id"), *in.Services)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"window": wi})
	return nil
}

func (s *Server) queueWindows(w http.ResponseWriter, r *http.Request) error {
	ws, err := s.Queue.HallWindows(r.Context(), userFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"windows": ws})
	return nil
}

// takeTicket: a clerk at the desk, an agent for a villager, or a person
// for themselves (the kiosk takes through its page).
func (s *Server) takeTicket(w http.ResponseWriter, r *http.Request) error {
	var in queue.TakeInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.Source == queue.SourceKiosk {
		return apperr.E(apperr.Invalid, "queue.kiosk_page")
	}
	t, err := s.Queue.Take(r.Context(), userFrom(r.Context()), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"ticket": t})
	return nil
}

// ticketStatus is a ticket's public status (its QR code): no personal data.
func (s *Server) ticketStatus(w http.ResponseWriter, r *http.Request) error {
	t, err := s.Queue.Status(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"ticket": t})
	return nil
}

func (s *Server) queueSignOn(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		WindowID string `json:"window_id"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.WindowID == "" {
		return errField("window_id")
	}
	se, err := s.Queue.SignOn(r.Context(), userFrom(r.Context()), in.WindowID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"session": se})
	return nil
}

func (s *Server) queueSignOff(w http.ResponseWriter, r *http.Request) error {
	if err := s.Queue.SignOff(r.Context(), userFrom(r.Context())); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) queueConsole(w http.ResponseWriter, r *http.Request) error {
	c, err := s.Queue.Console(r.Context(), userFrom(r.Context()))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"console": c})
	return nil
}

func (s *Server) queueCallNext(w http.ResponseWriter, r *http.Request) error {
	t, err := s.Queue.CallNext(r.Context(), userFrom(r.Context()))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"ticket": t})
	return nil
}

// TicketAction is one action at a window's console on a ticket.
type TicketAction struct {
	Action    string `json:"action"` // call, recall, skip, hold, resume, start, finish, transfer
	Outcome   string `json:"outcome"`
	ImplCode  string `json:"impl_code"`
	CaseID    string `json:"case_id"`
	WindowID  string `json:"window_id"`
	ServiceID string `json:"service_id"`
}

func (s *Server) queueTicketAction(w http.ResponseWriter, r *http.Request) error {
	var in TicketAction
	if err := decode(w, r, &in); err != nil {
		return err
	}
	out, err := queueAction(r, s.Queue, in, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// queueAction runs a console action on a ticket.
func queueAction(r *http.Request, q *queue.Service, in TicketAction, id string) (map[string]any, error) {
	ctx, u := r.Context(), userFrom(r.Context())
	var t *queue.Ticket
	var err error
	switch in.Action {
	case "call":
		t, err = q.Call(ctx, u, id)
	case "recall":
		t, err = q.Recall(ctx, u, id)
	case "skip":
		t, err = q.Skip(ctx, u, id)
	case "hold":
		t, err = q.Hold(ctx, u, id)
	case "resume":
		t, err = q.Resume(ctx, u, id)
	case "start":
		t, err = q.Start(ctx, u, id)
	case "transfer":
		t, err = q.Transfer(ctx, u, id, queue.TransferInput{WindowID: in.WindowID, ServiceID: in.ServiceID})
	case "finish":
		f, err := q.Finish(ctx, u, id, queue.FinishInput{Outcome: in.Outcome, ImplCode: in.ImplCode, CaseID: in.CaseID})
		if err != nil {
			return nil, err
		}
		return map[string]any{"ticket": f.Ticket, "next": f.Next}, nil
	case "":
		return nil, errField("action")
	default:
		return nil, apperr.E(apperr.Invalid, "queue.action", "value", in.Action)
	}
	if err != nil {
		return nil, err
	}
	return map[string]any{"ticket": t}, nil
}

func (s *Server) hallBoard(w http.ResponseWriter, r *http.Request) error {
	b, err := s.Queue.Board(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"board": b})
	return nil
}

func (s *Server) hallFigures(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f, err := s.Queue.HallFigures(r.Context(), userFrom(r.Context()), r.PathValue("id"), q.Get("from"), q.Get("to"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"figures": f})
	return nil
}
