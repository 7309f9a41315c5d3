package deliver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	mail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"
)

// SMTP is the e-mail channel: one SMTP submission per message (go-mail),
// STARTTLS required ("starttls", the default), implicit TLS ("tls", port
// 465) or none ("none", only for a relay on the same machine), with
// authentication when a user is given.
type SMTP struct {
	Host     string
	Port     int
	Security string // starttls | tls | none
	User     string
	Password string
	From     string // the sender address: "政务服务平台 <noreply@example.gov.cn>"
	Timeout  time.Duration
	// TLS overrides the TLS configuration (tests trust their own CA).
	TLS *tls.Config

	once      sync.Once
	client    *mail.Client
	clientErr error
	idle      chan *idleConn
}

// Validate checks the settings.
func (s *SMTP) Validate() error {
	if s.Host == "" || s.From == "" {
		return errors.New("smtp: host and from are required")
	}
	switch s.Security {
	case "", "starttls", "tls", "none":
	default:
		return fmt.Errorf("smtp: security must be starttls, tls or none, not %q", s.Security)
	}
	m := mail.NewMsg()
	if err := m.From(s.From); err != nil {
		return fmt.Errorf("smtp: from %q: %w", s.From, err)
	}
	return nil
}

// Send implements Channel.
func (s *SMTP) Send(ctx context.Context, e Envelope) error {
	m := mail.NewMsg(mail.WithNoDefaultUserAgent())
	if err := m.From(s.From); err != nil {
		return Permanent(err)
	}
	if err := m.To(e.To); err != nil {
		return Permanent(err)
	}
	m.Subject(e.Subject)
	m.SetBodyString(mail.TypeTextPlain, e.Body)
	// The idempotency key as Message-ID: a second delivery after a crash
	// carries the same ID, which mail stores and readers collapse.
	domain := "tongban.local"
	if _, d, ok := strings.Cut(s.From, "@"); ok {
		domain = strings.TrimSuffix(strings.TrimSpace(d), ">")
	}
	m.SetMessageIDWithValue(strings.ReplaceAll(e.IdemKey, ":", ".") + "@" + domain)
	m.SetDate()

	c, err := s.mailer()
	if err != nil {
		return Permanent(err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout())
	defer cancel()
	// A pooled connection may have been closed by the server meanwhile:
	// its check (NOOP) fails before anything is sent, and one fresh
	// connection is tried.
	for try := 0; ; try++ {
		conn, reused := s.get()
		if conn == nil {
			sc, err := c.DialToSMTPClientWithContext(ctx)
			if err != nil {
				return fmt.Errorf("smtp: dial: %w", err)
			}
			conn = &idleConn{sc: sc}
		}
		err := c.SendWithSMTPClient(conn.sc, m)
		if err == nil {
			s.put(conn)
			return nil
		}
		c.CloseWithSMTPClient(conn.sc)
		var se *mail.SendError
		isSE := errors.As(err, &se)
		if reused && try == 0 && isSE && se.Reason == mail.ErrConnCheck {
			continue
		}
		if isSE {
			switch se.ErrorCode() {
			case 550, 551, 553: // mailbox unavailable, not local, name not allowed
				return Permanent(err)
			}
		}
		return err
	}
}

// idleConn is an open SMTP session kept for the next message.
type idleConn struct {
	sc    *smtp.Client
	since time.Time
}

func (s *SMTP) timeout() time.Duration {
	if s.Timeout == 0 {
		return 30 * time.Second
	}
	return s.Timeout
}

// get takes a kept session younger than half the timeout, if any.
func (s *SMTP) get() (*idleConn, bool) {
	for {
		select {
		case c := <-s.idle:
			if time.Since(c.since) < s.timeout()/2 {
				return c, true
			}
			s.client.CloseWithSMTPClient(c.sc)
		default:
			return nil, false
		}
	}
}

// put keeps a session for the next message, or closes it when enough are kept.
func (s *SMTP) put(c *idleConn) {
	c.since = time.Now()
	select {
	case s.idle <- c:
	default:
		s.client.CloseWithSMTPClient(c.sc)
	}
}

// mailer is the go-mail client of these settings, made once; it dials a
// session per connection and keeps up to 8 sessions open between messages
// (each authenticated once), so that a burst is not one TLS handshake and
// login per message.
func (s *SMTP) mailer() (*mail.Client, error) {
	s.once.Do(func() {
		opts := []mail.Option{mail.WithTimeout(s.timeout())}
		tlsConf := s.TLS
		if tlsConf == nil {
			tlsConf = &tls.Config{ServerName: s.Host, MinVersion: tls.VersionTLS12}
		}
		switch s.Security {
		case "tls":
			opts = append(opts, mail.WithSSL(), mail.WithTLSConfig(tlsConf))
		case "none":
			opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
		default:
			opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory), mail.WithTLSConfig(tlsConf))
		}
		if s.Port != 0 {
			opts = append(opts, mail.WithPort(s.Port))
		}
		if s.User != "" {
			opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover), mail.WithUsername(s.User), mail.WithPassword(s.Password))
		}
		s.client, s.clientErr = mail.NewClient(s.Host, opts...)
		s.idle = make(chan *idleConn, 8)
	})
	return s.client, s.clientErr
}
