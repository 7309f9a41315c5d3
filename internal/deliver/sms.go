package deliver

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
)

// mobile is a mainland mobile number.
var mobile = regexp.MustCompile(`^1[3-9][0-9]{9}$`)

// Aliyun sends SMS through Aliyun's SMS API (dysmsapi, action SendSms,
// version 2017-05-25) as published: an RPC-style request signed with
// signature version 1.0 (HMAC-SHA1 over the canonicalised parameters), a
// registered signature (SignName) and template (TemplateCode) whose
// variables TemplateParam fills. A message key without a template of its
// own is sent with the default template, whose one variable "content"
// carries the rendered body.
type Aliyun struct {
	Endpoint        string // default https://dysmsapi.aliyuncs.com/
	AccessKeyID     string
	AccessKeySecret string
	SignName        string
	Templates       map[string]string // message key → template code
	DefaultTemplate string            // template code of the others: ${content}
	Client          *http.Client
	Now             func() time.Time // the request's Timestamp (tests)
	Nonce           func() string    // SignatureNonce (tests)
}

// Validate checks the settings.
func (a *Aliyun) Validate() error {
	if a.AccessKeyID == "" || a.AccessKeySecret == "" || a.SignName == "" || a.DefaultTemplate == "" {
		return errors.New("sms: aliyun needs an access key id and secret, a sign name and a default template code")
	}
	return nil
}

// Send implements Channel.
func (a *Aliyun) Send(ctx context.Context, e Envelope) error {
	if !mobile.MatchString(e.To) {
		return Permanent(errors.New("not a mainland mobile number"))
	}
	if _, err := SMSText(a.SignName, e.Body); err != nil {
		return err
	}
	code, param := a.DefaultTemplate, map[string]string{"content": e.Body}
	if c, ok := a.Templates[e.Key]; ok {
		code, param = c, e.Args
	}
	tp, err := json.Marshal(param)
	if err != nil {
		return Permanent(err)
	}
	now, nonce := time.Now, func() string { return uuid.NewString() }
	if a.Now != nil {
		now = a.Now
	}
	if a.Nonce != nil {
		nonce = a.Nonce
	}
	q := map[string]string{
		"AccessKeyId": a.AccessKeyID, "Action": "SendSms", "Format": "JSON", "OutId": e.IdemKey,
		"PhoneNumbers": e.To, "RegionId": "cn-hangzhou", "SignName": a.SignName,
		"SignatureMethod": "HMAC-SHA1", "SignatureNonce": nonce(), "SignatureVersion": "1.0",
		"TemplateCode": code, "TemplateParam": string(tp),
		"Timestamp": now().UTC().Format("2006-01-02T15:04:05Z"), "Version": "2017-05-25",
	}
	canon := AliyunCanonical(q)
	body := "Signature=" + aliyunEncode(AliyunSign(http.MethodPost, canon, a.AccessKeySecret)) + "&" + canon
	endpoint := a.Endpoint
	if endpoint == "" {
		endpoint = "https://dysmsapi.aliyuncs.com/"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(body))
	if err != nil {
		return Permanent(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	var out struct{ Code, Message, RequestId, BizId string }
	status, err := doJSON(a.Client, req, &out)
	if err != nil {
		return err
	}
	switch {
	case out.Code == "OK":
		return nil
	case out.Code == "":
		return fmt.Errorf("sms: aliyun answered %d without a code", status)
	case strings.HasPrefix(out.Code, "isv.") && out.Code != "isv.BUSINESS_LIMIT_CONTROL" && out.Code != "isv.DAY_LIMIT_CONTROL":
		// The number, template, signature or parameters are refused.
		return Permanent(fmt.Errorf("sms: aliyun %s: %s", out.Code, out.Message))
	}
	return fmt.Errorf("sms: aliyun %s: %s", out.Code, out.Message)
}

// AliyunCanonical is the canonicalised query string of signature version
// 1.0: parameters sorted by name, names and values percent-encoded
// (aliyunEncode), joined by "&".
func AliyunCanonical(params map[string]string) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(aliyunEncode(k) + "=" + aliyunEncode(params[k]))
	}
	return b.String()
}

// AliyunSign is the signature of a canonicalised query: base64 of
// HMAC-SHA1, keyed by the secret and "&", of METHOD&%2F&encoded(query).
func AliyunSign(method, canonical, secret string) string {
	toSign := method + "&" + aliyunEncode("/") + "&" + aliyunEncode(canonical)
	mac := hmac.New(sha1.New, []byte(secret+"&"))
	mac.Write([]byte(toSign))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// aliyunEncode percent-encodes as the signature requires: RFC 3986
// unreserved characters kept, space as %20, '*' as %2A, '~' kept.
func aliyunEncode(s string) string {
	e := url.QueryEscape(s)
	e = strings.ReplaceAll(e, "+", "%20")
	e = strings.ReplaceAll(e, "*", "%2A")
	return strings.ReplaceAll(e, "%7E", "~")
}

// HTTPSJSON sends SMS through a generic gateway: POST URL with a JSON body
// {"to","text","key","idempotency_key"}, the token as "Authorization:
// Bearer", the key also as the Idempotency-Key header. The gateway answers
// 2xx with a JSON object ({"id": …}); 4xx other than 408 and 429 is a
// refusal (not retried); anything else is retried.
type HTTPSJSON struct {
	URL    string
	Token  string
	Sign   string // 签名, sent inside the text as 【sign】
	Client *http.Client
}

// Validate checks the settings.
func (h *HTTPSJSON) Validate() error {
	u, err := url.Parse(h.URL)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return errors.New("sms: the generic gateway's URL must be https://…")
	}
	if h.Sign == "" {
		return errors.New("sms: a sign name is required")
	}
	return nil
}

// Send implements Channel.
func (h *HTTPSJSON) Send(ctx context.Context, e Envelope) error {
	if !mobile.MatchString(e.To) {
		return Permanent(errors.New("not a mainland mobile number"))
	}
	text, err := SMSText(h.Sign, e.Body)
	if err != nil {
		return err
	}
	b, _ := json.Marshal(map[string]string{"to": e.To, "text": text, "key": e.Key, "idempotency_key": e.IdemKey})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(b))
	if err != nil {
		return Permanent(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", e.IdemKey)
	if h.Token != "" {
		req.Header.Set("Authorization", "Bearer "+h.Token)
	}
	var out map[string]any
	_, err = doJSON(h.Client, req, &out)
	return err
}

// defaultClient keeps connections to the gateway between messages: as
// many idle ones as the dispatcher's workers may use at once (Go's default
// keeps 2 per host, so that with more workers each message beyond them paid
// a new TLS handshake — a third of the dispatcher's CPU in BenchmarkDispatch).
var defaultClient = &http.Client{Timeout: 30 * time.Second, Transport: keepAlive(http.DefaultTransport)}

// gatewayIdleConns is how many idle connections to a gateway are kept.
const gatewayIdleConns = 32

// keepAlive is a copy of rt (an *http.Transport) keeping gatewayIdleConns
// idle connections per host.
func keepAlive(rt http.RoundTripper) http.RoundTripper {
	t, ok := rt.(*http.Transport)
	if !ok {
		return rt
	}
	t = t.Clone()
	t.MaxIdleConnsPerHost = gatewayIdleConns
	return t
}

// doJSON sends req and decodes a JSON answer into out. A 4xx answer other
// than 408 and 429 is permanent; 5xx, other statuses and an answer that is
// not JSON are retried.
func doJSON(c *http.Client, req *http.Request, out any) (int, error) {
	if c == nil {
		c = defaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return resp.StatusCode, err
	}
	s := resp.StatusCode
	if s >= 400 && s < 500 && s != http.StatusRequestTimeout && s != http.StatusTooManyRequests {
		return s, Permanent(fmt.Errorf("sms: gateway answered %d", s))
	}
	if s < 200 || s > 299 {
		return s, fmt.Errorf("sms: gateway answered %d", s)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return s, fmt.Errorf("sms: gateway answered %d with what is not JSON", s)
	}
	return s, nil
}
