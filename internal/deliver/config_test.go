package deliver

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/config"
)

func TestFromConfig(t *testing.T) {
	base := func() config.Config {
		return config.Config{SMTPPort: "587", SMTPSecurity: "starttls", DeliverRate: "sms=60,email=120"}
	}
	for _, tc := range []struct {
		name  string
		set   func(c *config.Config)
		chans string // the channels built, or the start of the error
	}{
		{"nothing", func(c *config.Config) {}, ""},
		{"smtp", func(c *config.Config) { c.SMTPHost, c.SMTPFrom = "mail.example.cn", "平台 <noreply@example.cn>" }, "email"},
		{"smtp without from", func(c *config.Config) { c.SMTPHost = "mail.example.cn" }, "config: smtp: host and from"},
		{"smtp bad port", func(c *config.Config) { c.SMTPHost, c.SMTPFrom, c.SMTPPort = "h", "a@b.cn", "x" }, "config: --smtp-port"},
		{"smtp bad security", func(c *config.Config) { c.SMTPHost, c.SMTPFrom, c.SMTPSecurity = "h", "a@b.cn", "ssl" }, "config: smtp: security"},
		{"aliyun", func(c *config.Config) {
			c.SMSGateway, c.SMSKeyID, c.SMSSecret, c.SMSSign, c.SMSTemplate, c.SMSTemplates = "aliyun", "id", "s", "通办", "SMS_1", "notify.owed_due=SMS_2"
		}, "sms"},
		{"aliyun without a template", func(c *config.Config) {
			c.SMSGateway, c.SMSKeyID, c.SMSSecret, c.SMSSign = "aliyun", "id", "s", "通办"
		}, "config: sms: aliyun needs"},
		{"aliyun bad templates", func(c *config.Config) {
			c.SMSGateway, c.SMSKeyID, c.SMSSecret, c.SMSSign, c.SMSTemplate, c.SMSTemplates = "aliyun", "id", "s", "通办", "SMS_1", "notify.owed_due"
		}, "config: --sms-templates"},
		{"sign too long", func(c *config.Config) { c.SMSGateway, c.SMSSign = "https-json", "重庆市涪陵区政务服务中心" }, "config: --sms-sign"},
		{"generic", func(c *config.Config) {
			c.SMSGateway, c.SMSURL, c.SMSSign = "https-json", "https://sms.example.cn/send", "通办"
		}, "sms"},
		{"generic over http", func(c *config.Config) {
			c.SMSGateway, c.SMSURL, c.SMSSign = "https-json", "http://sms.example.cn/send", "通办"
		}, "config: sms: the generic"},
		{"unknown gateway", func(c *config.Config) { c.SMSGateway, c.SMSSign = "twilio", "通办" }, "config: --sms-gateway"},
		{"bad rate", func(c *config.Config) { c.DeliverRate = "fax=3" }, "config: --deliver-rate"},
	} {
		c := base()
		tc.set(&c)
		chans, rates, err := FromConfig(c)
		got := ""
		if err != nil {
			got = err.Error()
		} else {
			for _, ch := range []string{ChannelEmail, ChannelSMS} {
				if chans[ch] != nil {
					got += ch
				}
			}
			if rates[ChannelSMS] != 60 && tc.name != "bad rate" {
				t.Errorf("%s: rates %v", tc.name, rates)
			}
		}
		if (tc.chans == "" && got != "") || !strings.HasPrefix(got, tc.chans) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.chans)
		}
	}
}

type answer struct {
	status int
	body   string
}

func (a answer) RoundTrip(*http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: a.status, Body: io.NopCloser(strings.NewReader(a.body)), Header: http.Header{}}, nil
}

// Whatever a gateway answers, the adapters neither panic nor take anything
// but a documented success for a delivery.
func FuzzGatewayAnswer(f *testing.F) {
	for _, s := range []string{`{"Code":"OK"}`, `{"Code":"isv.MOBILE_NUMBER_ILLEGAL"}`, `{"id":"1"}`, `garbage`, ``, `{"Code":`, `[]`, `null`} {
		f.Add(200, s)
		f.Add(500, s)
	}
	f.Fuzz(func(t *testing.T, status int, body string) {
		if status < 100 || status > 999 {
			return
		}
		c := &http.Client{Transport: answer{status, body}}
		a := &Aliyun{Endpoint: "https://sms.test/", AccessKeyID: "id", AccessKeySecret: "s", SignName: "通办", DefaultTemplate: "SMS_1", Client: c}
		err := a.Send(context.Background(), Envelope{IdemKey: "k:sms", To: "13800138000", Body: "短信"})
		if err == nil && (status < 200 || status > 299 || !strings.Contains(body, `"OK"`)) {
			t.Fatalf("aliyun took %d %q for a delivery", status, body)
		}
		h := &HTTPSJSON{URL: "https://sms.test/send", Sign: "通办", Client: c}
		err = h.Send(context.Background(), Envelope{IdemKey: "k:sms", To: "13800138000", Body: "短信"})
		if err == nil && (status < 200 || status > 299) {
			t.Fatalf("generic took %d %q for a delivery", status, body)
		}
	})
}
