package server

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
)

var o311KeyRE = regexp.MustCompile(`<code id="open311-key">(o311_[A-Za-z0-9_-]+)</code>`)

// The administrator's page: a client registered there shows its key once
// (never on the list again), a refusal names the fault and writes nothing,
// revoking refuses the key at once.
func TestOpen311AdminPage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		c := ts.client()
		ts.webLogin(t, c, "admin")
		r, _ := c.Get(ts.URL + "/admin")
		if b := body(t, r); !strings.Contains(b, `href="/admin/open311"`) {
			t.Errorf("the administration page has no link to the Open311 clients")
		}
		tok := csrf(t, c, ts.URL+"/admin/open311")
		r, _ = c.PostForm(ts.URL+"/admin/open311", url.Values{"csrf_token": {tok}, "name": {"网格 App"}, "region_code": {"110101"}})
		if b := body(t, r); r.StatusCode != http.StatusBadRequest || !strings.Contains(b, "不在本平台辖区内") || strings.Contains(b, `id="open311-key"`) {
			t.Errorf("a region outside: %d", r.StatusCode)
		}
		r, _ = c.PostForm(ts.URL+"/admin/open311", url.Values{"csrf_token": {tok}, "name": {"网格 App"}})
		b := body(t, r)
		m := o311KeyRE.FindStringSubmatch(b)
		if r.StatusCode != http.StatusCreated || m == nil || r.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("register: %d %q", r.StatusCode, r.Header.Get("Cache-Control"))
		}
		key := m[1]
		r, _ = c.Get(ts.URL + "/admin/open311")
		list := body(t, r)
		if !strings.Contains(list, "网格 App") || strings.Contains(list, key) || !strings.Contains(list, key[:11]+"…") {
			t.Errorf("the list shows the key or not the client")
		}
		id := regexp.MustCompile(`action="/admin/open311/([^/"]+)/revoke"`).FindStringSubmatch(list)
		if id == nil {
			t.Fatal("no revoke form")
		}
		r, _ = c.PostForm(ts.URL+"/admin/open311/"+id[1]+"/revoke", url.Values{"csrf_token": {tok}})
		if r.StatusCode != http.StatusSeeOther {
			t.Fatalf("revoke: %d", r.StatusCode)
		}
		r, _ = c.Get(ts.URL + "/admin/open311?revoked=1")
		if b := body(t, r); !strings.Contains(b, `id="open311-revoked"`) || !strings.Contains(b, "已吊销") || strings.Contains(b, `id="revoke-`+id[1]+`"`) {
			t.Errorf("after revoking")
		}
		st, _ := o311(t, "POST", ts.URL+"/open311/v2/requests.json", formType, url.Values{"api_key": {key}, "service_code": {"traffic"},
			"address_string": {"中山路"}, "description": {"路灯不亮"}}.Encode())
		if st != http.StatusForbidden {
			t.Errorf("a revoked key: %d", st)
		}
	})
}

// Each client's POSTs are limited per minute (here 2); the refusal is 429
// in the specification's error list and writes nothing; another client is
// not slowed.
func TestOpen311RateLimit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d, func(o *Options) { o.Open311PerMinute = 2 })
		api := ts.URL + "/api/v1"
		admin := apiToken(t, api, "admin")
		key := func(name string) string {
			_, m := apiCall(t, "POST", api+"/admin/open311-clients", admin, `{"name":"`+name+`"}`)
			return m["api_key"].(string)
		}
		a, b := key("甲"), key("乙")
		form := func(k string) string {
			return url.Values{"api_key": {k}, "service_code": {"traffic"}, "address_string": {"中山路"}, "description": {"路灯不亮"}}.Encode()
		}
		before := countAppeals(t, d)
		for i, want := range []int{200, 200, 429} {
			if st, body := o311(t, "POST", ts.URL+"/open311/v2/requests.xml", formType, form(a)); st != want {
				t.Errorf("POST %d: %d %s", i+1, st, body)
			}
		}
		if n := countAppeals(t, d) - before; n != 2 {
			t.Errorf("%d work orders, want 2", n)
		}
		if st, _ := o311(t, "POST", ts.URL+"/open311/v2/requests.json", formType, form(b)); st != 200 {
			t.Errorf("another client: %d", st)
		}
	})
}
