package deliver

import (
	"context"
	"errors"

	"github.com/tongban/tongban/internal/notify"
)

// Texter sends a short message at once through the SMS channel, rendered
// from the installation's templates like any other: identity's SMS codes
// (identity.Texter), which are no use if they arrive late and so are not
// queued in the outbox.
type Texter struct {
	Channel  Channel
	Renderer Renderer // default DefaultRenderer
}

// Text implements identity.Texter: the message in Chinese (a code is
// texted before anyone has chosen a language).
func (t *Texter) Text(ctx context.Context, phone, kind string, args map[string]any, idemKey string) error {
	if t == nil || t.Channel == nil {
		return errors.New("deliver: no SMS channel")
	}
	r := t.Renderer
	if r == nil {
		r = DefaultRenderer{}
	}
	msg := notify.Message{Key: "notify." + kind, Args: args}
	_, body, err := r.Render(ctx, ChannelSMS, "zh-CN", msg)
	if err != nil {
		return err
	}
	return t.Channel.Send(ctx, Envelope{IdemKey: idemKey, To: phone, Body: body, Key: msg.Key, Args: stringArgs(args)})
}
