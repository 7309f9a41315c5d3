package cli

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/demo"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/license"
)

// run executes the command line and returns exit status, stdout and stderr.
func run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut strings.Builder
	code := Main(context.Background(), &Env{Args: args, Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }, ClockSync: syncedClock})
	return code, out.String(), errOut.String()
}

// syncedClock is the clock state of a well-kept machine: tests do not
// depend on the one they run on.
func syncedClock() (bool, time.Duration, error) { return true, 20 * time.Millisecond, nil }

func TestCalendarCommands(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"calendar", "add", "--from", "2025-09-26", "--days", "20"}, "2025-10-30\n"},
		{[]string{"calendar", "between", "--from", "2025-09-26", "--to", "2025-10-30"}, "20\n"},
		{[]string{"calendar", "is-workday", "2026-02-14"}, "true\n"},
		{[]string{"calendar", "is-workday", "2026-02-16"}, "false\n"},
		{[]string{"calendar", "add", "--from", "2026-02-12", "--days", "5"}, "2026-02-26\n"},
		{[]string{"calendar", "add", "--from", "2026-02-12", "--days", "0.5"}, "2026-02-13T12:00\n"},
	}
	for _, tt := range tests {
		code, out, errOut := run(t, "", tt.args...)
		if code != 0 || out != tt.want {
			t.Errorf("%v: exit %d, %q (stderr %q); want %q", tt.args, code, out, errOut, tt.want)
		}
	}
}

func TestCalendarErrors(t *testing.T) {
	tests := []struct {
		args     []string
		code     int
		contains string
	}{
		{[]string{"calendar", "add", "--from", "2026-12-30", "--days", "5"}, 1, "未包含 2027 年"},
		{[]string{"calendar", "add", "--from", "2026-02-30", "--days", "5"}, 1, "格式错误"},
		{[]string{"calendar", "add", "--from", "2026-02-12", "--days", "1.3", "--lang", "en"}, 1, "half working days"},
		{[]string{"calendar", "add", "--days", "5"}, 2, "usage"},
		{[]string{"calendar", "fly"}, 2, "usage"},
		{[]string{"calendar", "is-workday", "2026-02-14", "--calendar", "/nonexistent.json"}, 1, "calendar file"},
	}
	for _, tt := range tests {
		code, _, errOut := run(t, "", tt.args...)
		if code != tt.code || !strings.Contains(errOut, tt.contains) {
			t.Errorf("%v: exit %d, stderr %q; want %d containing %q", tt.args, code, errOut, tt.code, tt.contains)
		}
	}
}

func TestCodesCommand(t *testing.T) {
	tests := []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"codes", "check", "11010519491231002X"}, 0, "citizen_id valid\n"},
		{[]string{"codes", "check", "91350100M000100Y43"}, 0, "credit_code valid\n"},
		{[]string{"codes", "check", "500102"}, 0, "division valid\n"},
		{[]string{"codes", "check", "1.2.156.3005.2.11100000MB03271699022.340100.000000016.001.9"}, 0, "licence_id valid\n"},
		{[]string{"codes", "check", "110105194912310021"}, 1, "citizen_id invalid: 公民身份号码校验码错误：应为 X，实为 1。\n"},
		{[]string{"codes", "check", "91350100M000100Y44", "--lang", "en"}, 1, "credit_code invalid: Wrong check character in the credit code: expected 3, found 4.\n"},
		{[]string{"codes", "check", "11010519491231002X", "--kind", "credit_code"}, 1, "credit_code invalid: 统一社会信用代码第 3–8 位行政区划码 010519 无效。\n"},
	}
	for _, tt := range tests {
		code, out, _ := run(t, "", tt.args...)
		if code != tt.code || out != tt.out {
			t.Errorf("%v: exit %d %q; want %d %q", tt.args, code, out, tt.code, tt.out)
		}
	}
	if code, _, _ := run(t, "", "codes", "check"); code != 2 {
		t.Errorf("codes check without a value: exit %d", code)
	}
	if code, _, _ := run(t, "", "frobnicate"); code != 2 {
		t.Errorf("unknown command: exit %d", code)
	}
	if code, out, _ := run(t, "", "version"); code != 0 || !strings.HasPrefix(out, "tongban ") {
		t.Errorf("version: %d %q", code, out)
	}
}

// startServer runs serve or demo until the returned stop is called.
func startServer(t *testing.T, args ...string) (url string, stop func() (int, string)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	urls := make(chan string, 1)
	done := make(chan int, 1)
	var out strings.Builder
	go func() {
		done <- Main(ctx, &Env{Args: args, Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }, Ready: func(u string) { urls <- u }})
	}()
	select {
	case u := <-urls:
		return u, func() (int, string) { cancel(); return <-done, out.String() }
	case code := <-done:
		cancel()
		return "", func() (int, string) { return code, out.String() }
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("server did not start")
	}
	return "", nil
}

func TestDemoThenServe(t *testing.T) {
	dir := t.TempDir()
	dbArg := "sqlite:" + filepath.Join(dir, "tongban.db")
	keyFile := filepath.Join(dir, "tongban-data.key")

	// serve refuses a database that was never migrated.
	_, stop := startServer(t, "serve", "--db", dbArg, "--addr", "127.0.0.1:0", "--data-key-file", keyFile)
	if code, out := stop(); code != 1 || !strings.Contains(out, "tongban migrate") {
		t.Fatalf("serve on an empty database: %d %s", code, out)
	}

	u, stop := startServer(t, "demo", "--db", dbArg, "--addr", "127.0.0.1:0", "--log-level", "warn")
	if u == "" {
		_, out := stop()
		t.Fatalf("demo did not start: %s", out)
	}
	r, err := http.Get(u + "readyz")
	if err != nil || r.StatusCode != 200 {
		t.Fatalf("readyz: %v", err)
	}
	// The demo was set up as an installation is: the portal shows its centre from the first start.
	if r, err = http.Get(u); err != nil {
		t.Fatal(err)
	}
	home, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if !strings.Contains(string(home), `<span id="site-centre">`+demo.Site.CentreName+`</span>`) {
		t.Errorf("the demo's home page does not name its centre %s", demo.Site.CentreName)
	}
	// A hall's board holding its event stream open does not hold the
	// shutdown (the stream ends when serving stops).
	if r, err = http.Get(u + "api/v1/halls?region=500102"); err != nil {
		t.Fatal(err)
	}
	var halls struct {
		Halls []struct {
			ID string `json:"id"`
		} `json:"halls"`
	}
	json.NewDecoder(r.Body).Decode(&halls)
	r.Body.Close()
	if len(halls.Halls) == 0 {
		t.Fatal("no hall")
	}
	req, _ := http.NewRequest("GET", u+"hall/"+halls.Halls[0].ID+"/events", nil)
	req.Header.Set("Accept", "text/event-stream")
	board, err := http.DefaultClient.Do(req)
	if err != nil || board.StatusCode != 200 {
		t.Fatalf("board events: %v", err)
	}
	defer board.Body.Close()
	started := time.Now()
	code, out := stop()
	if took := time.Since(started); took > 5*time.Second {
		t.Errorf("stopping with a board's stream open took %s", took)
	}
	// Everything the demo wrote beside its database (keys among them) is
	// ignored by git: run from a checkout, nothing of it is committed.
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if !gitIgnored(t, e.Name(), e.IsDir()) {
			t.Errorf("the demo wrote %s, which .gitignore does not cover", e.Name())
		}
	}
	if code != 0 || !strings.Contains(out, "clerk") || !strings.Contains(out, "tongban-demo") || !strings.Contains(out, identity.DemoTOTPSecret) {
		t.Fatalf("demo output: %d %s", code, out)
	}

	// Change one password, run demo again: the change survives.
	if code, out, errOut := run(t, "a private password\n", "user", "passwd", "admin", "--db", dbArg, "--data-key-file", keyFile, "--lang", "en"); code != 0 {
		t.Fatalf("passwd: %d %s %s", code, out, errOut)
	}
	_, stop = startServer(t, "demo", "--db", dbArg, "--addr", "127.0.0.1:0", "--log-level", "warn")
	stop()

	// serve refuses while any demo password remains, and without a key.
	_, stop = startServer(t, "serve", "--db", dbArg, "--addr", "127.0.0.1:0", "--data-key-file", keyFile)
	if code, out := stop(); code != 1 || !strings.Contains(out, fmt.Sprintf("仍有 %d 个账号使用演示默认密码", len(demo.Accounts)-1)) {
		t.Fatalf("serve with default passwords: %d %s", code, out)
	}
	_, stop = startServer(t, "serve", "--db", dbArg, "--addr", "127.0.0.1:0")
	if code, out := stop(); code != 1 || !strings.Contains(out, "--data-key-file") {
		t.Fatalf("serve without a key: %d %s", code, out)
	}

	for _, a := range demo.Accounts {
		if a.Username == "admin" {
			continue
		}
		if code, _, errOut := run(t, "another private one\n", "user", "passwd", a.Username, "--db", dbArg, "--data-key-file", keyFile); code != 0 {
			t.Fatalf("passwd %s: %s", a.Username, errOut)
		}
	}
	if code, _, errOut := run(t, "short\n", "user", "passwd", "clerk", "--db", dbArg, "--data-key-file", keyFile); code != 1 || !strings.Contains(errOut, "至少需要 8 个字符") {
		t.Errorf("short password: %d %s", code, errOut)
	}
	if code, out, errOut := run(t, "", "user", "reset-second-factor", "supervisor", "--db", dbArg, "--data-key-file", keyFile); code != 0 || !strings.Contains(out, "已解除 supervisor 的动态验证码") {
		t.Errorf("reset second factor: %d %s %s", code, out, errOut)
	}
	if code, _, errOut := run(t, "", "user", "reset-second-factor", "nobody", "--db", dbArg, "--data-key-file", keyFile); code != 1 || !strings.Contains(errOut, "nobody") {
		t.Errorf("reset second factor of no account: %d %s", code, errOut)
	}
	u, stop = startServer(t, "serve", "--db", dbArg, "--addr", "127.0.0.1:0", "--data-key-file", keyFile)
	if u == "" {
		_, out := stop()
		t.Fatalf("serve did not start: %s", out)
	}
	r, err = http.Get(u + "login")
	if err != nil || r.StatusCode != 200 {
		t.Fatalf("login page: %v", err)
	}
	if code, out := stop(); code != 0 || strings.Contains(out, "Demo logins") {
		t.Errorf("serve output: %d %s", code, out)
	}
	if code, out, _ := run(t, "", "migrate", "status", "--db", dbArg); code != 0 || !strings.Contains(out, "applied") {
		t.Errorf("migrate status: %d %s", code, out)
	}
}

func TestImportDivisions(t *testing.T) {
	dir := t.TempDir()
	dbArg := "sqlite:" + filepath.Join(dir, "t.db")
	if code, _, errOut := run(t, "", "migrate", "--db", dbArg); code != 0 {
		t.Fatal(errOut)
	}
	good := filepath.Join(dir, "good.csv")
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(good, []byte("code,name\n500000,重庆市\n500100,重庆市市辖区\n500102,涪陵区\n"), 0o644)
	os.WriteFile(bad, []byte("code,name\n110000,北京市\n110100,北京市市辖区\n110199,不存在\n"), 0o644)
	if code, out, errOut := run(t, "", "import", "divisions", good, "--db", dbArg); code != 0 || out != "3 divisions imported\n" {
		t.Fatalf("good file: %d %q %q", code, out, errOut)
	}
	code, _, errOut := run(t, "", "import", "divisions", bad, "--db", dbArg)
	if code != 1 || !strings.Contains(errOut, "第 4 行") {
		t.Errorf("bad file: %d %q", code, errOut)
	}
	if code, _, _ := run(t, "", "import", "regions", good, "--db", dbArg); code != 2 {
		t.Errorf("unknown import kind: exit %d", code)
	}
}

// synth fills a demo database; report writes its monthly 通报; bad usage
// exits 2 and a bad month 1, with a message.
func TestSynthAndReport(t *testing.T) {
	dir := t.TempDir()
	dbFlag := "--db=sqlite:" + filepath.Join(dir, "t.db")
	if code, out, errOut := run(t, "", "synth", dbFlag, "--cases", "300", "--months", "2"); code != 0 || !strings.Contains(out, `"cases": 300`) {
		t.Fatalf("synth: %d %s %s", code, out, errOut)
	}
	month := time.Now().AddDate(0, -1, 0).Format("2006-01")
	xlsx := filepath.Join(dir, "r.xlsx")
	if code, out, errOut := run(t, "", "report", "monthly", dbFlag, "--month", month, "--format", "xlsx", "--out", xlsx); code != 0 || !strings.Contains(out, "电子监察通报") {
		t.Fatalf("report: %d %s %s", code, out, errOut)
	}
	if b, err := os.ReadFile(xlsx); err != nil || len(b) < 1000 || string(b[:2]) != "PK" {
		t.Fatalf("the workbook: %v", err)
	}
	if code, _, _ := run(t, "", "synth", dbFlag, "--cases", "-1"); code != 2 {
		t.Fatalf("synth --cases -1: %d", code)
	}
	if code, _, _ := run(t, "", "report", "monthly", dbFlag, "--format", "doc", "--out", xlsx); code != 2 {
		t.Fatalf("report --format doc: %d", code)
	}
	if code, _, errOut := run(t, "", "report", "monthly", dbFlag, "--month", "2026-13", "--out", xlsx); code != 1 || !strings.Contains(errOut, "YYYY-MM") {
		t.Fatalf("report --month 2026-13: %d %s", code, errOut)
	}
}

// The demo's audit log verifies; a record changed in the database makes
// `audit verify` fail at its index; `audit prove` proves a record.
func TestAuditCommands(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.db")
	dbFlag := "--db=sqlite:" + path
	if code, _, errOut := run(t, "", "synth", dbFlag, "--cases", "20", "--months", "1"); code != 0 {
		t.Fatalf("synth: %d %s", code, errOut)
	}
	if code, out, errOut := run(t, "", "audit", "verify", dbFlag); code != 0 || !strings.Contains(out, "ok:") {
		t.Fatalf("verify: %d %s %s", code, out, errOut)
	}
	if code, out, _ := run(t, "", "audit", "prove", dbFlag, "--index", "3"); code != 0 || !strings.Contains(out, "ok: the record is in the signed tree") {
		t.Fatalf("prove: %d %s", code, out)
	}
	d, err := db.Open(context.Background(), "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Update(context.Background(), func(tx *db.Tx) error {
		_, err := tx.Exec(`UPDATE audit_records SET actor_id = 'someone-else' WHERE leaf_index = 5`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	d.Close()
	if code, out, _ := run(t, "", "audit", "verify", dbFlag); code != 1 || !strings.Contains(out, "FAIL record 5") {
		t.Fatalf("verify after tampering: %d %s", code, out)
	}
	if code, _, _ := run(t, "", "audit", "prove", dbFlag, "--index", "x"); code != 2 {
		t.Fatalf("prove --index x: %d", code)
	}
}

// licence keys makes a CA and a department's key; licence verify checks a
// licence file against that CA offline (a file signed under another CA or
// changed fails, exit 1).
func TestLicenceCommands(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	if code, _, errOut := run(t, "", "licence", "keys", "--licence-keys", dir, "--dept", "bad", "--name", "x"); code != 2 || !strings.Contains(errOut, "usage") {
		t.Errorf("a bad credit code: %d %q", code, errOut)
	}
	code, out, errOut := run(t, "", "licence", "keys", "--licence-keys", dir, "--dept", "11500102MB1C0002XM", "--name", "重庆市涪陵区市场监督管理局", "--licence-alg", "ed25519")
	if code != 0 || !strings.Contains(out, "ed25519") {
		t.Fatalf("keys: %d %q %q", code, out, errOut)
	}
	k, err := license.OpenKeyring(dir, false, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := k.Signer("11500102MB1C0002XM", "重庆市涪陵区市场监督管理局")
	if err != nil {
		t.Fatal(err)
	}
	m := license.Metadata{Name: "营业执照", TypeName: "营业执照", TypeCode: "11100000000013338W011", Number: "YZ1",
		Identifier: "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U", IssuerCode: "11500102MB1C0002XM",
		Signed: time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)}
	payload := license.Payload(m, map[string]string{"名称": "张三小吃店"})
	sig, _ := s.Sign(payload)
	file := func(p []byte) string {
		b, _ := json.Marshal(license.File{Format: license.FileFormat, Payload: string(p), Signature: sig, Algorithm: s.Alg, Certificate: string(license.CertPEM(s.Cert))})
		path := filepath.Join(t.TempDir(), "l.tblic.json")
		os.WriteFile(path, b, 0o600)
		return path
	}
	if code, out, _ := run(t, "", "licence", "verify", "--licence-keys", dir, file(payload)); code != 0 || !strings.Contains(out, `"signature_ok"`) {
		t.Errorf("verify a good file: %d %s", code, out)
	}
	changed := []byte(strings.Replace(string(payload), "张三小吃店", "李四小吃店", 1))
	if code, out, _ := run(t, "", "licence", "verify", "--licence-keys", dir, file(changed)); code != 1 || !strings.Contains(out, `"bad_signature"`) {
		t.Errorf("verify a changed file: %d %s", code, out)
	}

	// The department's key revoked in the platform's database, then replaced.
	dbFlag := "--db=sqlite:" + filepath.Join(t.TempDir(), "l.db")
	if code, _, errOut := run(t, "", "synth", dbFlag, "--cases", "1", "--months", "1"); code != 0 {
		t.Fatalf("synth: %d %s", code, errOut)
	}
	revoke := func(reason string) (int, string, string) {
		return run(t, "", "licence", "revoke-key", "--licence-keys", dir, dbFlag, "--dept", "11500102MB1C0002XM", "--reason", reason)
	}
	if code, _, errOut := revoke(""); code == 0 || !strings.Contains(errOut, "理由") {
		t.Errorf("revoking without a reason: %d %q", code, errOut)
	}
	if code, out, errOut := revoke("私钥泄露"); code != 0 || !strings.Contains(out, fmt.Sprintf("revoked certificate %x", s.Cert.SerialNumber)) {
		t.Fatalf("revoke-key: %d %q %q", code, out, errOut)
	}
	if code, _, errOut := revoke("私钥泄露"); code == 0 || !strings.Contains(errOut, "已经吊销") {
		t.Errorf("revoking twice: %d %q", code, errOut)
	}
	code, out, errOut = run(t, "", "licence", "keys", "--licence-keys", dir, "--dept", "11500102MB1C0002XM", "--name", "重庆市涪陵区市场监督管理局", "--rotate")
	if code != 0 || strings.Contains(out, fmt.Sprintf("%x", s.Cert.SerialNumber)) {
		t.Fatalf("rotate: %d %q %q", code, out, errOut)
	}
	if kept, _ := filepath.Glob(filepath.Join(dir, fmt.Sprintf("dept-11500102MB1C0002XM.%x.pem", s.Cert.SerialNumber))); len(kept) != 1 {
		t.Error("the revoked certificate is not kept beside the new one")
	}
	// Offline, with the public list saved: a file signed with the revoked key fails; without the list it passed.
	list := filepath.Join(t.TempDir(), "certs.json")
	b, _ := json.Marshal(map[string]any{"certificates": []map[string]any{{"serial": hex.EncodeToString(s.Cert.SerialNumber.Bytes()),
		"credit_code": "11500102MB1C0002XM", "revoked_at": "2026-12-01T08:00:00Z"}}})
	os.WriteFile(list, b, 0o600)
	if code, out, _ := run(t, "", "licence", "verify", "--licence-keys", dir, "--revoked", list, file(payload)); code != 1 || !strings.Contains(out, `"signer_revoked"`) {
		t.Errorf("verify a file signed with a revoked key: %d %s", code, out)
	}
	os.WriteFile(list, []byte("not json"), 0o600)
	if code, _, errOut := run(t, "", "licence", "verify", "--licence-keys", dir, "--revoked", list, file(payload)); code == 0 || !strings.Contains(errOut, "licence-certs") {
		t.Errorf("a bad list: %d %s", code, errOut)
	}
}

// With the port taken, demo says so once, suggests --addr, and has created
// nothing (no database, no keys) — checked before anything is opened.
func TestDemoPortTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dir := t.TempDir()
	code, out, errOut := run(t, "", "demo", "--db", "sqlite:"+filepath.Join(dir, "tongban.db"), "--addr", ln.Addr().String(),
		"--data-key-file", filepath.Join(dir, "k.key"), "--licence-keys", filepath.Join(dir, "lk"), "--audit-keys", filepath.Join(dir, "ak"))
	all := out + errOut
	if code != 1 || strings.Count(all, "unable to listen") != 1 || !strings.Contains(all, "--addr") {
		t.Fatalf("port taken: %d %q", code, all)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("created before the port was checked: %v", entries)
	}
}

// gitIgnored reports whether a top-level name is matched by the
// repository's .gitignore (the patterns it uses: /name, name/, globs).
func gitIgnored(t *testing.T, name string, dir bool) bool {
	t.Helper()
	b, err := os.ReadFile("../../.gitignore")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range strings.Split(string(b), "\n") {
		p = strings.TrimSpace(p)
		if p == "" || strings.HasPrefix(p, "#") {
			continue
		}
		dirOnly := strings.HasSuffix(p, "/")
		p = strings.TrimPrefix(strings.TrimSuffix(p, "/"), "/")
		if dirOnly && !dir {
			continue
		}
		if ok, _ := filepath.Match(p, name); ok {
			return true
		}
	}
	return false
}
