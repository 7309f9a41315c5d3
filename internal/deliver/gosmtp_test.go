package deliver

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// startGoSMTP runs a real SMTP server in the test's process (the
// emersion/go-smtp library): STARTTLS and AUTH PLAIN required, as
// startSMTP's aiosmtpd. BenchmarkDispatch measures against both: the
// Python server, single-threaded, accepts fewer messages a second than the
// dispatcher sends (docs/PERFORMANCE.md).
func startGoSMTP(t testing.TB) *smtpServer {
	t.Helper()
	certPEM, keyPEM, pool := selfSigned(t)
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{TLS: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}}
	s.cond = sync.NewCond(&s.mu)
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &goSession{srv: s, conn: c}, nil
	}))
	srv.Domain = "127.0.0.1"
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.MaxMessageBytes = 1 << 20
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Port = l.Addr().(*net.TCPAddr).Port
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return s
}

// goSession is one SMTP session: AUTH PLAIN as mailer/pa55word over TLS
// before MAIL.
type goSession struct {
	srv  *smtpServer
	conn *smtp.Conn
	auth bool
	m    receivedMail
}

func (g *goSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (g *goSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != "mailer" || pass != "pa55word" {
			return errors.New("535 bad credentials")
		}
		g.auth = true
		return nil
	}), nil
}

func (g *goSession) Mail(from string, _ *smtp.MailOptions) error {
	if !g.auth {
		return smtp.ErrAuthRequired
	}
	_, tlsOn := g.conn.TLSConnectionState()
	g.m = receivedMail{From: from, TLS: tlsOn, Auth: true}
	return nil
}

func (g *goSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	g.m.To = append(g.m.To, to)
	return nil
}

func (g *goSession) Data(r io.Reader) error {
	var b strings.Builder
	if _, err := io.Copy(&b, r); err != nil {
		return err
	}
	g.m.Data = b.String()
	g.srv.mu.Lock()
	g.srv.got = append(g.srv.got, g.m)
	g.srv.cond.Broadcast()
	g.srv.mu.Unlock()
	return nil
}

func (g *goSession) Reset()        { g.m = receivedMail{} }
func (g *goSession) Logout() error { return nil }
