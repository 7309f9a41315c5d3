package cases_test

import (
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/pdftest"
)

func postTo() *cases.DeliveryChoice {
	return &cases.DeliveryChoice{Method: "post", Recipient: "张三", Phone: "13812345678", Region: "500102", Address: "滨江路 88 号 3 单元 502"}
}

// fileWith files 张三's sole-trader application with a delivery choice.
func (f *fixture) fileWith(d *cases.DeliveryChoice) (*cases.Case, error) {
	u := f.users["zhangsan"]
	c, _, err := f.svc.Create(f.ctx, u, cases.NewCase{ItemCode: f.codes[soleTrader], Values: soleTraderValues(),
		Answers: map[string]string{"premises": "rented"}, Submit: true, Delivery: d,
		Materials: []cases.MaterialRef{f.upload(u, "application"), f.upload(u, "id_card"), f.upload(u, "lease")}})
	return c, err
}

func (f *fixture) count(query string) int {
	f.t.Helper()
	var n int
	if err := f.db.Reader().QueryRow(query).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

// A choice the rules refuse names its field and writes nothing.
func TestDeliveryChoiceRefused(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		with := func(mod func(d *cases.DeliveryChoice)) *cases.DeliveryChoice { d := postTo(); mod(d); return d }
		for _, tc := range []struct {
			name string
			d    *cases.DeliveryChoice
			key  string
		}{
			{"unknown method", &cases.DeliveryChoice{Method: "pigeon"}, "case.delivery_unknown"},
			{"post without recipient", with(func(d *cases.DeliveryChoice) { d.Recipient = " " }), "case.delivery_recipient_required"},
			{"post without phone", with(func(d *cases.DeliveryChoice) { d.Phone = "" }), "case.delivery_phone_required"},
			{"malformed phone", with(func(d *cases.DeliveryChoice) { d.Phone = "1381234567" }), "case.delivery_phone_format"},
			{"phone with letters", with(func(d *cases.DeliveryChoice) { d.Phone = "023-7222abcd" }), "case.delivery_phone_format"},
			{"post without region", with(func(d *cases.DeliveryChoice) { d.Region = "" }), "case.delivery_region_required"},
			{"unknown region", with(func(d *cases.DeliveryChoice) { d.Region = "509999" }), "case.delivery_region_unknown"},
			{"region not digits", with(func(d *cases.DeliveryChoice) { d.Region = "涪陵区" }), "case.delivery_region_unknown"},
			{"post without address", with(func(d *cases.DeliveryChoice) { d.Address = "" }), "case.delivery_address_required"},
			{"address too long", with(func(d *cases.DeliveryChoice) { d.Address = strings.Repeat("路", 201) }), "case.delivery_address_long"},
		} {
			before := f.count(`SELECT COUNT(*) FROM cases`)
			_, err := f.fileWith(tc.d)
			if !apperr.Is(err, apperr.Invalid, tc.key) {
				t.Errorf("%s: got %v, want %s", tc.name, err, tc.key)
			}
			if after := f.count(`SELECT COUNT(*) FROM cases`); after != before {
				t.Errorf("%s: refused but %d cases written", tc.name, after-before)
			}
		}
	})
}

// The choice is stored sealed, read back, shown masked in the decision, and
// delivery follows it unless staff give a reason.
func TestDeliveryChoicePost(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		c, err := f.fileWith(postTo())
		if err != nil {
			t.Fatal(err)
		}
		if c.Choice.Method != "post" || c.Choice.Address != "滨江路 88 号 3 单元 502" || c.Choice.Phone != "13812345678" {
			t.Fatalf("choice as filed: %+v", c.Choice)
		}
		var stored string
		if err := f.db.Reader().QueryRow(`SELECT delivery_post FROM cases WHERE id = $1`, c.ID).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if stored == "" || strings.Contains(stored, "滨江路") || strings.Contains(stored, "13812345678") {
			t.Fatalf("the posting address is not sealed at rest: %q", stored)
		}
		got, err := f.svc.Get(f.ctx, f.users["clerk"], c.No)
		if err != nil {
			t.Fatal(err)
		}
		if got.Choice != c.Choice || !strings.Contains(got.Choice.Masked, "重庆市涪陵区滨江路 ****") || !strings.Contains(got.Choice.Masked, "138****5678") ||
			strings.Contains(got.Choice.Masked, "88") {
			t.Fatalf("the clerk reads %+v, filed %+v", got.Choice, c.Choice)
		}

		c = f.act("clerk", c, cases.ActionRequest{Action: "accept"})
		c = f.act("handler", c, cases.ActionRequest{Action: "pass"})
		c = f.act("reviewer", c, cases.ActionRequest{Action: "pass"})
		c = f.act("approver", c, cases.ActionRequest{Action: "grant"})

		// The decision says where it will be posted, masked.
		ver, err := f.cat.Published(f.ctx, c.ItemCode, c.ItemVersion)
		if err != nil {
			t.Fatal(err)
		}
		var dec *cases.Notice
		for i := range c.Notices {
			if c.Notices[i].Kind == "decision" {
				dec = &c.Notices[i]
			}
		}
		if dec == nil {
			t.Fatalf("no decision among %v", c.Notices)
		}
		b, err := cases.Document(c, dec, ver.Item, "https://example/progress").PDF()
		if err != nil {
			t.Fatal(err)
		}
		text, ok := pdftest.Text(t, b)
		if !ok {
			t.Skip("pdftotext not installed")
		}
		flat := strings.Join(strings.Fields(text), "")
		for _, want := range []string{"将通过邮寄送达至重庆市涪陵区滨江路", "（地址已脱敏）", "138****5678"} {
			if !strings.Contains(flat, want) {
				t.Errorf("%q not in the decision:\n%s", want, text)
			}
		}
		for _, leak := range []string{"按您选择的方式送达", "13812345678", "3单元502"} {
			if strings.Contains(flat, leak) {
				t.Errorf("%q in the decision:\n%s", leak, text)
			}
		}

		// Delivery follows the choice; otherwise only with a reason.
		clerk := f.users["clerk"]
		f.refused(clerk, c, cases.ActionRequest{Action: "deliver"}, apperr.Invalid, "case.tracking_required")
		f.refused(clerk, c, cases.ActionRequest{Action: "deliver", Delivery: "window"}, apperr.Invalid, "case.delivery_otherwise")
		f.refused(clerk, c, cases.ActionRequest{Action: "deliver", Delivery: "window", Reason: "  "}, apperr.Invalid, "case.delivery_otherwise")
		d := f.act("clerk", c, cases.ActionRequest{Action: "deliver", Delivery: "window", Reason: "申请人来电改为窗口领取"})
		if d.State != "delivered" || d.Delivery != "window" {
			t.Fatalf("delivered: %s %s", d.State, d.Delivery)
		}
		events, err := f.svc.Timeline(f.ctx, clerk, c.No)
		if err != nil {
			t.Fatal(err)
		}
		last := events[len(events)-1]
		if last.Action != "deliver" || last.Reason != "申请人来电改为窗口领取" || last.Data["delivery_chosen"] != "post" {
			t.Errorf("the delivery event %+v", last)
		}
	})
}

// Left out, the choice takes the channel's default; delivering as chosen
// needs no method; each choice has its own words in the decision.
func TestDeliveryChoiceDefaultAndWords(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		c, err := f.fileWith(nil)
		if err != nil {
			t.Fatal(err)
		}
		if c.Choice.Method != "online" || c.Choice.Address != "" {
			t.Fatalf("online filing's default %+v", c.Choice)
		}
		w, err := f.fileWith(&cases.DeliveryChoice{Method: "window", Address: "ignored"})
		if err != nil {
			t.Fatal(err)
		}
		if w.Choice.Method != "window" || w.Choice.Address != "" {
			t.Fatalf("window choice %+v", w.Choice)
		}
		ver, err := f.cat.Published(f.ctx, c.ItemCode, c.ItemVersion)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			c    *cases.Case
			want string
		}{{c, "已在网上送达"}, {w, "窗口领取审批结果"}} {
			x := tc.c
			for _, a := range []string{"accept", "pass", "pass", "grant"} {
				who := map[string]string{"accept": "clerk", "grant": "approver"}[a]
				if who == "" {
					who = map[string]string{"handling": "handler", "review": "reviewer"}[x.State]
				}
				x = f.act(who, x, cases.ActionRequest{Action: a})
			}
			doc := cases.Document(x, &x.Notices[len(x.Notices)-1], ver.Item, "https://example/progress")
			if all := strings.Join(doc.Paragraphs, ""); !strings.Contains(all, tc.want) || strings.Contains(all, "按您选择") {
				t.Errorf("%s: decision says %q", x.Choice.Method, all)
			}
			x = f.act("clerk", x, cases.ActionRequest{Action: "deliver"})
			if x.Delivery != tc.c.Choice.Method {
				t.Errorf("delivered %q, chosen %q", x.Delivery, tc.c.Choice.Method)
			}
		}
	})
}

// An item that only posts takes no filing without an address, nor a way it
// does not offer.
func TestDeliveryChoicePostOnlyItem(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		ver, err := f.cat.Published(f.ctx, f.codes[soleTrader], 0)
		if err != nil {
			t.Fatal(err)
		}
		it := *ver.Item
		it.Delivery = []string{"post"}
		if _, err := f.cat.SaveDraft(f.ctx, f.users["admin"], &it, "只邮寄"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.cat.Publish(f.ctx, f.users["admin"], it.ImplCode); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			d   *cases.DeliveryChoice
			key string
		}{{nil, "case.delivery_recipient_required"}, {&cases.DeliveryChoice{Method: "online"}, "case.delivery_not_offered"}} {
			if _, err := f.fileWith(tc.d); !apperr.Is(err, apperr.Invalid, tc.key) {
				t.Errorf("%+v: got %v, want %s", tc.d, err, tc.key)
			}
		}
		if c, err := f.fileWith(postTo()); err != nil || c.Choice.Method != "post" {
			t.Fatalf("posting: %v", err)
		}
	})
}
