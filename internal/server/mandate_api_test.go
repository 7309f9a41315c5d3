package server

import (
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

// Mandates on the API (issue 16): bad input answers 400 with its own
// message (zh-CN, en), nothing recorded; the online path end to end — the
// code read from the SMS screen, entered by the agent — and filing under a
// mandate limited to one item: the case records it, another item is
// refused as outside the scope, and once the person revokes it nothing is
// filed.
func TestMandatesOnTheAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		screen := &deliver.Screen{}
		ts := newTestServer(t, d, func(o *Options) { o.Screen = screen })
		ts.ids.Texter = &deliver.Texter{Channel: screen, Renderer: &notify.TemplateRenderer{DB: d, Home: demo.Region}}
		api := ts.URL + "/api/v1"
		ctx := t.Context()
		lisi, err := ts.ids.CreatePerson(ctx, identity.NewPerson{Account: identity.Account{Username: "lisi", Password: identity.DemoPassword, Demo: true},
			Name: "李四", IDNumber: "11010519491231002X"})
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Update(ctx, func(tx *db.Tx) error { return ts.ids.SetAccountPhoneTx(tx, lisi.ID, "13800138001") }); err != nil {
			t.Fatal(err)
		}
		ag, li := apiToken(t, api, "agent"), apiToken(t, api, "lisi")
		sole := soleTraderCode(t, api)
		ask := func(body string, hdr ...string) (int, map[string]any) {
			return apiCall(t, "POST", api+"/mandates", ag, body, hdr...)
		}
		for _, tt := range []struct{ body, key, en string }{
			{`{"name":"李四","id_number":"11010519491231002X","valid_until":"2026-12-31","method":"sms"}`, "mandate.scope_required", "Choose the scope"},
			{`{"name":"李四","id_number":"11010519491231002X","items":["NOPE"],"valid_until":"2026-12-31","method":"sms"}`, "mandate.item_unknown", "NOPE"},
			{`{"name":"李四","id_number":"11010519491231002X","all_items":true,"valid_until":"2026-01-01","method":"sms"}`, "mandate.until_past", "before today"},
			{`{"name":"李四","id_number":"11010519491231002X","all_items":true,"valid_until":"2026-12-31","method":"fax"}`, "mandate.method_invalid", "sms"},
			{`{"name":"李五","id_number":"11010519491231002X","all_items":true,"valid_until":"2026-12-31","method":"sms"}`, "case.applicant_unmatched", "do not match"},
			{`{"name":"李四","id_number":"11010519491231002X","all_items":true,"valid_until":"2026-12-31","method":"sms","scope":"x"}`, "error.bad_json", ""},
		} {
			st, m := ask(tt.body)
			if st != 400 || m["message_key"] != tt.key || m["message"] == "" {
				t.Errorf("%s: %d %v", tt.key, st, m)
			}
			if tt.en != "" {
				if _, m := ask(tt.body, "Accept-Language", "en"); !strings.Contains(m["message"].(string), tt.en) {
					t.Errorf("%s in English: %v", tt.key, m["message"])
				}
			}
		}
		if len(screen.Messages()) != 0 {
			t.Fatal("a bad request texted")
		}
		// Asked for the one item; the code arrives on 李四's phone.
		st, m := ask(`{"name":"李四","id_number":"11010519491231002X","items":["` + sole + `"],"valid_until":"2026-12-31","method":"sms"}`)
		if st != 201 {
			t.Fatalf("request: %d %v", st, m)
		}
		mm := m["mandate"].(map[string]any)
		id := mm["id"].(string)
		if mm["state"] != "pending" || mm["code_sent_to"] != "138****8001" {
			t.Fatalf("request: %v", mm)
		}
		msgs := screen.Messages()
		if len(msgs) != 1 || msgs[0].To != "13800138001" || !strings.Contains(msgs[0].Body, "赵六") || strings.Contains(msgs[0].Body, "11010519491231002X") {
			t.Fatalf("texted: %+v", msgs)
		}
		code := regexp.MustCompile(`[0-9]{6}`).FindString(msgs[0].Body)
		// Before the code: nothing is filed.
		file := func(item string) (int, map[string]any) {
			return apiCall(t, "POST", api+"/cases", ag, `{"item_code":"`+item+`","applicant":"11010519491231002X","applicant_name":"李四","submit":false}`)
		}
		if st, m := file(sole); st != 400 || m["message_key"] != "mandate.filing_pending" {
			t.Fatalf("filed before the code: %d %v", st, m)
		}
		if st, m := apiCall(t, "POST", api+"/mandates/"+id+"/confirm", li, `{"code":"`+code+`"}`); st != 404 {
			t.Errorf("the person entering the agent's code: %d %v", st, m)
		}
		if st, m := apiCall(t, "POST", api+"/mandates/"+id+"/confirm", ag, `{"code":"`+code+`"}`); st != 200 || m["mandate"].(map[string]any)["state"] != "active" {
			t.Fatalf("confirmed: %d %v", st, m)
		}
		st, m = file(sole)
		if st != 201 {
			t.Fatalf("filed under the mandate: %d %v", st, m)
		}
		cm, _ := m["case"].(map[string]any)["mandate"].(map[string]any)
		if cm["id"] != id || cm["all_items"] != false || cm["valid_until"] != "2026-12-31" {
			t.Errorf("the case's mandate: %v", cm)
		}
		other := ""
		_, items := apiCall(t, "GET", api+"/items?q="+"食品经营许可", "", "")
		for _, it := range items["items"].([]any) {
			if c := it.(map[string]any)["impl_code"].(string); c != sole {
				other = c
				break
			}
		}
		if st, m := file(other); st != 400 || m["message_key"] != "mandate.filing_out_of_scope" {
			t.Errorf("another item: %d %v", st, m)
		}
		// 李四 revokes it on his account: nothing more is filed.
		if st, m := apiCall(t, "POST", api+"/mandates/"+id+"/revoke", li, ""); st != 200 || m["mandate"].(map[string]any)["state"] != "revoked" {
			t.Fatalf("revoked: %d %v", st, m)
		}
		if st, m := file(sole); st != 400 || m["message_key"] != "mandate.filing_revoked" {
			t.Errorf("after revoking: %d %v", st, m)
		}
	})
}
