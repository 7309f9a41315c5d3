package appeal_test

import (
	"bytes"
	"regexp"
	"testing"

	"github.com/tongban/tongban/internal/appeal"
	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/blob"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/demotest"
	"github.com/tongban/tongban/internal/identity"
)

type fixture struct {
	*demotest.Env
	t     *testing.T
	svc   *appeal.Service
	cases *cases.Service
}

var pdf = []byte("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")

func setup(t *testing.T, d *db.DB) *fixture {
	t.Helper()
	e := demotest.New(t, d, demotest.At("2026-09-30 10:00"))
	cs, err := cases.New(d, e.Catalog, e.IDs, calendar.National(), blob.Dir{Root: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{Env: e, t: t, cases: cs, svc: &appeal.Service{DB: d, Identity: e.IDs, Calendars: calendar.National()}}
}

func each(t *testing.T, fn func(t *testing.T, f *fixture)) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) { fn(t, setup(t, d)) })
}

// count is the number of rows of a table.
func (f *fixture) count(table string) int {
	f.t.Helper()
	var n int
	if err := f.DB.Reader().QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

func complaint() appeal.SubmitInput {
	return appeal.SubmitInput{Channel: appeal.ChannelWeb, Type: appeal.TypeComplaint, Category: "business", RegionCode: "500102103000",
		Location: "南沱镇政府便民服务中心", Description: "窗口人员要求提供清单以外的材料。", Contact: true, Publish: true}
}

func wantErr(t *testing.T, err error, code apperr.Code, key string) {
	t.Helper()
	e := apperr.As(err)
	if e == nil || e.Code != code || e.Key != key {
		t.Fatalf("got %v, want %s %s", err, code, key)
	}
}

// A complaint by a signed-in person is accepted with a readable number,
// dispatched later to the directory's department.
func TestSubmit(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		zs := f.Users["zhangsan"]
		m, err := f.cases.Upload(f.Ctx, zs, "photo.pdf", bytes.NewReader(pdf))
		if err != nil {
			t.Fatal(err)
		}
		in := complaint()
		in.Attachments = []string{m.ID}
		a, err := f.svc.Submit(f.Ctx, zs, in)
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`^SQ20260930[0-7][0-9]{5}$`).MatchString(a.No) {
			t.Errorf("number %q", a.No)
		}
		if a.State != appeal.StateAccepted || a.RequesterName != "张三" || a.DepartmentName != "重庆市涪陵区市场监督管理局" || len(a.Attachments) != 1 {
			t.Errorf("order %+v", a)
		}
		b, err := f.svc.Submit(f.Ctx, zs, complaint())
		if err != nil {
			t.Fatal(err)
		}
		if b.No == a.No {
			t.Error("two orders share a number")
		}
		// The public sees no requester; without consent, no text.
		p, err := f.svc.Get(f.Ctx, a.No)
		if err != nil {
			t.Fatal(err)
		}
		if p.RequesterName != "" || p.RequesterID != "" || p.Description == "" {
			t.Errorf("public %+v", p)
		}
		mine, err := f.svc.Mine(f.Ctx, zs)
		if err != nil || len(mine) != 2 {
			t.Fatalf("mine %d %v", len(mine), err)
		}
		// An operator enters a phone call; the staff read of the caller is recorded.
		clerk := f.Users["clerk"]
		ph := appeal.SubmitInput{Channel: appeal.ChannelPhone, Type: appeal.TypeRequest, Category: "wages", RegionCode: "500102",
			Description: "工地拖欠工资三个月，电话13800138000。", Name: "王大", Phone: "13800138000", Contact: true}
		c, err := f.svc.Submit(f.Ctx, clerk, ph)
		if err != nil {
			t.Fatal(err)
		}
		if c.RequesterPhone != "138****8000" {
			t.Errorf("masked phone %q", c.RequesterPhone)
		}
		if r, err := f.svc.Read(f.Ctx, clerk, c.ID); err != nil || r.RequesterName != "王大" {
			t.Fatalf("read %v", err)
		}
		phone, _, err := f.svc.Contact(f.Ctx, clerk, c.ID)
		if err != nil || phone != "13800138000" {
			t.Fatalf("contact %q %v", phone, err)
		}
		var reads int
		if err := f.DB.Reader().QueryRow(`SELECT COUNT(*) FROM audit_pending WHERE object_id = $1 AND action IN ('appeal.read.order', 'appeal.read.contact') AND actor_id = $2`,
			c.ID, clerk.ID).Scan(&reads); err != nil || reads != 2 {
			t.Errorf("staff reads recorded: %d %v", reads, err)
		}
		if got := appeal.Redact(ph.Description); got != "工地拖欠工资三个月，电话＊＊＊。" {
			t.Errorf("redacted %q", got)
		}
		// Another person cannot read it.
		if _, err := f.svc.Read(f.Ctx, f.Users["legalrep"], a.ID); apperr.CodeOf(err) != apperr.NotFound {
			t.Errorf("another's read: %v", err)
		}
		// An anonymous consultation without an account.
		anon := appeal.SubmitInput{Channel: appeal.ChannelMobile, Type: appeal.TypeConsult, Category: "tax", RegionCode: "500102", Description: "个税汇算什么时候开始？", Anonymous: true}
		if _, err := f.svc.Submit(f.Ctx, nil, anon); err != nil {
			t.Fatal(err)
		}
	})
}

// Bad submissions are refused precisely and write nothing.
func TestSubmitRefusals(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		zs, clerk := f.Users["zhangsan"], f.Users["clerk"]
		other, err := f.cases.Upload(f.Ctx, f.Users["legalrep"], "x.pdf", bytes.NewReader(pdf))
		if err != nil {
			t.Fatal(err)
		}
		with := func(fn func(in *appeal.SubmitInput)) appeal.SubmitInput { in := complaint(); fn(&in); return in }
		for _, tt := range []struct {
			name string
			u    *identity.User
			in   appeal.SubmitInput
			code apperr.Code
			key  string
		}{
			{"no category", zs, with(func(in *appeal.SubmitInput) { in.Category = "" }), apperr.Invalid, "appeal.category_required"},
			{"unknown category", zs, with(func(in *appeal.SubmitInput) { in.Category = "nonesuch" }), apperr.Invalid, "appeal.category_unknown"},
			{"category without the type", zs, with(func(in *appeal.SubmitInput) { in.Category = "wages"; in.Type = appeal.TypePraise }), apperr.Invalid, "appeal.category_type"},
			{"anonymous complaint", zs, with(func(in *appeal.SubmitInput) { in.Anonymous = true }), apperr.Invalid, "appeal.anonymous_refused"},
			{"anonymous complaint without account", nil, with(func(in *appeal.SubmitInput) { in.Anonymous = true }), apperr.Invalid, "appeal.anonymous_refused"},
			{"named without account", nil, complaint(), apperr.Unauthenticated, "appeal.login_required"},
			{"unknown type", zs, with(func(in *appeal.SubmitInput) { in.Type = "rumour" }), apperr.Invalid, "appeal.type_invalid"},
			{"unknown channel", zs, with(func(in *appeal.SubmitInput) { in.Channel = "fax" }), apperr.Invalid, "appeal.channel_invalid"},
			{"operator channel by a person", zs, with(func(in *appeal.SubmitInput) { in.Channel = appeal.ChannelPhone }), apperr.Invalid, "appeal.channel_requester"},
			{"web channel by an operator", clerk, complaint(), apperr.Invalid, "appeal.channel_operator"},
			{"operator without a name", clerk, with(func(in *appeal.SubmitInput) { in.Channel = appeal.ChannelLetter }), apperr.Invalid, "appeal.name_required"},
			{"a handler", f.Users["handler"], with(func(in *appeal.SubmitInput) { in.Channel = appeal.ChannelPhone }), apperr.Forbidden, "error.forbidden"},
			{"open311 without client", nil, with(func(in *appeal.SubmitInput) { in.Channel = appeal.ChannelOpen311 }), apperr.Unauthenticated, "error.unauthenticated"},
			{"no description", zs, with(func(in *appeal.SubmitInput) { in.Description = "  " }), apperr.Invalid, "appeal.description_required"},
			{"unknown region", zs, with(func(in *appeal.SubmitInput) { in.RegionCode = "110105" }), apperr.Invalid, "appeal.region_unknown"},
			{"half coordinates", zs, with(func(in *appeal.SubmitInput) { lat := 29.7; in.Lat = &lat }), apperr.Invalid, "appeal.coordinates_invalid"},
			{"urgency", zs, with(func(in *appeal.SubmitInput) { in.Urgency = "now" }), apperr.Invalid, "appeal.urgency_invalid"},
			{"unknown case", zs, with(func(in *appeal.SubmitInput) { in.RelatedCaseNo = "1150010200000000000" }), apperr.Invalid, "appeal.case_unknown"},
			{"unknown item", zs, with(func(in *appeal.SubmitInput) { in.ImplCode = "nope" }), apperr.Invalid, "appeal.item_unknown"},
			{"another's upload", zs, with(func(in *appeal.SubmitInput) { in.Attachments = []string{other.ID} }), apperr.Invalid, "appeal.attachment_unknown"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				before, events, serials := f.count("appeals"), f.count("appeal_events"), f.count("appeal_serials")
				_, err := f.svc.Submit(f.Ctx, tt.u, tt.in)
				wantErr(t, err, tt.code, tt.key)
				if f.count("appeals") != before || f.count("appeal_events") != events || f.count("appeal_serials") != serials {
					t.Error("something was written")
				}
			})
		}
		// A refused attachment type never becomes an upload.
		_, err = f.cases.Upload(f.Ctx, zs, "evil.exe", bytes.NewReader([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff")))
		wantErr(t, err, apperr.Invalid, "case.upload_type")
	})
}
