package deliver

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tongban/tongban/internal/i18n"
	"github.com/tongban/tongban/internal/notify"
)

// The example of Aliyun's SMS API documentation (HTTP protocol and
// signature): these parameters, secret "testSecret", method GET, give this
// string to sign and signature.
func TestAliyunSignatureDocumentedExample(t *testing.T) {
	params := map[string]string{
		"AccessKeyId": "testId", "Action": "SendSms", "Format": "XML", "OutId": "123", "PhoneNumbers": "15300000001",
		"RegionId": "cn-hangzhou", "SignName": "阿里云短信测试专用", "SignatureMethod": "HMAC-SHA1",
		"SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466", "SignatureVersion": "1.0",
		"TemplateCode": "SMS_71390007", "TemplateParam": `{"customer":"test"}`, "Timestamp": "2017-07-12T02:42:19Z",
		"Version": "2017-05-25",
	}
	canon := AliyunCanonical(params)
	wantCanon := "AccessKeyId=testId&Action=SendSms&Format=XML&OutId=123&PhoneNumbers=15300000001&RegionId=cn-hangzhou&SignName=%E9%98%BF%E9%87%8C%E4%BA%91%E7%9F%AD%E4%BF%A1%E6%B5%8B%E8%AF%95%E4%B8%93%E7%94%A8&SignatureMethod=HMAC-SHA1&SignatureNonce=45e25e9b-0a6f-4070-8c85-2956eda1b466&SignatureVersion=1.0&TemplateCode=SMS_71390007&TemplateParam=%7B%22customer%22%3A%22test%22%7D&Timestamp=2017-07-12T02%3A42%3A19Z&Version=2017-05-25"
	if canon != wantCanon {
		t.Fatalf("canonical query:\n got %s\nwant %s", canon, wantCanon)
	}
	if got := AliyunSign("GET", canon, "testSecret"); got != "zJDF+Lrzhj/ThnlvIToysFRq6t4=" {
		t.Fatalf("signature %s, documented zJDF+Lrzhj/ThnlvIToysFRq6t4=", got)
	}
	if got := verifyAliyun("GET", params, "testSecret"); got != "zJDF+Lrzhj/ThnlvIToysFRq6t4=" {
		t.Fatalf("the test's own signer gives %s", got)
	}
}

// rfc3986 is the test's own percent-encoder, written from the
// specification (unreserved A-Z a-z 0-9 - _ . ~ kept, every other byte as
// %XX upper case), independent of the adapter's.
func rfc3986(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// verifyAliyun computes the signature of params as the gateway would.
func verifyAliyun(method string, params map[string]string, secret string) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		if k != "Signature" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	pairs := make([]string, len(keys))
	for i, k := range keys {
		pairs[i] = rfc3986(k) + "=" + rfc3986(params[k])
	}
	toSign := method + "&%2F&" + rfc3986(strings.Join(pairs, "&"))
	m := hmac.New(sha1.New, []byte(secret+"&"))
	io.WriteString(m, toSign)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// aliyunStandIn is a local HTTPS stand-in of dysmsapi's SendSms: it checks
// every required parameter and the signature, and answers as documented.
type aliyunStandIn struct {
	mu       sync.Mutex
	secret   string
	answer   func(n int) (int, string) // status and body of the n-th valid request (0-based); nil: OK
	got      []map[string]string
	rejected int
}

func (s *aliyunStandIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := r.ParseForm(); err != nil || r.Method != http.MethodPost {
		s.rejected++
		w.WriteHeader(400)
		io.WriteString(w, `{"Code":"InvalidParameter","Message":"bad request"}`)
		return
	}
	p := map[string]string{}
	for k, v := range r.PostForm {
		p[k] = v[0]
	}
	for _, k := range []string{"AccessKeyId", "Action", "Format", "PhoneNumbers", "RegionId", "SignName", "SignatureMethod",
		"SignatureNonce", "SignatureVersion", "TemplateCode", "Timestamp", "Version", "Signature"} {
		if p[k] == "" {
			s.rejected++
			w.WriteHeader(400)
			fmt.Fprintf(w, `{"Code":"MissingParameter","Message":"%s"}`, k)
			return
		}
	}
	ts, err := time.Parse("2006-01-02T15:04:05Z", p["Timestamp"])
	if p["Action"] != "SendSms" || p["Version"] != "2017-05-25" || p["SignatureMethod"] != "HMAC-SHA1" || p["SignatureVersion"] != "1.0" ||
		err != nil || time.Since(ts).Abs() > 15*time.Minute {
		s.rejected++
		w.WriteHeader(400)
		io.WriteString(w, `{"Code":"InvalidParameter"}`)
		return
	}
	if want := verifyAliyun(r.Method, p, s.secret); p["Signature"] != want {
		s.rejected++
		w.WriteHeader(400)
		io.WriteString(w, `{"Code":"SignatureDoesNotMatch","Message":"Specified signature is not matched with our calculation."}`)
		return
	}
	n := len(s.got)
	s.got = append(s.got, p)
	if s.answer != nil {
		status, body := s.answer(n)
		w.WriteHeader(status)
		io.WriteString(w, body)
		return
	}
	io.WriteString(w, `{"Message":"OK","RequestId":"F655A8D5-B967-440B-8683-DAD6FF8DE990","BizId":"900619746936498440^0","Code":"OK"}`)
}

func TestAliyunAdapter(t *testing.T) {
	stand := &aliyunStandIn{secret: "s3cret"}
	srv := httptest.NewTLSServer(stand)
	defer srv.Close()
	a := &Aliyun{Endpoint: srv.URL + "/", AccessKeyID: "LTAI-test", AccessKeySecret: "s3cret", SignName: "通办",
		DefaultTemplate: "SMS_0001", Templates: map[string]string{"notify.owed_due": "SMS_0002"}, Client: srv.Client()}
	ctx := context.Background()
	if err := a.Send(ctx, Envelope{IdemKey: "n1:sms", To: "13800138000", Key: "notify.deemed", Body: "您的办件逾期未告知补正，依法视为已受理。"}); err != nil {
		t.Fatal(err)
	}
	if err := a.Send(ctx, Envelope{IdemKey: "n2:sms", To: "13800138000", Key: "notify.owed_due", Body: "请补齐材料",
		Args: map[string]string{"due_date": "2026-12-08"}}); err != nil {
		t.Fatal(err)
	}
	if stand.rejected != 0 || len(stand.got) != 2 {
		t.Fatalf("stand-in rejected %d, accepted %d", stand.rejected, len(stand.got))
	}
	g := stand.got[0]
	if g["SignName"] != "通办" || g["TemplateCode"] != "SMS_0001" || g["OutId"] != "n1:sms" || g["PhoneNumbers"] != "13800138000" {
		t.Fatalf("request %v", g)
	}
	var tp map[string]string
	if err := json.Unmarshal([]byte(g["TemplateParam"]), &tp); err != nil || tp["content"] != "您的办件逾期未告知补正，依法视为已受理。" {
		t.Fatalf("TemplateParam %q", g["TemplateParam"])
	}
	if g := stand.got[1]; g["TemplateCode"] != "SMS_0002" || g["TemplateParam"] != `{"due_date":"2026-12-08"}` {
		t.Fatalf("registered template: %v", g)
	}

	// A wrong secret is refused by the stand-in's check: permanent.
	bad := *a
	bad.AccessKeySecret = "wrong"
	if err := bad.Send(ctx, Envelope{IdemKey: "n3:sms", To: "13800138000", Body: "x"}); !IsPermanent(err) || stand.rejected != 1 {
		t.Fatalf("wrong secret: %v (rejected %d)", err, stand.rejected)
	}

	// Answers: OK; flow control and 500 and garbage are retried; a refused
	// number or template is permanent.
	for _, tc := range []struct {
		status    int
		body      string
		ok, perm  bool
		wantError string
	}{
		{200, `{"Code":"OK","Message":"OK"}`, true, false, ""},
		{200, `{"Code":"isv.BUSINESS_LIMIT_CONTROL","Message":"触发分钟级流控"}`, false, false, "BUSINESS_LIMIT_CONTROL"},
		{200, `{"Code":"isv.MOBILE_NUMBER_ILLEGAL","Message":"非法手机号"}`, false, true, "MOBILE_NUMBER_ILLEGAL"},
		{500, `{"Code":"InternalError"}`, false, false, "500"},
		{502, `<html>bad gateway</html>`, false, false, "502"},
		{200, `not json at all`, false, false, "not JSON"},
		{200, `{}`, false, false, "without a code"},
	} {
		stand.mu.Lock()
		stand.answer = func(int) (int, string) { return tc.status, tc.body }
		stand.mu.Unlock()
		err := a.Send(ctx, Envelope{IdemKey: "x:sms", To: "13800138000", Body: "短信"})
		if tc.ok != (err == nil) || IsPermanent(err) != tc.perm || (err != nil && !strings.Contains(err.Error(), tc.wantError)) {
			t.Errorf("%d %s: err %v, want ok=%v permanent=%v", tc.status, tc.body, err, tc.ok, tc.perm)
		}
	}
	if err := a.Send(ctx, Envelope{IdemKey: "y:sms", To: "1380013800", Body: "x"}); !IsPermanent(err) {
		t.Fatalf("malformed number: %v", err)
	}
}

func TestGenericAdapter(t *testing.T) {
	var mu sync.Mutex
	var got []map[string]string
	var keys []string
	status, answer := 200, `{"id":"m1"}`
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer tok" {
			w.WriteHeader(401)
			return
		}
		var m map[string]string
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			w.WriteHeader(400)
			return
		}
		got = append(got, m)
		keys = append(keys, r.Header.Get("Idempotency-Key"))
		w.WriteHeader(status)
		io.WriteString(w, answer)
	}))
	defer srv.Close()
	h := &HTTPSJSON{URL: srv.URL + "/send", Token: "tok", Sign: "通办", Client: srv.Client()}
	if err := h.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := (&HTTPSJSON{URL: "http://plain.example/send", Sign: "x"}).Validate(); err == nil {
		t.Fatal("a plain-HTTP gateway is accepted")
	}
	ctx := context.Background()
	if err := h.Send(ctx, Envelope{IdemKey: "n1:sms", To: "13800138000", Key: "notify.deemed", Body: "依法视为已受理。"}); err != nil {
		t.Fatal(err)
	}
	if got[0]["text"] != "【通办】依法视为已受理。" || got[0]["to"] != "13800138000" || keys[0] != "n1:sms" || got[0]["idempotency_key"] != "n1:sms" {
		t.Fatalf("request %v %v", got[0], keys)
	}
	for _, tc := range []struct {
		status   int
		body     string
		ok, perm bool
	}{
		{200, `{"id":"m2"}`, true, false},
		{500, `oops`, false, false},
		{429, `{}`, false, false},
		{200, `garbage`, false, false},
		{422, `{"error":"number"}`, false, true},
	} {
		mu.Lock()
		status, answer = tc.status, tc.body
		mu.Unlock()
		err := h.Send(ctx, Envelope{IdemKey: "k:sms", To: "13800138000", Body: "短信"})
		if tc.ok != (err == nil) || IsPermanent(err) != tc.perm {
			t.Errorf("%d %q: err %v, want ok=%v permanent=%v", tc.status, tc.body, err, tc.ok, tc.perm)
		}
	}
	// Too long or carrying an ID number: refused before sending.
	n := len(got)
	for _, body := range []string{strings.Repeat("长", 70), "身份证 110101199003074514 已登记"} {
		if err := h.Send(ctx, Envelope{IdemKey: "z:sms", To: "13800138000", Body: body}); !IsPermanent(err) {
			t.Errorf("%q: %v", body, err)
		}
	}
	if len(got) != n {
		t.Fatal("a refused text reached the gateway")
	}
}

// sampleArgs are realistic arguments for every placeholder notifications
// use, at their longest: a case number, dates, names, free text.
var sampleArgs = map[string]any{
	"case_no": "11500102MB1234567X10021050010000120261207000112", "due_date": "2026-12-31", "date": "2026-12-31",
	"by": "欧阳娜娜（区政务服务中心综合窗口）", "note": "请于今日内处理申请人 110101199003074514 的材料，联系电话 13800138000",
	"answer": "已处理，申请人身份证号 110101199003074514", "clock": "supervise.clock.decision", "level": "signal.level.red",
	"materials": "营业执照副本、法定代表人身份证明、场地使用证明、消防安全检查合格证", "name": "食品经营许可证",
	"reason": "申请人 110101199003074514 提交的材料不齐全", "new_date": "2027-01-15", "tracking": "SF1234567890123",
	"item": "食品经营许可（新办）", "days": 20, "count": 3, "title": "补正材料通知", "what": "营业执照副本",
	"hall": "重庆市涪陵区政务服务中心", "number": "A123", "ahead": 3,
}

// Every message key notifications use renders, for SMS, within 70
// characters with the longest sign the configuration allows, and never
// carries an ID number — even when the arguments hold one (free text).
func TestSMSTemplatesShortAndClean(t *testing.T) {
	ui := map[string]bool{"notify.title": true, "notify.read_all": true, "notify.mark_read": true, "notify.open_case": true, "notify.empty": true}
	sign := strings.Repeat("签", MaxSignLen)
	r := DefaultRenderer{}
	seen := 0
	for _, lang := range i18n.Langs {
		keys := []string{"notify.a_kind_without_sms_form"}
		for _, k := range i18n.Keys(lang) {
			if strings.HasPrefix(k, "notify.") && !strings.HasPrefix(k, "notify.kind.") && !ui[k] {
				keys = append(keys, k)
			}
		}
		for _, k := range keys {
			_, body, err := r.Render(context.Background(), ChannelSMS, string(lang), notify.Message{Key: k, Args: sampleArgs})
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(body, "{{") || strings.Contains(body, "<no value>") || body == k {
				t.Errorf("%s %s: unrendered %q", lang, k, body)
			}
			text, err := SMSText(sign, body)
			if err != nil {
				t.Errorf("%s %s: %v: %q (%d characters)", lang, k, err, "【"+sign+"】"+body, utf8.RuneCountInString("【"+sign+"】"+body))
				continue
			}
			if strings.Contains(text, "110101199003074514") || strings.Contains(text, "13800138000") {
				t.Errorf("%s %s: personal data in %q", lang, k, text)
			}
			seen++
		}
	}
	if seen < 16 {
		t.Fatalf("only %d message keys checked", seen)
	}
}

func TestSMSText(t *testing.T) {
	for _, tc := range []struct {
		body string
		ok   bool
	}{
		{"您的办件已受理。", true},
		{strings.Repeat("字", SMSLimit-4), true},
		{strings.Repeat("字", SMSLimit-3), false},
		{"身份证号110101199003074514", false},
		{"号码 11010119900307451X 已登记", false},
		{"办件 11500102MB1234567X100210500100001202612070001 已受理", true}, // a case number is no ID number
	} {
		_, err := SMSText("通办", tc.body)
		if (err == nil) != tc.ok {
			t.Errorf("%q: %v", tc.body, err)
		}
	}
}
