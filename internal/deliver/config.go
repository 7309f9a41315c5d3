package deliver

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tongban/tongban/internal/config"
)

// FromConfig builds the configured channels and the per-channel rates. A
// channel left unconfigured is absent: its users are told in-app only.
func FromConfig(c config.Config) (map[string]Channel, map[string]int, error) {
	chans := map[string]Channel{}
	if c.SMTPHost != "" {
		port, err := strconv.Atoi(c.SMTPPort)
		if err != nil || port <= 0 || port > 65535 {
			return nil, nil, fmt.Errorf("config: --smtp-port %q is not a port", c.SMTPPort)
		}
		s := &SMTP{Host: c.SMTPHost, Port: port, Security: c.SMTPSecurity, User: c.SMTPUser, Password: c.SMTPPassword, From: c.SMTPFrom}
		if err := s.Validate(); err != nil {
			return nil, nil, fmt.Errorf("config: %w", err)
		}
		chans[ChannelEmail] = s
	}
	if c.SMSGateway != "" {
		if n := utf8.RuneCountInString(c.SMSSign); n == 0 || n > MaxSignLen {
			return nil, nil, fmt.Errorf("config: --sms-sign must have 1 to %d characters", MaxSignLen)
		}
	}
	switch c.SMSGateway {
	case "":
	case "aliyun":
		a := &Aliyun{Endpoint: c.SMSURL, AccessKeyID: c.SMSKeyID, AccessKeySecret: c.SMSSecret, SignName: c.SMSSign,
			DefaultTemplate: c.SMSTemplate, Templates: map[string]string{}}
		for _, kv := range strings.Split(c.SMSTemplates, ",") {
			if kv = strings.TrimSpace(kv); kv == "" {
				continue
			}
			k, v, ok := strings.Cut(kv, "=")
			if !ok || k == "" || v == "" {
				return nil, nil, fmt.Errorf("config: --sms-templates: %q is not KEY=CODE", kv)
			}
			a.Templates[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
		if err := a.Validate(); err != nil {
			return nil, nil, fmt.Errorf("config: %w", err)
		}
		chans[ChannelSMS] = a
	case "https-json":
		h := &HTTPSJSON{URL: c.SMSURL, Token: c.SMSSecret, Sign: c.SMSSign}
		if err := h.Validate(); err != nil {
			return nil, nil, fmt.Errorf("config: %w", err)
		}
		chans[ChannelSMS] = h
	default:
		return nil, nil, fmt.Errorf("config: --sms-gateway must be aliyun or https-json, not %q", c.SMSGateway)
	}
	rates := map[string]int{}
	for _, kv := range strings.Split(c.DeliverRate, ",") {
		if kv = strings.TrimSpace(kv); kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		n, err := strconv.Atoi(v)
		if (k != ChannelSMS && k != ChannelEmail) || err != nil || n < 0 {
			return nil, nil, fmt.Errorf("config: --deliver-rate: %q is not sms=N or email=N", kv)
		}
		rates[k] = n
	}
	return chans, rates, nil
}
