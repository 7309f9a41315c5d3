package notify

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/i18n"
	"github.com/tongban/tongban/internal/identity"
)

// Templates are data (issue 16): the text of every kind of notification,
// per channel and language, is a row of notification_templates (migration
// 00025 seeds the defaults, Defaults) that the installation's administrators
// edit. A template names the message's arguments as placeholders:
// "办件 {case_no} 已受理，承诺于 {due_date} 前办结。"
//
// The template of a message is found by its key without "notify."
// (Message{Key: "notify.accepted"} → kind "accepted").

// Channels a template is written for.
const (
	ChannelInApp = "inapp"
	ChannelSMS   = "sms"
	ChannelEmail = "email"
)

// Channels lists the channels, in-app first.
var Channels = []string{ChannelInApp, ChannelSMS, ChannelEmail}

// SMSMax is the most characters a short message may have, 【签名】 included:
// one segment of a UCS-2 message.
const SMSMax = 70

// DefaultSignature is the 【签名】 templates are measured with until the
// SMS gateway's own is configured (TemplateRenderer.Signature).
const DefaultSignature = "【政务服务】"

// MaxBody and MaxSubject bound a template's text.
const (
	MaxBody    = 2000
	MaxSubject = 200
)

// placeholder is an argument a template may name.
type placeholder struct {
	sms    bool   // may appear in a short message: short, bounded and not personal
	sample string // a realistic value (a message key is translated), for measuring short messages
}

var placeholders = map[string]placeholder{
	"case_no":     {true, "11500102MB1C0002XM4500100101001202602120001"},
	"item":        {true, "个体工商户设立登记"},
	"due_date":    {true, "2026-02-14"},
	"days":        {true, "10"},
	"decision":    {true, "decision.revoked"},
	"procedure":   {true, "pause.expert_review"},
	"step":        {true, "step.approve"},
	"tracking_no": {true, "SF1234567890123"},
	"by":          {true, "电子监察系统"},
	"name":        {true, "食品经营许可证"},
	"clock":       {true, "signal.clock.tolerance"},
	"level":       {true, "signal.level.warning"},
	"order_no":    {true, "SQ202610080001"}, // a work order (差评, 诉求) by number
	"count":       {true, "99+"},            // how many (新到待办's digest)
	// The rating page (好差评) at the platform's address: no case, no person.
	"rate_url": {true, "https://zwfw.fuling.gov.cn/rate?via=sms"},
	// Free text typed by staff or listing many things: unbounded, and may
	// carry personal data — in-app and e-mail only.
	"reason":      {false, "申请材料与实际情况不符"},
	"note":        {false, "请今日办结"},
	"answer":      {false, "已补齐审查意见"},
	"corrections": {false, "经营场所租赁合同：缺少出租方签字"},
	"materials":   {false, "经营场所租赁合同"},
	// A one-time SMS code (短信验证码) and how long it lives.
	"otp":     {true, "123456"},
	"minutes": {true, "5"},
	// The agent (代办员) who asks a person for a mandate: a staff name.
	"agent": {true, "赵六"},
	// A queue ticket (取号): its number, the hall and how many are ahead.
	"number": {true, "A012"},
	"hall":   {true, "涪陵区政务服务中心"},
	"ahead":  {true, "3"},
	// A booking's reminder (网上预约): its service and time (and the hall).
	"service": {true, "综合受理"},
	"time":    {true, "09:30"},
}

// sensitive names personal identifiers no short message may carry (an SMS
// is read on a lock screen and kept by the gateway). No kind carries them;
// naming one in an SMS template is refused as such.
var sensitive = []string{"id_number", "applicant_id", "id_card", "credit_code", "phone", "mobile", "address", "password", "code"}

// Kinds are the template kinds and the placeholders each may use: the
// arguments its messages carry. The case engine's kinds first, then the
// reminders and answers of supervision, then the licence library's.
var Kinds = map[string][]string{
	"submitted":         {"case_no", "item"},
	"resubmitted":       {"case_no", "item"},
	"correction":        {"case_no", "item", "corrections"},
	"accepted":          {"case_no", "item", "due_date"},
	"refused":           {"case_no", "item", "reason", "rate_url"},
	"special_procedure": {"case_no", "item", "procedure", "days", "reason"},
	"resumed":           {"case_no", "item", "due_date"},
	"extended":          {"case_no", "item", "days", "due_date", "reason"},
	"decided":           {"case_no", "item", "decision", "reason", "rate_url"},
	"delivered_window":  {"case_no", "item"},
	"posted":            {"case_no", "item", "tracking_no"},
	"delivered_online":  {"case_no", "item"},
	"withdrawn":         {"case_no", "item"},
	"terminated":        {"case_no", "item", "reason"},
	"bundle_concluded":  {"case_no", "item", "rate_url"},
	"revoked":           {"case_no", "item", "reason"},
	"inbox":             {"case_no", "item", "step", "by"},
	"assigned":          {"case_no", "item", "by"},
	"countersign":       {"case_no", "item", "by", "note"},
	"case_withdrawn":    {"case_no", "item", "by"},
	"supplied":          {"case_no", "item", "by"},
	"deemed":            {"case_no"},
	"owed_due":          {"case_no", "materials", "due_date"},
	"terminated_owed":   {"case_no", "materials"},
	"urge":              {"case_no", "by", "note"},
	"respond":           {"case_no", "by", "answer"},
	"remind":            {"case_no", "clock", "level", "due_date"},
	"escalate":          {"case_no", "clock", "level", "due_date"},
	"order_remind":      {"order_no", "clock", "level", "due_date"},
	"new_work":          {"count"},
	"order_escalate":    {"order_no", "clock", "level", "due_date"},
	"order_urge":        {"order_no", "by", "note"}, // 督办 of a 诉求 (issue 18)
	"appeal_replied":    {"order_no"},               // a requester's 诉求 answered
	"licence_issued":    {"case_no", "name"},
	// 好差评: a bad rating was acted on; the rater is asked whether satisfied (回访).
	"rating_rectified": {"case_no", "item", "order_no"},
	// The notices that conclude a case (decided, refused, bundle_concluded)
	// ask for its rating (好差评, 一事一评) themselves: one message, one SMS,
	// rate_url filled at rendering. A bundle's item is rated with its
	// bundle, so its own decision or refusal says nothing of rating.
	"item_decided": {"case_no", "item", "decision", "reason"},
	"item_refused": {"case_no", "item", "reason"},
	// rate_invite was a separate invitation after the conclusion; older
	// notifications carry it (no longer sent: the conclusion's notice asks).
	"rate_invite": {"case_no", "item", "rate_url"},
	// Accounts (identity): codes are texted at once, not kept in-app.
	"verify_code": {"otp", "minutes"},
	// The number an account leaves is told it was changed (pipl): no digits.
	"phone_changed": {},
	// Someone registered (or tried to) with the holder's ID number: told
	// on the holder's verified number, no number in the text.
	"account_exists": {},
	// A mandate's code (授权委托): which agent asks.
	"mandate_code": {"otp", "minutes", "agent"},
	// A hall's queue (即将到号): the ticket's number, the hall, the people ahead.
	"queue_near": {"number", "hall", "ahead"},
	// A booking's reminder the day before (internal/booking): no case.
	"booking_reminder": {"hall", "service", "time"},
}

// TextedOnly are kinds texted at once to a number (identity's SMS codes),
// never written to an inbox: they have templates but no notifications.
var TextedOnly = map[string]bool{"verify_code": true, "phone_changed": true, "account_exists": true, "mandate_code": true}

// KindKeys lists the template kinds in a stable order.
func KindKeys() []string {
	out := make([]string, 0, len(Kinds))
	for k := range Kinds {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Template is the text of one kind of notification on one channel in one
// language. Subject is for e-mail only.
type Template struct {
	Kind      string    `json:"kind"`
	Channel   string    `json:"channel"`
	Lang      string    `json:"lang"`
	Subject   string    `json:"subject,omitempty"`
	Body      string    `json:"body"`
	UpdatedBy string    `json:"updated_by,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
}

// TemplateRenderer renders messages through the stored templates and lets
// the installation's administrators change them. It implements the
// channels' Renderer.
type TemplateRenderer struct {
	DB *db.DB
	// Home is the installation's root region: templates are the
	// installation's, changed only by an administrator whose grant covers it.
	Home string
	// Signature is the SMS gateway's 【签名】, counted in a short message's
	// length (DefaultSignature when empty). The gateway adds it; Render
	// does not.
	Signature string
	// Base is the platform's public address ("https://…", no trailing
	// slash): the links a message carries (rate_url) start with it; without
	// it they are left out.
	Base string
}

func (t *TemplateRenderer) signature() string {
	if t == nil || t.Signature == "" {
		return DefaultSignature
	}
	return t.Signature
}

// links gives msg the links its kind may carry, at the platform's address.
// Without the platform's address, the reader is told to sign in instead.
func (t *TemplateRenderer) links(msg Message, lang i18n.Lang) Message {
	if !slices.Contains(Kinds[kindOf(msg)], "rate_url") {
		return msg
	}
	args := make(map[string]any, len(msg.Args)+1)
	for k, v := range msg.Args {
		args[k] = v
	}
	args["rate_url"] = i18n.T(lang, "rating.rate_signin", nil)
	if t.Base != "" {
		args["rate_url"] = strings.TrimRight(t.Base, "/") + "/rate?via=sms"
	}
	msg.Args = args
	return msg
}

var placeholderRE = regexp.MustCompile(`\{([^{}]*)\}`)

// Render is msg's subject (e-mail only) and text on channel in lang, from
// the stored template of its kind. A message whose kind has no template is
// shown in-app and by e-mail from its catalog message; an SMS needs a
// template (NotFound notify.template_missing). A language not supported is
// rendered in Chinese.
func (t *TemplateRenderer) Render(ctx context.Context, channel, language string, msg Message) (subject, body string, err error) {
	lang, ok := i18n.Parse(language)
	if !ok {
		lang = i18n.ZH
	}
	var tpl *Template
	err = t.DB.View(ctx, func(tx *db.Tx) error {
		var err error
		tpl, err = templateTx(tx, kindOf(msg), channel, string(lang))
		return err
	})
	if err != nil {
		return "", "", apperr.Internalf("notify: render", err)
	}
	subject, body, ok = render(tpl, channel, lang, t.links(msg, lang))
	if !ok {
		return "", "", apperr.E(apperr.NotFound, "notify.template_missing", "kind", kindOf(msg), "channel", channel, "lang", string(lang))
	}
	return subject, body, nil
}

// render fills tpl with msg's arguments; without a template, the catalog's
// message stands in (not for SMS). ok is false when there is neither.
func render(tpl *Template, channel string, lang i18n.Lang, msg Message) (subject, body string, ok bool) {
	if tpl == nil {
		if channel == ChannelSMS || !i18n.Has(lang, msg.Key) {
			return "", "", false
		}
		return i18n.T(lang, "notify.subject", map[string]any{"kind": i18n.T(lang, "notify.kind."+kindOf(msg), nil)}), msg.Text(lang), true
	}
	args := msg.args(lang)
	fill := func(s string) string {
		return placeholderRE.ReplaceAllStringFunc(s, func(m string) string {
			v, ok := args[m[1:len(m)-1]]
			if !ok || v == nil {
				return ""
			}
			return toString(v)
		})
	}
	return fill(tpl.Subject), fill(tpl.Body), true
}

// Texts fills each notification's Text in lang from the in-app templates,
// read once.
func (t *TemplateRenderer) Texts(ctx context.Context, lang i18n.Lang, list []Notification) error {
	byKind := map[string]*Template{}
	err := t.DB.View(ctx, func(tx *db.Tx) error {
		rows, err := tx.Query(`SELECT `+templateColumns+` FROM notification_templates WHERE channel = $1 AND lang = $2`, ChannelInApp, string(lang))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			tpl, err := scanTemplate(rows)
			if err != nil {
				return err
			}
			byKind[tpl.Kind] = tpl
		}
		return rows.Err()
	})
	if err != nil {
		return apperr.Internalf("notify: texts", err)
	}
	for i := range list {
		tpl := byKind[kindOf(list[i].Message)]
		if tpl == nil {
			tpl = defaultTemplate(kindOf(list[i].Message), ChannelInApp, string(lang))
		}
		_, body, ok := render(tpl, ChannelInApp, lang, list[i].Message)
		if !ok {
			// Neither a template nor a catalog message: say what it is about, never a key.
			body = i18n.T(lang, "notify.unknown", map[string]any{"case_no": list[i].CaseNo})
		}
		list[i].Text = body
	}
	return nil
}

func kindOf(m Message) string { return strings.TrimPrefix(m.Key, "notify.") }

func toString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return strings.Trim(string(b), `"`)
}

const templateColumns = `kind, channel, lang, subject, body, COALESCE(updated_by, ''), updated_at`

func scanTemplate(row interface{ Scan(...any) error }) (*Template, error) {
	var tpl Template
	if err := row.Scan(&tpl.Kind, &tpl.Channel, &tpl.Lang, &tpl.Subject, &tpl.Body, &tpl.UpdatedBy, &tpl.UpdatedAt); err != nil {
		return nil, err
	}
	tpl.UpdatedAt = tpl.UpdatedAt.UTC()
	return &tpl, nil
}

// templateTx reads one template: the stored one, else the default of a
// kind added after migration 00025 seeded the table (defaultTemplate);
// nil when there is neither.
func templateTx(tx *db.Tx, kind, channel, lang string) (*Template, error) {
	tpl, err := scanTemplate(tx.QueryRow(`SELECT `+templateColumns+` FROM notification_templates WHERE kind = $1 AND channel = $2 AND lang = $3`,
		kind, channel, lang))
	if errors.Is(err, sql.ErrNoRows) {
		return defaultTemplate(kind, channel, lang), nil
	}
	return tpl, err
}

// defaults indexes Defaults by kind, channel and language.
var defaults = sync.OnceValue(func() map[string]Template {
	m := map[string]Template{}
	for _, t := range Defaults() {
		m[t.Kind+"/"+t.Channel+"/"+t.Lang] = t
	}
	return m
})

// defaultTemplate is the built-in template of a kind, channel and language,
// nil when there is none. Kinds added by later releases are not seeded by
// a migration: until an administrator saves one, their default is used.
func defaultTemplate(kind, channel, lang string) *Template {
	t, ok := defaults()[kind+"/"+channel+"/"+lang]
	if !ok {
		return nil
	}
	return &t
}

// mayEdit: templates are the installation's; only its administrators read
// and change them.
func (t *TemplateRenderer) mayEdit(u *identity.User) error {
	if u == nil {
		return apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	if !u.Installation(identity.RoleAdmin, t.Home) {
		return apperr.E(apperr.Forbidden, "notify.template_installation_only")
	}
	return nil
}

// List is every template, by kind, channel and language: the stored ones,
// and the defaults of kinds never stored.
func (t *TemplateRenderer) List(ctx context.Context, u *identity.User) ([]Template, error) {
	if err := t.mayEdit(u); err != nil {
		return nil, err
	}
	out := []Template{}
	err := t.DB.View(ctx, func(tx *db.Tx) error {
		rows, err := tx.Query(`SELECT ` + templateColumns + ` FROM notification_templates ORDER BY kind, channel, lang`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			tpl, err := scanTemplate(rows)
			if err != nil {
				return err
			}
			out = append(out, *tpl)
		}
		return rows.Err()
	})
	stored := map[string]bool{}
	for _, t := range out {
		stored[t.Kind+"/"+t.Channel+"/"+t.Lang] = true
	}
	for _, d := range Defaults() {
		if !stored[d.Kind+"/"+d.Channel+"/"+d.Lang] {
			out = append(out, d)
		}
	}
	slices.SortFunc(out, func(a, b Template) int {
		return strings.Compare(a.Kind+"/"+a.Channel+"/"+a.Lang, b.Kind+"/"+b.Channel+"/"+b.Lang)
	})
	return out, apperr.Internalf("notify: templates", err)
}

// Put stores a template as u after validating it (Validate), with an audit
// record of the text as saved. NotFound for a kind, channel or language
// that does not exist.
func (t *TemplateRenderer) Put(ctx context.Context, u *identity.User, tpl Template) (*Template, error) {
	if err := t.mayEdit(u); err != nil {
		return nil, err
	}
	if _, ok := Kinds[tpl.Kind]; !ok || !slices.Contains(Channels, tpl.Channel) || !slices.Contains(i18n.Langs, i18n.Lang(tpl.Lang)) {
		return nil, apperr.E(apperr.NotFound, "notify.template_unknown", "kind", tpl.Kind, "channel", tpl.Channel, "lang", tpl.Lang)
	}
	if err := Validate(tpl, t.signature()); err != nil {
		return nil, err
	}
	var out *Template
	err := t.DB.Update(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(`INSERT INTO notification_templates (kind, channel, lang, subject, body, updated_by, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (kind, channel, lang) DO UPDATE SET subject = $4, body = $5, updated_by = $6, updated_at = $7`,
			tpl.Kind, tpl.Channel, tpl.Lang, tpl.Subject, tpl.Body, u.ID, tx.Now); err != nil {
			return err
		}
		payload, _ := json.Marshal(map[string]string{"subject": tpl.Subject, "body": tpl.Body})
		if err := audit.Append(tx, &audit.Record{Actor: u.ID, Role: string(identity.RoleAdmin), Action: "notification_template.save",
			ObjectType: "notification_template", ObjectID: tpl.Kind + "/" + tpl.Channel + "/" + tpl.Lang}, payload); err != nil {
			return err
		}
		var err error
		out, err = templateTx(tx, tpl.Kind, tpl.Channel, tpl.Lang)
		return err
	})
	if err != nil {
		return nil, apperr.Internalf("notify: save template", err)
	}
	return out, nil
}

// Validate checks a template of a known kind, channel and language: a body
// (and, for e-mail, a subject; for other channels none) within bounds,
// balanced braces, only the placeholders its kind carries — in a short
// message only short, impersonal ones and never a personal identifier —
// and a short message of at most SMSMax characters, signature included,
// when filled with realistic values. Each fault names what is wrong.
func Validate(tpl Template, signature string) error {
	body := strings.TrimSpace(tpl.Body)
	switch {
	case body == "":
		return apperr.E(apperr.Invalid, "notify.template_body_required")
	case utf8.RuneCountInString(tpl.Body) > MaxBody:
		return apperr.E(apperr.Invalid, "notify.template_body_long", "max", MaxBody)
	case tpl.Channel == ChannelEmail && strings.TrimSpace(tpl.Subject) == "":
		return apperr.E(apperr.Invalid, "notify.template_subject_required")
	case tpl.Channel != ChannelEmail && tpl.Subject != "":
		return apperr.E(apperr.Invalid, "notify.template_subject_email_only")
	case utf8.RuneCountInString(tpl.Subject) > MaxSubject:
		return apperr.E(apperr.Invalid, "notify.template_subject_long", "max", MaxSubject)
	case strings.ContainsAny(tpl.Subject, "\r\n"):
		return apperr.E(apperr.Invalid, "notify.template_subject_line")
	}
	allowed := Kinds[tpl.Kind]
	for _, text := range []string{tpl.Subject, tpl.Body} {
		rest := placeholderRE.ReplaceAllString(text, "")
		if strings.ContainsAny(rest, "{}") {
			return apperr.E(apperr.Invalid, "notify.template_brace")
		}
		for _, m := range placeholderRE.FindAllStringSubmatch(text, -1) {
			name := m[1]
			switch {
			case tpl.Channel == ChannelSMS && slices.Contains(sensitive, name):
				return apperr.E(apperr.Invalid, "notify.template_sensitive", "name", name)
			case !slices.Contains(allowed, name):
				return apperr.E(apperr.Invalid, "notify.template_placeholder", "name", name, "kind", tpl.Kind)
			case tpl.Channel == ChannelSMS && !placeholders[name].sms:
				return apperr.E(apperr.Invalid, "notify.template_sms_placeholder", "name", name)
			}
		}
	}
	if tpl.Channel == ChannelSMS {
		args := map[string]any{}
		for _, name := range allowed {
			args[name] = placeholders[name].sample
		}
		_, text, _ := render(&tpl, ChannelSMS, i18n.Lang(tpl.Lang), Message{Key: "notify." + tpl.Kind, Args: args})
		if n := utf8.RuneCountInString(signature + text); n > SMSMax {
			return apperr.E(apperr.Invalid, "notify.template_sms_long", "length", n, "max", SMSMax)
		}
	}
	return nil
}
