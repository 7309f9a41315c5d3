package deliver

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// smtpServer is a real SMTP server (Debian's python3-aiosmtpd) run by a
// test: STARTTLS or implicit TLS, AUTH required.
type smtpServer struct {
	Port int
	TLS  *tls.Config // trusts the server's certificate
	mu   sync.Mutex
	got  []receivedMail
	cond *sync.Cond
}

type receivedMail struct {
	From string   `json:"from"`
	To   []string `json:"to"`
	Data string   `json:"data"`
	TLS  bool     `json:"tls"`
	Auth bool     `json:"auth"`
}

// aiosmtpdPython finds a Python with aiosmtpd: Debian's first.
func aiosmtpdPython() string {
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(p, "-c", "import aiosmtpd").Run() == nil {
			return p
		}
	}
	return ""
}

// startSMTP starts the server in mode "starttls" or "tls", skipping the
// test when aiosmtpd is missing unless TONGBAN_REQUIRE_SMTP=1 (CI).
func startSMTP(t testing.TB, mode string) *smtpServer {
	t.Helper()
	py := aiosmtpdPython()
	if py == "" {
		if os.Getenv("TONGBAN_REQUIRE_SMTP") == "1" {
			t.Fatal("TONGBAN_REQUIRE_SMTP=1 but python3-aiosmtpd is not installed")
		}
		t.Skip("python3-aiosmtpd not installed")
	}
	dir := t.TempDir()
	certPEM, keyPEM, pool := selfSigned(t)
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(cert, certPEM, 0o600)
	os.WriteFile(key, keyPEM, 0o600)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(py, "-W", "ignore", "testdata/smtpd.py", strconv.Itoa(port), cert, key, mode, "mailer", "pa55word")
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr // aiosmtpd logs every session; shown only if it fails to start
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		cmd.Process.Kill()
		cmd.Wait()
	})
	s := &smtpServer{Port: port, TLS: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}}
	s.cond = sync.NewCond(&s.mu)
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			if line == "READY" {
				close(ready)
				continue
			}
			var m receivedMail
			if json.Unmarshal([]byte(line), &m) == nil {
				s.mu.Lock()
				s.got = append(s.got, m)
				s.cond.Broadcast()
				s.mu.Unlock()
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(20 * time.Second):
		t.Fatalf("the SMTP server did not start: %s", stderr.String())
	}
	return s
}

// Mails returns what the server accepted so far.
func (s *smtpServer) Mails() []receivedMail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]receivedMail(nil), s.got...)
}

// WaitMails waits until the server has accepted n messages.
func (s *smtpServer) WaitMails(t testing.TB, n int) []receivedMail {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if m := s.Mails(); len(m) >= n {
			return m
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("the SMTP server accepted %d messages, want %d", len(s.Mails()), n)
	return nil
}

func (s *smtpServer) channel(security string) *SMTP {
	return &SMTP{Host: "127.0.0.1", Port: s.Port, Security: security, User: "mailer", Password: "pa55word",
		From: "政务服务平台 <noreply@tongban.example>", TLS: s.TLS, Timeout: 10 * time.Second}
}

func selfSigned(t testing.TB) (certPEM, keyPEM []byte, pool *x509.CertPool) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kd, _ := x509.MarshalECPrivateKey(k)
	c, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(c)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kd}), pool
}

func TestSMTPChannel(t *testing.T) {
	ctx := context.Background()
	for _, mode := range []string{"starttls", "tls"} {
		t.Run(mode, func(t *testing.T) {
			srv := startSMTP(t, mode)
			ch := srv.channel(mode)
			if err := ch.Validate(); err != nil {
				t.Fatal(err)
			}
			e := Envelope{IdemKey: "0193a1b2-notif:email", To: "zhangsan@example.cn", Subject: "政务服务通知：提醒", Body: "办件 123 已受理。\n\n此邮件由平台自动发送。"}
			if err := ch.Send(ctx, e); err != nil {
				t.Fatal(err)
			}
			m := srv.WaitMails(t, 1)[0]
			if !m.TLS || !m.Auth || m.From != "noreply@tongban.example" || len(m.To) != 1 || m.To[0] != "zhangsan@example.cn" {
				t.Fatalf("received %+v", m)
			}
			if !strings.Contains(m.Data, "Message-ID: <0193a1b2-notif.email@tongban.example>") {
				t.Fatalf("no idempotent Message-ID in\n%s", m.Data)
			}
			msg, err := mail.ReadMessage(strings.NewReader(m.Data))
			if err != nil {
				t.Fatal(err)
			}
			subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
			body, _ := io.ReadAll(quotedprintable.NewReader(msg.Body))
			if subject != e.Subject || strings.TrimSuffix(strings.ReplaceAll(string(body), "\r\n", "\n"), "\n") != e.Body {
				t.Fatalf("subject %q body %q", subject, body)
			}

			// A wrong password: refused, retried (a configuration fault an
			// operator mends), nothing delivered.
			bad := srv.channel(mode)
			bad.Password = "wrong"
			if err := bad.Send(ctx, e); err == nil || IsPermanent(err) {
				t.Fatalf("wrong password: %v", err)
			}
			// A refused mailbox is permanent; a deferred one is retried.
			if err := ch.Send(ctx, Envelope{IdemKey: "a:email", To: "refuse@example.cn", Subject: "s", Body: "b"}); !IsPermanent(err) {
				t.Fatalf("550: %v", err)
			}
			if err := ch.Send(ctx, Envelope{IdemKey: "b:email", To: "later@example.cn", Subject: "s", Body: "b"}); err == nil || IsPermanent(err) {
				t.Fatalf("451: %v", err)
			}
			if n := len(srv.Mails()); n != 1 {
				t.Fatalf("%d messages accepted, want 1", n)
			}
		})
	}
	t.Run("untrusted certificate", func(t *testing.T) {
		srv := startSMTP(t, "starttls")
		ch := srv.channel("starttls")
		ch.TLS = &tls.Config{ServerName: "127.0.0.1"} // the system roots: the test CA is not among them
		if err := ch.Send(ctx, Envelope{IdemKey: "c:email", To: "a@example.cn", Subject: "s", Body: "b"}); err == nil {
			t.Fatal("sent over TLS to an untrusted server")
		}
	})
}

// A server that accepts the connection and never answers: the channel
// gives up at its timeout, to be retried.
func TestSMTPHangs(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	ch := &SMTP{Host: "127.0.0.1", Port: l.Addr().(*net.TCPAddr).Port, From: "a@example.cn", Timeout: 300 * time.Millisecond}
	start := time.Now()
	err = ch.Send(context.Background(), Envelope{IdemKey: "h:email", To: "b@example.cn", Subject: "s", Body: "b"})
	if err == nil || IsPermanent(err) {
		t.Fatalf("hanging server: %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatalf("gave up after %v", time.Since(start))
	}
}
