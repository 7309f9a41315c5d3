package server

import (
	"bytes"
	"mime/multipart"
	"net/url"
	"strings"
	"testing"

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
