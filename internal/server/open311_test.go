package server

import (
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/appeal"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/demo"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/open311/schematest"
)

// o311 calls the Open311 interface: the status and the body.
func o311(t *testing.T, method, u, contentType, form string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, u, strings.NewReader(form))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b := body(t, r)
	want := "application/json; charset=utf-8"
	if strings.HasSuffix(strings.SplitN(u, "?", 2)[0], ".xml") {
		want = "text/xml; charset=utf-8"
	}
	if ct := r.Header.Get("Content-Type"); ct != want && r.StatusCode != http.StatusNotFound {
		t.Errorf("%s %s: Content-Type %q, want %q", method, u, ct, want)
	}
	return r.StatusCode, []byte(b)
}

const formType = "application/x-www-form-urlencoded; charset=utf-8"

func countAppeals(t *testing.T, d *db.DB) int {
	t.Helper()
	var n int
	if err := d.View(t.Context(), func(tx *db.Tx) error { return tx.QueryRow(`SELECT COUNT(*) FROM appeals`).Scan(&n) }); err != nil {
		t.Fatal(err)
	}
	return n
}

// Issue 18, end to end on both databases: an administrator registers an
// Open311 client; the client reads discovery, the services (the dispatch
// directory's open categories) and a definition, POSTs a request with its
// api_key, and reads it back in JSON and XML — every JSON answer valid
// against the published GeoReport v2 schemas (ours where none was
// published), no personal data in any GET; the request is a work order in
// the dispatcher's queue, its requester's name kept for the staff. Every
// bad request is refused as the specification says, writing nothing; a
// revoked key is refused.
func TestOpen311EndToEnd(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		api := ts.URL + "/api/v1"
		base := ts.URL + "/open311/v2/"
		admin := apiToken(t, api, "admin")

		// The administrator registers the client: the key once.
		st, m := apiCall(t, "POST", api+"/admin/open311-clients", admin, `{"name":""}`)
		if st != 400 || m["message_key"] != "open311.client_invalid" {
			t.Errorf("a nameless client: %d %v", st, m)
		}
		st, m = apiCall(t, "POST", api+"/admin/open311-clients", admin, `{"name":"涪陵网格 App"}`)
		key, _ := m["api_key"].(string)
		client, _ := m["client"].(map[string]any)
		if st != 201 || !strings.HasPrefix(key, "o311_") || client["region_code"] != demo.Region {
			t.Fatalf("register: %d %v", st, m)
		}
		st, m = apiCall(t, "GET", api+"/admin/open311-clients", admin, "")
		if b, _ := json.Marshal(m); st != 200 || strings.Contains(string(b), key) || !strings.Contains(string(b), "涪陵网格 App") {
			t.Errorf("the list: %d %s", st, b)
		}

		// Discovery, services, a definition.
		st, b := o311(t, "GET", base+"discovery.json", "", "")
		schematest.Valid(t, "ours/discovery.json", b)
		if st != 200 || !strings.Contains(string(b), ts.URL+"/open311/v2") {
			t.Errorf("discovery: %d %s", st, b)
		}
		if st, b = o311(t, "GET", base+"discovery.xml", "", ""); st != 200 || !strings.Contains(string(b), "<discovery>") {
			t.Errorf("discovery.xml: %d %s", st, b)
		}
		st, b = o311(t, "GET", base+"services.json?jurisdiction_id="+demo.Region, "", "")
		schematest.Valid(t, "georeport-v2/services.json", b)
		var services []map[string]any
		json.Unmarshal(b, &services)
		codes := map[string]bool{}
		for _, s := range services {
			codes[s["service_code"].(string)] = true
		}
		// traffic takes requests, food-safety complaints; tax every type.
		if st != 200 || !codes["traffic"] || !codes["food-safety"] || !codes["tax"] {
			t.Errorf("services: %d %v", st, codes)
		}
		st, b = o311(t, "GET", base+"services.xml", "", "")
		var sx struct {
			Items []struct {
				Code     string `xml:"service_code"`
				Metadata string `xml:"metadata"`
			} `xml:"service"`
		}
		if err := xml.Unmarshal(b, &sx); err != nil || st != 200 || len(sx.Items) != len(services) || sx.Items[0].Metadata != "false" {
			t.Errorf("services.xml: %d %v %s", st, err, b)
		}
		st, b = o311(t, "GET", base+"services/traffic.json", "", "")
		schematest.Valid(t, "georeport-v2/service-definition.json", b)
		if st != 200 {
			t.Errorf("definition: %d %s", st, b)
		}
		st, b = o311(t, "GET", base+"services/potholes.json", "", "")
		schematest.Valid(t, "ours/errors.json", b)
		if st != 404 || !strings.Contains(string(b), "potholes") {
			t.Errorf("an unknown definition: %d %s", st, b)
		}

		// Bad requests: each refused as the specification says, nothing written.
		good := url.Values{"api_key": {key}, "service_code": {"traffic"}, "lat": {"29.7037"}, "long": {"107.3898"},
			"address_string": {"涪陵区中山路 1 号"}, "description": {"中山路口红绿灯不亮，早高峰拥堵"},
			"first_name": {"三"}, "last_name": {"张"}, "phone": {"13800138000"}, "email": {"zhang@example.cn"}}
		with := func(k, v string) string {
			f := url.Values{}
			for kk, vv := range good {
				f[kk] = vv
			}
			if v == "" {
				delete(f, k)
			} else {
				f.Set(k, v)
			}
			return f.Encode()
		}
		before := countAppeals(t, d)
		for _, c := range []struct {
			name, ct, form string
			status         int
			says           string
		}{
			{"no api_key", formType, with("api_key", ""), 403, "api_key"},
			{"wrong api_key", formType, with("api_key", "o311_"+strings.Repeat("x", 43)), 403, "api_key"},
			{"not a key", formType, with("api_key", "let-me-in"), 403, "api_key"},
			{"unknown service_code", formType, with("service_code", "potholes"), 404, "potholes"},
			{"no service_code", formType, with("service_code", ""), 400, "service_code"},
			{"no description", formType, with("description", ""), 400, "description"},
			{"bad lat", formType, with("lat", "north"), 400, "lat"},
			{"lat out of range", formType, with("lat", "95"), 400, "lat"},
			{"wrong jurisdiction", formType, with("jurisdiction_id", "sfgov.org"), 404, "sfgov.org"},
			{"JSON body", "application/json", `{"api_key":"` + key + `"}`, 415, "x-www-form-urlencoded"},
			{"an attribute", formType, with("attribute[colour]", "red"), 400, "attribute[colour]"},
		} {
			st, b := o311(t, "POST", base+"requests.json", c.ct, c.form)
			schematest.Valid(t, "ours/errors.json", b)
			if st != c.status || !strings.Contains(string(b), c.says) {
				t.Errorf("%s: %d %s, want %d naming %s", c.name, st, b, c.status, c.says)
			}
		}
		// A key in the address is not read (it would end up in logs).
		if st, b := o311(t, "POST", base+"requests.json?api_key="+key, formType, with("api_key", "")); st != 403 {
			t.Errorf("the key in the address: %d %s", st, b)
		}
		st, b = o311(t, "POST", base+"requests.xml", formType, with("api_key", ""))
		if st != 403 || !strings.Contains(string(b), "<errors>") || !strings.Contains(string(b), "<code>403</code>") {
			t.Errorf("an XML refusal: %d %s", st, b)
		}
		if n := countAppeals(t, d); n != before {
			t.Fatalf("refused requests wrote %d work orders", n-before)
		}

		// The request: the id at once.
		st, b = o311(t, "POST", base+"requests.json", formType, good.Encode())
		schematest.Valid(t, "ours/post-response.json", b)
		var created []struct {
			ID string `json:"service_request_id"`
		}
		if err := json.Unmarshal(b, &created); err != nil || st != 200 || len(created) != 1 || created[0].ID == "" {
			t.Fatalf("POST: %d %s", st, b)
		}
		id := created[0].ID

		// Read back in JSON and XML: open, no personal data.
		personal := []string{"张", "13800138000", "zhang@example.cn", "29.7037", key}
		st, b = o311(t, "GET", base+"requests/"+id+".json", "", "")
		schematest.Valid(t, "georeport-v2/requests.json", b)
		schematest.Valid(t, "ours/public-request.json", b)
		var got []map[string]any
		json.Unmarshal(b, &got)
		if st != 200 || len(got) != 1 || got[0]["service_request_id"] != id || got[0]["status"] != "open" || got[0]["service_code"] != "traffic" ||
			got[0]["status_notes"] != "已受理，待派单。" || got[0]["agency_responsible"] == "" {
			t.Errorf("GET request: %d %s", st, b)
		}
		for _, p := range personal {
			if strings.Contains(string(b), p) {
				t.Errorf("GET request shows %q: %s", p, b)
			}
		}
		st, b = o311(t, "GET", base+"requests/"+id+".xml?lang=en", "", "")
		var rx struct {
			XMLName xml.Name `xml:"service_requests"`
			Items   []struct {
				ID     string `xml:"service_request_id"`
				Status string `xml:"status"`
				Notes  string `xml:"status_notes"`
			} `xml:"request"`
		}
		if err := xml.Unmarshal(b, &rx); err != nil || st != 200 || len(rx.Items) != 1 || rx.Items[0].ID != id || rx.Items[0].Status != "open" ||
			rx.Items[0].Notes != "Accepted; waiting to be dispatched." {
			t.Errorf("GET request XML: %d %v %s", st, err, b)
		}
		for _, q := range []string{"", "?service_code=traffic&status=open", "?service_request_id=" + id + ",nope", "?status=open,closed&start_date=" +
			url.QueryEscape(ts.now.Add(-time.Hour).Format(time.RFC3339))} {
			st, b = o311(t, "GET", base+"requests.json"+q, "", "")
			schematest.Valid(t, "georeport-v2/requests.json", b)
			schematest.Valid(t, "ours/public-request.json", b)
			if st != 200 || !strings.Contains(string(b), id) {
				t.Errorf("GET requests%s: %d %s", q, st, b)
			}
			for _, p := range personal {
				if strings.Contains(string(b), p) {
					t.Errorf("GET requests%s shows %q", q, p)
				}
			}
		}
		for _, q := range []string{"?status=closed", "?service_code=tax"} {
			if st, b = o311(t, "GET", base+"requests.json"+q, "", ""); st != 200 || strings.Contains(string(b), id) {
				t.Errorf("GET requests%s: %d %s", q, st, b)
			}
		}
		for _, c := range []struct{ q, says string }{
			{"?status=pending", "status"},
			{"?start_date=yesterday", "start_date"},
			{"?start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z", "end_date"},
			{"?jurisdiction_id=500103", "500103"},
		} {
			st, b = o311(t, "GET", base+"requests.json"+c.q, "", "")
			schematest.Valid(t, "ours/errors.json", b)
			if st/100 != 4 || !strings.Contains(string(b), c.says) {
				t.Errorf("GET requests%s: %d %s", c.q, st, b)
			}
		}
		if st, b = o311(t, "GET", base+"requests/GD-none.json", "", ""); st != 404 {
			t.Errorf("an unknown request: %d %s", st, b)
		}
		if st, b = o311(t, "GET", base+"tokens/123.json", "", ""); st != 404 {
			t.Errorf("a token: %d %s", st, b)
		}
		if st, _ = o311(t, "GET", base+"services", "", ""); st != 404 {
			t.Errorf("no format: %d", st)
		}

		// The work order is in the dispatcher's queue, from the client.
		clerk, err := ts.ids.UserByUsername(t.Context(), "clerk")
		if err != nil {
			t.Fatal(err)
		}
		svc := &appeal.Service{DB: d, Identity: ts.ids}
		queue, _, err := svc.Queue(t.Context(), clerk, appeal.StaffFilter{})
		if err != nil {
			t.Fatal(err)
		}
		var order *appeal.Appeal
		for _, a := range queue {
			if a.No == id {
				order = a
			}
		}
		if order == nil || order.Channel != appeal.ChannelOpen311 || order.ExternalClient != client["id"] || order.State != appeal.StateAccepted ||
			order.Type != appeal.TypeRequest || order.RegionCode != demo.Region || order.Lat == nil {
			t.Fatalf("the dispatcher's queue has %+v", order)
		}
		read, err := svc.Read(t.Context(), clerk, id)
		if err != nil || read.RequesterName != "张三" || read.RequesterPhone != "138****8000" || !read.Contact {
			t.Errorf("the dispatcher reads %+v (%v)", read, err)
		}

		// Revoked: the key is refused, nothing written.
		st, m = apiCall(t, "POST", api+"/admin/open311-clients/"+client["id"].(string)+"/revoke", admin, "")
		if st != 200 {
			t.Fatalf("revoke: %d %v", st, m)
		}
		before = countAppeals(t, d)
		if st, b = o311(t, "POST", base+"requests.json", formType, good.Encode()); st != 403 || countAppeals(t, d) != before {
			t.Errorf("a revoked key: %d %s", st, b)
		}
	})
}

// An Open311 client follows its request through the work order's life:
// each step shows as the state table says (open with its note, the reply's
// due time once dispatched; closed at 办结), every answer valid against the
// published schema.
func TestOpen311FollowsTheOrder(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		api := ts.URL + "/api/v1"
		_, m := apiCall(t, "POST", api+"/admin/open311-clients", apiToken(t, api, "admin"), `{"name":"热线"}`)
		key := m["api_key"].(string)
		st, b := o311(t, "POST", ts.URL+"/open311/v2/requests.json", formType, url.Values{"api_key": {key}, "service_code": {"consumer"},
			"address_string": {"涪陵区兴华中路"}, "description": {"商场拒不退换有质量问题的商品"}, "phone": {"13800138000"}}.Encode())
		var created []map[string]any
		json.Unmarshal(b, &created)
		if st != 200 || len(created) != 1 {
			t.Fatalf("POST: %d %s", st, b)
		}
		id := created[0]["service_request_id"].(string)
		svc := &appeal.Service{DB: d, Identity: ts.ids, Calendars: mustCalendars(t)}
		user := func(name string) *identity.User {
			u, err := ts.ids.UserByUsername(t.Context(), name)
			if err != nil {
				t.Fatal(err)
			}
			return u
		}
		clerk, handler := user("clerk"), user("handler")
		yes := true
		for _, step := range []struct {
			who    *identity.User
			act    appeal.Action
			status string
			note   string
		}{
			{nil, appeal.Action{}, "open", "已受理，待派单。"},
			{clerk, appeal.Action{Action: appeal.ActDispatch}, "open", "已派单至承办部门，待签收。"},
			{handler, appeal.Action{Action: appeal.ActSign}, "open", "承办部门办理中。"},
			{handler, appeal.Action{Action: appeal.ActReply, Text: "已责令商场退货，并予以警示。"}, "open", "承办部门已答复，待回访。"},
			{clerk, appeal.Action{Action: appeal.ActVisit, Satisfied: &yes, Resolved: &yes}, "open", "已回访，待办结。"},
			{clerk, appeal.Action{Action: appeal.ActClose}, "closed", "已办结。"},
		} {
			if step.who != nil {
				ts.now = ts.now.Add(time.Hour)
				if _, err := svc.Act(t.Context(), step.who, id, step.act); err != nil {
					t.Fatalf("%s: %v", step.act.Action, err)
				}
			}
			st, b := o311(t, "GET", ts.URL+"/open311/v2/requests/"+id+".json", "", "")
			schematest.Valid(t, "georeport-v2/requests.json", b)
			schematest.Valid(t, "ours/public-request.json", b)
			var got []map[string]any
			json.Unmarshal(b, &got)
			if st != 200 || len(got) != 1 || got[0]["status"] != step.status || got[0]["status_notes"] != step.note {
				t.Errorf("after %q: %d %s", step.act.Action, st, b)
				continue
			}
			expected, _ := got[0]["expected_datetime"].(string)
			// Due while the department owes the reply (the reply clock).
			owed := step.act.Action == appeal.ActDispatch || step.act.Action == appeal.ActSign
			if owed != (expected != "") {
				t.Errorf("after %q: expected_datetime %q", step.act.Action, expected)
			}
			if strings.Contains(string(b), "13800138000") || strings.Contains(string(b), "已责令") {
				t.Errorf("after %q: personal or unpublished text in %s", step.act.Action, b)
			}
		}
		st, b = o311(t, "GET", ts.URL+"/open311/v2/requests.json?status=closed", "", "")
		if st != 200 || !strings.Contains(string(b), id) {
			t.Errorf("closed requests: %d %s", st, b)
		}
	})
}
