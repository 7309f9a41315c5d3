package config

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func parse(t *testing.T, env map[string]string, args ...string) (*Config, error) {
	t.Helper()
	var c Config
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if err := Register(fs, &c, func(k string) string { return env[k] }); err != nil {
		return nil, err
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	return &c, c.Validate()
}

func TestPrecedence(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "dsn")
	os.WriteFile(secret, []byte("postgres://u:from-file@h/db\n"), 0o600)

	c, err := parse(t, nil)
	if err != nil || c.DB != "sqlite:tongban.db" || c.Addr != "127.0.0.1:8080" || c.SecureCookies {
		t.Fatalf("defaults: %+v %v", c, err)
	}
	c, _ = parse(t, map[string]string{"TONGBAN_DB_FILE": secret})
	if c.DB != "postgres://u:from-file@h/db" {
		t.Errorf("*_FILE: %q", c.DB)
	}
	c, _ = parse(t, map[string]string{"TONGBAN_DB_FILE": secret, "TONGBAN_DB": "sqlite:env.db", "TONGBAN_SECURE_COOKIES": "true"})
	if c.DB != "sqlite:env.db" || !c.SecureCookies {
		t.Errorf("env over file: %+v", c)
	}
	c, _ = parse(t, map[string]string{"TONGBAN_DB": "sqlite:env.db"}, "--db", "sqlite:flag.db", "--addr", "127.0.0.1:0")
	if c.DB != "sqlite:flag.db" || c.Addr != "127.0.0.1:0" {
		t.Errorf("flag over env: %+v", c)
	}
}

func TestBadValues(t *testing.T) {
	if _, err := parse(t, map[string]string{"TONGBAN_DB_FILE": "/nonexistent/file"}); err == nil {
		t.Error("missing secret file accepted")
	}
	if _, err := parse(t, map[string]string{"TONGBAN_SECURE_COOKIES": "perhaps"}); err == nil {
		t.Error("non-boolean accepted")
	}
	if _, err := parse(t, nil, "--tls-cert", "a.pem"); err == nil {
		t.Error("certificate without key accepted")
	}
	if _, err := parse(t, nil, "--log-level", "loud"); err == nil {
		t.Error("bad log level accepted")
	}
	for _, bad := range [][]string{{"--calendar-fallback", "guess"}, {"--licence-alg", "rsa"}} {
		if _, err := parse(t, nil, bad...); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	if c, err := parse(t, map[string]string{"TONGBAN_CALENDAR_FALLBACK": "weekdays"}); err != nil || c.CalendarFallback != "weekdays" {
		t.Errorf("calendar fallback from the environment: %v %v", c, err)
	}
	// Only secrets read *_FILE: a non-secret's file variable is ignored.
	c, _ := parse(t, map[string]string{"TONGBAN_ADDR_FILE": "/nonexistent"})
	if c.Addr != "127.0.0.1:8080" {
		t.Errorf("addr = %q", c.Addr)
	}
}
