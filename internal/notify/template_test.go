package notify_test

import (
	"context"
	"flag"
	"os"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/i18n"
	"github.com/tongban/tongban/internal/notify"
)

var writeSeeds = flag.Bool("write-seeds", false, "rewrite migration 00025 from notify.Defaults")

const seedFile = "00025_notification_templates.sql"

// seeded are the kinds migration 00025 seeded; later kinds use their
// defaults until an administrator saves one (notify.defaultTemplate).
var seeded = map[string]bool{}

func init() {
	for _, k := range strings.Fields(`accepted assigned bundle_concluded case_withdrawn correction countersign decided deemed
		delivered_online delivered_window escalate extended inbox licence_issued owed_due posted refused remind resubmitted
		respond resumed revoked special_procedure submitted supplied terminated terminated_owed urge withdrawn`) {
		seeded[k] = true
	}
}

// revised are seeded kinds whose defaults changed after 00025: a later
// migration brings their stored defaults up to date (00056: the conclusion's
// notice asks for a rating), so 00025 keeps their first text.
var revised = map[string]bool{"decided": true, "refused": true, "bundle_concluded": true}

// seedSQL is migration 00025 for a dialect: the table and the defaults
// (the revised kinds' rows left out: see withoutRevised).
func seedSQL(timestamp string) string {
	q := func(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
	var b strings.Builder
	b.WriteString(`-- +goose Up
-- Notification templates are data (issue 16): the text of each kind of
-- notification per channel (inapp, sms, email) and language (zh-CN, en),
-- placeholders written {case_no}. Seeded with notify.Defaults (generated:
-- go test ./internal/notify -run TestSeedMigration -write-seeds); the
-- installation's administrators change them (/admin/templates).
CREATE TABLE notification_templates (
    kind       TEXT NOT NULL,
    channel    TEXT NOT NULL,
    lang       TEXT NOT NULL,
    subject    TEXT NOT NULL DEFAULT '',  -- e-mail only
    body       TEXT NOT NULL,
    updated_by TEXT REFERENCES users (id), -- NULL: the default
    updated_at ` + timestamp + ` NOT NULL,
    PRIMARY KEY (kind, channel, lang)
);

`)
	for _, t := range notify.Defaults() {
		if !seeded[t.Kind] || revised[t.Kind] {
			continue
		}
		b.WriteString("INSERT INTO notification_templates (kind, channel, lang, subject, body, updated_at) VALUES (" +
			q(t.Kind) + ", " + q(t.Channel) + ", " + q(t.Lang) + ", " + q(t.Subject) + ", " + q(t.Body) + ", CURRENT_TIMESTAMP);\n")
	}
	b.WriteString("\n-- +goose Down\nDROP TABLE notification_templates;\n")
	return b.String()
}

// The migration seeds exactly the defaults (it is generated from them).
func TestSeedMigration(t *testing.T) {
	for dialect, ts := range map[string]string{"sqlite": "TIMESTAMP", "postgres": "TIMESTAMPTZ"} {
		path := "../db/migrations/" + dialect + "/" + seedFile
		want := seedSQL(ts)
		if *writeSeeds {
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if withoutRevised(string(got)) != want {
			t.Errorf("%s differs from notify.Defaults: run go test ./internal/notify -run TestSeedMigration -write-seeds", path)
		}
	}
}

// withoutRevised is migration 00025's text without the rows of revised kinds.
func withoutRevised(sql string) string {
	var keep []string
	for _, line := range strings.SplitAfter(sql, "\n") {
		skip := false
		for k := range revised {
			if strings.Contains(line, "VALUES ('"+k+"', ") {
				skip = true
			}
		}
		if !skip {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "")
}

// A new installation stores exactly today's defaults for every seeded kind,
// the revised ones included (migrations after 00025 keep them current); an
// administrator's saved text is never overwritten by such a migration.
func TestStoredDefaultsAreCurrent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		stored := map[string][2]string{}
		err := d.View(context.Background(), func(tx *db.Tx) error {
			rows, err := tx.Query(`SELECT kind, channel, lang, subject, body FROM notification_templates`)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var k, c, l, subj, body string
				if err := rows.Scan(&k, &c, &l, &subj, &body); err != nil {
					return err
				}
				stored[k+"/"+c+"/"+l] = [2]string{subj, body}
			}
			return rows.Err()
		})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, def := range notify.Defaults() {
			if !seeded[def.Kind] {
				continue
			}
			n++
			if got := stored[def.Kind+"/"+def.Channel+"/"+def.Lang]; got != [2]string{def.Subject, def.Body} {
				t.Errorf("%s/%s/%s stored %q, default %q", def.Kind, def.Channel, def.Lang, got, def.Body)
			}
		}
		if n != len(stored) {
			t.Errorf("%d stored templates, %d seeded defaults", len(stored), n)
		}
	})
}

// Every kind has a template on every channel in every language, and every
// default passes the rules an administrator's change must pass (the SMS
// rules included: ≤ 70 characters with the signature, no personal data).
func TestEveryDefaultIsValid(t *testing.T) {
	defs := notify.Defaults()
	if want := len(notify.Kinds) * len(notify.Channels) * len(i18n.Langs); len(defs) != want {
		t.Fatalf("%d defaults, want %d", len(defs), want)
	}
	for _, d := range defs {
		if err := notify.Validate(d, notify.DefaultSignature); err != nil {
			t.Errorf("%s/%s/%s: %v (%q)", d.Kind, d.Channel, d.Lang, err, d.Body)
		}
		for _, text := range []string{d.Subject, d.Body} {
			if strings.Contains(text, "<no value>") || strings.Contains(text, "{{") || strings.Contains(text, "notify.") {
				t.Errorf("%s/%s/%s: %q", d.Kind, d.Channel, d.Lang, text)
			}
		}
	}
}

func TestValidate(t *testing.T) {
	long := strings.Repeat("很", 60)
	for _, x := range []struct {
		name string
		tpl  notify.Template
		key  string // "" valid
		arg  string // the placeholder the message names
	}{
		{"inapp", notify.Template{Kind: "accepted", Channel: "inapp", Lang: "zh-CN", Body: "办件 {case_no} 已受理，{due_date} 前办结。"}, "", ""},
		{"email", notify.Template{Kind: "refused", Channel: "email", Lang: "en", Subject: "Case {case_no}", Body: "Reason: {reason}"}, "", ""},
		{"sms fits", notify.Template{Kind: "posted", Channel: "sms", Lang: "zh-CN", Body: "您的{item}办理结果已邮寄，单号{tracking_no}。"}, "", ""},
		{"unknown placeholder", notify.Template{Kind: "accepted", Channel: "inapp", Lang: "zh-CN", Body: "{case_no} {reason}"}, "notify.template_placeholder", "reason"},
		{"misspelt", notify.Template{Kind: "accepted", Channel: "email", Lang: "en", Subject: "{caseno}", Body: "x"}, "notify.template_placeholder", "caseno"},
		{"id number in sms", notify.Template{Kind: "accepted", Channel: "sms", Lang: "zh-CN", Body: "{id_number} 已受理"}, "notify.template_sensitive", "id_number"},
		{"id number in-app is unknown", notify.Template{Kind: "accepted", Channel: "inapp", Lang: "zh-CN", Body: "{id_number}"}, "notify.template_placeholder", "id_number"},
		{"free text in sms", notify.Template{Kind: "refused", Channel: "sms", Lang: "zh-CN", Body: "不予受理：{reason}"}, "notify.template_sms_placeholder", "reason"},
		{"sms too long", notify.Template{Kind: "accepted", Channel: "sms", Lang: "zh-CN", Body: "办件{case_no}已受理" + long[:60]}, "notify.template_sms_long", ""},
		{"sms long with samples", notify.Template{Kind: "accepted", Channel: "sms", Lang: "zh-CN", Body: "您的办件{case_no}（{item}）已受理，{due_date}前办结。"}, "notify.template_sms_long", ""},
		{"empty", notify.Template{Kind: "accepted", Channel: "inapp", Lang: "zh-CN", Body: "  "}, "notify.template_body_required", ""},
		{"subject off email", notify.Template{Kind: "accepted", Channel: "sms", Lang: "zh-CN", Subject: "x", Body: "x"}, "notify.template_subject_email_only", ""},
		{"email without subject", notify.Template{Kind: "accepted", Channel: "email", Lang: "zh-CN", Body: "x"}, "notify.template_subject_required", ""},
		{"subject two lines", notify.Template{Kind: "accepted", Channel: "email", Lang: "zh-CN", Subject: "a\nb", Body: "x"}, "notify.template_subject_line", ""},
		{"unpaired brace", notify.Template{Kind: "accepted", Channel: "inapp", Lang: "zh-CN", Body: "{case_no"}, "notify.template_brace", ""},
		{"body too long", notify.Template{Kind: "accepted", Channel: "inapp", Lang: "zh-CN", Body: strings.Repeat("字", notify.MaxBody+1)}, "notify.template_body_long", ""},
	} {
		err := notify.Validate(x.tpl, notify.DefaultSignature)
		if x.key == "" {
			if err != nil {
				t.Errorf("%s: %v", x.name, err)
			}
			continue
		}
		e := apperr.As(err)
		if e == nil || e.Code != apperr.Invalid || e.Key != x.key {
			t.Errorf("%s: got %v, want %s", x.name, err, x.key)
			continue
		}
		if x.arg != "" {
			// The message names the placeholder, in both languages.
			for _, lang := range i18n.Langs {
				if msg := i18n.T(lang, e.Key, e.Args); !strings.Contains(msg, "{"+x.arg+"}") {
					t.Errorf("%s: %s message %q does not name {%s}", x.name, lang, msg, x.arg)
				}
			}
		}
	}
	// A longer signature leaves less room.
	ok := notify.Template{Kind: "withdrawn", Channel: "sms", Lang: "zh-CN", Body: "您的{item}办件已撤回。"}
	if err := notify.Validate(ok, "【"+strings.Repeat("长", 60)+"】"); !apperr.Is(err, apperr.Invalid, "notify.template_sms_long") {
		t.Errorf("a long signature: %v", err)
	}
	if n := utf8.RuneCountInString(notify.DefaultSignature); n < 3 {
		t.Errorf("signature %d", n)
	}
}

// Every kind renders on every channel in both languages from the seeded
// templates, with every placeholder filled; no text shows a message key.
func TestRenderEveryKind(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		r := &notify.TemplateRenderer{DB: d, Home: "500102"}
		ctx := context.Background()
		for _, kind := range notify.KindKeys() {
			args := map[string]any{}
			for _, name := range notify.Kinds[kind] {
				args[name] = "«" + name + "»"
			}
			args["decision"], args["step"] = "decision.granted", "step.approve"
			msg := notify.Message{Key: "notify." + kind, Args: args}
			for _, lang := range i18n.Langs {
				for _, ch := range notify.Channels {
					subject, body, err := r.Render(ctx, ch, string(lang), msg)
					if err != nil {
						t.Fatalf("%s %s %s: %v", kind, ch, lang, err)
					}
					text := subject + body
					if strings.Contains(text, "notify.") || strings.Contains(text, "decision.") || strings.Contains(text, "{") || strings.Contains(text, "<no value>") {
						t.Errorf("%s %s %s: %q", kind, ch, lang, text)
					}
					if (ch == notify.ChannelEmail) != (subject != "") {
						t.Errorf("%s %s %s: subject %q", kind, ch, lang, subject)
					}
				}
			}
		}
		// An in-app list renders from one read; a kind without template or
		// message still says what it is about.
		list := []notify.Notification{
			{Kind: "accepted", CaseNo: "X1", Message: notify.Message{Key: "notify.accepted", Args: map[string]any{"case_no": "X1", "item": "某事项", "due_date": "2026-02-14"}}},
			{Kind: "future", CaseNo: "X2", Message: notify.Message{Key: "notify.future_kind"}},
		}
		if err := r.Texts(ctx, i18n.EN, list); err != nil {
			t.Fatal(err)
		}
		if list[0].Text != "Case X1 (某事项) was accepted; it will be decided by 2026-02-14." || !strings.Contains(list[1].Text, "X2") || strings.Contains(list[1].Text, "notify.") {
			t.Errorf("texts %q", []string{list[0].Text, list[1].Text})
		}
		// SMS has no fallback: a kind without template is an error, not a key.
		if _, _, err := r.Render(ctx, notify.ChannelSMS, "zh-CN", notify.Message{Key: "notify.future_kind"}); !apperr.Is(err, apperr.NotFound, "notify.template_missing") {
			t.Errorf("sms without template: %v", err)
		}
		// Every kind has its label on the page (the licence library's
		// notifications are of kind "licence"), in both languages.
		for _, kind := range append(notify.KindKeys(), "licence") {
			for _, lang := range i18n.Langs {
				if !i18n.Has(lang, "notify.kind."+kind) {
					t.Errorf("no %s label for kind %s", lang, kind)
				}
			}
		}
		if !slices.Contains(notify.Channels, "sms") {
			t.Fatal("channels")
		}
	})
}

// TemplateRenderer is the channels' Renderer (the dispatcher's interface).
var _ interface {
	Render(ctx context.Context, channel, lang string, msg notify.Message) (subject, body string, err error)
} = (*notify.TemplateRenderer)(nil)
