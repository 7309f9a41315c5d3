package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/demo"
)

// Issue 17: the site's identity is edited through the API by the
// installation's administrators, validated field by field (the message
// names the field in the reader's language), audited, and every page's
// footer shows it at once; a field left out is cleared and not shown.
func TestSiteAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		api := ts.URL + "/api/v1"
		admin := apiToken(t, api, "admin")
		st, m := apiCall(t, "GET", api+"/admin/site", admin, "")
		site, _ := m["site"].(map[string]any)
		if st != 200 || site["centre_name"] != demo.Site.CentreName || site["region"] != demo.Region || site["region_name"] != "涪陵区" {
			t.Fatalf("GET: %d %v", st, m)
		}
		for _, x := range []struct {
			body, lang, key, field string
		}{
			{`{"centre_name":"中心","icp":"12345678"}`, "", "site.icp_format", "ICP备案号："},
			{`{"centre_name":"中心","psb":"渝公网安备 123号"}`, "en", "site.psb_format", "Public security filing number:"},
			{`{"centre_name":"","host_org":"办公室"}`, "", "site.field_required", "服务中心名称："},
			{`{"centre_name":"中心","centre_phone":"call us"}`, "", "site.phone_format", "服务中心电话："},
		} {
			st, m := apiCall(t, "PUT", api+"/admin/site", admin, x.body, "Accept-Language", x.lang)
			if msg, _ := m["message"].(string); st != 400 || m["message_key"] != x.key || !strings.HasPrefix(msg, x.field) {
				t.Errorf("PUT %s: %d %v", x.body, st, m)
			}
		}
		st, m = apiCall(t, "PUT", api+"/admin/site", admin, `{"centre_name":"重庆市涪陵区行政服务中心","host_org":"重庆市涪陵区政务服务管理办公室","icp":"渝ICP备12345678号","psb":"渝公网安备 50010202000123号"}`)
		if site, _ := m["site"].(map[string]any); st != 200 || site["icp"] != "渝ICP备12345678号" || site["organizer"] != "" {
			t.Fatalf("PUT: %d %v", st, m)
		}
		r, err := http.Get(ts.URL + "/items")
		if err != nil {
			t.Fatal(err)
		}
		page := body(t, r)
		for _, want := range []string{`id="site-icp">渝ICP备12345678号</a>`, `href="https://beian.mps.gov.cn/#/query/webSearch?code=50010202000123"`, "主办单位：重庆市涪陵区政务服务管理办公室"} {
			if !strings.Contains(page, want) {
				t.Errorf("the footer lacks %s", want)
			}
		}
		for _, gone := range []string{`id="site-organizer"`, `id="site-contact"`, `id="site-address"`} {
			if strings.Contains(page, gone) {
				t.Errorf("the footer still shows %s, cleared", gone)
			}
		}
		var n int
		if err := d.View(t.Context(), func(tx *db.Tx) error {
			return tx.QueryRow(`SELECT (SELECT COUNT(*) FROM audit_pending WHERE action = 'site.update') + (SELECT COUNT(*) FROM audit_records WHERE action = 'site.update')`).Scan(&n)
		}); err != nil || n != 1 {
			t.Errorf("%d site.update audit records (%v), want 1", n, err)
		}
	})
}
