package deliver

import (
	"context"
	"database/sql"
	"encoding/json"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/notify"
	"github.com/tongban/tongban/internal/queue"
	"github.com/tongban/tongban/internal/vault"
)

// Delivery states.
const (
	StatePending   = "pending"
	StateSent      = "sent"
	StateDead      = "dead"
	StateCancelled = "cancelled"
)

// Policy is how the dispatcher retries, paces and holds back.
type Policy struct {
	MaxAttempts int           // a delivery failing this often is dead (default 8)
	Backoff     time.Duration // the first retry's delay; each next one doubles (default 30 s)
	MaxBackoff  time.Duration // the longest delay (default 6 h)
	Claim       time.Duration // how long a claim keeps others off a delivery (default 2 min)
	// Batch is how many deliveries a pass claims (default 5 per worker):
	// small, so that replicas share a burst rather than one taking it all,
	// and so that a replica dying between sending and recording resends
	// little (a pass records its batch's outcomes at once).
	Batch   int
	Workers int // deliveries sent at once (default 4)
	// PerMinute bounds what this replica sends on a channel per minute (0:
	// no bound); the gateways' own quotas divided by the replicas.
	PerMinute map[string]int
	// QuietFrom and QuietTo are the hours (Asia/Shanghai) between which no
	// SMS is sent unless urgent: from 22:00 to 08:00 by default.
	QuietFrom, QuietTo int
}

func (p Policy) withDefaults() Policy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 8
	}
	if p.Backoff <= 0 {
		p.Backoff = 30 * time.Second
	}
	if p.MaxBackoff <= 0 {
		p.MaxBackoff = 6 * time.Hour
	}
	if p.Claim <= 0 {
		p.Claim = 2 * time.Minute
	}
	if p.Workers <= 0 {
		p.Workers = 4
	}
	if p.Batch <= 0 {
		p.Batch = 5 * p.Workers
	}
	if p.QuietFrom == 0 && p.QuietTo == 0 {
		p.QuietFrom, p.QuietTo = 22, 8
	}
	return p
}

// China Standard Time has no daylight saving: a fixed zone needs no tzdata.
var shanghai = time.FixedZone("Asia/Shanghai", 8*3600)

// QuietUntil is when the installation's quiet hours that cover t end, or
// the zero time when t is outside them.
func (p Policy) QuietUntil(t time.Time) time.Time {
	p = p.withDefaults()
	return Window{From: p.QuietFrom, To: p.QuietTo}.Until(t)
}

// quietFor is a person's own quiet hours, or the installation's when they
// chose the default.
func (p Policy) quietFor(q Quiet) Window {
	if q.Window != nil {
		return *q.Window
	}
	p = p.withDefaults()
	return Window{From: p.QuietFrom, To: p.QuietTo}
}

// Delay is the wait before attempt n+1 after n failed attempts:
// Backoff·2^(n-1), at most MaxBackoff, of which the second half is random
// ("equal jitter", so replicas retrying together spread out). r is in [0,1).
func (p Policy) Delay(n int, r float64) time.Duration {
	p = p.withDefaults()
	d := p.Backoff
	for i := 1; i < n && d < p.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, p.MaxBackoff)
	return d/2 + time.Duration(r*float64(d/2))
}

// Dispatcher drains the outbox. Run it in every replica.
type Dispatcher struct {
	DB       *db.DB
	Vault    *vault.Vault
	Holder   string             // this replica
	Channels map[string]Channel // configured channels; a channel not here is not offered
	Renderer Renderer           // default DefaultRenderer
	Policy   Policy
	Log      *slog.Logger
	// Urgent kinds are sent by SMS in quiet hours too.
	Urgent map[string]bool
	// Reminders are kinds cancelled when their case has ended (withdrawn,
	// refused, terminated, delivered), or their booking is no longer open
	// (cancelled, checked in, missed): their cause is gone.
	Reminders map[string]bool
	// Rand gives jitter in [0,1) (tests fix it).
	Rand func() float64

	mu    sync.Mutex
	pace  map[string]*pacer
	count Counters
	// beforeRecord, when set, runs between sending a batch and recording
	// it (a test kills the replica there).
	beforeRecord func()
}

// DefaultUrgent and DefaultReminders are the kinds the server uses.
var (
	DefaultUrgent    = map[string]bool{"escalate": true}
	DefaultReminders = map[string]bool{"remind": true, "escalate": true, "urge": true, "owed_due": true, "booking_reminder": true}
)

// endedStates are the terminal states of every workflow.
var endedStates = map[string]bool{"withdrawn": true, "refused": true, "terminated": true, "delivered": true}

// Counters are what this replica sent and failed, per channel.
type Counters struct {
	Sent, Failed map[string]int64
}

// Counted returns a copy of the counters.
func (d *Dispatcher) Counted() Counters {
	d.mu.Lock()
	defer d.mu.Unlock()
	c := Counters{Sent: map[string]int64{}, Failed: map[string]int64{}}
	for k, v := range d.count.Sent {
		c.Sent[k] = v
	}
	for k, v := range d.count.Failed {
		c.Failed[k] = v
	}
	return c
}

// Report says what a pass did.
type Report struct {
	Expanded  int // outbox rows turned into deliveries
	Claimed   int
	Sent      int
	Retried   int
	Dead      int
	Cancelled int
	Deferred  int // quiet hours or rate limit
}

// Pass expands new outbox rows, then claims the due deliveries and sends
// them. Every replica may pass at once: expansion is idempotent (one
// delivery per notification and channel) and a claim is taken by one.
//
// A pass costs the database a fixed number of statements whatever its
// batch: one to claim, one to read what sending needs, and one transaction
// recording every outcome (grouped by outcome). So a replica that dies
// after sending and before recording resends its whole batch once the
// claim expires, not one message: the at-least-once window is one batch
// (the idempotency key goes with every message).
func (d *Dispatcher) Pass(ctx context.Context) (Report, error) {
	var rep Report
	n, err := d.Expand(ctx)
	rep.Expanded = n
	if err != nil {
		return rep, err
	}
	jobs, err := d.claim(ctx)
	rep.Claimed = len(jobs)
	if err != nil || len(jobs) == 0 {
		return rep, err
	}
	p := d.Policy.withDefaults()
	outs := make([]outcome, len(jobs))
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(p.Workers, len(jobs)) {
		wg.Go(func() {
			for i := range next {
				outs[i] = d.deliver(ctx, jobs[i])
			}
		})
	}
	for i := range jobs {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, o := range outs {
		switch o.state {
		case StateSent:
			rep.Sent++
		case StateDead:
			rep.Dead++
		case StateCancelled:
			rep.Cancelled++
		case "retry":
			rep.Retried++
		case "deferred":
			rep.Deferred++
		}
	}
	if d.beforeRecord != nil {
		d.beforeRecord()
	}
	return rep, d.record(ctx, outs)
}

// expandBatch is how many outbox rows one transaction expands.
const expandBatch = 500

// inList is a subquery over the values of a JSON array of strings given as
// parameter param: one statement (prepared once) for any number of ids.
func (d *Dispatcher) inList(param string) string {
	if d.DB.Dialect == db.Postgres {
		return `(SELECT value FROM json_array_elements_text(` + param + `::json))`
	}
	return `(SELECT value FROM json_each(` + param + `))`
}

func jsonList(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// Expand turns outbox rows not yet expanded into one delivery per channel
// the recipient chose and has an address for, and marks them expanded: one
// read, one insert of every delivery and one update of every row of a batch.
func (d *Dispatcher) Expand(ctx context.Context) (int, error) {
	// Notifications sent since the last pass reach the inbox and the outbox.
	if _, err := notify.Settle(ctx, d.DB); err != nil {
		return 0, err
	}
	var n int
	err := d.DB.Update(ctx, func(tx *db.Tx) error {
		n = 0
		// A queue ticket's 即将到号 goes by SMS to the number given at the
		// kiosk (with consent, for that ticket) when there is one.
		rows, err := tx.Query(`SELECT o.id, o.notification_id, COALESCE(c.sms, FALSE) OR COALESCE(qt.near_phone_sealed, '') <> '', COALESCE(c.email, FALSE),
			COALESCE(NULLIF(qt.near_phone_sealed, ''), c.phone_sealed, ''), COALESCE(c.email_sealed, '')
			FROM outbox o LEFT JOIN contacts c ON c.user_id = o.recipient
			LEFT JOIN notifications n ON n.id = o.notification_id AND n.kind = '`+queue.NearKind+`'
			LEFT JOIN queue_tickets qt ON n.id IS NOT NULL AND qt.id = substr(n.dedup, `+nearFrom+`)
			WHERE o.sent_at IS NULL ORDER BY o.created_at LIMIT $1`, expandBatch)
		if err != nil {
			return err
		}
		var ids []string
		var add [][4]string // id, outbox id, channel, idempotency key
		for rows.Next() {
			var id, notif, phone, eaddr string
			var sms, email bool
			if err := rows.Scan(&id, &notif, &sms, &email, &phone, &eaddr); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
			for _, ch := range []struct {
				name string
				on   bool
			}{{ChannelSMS, sms && phone != ""}, {ChannelEmail, email && eaddr != ""}} {
				if ch.on && d.Channels[ch.name] != nil {
					add = append(add, [4]string{db.NewID(), id, ch.name, notif + ":" + ch.name})
				}
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil || len(ids) == 0 {
			return err
		}
		if len(add) > 0 {
			q := `INSERT INTO deliveries (id, outbox_id, channel, idem_key, next_at, created_at)
				SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), json_extract(value, '$[3]'), $2, $2
				FROM json_each($1) WHERE true ON CONFLICT (idem_key) DO NOTHING`
			if d.DB.Dialect == db.Postgres {
				q = `INSERT INTO deliveries (id, outbox_id, channel, idem_key, next_at, created_at)
				SELECT value->>0, value->>1, value->>2, value->>3, $2, $2
				FROM json_array_elements($1::json) WHERE true ON CONFLICT (idem_key) DO NOTHING`
			}
			if _, err := tx.Exec(q, jsonList(add), tx.Now); err != nil {
				return err
			}
		}
		res, err := tx.Exec(`UPDATE outbox SET sent_at = $1 WHERE id IN `+d.inList("$2")+` AND sent_at IS NULL`, tx.Now, jsonList(ids))
		if err != nil {
			return err
		}
		k, _ := res.RowsAffected()
		n = int(k)
		return nil
	})
	return n, err
}

// nearFrom is where a 即将到号 notification's dedup names its ticket
// (queue.NearDedup), for SQL's substr (1-based).
var nearFrom = strconv.Itoa(len(queue.NearDedup("")) + 1)

// job is one claimed delivery with what sending it needs.
type job struct {
	id, channel, idem, recipient, payload, kind, caseState string
	bookingState                                           string // a booking reminder's booking (booking.ReminderDedup)
	attempts                                               int
	phone, email, lang                                     string
	quiet                                                  Quiet
}

// claim takes up to Batch due deliveries for this replica: those pending,
// due, and not claimed by another replica whose claim still runs. One
// statement claims the batch (PostgreSQL skips rows another replica is
// claiming at that moment; SQLite's single writer needs no lock), one
// reads what sending them needs.
func (d *Dispatcher) claim(ctx context.Context) ([]job, error) {
	p := d.Policy.withDefaults()
	var jobs []job
	err := d.DB.Update(ctx, func(tx *db.Tx) error {
		jobs = jobs[:0]
		lock := ""
		if d.DB.Dialect == db.Postgres {
			lock = ` FOR UPDATE SKIP LOCKED`
		}
		ids, err := tx.Strings(`UPDATE deliveries SET claimed_by = $1, claim_until = $2
			WHERE id IN (SELECT id FROM deliveries WHERE state = 'pending' AND next_at <= $3
				AND (claim_until IS NULL OR claim_until < $3) ORDER BY next_at LIMIT $4`+lock+`)
			AND state = 'pending' AND (claim_until IS NULL OR claim_until < $3)
			RETURNING id`, d.Holder, tx.Now.Add(p.Claim), tx.Now, p.Batch)
		if err != nil || len(ids) == 0 {
			return err
		}
		rows, err := tx.Query(`SELECT d.id, d.channel, d.idem_key, d.attempts, o.recipient, o.payload, n.kind,
			COALESCE(c.state, ''), COALESCE(bk.state, ''), COALESCE(k.phone_sealed, ''), COALESCE(k.email_sealed, ''), COALESCE(k.sms, FALSE),
			COALESCE(k.email, FALSE), u.locale, k.quiet_from, k.quiet_to, COALESCE(k.quiet_email, FALSE), COALESCE(qt.near_phone_sealed, '')
			FROM deliveries d JOIN outbox o ON o.id = d.outbox_id JOIN notifications n ON n.id = o.notification_id
			JOIN users u ON u.id = o.recipient
			LEFT JOIN cases c ON c.id = n.case_id LEFT JOIN contacts k ON k.user_id = o.recipient
			LEFT JOIN bookings bk ON n.kind = 'booking_reminder' AND bk.id = substr(n.dedup, 9)
			LEFT JOIN queue_tickets qt ON n.kind = '`+queue.NearKind+`' AND qt.id = substr(n.dedup, `+nearFrom+`)
			WHERE d.id IN `+d.inList("$1")+` ORDER BY d.next_at`, jsonList(ids))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var j job
			var sealedPhone, sealedEmail, ticketPhone string
			var smsOn, emailOn bool
			var from, to sql.NullInt64
			if err := rows.Scan(&j.id, &j.channel, &j.idem, &j.attempts, &j.recipient, &j.payload, &j.kind,
				&j.caseState, &j.bookingState, &sealedPhone, &sealedEmail, &smsOn, &emailOn, &j.lang, &from, &to, &j.quiet.Email, &ticketPhone); err != nil {
				return err
			}
			j.quiet.set(from, to)
			if j.channel == ChannelSMS && ticketPhone != "" {
				// The number given for the ticket (cleared when its day
				// ended: then the message is moot and is not sent).
				if j.phone, err = d.Vault.OpenText(ticketPhone, queue.PhonePurpose); err != nil {
					return err
				}
				jobs = append(jobs, j)
				continue
			}
			// The preference and address as they are now, not as they were
			// at expansion: a user who opted out since is not sent to.
			if j.channel == ChannelSMS && smsOn && sealedPhone != "" {
				if j.phone, err = d.Vault.OpenText(sealedPhone, PurposePhone); err != nil {
					return err
				}
			}
			if j.channel == ChannelEmail && emailOn && sealedEmail != "" {
				if j.email, err = d.Vault.OpenText(sealedEmail, PurposeEmail); err != nil {
					return err
				}
			}
			jobs = append(jobs, j)
		}
		return rows.Err()
	})
	return jobs, err
}

// outcome is what became of one claimed delivery, recorded with the rest
// of its batch: state is sent, dead, cancelled, retry or deferred.
type outcome struct {
	id, state string
	attempt   int       // attempts to add
	why       string    // last_error ("" keeps it, except for a final state)
	at        time.Time // retry and deferred: when next
	skip      bool      // nothing to record (shutting down: the claim expires)
}

// deliver sends one claimed delivery and says its outcome.
func (d *Dispatcher) deliver(ctx context.Context, j job) outcome {
	now := d.DB.Now()
	p := d.Policy.withDefaults()
	o := outcome{id: j.id}
	final := func(state string, attempt int, why string) outcome {
		o.state, o.attempt, o.why = state, attempt, why
		return o
	}
	later := func(at time.Time, why string) outcome {
		o.state, o.at, o.why = "deferred", at, why
		return o
	}
	switch {
	case d.Reminders[j.kind] && endedStates[j.caseState]:
		return final(StateCancelled, 0, "cause gone: case "+j.caseState)
	case d.Reminders[j.kind] && j.bookingState != "" && j.bookingState != "booked":
		return final(StateCancelled, 0, "cause gone: booking "+j.bookingState)
	case j.channel == ChannelSMS && j.phone == "", j.channel == ChannelEmail && j.email == "":
		return final(StateCancelled, 0, "recipient opted out or has no address")
	case d.Channels[j.channel] == nil:
		return later(now.Add(p.MaxBackoff), "channel not configured")
	}
	if (j.channel == ChannelSMS || j.channel == ChannelEmail && j.quiet.Email) && !d.Urgent[j.kind] {
		if until := p.quietFor(j.quiet).Until(now); !until.IsZero() {
			return later(until, "")
		}
	}
	if wait := d.take(j.channel, now); wait > 0 {
		return later(now.Add(wait), "")
	}
	var msg notify.Message
	if err := json.Unmarshal([]byte(j.payload), &msg); err != nil {
		return final(StateDead, 1, "payload: "+err.Error())
	}
	r := d.Renderer
	if r == nil {
		r = DefaultRenderer{}
	}
	lang := j.lang
	if lang == "" {
		lang = "zh-CN"
	}
	e := Envelope{IdemKey: j.idem, Key: msg.Key, Args: stringArgs(msg.Args)}
	var err error
	if e.Subject, e.Body, err = r.Render(ctx, j.channel, lang, msg); err == nil {
		e.To = j.phone
		if j.channel == ChannelEmail {
			e.To = j.email
		}
		err = d.Channels[j.channel].Send(ctx, e)
	}
	if err == nil {
		d.tally(j.channel, true)
		return final(StateSent, 1, "")
	}
	d.tally(j.channel, false)
	// Gateways echo the recipient in their errors; what is kept for the
	// dead-letter list is masked.
	why := strings.ReplaceAll(err.Error(), e.To, maskTo(j.channel, e.To))
	if ctx.Err() != nil {
		// Shutting down: the claim expires and another replica retries.
		o.state, o.skip = "retry", true
		return o
	}
	if IsPermanent(err) || j.attempts+1 >= p.MaxAttempts {
		return final(StateDead, 1, why)
	}
	r01 := rand.Float64
	if d.Rand != nil {
		r01 = d.Rand
	}
	o.state, o.attempt, o.why, o.at = "retry", 1, why, now.Add(p.Delay(j.attempts+1, r01()))
	return o
}

// record writes a batch's outcomes in one transaction, one statement per
// group of like outcomes (every "sent" together, every deferral to the same
// time together, …). A final state or a retry holds only while the claim
// is ours, except "sent", which is recorded whoever holds the row now.
func (d *Dispatcher) record(ctx context.Context, outs []outcome) error {
	type group struct {
		state, why string
		attempt    int
		at         time.Time
	}
	var order []group
	ids := map[group][]string{}
	for _, o := range outs {
		if o.skip || o.id == "" {
			continue
		}
		g := group{state: o.state, why: clip(o.why), attempt: o.attempt, at: o.at.UTC()}
		if _, ok := ids[g]; !ok {
			order = append(order, g)
		}
		ids[g] = append(ids[g], o.id)
	}
	if len(order) == 0 {
		return nil
	}
	in := d.inList("$1")
	return d.DB.Update(context.WithoutCancel(ctx), func(tx *db.Tx) error {
		for _, g := range order {
			list := jsonList(ids[g])
			var err error
			switch g.state {
			case StateSent:
				_, err = tx.Exec(`UPDATE deliveries SET state = 'sent', attempts = attempts + $2, last_error = '', done_at = $3,
					claimed_by = '', claim_until = NULL WHERE id IN `+in+` AND state = 'pending'`, list, g.attempt, tx.Now)
			case StateDead, StateCancelled:
				_, err = tx.Exec(`UPDATE deliveries SET state = $2, attempts = attempts + $3, last_error = $4, done_at = $5,
					claimed_by = '', claim_until = NULL WHERE id IN `+in+` AND state = 'pending' AND claimed_by = $6`,
					list, g.state, g.attempt, g.why, tx.Now, d.Holder)
			case "retry":
				_, err = tx.Exec(`UPDATE deliveries SET attempts = attempts + $2, next_at = $3, last_error = $4,
					claimed_by = '', claim_until = NULL WHERE id IN `+in+` AND state = 'pending' AND claimed_by = $5`,
					list, g.attempt, g.at, g.why, d.Holder)
			case "deferred":
				// Holding back counts no attempt and keeps the last error
				// unless it says why.
				if g.why == "" {
					_, err = tx.Exec(`UPDATE deliveries SET next_at = $2, claimed_by = '', claim_until = NULL
						WHERE id IN `+in+` AND claimed_by = $3`, list, g.at, d.Holder)
				} else {
					_, err = tx.Exec(`UPDATE deliveries SET next_at = $2, claimed_by = '', claim_until = NULL, last_error = $4
						WHERE id IN `+in+` AND claimed_by = $3`, list, g.at, d.Holder, g.why)
				}
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

func maskTo(channel, to string) string {
	if to == "" {
		return ""
	}
	if channel == ChannelEmail {
		return MaskEmail(to)
	}
	return MaskPhone(to)
}

func stringArgs(a map[string]any) map[string]string {
	out := make(map[string]string, len(a))
	for k, v := range a {
		b, _ := json.Marshal(v)
		if s, ok := v.(string); ok {
			out[k] = s
		} else {
			out[k] = string(b)
		}
	}
	return out
}

// clip keeps an error short for the dead-letter list.
func clip(s string) string {
	if utf8.RuneCountInString(s) <= 300 {
		return s
	}
	return string([]rune(s)[:300]) + "…"
}

func (d *Dispatcher) tally(channel string, ok bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.count.Sent == nil {
		d.count = Counters{Sent: map[string]int64{}, Failed: map[string]int64{}}
	}
	if ok {
		d.count.Sent[channel]++
	} else {
		d.count.Failed[channel]++
	}
}

// pacer is a token bucket: PerMinute tokens a minute, as many at most.
type pacer struct {
	tokens float64
	last   time.Time
}

// take spends a token of channel's bucket at now, or says how long until
// one is there.
func (d *Dispatcher) take(channel string, now time.Time) time.Duration {
	rate := d.Policy.PerMinute[channel]
	if rate <= 0 {
		return 0
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.pace == nil {
		d.pace = map[string]*pacer{}
	}
	b := d.pace[channel]
	if b == nil {
		b = &pacer{tokens: float64(rate), last: now}
		d.pace[channel] = b
	}
	if el := now.Sub(b.last); el > 0 {
		b.tokens = min(float64(rate), b.tokens+el.Minutes()*float64(rate))
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return 0
	}
	return time.Duration((1 - b.tokens) / float64(rate) * float64(time.Minute))
}

// Run passes every interval while ctx lasts; a pass that found a full
// batch is followed at once by another.
func (d *Dispatcher) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		rep, err := d.Pass(ctx)
		if err != nil && ctx.Err() == nil && d.Log != nil {
			d.Log.Error("deliver: pass", "err", err)
		}
		if rep.Dead > 0 && d.Log != nil {
			d.Log.Warn("deliver: dead letters", "count", rep.Dead)
		}
		if err == nil && (rep.Claimed >= d.Policy.withDefaults().Batch || rep.Expanded >= expandBatch) {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
