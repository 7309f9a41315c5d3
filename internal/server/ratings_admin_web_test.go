package server

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
)

// The administrator's page of the regions' rating rules (issue 18): linked
// from the administration page; a refused form (a bad limit, an unknown
// region, a region outside the grant, no CSRF token) names the fault and
// writes nothing; a saved rule is listed, in force and audited.
func TestRatingRulesAdminPage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		c := ts.client()
		ts.webLogin(t, c, "admin")
		r, _ := c.Get(ts.URL + "/admin")
		if b := body(t, r); !strings.Contains(b, `href="/admin/rating-rules"`) {
			t.Errorf("the administration page has no link to the rating rules")
		}
		rules := func() int {
			var n int
			if err := d.Reader().QueryRow(`SELECT COUNT(*) FROM rating_rules`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		before := rules()
		tok := csrf(t, c, ts.URL+"/admin/rating-rules")
		form := func(kv ...string) url.Values {
			v := url.Values{"csrf_token": {tok}, "region_code": {"500102"}, "window_days": {"10"}, "default_level": {"4"}, "verify_days": {"2"}, "rectify_days": {"10"}}
			for i := 0; i < len(kv); i += 2 {
				v.Set(kv[i], kv[i+1])
			}
			return v
		}
		for _, tc := range []struct {
			name   string
			path   string
			form   url.Values
			status int
			want   string
		}{
			{"window 0", "", form("window_days", "0"), http.StatusBadRequest, "评价规则无效"},
			{"not a number", "", form("rectify_days", "十五"), http.StatusBadRequest, "评价规则无效"},
			{"verify 31", "", form("verify_days", "31"), http.StatusBadRequest, "评价规则无效"},
			{"level 6", "", form("default_level", "6"), http.StatusBadRequest, "评价规则无效"},
			{"in English", "?lang=en", form("window_days", "91"), http.StatusBadRequest, "Invalid rule"},
			{"unknown region", "", form("region_code", "500102999999"), http.StatusBadRequest, "未知的行政区划"},
			{"outside", "", form("region_code", "110101"), http.StatusForbidden, ""},
			{"no CSRF", "", form("csrf_token", ""), http.StatusForbidden, ""},
		} {
			r, _ := c.PostForm(ts.URL+"/admin/rating-rules"+tc.path, tc.form)
			b := body(t, r)
			if r.StatusCode != tc.status || !strings.Contains(b, tc.want) {
				t.Errorf("%s: %d, want %d and %q", tc.name, r.StatusCode, tc.status, tc.want)
			}
			if tc.want != "" && (!strings.Contains(b, `id="form-problem"`) || !strings.Contains(b, `value="`+tc.form.Get("region_code")+`"`)) {
				t.Errorf("%s: the page does not show the problem and the form as typed", tc.name)
			}
		}
		if n := rules(); n != before {
			t.Fatalf("refusals wrote rules: %d → %d", before, n)
		}
		r, _ = c.PostForm(ts.URL+"/admin/rating-rules", form())
		if r.StatusCode != http.StatusSeeOther {
			t.Fatalf("save: %d", r.StatusCode)
		}
		r, _ = c.Get(ts.URL + r.Header.Get("Location"))
		b := body(t, r)
		row := b[strings.Index(b, `id="rule-500102"`)+1:]
		row = row[:strings.Index(row, "</tr>")]
		if !strings.Contains(b, "评价规则已保存") || !strings.Contains(row, "<td>10</td>") || !strings.Contains(row, "满意") || !strings.Contains(row, "<td>2</td>") {
			t.Errorf("the saved rule is not listed: %q", row)
		}
		var window, level, verify, rectify, audited int
		if err := d.Reader().QueryRow(`SELECT window_days, default_level, verify_days, rectify_days FROM rating_rules WHERE region_code = '500102'`).Scan(&window, &level, &verify, &rectify); err != nil {
			t.Fatal(err)
		}
		if window != 10 || level != 4 || verify != 2 || rectify != 10 {
			t.Errorf("stored: %d %d %d %d", window, level, verify, rectify)
		}
		d.Reader().QueryRow(`SELECT COUNT(*) FROM (SELECT object_id FROM audit_pending WHERE action = 'rating.rule' AND object_id = '500102'
			UNION ALL SELECT object_id FROM audit_records WHERE action = 'rating.rule' AND object_id = '500102') a`).Scan(&audited)
		if audited != 1 {
			t.Errorf("audit records of the change: %d", audited)
		}
		r, _ = c.Get(ts.URL + "/admin/rating-rules?edit=500102&lang=en")
		if b := body(t, r); !strings.Contains(b, "Rating rules") || !strings.Contains(b, `<option value="4" selected>`) || !strings.Contains(b, `id="r-window" name="window_days" inputmode="numeric" size="3" required value="10"`) {
			t.Errorf("the edit form in English is not filled with the rule")
		}
		// Switching the default rating off.
		r, _ = c.PostForm(ts.URL+"/admin/rating-rules", form("default_level", "0"))
		if r.StatusCode != http.StatusSeeOther {
			t.Fatalf("save: %d", r.StatusCode)
		}
		d.Reader().QueryRow(`SELECT default_level FROM rating_rules WHERE region_code = '500102'`).Scan(&level)
		if level != 0 {
			t.Errorf("default rating not switched off: %d", level)
		}
	})
}
