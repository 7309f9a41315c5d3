package server

import (
	"net/url"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
)

// The apply and intake pages offer the delivery choice as plain form
// controls (radio buttons, the posting fields in the same form: no script
// needed); a bad choice is shown again with its field named and nothing
// filed; the case page shows the choice to the applicant and to staff.
func TestDeliveryChoicePages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		api := ts.URL + "/api/v1"
		code := soleTraderCode(t, api)
		count := func() int {
			var n int
			if err := d.Reader().QueryRow(`SELECT COUNT(*) FROM cases`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}

		zs := ts.client()
		ts.webLogin(t, zs, "zhangsan")
		r, _ := zs.Get(ts.URL + "/apply/" + code)
		b := body(t, r)
		for _, want := range []string{`type="radio" name="delivery" value="online" id="delivery-online" checked`, `value="window" id="delivery-window">`,
			`value="post" id="delivery-post">`, `name="delivery_phone"`, `name="delivery_region"`, `name="delivery_address"`, `name="delivery_recipient"`} {
			if !strings.Contains(b, want) {
				t.Errorf("apply page lacks %s", want)
			}
		}
		// A 一件事 takes one choice for the bundle.
		r, _ = zs.Get(ts.URL + "/apply/bundle/qykb")
		if b := body(t, r); !strings.Contains(b, `name="delivery" value="post"`) {
			t.Error("the bundle's apply page offers no delivery choice")
		}
		tok := csrf(t, zs, ts.URL+"/apply/"+code)
		form := func(phone string) url.Values {
			return url.Values{"csrf_token": {tok}, "do": {"draft"}, "idem": {"d-" + phone}, "applicant_phone": {"13800000000"},
				"delivery": {"post"}, "delivery_recipient": {"张三"}, "delivery_phone": {phone}, "delivery_region": {"500102"}, "delivery_address": {"滨江路 88 号"}}
		}
		before := count()
		r, err := zs.PostForm(ts.URL+"/apply/"+code, form("12345"))
		if err != nil {
			t.Fatal(err)
		}
		b = body(t, r)
		if r.StatusCode != 400 || !strings.Contains(b, "delivery.phone") || !strings.Contains(b, `value="post" id="delivery-post" checked`) ||
			!strings.Contains(b, `value="滨江路 88 号"`) {
			t.Errorf("a malformed phone: %d", r.StatusCode)
		}
		if count() != before {
			t.Error("a refused choice filed a case")
		}
		r, err = zs.PostForm(ts.URL+"/apply/"+code, form("13812345678"))
		if err != nil {
			t.Fatal(err)
		}
		if r.StatusCode != 303 {
			t.Fatalf("a posting choice: %d %s", r.StatusCode, body(t, r))
		}
		r, _ = zs.Get(ts.URL + r.Header.Get("Location"))
		if b = body(t, r); !strings.Contains(b, `id="case-delivery-choice">邮寄送达 · 重庆市涪陵区滨江路 88 号`) {
			t.Errorf("the applicant's case page does not show the choice")
		}

		// At the window: the clerk files with the choice; the case page shows it.
		clerk := ts.client()
		ts.webLogin(t, clerk, "clerk")
		r, _ = clerk.Get(ts.URL + "/workbench/intake?code=" + code)
		if b = body(t, r); !strings.Contains(b, `value="window" id="delivery-window" checked`) {
			t.Errorf("the intake page does not preselect the window")
		}
		tok = csrf(t, clerk, ts.URL+"/workbench/intake?code="+code)
		r, err = clerk.PostForm(ts.URL+"/workbench/intake/accept?code="+code, url.Values{"csrf_token": {tok}, "do": {"submit"}, "idem": {"w1"},
			"applicant": {"500102198506120011"}, "applicant_name": {"张三"}, "applicant_id": {"500102198506120011"}, "applicant_phone": {"13800000000"},
			"form_of": {"person"}, "scope": {"小吃服务"}, "org_address.town": {"500102006000"}, "org_address.detail": {"滨江路 1 号"}, "capital": {"5"},
			"delivery": {"post"}, "delivery_recipient": {"李四"}, "delivery_phone": {"023-72221234"}, "delivery_region": {"500102"}, "delivery_address": {"人民东路 5 号"}})
		if err != nil {
			t.Fatal(err)
		}
		if r.StatusCode != 303 {
			t.Fatalf("intake: %d %s", r.StatusCode, body(t, r))
		}
		r, _ = clerk.Get(ts.URL + r.Header.Get("Location"))
		if b = body(t, r); !strings.Contains(b, `人民东路 5 号`) || !strings.Contains(b, `023-72221234`) {
			t.Errorf("the clerk's case page does not show the choice")
		}
	})
}
