package server

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/demo"
	"github.com/tongban/tongban/internal/identity"
)

// auditCount counts the audit records of action about user id naming
// actor, sequenced or not yet.
func auditCount(t *testing.T, d *db.DB, action, id, actor string) int {
	t.Helper()
	var n int
	if err := d.Reader().QueryRow(`SELECT (SELECT count(*) FROM audit_records WHERE action = $1 AND object_type = 'user' AND object_id = $2 AND actor_id = $3)
		+ (SELECT count(*) FROM audit_pending WHERE action = $1 AND object_type = 'user' AND object_id = $2 AND actor_id = $3)`,
		action, id, actor).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Staff administration through the API (issue 15): the installation's
// administrator creates a handler; the handler logs in with the one-time
// password, can do nothing but change it, then works; every change is
// audited with the administrator's name.
func TestStaffAdministrationAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		api := ts.URL + "/api/v1"
		adm := apiToken(t, api, "admin")
		admin, _ := ts.ids.UserByUsername(context.Background(), "admin")
		amr := deptID(t, d, amrName)

		st, m := apiCall(t, "POST", api+"/admin/staff", adm, `{"username":"wang-handler","name":"王承办","phone":"023-7222 1234",
			"grants":[{"role":"handler","department_id":"`+amr+`"},{"role":"reviewer","department_id":"`+amr+`"}]}`)
		if st != http.StatusCreated {
			t.Fatalf("create: %d %v", st, m)
		}
		otp, _ := m["one_time_password"].(string)
		staff := m["staff"].(map[string]any)
		id := staff["id"].(string)
		if len(otp) < 16 || staff["must_change_password"] != true || len(staff["grants"].([]any)) != 2 {
			t.Fatalf("created: %v", m)
		}
		if auditCount(t, d, "staff.create", id, admin.ID) != 1 {
			t.Error("no staff.create record naming the administrator")
		}
		// A duplicate user name: 409, nothing written.
		st, m = apiCall(t, "POST", api+"/admin/staff", adm, `{"username":"wang-handler","name":"另一个","grants":[{"role":"handler","department_id":"`+amr+`"}]}`)
		if st != http.StatusConflict || m["message_key"] != "auth.username_taken" {
			t.Errorf("duplicate: %d %v", st, m)
		}

		// The handler logs in with the one-time password: only the change is open.
		st, m = apiCall(t, "POST", api+"/auth/login", "", `{"username":"wang-handler","password":"`+otp+`"}`)
		if st != 200 || m["user"].(map[string]any)["must_change_password"] != true {
			t.Fatalf("login with the one-time password: %d %v", st, m)
		}
		tok := m["token"].(string)
		if st, m = apiCall(t, "GET", api+"/cases", tok, ""); st != http.StatusForbidden || m["message_key"] != "auth.password_change_required" {
			t.Fatalf("before the change: %d %v", st, m)
		}
		for _, c := range []struct{ body, key string }{
			{`{"current_password":"wrong-password","new_password":"wang-new-password"}`, "auth.password_current_wrong"},
			{`{"current_password":"` + otp + `","new_password":"short"}`, "auth.password_short"},
			{`{"current_password":"` + otp + `","new_password":"` + otp + `"}`, "auth.password_same"},
		} {
			if st, m = apiCall(t, "POST", api+"/me/password", tok, c.body); st != 400 || m["message_key"] != c.key {
				t.Errorf("change %s: %d %v", c.body, st, m)
			}
		}
		if st, m = apiCall(t, "POST", api+"/me/password", tok, `{"current_password":"`+otp+`","new_password":"wang-new-password"}`); st != http.StatusNoContent {
			t.Fatalf("change: %d %v", st, m)
		}
		if st, m = apiCall(t, "GET", api+"/cases", tok, ""); st != 200 {
			t.Fatalf("after the change the handler works: %d %v", st, m)
		}
		if st, _ = apiCall(t, "POST", api+"/auth/login", "", `{"username":"wang-handler","password":"`+otp+`"}`); st != http.StatusUnauthorized {
			t.Errorf("the one-time password still opens: %d", st)
		}

		// Edit, move, disable, enable, reset, unlock: each audited.
		gov := deptID(t, d, govName)
		for _, c := range []struct {
			method, path, body, action string
		}{
			{"PATCH", "", `{"name":"王承办（窗口）","phone":""}`, "staff.update"},
			{"PATCH", "", `{"department_id":"` + gov + `"}`, "staff.grants"},
			{"PUT", "/grants", `{"grants":[{"role":"handler","department_id":"` + amr + `"}]}`, "staff.grants"},
			{"POST", "/unlock", ``, "staff.unlock"},
			{"POST", "/second-factor/reset", ``, "staff.second_factor_reset"},
			{"PATCH", "", `{"disabled":true}`, "staff.update"},
		} {
			st, m = apiCall(t, c.method, api+"/admin/staff/"+id+c.path, adm, c.body)
			if st != 200 {
				t.Fatalf("%s %s %s: %d %v", c.method, c.path, c.body, st, m)
			}
			if auditCount(t, d, c.action, id, admin.ID) == 0 {
				t.Errorf("%s %s: no %s record naming the administrator", c.method, c.path, c.action)
			}
		}
		if m["disabled"] != true || m["grants"].([]any)[0].(map[string]any)["department_id"] != amr {
			t.Errorf("after the changes: %v", m)
		}
		if st, _ = apiCall(t, "GET", api+"/cases", tok, ""); st != http.StatusUnauthorized && st != http.StatusForbidden {
			t.Errorf("a disabled account's session still works: %d", st)
		}
		apiCall(t, "PATCH", api+"/admin/staff/"+id, adm, `{"disabled":false}`)
		st, m = apiCall(t, "POST", api+"/admin/staff/"+id+"/password", adm, "")
		otp2, _ := m["one_time_password"].(string)
		if st != 200 || otp2 == "" || otp2 == otp {
			t.Fatalf("reset password: %d %v", st, m)
		}
		st, m = apiCall(t, "POST", api+"/auth/login", "", `{"username":"wang-handler","password":"`+otp2+`"}`)
		if st != 200 || m["user"].(map[string]any)["must_change_password"] != true {
			t.Errorf("login after reset: %d %v", st, m)
		}

		// The list: filters, search, paging.
		for q, want := range map[string]int{
			"?q=wang":                            1,
			"?q=王承办":                             1,
			"?role=handler&department_id=" + amr: -1,
			"?disabled=true":                     0,
			"?per_page=1&page=2":                 1,
		} {
			st, m = apiCall(t, "GET", api+"/admin/staff"+strings.ReplaceAll(q, "王承办", "%E7%8E%8B%E6%89%BF%E5%8A%9E"), adm, "")
			got := len(m["staff"].([]any))
			if st != 200 || (want >= 0 && got != want) || (want < 0 && got < 2) {
				t.Errorf("list %s: %d, %d staff %v", q, st, got, m["total"])
			}
		}
		for q, key := range map[string]string{"disabled=maybe": "staff.filter_disabled", "page=10001": "staff.page_invalid", "page=x": "staff.page_invalid",
			"q=" + strings.Repeat("a", 65): "staff.query_long", "role=king": "staff.grant_role", "region=99": "staff.grant_region_unknown"} {
			if st, m = apiCall(t, "GET", api+"/admin/staff?"+q, adm, ""); st != 400 || m["message_key"] != key {
				t.Errorf("bad filter %s: %d %v", q, st, m)
			}
		}
	})
}

// Each overreach of staff administration is refused with its own message,
// and writes nothing.
func TestStaffAdministrationRefusals(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		api := ts.URL + "/api/v1"
		ctx := context.Background()
		amr := deptID(t, d, amrName)
		var townGov string
		if err := d.Reader().QueryRow(`SELECT id FROM departments WHERE region_code = $1`, townRegion).Scan(&townGov); err != nil {
			t.Fatal(err)
		}
		ts.scopedStaff(t, "town-admin", identity.Grant{Role: identity.RoleAdmin, RegionCode: townRegion})
		adm, town := apiToken(t, api, "admin"), apiToken(t, api, "town-admin")
		handler, _ := ts.ids.UserByUsername(ctx, "handler")
		admin, _ := ts.ids.UserByUsername(ctx, "admin")
		townAdmin, _ := ts.ids.UserByUsername(ctx, "town-admin")
		zhangsan, _ := ts.ids.UserByUsername(ctx, "zhangsan")
		staffCount := func() int {
			var n int
			d.Reader().QueryRow(`SELECT count(*) FROM users WHERE kind = 'staff'`).Scan(&n)
			return n
		}
		before := staffCount()
		newStaff := func(grants string) string {
			return `{"username":"new-one","name":"新人","grants":[` + grants + `]}`
		}
		for _, c := range []struct {
			name, token, method, path, body string
			status                          int
			key                             string
		}{
			{"town admin grants a district role", town, "POST", "/admin/staff", newStaff(`{"role":"handler","department_id":"` + amr + `"}`), 403, "staff.grant_outside"},
			{"town admin grants in another town", town, "POST", "/admin/staff", newStaff(`{"role":"clerk","region_code":"500102107000"}`), 403, "staff.grant_outside"},
			{"town admin grants admin", town, "POST", "/admin/staff", newStaff(`{"role":"admin","region_code":"` + townRegion + `"}`), 403, "staff.grant_above"},
			{"town admin grants supervisor", town, "POST", "/admin/staff", newStaff(`{"role":"supervisor","department_id":"` + townGov + `","region_code":"` + townRegion + `"}`), 403, "staff.grant_above"},
			{"unknown region", adm, "POST", "/admin/staff", newStaff(`{"role":"clerk","region_code":"500102999000"}`), 400, "staff.grant_region_unknown"},
			{"unknown department", adm, "POST", "/admin/staff", newStaff(`{"role":"handler","department_id":"nope"}`), 400, "staff.grant_department_unknown"},
			{"department outside its region", adm, "POST", "/admin/staff", newStaff(`{"role":"handler","department_id":"` + townGov + `","region_code":"500102107000"}`), 400, "staff.grant_department_region"},
			{"no scope", adm, "POST", "/admin/staff", newStaff(`{"role":"handler"}`), 400, "staff.grant_scope"},
			{"applicant role", adm, "POST", "/admin/staff", newStaff(`{"role":"applicant","region_code":"500102"}`), 400, "staff.grant_role"},
			{"clerk without region", adm, "POST", "/admin/staff", newStaff(`{"role":"clerk","department_id":"` + amr + `"}`), 400, "staff.grant_region_required"},
			{"no grants", adm, "POST", "/admin/staff", newStaff(``), 400, "staff.grants_required"},
			{"repeated grant", adm, "POST", "/admin/staff", newStaff(`{"role":"handler","department_id":"` + amr + `"},{"role":"handler","department_id":"` + amr + `"}`), 400, "staff.grant_repeated"},
			{"bad user name", adm, "POST", "/admin/staff", `{"username":"a b","name":"x","grants":[{"role":"handler","department_id":"` + amr + `"}]}`, 400, "auth.username_format"},
			{"no name", adm, "POST", "/admin/staff", `{"username":"new-one","name":" ","grants":[{"role":"handler","department_id":"` + amr + `"}]}`, 400, "error.field_required"},
			{"bad phone", adm, "POST", "/admin/staff", `{"username":"new-one","name":"x","phone":"call me","grants":[{"role":"handler","department_id":"` + amr + `"}]}`, 400, "staff.phone_format"},
			{"a handler is no administrator", apiToken(t, api, "handler"), "POST", "/admin/staff", newStaff(`{"role":"handler","department_id":"` + amr + `"}`), 403, "error.forbidden"},
			{"town admin reads a district handler", town, "GET", "/admin/staff/" + handler.ID, "", 404, "staff.unknown"},
			{"town admin disables a district handler", town, "PATCH", "/admin/staff/" + handler.ID, `{"disabled":true}`, 404, "staff.unknown"},
			{"town admin changes own grants", town, "PUT", "/admin/staff/" + townAdmin.ID + "/grants", `{"grants":[{"role":"admin","region_code":"500102"}]}`, 403, "staff.account_above"},
			{"self-grant", adm, "PUT", "/admin/staff/" + admin.ID + "/grants", `{"grants":[{"role":"admin","region_code":"500102"},{"role":"supervisor","region_code":"500102"}]}`, 403, "staff.self"},
			{"disabling the last installation admin", adm, "PATCH", "/admin/staff/" + admin.ID, `{"disabled":true}`, 409, "staff.last_admin"},
			{"demoting the last installation admin", adm, "PUT", "/admin/staff/" + admin.ID + "/grants", `{"grants":[{"role":"admin","region_code":"` + townRegion + `"}]}`, 409, "staff.last_admin"},
			{"the platform's system account", adm, "PATCH", "/admin/staff/00000000-0000-7000-8000-000000000001", `{"disabled":false}`, 404, "staff.unknown"},
			{"an applicant's account", adm, "GET", "/admin/staff/" + zhangsan.ID, "", 404, "staff.unknown"},
			{"self password reset", adm, "POST", "/admin/staff/" + admin.ID + "/password", "", 403, "staff.self"},
		} {
			st, m := apiCall(t, c.method, api+c.path, c.token, c.body)
			if st != c.status || m["message_key"] != c.key {
				t.Errorf("%s: %d %v, want %d %s", c.name, st, m, c.status, c.key)
			}
		}
		if n := staffCount(); n != before {
			t.Errorf("refusals wrote accounts: %d, was %d", n, before)
		}
		if u, _ := ts.ids.UserByUsername(ctx, "handler"); u.Disabled {
			t.Error("the town admin disabled the district handler")
		}
		if u, _ := ts.ids.UserByUsername(ctx, "admin"); u.Disabled || len(u.Grants) != len(admin.Grants) {
			t.Error("the last installation admin was changed")
		}

		// The town administrator does give a town role in the town, and
		// manages that account; a second installation administrator lets the
		// first be disabled by the second — but never by themselves.
		st, m := apiCall(t, "POST", api+"/admin/staff", town, newStaff(`{"role":"handler","department_id":"`+townGov+`","region_code":"`+townRegion+`"}`))
		if st != 201 {
			t.Fatalf("town handler: %d %v", st, m)
		}
		st, m = apiCall(t, "POST", api+"/admin/staff", adm, `{"username":"second-admin","name":"副管理员","grants":[{"role":"admin","region_code":"`+demo.Region+`"}]}`)
		if st != 201 {
			t.Fatalf("second admin: %d %v", st, m)
		}
		second := m["staff"].(map[string]any)["id"].(string)
		if st, m = apiCall(t, "PATCH", api+"/admin/staff/"+admin.ID, adm, `{"disabled":true}`); st != 403 || m["message_key"] != "staff.self" {
			t.Errorf("self-disable with another admin: %d %v", st, m)
		}
		if st, m = apiCall(t, "PATCH", api+"/admin/staff/"+second, town, `{"disabled":true}`); st != 404 {
			t.Errorf("town admin disables the installation's admin: %d %v", st, m)
		}
		if st, m = apiCall(t, "PATCH", api+"/admin/staff/"+second, adm, `{"disabled":true}`); st != 200 {
			t.Errorf("disable the second admin: %d %v", st, m)
		}
	})
}

// On the web, an account with a one-time password reaches only the
// change-password page until it has chosen its own.
func TestOneTimePasswordWeb(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		ctx := context.Background()
		admin, _ := ts.ids.UserByUsername(ctx, "admin")
		_, otp, err := ts.ids.CreateStaffAccount(ctx, admin, demo.Region, identity.StaffInput{Username: "li-handler", Name: "李承办",
			Grants: []identity.Grant{{Role: identity.RoleHandler, DepartmentID: deptID(t, d, amrName)}}})
		if err != nil {
			t.Fatal(err)
		}
		c := ts.client()
		tok := csrf(t, c, ts.URL+"/login")
		c.PostForm(ts.URL+"/login", url.Values{"csrf_token": {tok}, "username": {"li-handler"}, "password": {otp}})
		r, _ := c.Get(ts.URL + "/workbench")
		if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/account/password" {
			t.Fatalf("workbench before the change: %d %s", r.StatusCode, r.Header.Get("Location"))
		}
		tok = csrf(t, c, ts.URL+"/account/password")
		form := url.Values{"csrf_token": {tok}, "current_password": {otp}, "new_password": {"li-own-password"}, "confirm_password": {"li-other"}}
		if r, _ = c.PostForm(ts.URL+"/account/password", form); r.StatusCode != 400 || !strings.Contains(body(t, r), "两次输入的新密码不一致") {
			t.Errorf("mismatch: %d", r.StatusCode)
		}
		form.Set("confirm_password", "li-own-password")
		if r, _ = c.PostForm(ts.URL+"/account/password", form); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("change: %d %s", r.StatusCode, body(t, r))
		}
		if r, _ = c.Get(ts.URL + "/workbench"); r.StatusCode != 200 {
			t.Errorf("workbench after the change: %d", r.StatusCode)
		}
	})
}

// The staff pages: the installation's administrator creates a handler on
// /admin/staff and sees its one-time password once; a refusal is shown on
// the page with its message; the account's page disables it.
func TestStaffPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		c := ts.client()
		ts.webLogin(t, c, "admin")
		if r, _ := c.Get(ts.URL + "/admin"); !strings.Contains(body(t, r), `href="/admin/staff"`) {
			t.Error("no link to the staff pages on /admin")
		}
		tok := csrf(t, c, ts.URL+"/admin/staff")
		amr := deptID(t, d, amrName)
		form := url.Values{"csrf_token": {tok}, "username": {"zhao-handler"}, "name": {"赵承办"}, "role": {"handler"}, "department_id": {amr}, "region_code": {"500102999000"}}
		r, _ := c.PostForm(ts.URL+"/admin/staff", form)
		if b := body(t, r); r.StatusCode != 400 || !strings.Contains(b, "不是本平台的区划") {
			t.Fatalf("bad region: %d", r.StatusCode)
		}
		form.Set("region_code", "")
		r, _ = c.PostForm(ts.URL+"/admin/staff", form)
		b := body(t, r)
		if r.StatusCode != 200 || !strings.Contains(b, `id="staff-otp"`) || r.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("create: %d %s", r.StatusCode, b)
		}
		u, err := ts.ids.UserByUsername(context.Background(), "zhao-handler")
		if err != nil || !u.MustChangePassword || len(u.Grants) != 1 {
			t.Fatalf("created: %v %+v", err, u)
		}
		r, _ = c.Get(ts.URL + "/admin/staff?q=zhao")
		if b := body(t, r); !strings.Contains(b, "赵承办") || strings.Contains(b, ">clerk<") {
			t.Error("the list's search")
		}
		r, _ = c.PostForm(ts.URL+"/admin/staff/"+u.ID, url.Values{"csrf_token": {tok}, "action": {"disable"}})
		if r.StatusCode != http.StatusSeeOther {
			t.Fatalf("disable: %d", r.StatusCode)
		}
		if u, _ = ts.ids.UserByUsername(context.Background(), "zhao-handler"); !u.Disabled {
			t.Error("not disabled")
		}
	})
}

// The staff exchange: an export reads back in as new accounts elsewhere;
// an import with faults lists each (staff[i] and why) and creates nothing;
// one beyond the importer's grant is 403.
func TestStaffExchangeAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		api := ts.URL + "/api/v1"
		ts.scopedStaff(t, "town-admin", identity.Grant{Role: identity.RoleAdmin, RegionCode: townRegion})
		adm, town := apiToken(t, api, "admin"), apiToken(t, api, "town-admin")
		amr := deptID(t, d, amrName)

		st, m := apiCall(t, "GET", api+"/admin/staff-exchange", adm, "")
		if st != 200 || m["format"] != "tongban-staff/1" || len(m["staff"].([]any)) < 10 {
			t.Fatalf("export: %d %v", st, m)
		}
		staffCount := func() int {
			var n int
			d.Reader().QueryRow(`SELECT count(*) FROM users WHERE kind = 'staff'`).Scan(&n)
			return n
		}
		before := staffCount()
		bad := `{"format":"tongban-staff/1","staff":[
			{"username":"imp-one","name":"一","grants":[{"role":"handler","department_id":"` + amr + `"}]},
			{"username":"handler","name":"重名","grants":[{"role":"handler","department_id":"` + amr + `"}]},
			{"username":"imp-one","name":"二","grants":[{"role":"clerk","region_code":"500102999000"}]}]}`
		st, m = apiCall(t, "POST", api+"/admin/staff-exchange", adm, bad)
		details, _ := m["details"].([]any)
		if st != 400 || m["message_key"] != "staff.import_rejected" || len(details) != 3 {
			t.Fatalf("faulty import: %d %v", st, m)
		}
		for i, want := range []string{"staff[1]", "staff[2]", "staff[2]"} {
			if msg := details[i].(map[string]any)["message"].(string); !strings.HasPrefix(msg, want) {
				t.Errorf("fault %d: %q, want %s", i, msg, want)
			}
		}
		if staffCount() != before {
			t.Error("a faulty import created accounts")
		}
		st, m = apiCall(t, "POST", api+"/admin/staff-exchange", town, `{"format":"tongban-staff/1","staff":[{"username":"imp-two","name":"二","grants":[{"role":"handler","department_id":"`+amr+`"}]}]}`)
		if st != 403 || m["message_key"] != "staff.import_rejected" {
			t.Errorf("town admin imports a district grant: %d %v", st, m)
		}
		st, m = apiCall(t, "POST", api+"/admin/staff-exchange", adm, `{"format":"tongban-staff/1","staff":[{"username":"imp-one","name":"一","phone":"023-1234567","grants":[{"role":"handler","department_id":"`+amr+`"}]},
			{"username":"imp-two","name":"二","grants":[{"role":"clerk","region_code":"`+townRegion+`"}]}]}`)
		created, _ := m["created"].([]any)
		if st != 201 || len(created) != 2 || staffCount() != before+2 {
			t.Fatalf("import: %d %v", st, m)
		}
		otp := created[0].(map[string]any)["one_time_password"].(string)
		st, m = apiCall(t, "POST", api+"/auth/login", "", `{"username":"imp-one","password":"`+otp+`"}`)
		if st != 200 || m["user"].(map[string]any)["must_change_password"] != true {
			t.Errorf("imported account's login: %d %v", st, m)
		}
	})
}
