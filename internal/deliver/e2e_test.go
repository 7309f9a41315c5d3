package deliver

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/demotest"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/notify"
)

// gateways are the real servers a test delivers to: aiosmtpd over
// STARTTLS with AUTH, and the HTTPS stand-in of Aliyun's SendSms that
// checks every signature.
type gateways struct {
	smtp  *smtpServer
	sms   *aliyunStandIn
	chans map[string]Channel
}

func startGateways(t testing.TB) *gateways {
	t.Helper()
	return startGatewaysWith(t, startSMTP(t, "starttls"))
}

// startGatewaysWith is startGateways with the given SMTP server.
func startGatewaysWith(t testing.TB, mailer *smtpServer) *gateways {
	t.Helper()
	g := &gateways{smtp: mailer, sms: &aliyunStandIn{secret: "s3cret"}}
	srv := httptest.NewTLSServer(g.sms)
	t.Cleanup(srv.Close)
	client := srv.Client()
	client.Transport = keepAlive(client.Transport) // as defaultClient does
	g.chans = map[string]Channel{
		ChannelEmail: g.smtp.channel("starttls"),
		ChannelSMS: &Aliyun{Endpoint: srv.URL + "/", AccessKeyID: "LTAI-test", AccessKeySecret: "s3cret", SignName: "通办",
			DefaultTemplate: "SMS_0001", Client: client},
	}
	return g
}

func (g *gateways) smsCount() int {
	g.sms.mu.Lock()
	defer g.sms.mu.Unlock()
	return len(g.sms.got)
}

// people makes n applicants with a phone and an e-mail address, both chosen.
func people(t testing.TB, e *demotest.Env, n int) []*identity.User {
	t.Helper()
	c := &Contacts{DB: e.DB, Vault: e.IDs.Vault()}
	out := make([]*identity.User, n)
	for i := range out {
		// Users made directly: the password hash of each real account would
		// dominate the set-up.
		id := db.NewID()
		err := e.DB.Update(e.Ctx, func(tx *db.Tx) error {
			_, err := tx.Exec(`INSERT INTO users (id, username, kind, display_name, password_hash, created_at, updated_at)
				VALUES ($1, $2, 'person', $3, '-', $4, $4)`, id, fmt.Sprintf("p%05d", i), fmt.Sprintf("申请人%d", i), tx.Now)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		out[i] = &identity.User{ID: id}
		if err := c.Set(e.Ctx, out[i], fmt.Sprintf("139%08d", i), fmt.Sprintf("p%d@example.cn", i), true, true); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func notifyAll(t testing.TB, d *db.DB, users []*identity.User, tag string) {
	t.Helper()
	err := d.Update(context.Background(), func(tx *db.Tx) error {
		for i, u := range users {
			if err := notify.Send(tx, u.ID, "", "owed_due", notify.Message{Key: "notify.owed_due",
				Args: map[string]any{"case_no": "X", "materials": "租赁合同", "due_date": "2026-12-31"}}, fmt.Sprintf("%s|%d", tag, i)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Two replicas drain the outbox into a real SMTP server and the SMS
// stand-in: every message once on each channel, each SMS correctly signed.
func TestDispatchToRealServers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := demotest.New(t, d, demotest.At("2026-12-07 10:00"))
		users := people(t, e, 12)
		dispatchToRealServers(t, d, e, startGateways(t), users)
		// The same through the in-process Go SMTP server the benchmark
		// also measures.
		dispatchToRealServers(t, d, e, startGatewaysWith(t, startGoSMTP(t)), users)
	})
}

func dispatchToRealServers(t *testing.T, d *db.DB, e *demotest.Env, g *gateways, users []*identity.User) {
	t.Helper()
	{
		notifyAll(t, d, users, fmt.Sprintf("e2e%d", g.smtp.Port))
		var wg sync.WaitGroup
		for _, h := range []string{"a", "b"} {
			// As served: the texts come from the installation's templates.
			x := &Dispatcher{DB: d, Vault: e.IDs.Vault(), Holder: h, Channels: g.chans, Policy: Policy{Batch: 5},
				Renderer: &notify.TemplateRenderer{DB: d, Home: "500102"}}
			wg.Go(func() {
				for range 10 {
					if _, err := x.Pass(e.Ctx); err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		mails := g.smtp.WaitMails(t, 12)
		if len(mails) != 12 || g.smsCount() != 12 || g.sms.rejected != 0 {
			t.Fatalf("%d e-mails, %d SMS, %d SMS refused", len(mails), g.smsCount(), g.sms.rejected)
		}
		seen := map[string]bool{}
		for _, m := range mails {
			if seen[m.To[0]] {
				t.Fatalf("%s mailed twice", m.To[0])
			}
			seen[m.To[0]] = true
		}
		for _, p := range g.sms.got {
			if !strings.Contains(p["TemplateParam"], "请于2026-12-31前补齐") {
				t.Fatalf("SMS text %s", p["TemplateParam"])
			}
		}
		for _, m := range mails {
			if !m.TLS || !m.Auth {
				t.Fatalf("a message sent without TLS or AUTH: %+v", m)
			}
		}
	}
}

// BenchmarkDispatch measures delivery through two replicas into the real
// SMTP server and the SMS stand-in: each iteration is one notification to
// a person who chose both channels (two messages).
func BenchmarkDispatch(b *testing.B) {
	for _, name := range []string{"sqlite/aiosmtpd", "sqlite/go-smtp", "postgres/aiosmtpd", "postgres/go-smtp"} {
		dialect, server, _ := strings.Cut(name, "/")
		b.Run(name, func(b *testing.B) {
			var d *db.DB
			if dialect == "sqlite" {
				d = dbtest.SQLite(b)
			} else {
				d = dbtest.Postgres(b)
			}
			e := demotest.New(b, d, demotest.At("2026-12-07 10:00"))
			mailer := startGoSMTP
			if server == "aiosmtpd" {
				mailer = func(t testing.TB) *smtpServer { return startSMTP(t, "starttls") }
			}
			g := startGatewaysWith(b, mailer(b))
			users := people(b, e, 50)
			replicas := []*Dispatcher{
				{DB: d, Vault: e.IDs.Vault(), Holder: "a", Channels: g.chans, Policy: Policy{Workers: benchWorkers}},
				{DB: d, Vault: e.IDs.Vault(), Holder: "b", Channels: g.chans, Policy: Policy{Workers: benchWorkers}},
			}
			b.ResetTimer()
			sent := 0
			for round := 0; sent < b.N; round++ {
				b.StopTimer()
				n := min(len(users), b.N-sent)
				notifyAll(b, d, users[:n], fmt.Sprintf("bench%d", round))
				b.StartTimer()
				start := len(g.smtp.Mails())
				var wg sync.WaitGroup
				for _, x := range replicas {
					wg.Go(func() {
						for {
							rep, err := x.Pass(e.Ctx)
							if err != nil {
								b.Error(err)
								return
							}
							if rep.Claimed == 0 && rep.Expanded == 0 {
								return
							}
						}
					})
				}
				wg.Wait()
				g.smtp.WaitMails(b, start+n)
				sent += n
			}
			b.StopTimer()
			b.ReportMetric(float64(2*b.N)/b.Elapsed().Seconds(), "msgs/s")
			// How the replicas shared the bursts: a's part of what was sent.
			var by [2]int64
			for i, x := range replicas {
				for _, n := range x.Counted().Sent {
					by[i] += n
				}
			}
			b.ReportMetric(float64(by[0])/float64(by[0]+by[1]), "share-a")
			if g.smsCount() != b.N || g.sms.rejected != 0 {
				b.Fatalf("%d SMS for %d notifications (%d refused)", g.smsCount(), b.N, g.sms.rejected)
			}
		})
	}
}

// benchWorkers is each replica's concurrent sends in BenchmarkDispatch.
var benchWorkers = 4
