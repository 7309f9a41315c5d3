package server

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
)

func TestCatalogPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		c := ts.client()
		get := func(path string) (int, string) {
			r, err := c.Get(ts.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			return r.StatusCode, body(t, r)
		}
		st, home := get("/")
		if st != 200 || !strings.Contains(home, "高频事项") || !strings.Contains(home, "企业开办一件事") {
			t.Fatalf("home: %d", st)
		}
		st, list := get("/items?q=" + url.QueryEscape("宅基地"))
		// The district's item, offered to the townships, and the three demo towns' adoptions of it.
		if st != 200 || strings.Count(list, `class="item-name"`) != 4 {
			t.Errorf("search page: %d %d results", st, strings.Count(list, `class="item-name"`))
		}
		// Browsing by town keeps the query, whose items the counts are (issue 17).
		if !strings.Contains(list, `href="/items?q=`+url.QueryEscape("宅基地")+`&amp;region=500102119000"`) {
			t.Error("no browsing by town")
		}
		if st, all := get("/items"); st != 200 || !strings.Contains(all, `href="/items?region=500102119000"`) {
			t.Error("no browsing by town without a query")
		}
		// Everyday words find the bundle and the life event (issue 17).
		if st, birth := get("/items?q=" + url.QueryEscape("生孩子")); st != 200 || !strings.Contains(birth, `href="/bundles/xsecs"`) ||
			!strings.Contains(birth, `href="/items?event=birth"`) || !strings.Contains(birth, "出生医学证明首次签发") {
			t.Errorf("生孩子: %d", st)
		}
		if st, town := get("/items?region=500102119000"); st != 200 || strings.Count(town, `class="item-name"`) != 6 {
			t.Errorf("珍溪镇: %d, %d items", st, strings.Count(town, `class="item-name"`))
		}
		// Issue 14: a page number past the bound (or past int) shows a page,
		// never a 500; search text past its bound is refused with a 400.
		for _, page := range []string{"10001", "99999999999999999999", "9223372036854775807"} {
			if st, _ := get("/items?page=" + page); st != 200 {
				t.Errorf("items page %s: %d", page, st)
			}
		}
		if st, b := get("/items?q=" + url.QueryEscape(strings.Repeat("宅基地", 22))); st != 400 || !strings.Contains(b, "64") {
			t.Errorf("long search: %d", st)
		}
		res, _ := catalog.New(d).Search(t.Context(), catalog.Query{Q: "残疾人证新办"})
		code := res.Items[0].ImplCode
		st, frag := get("/items/" + code + "/materials?a.category=mental&a.minor=no&a.by_agent=no")
		if st != 200 || !strings.Contains(frag, `data-key="guardian"`) || strings.Contains(frag, "<html") {
			t.Errorf("materials fragment: %d", st)
		}
		_, frag = get("/items/" + code + "/materials?a.category=vision&a.minor=no&a.by_agent=no")
		if strings.Contains(frag, `data-key="guardian"`) {
			t.Error("guardian material listed for a sight impairment")
		}
		if st, _ := get("/items/NOPE"); st != 404 {
			t.Errorf("unknown item: %d", st)
		}
		// The form pre-check, with CSRF, names the bad field.
		tok := csrf(t, c, ts.URL+"/items/"+code)
		r, _ := c.PostForm(ts.URL+"/items/"+code+"/check", url.Values{"csrf_token": {tok}, "applicant_name": {"王五"},
			"applicant_id": {"500102198506120010"}, "applicant_phone": {"123"}})
		page := body(t, r)
		if r.StatusCode != 200 || !strings.Contains(page, "应为手机号码") || !strings.Contains(page, "校验码错误") {
			t.Errorf("pre-check: %d", r.StatusCode)
		}
		if r, _ := c.PostForm(ts.URL+"/items/"+code+"/check", url.Values{"applicant_name": {"x"}}); r.StatusCode != 403 {
			t.Errorf("pre-check without CSRF: %d", r.StatusCode)
		}

		// Administration needs the role.
		if st, _ := get("/admin/catalog"); st != http.StatusSeeOther {
			t.Errorf("anonymous admin catalog: %d", st)
		}
		ts.webLogin(t, c, "admin")
		st, adm := get("/admin/catalog")
		if st != 200 || !strings.Contains(adm, code) {
			t.Fatalf("admin catalog: %d", st)
		}
		// A workbook with a bad cell imports nothing and names the cell.
		ex, _ := catalog.New(d).Export(t.Context(), "500102")
		ex.Items[2].Visits = 12
		var xl bytes.Buffer
		ex.WriteXLSX(&xl)
		var form bytes.Buffer
		mw := multipart.NewWriter(&form)
		mw.WriteField("csrf_token", csrf(t, c, ts.URL+"/admin/catalog"))
		mw.WriteField("publish", "1")
		fw, _ := mw.CreateFormFile("file", "catalog.xlsx")
		fw.Write(xl.Bytes())
		mw.Close()
		r, _ = c.Post(ts.URL+"/admin/catalog/import", mw.FormDataContentType(), &form)
		page = body(t, r)
		if r.StatusCode != 400 || !strings.Contains(page, "工作表") && !strings.Contains(page, "事项!R4") {
			t.Errorf("bad import: %d %s", r.StatusCode, page[strings.Index(page, "<main"):][:600])
		}
		// Editing: a bad JSON part is reported, not stored.
		tok = csrf(t, c, ts.URL+"/admin/catalog/items/"+code)
		r, _ = c.PostForm(ts.URL+"/admin/catalog/items/"+code, url.Values{"csrf_token": {tok}, "action": {"save"}, "name": {"残疾人证新办"},
			"promised_limit": {"15"}, "handling": {"2"}, "depth_level": {"3"}, "visits": {"1"}, "form": {"[{"}})
		page = body(t, r)
		if r.StatusCode != 400 || !strings.Contains(page, "不是有效的 JSON") {
			t.Errorf("bad JSON edit: %d", r.StatusCode)
		}
		// A bundle made in the console: an unknown item is refused with its code, then it is saved.
		tok = csrf(t, c, ts.URL+"/admin/catalog/bundles/new")
		bundle := url.Values{"csrf_token": {tok}, "code": {"lxbz"}, "name": {"灵活就业一件事"}, "subject": {"personal"},
			"published": {"1"}, "items": {"NOPE\n" + code}}
		r, _ = c.PostForm(ts.URL+"/admin/catalog/bundles/new", bundle)
		if page := body(t, r); r.StatusCode != 400 || !strings.Contains(page, "NOPE") {
			t.Errorf("bundle with an unknown item: %d", r.StatusCode)
		}
		other, _ := catalog.New(d).Search(t.Context(), catalog.Query{Q: "就业创业证"})
		bundle.Set("items", code+"\n"+other.Items[0].ImplCode)
		r, _ = c.PostForm(ts.URL+"/admin/catalog/bundles/new", bundle)
		if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/admin/catalog/bundles/lxbz?done=saved" {
			t.Errorf("save bundle: %d %s", r.StatusCode, r.Header.Get("Location"))
		}
		if st, page := get("/bundles/lxbz"); st != 200 || !strings.Contains(page, "灵活就业一件事") {
			t.Errorf("new bundle page: %d", st)
		}
		// The clerk's intake view renders the same form.
		c2 := ts.client()
		ts.webLogin(t, c2, "clerk")
		r, _ = c2.Get(ts.URL + "/workbench/intake?code=" + code)
		if page := body(t, r); r.StatusCode != 200 || !strings.Contains(page, `id="apply"`) {
			t.Errorf("intake: %d", r.StatusCode)
		}
	})
}
