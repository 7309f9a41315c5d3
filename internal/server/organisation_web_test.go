package server

import (
	"bytes"
	"mime/multipart"
	"net/url"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
)

// Issue 15: the organisation through /admin/organisation — a department
// created, a hall's opening hours and location set, a window serving an
// item; a bad form answers 400 naming the field and writes nothing.
func TestOrganisationPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		c := ts.client()
		ts.webLogin(t, c, "admin")
		r, _ := c.Get(ts.URL + "/admin")
		if page := body(t, r); !strings.Contains(page, `href="/admin/organisation"`) {
			t.Fatal("no link to the organisation on /admin")
		}
		post := func(path string, form url.Values) (int, string) {
			t.Helper()
			form.Set("csrf_token", csrf(t, c, ts.URL+"/admin/organisation"))
			r, err := c.PostForm(ts.URL+path, form)
			if err != nil {
				t.Fatal(err)
			}
			if r.StatusCode == 303 { // saved: the page it leads to
				r.Body.Close()
				if r, err = c.Get(ts.URL + r.Header.Get("Location")); err != nil {
					t.Fatal(err)
				}
			}
			return r.StatusCode, body(t, r)
		}
		credit := mustCredit(t, "12500102MB0009XA")
		st, page := post("/admin/organisation/departments", url.Values{"name": {"重庆市涪陵区大数据应用发展中心"}, "credit_code": {credit},
			"region_code": {"500102"}, "kind": {"institution"}, "phone": {"023-72229999"}})
		if st != 200 || !strings.Contains(page, "重庆市涪陵区大数据应用发展中心") || !strings.Contains(page, credit) {
			t.Fatalf("create department: %d", st)
		}
		var hallID string
		if err := d.Reader().QueryRow(`SELECT id FROM halls WHERE region_code = '500102'`).Scan(&hallID); err != nil {
			t.Fatal(err)
		}
		before := orgCounts(t, d)
		for _, c := range []struct {
			path  string
			form  url.Values
			field string
		}{
			{"/admin/organisation/departments", url.Values{"name": {"x"}, "credit_code": {credit[:17] + "X"}, "region_code": {"500102"}, "kind": {"government"}}, "credit_code"},
			{"/admin/organisation/halls/" + hallID, url.Values{"name": {"涪陵区行政服务中心"}, "hours": {"1-5 17:00-09:00"}, "active": {"1"}}, "hours[0].to"},
			{"/admin/organisation/halls/" + hallID, url.Values{"name": {"涪陵区行政服务中心"}, "hours": {"weekdays"}, "active": {"1"}}, "hours"},
			{"/admin/organisation/halls/" + hallID, url.Values{"name": {"涪陵区行政服务中心"}, "lat": {"north"}, "lng": {"107"}, "active": {"1"}}, "lat"},
		} {
			st, page := post(c.path, c.form)
			if st != 400 || !strings.Contains(page, c.field+"：") {
				t.Errorf("%s %v: %d, the field %s not named", c.path, c.form, st, c.field)
			}
		}
		if after := orgCounts(t, d); after != before {
			t.Errorf("refused forms wrote: %v → %v", before, after)
		}
		st, page = post("/admin/organisation/halls/"+hallID, url.Values{"name": {"涪陵区政务服务中心"}, "address": {"太极大道 8 号"},
			"hours": {"1-5 09:00-12:00; 1-5 14:00-17:30"}, "lat": {"29.7"}, "lng": {"107.39"}, "active": {"1"}})
		if st != 200 || !strings.Contains(page, `value="1-5 09:00-12:00; 1-5 14:00-17:30"`) || !strings.Contains(page, `value="29.7"`) {
			t.Fatalf("edit hall: %d", st)
		}
		// An organisation file with a fault: the page lists it and nothing is imported.
		before = orgCounts(t, d)
		var form bytes.Buffer
		mw := multipart.NewWriter(&form)
		mw.WriteField("csrf_token", csrf(t, c, ts.URL+"/admin/organisation"))
		fw, _ := mw.CreateFormFile("file", "organisation.json")
		fw.Write([]byte(`{"format":"tongban-organisation/1","departments":[{"credit_code":"12345","name":"x","region_code":"500102","kind":"government","active":true}],"halls":[],"windows":[]}`))
		mw.Close()
		r, _ = c.Post(ts.URL+"/admin/organisation/import", mw.FormDataContentType(), &form)
		if page := body(t, r); r.StatusCode != 400 || !strings.Contains(page, "departments[0].credit_code") {
			t.Errorf("import with a fault: %d", r.StatusCode)
		}
		if after := orgCounts(t, d); after != before {
			t.Errorf("a refused import wrote: %v → %v", before, after)
		}
		var item string
		if err := d.Reader().QueryRow(`SELECT impl_code FROM items WHERE region_code = '500102' ORDER BY impl_code`).Scan(&item); err != nil {
			t.Fatal(err)
		}
		st, page = post("/admin/organisation/halls/"+hallID+"/windows", url.Values{"number": {"9"}, "name": {"敬老服务窗口"}, "kind": {"elderly"}, "items": {item}})
		if st != 200 || !strings.Contains(page, "敬老服务窗口") || !strings.Contains(page, item) {
			t.Fatalf("create window: %d", st)
		}
	})
}

// A refused organisation form is shown again as it was filled, the fault
// at its field (aria-invalid, described by its message), with the status
// the API answers — never the error page — and nothing is written; in
// English on an English page. A hall is created for a township from the
// organisation page.
func TestOrganisationFormsRefused(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		c := ts.client()
		ts.webLogin(t, c, "admin")
		post := func(path string, form url.Values) (int, string) {
			t.Helper()
			form.Set("csrf_token", csrf(t, c, ts.URL+"/admin/organisation"))
			r, err := c.PostForm(ts.URL+path, form)
			if err != nil {
				t.Fatal(err)
			}
			return r.StatusCode, body(t, r)
		}
		q := func(query string, args ...any) string {
			t.Helper()
			var v string
			if err := d.Reader().QueryRow(query, args...).Scan(&v); err != nil {
				t.Fatalf("%s: %v", query, err)
			}
			return v
		}
		hallID := q(`SELECT id FROM halls WHERE region_code = '500102'`)
		deptID, deptCredit := q(`SELECT MIN(id) FROM departments WHERE region_code = '500102'`), ""
		deptCredit = q(`SELECT credit_code FROM departments WHERE id = $1`, deptID)
		for _, n := range []string{"81", "82"} { // numbers the demo's windows do not use
			if st, _ := post("/admin/organisation/halls/"+hallID+"/windows", url.Values{"number": {n}, "name": {"综合窗口"}, "kind": {"comprehensive"}}); st != 303 {
				t.Fatalf("window %s: %d", n, st)
			}
		}
		winID := q(`SELECT MIN(id) FROM windows WHERE hall_id = $1`, hallID)
		winNumber := q(`SELECT number FROM windows WHERE id = $1`, winID)
		otherWin := q(`SELECT number FROM windows WHERE hall_id = $1 AND id <> $2 ORDER BY number`, hallID, winID)
		// A village served whose station was never opened (the demo opens one everywhere).
		town := q(`SELECT MIN(code) FROM regions WHERE level = 5 AND code LIKE '500102%' AND served = $1`, true)
		if _, err := d.Writer().Exec(`DELETE FROM halls WHERE region_code = $1`, town); err != nil {
			t.Fatal(err)
		}
		credit := mustCredit(t, "12500102MB0010XA")
		newDept := url.Values{"name": {"重庆市涪陵区档案馆"}, "credit_code": {credit}, "region_code": {"500102"}, "kind": {"institution"}}
		with := func(base url.Values, kv ...string) url.Values {
			v := url.Values{}
			for k, x := range base {
				v[k] = append([]string(nil), x...)
			}
			for i := 0; i+1 < len(kv); i += 2 {
				v.Set(kv[i], kv[i+1])
			}
			return v
		}
		editDept := url.Values{"name": {"x"}, "credit_code": {deptCredit}, "kind": {"government"}, "active": {"1"}}
		hall := url.Values{"name": {"涪陵区行政服务中心"}, "hours": {"1-5 09:00-17:00"}, "active": {"1"}}
		win := url.Values{"number": {"77"}, "name": {"专项窗口"}, "kind": {"special"}}
		before := orgCounts(t, d)
		for _, tc := range []struct {
			name, path string
			form       url.Values
			status     int
			input      string // the id of the input marked invalid
			want       string // in the page: the field's message, as filled
		}{
			{"department: bad credit code", "/admin/organisation/departments", with(newDept, "credit_code", credit[:17]+"X"), 400, "nd-cc", `value="重庆市涪陵区档案馆"`},
			{"department: credit code taken", "/admin/organisation/departments", with(newDept, "credit_code", deptCredit), 409, "nd-cc", deptCredit},
			{"department: outside the administrator's", "/admin/organisation/departments", with(newDept, "region_code", "500100"), 403, "nd-region", `value="500100"`},
			{"department: unknown region", "/admin/organisation/departments", with(newDept, "region_code", "999999"), 400, "nd-region", `value="999999"`},
			{"department: no name", "/admin/organisation/departments", with(newDept, "name", ""), 400, "nd-name", credit},
			{"department: bad phone", "/admin/organisation/departments", with(newDept, "phone", "call us"), 400, "nd-phone", `value="call us"`},
			{"department edit: bad kind", "/admin/organisation/departments/" + deptID, with(editDept, "kind", "ministry"), 400, "dk-" + deptID, "ministry"},
			{"department edit: own parent", "/admin/organisation/departments/" + deptID, with(editDept, "parent_id", deptID), 400, "dp-" + deptID, "上级部门"},
			{"hall: the district has one", "/admin/organisation/halls", url.Values{"region_code": {"500102"}}, 409, "nh-region", "已有大厅"},
			{"hall: outside the administrator's", "/admin/organisation/halls", url.Values{"region_code": {"500100"}}, 403, "nh-region", "区划 500100"},
			{"hall: bad hours", "/admin/organisation/halls", url.Values{"region_code": {town}, "hours": {"1-5 17:00-09:00"}}, 400, "nh-hours", `value="1-5 17:00-09:00"`},
			{"hall: half a location", "/admin/organisation/halls", url.Values{"region_code": {town}, "lat": {"29.7"}}, 400, "nh-lng", `value="29.7"`},
			{"hall edit: bad phone", "/admin/organisation/halls/" + hallID, with(hall, "phone", "x"), 400, "h-phone", `value="x"`},
			{"hall edit: bad latitude", "/admin/organisation/halls/" + hallID, with(hall, "lat", "north", "lng", "107"), 400, "h-lat", `value="north"`},
			{"window: number taken", "/admin/organisation/halls/" + hallID + "/windows", with(win, "number", winNumber), 409, "wn-new", "专项窗口"},
			{"window: unknown item", "/admin/organisation/halls/" + hallID + "/windows", with(win, "items", "NOSUCHITEM"), 400, "wi-new", "NOSUCHITEM"},
			{"window: bad kind", "/admin/organisation/halls/" + hallID + "/windows", with(win, "kind", "vip"), 400, "wk-new", `value="77"`},
			{"window edit: another's number", "/admin/organisation/windows/" + winID, with(win, "number", otherWin, "active", "1"), 409, "wn-" + winID, "专项窗口"},
			{"window edit: no name", "/admin/organisation/windows/" + winID, with(win, "name", "", "active", "1"), 400, "wm-" + winID, `value="77"`},
		} {
			st, page := post(tc.path, tc.form)
			if st != tc.status || strings.Contains(page, `id="error-message"`) || !strings.Contains(page, `id="form-problem"`) {
				t.Errorf("%s: %d, want %d on the form's page", tc.name, st, tc.status)
				continue
			}
			if tc.input != "" && (!strings.Contains(page, `aria-invalid="true" aria-describedby="`) || !strings.Contains(page, `id="`+tc.input+`-err"`)) ||
				!strings.Contains(page, tc.want) {
				t.Errorf("%s: the field %s is not marked, or the form not as filled (%q)", tc.name, tc.input, tc.want)
			}
		}
		if after := orgCounts(t, d); after != before {
			t.Errorf("refused forms wrote: %v → %v", before, after)
		}
		// In English on an English page.
		st, page := post("/admin/organisation/departments?lang=en", with(newDept, "phone", "call us"))
		if st != 400 || !strings.Contains(page, "phone: ") || !strings.Contains(page, "phone number") {
			t.Errorf("English: %d", st)
		}

		// A village's hall: the customary name, the level's kind, hours and location.
		st, page = post("/admin/organisation/halls", url.Values{"region_code": {town}, "address": {"镇政府一楼"}, "phone": {"023-72000001"},
			"hours": {"1-5 09:00-12:00; 1-5 14:00-17:30"}, "lat": {"29.6"}, "lng": {"107.2"}})
		townName := q(`SELECT name FROM regions WHERE code = $1`, town)
		if st != 303 {
			t.Fatalf("create a village's hall: %d %s", st, page)
		}
		page = body(t, must(c.Get(ts.URL+"/admin/organisation/halls/"+q(`SELECT id FROM halls WHERE region_code = $1`, town))))
		if !strings.Contains(page, townName) || !strings.Contains(page, "便民服务站</h1>") || !strings.Contains(page, "村（社区）便民服务站") ||
			!strings.Contains(page, `value="1-5 09:00-12:00; 1-5 14:00-17:30"`) || !strings.Contains(page, `value="29.6"`) {
			t.Fatalf("the village's hall page: %s", page)
		}
		if n := q(`SELECT COUNT(*) FROM halls WHERE region_code = $1 AND phone = '023-72000001' AND address = '镇政府一楼'`, town); n != "1" {
			t.Errorf("the township's hall: %s rows", n)
		}
	})
}

// /admin/regions: the administrator's divisions as a tree of boxes, the
// served ones ticked. Unticking a township stops it and its villages (one
// audit record); a division with a hall cannot stop; an unknown code is
// refused; a refused form writes nothing and is shown as sent.
func TestRegionsPage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		c := ts.client()
		ts.webLogin(t, c, "admin")
		served := func() []string {
			t.Helper()
			rows, err := d.Reader().Query(`SELECT code FROM regions WHERE code LIKE '500102%' AND served = $1 ORDER BY code`, true)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var out []string
			for rows.Next() {
				var s string
				rows.Scan(&s)
				out = append(out, s)
			}
			return out
		}
		save := func(codes []string) (int, string) {
			t.Helper()
			form := url.Values{"csrf_token": {csrf(t, c, ts.URL+"/admin/regions")}, "served": codes}
			r, err := c.PostForm(ts.URL+"/admin/regions", form)
			if err != nil {
				t.Fatal(err)
			}
			return r.StatusCode, body(t, r)
		}
		r, _ := c.Get(ts.URL + "/admin/regions")
		page := body(t, r)
		all := served()
		if r.StatusCode != 200 || !strings.Contains(page, `id="r-500102" checked`) || !strings.Contains(page, `name="served" value="500102103000"`) {
			t.Fatalf("the regions page: %d", r.StatusCode)
		}
		// A township without items whose halls (the demo opens one in every
		// division) are closed.
		var town string
		if err := d.Reader().QueryRow(`SELECT MIN(code) FROM regions r WHERE level = 4 AND code LIKE '500102%' AND served = $1
			AND NOT EXISTS (SELECT 1 FROM items i WHERE i.region_code LIKE SUBSTR(r.code, 1, 9) || '%')
			AND EXISTS (SELECT 1 FROM regions v WHERE v.parent_code = r.code)`, true).Scan(&town); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Writer().Exec(`UPDATE halls SET active = $1 WHERE region_code LIKE $2`, false, codes.DivisionPrefix(town)+"%"); err != nil {
			t.Fatal(err)
		}
		before := orgCounts(t, d)
		// Nothing ticked: the district has its hall, 409, nothing written, shown as sent.
		without := func(prefix string) []string {
			var out []string
			for _, c := range all {
				if !strings.HasPrefix(c, prefix) {
					out = append(out, c)
				}
			}
			return out
		}
		st, page := save(nil)
		if st != 409 || !strings.Contains(page, `id="form-problem"`) || !strings.Contains(page, `id="r-500102">`) {
			t.Errorf("stopping a division with a hall: %d", st)
		}
		if st, _ := save(append(without(""), "500102", "999999999999")); st != 400 {
			t.Errorf("an unknown division: %d", st)
		}
		if st, _ := save(append(all, "500100")); st != 403 {
			t.Errorf("a division outside the administrator's: %d", st)
		}
		if after := orgCounts(t, d); after != before || len(served()) != len(all) {
			t.Fatalf("refused forms wrote: %v → %v", before, after)
		}
		// Unticking the township alone (its villages still ticked) stops them all.
		if st, _ = save(without(town)); st != 303 {
			t.Fatalf("stopping a township: %d", st)
		}
		if got, want := served(), without(town[:9]); len(got) != len(want) || len(want) >= len(all)-1 {
			t.Errorf("after stopping %s: %d served, want %d of %d", town, len(got), len(want), len(all))
		}
		if page := body(t, must(c.Get(ts.URL+"/admin/regions?done=1&served=0&unserved=2"))); strings.Contains(page, `id="r-`+town+`" checked`) ||
			!strings.Contains(page, `id="regions-done"`) {
			t.Error("the township is still ticked, or the change not reported")
		}
		var records int
		d.Reader().QueryRow(`SELECT COUNT(*) FROM (SELECT object_id FROM audit_pending WHERE action = 'region.served'
			UNION ALL SELECT object_id FROM audit_records WHERE action = 'region.served') a`).Scan(&records)
		if records != 1 {
			t.Errorf("%d audit records for one township stopped, want 1", records)
		}
		if st, _ := save(all); st != 303 || len(served()) != len(all) {
			t.Errorf("serving it again: %d, %d served", st, len(served()))
		}
	})
}

// 首次使用 on /admin lists what of the organisation is missing, each step
// linking to its page, until every one is done: the demo has everything,
// and once its windows are gone, everything but a window.
func TestFirstSteps(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		c := ts.client()
		ts.webLogin(t, c, "admin")
		if page := body(t, must(c.Get(ts.URL+"/admin"))); strings.Contains(page, `id="first-steps"`) {
			t.Error("the demo's /admin shows first steps although every one is done")
		}
		for _, q := range []string{`DELETE FROM window_items`, `DELETE FROM window_departments`, `DELETE FROM windows`} {
			if _, err := d.Writer().Exec(q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		page := body(t, must(c.Get(ts.URL+"/admin")))
		for _, want := range []string{`id="first-steps"`, `<li id="first-window" data-done="false"><a href="/admin/organisation#halls">`,
			`<li id="first-regions" data-done="true"><a href="/admin/regions">`, `<li id="first-department" data-done="true">`,
			`<li id="first-hall" data-done="true">`, `<li id="first-staff" data-done="true"><a href="/admin/staff">`, `<li id="first-item" data-done="true"><a href="/admin/catalog/new">`} {
			if !strings.Contains(page, want) {
				t.Errorf("/admin lacks %s", want)
			}
		}
		var hallID string
		if err := d.Reader().QueryRow(`SELECT id FROM halls WHERE region_code = '500102'`).Scan(&hallID); err != nil {
			t.Fatal(err)
		}
		form := url.Values{"csrf_token": {csrf(t, c, ts.URL+"/admin")}, "number": {"1"}, "name": {"综合窗口"}, "kind": {"comprehensive"}}
		if r, err := c.PostForm(ts.URL+"/admin/organisation/halls/"+hallID+"/windows", form); err != nil || r.StatusCode != 303 {
			t.Fatalf("a window: %v %v", r, err)
		}
		if page := body(t, must(c.Get(ts.URL+"/admin"))); strings.Contains(page, `id="first-steps"`) {
			t.Error("the first steps are still shown once every one is done")
		}
	})
}
