package deliver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
	"time"

	mail "github.com/wneessen/go-mail"
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

	timeout := s.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	opts := []mail.Option{mail.WithTimeout(timeout)}
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
	c, err := mail.NewClient(s.Host, opts...)
	if err != nil {
		return Permanent(err)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := c.DialAndSendWithContext(ctx, m); err != nil {
		var se *mail.SendError
		if errors.As(err, &se) {
			switch se.ErrorCode() {
			case 550, 551, 553: // mailbox unavailable, not local, name not allowed
				return Permanent(err)
			}
		}
		return err
	}
	return nil
}
