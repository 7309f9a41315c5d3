package server

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/pdftest"
)

// 诉求 on the API (issue 18): bad input answers with its status and its own
// message (zh-CN, en), nothing written; an anonymous consultation needs no
// account; the loop runs through the API as the dispatcher, the department
// and the requester.
func TestAppealsOnTheAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		api := ts.URL + "/api/v1"
		zs, clerk, handler := apiToken(t, api, "zhangsan"), apiToken(t, api, "clerk"), apiToken(t, api, "handler")
		count := func() int {
			var n int
			if err := d.Reader().QueryRow(`SELECT COUNT(*) FROM appeals`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		const ok = `"channel":"web","region_code":"500102","description":"窗口要求额外材料"`
		for _, tt := range []struct {
			tok, body string
			status    int
			key, en   string
		}{
			{zs, `{"type":"complaint",` + ok + `}`, 400, "appeal.category_required", "Choose the category"},
			{zs, `{"type":"complaint","category":"nonesuch",` + ok + `}`, 400, "appeal.category_unknown", "nonesuch"},
			{zs, `{"type":"complaint","category":"business","anonymous":true,` + ok + `}`, 400, "appeal.anonymous_refused", "A complaint cannot be anonymous"},
			{"", `{"type":"complaint","category":"business","anonymous":true,` + ok + `}`, 400, "appeal.anonymous_refused", "complaint"},
			{"", `{"type":"complaint","category":"business",` + ok + `}`, 401, "appeal.login_required", "Log in"},
			{zs, `{"type":"complaint","category":"business","attachments":["nope"],` + ok + `}`, 400, "appeal.attachment_unknown", "nope"},
			{zs, `{"type":"complaint","category":"business","lat":91,"lng":0,` + ok + `}`, 400, "appeal.coordinates_invalid", "latitude"},
		} {
			before := count()
			st, m := apiCall(t, "POST", api+"/appeals", tt.tok, tt.body)
			if st != tt.status || m["message_key"] != tt.key || m["message"] == "" {
				t.Errorf("%s: %d %v", tt.key, st, m)
			}
			if _, m := apiCall(t, "POST", api+"/appeals", tt.tok, tt.body, "Accept-Language", "en"); !strings.Contains(m["message"].(string), tt.en) {
				t.Errorf("%s in English: %v", tt.key, m["message"])
			}
			if count() != before {
				t.Errorf("%s: an order was written", tt.key)
			}
		}
		// A refused attachment type is refused at upload.
		if st, m := upload(t, api, zs, "evil.exe", []byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff")); st != 400 || m["message_key"] != "case.upload_type" {
			t.Errorf("refused type: %d %v", st, m)
		}
		// An anonymous consultation, without an account.
		if st, m := apiCall(t, "POST", api+"/appeals", "", `{"type":"consult","category":"tax","anonymous":true,`+ok+`}`); st != 201 {
			t.Fatalf("anonymous consultation: %d %v", st, m)
		}
		// The loop.
		st, m := apiCall(t, "POST", api+"/appeals", zs, `{"type":"complaint","category":"business","contact":true,`+ok+`}`)
		if st != 201 {
			t.Fatalf("submit: %d %v", st, m)
		}
		id := m["appeal"].(map[string]any)["id"].(string)
		step := func(tok, body string, want int) map[string]any {
			t.Helper()
			st, m := apiCall(t, "POST", api+"/appeals/"+id+"/actions", tok, body)
			if st != want {
				t.Fatalf("%s: %d %v", body, st, m)
			}
			return m
		}
		if m := step(handler, `{"action":"reply","text":"x"}`, 404); m["message_key"] != "appeal.not_found" {
			t.Errorf("before dispatch: %v", m)
		}
		step(clerk, `{"action":"dispatch"}`, 200)
		if m := step(clerk, `{"action":"dispatch"}`, 409); m["message_key"] != "appeal.transition" || !strings.Contains(m["message"].(string), "已派单") {
			t.Errorf("dispatch twice: %v", m)
		}
		if m := step(handler, `{"action":"return"}`, 400); m["message_key"] != "appeal.reason_required" {
			t.Errorf("退单 without reason: %v", m)
		}
		step(handler, `{"action":"sign"}`, 200)
		step(handler, `{"action":"reply","text":"已处理"}`, 200)
		step(zs, `{"action":"visit","satisfied":true,"resolved":true}`, 200)
		m = step(clerk, `{"action":"close"}`, 200)
		if a := m["appeal"].(map[string]any); a["state"] != "closed" || a["requester_phone"] != nil && a["requester_phone"] != "" {
			t.Errorf("closed: %v", a)
		}
		// 张三's copy of his data (PIPL) carries his 诉求 and its reply.
		if st, m := apiCall(t, "GET", api+"/me/data", zs, ""); st != 200 || len(m["appeals"].([]any)) != 1 || m["appeals"].([]any)[0].(map[string]any)["reply"] != "已处理" {
			t.Errorf("my data: %d %v", st, m["appeals"])
		}
		if st, m := apiCall(t, "GET", api+"/supervision/appeals/report?month=2026-13", clerk, ""); st != 400 || m["message_key"] != "appeal.month_invalid" {
			t.Errorf("bad month: %d %v", st, m)
		}
		// The monthly report by department, and as a document (format=).
		month := ts.now.In(calendar.China).Format("2006-01")
		st, m = apiCall(t, "GET", api+"/supervision/appeals/report?month="+month, clerk, "")
		rep, _ := m["report"].(map[string]any)
		if st != 200 || rep["accepted"] != float64(2) || len(rep["departments"].([]any)) != 2 {
			t.Fatalf("report: %d %v", st, m)
		}
		if st, m := apiCall(t, "GET", api+"/supervision/appeals/report?month="+month+"&format=docx", clerk, ""); st != 400 || m["message_key"] != "stats.format_unknown" {
			t.Errorf("format docx: %d %v", st, m)
		}
		req, _ := http.NewRequest("GET", api+"/supervision/appeals/report?month="+month+"&format=xlsx", nil)
		req.Header.Set("Authorization", "Bearer "+clerk)
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		x := []byte(body(t, r))
		if r.StatusCode != 200 || !strings.Contains(r.Header.Get("Content-Disposition"), "tongban-appeals-500102-"+month+".xlsx") {
			t.Fatalf("xlsx: %d %q", r.StatusCode, r.Header.Get("Content-Disposition"))
		}
		wb, err := excelize.OpenReader(bytes.NewReader(x))
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := wb.GetRows("诉求月报", excelize.Options{RawCellValue: true})
		if total := rows[len(rows)-1]; total[0] != "涪陵区合计" || total[1] != "2" || total[2] != "1" || total[14] != "1" {
			t.Errorf("xlsx totals %v", total)
		}
		// The supervision page shows the departments and links the files.
		c := ts.client()
		ts.webLogin(t, c, "supervisor")
		r, _ = c.Get(ts.URL + "/supervision/appeals?month=" + month)
		page := body(t, r)
		if r.StatusCode != 200 || !strings.Contains(page, `id="appeal-report-departments"`) || !strings.Contains(page, "重庆市涪陵区市场监督管理局") ||
			!strings.Contains(page, `id="appeal-report-pdf"`) {
			t.Fatalf("report page: %d", r.StatusCode)
		}
		r, _ = c.Get(ts.URL + "/supervision/appeals?month=" + month + "&region=500102&format=pdf")
		p := []byte(body(t, r))
		if r.StatusCode != 200 || r.Header.Get("Content-Type") != "application/pdf" {
			t.Fatalf("pdf: %d %s", r.StatusCode, r.Header.Get("Content-Type"))
		}
		if out, ok := pdftest.Text(t, p); ok && (!strings.Contains(out, "诉求办理月度报告") || !strings.Contains(out, "涪陵区合计")) {
			t.Errorf("the PDF: %s", out)
		}
	})
}
