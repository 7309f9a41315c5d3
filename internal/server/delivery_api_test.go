package server

import (
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
)

// The applicant chooses at filing how to receive the result (issue 16,
// deliverable 4): the API takes the choice, refuses a bad one naming the
// field with nothing written, and shows it on the case.
func TestDeliveryChoiceAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		api := ts.URL + "/api/v1"
		zs := apiToken(t, api, "zhangsan")
		code := soleTraderCode(t, api)
		file := func(delivery string) (int, map[string]any) {
			return apiCall(t, "POST", api+"/cases", zs, `{"item_code":"`+code+`","submit":false,`+delivery+`
				"form_values":{"applicant_phone":["13800000000"]}}`)
		}
		count := func() int {
			var n int
			if err := d.Reader().QueryRow(`SELECT COUNT(*) FROM cases`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		post := func(phone, region, address string) string {
			return `"delivery":{"method":"post","recipient":"张三","phone":"` + phone + `","region":"` + region + `","address":"` + address + `"},`
		}
		for _, tc := range []struct{ name, delivery, key, field string }{
			{"unknown choice", `"delivery":{"method":"courier"},`, "case.delivery_unknown", "delivery.method"},
			{"post without address", post("13812345678", "500102", ""), "case.delivery_address_required", "delivery.address"},
			{"post without phone", post("", "500102", "滨江路 88 号"), "case.delivery_phone_required", "delivery.phone"},
			{"malformed phone", post("12345", "500102", "滨江路 88 号"), "case.delivery_phone_format", "delivery.phone"},
			{"unknown region", post("13812345678", "990000", "滨江路 88 号"), "case.delivery_region_unknown", "delivery.region"},
			{"method not a string", `"delivery":{"method":7},`, "", ""},
		} {
			before := count()
			st, m := file(tc.delivery)
			if st != 400 || (tc.key != "" && m["message_key"] != tc.key) || !strings.Contains(m["message"].(string), tc.field) {
				t.Errorf("%s: %d %v", tc.name, st, m)
			}
			if count() != before {
				t.Errorf("%s: refused but a case was written", tc.name)
			}
		}
		st, m := file(post("023-72221234", "500102", "滨江路 88 号"))
		if st != 201 {
			t.Fatalf("a posting choice: %d %v", st, m)
		}
		c := m["case"].(map[string]any)
		got, _ := c["delivery"].(map[string]any)
		if got["method"] != "post" || got["phone"] != "023-72221234" || !strings.Contains(got["masked"].(string), "涪陵区") {
			t.Fatalf("the case's choice: %v", c["delivery"])
		}
		st, m = file("")
		if got, _ := m["case"].(map[string]any)["delivery"].(map[string]any); st != 201 || got["method"] != "online" {
			t.Fatalf("the default: %d %v", st, m)
		}
	})
}
