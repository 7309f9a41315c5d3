// Package notify is the in-app inbox of staff and applicants (reminders,
// 红灯提醒, urgings, answers) and the outbox later channels (SMS, e-mail)
// deliver from. Notifications are sent in the transaction of what caused
// them and settled into the inbox and the outbox in batches (settle.go).
package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/i18n"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/paging"
)

// Message is a notification's text as a message key and its arguments,
// translated when shown (and when a channel delivers it). An argument that
// is itself a message key ("signal.level.red") is translated too.
type Message struct {
	Key  string         `json:"key"`
	Args map[string]any `json:"args,omitempty"`
}

// Notification is one entry of a user's in-app inbox (红灯提醒 and others);
// Text is the message in the reader's language.
type Notification struct {
	ID      string     `json:"id"`
	CaseID  string     `json:"case_id,omitempty"`
	CaseNo  string     `json:"case_no,omitempty"`
	Kind    string     `json:"kind"`
	Message Message    `json:"message"`
	Text    string     `json:"text"`
	Created time.Time  `json:"created_at"`
	ReadAt  *time.Time `json:"read_at,omitempty"`
}

// OutboxChannel is the channel outbox rows are written for until channels
// are configured per user: a short message to the user's phone.
const OutboxChannel = "sms"

// DiscardForBenchmark makes Send write nothing (and the case engine not
// look for recipients). Only the lifecycle
// benchmark sets it (internal/cases), to measure side by side what writing
// notifications costs a case; nothing else may.
var DiscardForBenchmark atomic.Bool

// Send puts a message in a user's inbox and in the outbox for delivery by
// the channels, in the caller's transaction. dedup names the cause: the same
// cause notifies a user once, however often it is recorded.
//
// In the transaction it writes one append-only row (notify_pending); Settle
// moves pending rows, in batches, into the inbox and the outbox. A step of a
// case sends several notifications: written into their indexed tables in the
// step's own commit they cost it a third of its throughput (issue 16,
// docs/PERFORMANCE.md); appended, and settled many at a time, a few per cent.
// Readers of an inbox settle first (SettleFor), so nobody sees the delay.
func Send(tx *db.Tx, userID, caseID, kind string, msg Message, dedup string) error {
	return SendAll(tx, []string{userID}, caseID, kind, msg, dedup)
}

// sendBatch is how many recipients one statement of SendAll writes (7
// placeholders each, within SQLite's and PostgreSQL's limits).
const sendBatch = 100

// SendAll is Send to each of users (in order, empty ids skipped): the
// message encoded once and written in one statement for up to sendBatch
// recipients — a step that tells an enterprise's legal representative and
// its 经办人, or every department asked to countersign, costs one round trip.
func SendAll(tx *db.Tx, users []string, caseID, kind string, msg Message, dedup string) error {
	if DiscardForBenchmark.Load() || len(users) == 0 {
		return nil
	}
	body, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	var caseRef any
	if caseID != "" {
		caseRef = caseID
	}
	for len(users) > 0 {
		n := min(len(users), sendBatch)
		var q strings.Builder
		q.WriteString(`INSERT INTO notify_pending (id, user_id, case_id, kind, body, dedup, created_at) VALUES `)
		args := make([]any, 0, 7*n)
		for _, u := range users[:n] {
			if u == "" {
				continue
			}
			if len(args) > 0 {
				q.WriteString(", ")
			}
			k := len(args)
			fmt.Fprintf(&q, "($%d, $%d, $%d, $%d, $%d, $%d, $%d)", k+1, k+2, k+3, k+4, k+5, k+6, k+7)
			args = append(args, db.NewID(), u, caseRef, kind, string(body), dedup, tx.Now)
		}
		users = users[n:]
		if len(args) == 0 {
			continue
		}
		if _, err := tx.Exec(q.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// Box reads and updates users' inboxes.
type Box struct {
	DB *db.DB
	// Templates give notifications their text (Texts); nil: the catalog's messages.
	Templates *TemplateRenderer
}

// Texts fills each notification's Text in lang: from the in-app templates,
// else from the catalog's messages.
func (b *Box) Texts(ctx context.Context, lang i18n.Lang, list []Notification) error {
	if b.Templates != nil {
		return b.Templates.Texts(ctx, lang, list)
	}
	for i := range list {
		list[i].Text = list[i].Message.Text(lang)
	}
	return nil
}

// InboxList is the name inbox pages' continuation tokens carry.
const InboxList = "notifications"

// InboxPage is a page of a user's inbox: the next page's token ("" on the
// last) and the number unread, counted up to paging.CountCap (UnreadCapped:
// at least that many).
type InboxPage struct {
	Notifications []Notification
	Next          string
	Unread        int
	UnreadCapped  bool
}

// Inbox lists a user's latest notifications (the first page of limit),
// with the number unread (capped).
func (b *Box) Inbox(ctx context.Context, u *identity.User, limit int) ([]Notification, int, error) {
	p, err := b.Page(ctx, u, "", limit)
	if err != nil {
		return nil, 0, err
	}
	return p.Notifications, p.Unread, nil
}

// Page lists a page of a user's notifications, newest first, after the
// place a continuation token names ("": the first page), by keyset on
// notifications_page (user, created_at, id); per is at most paging.MaxSize.
func (b *Box) Page(ctx context.Context, u *identity.User, after string, per int) (*InboxPage, error) {
	if u == nil {
		return nil, apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	if per <= 0 {
		per = 50
	}
	if per > paging.MaxSize {
		return nil, apperr.E(apperr.Invalid, "paging.size_too_large", "max", paging.MaxSize)
	}
	fp := paging.Fingerprint(u.ID)
	key, err := paging.Decode(after, InboxList, fp, b.DB.Now())
	if err != nil {
		return nil, err
	}
	var at time.Time
	if key != nil {
		if len(key) != 2 {
			return nil, apperr.E(apperr.Invalid, "paging.token_malformed")
		}
		if at, err = time.Parse(time.RFC3339Nano, key[0]); err != nil {
			return nil, apperr.E(apperr.Invalid, "paging.token_malformed")
		}
	}
	if err := SettleFor(ctx, b.DB, u.ID); err != nil {
		return nil, err
	}
	p := &InboxPage{Notifications: []Notification{}}
	err = b.DB.View(ctx, func(tx *db.Tx) error {
		var err error
		if p.Unread, err = unread(tx, u.ID); err != nil {
			return err
		}
		q := `SELECT n.id, COALESCE(n.case_id, ''), COALESCE(c.case_no, ''), n.kind, n.body, n.created_at, n.read_at
			FROM notifications n LEFT JOIN cases c ON c.id = n.case_id
			WHERE n.user_id = $1`
		args := []any{u.ID}
		if key != nil {
			q += ` AND n.created_at <= $2 AND (n.created_at, n.id) < ($3, $4)`
			args = append(args, at, at, key[1])
		}
		q += fmt.Sprintf(" ORDER BY n.created_at DESC, n.id DESC LIMIT %d", per+1)
		rows, err := tx.Query(q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var n Notification
			var body string
			var read *time.Time
			if err := rows.Scan(&n.ID, &n.CaseID, &n.CaseNo, &n.Kind, &body, &n.Created, &read); err != nil {
				return err
			}
			if err := json.Unmarshal([]byte(body), &n.Message); err != nil {
				return err
			}
			n.Created = n.Created.UTC()
			if read != nil {
				t := read.UTC()
				n.ReadAt = &t
			}
			p.Notifications = append(p.Notifications, n)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, apperr.Internalf("notify: inbox", err)
	}
	p.UnreadCapped = p.Unread >= paging.CountCap
	if len(p.Notifications) > per {
		p.Notifications = p.Notifications[:per]
		last := p.Notifications[per-1]
		p.Next = paging.Encode(InboxList, fp, []string{last.Created.Format(time.RFC3339Nano), last.ID}, b.DB.Now())
	}
	return p, nil
}

// unread counts a user's unread notifications up to paging.CountCap, on
// the partial index notifications_unread.
func unread(tx *db.Tx, userID string) (int, error) {
	var n int
	err := tx.QueryRow(fmt.Sprintf(`SELECT COUNT(*) FROM (SELECT 1 FROM notifications WHERE user_id = $1 AND read_at IS NULL LIMIT %d) n`, paging.CountCap),
		userID).Scan(&n)
	return n, err
}

// Unread counts a user's unread notifications, up to paging.CountCap.
func (b *Box) Unread(ctx context.Context, u *identity.User) (int, error) {
	if err := SettleFor(ctx, b.DB, u.ID); err != nil {
		return 0, err
	}
	var n int
	err := b.DB.View(ctx, func(tx *db.Tx) error {
		var err error
		n, err = unread(tx, u.ID)
		return err
	})
	return n, apperr.Internalf("notify: unread", err)
}

// MarkRead marks a user's notifications read: one, or all when id is "".
func (b *Box) MarkRead(ctx context.Context, u *identity.User, id string) error {
	if u == nil {
		return apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	if err := SettleFor(ctx, b.DB, u.ID); err != nil {
		return err
	}
	return apperr.Internalf("notify: mark read", b.DB.Update(ctx, func(tx *db.Tx) error {
		q := `UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL`
		args := []any{tx.Now, u.ID}
		if id != "" {
			q += ` AND id = $3`
			args = append(args, id)
		}
		_, err := tx.Exec(q, args...)
		return err
	}))
}

// Text is the message in lang. An argument that is itself a message key
// ("signal.level.red") is translated too.
func (m Message) Text(lang i18n.Lang) string {
	return i18n.T(lang, m.Key, m.args(lang))
}

// args are the message's arguments in lang: one that is itself a message
// key is translated.
func (m Message) args(lang i18n.Lang) map[string]any {
	args := make(map[string]any, len(m.Args))
	for k, v := range m.Args {
		if s, ok := v.(string); ok && i18n.Has(lang, s) {
			v = i18n.T(lang, s, nil)
		}
		args[k] = v
	}
	return args
}
