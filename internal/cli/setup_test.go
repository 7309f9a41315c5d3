package cli

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/vault"
)

var setupFlagsFuling = []string{"--region", "500102", "--centre-name", "重庆市涪陵区政务服务中心", "--centre-address", "涪陵区太白大道 18 号",
	"--centre-phone", "023-72222222", "--host-org", "重庆市涪陵区人民政府办公室", "--contact", "fl-zwfw@example.gov.cn", "--icp", "渝ICP备12345678号-1",
	"--admin-username", "itadmin", "--admin-name", "李明"}

func keyFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "data.key")
	if _, err := vault.EnsureKeyFile(path); err != nil {
		t.Fatal(err)
	}
	return path
}

// setupSecret is the TOTP secret setup printed.
func setupSecret(t *testing.T, out string) string {
	t.Helper()
	m := regexp.MustCompile(`otpauth://\S+`).FindString(out)
	u, err := url.Parse(m)
	if err != nil || u.Query().Get("secret") == "" {
		t.Fatalf("no otpauth URI in %q", out)
	}
	return u.Query().Get("secret")
}

// `setup` by flags on an empty database (both databases): serve then starts,
// the administrator logs in through the API with the password and a code of
// the printed second factor, and the portal shows the centre. A second
// setup changes nothing; one with a differing value is refused.
func TestSetupThenServe(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		dsn := d.DSN()
		key, auditDir := keyFile(t), filepath.Join(t.TempDir(), "audit-keys")
		_, stop := startServer(t, "serve", "--db", dsn, "--addr", "127.0.0.1:0", "--data-key-file", key, "--audit-keys", auditDir)
		if code, out := stop(); code != 1 || !strings.Contains(out, "tongban setup") {
			t.Fatalf("serve before setup: %d %s", code, out)
		}
		args := append([]string{"setup", "--db", dsn, "--data-key-file", key, "--audit-keys", auditDir}, setupFlagsFuling...)
		code, out, errOut := run(t, "a county secret\n", args...)
		if code != 0 || !strings.Contains(out, "itadmin") || strings.Count(out, "\n  ") != 10 {
			t.Fatalf("setup: %d %s %s", code, out, errOut)
		}
		secret := setupSecret(t, out)
		if _, err := os.Stat(filepath.Join(auditDir, "audit-ed25519.key")); err != nil {
			t.Errorf("setup made no audit keys: %v", err)
		}
		if code, out, errOut := run(t, "", args...); code != 0 || !strings.Contains(out, "nothing changed") {
			t.Fatalf("setup twice: %d %s %s", code, out, errOut)
		}
		again := append([]string{"setup", "--db", dsn, "--data-key-file", key, "--audit-keys", auditDir}, "--centre-name", "另一个中心")
		if code, _, errOut := run(t, "", again...); code != 1 || !strings.Contains(errOut, "--centre-name") {
			t.Fatalf("setup with another centre: %d %s", code, errOut)
		}
		other := append([]string{"setup", "--db", dsn, "--data-key-file", key, "--audit-keys", auditDir}, "--admin-username", "someone")
		if code, _, errOut := run(t, "", other...); code != 1 || !strings.Contains(errOut, "--admin-username") {
			t.Fatalf("setup with another administrator: %d %s", code, errOut)
		}
		// The region stored is the installation's; another given is refused.
		_, stop = startServer(t, "serve", "--db", dsn, "--addr", "127.0.0.1:0", "--data-key-file", key, "--audit-keys", auditDir, "--region", "500101")
		if code, out := stop(); code != 1 || !strings.Contains(out, "500102") {
			t.Fatalf("serve with another region: %d %s", code, out)
		}
		u, stop := startServer(t, "serve", "--db", dsn, "--addr", "127.0.0.1:0", "--data-key-file", key, "--audit-keys", auditDir, "--log-level", "warn")
		if u == "" {
			_, out := stop()
			t.Fatalf("serve after setup: %s", out)
		}
		defer stop()
		r, err := http.Get(u + "items")
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(r.Body)
		r.Body.Close()
		for _, want := range []string{`id="site-footer"`, "重庆市涪陵区政务服务中心", "涪陵区太白大道 18 号", "023-72222222", "主办单位：重庆市涪陵区人民政府办公室", "fl-zwfw@example.gov.cn", "渝ICP备12345678号-1"} {
			if !strings.Contains(string(page), want) {
				t.Errorf("the portal does not show %q", want)
			}
		}
		login := func(code string) (int, map[string]any) {
			b, _ := json.Marshal(map[string]string{"username": "itadmin", "password": "a county secret", "code": code})
			r, err := http.Post(u+"api/v1/auth/login", "application/json", bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			defer r.Body.Close()
			var m map[string]any
			json.NewDecoder(r.Body).Decode(&m)
			return r.StatusCode, m
		}
		if st, _ := login(""); st == 200 {
			t.Fatal("logged in without the second factor")
		}
		c, _ := totp.GenerateCode(secret, time.Now())
		st, m := login(c)
		if st != 200 || m["token"] == nil {
			t.Fatalf("login with the second factor: %d %v", st, m)
		}
		req, _ := http.NewRequest("GET", u+"api/v1/supervision/settings", nil)
		req.Header.Set("Authorization", "Bearer "+m["token"].(string))
		r, err = http.DefaultClient.Do(req)
		if err != nil || r.StatusCode != 200 {
			t.Fatalf("an administrator's page: %v %v", err, r.Status)
		}
		r.Body.Close()
	})
}

// Bad input is refused naming the field, and writes nothing: a second,
// good setup on the same database then succeeds.
func TestSetupRefusesBadInput(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "t.db")
	key := keyFile(t)
	with := func(flag, value string) []string {
		args := []string{"setup", "--db", dsn, "--data-key-file", key}
		for i := 0; i < len(setupFlagsFuling); i += 2 {
			v := setupFlagsFuling[i+1]
			if setupFlagsFuling[i] == flag {
				v = value
			}
			args = append(args, setupFlagsFuling[i], v)
		}
		return args
	}
	tests := []struct {
		flag, value, password, want string
	}{
		{"--region", "999999", "a county secret", "--region"},
		{"--region", "500102100000", "a county secret", "--region"},
		{"--centre-name", "  ", "a county secret", "--centre-name"},
		{"--admin-name", "  ", "a county secret", "--admin-name"},
		{"--admin-username", "李", "a county secret", "--admin-username"},
		{"--centre-phone", "call us", "a county secret", "--centre-phone"},
		{"--centre-phone", "123", "a county secret", "--centre-phone"},
		{"--icp", "ICP 12345", "a county secret", "--icp"},
		{"--contact", "a\u0000b", "a county secret", "--contact"},
		{"", "", "short", "--password"},
		{"", "", "tongban-demo", "--password"},
	}
	for _, tt := range tests {
		code, out, errOut := run(t, tt.password+"\n", with(tt.flag, tt.value)...)
		if code != 1 || !strings.Contains(errOut, tt.want) || out != "" {
			t.Errorf("%s %q: %d %q %q; want exit 1 naming %s", tt.flag, tt.value, code, out, errOut, tt.want)
		}
	}
	if code, _, errOut := run(t, "", with("", "")...); code != 1 || !strings.Contains(errOut, "password") {
		t.Errorf("no password: %d %q", code, errOut)
	}
	d, err := db.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var users, regions, settings int
	d.View(t.Context(), func(tx *db.Tx) error {
		tx.QueryRow(`SELECT COUNT(*) FROM users WHERE username <> 'system'`).Scan(&users)
		tx.QueryRow(`SELECT COUNT(*) FROM regions`).Scan(&regions)
		return tx.QueryRow(`SELECT COUNT(*) FROM settings WHERE key LIKE 'site.%'`).Scan(&settings)
	})
	if users+regions+settings != 0 {
		t.Fatalf("refused setups wrote %d users, %d regions, %d settings", users, regions, settings)
	}
	if code, _, errOut := run(t, "a county secret\n", with("", "")...); code != 0 {
		t.Fatalf("setup after the refusals: %s", errOut)
	}
}

// Without the required flags setup asks, here through a pipe: a name
// fragment lists the matching divisions, then the code is taken; an empty
// answer skips an optional field; the password is asked twice.
func TestSetupInteractive(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "t.db")
	key := keyFile(t)
	answers := strings.Join([]string{
		"涪陵",              // region: a search
		"500102",          // region: the code
		"涪陵区政务服务中心",       // centre name
		"",                // address skipped
		"023-72222222",    // phone
		"",                // host org skipped
		"",                // contact skipped
		"",                // ICP skipped
		"itadmin",         // user name
		"李明",              // name
		"short",           // too short: asked again
		"a county secret", // password
		"a county typo",   // differs: asked again
		"a county secret",
		"a county secret",
	}, "\n") + "\n"
	code, out, errOut := run(t, answers, "setup", "--db", dsn, "--data-key-file", key)
	if code != 0 || !strings.Contains(out, "itadmin") {
		t.Fatalf("interactive setup: %d %s %s", code, out, errOut)
	}
	for _, want := range []string{"服务中心名称", "Service centre name", "500102 重庆市 涪陵区", "ICP备案号", "两次输入不一致", "Too short"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("the prompts lack %q: %s", want, errOut)
		}
	}
	d, err := db.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var phone, address string
	d.View(t.Context(), func(tx *db.Tx) error {
		tx.QueryRow(`SELECT value FROM settings WHERE key = 'site.centre_phone'`).Scan(&phone)
		return tx.QueryRow(`SELECT value FROM settings WHERE key = 'site.centre_address'`).Scan(&address)
	})
	if phone != "023-72222222" || address != "" {
		t.Errorf("stored phone %q, address %q", phone, address)
	}
	// Answers that end early: refused, nothing written.
	dsn2 := "sqlite:" + filepath.Join(t.TempDir(), "t2.db")
	if code, _, errOut := run(t, "500102\n", "setup", "--db", dsn2, "--data-key-file", key); code != 1 || !strings.Contains(errOut, "standard input ended") {
		t.Errorf("answers ending early: %d %s", code, errOut)
	}
}

// doctor finds nothing wrong with a fresh installation, and names the fix
// of each problem: no administrator, a data key others may read, a changed
// audit record (exit 1).
func TestDoctor(t *testing.T) {
	dir := t.TempDir()
	os.Chmod(dir, 0o700)
	path := filepath.Join(dir, "t.db")
	key := keyFile(t)
	common := []string{"--db", "sqlite:" + path, "--data-key-file", key, "--calendar-fallback", "weekdays"}
	if code, _, errOut := run(t, "", append([]string{"migrate"}, common[:2]...)...); code != 0 {
		t.Fatal(errOut)
	}
	if code, out, _ := run(t, "", append([]string{"doctor"}, common...)...); code != 1 || !strings.Contains(out, "→ run `tongban setup`") {
		t.Errorf("doctor before setup: %d %s", code, out)
	}
	if code, _, errOut := run(t, "a county secret\n", append(append([]string{"setup"}, common...), setupFlagsFuling...)...); code != 0 {
		t.Fatal(errOut)
	}
	code, out, errOut := run(t, "", append([]string{"doctor"}, common...)...)
	if code != 0 || !strings.Contains(out, "no problem found") || !strings.Contains(out, "audit log:") || !strings.Contains(out, "free disk") {
		t.Fatalf("doctor after setup: %d %s %s", code, out, errOut)
	}
	os.Chmod(key, 0o644)
	if code, out, _ := run(t, "", append([]string{"doctor"}, common...)...); code != 1 || !strings.Contains(out, "chmod 600 "+key) {
		t.Errorf("doctor with a readable key: %d %s", code, out)
	}
	os.Chmod(key, 0o600)
	d, err := db.Open(t.Context(), "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	// Sequenced as serve does, then one record changed in the database.
	seq := &audit.Sequencer{DB: d, Holder: "test"}
	for {
		n, err := seq.Step(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	if err := d.Update(t.Context(), func(tx *db.Tx) error {
		_, err := tx.Exec(`UPDATE audit_records SET actor_id = 'someone-else' WHERE leaf_index = 1`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	d.Close()
	if code, out, _ := run(t, "", append([]string{"doctor"}, common...)...); code != 1 || !strings.Contains(out, "FAIL  audit log: record 1") {
		t.Errorf("doctor after tampering: %d %s", code, out)
	}
}
