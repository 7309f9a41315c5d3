package server

import (
	"encoding/json"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/notify"
)

// rawKey is a message key as a reader would see it if it were not translated.
var rawKey = regexp.MustCompile(`\bnotify\.[a-z_.]+`)

// Issue 16: notification templates are the installation's data, edited by
// its administrators through the API and /admin/templates, validated; the
// inbox (API and page) shows their text, never a message key.
func TestNotificationTemplates(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		api := ts.URL + "/api/v1"
		admin, zs, sup := apiToken(t, api, "admin"), apiToken(t, api, "zhangsan"), apiToken(t, api, "supervisor")

		st, m := apiCall(t, "GET", api+"/admin/notification-templates", admin, "")
		list, _ := m["templates"].([]any)
		if st != 200 || len(list) != len(notify.Kinds)*6 || m["sms_max"].(float64) != 70 {
			t.Fatalf("list: %d %d", st, len(list))
		}
		if st, _ := apiCall(t, "GET", api+"/admin/notification-templates", sup, ""); st != 403 {
			t.Errorf("a supervisor lists templates: %d", st)
		}
		put := func(path, body string, hdr ...string) (int, map[string]any) {
			return apiCall(t, "PUT", api+"/admin/notification-templates/"+path, admin, body, hdr...)
		}
		for _, x := range []struct {
			path, body string
			status     int
			key, names string
		}{
			{"accepted/inapp/zh-CN", `{"body":"办件 {case_no} 已受理：{reason}"}`, 400, "notify.template_placeholder", "{reason}"},
			{"accepted/sms/zh-CN", `{"body":"{id_number} 您的申请已受理"}`, 400, "notify.template_sensitive", "{id_number}"},
			{"refused/sms/en", `{"body":"Refused: {reason}"}`, 400, "notify.template_sms_placeholder", "{reason}"},
			{"accepted/sms/zh-CN", `{"body":"您的办件{case_no}（{item}）已经受理，请于{due_date}前后登录平台查看办理进度。"}`, 400, "notify.template_sms_long", "70"},
			{"accepted/email/zh-CN", `{"body":"x"}`, 400, "notify.template_subject_required", ""},
			{"accepted/fax/zh-CN", `{"body":"x"}`, 404, "notify.template_unknown", ""},
			{"nonsense/inapp/zh-CN", `{"body":"x"}`, 404, "notify.template_unknown", ""},
			{"accepted/inapp/fr", `{"body":"x"}`, 404, "notify.template_unknown", ""},
		} {
			st, m := put(x.path, x.body)
			if st != x.status || m["message_key"] != x.key || !strings.Contains(m["message"].(string), x.names) {
				t.Errorf("PUT %s %s: %d %v", x.path, x.body, st, m)
			}
		}
		// The English message names the placeholder too.
		if _, m := put("accepted/inapp/zh-CN", `{"body":"{nope}"}`, "Accept-Language", "en"); !strings.Contains(m["message"].(string), "Unknown placeholder {nope}") {
			t.Errorf("English: %v", m)
		}

		audited := func() (n int) {
			if err := d.Reader().QueryRow(`SELECT COUNT(*) FROM (SELECT object_type FROM audit_pending UNION ALL SELECT object_type FROM audit_records) a
				WHERE object_type = 'notification_template'`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := audited(); n != 0 {
			t.Errorf("refused changes were audited: %d", n)
		}
		// A valid change is stored, audited and shown in 张三's inbox at once.
		st, m = put("submitted/inapp/zh-CN", `{"body":"【测试】{item}已提交，编号 {case_no}。"}`)
		if st != 200 || m["template"].(map[string]any)["updated_by"] == "" {
			t.Fatalf("save: %d %v", st, m)
		}
		if n := audited(); n != 1 {
			t.Errorf("the change has %d audit records", n)
		}
		code := soleTraderCode(t, api)
		ups := map[string]string{}
		for _, k := range []string{"application", "id_card", "lease"} {
			_, m := upload(t, api, zs, k+".pdf", []byte("%PDF-1.4\n% "+k+"\n%%EOF\n"))
			ups[k] = m["material"].(map[string]any)["id"].(string)
		}
		st, m = apiCall(t, "POST", api+"/cases", zs, `{"item_code":"`+code+`","submit":true,"answers":{"premises":"rented"},
			"form_values":{"applicant_name":["张三"],"applicant_id":["500102198506120011"],"applicant_phone":["13800000000"],"form_of":["person"],"scope":["小吃服务"],"org_address":["500102006001","滨江路 1 号"],"capital":["5"]},
			"materials":[{"key":"application","id":"`+ups["application"]+`"},{"key":"id_card","id":"`+ups["id_card"]+`"},{"key":"lease","id":"`+ups["lease"]+`"}]}`)
		if st != 201 {
			t.Fatalf("file: %d %v", st, m)
		}
		no := m["case"].(map[string]any)["case_no"].(string)
		_, m = apiCall(t, "GET", api+"/notifications", zs, "")
		first := m["notifications"].([]any)[0].(map[string]any)
		if first["kind"] != "submitted" || first["text"] != "【测试】个体工商户设立登记已提交，编号 "+no+"。" {
			t.Errorf("newest notification %v", first)
		}
		_, m = apiCall(t, "GET", api+"/notifications", zs, "", "Accept-Language", "en")
		if text := m["notifications"].([]any)[0].(map[string]any)["text"].(string); !strings.Contains(text, "was submitted as case "+no) {
			t.Errorf("English text %q", text)
		}

		// The page: 张三's inbox in both languages, and the administrators' editor.
		c := ts.client()
		ts.webLogin(t, c, "zhangsan")
		for _, lang := range []string{"zh-CN", "en"} {
			r, err := c.Get(ts.URL + "/notifications?lang=" + lang)
			if err != nil {
				t.Fatal(err)
			}
			page := body(t, r)
			if r.StatusCode != 200 || !strings.Contains(page, no) || rawKey.MatchString(page) {
				t.Errorf("/notifications in %s: %d, raw keys %v", lang, r.StatusCode, rawKey.FindAllString(page, 5))
			}
		}
		ac := ts.client()
		ts.webLogin(t, ac, "admin")
		tok := csrf(t, ac, ts.URL+"/admin/templates?kind=posted")
		r, err := ac.PostForm(ts.URL+"/admin/templates", url.Values{"csrf_token": {tok}, "kind": {"posted"}, "channel": {"sms"}, "lang": {"zh-CN"},
			"body": {"您的{item}结果已寄出：{tracking_no}，{reason}"}})
		if err != nil {
			t.Fatal(err)
		}
		if page := body(t, r); r.StatusCode != 400 || !strings.Contains(page, "{reason}") || !strings.Contains(page, "结果已寄出") {
			t.Errorf("a refused template: %d", r.StatusCode)
		}
		r, err = ac.PostForm(ts.URL+"/admin/templates", url.Values{"csrf_token": {tok}, "kind": {"posted"}, "channel": {"sms"}, "lang": {"zh-CN"},
			"body": {"您的{item}结果已寄出，单号{tracking_no}。"}})
		if err != nil {
			t.Fatal(err)
		}
		if r.StatusCode != 303 || !strings.HasPrefix(r.Header.Get("Location"), "/admin/templates?kind=posted&saved=1") {
			t.Errorf("saved: %d %s", r.StatusCode, r.Header.Get("Location"))
		}
		r, _ = ac.Get(ts.URL + r.Header.Get("Location"))
		if page := body(t, r); !strings.Contains(page, "单号{tracking_no}") || !strings.Contains(page, `id="template-saved"`) {
			t.Error("the saved template is not shown")
		}
	})
}

// The OpenAPI document lists every kind a notification may have.
func TestOpenAPINotificationKinds(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]struct {
					Enum []any `json:"enum"`
				} `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	b, err := os.ReadFile("../api/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	enum := doc.Components.Schemas["Notification"].Properties["kind"].Enum
	// A template's kind is the notification's, but for two older ones.
	sent := map[string]string{"licence_issued": "licence", "terminated_owed": "terminated"}
	for _, k := range notify.KindKeys() {
		if notify.TextedOnly[k] {
			continue
		}
		if s, ok := sent[k]; ok {
			k = s
		}
		if !slices.Contains(enum, any(k)) {
			t.Errorf("kind %s is not in the OpenAPI document", k)
		}
	}
}
