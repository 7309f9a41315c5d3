package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/site"
	"github.com/tongban/tongban/internal/vault"
	"github.com/tongban/tongban/internal/workbook"
)

// staffBook writes a staff workbook of the given sheets (header row first).
func staffBook(t *testing.T, sheets map[string][][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	first := true
	for _, name := range []string{identity.SheetStaff, identity.SheetGrants} {
		if rows, ok := sheets[name]; ok {
			if err := workbook.WriteSheet(f, name, rows, first); err != nil {
				t.Fatal(err)
			}
			first = false
		}
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

var (
	staffHead = []any{"用户名 (username)", "姓名 (name)", "办公电话 (phone)", "停用 (disabled)"}
	grantHead = []any{"用户名 (username)", "角色 (role)", "部门 (department_credit_code)", "区划 (region_code)"}
)

// download GETs path with the bearer token and answers the body.
func download(t *testing.T, u, tok string) []byte {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	r, err := http.DefaultClient.Do(req)
	if err != nil || r.StatusCode != 200 {
		t.Fatalf("GET %s: %v %v", u, r, err)
	}
	return []byte(body(t, r))
}

// faultsOf joins the messages of an error answer's details.
func faultsOf(m map[string]any) []string {
	var out []string
	det, _ := m["details"].([]any)
	for _, d := range det {
		out = append(out, d.(map[string]any)["message"].(string))
	}
	return out
}

type staffKey struct {
	Username, Name, Phone string
	Disabled              bool
	Grants                string
}

// staffSet is an export's accounts with their grants (departments by credit
// code: ids differ between installations), sorted.
func staffSet(t *testing.T, b []byte) map[string]staffKey {
	t.Helper()
	var ex identity.StaffExchange
	if err := json.Unmarshal(b, &ex); err != nil {
		t.Fatal(err)
	}
	out := map[string]staffKey{}
	for _, r := range ex.Staff {
		var gs []string
		for _, g := range r.Grants {
			gs = append(gs, g.Role+"|"+g.DepartmentCreditCode+"|"+g.RegionCode)
		}
		slices.Sort(gs)
		out[r.Username] = staffKey{r.Username, r.Name, r.Phone, r.Disabled, strings.Join(gs, ",")}
	}
	return out
}

// The staff exchange as a workbook (issue 15): the installation's staff
// exported as xlsx and imported into a fresh installation (set up, its
// departments from the organisation's export) reproduces every account and
// grant; the imported accounts must change their one-time passwords.
func TestStaffXLSXRoundTrip(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		ctx := context.Background()
		api := ts.URL + "/api/v1"
		adm := apiToken(t, api, "admin")
		// A disabled account with a phone, to travel too.
		st, m := apiCall(t, "POST", api+"/admin/staff", adm, `{"username":"xlsx-handler","name":"徐承办","phone":"023-7222 0001","grants":[{"role":"handler","department_id":"`+deptID(t, d, amrName)+`"},{"role":"clerk","region_code":"`+townRegion+`"}]}`)
		if st != 201 {
			t.Fatalf("create: %d %v", st, m)
		}
		if st, m = apiCall(t, "PATCH", api+"/admin/staff/"+m["staff"].(map[string]any)["id"].(string), adm, `{"disabled":true}`); st != 200 {
			t.Fatalf("disable: %d %v", st, m)
		}
		xl := download(t, api+"/admin/staff-exchange?format=xlsx", adm)
		want := staffSet(t, download(t, api+"/admin/staff-exchange", adm))
		if len(want) < 10 || !want["xlsx-handler"].Disabled {
			t.Fatalf("export: %v", want)
		}
		orgJSON := download(t, api+"/admin/organisation/export?format=json", adm)

		// The fresh installation.
		var fresh *db.DB
		if d.Dialect == db.Postgres {
			fresh = dbtest.Postgres(t)
		} else {
			fresh = dbtest.SQLite(t)
		}
		v, _ := vault.New(vault.NewKey())
		ids := identity.NewService(fresh, v)
		s := &site.Setup{Info: site.Info{Region: "500102", CentreName: "重庆市涪陵区政务服务中心", CentreAddress: "涪陵区太白大道 18 号", CentrePhone: "023-72222222",
			HostOrg: "重庆市涪陵区人民政府办公室", Contact: "fl@example.gov.cn", ICP: "渝ICP备12345678号-1"},
			AdminUsername: "itadmin", AdminName: "李明", AdminPassword: "a county secret"}
		res, err := site.Run(ctx, fresh, ids, s)
		if err != nil {
			t.Fatal(err)
		}
		var org catalog.OrgExchange
		if err := json.Unmarshal(orgJSON, &org); err != nil {
			t.Fatal(err)
		}
		org.Halls, org.Windows = []catalog.OrgHall{}, []catalog.OrgWindow{}
		if _, err := catalog.New(fresh).ImportOrganisation(ctx, res.Admin, &org, nil); err != nil {
			t.Fatal(err)
		}
		ex, loc, err := identity.ReadStaffXLSX(bytes.NewReader(xl))
		if err != nil {
			t.Fatal(err)
		}
		created, err := ids.ImportStaffFrom(ctx, res.Admin, "500102", *ex, loc)
		if err != nil {
			t.Fatalf("import into the fresh installation: %v %v", err, faultsOfErr(err))
		}
		if len(created) != len(want) {
			t.Errorf("created %d, want %d", len(created), len(want))
		}
		again, err := ids.ExportStaff(ctx, res.Admin)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(again)
		got := staffSet(t, b)
		delete(got, "itadmin")
		for name, w := range want {
			if got[name] != w {
				t.Errorf("%s: got %+v, want %+v", name, got[name], w)
			}
		}
		if len(got) != len(want) {
			t.Errorf("%d accounts after the import, want %d", len(got), len(want))
		}
		u, err := ids.UserByUsername(ctx, "handler")
		if err != nil || !u.MustChangePassword {
			t.Errorf("an imported account keeps no one-time password: %v %+v", err, u)
		}
	})
}

// faultsOfErr lists the faults of a refused import, for a test's message.
func faultsOfErr(err error) []string {
	var out []string
	for _, d := range apperr.As(err).Details {
		out = append(out, d.Key+" "+fmt.Sprint(d.Args))
	}
	return out
}

const workbookType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// Every fault of a staff workbook is named by its sheet, row and column,
// and a workbook with any imports nothing: first the file's own faults
// (columns, cells, grants of unknown accounts), then the import's (user
// names, names, phones, roles, departments, regions, accounts without a
// grant); a grant beyond the importer's is 403 with nothing written.
func TestStaffXLSXFaults(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		api := ts.URL + "/api/v1"
		ts.scopedStaff(t, "town-admin", identity.Grant{Role: identity.RoleAdmin, RegionCode: townRegion})
		adm, town := apiToken(t, api, "admin"), apiToken(t, api, "town-admin")
		var amrCode string
		if err := d.Reader().QueryRow(`SELECT credit_code FROM departments WHERE name = $1`, amrName).Scan(&amrCode); err != nil {
			t.Fatal(err)
		}
		count := func() int {
			var n int
			d.Reader().QueryRow(`SELECT count(*) FROM users WHERE kind = 'staff'`).Scan(&n)
			return n
		}
		before := count()
		post := func(tok string, b []byte) (int, map[string]any) {
			return apiCall(t, "POST", api+"/admin/staff-exchange?format=xlsx", tok, string(b), "Content-Type", workbookType)
		}
		expect := func(what string, st int, m map[string]any, code int, faults ...string) {
			t.Helper()
			got := faultsOf(m)
			if st != code || len(got) != len(faults) {
				t.Fatalf("%s: %d %v, want %d and %d faults", what, st, got, code, len(faults))
			}
			for i, f := range faults {
				if !strings.HasPrefix(got[i], f) {
					t.Errorf("%s fault %d: %q, want %q…", what, i, got[i], f)
				}
			}
			if count() != before {
				t.Fatalf("%s: accounts written", what)
			}
		}

		// The file's own faults.
		st, m := post(adm, staffBook(t, map[string][][]any{
			identity.SheetStaff:  {{"用户名 (username)", "姓名 (name)", "停用 (disabled)", "备注"}, {"xl-a", "甲", "也许"}, {"xl-a", "乙"}},
			identity.SheetGrants: {grantHead, {"xl-b", "handler", amrCode, ""}},
		}))
		expect("file faults", st, m, 400,
			"工作表“人员”第 1 行 D 列：无法识别的列标题“备注”",
			"工作表“人员”第 1 行 E 列：缺少列 (phone)",
			"工作表“人员”第 2 行 C 列：“也许”不是“是”或“否”",
			"工作表“人员”第 3 行 A 列：用户名“xl-a”出现两次（另见 人员!A2）",
			"工作表“授权”第 2 行 A 列：用户名“xl-b”不在“人员”工作表中")
		st, m = post(adm, staffBook(t, map[string][][]any{identity.SheetStaff: {staffHead, {"xl-a", "甲", "", ""}}}))
		expect("no grants sheet", st, m, 400, "工作表“授权”第 1 行 A 列：缺少工作表“授权”")
		st, m = apiCall(t, "POST", api+"/admin/staff-exchange?format=xlsx", adm, "not a workbook")
		if st != 400 || m["message_key"] != "workbook.unreadable" {
			t.Errorf("not a workbook: %d %v", st, m)
		}

		// The import's faults, each at its cell.
		st, m = post(adm, staffBook(t, map[string][][]any{
			identity.SheetStaff: {staffHead,
				{"x", "短名", "", ""},       // row 2: user name format
				{"handler", "重名", "", ""}, // row 3: taken
				{"xl-c", "", "电话", ""},    // row 4: name required, phone format
				{"xl-d", "丁", "", ""},     // row 5: a bad role, an unknown department, an unknown region
				{"xl-e", "戊", "", ""},     // row 6: no grant
			},
			identity.SheetGrants: {grantHead,
				{"x", "handler", amrCode, ""},
				{"handler", "handler", amrCode, ""},
				{"xl-c", "handler", amrCode, ""},
				{"xl-d", "boss", amrCode, ""},                 // row 5
				{"xl-d", "handler", "91500102MA00000000", ""}, // row 6
				{"xl-d", "clerk", "", "500102999000"},         // row 7
			},
		}))
		expect("import faults", st, m, 400,
			"人员!A2：", "人员!A3：", "人员!B4：", "人员!C4：", "授权!C6：", "人员!A6：")
		if all := strings.Join(faultsOf(m), "\n"); !strings.Contains(all, "没有统一社会信用代码为 91500102MA00000000 的部门") || !strings.Contains(all, "“handler”已被使用") {
			t.Errorf("messages: %s", all)
		}
		// The role and region faults show once the department is known.
		st, m = post(adm, staffBook(t, map[string][][]any{
			identity.SheetStaff:  {staffHead, {"xl-d", "丁", "", ""}, {"xl-f", "庚", "", ""}},
			identity.SheetGrants: {grantHead, {"xl-d", "boss", amrCode, ""}, {"xl-f", "clerk", "", "500102999000"}},
		}))
		expect("role and region", st, m, 400, "授权!B2：", "授权!D3：")

		// A town's administrator gives a district grant: 403, nothing written.
		st, m = post(town, staffBook(t, map[string][][]any{
			identity.SheetStaff:  {staffHead, {"xl-g", "辛", "", ""}},
			identity.SheetGrants: {grantHead, {"xl-g", "handler", amrCode, ""}},
		}))
		expect("overreach", st, m, 403, "授权!A2：")
		// … and a supervisor, a role above theirs, inside their own town.
		st, m = post(town, staffBook(t, map[string][][]any{
			identity.SheetStaff:  {staffHead, {"xl-h", "壬", "", ""}},
			identity.SheetGrants: {grantHead, {"xl-h", "supervisor", "", townRegion}},
		}))
		expect("role above", st, m, 403, "授权!B2：")

		// JSON: the credit code decides; an id of another installation is
		// passed over, an id of another department here is a fault.
		st, m = apiCall(t, "POST", api+"/admin/staff-exchange", adm, `{"format":"tongban-staff/1","staff":[{"username":"json-x","name":"癸","grants":[{"role":"handler","department_id":"`+deptID(t, d, govName)+`","department_credit_code":"`+amrCode+`"}]}]}`)
		expect("contradiction", st, m, 400, "staff[0]：grants[0].department_id：")
		st, m = apiCall(t, "POST", api+"/admin/staff-exchange", adm, `{"format":"tongban-staff/1","staff":[{"username":"json-x","name":"癸","grants":[{"role":"handler","department_id":"elsewhere-0001","department_credit_code":"`+amrCode+`"}]}]}`)
		if st != 201 {
			t.Fatalf("an id of another installation: %d %v", st, m)
		}
		if u, err := ts.ids.UserByUsername(context.Background(), "json-x"); err != nil || u.Grants[0].DepartmentID != deptID(t, d, amrName) {
			t.Fatalf("imported grant: %v %+v", err, u)
		}
		before++

		// The same file without faults imports.
		st, m = post(town, staffBook(t, map[string][][]any{
			identity.SheetStaff:  {staffHead, {"xl-h", "壬", "023-1234567", "否"}},
			identity.SheetGrants: {grantHead, {"xl-h", "clerk", "", townRegion}},
		}))
		if created, _ := m["created"].([]any); st != 201 || len(created) != 1 || count() != before+1 {
			t.Fatalf("import: %d %v", st, m)
		}
	})
}

// On /admin/staff the administrator downloads the workbook and uploads
// one: faults are listed by sheet, row and column with nothing imported;
// a good file shows each created account's one-time password once.
func TestStaffXLSXPage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		c := ts.client()
		ts.webLogin(t, c, "admin")
		r, _ := c.Get(ts.URL + "/admin/staff")
		page := body(t, r)
		if !strings.Contains(page, `href="/admin/staff-exchange?format=xlsx"`) || !strings.Contains(page, `id="staff-import"`) {
			t.Fatal("no export link or import form on /admin/staff")
		}
		r, _ = c.Get(ts.URL + "/admin/staff-exchange?format=xlsx")
		if xl := body(t, r); r.StatusCode != 200 || r.Header.Get("Content-Type") != workbookType || !strings.HasPrefix(xl, "PK") {
			t.Fatalf("export: %d %s", r.StatusCode, r.Header.Get("Content-Type"))
		}
		tok := csrfRE.FindStringSubmatch(page)[1]
		upload := func(name string, b []byte) (*http.Response, string) {
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			mw.WriteField("csrf_token", tok)
			fw, _ := mw.CreateFormFile("file", name)
			fw.Write(b)
			mw.Close()
			r, err := c.Post(ts.URL+"/admin/staff-exchange", mw.FormDataContentType(), &buf)
			if err != nil {
				t.Fatal(err)
			}
			return r, body(t, r)
		}
		var amrCode string
		if err := d.Reader().QueryRow(`SELECT credit_code FROM departments WHERE name = $1`, amrName).Scan(&amrCode); err != nil {
			t.Fatal(err)
		}
		r, b := upload("staff.xlsx", staffBook(t, map[string][][]any{
			identity.SheetStaff:  {staffHead, {"web-xl", "网页导入", "", ""}, {"web-xl2", "", "", ""}},
			identity.SheetGrants: {grantHead, {"web-xl", "handler", amrCode, ""}, {"web-xl2", "handler", amrCode, ""}},
		}))
		if r.StatusCode != 400 || !strings.Contains(b, `id="staff-import-faults"`) || !strings.Contains(b, "人员!B3") {
			t.Fatalf("faulty upload: %d %s", r.StatusCode, b)
		}
		if _, err := ts.ids.UserByUsername(context.Background(), "web-xl"); err == nil {
			t.Fatal("a faulty upload created an account")
		}
		r, b = upload("staff.xlsx", staffBook(t, map[string][][]any{
			identity.SheetStaff:  {staffHead, {"web-xl", "网页导入", "", ""}},
			identity.SheetGrants: {grantHead, {"web-xl", "handler", amrCode, ""}},
		}))
		if r.StatusCode != 200 || !strings.Contains(b, `id="staff-imported"`) || r.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("upload: %d %s", r.StatusCode, b)
		}
		u, err := ts.ids.UserByUsername(context.Background(), "web-xl")
		if err != nil || !u.MustChangePassword {
			t.Fatalf("imported: %v %+v", err, u)
		}
		if !regexp.MustCompile(`<code>[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}</code>`).MatchString(b) {
			t.Error("no one-time password shown")
		}
	})
}
