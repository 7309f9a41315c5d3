package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
)

// installCall is one JSON request to url; the answer decoded (nil for 204).
func installCall(t *testing.T, method, url, token, payload string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(payload))
	if method != "GET" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(r.Body).Decode(&m); err != nil && r.StatusCode != http.StatusNoContent {
		t.Fatalf("%s %s: %d, not JSON: %v", method, url, r.StatusCode, err)
	}
	return r.StatusCode, m
}

// The proof of issue 15: a county installs Tongban on an empty database
// and concludes a first case through the API alone. Setup makes the
// root region and the installation administrator (second factor: the TOTP
// secret setup printed); the administrator creates a department, a hall
// with a window, four staff with grants and an item of the catalog; the
// staff change their one-time passwords; a window clerk files for a walk-in
// applicant, and the case runs the standard process (受理 → 承办 → 审核 →
// 批准 → 办结 → 送达) to delivered. No demo seed is used.
func TestInstallToConcludedCase(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		dsn := d.DSN()
		// Empty: no people, departments, halls or items (no demo seed).
		var rows int
		if err := d.View(t.Context(), func(tx *db.Tx) error {
			return tx.QueryRow(`SELECT (SELECT COUNT(*) FROM users WHERE username <> 'system') + (SELECT COUNT(*) FROM departments) +
				(SELECT COUNT(*) FROM halls) + (SELECT COUNT(*) FROM items)`).Scan(&rows)
		}); err != nil || rows != 0 {
			t.Fatalf("the database is not empty: %d rows, %v", rows, err)
		}
		key, auditDir := keyFile(t), filepath.Join(t.TempDir(), "audit-keys")
		args := append([]string{"setup", "--db", dsn, "--data-key-file", key, "--audit-keys", auditDir}, setupFlagsFuling...)
		code, out, errOut := run(t, "a county secret\n", args...)
		if code != 0 {
			t.Fatalf("setup: %d %s %s", code, out, errOut)
		}
		secret := setupSecret(t, out)
		u, stop := startServer(t, "serve", "--db", dsn, "--addr", "127.0.0.1:0", "--data-key-file", key, "--audit-keys", auditDir, "--log-level", "warn")
		if u == "" {
			_, out := stop()
			t.Fatalf("serve after setup: %s", out)
		}
		defer stop()
		api := u + "api/v1"
		ok := func(status int, method, path, token, body string) map[string]any {
			t.Helper()
			st, m := installCall(t, method, api+path, token, body)
			if st != status {
				t.Fatalf("%s %s: %d %v", method, path, st, m)
			}
			return m
		}
		login := func(username, password, code string) map[string]any {
			t.Helper()
			b, _ := json.Marshal(map[string]string{"username": username, "password": password, "code": code})
			return ok(200, "POST", "/auth/login", "", string(b))
		}

		// The installation administrator, with the second factor.
		otp, err := totp.GenerateCode(secret, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		admin := login("itadmin", "a county secret", otp)["token"].(string)

		// Organisation: a department, a hall with a window.
		credit, err := codes.CompleteCreditCode("11500102MB0001XA")
		if err != nil {
			t.Fatal(err)
		}
		dept := ok(201, "POST", "/admin/departments", admin, `{"name":"重庆市涪陵区民政局","credit_code":"`+credit+
			`","region_code":"500102","kind":"government","phone":"023-72220000","address":"涪陵区太白大道 20 号"}`)
		deptID := dept["id"].(string)
		hall := ok(201, "POST", "/admin/halls", admin, `{"region_code":"500102","address":"涪陵区太白大道 18 号","phone":"023-72222222",
			"hours":[{"days":[1,2,3,4,5],"from":"09:00","to":"12:00"},{"days":[1,2,3,4,5],"from":"14:00","to":"17:30"}]}`)
		hallID := hall["id"].(string)
		ok(201, "POST", "/admin/halls/"+hallID+"/windows", admin, `{"number":"1","name":"综合受理","kind":"comprehensive","departments":["`+deptID+`"]}`)

		// Staff: each logs in with the one-time password and must change it first.
		staff := map[string]string{}
		for _, s := range []struct{ username, name, grant string }{
			{"clerk1", "王窗口", `{"role":"clerk","department_id":"` + deptID + `","region_code":"500102"}`},
			{"handler1", "赵承办", `{"role":"handler","department_id":"` + deptID + `"}`},
			{"reviewer1", "钱审核", `{"role":"reviewer","department_id":"` + deptID + `"}`},
			{"approver1", "孙批准", `{"role":"approver","department_id":"` + deptID + `"}`},
		} {
			m := ok(201, "POST", "/admin/staff", admin, `{"username":"`+s.username+`","name":"`+s.name+`","grants":[`+s.grant+`]}`)
			once := m["one_time_password"].(string)
			first := login(s.username, once, "")
			tok := first["token"].(string)
			if user, _ := first["user"].(map[string]any); user == nil || user["must_change_password"] != true {
				t.Fatalf("%s's first login: %v", s.username, first)
			}
			if st, _ := installCall(t, "GET", api+"/cases", tok, ""); st != 403 {
				t.Fatalf("%s works before changing the one-time password: %d", s.username, st)
			}
			newPassword := s.username + " county password"
			ok(204, "POST", "/me/password", tok, `{"current_password":"`+once+`","new_password":"`+newPassword+`"}`)
			staff[s.username] = login(s.username, newPassword, "")["token"].(string)
		}

		// The catalog: an item of the new department, drafted and published.
		basic := "000112345000"
		it := catalog.Item{
			BasicCode: basic, ImplCode: credit + "4" + basic, Name: "临时救助申请", Type: "01", Level: 4, AgencyNature: 1,
			Department: credit, Region: "500102", Objects: []int{1}, LegalBasis: []string{"《社会救助暂行办法》"},
			Conditions: []catalog.Condition{{Key: "c1", Text: "本区户籍居民"}}, StatutoryLimit: "20", PromisedLimit: "10",
			Handling: 2, Depth: []int{1, 2}, DepthLevel: 2, Visits: 1, Delivery: []string{"window"},
			ConsultPhone: "023-72220000", SupervisePhone: "12345", Result: catalog.Result{Name: "临时救助决定书"}, Frequency: 100,
			Materials: []catalog.Material{{Key: "application", Name: "临时救助申请书", Source: "applicant", Originals: 1, Required: true}},
			Form: []catalog.Field{
				{Key: "applicant_name", Label: "申请人姓名", Type: "text", Required: true, MaxLen: 30},
				{Key: "applicant_id", Label: "公民身份号码", Type: "idnumber", Required: true},
				{Key: "applicant_phone", Label: "联系电话", Type: "phone", Required: true},
			},
		}
		payload, _ := json.Marshal(map[string]any{"note": "首次发布", "item": it})
		ok(200, "PUT", "/admin/items/"+it.ImplCode+"/draft", admin, string(payload))
		ok(200, "POST", "/admin/items/"+it.ImplCode+"/publish", admin, "")
		if m := ok(200, "GET", "/items/"+it.ImplCode, "", ""); m["version"] == nil {
			t.Fatalf("the published item: %v", m)
		}

		// The window clerk files for a walk-in applicant and accepts at once.
		clerk := staff["clerk1"]
		m := ok(201, "POST", "/cases", clerk, `{"item_code":"`+it.ImplCode+`","submit":true,
			"applicant":"500102198506120011","applicant_name":"张三",
			"form_values":{"applicant_name":["张三"],"applicant_id":["500102198506120011"],"applicant_phone":["13800000000"]}}`)
		c := m["case"].(map[string]any)
		no := c["case_no"].(string)
		if c["state"] != "pre_review" {
			t.Fatalf("filed: %v", c)
		}
		act := func(who, action, extra, wantState string) {
			t.Helper()
			m := ok(200, "POST", "/cases/"+no+"/actions", staff[who], `{"action":"`+action+`"`+extra+`}`)
			if got := m["case"].(map[string]any)["state"]; got != wantState {
				t.Fatalf("%s %s: state %v, want %s", who, action, got, wantState)
			}
		}
		act("clerk1", "accept", "", "handling")
		act("handler1", "pass", `,"comment":"符合救助条件"`, "review")
		act("reviewer1", "pass", "", "approval")
		act("approver1", "grant", "", "concluded") // 办结
		act("clerk1", "deliver", `,"delivery_method":"window"`, "delivered")
		c = ok(200, "GET", "/cases/"+no, clerk, "")["case"].(map[string]any)
		if c["state"] != "delivered" || c["status"] != "delivered" || c["decision"] != "granted" {
			t.Fatalf("the case at the end: %v", c)
		}
		evs := ok(200, "GET", "/cases/"+no+"/timeline", clerk, "")["events"].([]any)
		var steps []string
		for _, e := range evs {
			e := e.(map[string]any)
			steps = append(steps, fmt.Sprintf("%s:%s", e["actor"], e["action"]))
		}
		if got := strings.Join(steps, " "); got != "王窗口:submit 王窗口:accept 赵承办:pass 钱审核:pass 孙批准:grant 王窗口:deliver" {
			t.Errorf("the timeline: %s", got)
		}
		if data, _ := evs[0].(map[string]any)["data"].(map[string]any); data["channel"] != "window" {
			t.Errorf("filed through the channel %v, want window", data["channel"])
		}
		// Every change left an audit record; the case, decided within
		// milliseconds of acceptance, is flagged as entered after the fact
		// (事后录入), as a real one would be.
		var kinds []string
		d.View(t.Context(), func(tx *db.Tx) error {
			rs, err := tx.Query(`SELECT DISTINCT object_type || ':' || action FROM (SELECT object_type, action FROM audit_pending UNION ALL SELECT object_type, action FROM audit_records) a ORDER BY 1`)
			if err != nil {
				return err
			}
			defer rs.Close()
			for rs.Next() {
				var k string
				rs.Scan(&k)
				kinds = append(kinds, k)
			}
			return rs.Err()
		})
		for _, want := range []string{"site:site.setup", "department:department.create", "hall:hall.create", "window:window.create",
			"user:staff.create", "user:account.password", "item:item.draft", "item:item.publish",
			"case:case.submit", "case:case.accept", "case:case.pass", "case:case.grant", "case:case.deliver", "case:anomaly.after_the_fact"} {
			if !slices.Contains(kinds, want) {
				t.Errorf("no audit record %s: %v", want, kinds)
			}
		}
	})
}
