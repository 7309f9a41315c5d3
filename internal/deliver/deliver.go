// Package deliver sends notifications beyond the in-app inbox: it drains
// the outbox that notify.Send writes in the transaction of what caused a
// notification, after that transaction commits. Each outbox row becomes one
// delivery per channel its recipient chose (e-mail, SMS); a dispatcher in
// every replica claims due deliveries (a claim is a short lease on a few
// rows, so replicas share the work and one that dies leaves its claims to
// expire), holds back what falls in the recipient's quiet hours,
// renders them, sends them through the configured channel, and records the
// outcome: sent, retried later with exponential backoff and jitter, dead
// after N attempts (an administrator may resend it), or cancelled when its
// cause is gone. A pass claims a batch in one statement and records the
// outcomes of the whole batch in one transaction after sending it. Delivery
// is at least once: a replica that dies after the gateways accepted its
// batch but before it recorded so leaves the whole batch (up to
// Policy.Batch messages, not one) to be sent again by another replica after
// the claim expires — the idempotency key (notification and channel) goes
// with each so that a gateway that honours one drops the second. Under
// normal operation nothing is sent twice.
package deliver

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"unicode/utf8"

	"github.com/tongban/tongban/internal/i18n"
	"github.com/tongban/tongban/internal/notify"
)

// Channels.
const (
	ChannelEmail = "email"
	ChannelSMS   = "sms"
)

// Envelope is one rendered message for one channel and recipient.
type Envelope struct {
	IdemKey string // notification id ":" channel: the same message and channel, the same key
	To      string // an e-mail address or a mobile number
	Subject string // e-mail only
	Body    string
	Key     string // the message key (gateways with registered templates choose by it)
	Args    map[string]string
}

// Channel sends envelopes. Send returns nil when the far side accepted the
// message, a Permanent error when retrying cannot help (a refused
// recipient, a rejected template), and any other error to retry.
type Channel interface {
	Send(ctx context.Context, e Envelope) error
}

// PermanentError marks a failure that retrying cannot mend.
type PermanentError struct{ Err error }

func (p *PermanentError) Error() string { return "permanent: " + p.Err.Error() }
func (p *PermanentError) Unwrap() error { return p.Err }

// Permanent wraps err as a PermanentError.
func Permanent(err error) error { return &PermanentError{Err: err} }

// IsPermanent reports whether err is (or wraps) a PermanentError.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

// Renderer turns a notification's message into a channel's text: a
// subject (e-mail) and a body. Templates kept as data (notify) implement it
// too; DefaultRenderer renders from the locales.
type Renderer interface {
	Render(ctx context.Context, channel, lang string, msg notify.Message) (subject, body string, err error)
}

// DefaultRenderer renders an e-mail as the in-app text (Message.Text) and
// an SMS as the message's short form "sms.KEY" in the locales — or, for a
// message without one, "sms.generic" (a pointer to the platform): an SMS
// never carries the free text of a notification (a note, a reason), which
// may hold personal data and has no length bound.
type DefaultRenderer struct{}

// Render implements Renderer.
func (DefaultRenderer) Render(_ context.Context, channel, lang string, msg notify.Message) (string, string, error) {
	l, ok := i18n.Parse(lang)
	if !ok {
		l = i18n.ZH
	}
	switch channel {
	case ChannelEmail:
		subject := i18n.T(l, "mail.subject", nil)
		if kind := "notify.kind." + kindOf(msg.Key); i18n.Has(l, kind) {
			subject = i18n.T(l, "mail.subject_kind", map[string]any{"kind": i18n.T(l, kind, nil)})
		}
		return subject, msg.Text(l) + "\n\n" + i18n.T(l, "mail.footer", nil), nil
	case ChannelSMS:
		key := "sms." + msg.Key
		if !i18n.Has(l, key) {
			key = "sms.generic"
		}
		return "", notify.Message{Key: key, Args: msg.Args}.Text(l), nil
	}
	return "", "", fmt.Errorf("deliver: no rendering for channel %q", channel)
}

// kindOf is a message key's last part ("notify.remind" → "remind").
func kindOf(key string) string {
	for i := len(key) - 1; i >= 0; i-- {
		if key[i] == '.' {
			return key[i+1:]
		}
	}
	return key
}

// SMSLimit is the most characters an SMS carries in one part, the
// signature 【签名】 included (70 UCS-2 characters).
const SMSLimit = 70

// MaxSignLen is the longest sign name (签名) accepted, in characters.
const MaxSignLen = 8

// idNumber finds an 18-character citizen ID number standing alone (not
// inside a longer code such as a case number).
var idNumber = regexp.MustCompile(`(?:^|[^0-9A-Za-z])([0-9]{17}[0-9Xx])(?:[^0-9A-Za-z]|$)`)

// SMSText is the text an SMS carries: 【sign】 and body. It refuses (with a
// Permanent error) a text over SMSLimit or one carrying a citizen ID number
// — the templates' test keeps every known message within both.
func SMSText(sign, body string) (string, error) {
	text := "【" + sign + "】" + body
	if n := utf8.RuneCountInString(text); n > SMSLimit {
		return "", Permanent(fmt.Errorf("sms text is %d characters, more than %d", n, SMSLimit))
	}
	if idNumber.MatchString(text) {
		return "", Permanent(errors.New("sms text carries what looks like an ID number"))
	}
	return text, nil
}
