package deliver

import (
	"context"
	"sync"
	"time"
)

// Screen is the demo's SMS gateway: it keeps the last messages in memory
// and shows them on the demo's own page (/demo/sms), so that a reviewer can
// register and sign in by SMS code without a phone. Only demo mode has it
// (server.App): in an installation, a page listing codes would open every
// account.
type Screen struct {
	mu   sync.Mutex
	msgs []ScreenMessage
}

// ScreenMessage is one message the Screen received.
type ScreenMessage struct {
	At   time.Time
	To   string
	Body string
}

// screenKeep is how many messages the Screen keeps.
const screenKeep = 50

// Send implements Channel.
func (s *Screen) Send(_ context.Context, e Envelope) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, ScreenMessage{At: time.Now(), To: e.To, Body: e.Body})
	if len(s.msgs) > screenKeep {
		s.msgs = s.msgs[len(s.msgs)-screenKeep:]
	}
	return nil
}

// Messages are the kept messages, newest first.
func (s *Screen) Messages() []ScreenMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ScreenMessage, len(s.msgs))
	for i, m := range s.msgs {
		out[len(s.msgs)-1-i] = m
	}
	return out
}
