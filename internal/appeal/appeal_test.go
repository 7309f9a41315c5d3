package appeal_test

import (
	"bytes"
	"regexp"
	"testing"
	"time"

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

func (f *fixture) act(u *identity.User, ref string, a appeal.Action) *appeal.Appeal {
	f.t.Helper()
	out, err := f.svc.Act(f.Ctx, u, ref, a)
	if err != nil {
		f.t.Fatalf("%s: %v", a.Action, err)
	}
	return out
}

// clock reads one of an order's clocks: the last day it allows (China),
// whether it runs, whether it met its deadline.
func (f *fixture) clock(id, clock string) (due string, running bool, onTime *bool) {
	f.t.Helper()
	var d time.Time
	var stopped *time.Time
	if err := f.DB.Reader().QueryRow(`SELECT due_at, stopped_at, on_time FROM order_clocks WHERE kind = 'appeal' AND order_id = $1 AND clock = $2`,
		id, clock).Scan(&d, &stopped, &onTime); err != nil {
		f.t.Fatalf("clock %s: %v", clock, err)
	}
	return d.In(calendar.China).Add(-time.Second).Format("2006-01-02"), stopped == nil, onTime
}

func yes() *bool { b := true; return &b }
func no() *bool  { b := false; return &b }

// The whole loop: accepted → 派单 → 签收 → 答复 → 回访 → 办结, on the clocks.
// Dispatched on 2026-09-30, a complaint's 15 working days and a request's
// 10 run past the National Day holiday (10-01 to 10-07, 10-10 worked); the
// clocks start at dispatch, not at sign-for.
func TestLifecycleAndClocks(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		zs, clerk, handler := f.Users["zhangsan"], f.Users["clerk"], f.Users["handler"]
		a, err := f.svc.Submit(f.Ctx, zs, complaint())
		if err != nil {
			t.Fatal(err)
		}
		if due, running, _ := f.clock(a.ID, "appeal_dispatch"); due != "2026-10-08" || !running {
			t.Errorf("dispatch clock %s %v", due, running)
		}
		// Not the department's yet: the handler cannot sign.
		if _, err := f.svc.Act(f.Ctx, handler, a.ID, appeal.Action{Action: appeal.ActSign}); apperr.CodeOf(err) != apperr.NotFound {
			t.Errorf("sign before dispatch: %v", err)
		}
		f.Advance(2 * time.Hour)
		a = f.act(clerk, a.No, appeal.Action{Action: appeal.ActDispatch})
		if a.State != appeal.StateDispatched || a.DepartmentName != "重庆市涪陵区市场监督管理局" {
			t.Fatalf("dispatched %+v", a)
		}
		if _, running, onTime := f.clock(a.ID, "appeal_dispatch"); running || onTime == nil || !*onTime {
			t.Errorf("dispatch clock still running or late")
		}
		signDue, _, _ := f.clock(a.ID, "appeal_sign")
		replyDue, _, _ := f.clock(a.ID, "appeal_reply")
		if signDue != "2026-10-08" || replyDue != "2026-10-27" {
			t.Errorf("sign due %s, reply due %s", signDue, replyDue)
		}
		// The department signs late: the reply clock kept running from dispatch.
		f.SetNow(demotest.At("2026-10-09 09:00"))
		a = f.act(handler, a.ID, appeal.Action{Action: appeal.ActSign})
		if _, running, onTime := f.clock(a.ID, "appeal_sign"); running || onTime == nil || *onTime {
			t.Error("a late sign-for counts as on time")
		}
		if due, running, _ := f.clock(a.ID, "appeal_reply"); !running || due != replyDue {
			t.Errorf("reply clock %s %v", due, running)
		}
		// 延期: asked once before expiry, approved by the dispatcher.
		a = f.act(handler, a.ID, appeal.Action{Action: appeal.ActExtend, Days: 5, Text: "需现场核查"})
		if _, err := f.svc.Act(f.Ctx, handler, a.ID, appeal.Action{Action: appeal.ActExtend, Days: 5, Text: "再延"}); !apperr.Is(err, apperr.Conflict, "appeal.extension_once") {
			t.Errorf("second extension: %v", err)
		}
		if _, err := f.svc.Act(f.Ctx, handler, a.ID, appeal.Action{Action: appeal.ActExtendApprove}); apperr.CodeOf(err) != apperr.Forbidden {
			t.Errorf("the department approves its own extension: %v", err)
		}
		a = f.act(clerk, a.ID, appeal.Action{Action: appeal.ActExtendApprove})
		if due, _, _ := f.clock(a.ID, "appeal_reply"); due != "2026-11-03" {
			t.Errorf("extended reply due %s", due)
		}
		// 督办 by the supervisor reaches the assignee.
		a = f.act(f.Users["supervisor"], a.ID, appeal.Action{Action: appeal.ActUrge, Text: "请加快办理"})
		if n := f.pending("order_urge", handler.ID); n != 1 {
			t.Errorf("urging told the assignee %d times", n)
		}
		a = f.act(handler, a.ID, appeal.Action{Action: appeal.ActReply, Text: "已核实，窗口人员已批评教育，材料清单已公示。"})
		if n := f.pending("appeal_replied", zs.ID); n != 1 {
			t.Errorf("the reply told the requester %d times", n)
		}
		if _, running, onTime := f.clock(a.ID, "appeal_reply"); running || onTime == nil || !*onTime {
			t.Error("reply clock not stopped on time")
		}
		// 回访 by the requester, then 办结.
		if _, err := f.svc.Act(f.Ctx, clerk, a.ID, appeal.Action{Action: appeal.ActClose}); err == nil {
			// the requester can still be asked
			t.Error("closed before 回访")
		}
		a = f.act(zs, a.ID, appeal.Action{Action: appeal.ActVisit, Satisfied: yes(), Resolved: yes()})
		a = f.act(clerk, a.ID, appeal.Action{Action: appeal.ActClose})
		if a.State != appeal.StateClosed || a.Satisfaction != "satisfied" || len(a.Events) != 9 {
			t.Errorf("closed %+v (%d events)", a, len(a.Events))
		}
		pub, _, err := f.svc.List(f.Ctx, appeal.PublicFilter{Published: true})
		if err != nil || len(pub) != 1 || pub[0].Reply == "" || pub[0].RequesterName != "" {
			t.Fatalf("published %d %v", len(pub), err)
		}
		rep, err := f.svc.MonthlyReport(f.Ctx, f.Users["supervisor"], "500102", "2026-09")
		if err != nil {
			t.Fatal(err)
		}
		if rep.Accepted != 1 || rep.Closed != 1 || *rep.SatisfactionRate != 1 || *rep.OnTimeRate != 1 || *rep.ResolvedRate != 1 || *rep.ResponseRate != 0 || *rep.RepeatRate != 0 {
			t.Errorf("report %+v", rep) // signed late: not responded
		}
		if _, err := f.svc.MonthlyReport(f.Ctx, handler, "500102", "2026-09"); apperr.CodeOf(err) != apperr.Forbidden {
			t.Errorf("a handler reads the report: %v", err)
		}
		// A request for help (10 working days) dispatched the same day.
		f.SetNow(demotest.At("2026-09-30 15:00"))
		in := complaint()
		in.Type, in.Category = appeal.TypeRequest, "wages"
		b, err := f.svc.Submit(f.Ctx, zs, in)
		if err != nil {
			t.Fatal(err)
		}
		b = f.act(clerk, b.ID, appeal.Action{Action: appeal.ActDispatch})
		if due, _, _ := f.clock(b.ID, "appeal_reply"); due != "2026-10-20" {
			t.Errorf("request reply due %s", due)
		}
	})
}

// Steps the rules refuse: precise, nothing written.
func TestActRefusals(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		zs, clerk, handler := f.Users["zhangsan"], f.Users["clerk"], f.Users["handler"]
		a, err := f.svc.Submit(f.Ctx, zs, complaint())
		if err != nil {
			t.Fatal(err)
		}
		other, err := f.svc.Submit(f.Ctx, zs, complaint())
		if err != nil {
			t.Fatal(err)
		}
		refuse := func(name string, u *identity.User, act appeal.Action, code apperr.Code, key string) {
			t.Helper()
			var events int
			f.DB.Reader().QueryRow(`SELECT COUNT(*) FROM appeal_events`).Scan(&events)
			_, err := f.svc.Act(f.Ctx, u, a.ID, act)
			e := apperr.As(err)
			if e == nil || e.Code != code || (key != "" && e.Key != key) {
				t.Errorf("%s: got %v, want %s %s", name, err, code, key)
			}
			if f.count("appeal_events") != events {
				t.Errorf("%s: something was written", name)
			}
		}
		refuse("sign before dispatch", handler, appeal.Action{Action: appeal.ActSign}, apperr.NotFound, "appeal.not_found")
		refuse("reply before dispatch by the dispatcher", clerk, appeal.Action{Action: appeal.ActReply, Text: "x"}, apperr.Forbidden, "error.forbidden")
		refuse("close an accepted order", clerk, appeal.Action{Action: appeal.ActClose}, apperr.Conflict, "appeal.transition")
		refuse("answer without text", clerk, appeal.Action{Action: appeal.ActAnswer, Text: " "}, apperr.Invalid, "appeal.reply_required")
		refuse("merge into itself", clerk, appeal.Action{Action: appeal.ActMerge, Parent: a.No}, apperr.Invalid, "appeal.merge_parent")
		refuse("unknown action", clerk, appeal.Action{Action: "teleport"}, apperr.Invalid, "appeal.action_invalid")
		refuse("the requester dispatches", zs, appeal.Action{Action: appeal.ActDispatch}, apperr.Forbidden, "error.forbidden")
		f.act(clerk, a.ID, appeal.Action{Action: appeal.ActDispatch})
		refuse("dispatch twice", clerk, appeal.Action{Action: appeal.ActDispatch}, apperr.Conflict, "appeal.transition")
		refuse("退单 without reason", handler, appeal.Action{Action: appeal.ActReturn, Text: ""}, apperr.Invalid, "appeal.reason_required")
		refuse("another department signs", f.Users["psb-officer"], appeal.Action{Action: appeal.ActSign}, apperr.NotFound, "appeal.not_found")
		refuse("extension before signing", handler, appeal.Action{Action: appeal.ActExtend, Days: 3, Text: "x"}, apperr.Conflict, "appeal.transition")
		// 退单 with a reason, reviewed: 改派 to the same department refused, to another accepted.
		f.act(handler, a.ID, appeal.Action{Action: appeal.ActReturn, Text: "不属于本部门职责"})
		if due, running, _ := f.clock(a.ID, "appeal_reply"); !running {
			t.Errorf("a return stopped the reply clock (%s)", due)
		}
		amr := f.deptOf("handler")
		refuse("改派 to the same department", clerk, appeal.Action{Action: appeal.ActDispatch, Department: amr}, apperr.Invalid, "appeal.redispatch_same")
		refuse("sent back without reason", clerk, appeal.Action{Action: appeal.ActReturnRefuse}, apperr.Invalid, "appeal.reason_required")
		b := f.act(clerk, a.ID, appeal.Action{Action: appeal.ActDispatch, Department: f.deptOf("psb-officer")})
		if b.DepartmentName != "重庆市公安局涪陵区分局" || b.State != appeal.StateDispatched {
			t.Fatalf("改派 %+v", b)
		}
		psb := f.Users["psb-officer"]
		f.act(psb, a.ID, appeal.Action{Action: appeal.ActSign})
		refuse("extension without reason", psb, appeal.Action{Action: appeal.ActExtend, Days: 3}, apperr.Invalid, "appeal.reason_required")
		refuse("extension too long", psb, appeal.Action{Action: appeal.ActExtend, Days: 31, Text: "x"}, apperr.Invalid, "appeal.extension_days")
		// After expiry: no extension.
		f.SetNow(demotest.At("2026-11-30 10:00"))
		refuse("extension after expiry", psb, appeal.Action{Action: appeal.ActExtend, Days: 3, Text: "来不及"}, apperr.Invalid, "appeal.extension_expired")
		f.act(psb, a.ID, appeal.Action{Action: appeal.ActReply, Text: "已处理"})
		if _, _, onTime := f.clock(a.ID, "appeal_reply"); onTime == nil || *onTime {
			t.Error("a late reply counted on time")
		}
		// Unsatisfied: 重办 once.
		f.act(zs, a.ID, appeal.Action{Action: appeal.ActVisit, Satisfied: no(), Resolved: no()})
		refuse("重办 without reason", clerk, appeal.Action{Action: appeal.ActRedo}, apperr.Invalid, "appeal.reason_required")
		f.act(clerk, a.ID, appeal.Action{Action: appeal.ActRedo, Text: "群众不满意，重新办理"})
		if due, running, _ := f.clock(a.ID, "appeal_reply"); !running || due != "2026-12-21" {
			t.Errorf("redo reply clock %s %v", due, running)
		}
		f.act(psb, a.ID, appeal.Action{Action: appeal.ActReply, Text: "已再次处理"})
		f.act(zs, a.ID, appeal.Action{Action: appeal.ActVisit, Satisfied: no()})
		refuse("重办 twice", clerk, appeal.Action{Action: appeal.ActRedo, Text: "again"}, apperr.Conflict, "appeal.redo_once")
		f.act(clerk, a.ID, appeal.Action{Action: appeal.ActClose})
		// 并单: the duplicate into the parent, its clocks stopped.
		parent, err := f.svc.Submit(f.Ctx, zs, complaint())
		if err != nil {
			t.Fatal(err)
		}
		m := f.act(clerk, other.ID, appeal.Action{Action: appeal.ActMerge, Parent: parent.No})
		if m.State != appeal.StateMerged || m.ParentNo != parent.No {
			t.Errorf("merged %+v", m)
		}
		if _, running, _ := f.clock(other.ID, "appeal_dispatch"); running {
			t.Error("a merged order's clock still runs")
		}
	})
}

// pending counts the notifications of a kind sent to a user.
func (f *fixture) pending(kind, user string) int {
	f.t.Helper()
	var n int
	if err := f.DB.Reader().QueryRow(`SELECT COUNT(*) FROM notify_pending WHERE kind = $1 AND user_id = $2`, kind, user).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

// deptOf is the department of a demo account's first grant.
func (f *fixture) deptOf(user string) string { return f.Users[user].Grants[0].DepartmentID }

// An urgent order's dispatch clock is hourly (1 hour from acceptance); a
// direct answer stops it; limits are data (appeal_limits).
func TestUrgentDispatchClockAndDirectAnswer(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		zs, clerk := f.Users["zhangsan"], f.Users["clerk"]
		in := complaint()
		in.Type, in.Category, in.Urgency = appeal.TypeConsult, "tax", appeal.UrgencyUrgent
		a, err := f.svc.Submit(f.Ctx, zs, in)
		if err != nil {
			t.Fatal(err)
		}
		var due time.Time
		var hourly bool
		if err := f.DB.Reader().QueryRow(`SELECT due_at, hourly FROM order_clocks WHERE order_id = $1 AND clock = 'appeal_dispatch'`, a.ID).Scan(&due, &hourly); err != nil {
			t.Fatal(err)
		}
		if !hourly || !due.Equal(demotest.At("2026-09-30 11:00")) {
			t.Errorf("urgent dispatch clock: hourly %v, due %s", hourly, due.In(calendar.China))
		}
		f.Advance(90 * time.Minute)
		a = f.act(clerk, a.ID, appeal.Action{Action: appeal.ActAnswer, Text: "个税汇算于每年3月1日开始，可在个人所得税App办理。"})
		if _, running, onTime := f.clock(a.ID, "appeal_dispatch"); running || onTime == nil || *onTime {
			t.Error("a direct answer after the hour counted on time")
		}
		// Limits are data: a county gives consultations 3 working days.
		if _, err := f.DB.Writer().Exec(`UPDATE appeal_limits SET reply_days = 3 WHERE type = 'consult' AND urgency = 'normal'`); err != nil {
			t.Fatal(err)
		}
		in.Urgency = appeal.UrgencyNormal
		b, err := f.svc.Submit(f.Ctx, zs, in)
		if err != nil {
			t.Fatal(err)
		}
		f.SetNow(demotest.At("2026-09-30 16:00"))
		f.act(clerk, b.ID, appeal.Action{Action: appeal.ActDispatch})
		if due, _, _ := f.clock(b.ID, "appeal_reply"); due != "2026-10-10" { // 10-08, 10-09, and Saturday 10-10 worked
			t.Errorf("consultation reply due %s", due)
		}
	})
}

// Redact leaves no run of 11 or more digits and no e-mail address in a
// published text, whatever the text.
func FuzzRedact(f *testing.F) {
	for _, s := range []string{"电话13800138000", "身份证110105194912310054，邮箱a@b.cn", "138 0013 8000", "", "٣٣٣"} {
		f.Add(s)
	}
	digits := regexp.MustCompile(`[0-9]{11,}`)
	email := regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)
	f.Fuzz(func(t *testing.T, s string) {
		out := appeal.Redact(s)
		if digits.MatchString(out) || email.MatchString(out) {
			t.Errorf("Redact(%q) = %q", s, out)
		}
	})
}
