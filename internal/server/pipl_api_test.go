package server

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/deliver"
	"github.com/tongban/tongban/internal/demo"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/notify"
)

// lastCode is the code in the newest text the screen got for phone.
func lastCode(t *testing.T, screen *deliver.Screen, phone string) string {
	t.Helper()
	for _, m := range screen.Messages() {
		if m.To == phone {
			if c := regexp.MustCompile(`[0-9]{6}`).FindString(m.Body); c != "" {
				return c
			}
		}
	}
	t.Fatalf("no code texted to %s: %+v", phone, screen.Messages())
	return ""
}

// PIPL rights through the API (issue 16): correcting one's data (bad input
// refused with its message, the name and number self-service only before
// a case), a window clerk's correction that leaves past cases as they
// were, changing the mobile with a code to the new number, and closing an
// account, after which the login is refused.
func TestPIPLRightsAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		screen := &deliver.Screen{}
		ts := newTestServer(t, d, func(o *Options) { o.Screen = screen })
		asL1(t, d, "zhangsan") // the name and number are self-service for an L1 person only
		ts.ids.Texter = &deliver.Texter{Channel: screen, Renderer: &notify.TemplateRenderer{DB: d, Home: demo.Region}}
		api := ts.URL + "/api/v1"
		zs, clerk, handler := apiToken(t, api, "zhangsan"), apiToken(t, api, "clerk"), apiToken(t, api, "handler")

		st, m := apiCall(t, "GET", api+"/me/profile", zs, "")
		if st != 200 || m["identity_self_service"] != true || m["assurance"] != float64(1) || m["identifier"] != "500102********0011" {
			t.Fatalf("profile: %d %v", st, m)
		}
		for _, c := range []struct{ body, key string }{
			{`{"locale":"fr"}`, "profile.locale_invalid"},
			{`{"registered_region":"12"}`, "codes.division.length"},
			{`{"registered_region":"110101"}`, "profile.region_unknown"},
			{`{"name":"  "}`, "auth.name_required"},
			{`{"id_number":"500102198506120012"}`, "codes.citizen_id.check"},
			{`{"nickname":"三儿"}`, ""},
			{`{"locale":`, ""},
		} {
			st, m := apiCall(t, "PATCH", api+"/me/profile", zs, c.body)
			if st != 400 || c.key != "" && m["message_key"] != c.key || m["message"] == "" {
				t.Errorf("%s: %d %v", c.body, st, m)
			}
		}
		st, m = apiCall(t, "PATCH", api+"/me/profile", zs, `{"name":"张三丰","locale":"en","registered_region":"500102"}`)
		if st != 200 || m["name"] != "张三丰" || m["locale"] != "en" || m["registered_region_name"] == "" {
			t.Fatalf("self-service correction: %d %v", st, m)
		}

		// Filed and accepted: from now on the name is the window's to correct.
		code := soleTraderCode(t, api)
		st, m = apiCall(t, "POST", api+"/cases", clerk, `{"item_code":"`+code+`","applicant":"500102198506120011","submit":true,"accept":true,
			"form_values":{"applicant_name":["张三丰"],"applicant_id":["500102198506120011"],"applicant_phone":["13800000000"],"business_name":["张三更正小吃店"],
			"form_of":["person"],"scope":["小吃服务"],"org_address":["500102006001","滨江路 1 号"],"capital":["5"]}}`)
		if st != 201 && st != 200 {
			t.Fatalf("file: %d %v", st, m)
		}
		caseID := m["case"].(map[string]any)["id"].(string)
		if st, m := apiCall(t, "PATCH", api+"/me/profile", zs, `{"name":"张三"}`); st != 403 || m["message_key"] != "profile.window_only" {
			t.Errorf("after a case: %d %v", st, m)
		}
		if st, m := apiCall(t, "PATCH", api+"/me/profile", zs, `{"locale":""}`); st != 200 || m["has_filed"] != true || m["identity_self_service"] != false {
			t.Errorf("the language stays self-service: %d %v", st, m)
		}
		// The window corrects it; the case keeps its applicant as filed.
		if st, m := apiCall(t, "POST", api+"/persons/corrections", handler, `{"number":"500102198506120011","name":"张三","note":"户口簿"}`); st != 403 {
			t.Errorf("a handler corrects: %d %v", st, m)
		}
		if st, m := apiCall(t, "POST", api+"/persons/corrections", clerk, `{"number":"500102198506120011","name":"张三"}`); st != 400 || m["message_key"] != "error.field_required" {
			t.Errorf("no ground: %d %v", st, m)
		}
		st, m = apiCall(t, "POST", api+"/persons/corrections", clerk, `{"number":"500102198506120011","name":"张三","note":"户口簿"}`)
		if st != 200 || m["name"] == "张三" || m["identifier"] != "500102********0011" {
			t.Fatalf("window correction: %d %v", st, m)
		}
		var filedAs string
		if err := d.Reader().QueryRow(`SELECT applicant_name FROM cases WHERE id = $1`, caseID).Scan(&filedAs); err != nil || filedAs != "张三丰" {
			t.Errorf("the case's applicant was rewritten: %q %v", filedAs, err)
		}
		if _, m := apiCall(t, "GET", api+"/me/profile", zs, ""); m["name"] != "张三" {
			t.Errorf("after the window: %v", m)
		}

		// A new mobile: the code goes to it; a wrong password keeps the code.
		if st, m := apiCall(t, "POST", api+"/me/phone/code", zs, `{"phone":"1390013900"}`); st != 400 || m["message_key"] != "codes.mobile" {
			t.Errorf("malformed number: %d %v", st, m)
		}
		st, m = apiCall(t, "POST", api+"/me/phone/code", zs, `{"phone":"13900139000"}`)
		if st != 202 || m["sent_to"] != "139****9000" {
			t.Fatalf("code: %d %v", st, m)
		}
		otp := lastCode(t, screen, "13900139000")
		if st, m := apiCall(t, "PUT", api+"/me/phone", zs, `{"phone":"13900139000","code":"`+otp+`","password":"not-the-password"}`); st != 400 || m["message_key"] != "auth.password_current_wrong" {
			t.Errorf("wrong password: %d %v", st, m)
		}
		if st, m := apiCall(t, "PUT", api+"/me/phone", zs, `{"phone":"13900139000","code":"`+otp+`","password":"`+identity.DemoPassword+`"}`); st != 200 || m["verified_phone"] != "139****9000" {
			t.Fatalf("change: %d %v", st, m)
		}
		apiCall(t, "POST", api+"/me/phone/code", zs, `{"phone":"13700137000"}`)
		otp = lastCode(t, screen, "13700137000")
		if st, m := apiCall(t, "PUT", api+"/me/phone", zs, `{"phone":"13700137000","code":"`+otp+`","password":"`+identity.DemoPassword+`"}`); st != 200 {
			t.Fatalf("second change: %d %v", st, m)
		}
		if msgs := screen.Messages(); msgs[0].To != "13900139000" || !strings.Contains(msgs[0].Body, "手机号码已更换") || strings.Contains(msgs[0].Body, "137") {
			t.Errorf("the old number's notice: %+v", msgs[0])
		}
		if _, m := apiCall(t, "GET", api+"/me/contacts", zs, ""); m["phone"] != "13700137000" || m["sms"] != true {
			t.Errorf("the SMS contact: %v", m)
		}

		// The export carries the level of assurance and the number, masked.
		if _, m := apiCall(t, "GET", api+"/me/data", zs, ""); m["account"].(map[string]any)["verified_phone"] != "137****7000" ||
			m["account"].(map[string]any)["level_of_assurance"] != float64(1) {
			t.Errorf("export: %v", m["account"])
		}

		// Closing: refused while the case is open, for staff, with a wrong password.
		if st, m := apiCall(t, "POST", api+"/me/close", zs, `{"password":"`+identity.DemoPassword+`"}`); st != 409 || m["message_key"] != "account.close_open_cases" {
			t.Errorf("with an open case: %d %v", st, m)
		}
		if st, m := apiCall(t, "POST", api+"/me/close", clerk, `{"password":"`+identity.DemoPassword+`"}`); st != 403 || m["message_key"] != "account.close_staff" {
			t.Errorf("staff: %d %v", st, m)
		}
		if _, err := ts.ids.CreatePerson(context.Background(), identity.NewPerson{Account: identity.Account{Username: "wangwu", Password: "wangwu-password-1"}, Name: "王五", IDNumber: "110101199003070011"}); err != nil {
			t.Fatal(err)
		}
		st, m = apiCall(t, "POST", api+"/auth/login", "", `{"username":"wangwu","password":"wangwu-password-1"}`)
		if st != 200 {
			t.Fatalf("login: %d %v", st, m)
		}
		ww := m["token"].(string)
		if st, m := apiCall(t, "POST", api+"/me/close", ww, `{"password":"wrong-password-1"}`); st != 400 || m["message_key"] != "auth.password_current_wrong" {
			t.Errorf("wrong password: %d %v", st, m)
		}
		if st, m := apiCall(t, "POST", api+"/me/close", ww, `{}`); st != 400 || m["message_key"] != "error.field_required" {
			t.Errorf("no password: %d %v", st, m)
		}
		if st, m := apiCall(t, "POST", api+"/me/close", ww, `{"password":"wangwu-password-1"}`); st != 204 {
			t.Fatalf("close: %d %v", st, m)
		}
		if st, _ := apiCall(t, "GET", api+"/me", ww, ""); st != 401 {
			t.Errorf("the token outlived the account: %d", st)
		}
		st, m = apiCall(t, "POST", api+"/auth/login", "", `{"username":"wangwu","password":"wangwu-password-1"}`)
		if st != 403 || m["message_key"] != "auth.closed" || !strings.Contains(m["message"].(string), "注销") {
			t.Errorf("login after closing: %d %v", st, m)
		}
	})
}
