// Package config reads Tongban's settings from flags and TONGBAN_*
// environment variables, declared once in a table: name, default, whether it
// is secret, and what it means. A secret may also come from a file named by
// TONGBAN_NAME_FILE, so that it never sits in the environment or in ps.
// Precedence: flag, then environment variable, then *_FILE, then default.
package config

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/tongban/tongban/internal/edge"
)

// Config holds every setting.
type Config struct {
	DB            string // sqlite:PATH or a postgres:// URL
	Addr          string // listen address
	DataKeyFile   string // 32-byte master key (base64) sealing personal identifiers
	CalendarFiles string // comma-separated extra calendar files (years, regional days)
	Region        string // the home region (division code) of this installation
	Lang          string // language of CLI messages: zh-CN or en
	SecureCookies bool   // mark cookies Secure (when a proxy terminates TLS)
	TLSCert       string // serve HTTPS with this certificate …
	TLSKey        string // … and key
	MetricsToken  string // bearer token required by /metrics (empty: open)
	LogLevel      string // debug, info, warn, error
	FilesDir      string // directory of uploaded materials (blob store)
	AuditKeys     string // directory of the audit log's signing keys
	AuditOrigin   string // the audit log's name in its checkpoints
	LicenceKeys   string // directory of the licence CA certificate and the departments' signing keys
	LicenceAlg    string // algorithm of department keys the demo makes: sm2-sm3 or ed25519
	PublicURL     string // the platform's public address, for links and QR codes in documents
	BackupDir     string // where `tongban backup` writes by default; doctor reports its newest archive's age
	// TrustedProxies lists the reverse proxies (CIDR prefixes or addresses,
	// comma-separated) whose X-Forwarded-For / X-Real-IP are believed.
	TrustedProxies string
	// UploadQuota is what one account uploads a day: "FILES/MIB" for
	// applicants, then ",FILES/MIB" for clerks and agents (cases.ParseQuota).
	UploadQuota string
	// CalendarFallback "weekdays" counts years without a holiday notice Monday
	// to Friday, shown as provisional ("" refuses them; the demo always falls back).
	CalendarFallback string
	// Channels beyond the inbox (internal/deliver): e-mail over SMTP …
	SMTPHost, SMTPPort, SMTPSecurity, SMTPUser, SMTPPassword, SMTPFrom string
	// … and SMS through a gateway: "aliyun" (dysmsapi SendSms) or
	// "https-json" (a generic gateway), or "" for none.
	SMSGateway, SMSURL, SMSKeyID, SMSSecret, SMSSign, SMSTemplate, SMSTemplates string
	// DeliverRate bounds what one replica sends per channel and minute:
	// "sms=60,email=120".
	DeliverRate string
	// RegionGiven says that --region or TONGBAN_REGION was given: after
	// `tongban setup` the database holds the region, and a differing one
	// given is an error rather than a silent second home.
	RegionGiven bool
}

// option is one row of the settings table.
type option struct {
	name   string // flag name; the variable is TONGBAN_ + upper-snake name
	def    string
	secret bool
	usage  string
	bind   func(c *Config) any // *string or *bool inside c
}

var options = []option{
	{"db", "sqlite:tongban.db", true, "database: sqlite:PATH or postgres://user:pass@host/db", func(c *Config) any { return &c.DB }},
	{"addr", "127.0.0.1:8080", false, "listen address", func(c *Config) any { return &c.Addr }},
	{"audit-keys", "", false, "directory of the audit log's signing keys (audit-ed25519.key/.pub, audit-sm2.pem); default beside a SQLite database; the demo creates them", func(c *Config) any { return &c.AuditKeys }},
	{"audit-origin", "tongban.local/audit", false, "the audit log's name in its signed checkpoints", func(c *Config) any { return &c.AuditOrigin }},
	{"licence-keys", "", false, "directory of the electronic licence CA certificate (ca.pem) and departments' keys (dept-CODE.pem/.key); default beside a SQLite database; the demo creates them", func(c *Config) any { return &c.LicenceKeys }},
	{"licence-alg", "sm2-sm3", false, "signature algorithm of department keys made in demo mode: sm2-sm3 or ed25519", func(c *Config) any { return &c.LicenceAlg }},
	{"public-url", "", false, "the platform's public address (https://…), used in QR codes of documents; default: the request's host", func(c *Config) any { return &c.PublicURL }},
	{"data-key-file", "", false, "file holding the base64 32-byte key that seals personal data at rest (ID numbers, form values, licence payloads, materials); its loss makes them unreadable", func(c *Config) any { return &c.DataKeyFile }},
	{"calendar", "", false, "comma-separated calendar files to load over the embedded national years", func(c *Config) any { return &c.CalendarFiles }},
	{"calendar-fallback", "", false, "years without a loaded holiday notice: \"\" refuses deadlines in them; \"weekdays\" counts Monday to Friday less the statutory holidays and marks them provisional (the demo always does)", func(c *Config) any { return &c.CalendarFallback }},
	{"region", "500102", false, "home region (GB/T 2260 code) of this installation", func(c *Config) any { return &c.Region }},
	{"lang", "zh-CN", false, "language of command-line messages: zh-CN or en", func(c *Config) any { return &c.Lang }},
	{"secure-cookies", "false", false, "behind a proxy that terminates TLS: Secure __Host- cookies and Strict-Transport-Security (automatic with --tls-cert)", func(c *Config) any { return &c.SecureCookies }},
	{"trusted-proxies", "", false, "comma-separated CIDR prefixes or addresses of reverse proxies whose X-Forwarded-For / X-Real-IP name the client (default: none; the TCP peer is the client)", func(c *Config) any { return &c.TrustedProxies }},
	{"tls-cert", "", false, "TLS certificate file (serve HTTPS)", func(c *Config) any { return &c.TLSCert }},
	{"tls-key", "", false, "TLS private key file", func(c *Config) any { return &c.TLSKey }},
	{"metrics-token", "", true, "bearer token required by /metrics", func(c *Config) any { return &c.MetricsToken }},
	{"files", "", false, "directory for uploaded materials (default: tongban-files beside a SQLite database, else ./tongban-files)", func(c *Config) any { return &c.FilesDir }},
	{"upload-quota", "200/500,2000/5000", false, "uploads per account and day, FILES/MIB for applicants then FILES/MIB for clerks and agents (0/0: none)", func(c *Config) any { return &c.UploadQuota }},
	{"backup-dir", "", false, "directory of `tongban backup` archives (tongban-YYYYMMDD-HHMMSS.tar.gz): backup writes there without --out, doctor reports the newest one's age", func(c *Config) any { return &c.BackupDir }},
	{"smtp-host", "", false, "SMTP server for e-mail notifications (empty: no e-mail)", func(c *Config) any { return &c.SMTPHost }},
	{"smtp-port", "587", false, "SMTP port (587 submission with STARTTLS, 465 implicit TLS)", func(c *Config) any { return &c.SMTPPort }},
	{"smtp-security", "starttls", false, "SMTP transport security: starttls (required), tls (implicit) or none (a relay on this machine only)", func(c *Config) any { return &c.SMTPSecurity }},
	{"smtp-user", "", false, "SMTP user name (empty: no authentication)", func(c *Config) any { return &c.SMTPUser }},
	{"smtp-password", "", true, "SMTP password", func(c *Config) any { return &c.SMTPPassword }},
	{"smtp-from", "", false, "sender of e-mail notifications, e.g. \"政务服务平台 <noreply@example.gov.cn>\"", func(c *Config) any { return &c.SMTPFrom }},
	{"sms-gateway", "", false, "SMS gateway: aliyun (dysmsapi SendSms) or https-json (generic), empty for no SMS", func(c *Config) any { return &c.SMSGateway }},
	{"sms-url", "", false, "SMS gateway URL (https://…; aliyun: default https://dysmsapi.aliyuncs.com/)", func(c *Config) any { return &c.SMSURL }},
	{"sms-key-id", "", false, "SMS gateway access key id (aliyun AccessKeyId)", func(c *Config) any { return &c.SMSKeyID }},
	{"sms-secret", "", true, "SMS gateway secret (aliyun AccessKeySecret; https-json bearer token)", func(c *Config) any { return &c.SMSSecret }},
	{"sms-sign", "", false, "SMS sign name (签名), at most 8 characters, shown as 【签名】", func(c *Config) any { return &c.SMSSign }},
	{"sms-template", "", false, "aliyun: the template code whose one variable ${content} carries the text", func(c *Config) any { return &c.SMSTemplate }},
	{"sms-templates", "", false, "aliyun: message keys with their own registered template, KEY=CODE comma-separated (variables: the message's arguments)", func(c *Config) any { return &c.SMSTemplates }},
	{"deliver-rate", "sms=60,email=120", false, "notifications one replica sends per channel and minute, CHANNEL=N comma-separated (0: no bound)", func(c *Config) any { return &c.DeliverRate }},
	{"log-level", "info", false, "log level: debug, info, warn, error", func(c *Config) any { return &c.LogLevel }},
}

// EnvName is the environment variable of a flag name.
func EnvName(name string) string {
	return "TONGBAN_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// Register adds the settings to fs, with defaults taken from the
// environment (and *_FILE for secrets). Parse fs afterwards.
func Register(fs *flag.FlagSet, c *Config, getenv func(string) string) error {
	for _, o := range options {
		def, err := envDefault(o, getenv)
		if err != nil {
			return err
		}
		usage := fmt.Sprintf("%s (env %s", o.usage, EnvName(o.name))
		if o.secret {
			usage += ", or " + EnvName(o.name) + "_FILE"
		}
		usage += ")"
		switch p := o.bind(c).(type) {
		case *string:
			fs.StringVar(p, o.name, def, usage)
		case *bool:
			b, err := strconv.ParseBool(def)
			if err != nil {
				return fmt.Errorf("config: %s=%q is not true or false", EnvName(o.name), def)
			}
			fs.BoolVar(p, o.name, b, usage)
		}
	}
	return nil
}

func envDefault(o option, getenv func(string) string) (string, error) {
	if v := getenv(EnvName(o.name)); v != "" {
		return v, nil
	}
	if o.secret {
		if path := getenv(EnvName(o.name) + "_FILE"); path != "" {
			data, err := os.ReadFile(path)
			if err != nil {
				return "", fmt.Errorf("config: %s_FILE: %w", EnvName(o.name), err)
			}
			return strings.TrimSpace(string(data)), nil
		}
	}
	return o.def, nil
}

// Validate checks values that flag parsing cannot.
func (c *Config) Validate() error {
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return fmt.Errorf("config: --tls-cert and --tls-key go together")
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("config: --log-level must be debug, info, warn or error, not %q", c.LogLevel)
	}
	if c.CalendarFallback != "" && c.CalendarFallback != "weekdays" {
		return fmt.Errorf("config: --calendar-fallback must be empty or weekdays, not %q", c.CalendarFallback)
	}
	if c.LicenceAlg != "sm2-sm3" && c.LicenceAlg != "ed25519" && c.LicenceAlg != "" {
		return fmt.Errorf("config: --licence-alg must be sm2-sm3 or ed25519, not %q", c.LicenceAlg)
	}
	if _, err := edge.ParseProxies(c.TrustedProxies); err != nil {
		return fmt.Errorf("config: --trusted-proxies: %w", err)
	}
	return nil
}

// CalendarPaths splits CalendarFiles.
func (c *Config) CalendarPaths() []string {
	var out []string
	for _, p := range strings.Split(c.CalendarFiles, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Beside is where a directory or file named name lives by default: beside a
// SQLite database, else in the working directory.
func (c Config) Beside(name string) string {
	if p, ok := strings.CutPrefix(c.DB, "sqlite:"); ok {
		return filepath.Join(filepath.Dir(p), name)
	}
	return name
}

// Or is dir when it is set, else Beside(name).
func (c Config) Or(dir, name string) string {
	if dir != "" {
		return dir
	}
	return c.Beside(name)
}
