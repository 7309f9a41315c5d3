package deliver_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/blob"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/deliver"
	"github.com/tongban/tongban/internal/demotest"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/notify"
)

// recorder is a channel that records what it is given and fails as told:
// the table tests' stand-in for a gateway (the adapters are tested against
// real servers in sms_test.go and smtp_test.go).
type recorder struct {
	mu   sync.Mutex
	sent []deliver.Envelope
	fail func(e deliver.Envelope) error
	hold chan struct{} // when set, Send waits on it (or the context)
}

func (r *recorder) Send(ctx context.Context, e deliver.Envelope) error {
	if r.hold != nil {
		select {
		case <-r.hold:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		if err := r.fail(e); err != nil {
			return err
		}
	}
	r.sent = append(r.sent, e)
	return nil
}

func (r *recorder) Sent() []deliver.Envelope {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]deliver.Envelope(nil), r.sent...)
}

type fixture struct {
	*demotest.Env
	t        *testing.T
	contacts *deliver.Contacts
	cases    *cases.Service
	sms, em  *recorder
}

func setup(t *testing.T, d *db.DB) *fixture {
	t.Helper()
	// Monday 2026-12-07 10:00 in China.
	e := demotest.New(t, d, demotest.At("2026-12-07 10:00"))
	cs, err := cases.New(d, e.Catalog, e.IDs, calendar.National(), blob.Dir{Root: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{Env: e, t: t, contacts: &deliver.Contacts{DB: d, Vault: e.IDs.Vault()}, cases: cs, sms: &recorder{}, em: &recorder{}}
}

func (f *fixture) dispatcher(holder string, p deliver.Policy) *deliver.Dispatcher {
	return &deliver.Dispatcher{DB: f.DB, Vault: f.IDs.Vault(), Holder: holder, Policy: p, Rand: func() float64 { return 0.5 },
		Channels: map[string]deliver.Channel{deliver.ChannelSMS: f.sms, deliver.ChannelEmail: f.em},
		Urgent:   deliver.DefaultUrgent, Reminders: deliver.DefaultReminders}
}

// notify sends user a notification of kind (and case), as the domain does.
func (f *fixture) notify(user *identity.User, caseID, kind, dedup string) {
	f.t.Helper()
	err := f.DB.Update(f.Ctx, func(tx *db.Tx) error {
		return notify.Send(tx, user.ID, caseID, kind, notify.Message{Key: "notify." + kind,
			Args: map[string]any{"case_no": "X", "due_date": "2026-12-31", "clock": "supervise.clock.decision", "level": "signal.level.red",
				"by": "李四", "note": "请尽快办理", "materials": "租赁合同"}}, dedup)
	})
	if err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) pass(d *deliver.Dispatcher) deliver.Report {
	f.t.Helper()
	rep, err := d.Pass(f.Ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	return rep
}

// states counts deliveries by channel/state.
func (f *fixture) states() map[string]int {
	f.t.Helper()
	out := map[string]int{}
	err := f.DB.View(f.Ctx, func(tx *db.Tx) error {
		rows, err := tx.Query(`SELECT channel, state, COUNT(*) FROM deliveries GROUP BY channel, state`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var ch, st string
			var n int
			if err := rows.Scan(&ch, &st, &n); err != nil {
				return err
			}
			out[ch+"/"+st] = n
		}
		return rows.Err()
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return out
}

func same(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestContacts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		zs := f.Users["zhangsan"]
		for _, tc := range []struct {
			phone, email string
			sms, mail    bool
			key          string
		}{
			{"1380013800", "", true, false, "contacts.phone_invalid"},
			{"23800138000", "", false, false, "contacts.phone_invalid"},
			{"", "not an address", false, true, "contacts.email_invalid"},
			{"", "张三 <zs@example.cn>", false, true, "contacts.email_invalid"},
			{"", "", true, false, "contacts.sms_needs_phone"},
			{"", "", false, true, "contacts.email_needs_address"},
		} {
			err := f.contacts.Set(f.Ctx, zs, tc.phone, tc.email, tc.sms, tc.mail)
			if e := apperrKey(err); e != tc.key {
				t.Errorf("%+v: %v, want %s", tc, err, tc.key)
			}
		}
		if c, _ := f.contacts.Get(f.Ctx, zs); c.Phone != "" || c.SMS {
			t.Fatalf("a refused contact was written: %+v", c)
		}
		if err := f.contacts.Set(f.Ctx, zs, "+86 138 0013 8000", "zs@example.cn", true, true); err != nil {
			t.Fatal(err)
		}
		c, err := f.contacts.Get(f.Ctx, zs)
		if err != nil || c.Phone != "13800138000" || c.Email != "zs@example.cn" || c.PhoneMasked != "138****8000" || c.EmailMasked != "z***@example.cn" || !c.SMS || !c.EmailOn {
			t.Fatalf("%+v %v", c, err)
		}
		// Sealed at rest: neither the number nor the address is in the row.
		var row string
		if err := d.Reader().QueryRow(`SELECT phone_sealed || email_sealed FROM contacts WHERE user_id = $1`, zs.ID).Scan(&row); err != nil {
			t.Fatal(err)
		}
		if containsAny(row, "13800138000", "zs@example.cn") {
			t.Fatalf("contacts stored in clear: %s", row)
		}
	})
}

func containsAny(s string, subs ...string) bool {
	for _, x := range subs {
		if len(x) > 0 && len(s) >= len(x) {
			for i := 0; i+len(x) <= len(s); i++ {
				if s[i:i+len(x)] == x {
					return true
				}
			}
		}
	}
	return false
}

func apperrKey(err error) string {
	type keyed interface{ MessageKey() string }
	var k keyed
	if errors.As(err, &k) {
		return k.MessageKey()
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

// Delivery end to end through the queue: each chosen channel once, with the
// idempotency key of notification and channel; in-app only for a user
// without contacts; one delivery per channel however often the outbox is
// expanded by racing replicas.
func TestDispatchDelivers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		zs, clerk := f.Users["zhangsan"], f.Users["clerk"]
		if err := f.contacts.Set(f.Ctx, zs, "13800138000", "zs@example.cn", true, true); err != nil {
			t.Fatal(err)
		}
		f.notify(zs, "", "deemed", "a")
		f.notify(clerk, "", "deemed", "b") // no contacts: in-app only
		a, b := f.dispatcher("a", deliver.Policy{}), f.dispatcher("b", deliver.Policy{})
		var wg sync.WaitGroup
		for _, x := range []*deliver.Dispatcher{a, b, a, b} {
			wg.Go(func() {
				if _, err := x.Pass(f.Ctx); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		f.pass(a)
		if got := f.states(); !same(got, map[string]int{"sms/sent": 1, "email/sent": 1}) {
			t.Fatalf("states %v", got)
		}
		s, m := f.sms.Sent(), f.em.Sent()
		if len(s) != 1 || len(m) != 1 {
			t.Fatalf("sent %d SMS, %d e-mails", len(s), len(m))
		}
		if s[0].To != "13800138000" || s[0].Body != "您的办件逾期未告知补正，依法视为已受理。" || s[0].IdemKey[len(s[0].IdemKey)-4:] != ":sms" {
			t.Fatalf("sms %+v", s[0])
		}
		if m[0].To != "zs@example.cn" || m[0].Subject != "政务服务通知：视为受理" || m[0].IdemKey[:len(m[0].IdemKey)-6] != s[0].IdemKey[:len(s[0].IdemKey)-4] {
			t.Fatalf("e-mail %+v", m[0])
		}
		st, err := deliver.Figures(f.Ctx, d)
		if err != nil || st.Unexpanded != 0 || st.Channels[0].Sent != 1 || st.Channels[0].Pending != 0 {
			t.Fatalf("figures %+v %v", st, err)
		}
	})
}

// Retries with exponential backoff and jitter, dead after MaxAttempts,
// shown to administrators and resent by one (audited).
func TestDispatchRetryDeadResend(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		zs := f.Users["zhangsan"]
		if err := f.contacts.Set(f.Ctx, zs, "", "zs@example.cn", false, true); err != nil {
			t.Fatal(err)
		}
		down := true
		f.em.fail = func(deliver.Envelope) error {
			if down {
				return errors.New("451 try again later")
			}
			return nil
		}
		x := f.dispatcher("a", deliver.Policy{MaxAttempts: 3, Backoff: time.Minute})
		f.notify(zs, "", "deemed", "a")
		start := f.Now()
		// With jitter fixed at 0.5: 45 s after the first failure (1 min:
		// half fixed, half random), 90 s after the second, then dead.
		for i, step := range []struct {
			at    time.Duration
			state string
			sent  int
		}{
			{0, "email/pending", 0},
			{44 * time.Second, "email/pending", 0}, // not yet due: nothing claimed
			{45 * time.Second, "email/pending", 0},
			{45*time.Second + 89*time.Second, "email/pending", 0},
			{45*time.Second + 90*time.Second, "email/dead", 0},
		} {
			f.SetNow(start.Add(step.at))
			f.pass(x)
			if got := f.states(); got[step.state] != 1 {
				t.Fatalf("step %d at +%v: %v, want %s", i, step.at, got, step.state)
			}
		}
		var attempts int
		d.Reader().QueryRow(`SELECT attempts FROM deliveries`).Scan(&attempts)
		if attempts != 3 {
			t.Fatalf("attempts %d", attempts)
		}
		admin := f.Users["admin"]
		if _, err := deliver.DeadLetters(f.Ctx, d, zs, "500102", 10); apperrKey(err) != "error.forbidden" {
			t.Fatalf("an applicant lists dead letters: %v", err)
		}
		letters, err := deliver.DeadLetters(f.Ctx, d, admin, "500102", 10)
		if err != nil || len(letters) != 1 || letters[0].To != "z***@example.cn" || letters[0].Key != "notify.deemed" || letters[0].Attempts != 3 ||
			letters[0].LastError != "451 try again later" {
			t.Fatalf("dead letters %+v %v", letters, err)
		}
		if err := deliver.Resend(f.Ctx, d, zs, "500102", letters[0].ID); apperrKey(err) != "error.forbidden" {
			t.Fatalf("an applicant resends: %v", err)
		}
		down = false
		if err := deliver.Resend(f.Ctx, d, admin, "500102", letters[0].ID); err != nil {
			t.Fatal(err)
		}
		if err := deliver.Resend(f.Ctx, d, admin, "500102", letters[0].ID); apperrKey(err) != "outbox.not_dead" {
			t.Fatalf("second resend: %v", err)
		}
		var audited int
		d.Reader().QueryRow(`SELECT COUNT(*) FROM audit_pending WHERE action = 'outbox.resend' AND object_id = $1`, letters[0].ID).Scan(&audited)
		if audited != 1 {
			t.Fatalf("%d audit records of the resend", audited)
		}
		f.pass(x)
		if got := f.states(); !same(got, map[string]int{"email/sent": 1}) || len(f.em.Sent()) != 1 {
			t.Fatalf("after resend: %v", got)
		}
	})
}

// A permanent refusal (a refused mailbox) is dead at once.
func TestDispatchPermanent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		zs := f.Users["zhangsan"]
		f.contacts.Set(f.Ctx, zs, "", "zs@example.cn", false, true)
		f.em.fail = func(e deliver.Envelope) error {
			return deliver.Permanent(fmt.Errorf("550 mailbox unavailable, affected recipient(s): <%s>", e.To))
		}
		f.notify(zs, "", "deemed", "a")
		f.pass(f.dispatcher("a", deliver.Policy{}))
		if got := f.states(); !same(got, map[string]int{"email/dead": 1}) {
			t.Fatalf("%v", got)
		}
		// The address the gateway echoed is kept masked.
		var why string
		d.Reader().QueryRow(`SELECT last_error FROM deliveries`).Scan(&why)
		if why != "permanent: 550 mailbox unavailable, affected recipient(s): <z***@example.cn>" {
			t.Fatalf("last error %q", why)
		}
	})
}

// Quiet hours: no SMS from 22:00 to 08:00 in China unless urgent; e-mail
// goes at any hour.
func TestDispatchQuietHours(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		zs, handler := f.Users["zhangsan"], f.Users["handler"]
		f.contacts.Set(f.Ctx, zs, "13800138000", "zs@example.cn", true, true)
		f.contacts.Set(f.Ctx, handler, "13900139000", "", true, false)
		x := f.dispatcher("a", deliver.Policy{})
		f.SetNow(demotest.At("2026-12-07 23:30"))
		f.notify(zs, "", "deemed", "a")        // not urgent
		f.notify(handler, "", "escalate", "b") // urgent
		f.pass(x)
		if got := f.states(); !same(got, map[string]int{"sms/pending": 1, "sms/sent": 1, "email/sent": 1}) {
			t.Fatalf("at 23:30: %v", got)
		}
		if s := f.sms.Sent(); len(s) != 1 || s[0].To != "13900139000" {
			t.Fatalf("sent at night: %+v", s)
		}
		f.Advance(90 * time.Second)
		st, err := deliver.Figures(f.Ctx, d)
		if err != nil || st.Channels[0].Channel != "sms" || st.Channels[0].Pending != 1 || st.Channels[0].OldestSec != 90 || st.Channels[0].Sent != 1 {
			t.Fatalf("figures %+v %v", st, err)
		}
		f.SetNow(demotest.At("2026-12-08 07:59"))
		f.pass(x)
		if len(f.sms.Sent()) != 1 {
			t.Fatal("an SMS went before 08:00")
		}
		f.SetNow(demotest.At("2026-12-08 08:00"))
		f.pass(x)
		if got := f.states(); !same(got, map[string]int{"sms/sent": 2, "email/sent": 1}) {
			t.Fatalf("at 08:00: %v", got)
		}
		var attempts int
		d.Reader().QueryRow(`SELECT MAX(attempts) FROM deliveries`).Scan(&attempts)
		if attempts != 1 {
			t.Fatalf("holding back counted as an attempt: %d", attempts)
		}
	})
}

func TestQuietUntil(t *testing.T) {
	p := deliver.Policy{}
	for _, tc := range []struct{ at, until string }{
		{"2026-12-07 21:59", ""},
		{"2026-12-07 22:00", "2026-12-08 08:00"},
		{"2026-12-07 23:59", "2026-12-08 08:00"},
		{"2026-12-08 00:00", "2026-12-08 08:00"},
		{"2026-12-08 07:59", "2026-12-08 08:00"},
		{"2026-12-08 08:00", ""},
		{"2026-12-08 12:00", ""},
	} {
		got := p.QuietUntil(demotest.At(tc.at))
		want := time.Time{}
		if tc.until != "" {
			want = demotest.At(tc.until).UTC()
		}
		if !got.Equal(want) {
			t.Errorf("%s: %v, want %v", tc.at, got, want)
		}
	}
}

func TestDelay(t *testing.T) {
	p := deliver.Policy{Backoff: 30 * time.Second, MaxBackoff: 10 * time.Minute}
	for _, tc := range []struct {
		n      int
		r      float64
		lo, hi time.Duration
	}{
		{1, 0, 15 * time.Second, 15 * time.Second},
		{1, 0.999999, 15 * time.Second, 30 * time.Second},
		{2, 0, 30 * time.Second, 30 * time.Second},
		{3, 0.5, 90 * time.Second, 90 * time.Second},
		{6, 0, 5 * time.Minute, 5 * time.Minute}, // 16 min capped at 10
		{40, 0.999999, 5 * time.Minute, 10 * time.Minute},
	} {
		if got := p.Delay(tc.n, tc.r); got < tc.lo || got > tc.hi {
			t.Errorf("Delay(%d, %v) = %v, want [%v, %v]", tc.n, tc.r, got, tc.lo, tc.hi)
		}
	}
}

// A reminder whose case was withdrawn is not sent: its cause is gone. A
// user who opted out after the notification was queued is not sent to.
func TestDispatchCancels(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		zs := f.Users["zhangsan"]
		f.contacts.Set(f.Ctx, zs, "13800138000", "zs@example.cn", true, true)
		c, _, err := f.cases.Create(f.Ctx, f.Users["clerk"], cases.NewCase{ItemCode: f.Codes["个体工商户设立登记"], Submit: true, Applicant: "500102198506120011", Values: catalog.Values{
			"applicant_name": {"张三"}, "applicant_id": {"500102198506120011"}, "applicant_phone": {"13800000000"},
			"form_of": {"person"}, "scope": {"小吃服务"}, "org_address": {"500102006001", "滨江路 1 号"}, "capital": {"5"}}})
		if err != nil {
			t.Fatal(err)
		}
		f.notify(zs, c.ID, "remind", "r")  // a reminder: cancelled with its case
		f.notify(zs, c.ID, "deemed", "d1") // not a reminder: still told
		x := f.dispatcher("a", deliver.Policy{})
		f.SetNow(demotest.At("2026-12-07 23:00")) // SMS held back for the night
		f.pass(x)
		if _, err := f.cases.Act(f.Ctx, zs, c.No, cases.ActionRequest{Action: "withdraw", Reason: "不再开办"}); err != nil {
			t.Fatal(err)
		}
		f.SetNow(demotest.At("2026-12-08 08:30"))
		f.pass(x)
		got := f.states()
		// Besides the two: the case's own step notice (issue 16), sent on
		// both channels — it is no reminder.
		if !same(got, map[string]int{"sms/cancelled": 1, "sms/sent": 2, "email/sent": 3}) {
			t.Fatalf("%v", got)
		}
		// Opting out of SMS after queueing: not sent.
		f.notify(zs, "", "deemed", "d2")
		if _, err := x.Expand(f.Ctx); err != nil {
			t.Fatal(err)
		}
		f.contacts.Set(f.Ctx, zs, "", "zs@example.cn", false, true)
		f.pass(x)
		if got := f.states(); got["sms/cancelled"] != 2 || got["email/sent"] != 4 {
			t.Fatalf("after opting out: %v", got)
		}
	})
}

// Per-channel rate limit: at most PerMinute a minute from one replica; the
// rest wait without an attempt counted.
func TestDispatchRateLimit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		zs := f.Users["zhangsan"]
		f.contacts.Set(f.Ctx, zs, "13800138000", "", true, false)
		for i := range 5 {
			f.notify(zs, "", "deemed", fmt.Sprint(i))
		}
		x := f.dispatcher("a", deliver.Policy{PerMinute: map[string]int{deliver.ChannelSMS: 2}})
		rep := f.pass(x)
		if len(f.sms.Sent()) != 2 || rep.Deferred != 3 {
			t.Fatalf("first minute: sent %d, %+v", len(f.sms.Sent()), rep)
		}
		f.Advance(30 * time.Second)
		f.pass(x)
		if n := len(f.sms.Sent()); n != 3 {
			t.Fatalf("after 30 s: %d", n)
		}
		f.Advance(90 * time.Second)
		f.pass(x)
		if got := f.states(); !same(got, map[string]int{"sms/sent": 5}) {
			t.Fatalf("%v", got)
		}
	})
}

// A replica killed mid-delivery (its claim taken, the message not
// recorded) loses nothing: when its claim expires another replica sends
// it, once.
func TestDispatchReplicaDies(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		zs := f.Users["zhangsan"]
		f.contacts.Set(f.Ctx, zs, "", "zs@example.cn", false, true)
		f.notify(zs, "", "deemed", "a")
		dying := &recorder{hold: make(chan struct{})}
		a := f.dispatcher("a", deliver.Policy{Claim: time.Minute})
		a.Channels = map[string]deliver.Channel{deliver.ChannelEmail: dying}
		ctx, kill := context.WithCancel(f.Ctx)
		done := make(chan struct{})
		go func() { a.Pass(ctx); close(done) }()
		// Wait until a has claimed it, then kill a.
		for {
			var by string
			d.Reader().QueryRow(`SELECT claimed_by FROM deliveries`).Scan(&by)
			if by == "a" {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		kill()
		<-done
		b := f.dispatcher("b", deliver.Policy{Claim: time.Minute})
		f.pass(b)
		if len(f.em.Sent()) != 0 {
			t.Fatal("b sent while a's claim ran")
		}
		f.Advance(61 * time.Second)
		f.pass(b)
		f.pass(b)
		if got := f.states(); !same(got, map[string]int{"email/sent": 1}) || len(f.em.Sent()) != 1 || len(dying.Sent()) != 0 {
			t.Fatalf("%v, b sent %d", got, len(f.em.Sent()))
		}
	})
}

// The window math: from–to hours in China, crossing midnight when from >
// to, none when equal.
func TestWindowUntil(t *testing.T) {
	for _, tc := range []struct {
		from, to  int
		at, until string
	}{
		{22, 8, "2026-12-07 21:59", ""},
		{22, 8, "2026-12-07 22:00", "2026-12-08 08:00"},
		{22, 8, "2026-12-08 03:00", "2026-12-08 08:00"},
		{22, 8, "2026-12-08 08:00", ""},
		{23, 0, "2026-12-07 23:30", "2026-12-08 00:00"}, // ends at midnight
		{23, 0, "2026-12-08 00:00", ""},
		{0, 6, "2026-12-07 23:59", ""},
		{0, 6, "2026-12-08 00:00", "2026-12-08 06:00"},
		{12, 14, "2026-12-07 13:59", "2026-12-07 14:00"}, // a midday window
		{12, 14, "2026-12-07 14:00", ""},
		{12, 14, "2026-12-07 11:59", ""},
		{20, 7, "2026-12-07 20:00", "2026-12-08 07:00"},
		{20, 7, "2026-12-07 19:59", ""},
		{8, 8, "2026-12-07 08:30", ""}, // equal: no quiet hours
		{0, 0, "2026-12-07 23:30", ""},
		{21, 9, "2026-12-31 23:00", "2027-01-01 09:00"}, // across the year
	} {
		got := deliver.Window{From: tc.from, To: tc.to}.Until(demotest.At(tc.at))
		want := time.Time{}
		if tc.until != "" {
			want = demotest.At(tc.until).UTC()
		}
		if !got.Equal(want) {
			t.Errorf("%d–%d at %s: %v, want %v", tc.from, tc.to, tc.at, got, want)
		}
	}
}

// A person's own quiet hours: stored with the contact, refused when out of
// range (nothing written), and obeyed by the dispatcher — SMS always, e-mail
// when they chose so; an urgent message goes anyway.
func TestPersonalQuietHours(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		zs, handler, clerk := f.Users["zhangsan"], f.Users["handler"], f.Users["clerk"]
		base := deliver.Contact{Phone: "13800138000", Email: "zs@example.cn", SMS: true, EmailOn: true}
		for _, tc := range []struct {
			quiet    string
			from, to int
			key      string
		}{
			{"custom", 24, 8, "contacts.quiet_hour_invalid"},
			{"custom", 22, -1, "contacts.quiet_hour_invalid"},
			{"sometimes", 0, 0, "contacts.quiet_invalid"},
		} {
			c := base
			c.Quiet, c.QuietFrom, c.QuietTo = tc.quiet, tc.from, tc.to
			if err := f.contacts.Save(f.Ctx, zs, c); apperrKey(err) != tc.key {
				t.Fatalf("%+v: %v, want %s", tc, err, tc.key)
			}
		}
		if got, err := f.contacts.Get(f.Ctx, zs); err != nil || got.Phone != "" || got.Quiet != deliver.QuietDefault || got.QuietFrom != 22 {
			t.Fatalf("refused input written: %+v %v", got, err)
		}
		// 张三: 12–14 with e-mail held back; the handler: none; the clerk:
		// the default.
		c := base
		c.Quiet, c.QuietFrom, c.QuietTo, c.QuietEmail = deliver.QuietCustom, 12, 14, true
		if err := f.contacts.Save(f.Ctx, zs, c); err != nil {
			t.Fatal(err)
		}
		if err := f.contacts.Save(f.Ctx, handler, deliver.Contact{Phone: "13900139000", SMS: true, Quiet: deliver.QuietNone}); err != nil {
			t.Fatal(err)
		}
		if err := f.contacts.Save(f.Ctx, clerk, deliver.Contact{Phone: "13700137000", SMS: true}); err != nil {
			t.Fatal(err)
		}
		got, err := f.contacts.Get(f.Ctx, zs)
		if err != nil || got.Quiet != deliver.QuietCustom || got.QuietFrom != 12 || got.QuietTo != 14 || !got.QuietEmail {
			t.Fatalf("read back %+v %v", got, err)
		}
		// Changing only the channels (Set) keeps the quiet hours.
		if err := f.contacts.Set(f.Ctx, zs, "13800138000", "zs@example.cn", true, true); err != nil {
			t.Fatal(err)
		}
		if got, _ := f.contacts.Get(f.Ctx, zs); got.Quiet != deliver.QuietCustom || !got.QuietEmail {
			t.Fatalf("Set dropped the quiet hours: %+v", got)
		}
		x := f.dispatcher("a", deliver.Policy{})
		f.SetNow(demotest.At("2026-12-07 13:00"))
		f.notify(zs, "", "deemed", "a")
		f.notify(handler, "", "deemed", "b")
		f.notify(clerk, "", "deemed", "c")
		f.notify(zs, "", "escalate", "u") // urgent: through her quiet hours
		f.pass(x)
		if got := f.states(); !same(got, map[string]int{"sms/pending": 1, "email/pending": 1, "sms/sent": 3, "email/sent": 1}) {
			t.Fatalf("at 13:00: %v", got)
		}
		f.SetNow(demotest.At("2026-12-07 23:00"))
		f.notify(handler, "", "deemed", "b2") // none: sent at night
		f.notify(clerk, "", "deemed", "c2")   // default: held to 08:00
		f.notify(zs, "", "deemed", "a2")      // outside her window: sent
		f.pass(x)
		if got := f.states(); !same(got, map[string]int{"sms/pending": 1, "sms/sent": 6, "email/sent": 3}) {
			t.Fatalf("at 23:00: %v", got)
		}
		f.SetNow(demotest.At("2026-12-08 08:00"))
		f.pass(x)
		if got := f.states(); !same(got, map[string]int{"sms/sent": 7, "email/sent": 3}) {
			t.Fatalf("at 08:00: %v", got)
		}
	})
}
