package notify_test

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/notify"
)

// The notice that concludes a case asks for its rating (好差评) in the same
// short message: the rating page's link at the platform's address — no case
// number, no person — within the length of one short message; without the
// address it says to sign in. A bundle's item does not ask (its bundle does).
func TestRateInviteLink(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		msg := notify.Message{Key: "notify.decided", Args: map[string]any{"case_no": "11500102MB1C0002XM4500100101001202602120001", "item": "个体工商户设立登记", "decision": "decision.granted"}}
		r := &notify.TemplateRenderer{DB: d, Home: "500102", Base: "https://zwfw.fuling.gov.cn/"}
		_, sms, err := r.Render(context.Background(), notify.ChannelSMS, "zh-CN", msg)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(sms, "https://zwfw.fuling.gov.cn/rate?via=sms") || strings.Contains(sms, "1150010") ||
			utf8.RuneCountInString(notify.DefaultSignature+sms) > notify.SMSMax {
			t.Fatalf("sms %q", sms)
		}
		if _, ok := msg.Args["rate_url"]; ok {
			t.Fatal("the message's arguments were changed")
		}
		r.Base = ""
		if _, sms, _ = r.Render(context.Background(), notify.ChannelSMS, "zh-CN", msg); !strings.HasSuffix(sms, "登录本平台") {
			t.Fatalf("sms without an address %q", sms)
		}
		if _, inapp, _ := r.Render(context.Background(), notify.ChannelInApp, "zh-CN", msg); !strings.Contains(inapp, "欢迎在办件页面") {
			t.Fatalf("in-app %q", inapp)
		}
		item := notify.Message{Key: "notify.item_decided", Args: msg.Args}
		for _, ch := range []string{notify.ChannelSMS, notify.ChannelInApp} {
			if _, text, err := r.Render(context.Background(), ch, "zh-CN", item); err != nil || strings.Contains(text, "评价") {
				t.Fatalf("a bundle's item asks for a rating on %s: %q %v", ch, text, err)
			}
		}
	})
}
