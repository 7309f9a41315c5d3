package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
)

// upload posts a file to /api/v1/materials and returns status and body.
func upload(t *testing.T, api, token, name string, content []byte) (int, map[string]any) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(content)
	mw.Close()
	req, _ := http.NewRequest("POST", api+"/materials", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal([]byte(body(t, r)), &m)
	return r.StatusCode, m
}

// soleTraderCode finds 个体工商户设立登记 through the public search.
func soleTraderCode(t *testing.T, api string) string {
	t.Helper()
	_, m := apiCall(t, "GET", api+"/items?q="+url.QueryEscape("个体工商户设立"), "", "")
	return m["items"].([]any)[0].(map[string]any)["impl_code"].(string)
}

func TestCasesAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		api := ts.URL + "/api/v1"
		zs := apiToken(t, api, "zhangsan")
		code := soleTraderCode(t, api)

		// Uploads: the type is sniffed from the content, whatever the name says.
		if st, m := upload(t, api, zs, "lease.pdf", []byte("just text, not a PDF")); st != 400 || m["message_key"] != "case.upload_type" {
			t.Fatalf("text upload: %d %v", st, m)
		}
		if st, m := upload(t, api, zs, "empty.pdf", nil); st != 400 || m["message_key"] != "case.upload_empty" {
			t.Fatalf("empty upload: %d %v", st, m)
		}
		// Issue 14: only the roles that file or correct cases upload.
		if st, m := upload(t, api, apiToken(t, api, "handler"), "lease.pdf", []byte("%PDF-1.4\n% x\n")); st != 403 || m["message_key"] != "error.forbidden" {
			t.Errorf("handler upload: %d %v", st, m)
		}
		pdf := []byte("%PDF-1.4\n% lease\n%%EOF\n")
		var refs []string
		for _, key := range []string{"application", "id_card", "lease"} {
			st, m := upload(t, api, zs, key+".pdf", pdf)
			mat := m["material"].(map[string]any)
			if st != 201 || mat["content_type"] != "application/pdf" || len(mat["sha256"].(string)) != 64 {
				t.Fatalf("upload: %d %v", st, m)
			}
			refs = append(refs, fmt.Sprintf(`{"key":%q,"id":%q}`, key, mat["id"]))
		}
		body := `{"item_code":"` + code + `","submit":true,"answers":{"premises":"rented"},
			"form_values":{"applicant_name":["张三"],"applicant_id":["500102198506120011"],"applicant_phone":["13800000000"],
			"form_of":["person"],"scope":["小吃"],"org_address":["500102006001","滨江路 1 号"],"capital":["5"]},
			"materials":[` + strings.Join(refs, ",") + `]}`
		st, m := apiCall(t, "POST", api+"/cases", zs, body, "Idempotency-Key", "first-try")
		if st != 201 {
			t.Fatalf("create: %d %v", st, m)
		}
		c := m["case"].(map[string]any)
		no := c["case_no"].(string)
		if c["state"] != "pre_review" || c["accepted_at"] != nil || c["due_date"] != nil {
			t.Fatalf("created: %v", c)
		}
		// The same request again (a retry after a lost response) files nothing new.
		st, m = apiCall(t, "POST", api+"/cases", zs, body, "Idempotency-Key", "first-try")
		if st != 200 || m["case"].(map[string]any)["case_no"] != no {
			t.Fatalf("replay: %d %v", st, m)
		}

		clerk, handler := apiToken(t, api, "clerk"), apiToken(t, api, "handler")
		_, m = apiCall(t, "GET", api+"/cases?inbox=true", clerk, "")
		if m["total"].(float64) != 1 {
			t.Fatalf("clerk inbox: %v", m)
		}
		listed := m["cases"].([]any)[0].(map[string]any)
		if _, has := listed["form_values"]; has || listed["applicant_identifier"] != "500102********0011" {
			t.Errorf("a list shows personal data: %v", listed)
		}
		rev := int(listed["rev"].(float64))
		for _, x := range []struct {
			token, body string
			status      int
			key         string
		}{
			{handler, `{"action":"accept"}`, 403, "workflow.role_forbidden"},
			{clerk, `{"action":"grant"}`, 409, "workflow.not_in_state"},
			{clerk, `{"action":"refuse"}`, 400, "workflow.reason_required"},
			{clerk, fmt.Sprintf(`{"action":"accept","rev":%d}`, rev+1), 409, "case.changed"}, // not the revision the case is at
			{clerk, `{"action":"accept","surprise":1}`, 400, "error.bad_json"},
			{"", `{"action":"accept"}`, 401, "error.unauthenticated"},
		} {
			st, m := apiCall(t, "POST", api+"/cases/"+no+"/actions", x.token, x.body)
			if st != x.status || m["message_key"] != x.key || m["message"] == "" {
				t.Errorf("%s: %d %v", x.body, st, m)
			}
		}
		// In English when the client asks for it.
		_, m = apiCall(t, "POST", api+"/cases/"+no+"/actions", clerk, `{"action":"grant"}`, "Accept-Language", "en")
		if msg, _ := m["message"].(string); !strings.Contains(msg, "Awaiting pre-review") || !strings.Contains(msg, "Grant") {
			t.Errorf("English message: %q", msg)
		}

		st, m = apiCall(t, "POST", api+"/cases/"+no+"/actions", clerk, fmt.Sprintf(`{"action":"accept","rev":%d}`, rev))
		c = m["case"].(map[string]any)
		if st != 200 || c["state"] != "handling" || c["accepted_at"] == nil || c["due_date"] == nil {
			t.Fatalf("accept: %d %v", st, m)
		}
		for _, who := range []string{"handler", "reviewer"} {
			if st, m := apiCall(t, "POST", api+"/cases/"+no+"/actions", apiToken(t, api, who), `{"action":"pass"}`); st != 200 {
				t.Fatalf("%s pass: %d %v", who, st, m)
			}
		}
		st, m = apiCall(t, "POST", api+"/cases/"+no+"/actions", apiToken(t, api, "approver"), `{"action":"grant"}`)
		if c := m["case"].(map[string]any); st != 200 || c["state"] != "concluded" || c["decision"] != "granted" {
			t.Fatalf("grant: %d %v", st, m)
		}
		_, m = apiCall(t, "GET", api+"/cases/"+no+"/timeline", zs, "")
		// Filed and submitted in one request: one event (submit, with the channel), then accept, pass, pass, grant.
		if evs := m["events"].([]any); len(evs) != 5 || evs[0].(map[string]any)["action"] != "submit" ||
			evs[0].(map[string]any)["data"].(map[string]any)["channel"] != "online" {
			t.Errorf("timeline: %v", evs)
		}

		// The handler downloads a material; a stranger cannot even see the case.
		_, m = apiCall(t, "GET", api+"/cases/"+no, handler, "")
		mats := m["case"].(map[string]any)["materials"].([]any)
		id := mats[0].(map[string]any)["id"].(string)
		req, _ := http.NewRequest("GET", api+"/cases/"+no+"/materials/"+id, nil)
		req.Header.Set("Authorization", "Bearer "+handler)
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(r.Body)
		r.Body.Close()
		if r.StatusCode != 200 || r.Header.Get("Content-Type") != "application/pdf" || !bytes.Equal(got, pdf) ||
			!strings.HasPrefix(r.Header.Get("Content-Disposition"), "attachment") {
			t.Errorf("download: %d %s %q", r.StatusCode, r.Header.Get("Content-Type"), got)
		}
		if st, m := apiCall(t, "GET", api+"/cases/"+no, apiToken(t, api, "democorp"), ""); st != 404 || m["message_key"] != "case.not_found" {
			t.Errorf("stranger: %d %v", st, m)
		}

		// Public progress: number, name and 查询码, nothing personal.
		_, m = apiCall(t, "GET", api+"/cases/"+no, zs, "")
		qc, _ := m["case"].(map[string]any)["query_code"].(string)
		if len(qc) != 8 {
			t.Fatalf("query code %q", qc)
		}
		st, m = apiCall(t, "GET", api+"/progress?case_no="+no+"&name="+url.QueryEscape("张三")+"&code="+qc, "", "")
		if p := m["progress"].(map[string]any); st != 200 || p["status"] != "concluded" || strings.Contains(fmt.Sprint(p), "500102") && strings.Contains(fmt.Sprint(p), "0011") {
			t.Errorf("progress: %d %v", st, m)
		}
		for _, x := range []struct {
			query  string
			status int
			key    string
		}{
			{"case_no=" + no + "&name=" + url.QueryEscape("张三"), 400, "case.progress_code"},
			{"case_no=" + no + "&name=x&code=" + qc, 404, "case.progress_not_found"},
			{"case_no=" + no + "&name=" + url.QueryEscape("张三") + "&code=ZZZZZZZZ", 404, "case.progress_not_found"},
			{"case_no=123&name=x&code=" + qc, 400, "codes.case_no.format"},
		} {
			if st, m := apiCall(t, "GET", api+"/progress?"+x.query, "", ""); st != x.status || m["message_key"] != x.key {
				t.Errorf("progress %s: %d %v", x.query, st, m)
			}
		}
		// Issue 14: one address asks at most 20 times a minute (page and API
		// together); guesses past it are refused before any is checked.
		throttled := 0
		for range 20 {
			if st, m := apiCall(t, "GET", api+"/progress?case_no="+no+"&name="+url.QueryEscape("张三")+"&code="+qc, "", ""); st == 429 {
				if m["message_key"] != "case.progress_throttled" {
					t.Errorf("throttled: %v", m)
				}
				throttled++
			}
		}
		if throttled != 5 { // 5 asked above, so 15 more pass
			t.Errorf("%d of 20 refused, want 5", throttled)
		}
		if r, _ := http.Get(ts.URL + "/progress?case_no=" + no + "&name=x&code=" + qc); r.StatusCode != 429 {
			t.Errorf("the page after the API's limit: %d", r.StatusCode)
		}
	})
}
