package mandate_test

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/blob"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/demotest"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/mandate"
)

// phoneBox is a Texter that keeps what it was given (the SMS channels are
// tested with real servers in internal/deliver).
type phoneBox struct {
	mu   sync.Mutex
	sent []texted
}

type texted struct {
	phone, kind string
	args        map[string]any
}

func (p *phoneBox) Text(_ context.Context, phone, kind string, args map[string]any, _ string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sent = append(p.sent, texted{phone, kind, args})
	return nil
}

// last is the newest text, its code checked for form.
func (p *phoneBox) last(t *testing.T) texted {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.sent) == 0 {
		t.Fatal("nothing texted")
	}
	m := p.sent[len(p.sent)-1]
	if code, _ := m.args["otp"].(string); !regexp.MustCompile(`^[0-9]{6}$`).MatchString(code) {
		t.Fatalf("code %q", code)
	}
	return m
}

func (p *phoneBox) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.sent)
}

type fixture struct {
	*demotest.Env
	t     *testing.T
	svc   *mandate.Service
	cases *cases.Service
	box   *phoneBox
	lisi  *identity.User // 李四 of 青羊镇, with a verified mobile
}

const (
	lisiNumber = "11010519491231002X"
	lisiPhone  = "13800138001"
)

var pdf = []byte("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")

func setup(t *testing.T, d *db.DB) *fixture {
	t.Helper()
	e := demotest.New(t, d, demotest.At("2026-02-12 10:00"))
	cs, err := cases.New(d, e.Catalog, e.IDs, calendar.National(), blob.Dir{Root: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{Env: e, t: t, cases: cs, box: &phoneBox{}}
	e.IDs.Texter = f.box
	f.svc = &mandate.Service{DB: d, Identity: e.IDs, Files: cs.OpenStored}
	if f.lisi, err = e.IDs.CreatePerson(e.Ctx, identity.NewPerson{Account: identity.Account{Username: "lisi", Password: "a-long-test-password"},
		Name: "李四", IDNumber: lisiNumber, Region: "500102107000"}); err != nil {
		t.Fatal(err)
	}
	if err := d.Update(e.Ctx, func(tx *db.Tx) error { return e.IDs.SetAccountPhoneTx(tx, f.lisi.ID, lisiPhone) }); err != nil {
		t.Fatal(err)
	}
	return f
}

func each(t *testing.T, fn func(t *testing.T, f *fixture)) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) { fn(t, setup(t, d)) })
}

// staff makes a staff account with one grant.
func (f *fixture) staff(name string, g identity.Grant) *identity.User {
	f.t.Helper()
	u, err := f.IDs.CreateStaff(f.Ctx, identity.NewStaff{Account: identity.Account{Username: name, Password: "a-long-test-password"}, Name: name, Grants: []identity.Grant{g}})
	if err != nil {
		f.t.Fatal(err)
	}
	return u
}

func (f *fixture) upload(u *identity.User) string {
	f.t.Helper()
	m, err := f.cases.Upload(f.Ctx, u, "proxy.pdf", bytes.NewReader(pdf))
	if err != nil {
		f.t.Fatal(err)
	}
	return m.ID
}

const soleTrader = "个体工商户设立登记"

// Bad requests say what is wrong and record nothing.
func TestRequestRefusesBadInput(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		agent := f.Users["agent"]
		doc := f.upload(agent)
		ok := mandate.Request{Name: "李四", Number: lisiNumber, AllItems: true, ValidUntil: "2026-06-30", Method: mandate.MethodSMS}
		with := func(fn func(r *mandate.Request)) mandate.Request { r := ok; fn(&r); return r }
		for _, tt := range []struct {
			name string
			who  string
			r    mandate.Request
			code apperr.Code
			key  string
		}{
			{"not an agent", "clerk", ok, apperr.Forbidden, "error.forbidden"},
			{"a person", "zhangsan", ok, apperr.Forbidden, "error.forbidden"},
			{"no method", "agent", with(func(r *mandate.Request) { r.Method = "" }), apperr.Invalid, "mandate.method_invalid"},
			{"no scope", "agent", with(func(r *mandate.Request) { r.AllItems = false }), apperr.Invalid, "mandate.scope_required"},
			{"both scopes", "agent", with(func(r *mandate.Request) { r.Items = []string{f.Codes[soleTrader]} }), apperr.Invalid, "mandate.scope_ambiguous"},
			{"an unknown item", "agent", with(func(r *mandate.Request) { r.AllItems, r.Items = false, []string{"NO-SUCH-ITEM"} }), apperr.Invalid, "mandate.item_unknown"},
			{"no date", "agent", with(func(r *mandate.Request) { r.ValidUntil = "" }), apperr.Invalid, "mandate.until_invalid"},
			{"a malformed date", "agent", with(func(r *mandate.Request) { r.ValidUntil = "2026-02-30" }), apperr.Invalid, "mandate.until_invalid"},
			{"yesterday", "agent", with(func(r *mandate.Request) { r.ValidUntil = "2026-02-11" }), apperr.Invalid, "mandate.until_past"},
			{"too far", "agent", with(func(r *mandate.Request) { r.ValidUntil = "2030-01-01" }), apperr.Invalid, "mandate.until_too_far"},
			{"a document without the file", "agent", with(func(r *mandate.Request) { r.Method = mandate.MethodDocument }), apperr.Invalid, "mandate.document_required"},
			{"an SMS request with a file", "agent", with(func(r *mandate.Request) { r.Document = doc }), apperr.Invalid, "mandate.document_unexpected"},
			{"another's or no upload", "agent", with(func(r *mandate.Request) { r.Method, r.Document = mandate.MethodDocument, "nope" }), apperr.Invalid, "mandate.document_unknown"},
			{"another name", "agent", with(func(r *mandate.Request) { r.Name = "李五" }), apperr.Invalid, "case.applicant_unmatched"},
			{"a malformed number", "agent", with(func(r *mandate.Request) { r.Number = "110105" }), apperr.Invalid, "codes.citizen_id_length"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				_, err := f.svc.Request(f.Ctx, f.Users[tt.who], "", tt.r)
				if tt.key == "codes.citizen_id_length" {
					if apperr.CodeOf(err) != apperr.Invalid {
						t.Fatalf("got %v", err)
					}
					return
				}
				if !apperr.Is(err, tt.code, tt.key) {
					t.Fatalf("got %v, want %s", err, tt.key)
				}
			})
		}
		var n int
		f.DB.Reader().QueryRow(`SELECT COUNT(*) FROM mandates WHERE principal_id = $1`, f.lisi.ID).Scan(&n)
		if n != 0 || f.box.count() != 0 {
			t.Errorf("%d mandates recorded, %d texts sent by bad requests", n, f.box.count())
		}
	})
}

// Online: the code goes to the person's verified mobile, names the agent
// and carries no ID number; the agent enters it and the mandate is active.
// Another agent cannot use it; a wrong code is counted.
func TestSMSConfirmation(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		agent := f.Users["agent"]
		m, err := f.svc.Request(f.Ctx, agent, "203.0.113.9", mandate.Request{Name: "李四", Number: lisiNumber, Items: []string{f.Codes[soleTrader]}, ValidUntil: "2026-12-31", Method: mandate.MethodSMS})
		if err != nil {
			t.Fatal(err)
		}
		if m.State != mandate.StatePending || m.CodeSentTo != "138****8001" || m.AllItems || len(m.Items) != 1 || m.ValidUntil != "2026-12-31" {
			t.Fatalf("request: %+v", m)
		}
		sms := f.box.last(t)
		if sms.phone != lisiPhone || sms.kind != mandate.CodeKind || sms.args["agent"] != "赵六" {
			t.Fatalf("texted %+v", sms)
		}
		for _, v := range sms.args {
			if s, _ := v.(string); strings.Contains(s, lisiNumber) {
				t.Fatal("the text carries the ID number")
			}
		}
		other := f.staff("agent2", identity.Grant{Role: identity.RoleAgent, RegionCode: "500102107000"})
		if _, err := f.svc.Confirm(f.Ctx, other, m.ID, sms.args["otp"].(string)); !apperr.Is(err, apperr.NotFound, "mandate.not_found") {
			t.Fatalf("another agent: %v", err)
		}
		wrong := "000000"
		if sms.args["otp"] == wrong {
			wrong = "111111"
		}
		if _, err := f.svc.Confirm(f.Ctx, agent, m.ID, wrong); !apperr.Is(err, apperr.Invalid, "auth.code_wrong") {
			t.Fatalf("a wrong code: %v", err)
		}
		got, err := f.svc.Confirm(f.Ctx, agent, m.ID, sms.args["otp"].(string))
		if err != nil || got.State != mandate.StateActive || got.ConfirmedVia != "code" || got.ActivatedAt == nil {
			t.Fatalf("confirmed: %+v %v", got, err)
		}
		if _, err := f.svc.Confirm(f.Ctx, agent, m.ID, sms.args["otp"].(string)); apperr.CodeOf(err) != apperr.Invalid && apperr.CodeOf(err) != apperr.Conflict {
			t.Fatalf("confirmed twice: %v", err)
		}
		// 张三 has no verified mobile: his request is confirmed on his account.
		zm, err := f.svc.Request(f.Ctx, agent, "", mandate.Request{Name: "张三", Number: "500102198506120011", AllItems: true, ValidUntil: "2026-12-31", Method: mandate.MethodSMS})
		if err != nil || zm.CodeSentTo != "" {
			t.Fatalf("a request to a person without a mobile: %+v %v", zm, err)
		}
		if _, err := f.svc.Confirm(f.Ctx, agent, zm.ID, "123456"); !apperr.Is(err, apperr.Invalid, "mandate.no_phone") {
			t.Fatalf("a code for a person without a mobile: %v", err)
		}
	})
}

// The person answers on their own account: confirm or refuse a pending
// request, revoke an active one; nobody answers another's; a request
// lapses after PendingTTL and a mandate at its expiry.
func TestStatesOnThePersonsAccount(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		agent := f.Users["agent"]
		ask := func(until string) *mandate.Mandate {
			t.Helper()
			m, err := f.svc.Request(f.Ctx, agent, "", mandate.Request{Name: "李四", Number: lisiNumber, AllItems: true, ValidUntil: until, Method: mandate.MethodSMS})
			if err != nil {
				t.Fatal(err)
			}
			f.Advance(time.Minute) // the SMS codes' one-a-minute gap
			return m
		}
		a, b, c, d := ask("2026-12-31"), ask("2026-12-31"), ask("2026-02-13"), ask("2026-12-31")
		zhang := f.Users["zhangsan"]
		for _, tt := range []struct {
			name  string
			who   *identity.User
			do    func(u *identity.User, id string) (*mandate.Mandate, error)
			id    string
			state string
			code  apperr.Code
			key   string
		}{
			{"another person confirms", zhang, confirm(f, true), a.ID, "", apperr.NotFound, "mandate.not_found"},
			{"another person revokes", zhang, f.revoke, a.ID, "", apperr.NotFound, "mandate.not_found"},
			{"staff answer", f.Users["clerk"], confirm(f, true), a.ID, "", apperr.Forbidden, "error.forbidden"},
			{"the person confirms", f.lisi, confirm(f, true), a.ID, mandate.StateActive, "", ""},
			{"confirmed twice", f.lisi, confirm(f, true), a.ID, "", apperr.Conflict, "mandate.not_pending"},
			{"the person refuses", f.lisi, confirm(f, false), b.ID, mandate.StateRefused, "", ""},
			{"a refused one revoked", f.lisi, f.revoke, b.ID, "", apperr.Conflict, "mandate.not_active"},
			{"the person revokes", f.lisi, f.revoke, a.ID, mandate.StateRevoked, "", ""},
			{"revoked twice", f.lisi, f.revoke, a.ID, "", apperr.Conflict, "mandate.not_active"},
			{"confirmed on its last day", f.lisi, confirm(f, true), c.ID, mandate.StateActive, "", ""},
		} {
			t.Run(tt.name, func(t *testing.T) {
				m, err := tt.do(tt.who, tt.id)
				if tt.key != "" {
					if !apperr.Is(err, tt.code, tt.key) {
						t.Fatalf("got %v, want %s", err, tt.key)
					}
					return
				}
				if err != nil || m.State != tt.state {
					t.Fatalf("got %+v %v, want %s", m, err, tt.state)
				}
			})
		}
		// Two days on: c has expired; d, never answered, still waits; after
		// PendingTTL it has lapsed too and cannot be confirmed.
		f.Advance(48 * time.Hour)
		states := func() map[string]string {
			ms, err := f.svc.Of(f.Ctx, f.lisi)
			if err != nil {
				t.Fatal(err)
			}
			out := map[string]string{}
			for _, m := range ms {
				out[m.ID] = m.State
			}
			return out
		}
		if st := states(); st[c.ID] != mandate.StateExpired || st[d.ID] != mandate.StatePending || st[a.ID] != mandate.StateRevoked {
			t.Fatalf("after two days: %v", st)
		}
		f.Advance(mandate.PendingTTL)
		if st := states(); st[d.ID] != mandate.StateExpired {
			t.Fatalf("after the pending time: %v", st)
		}
		if _, err := f.svc.Answer(f.Ctx, f.lisi, d.ID, true); !apperr.Is(err, apperr.Conflict, "mandate.not_pending") {
			t.Fatalf("a lapsed request confirmed: %v", err)
		}
		// The agent lists its own, the person theirs; audit records each change.
		mine, _ := f.svc.Of(f.Ctx, agent)
		if len(mine) < 5 { // 张三's demo mandate and these four
			t.Errorf("the agent lists %d", len(mine))
		}
		var n int
		f.DB.Reader().QueryRow(`SELECT COUNT(*) FROM audit_pending WHERE object_type = 'mandate'`).Scan(&n)
		if n < 9 {
			t.Errorf("%d audit records of mandates", n)
		}
	})
}

func confirm(f *fixture, yes bool) func(u *identity.User, id string) (*mandate.Mandate, error) {
	return func(u *identity.User, id string) (*mandate.Mandate, error) { return f.svc.Answer(f.Ctx, u, id, yes) }
}

func (f *fixture) revoke(u *identity.User, id string) (*mandate.Mandate, error) {
	return f.svc.Revoke(f.Ctx, u, id)
}

// Written: a clerk of the agent's region checks the signed mandate; a
// clerk elsewhere does not see it; reading it is recorded; a refusal needs
// a reason.
func TestWrittenMandateCheckedByAClerk(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		agent := f.Users["agent"]
		ask := func() *mandate.Mandate {
			t.Helper()
			m, err := f.svc.Request(f.Ctx, agent, "", mandate.Request{Name: "李四", Number: lisiNumber, AllItems: true, ValidUntil: "2026-12-31",
				Method: mandate.MethodDocument, Document: f.upload(agent)})
			if err != nil {
				t.Fatal(err)
			}
			return m
		}
		m := ask()
		if m.State != mandate.StatePending || m.Document == nil || f.box.count() != 0 {
			t.Fatalf("written request: %+v, %d texts", m, f.box.count())
		}
		var qingyang string
		f.DB.Reader().QueryRow(`SELECT id FROM departments WHERE region_code = '500102107000'`).Scan(&qingyang)
		elsewhere := f.staff("clerk-qy", identity.Grant{Role: identity.RoleClerk, DepartmentID: qingyang, RegionCode: "500102107000"})
		clerk := f.Users["clerk"] // the district's: covers 南沱镇
		if l, _ := f.svc.Checks(f.Ctx, elsewhere); len(l) != 0 {
			t.Errorf("a clerk of another town sees %d", len(l))
		}
		if _, err := f.svc.Check(f.Ctx, elsewhere, m.ID, true, ""); !apperr.Is(err, apperr.NotFound, "mandate.not_found") {
			t.Errorf("a clerk of another town checks: %v", err)
		}
		if _, _, err := f.svc.OpenDocument(f.Ctx, elsewhere, m.ID); !apperr.Is(err, apperr.NotFound, "mandate.not_found") {
			t.Errorf("a clerk of another town reads: %v", err)
		}
		if _, err := f.svc.Check(f.Ctx, f.Users["handler"], m.ID, true, ""); !apperr.Is(err, apperr.Forbidden, "error.forbidden") {
			t.Errorf("a handler checks: %v", err)
		}
		if _, err := f.svc.Answer(f.Ctx, f.lisi, m.ID, true); !apperr.Is(err, apperr.Invalid, "mandate.document_checked_by_clerk") {
			t.Errorf("the person confirms a written one: %v", err)
		}
		if l, _ := f.svc.Checks(f.Ctx, clerk); len(l) != 1 || l[0].ID != m.ID {
			t.Fatalf("the clerk's list: %v", l)
		}
		doc, rc, err := f.svc.OpenDocument(f.Ctx, clerk, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		buf.ReadFrom(rc)
		rc.Close()
		if !bytes.Equal(buf.Bytes(), pdf) || doc.ContentType != "application/pdf" {
			t.Errorf("the document: %+v %q", doc, buf.String())
		}
		var reads int
		f.DB.Reader().QueryRow(`SELECT COUNT(*) FROM audit_pending WHERE actor_id = $1 AND action = 'mandate.document_read'`, clerk.ID).Scan(&reads)
		if reads != 1 {
			t.Errorf("%d reads recorded", reads)
		}
		if _, err := f.svc.Check(f.Ctx, clerk, m.ID, false, "  "); !apperr.Is(err, apperr.Invalid, "mandate.reason_required") {
			t.Errorf("refused without a reason: %v", err)
		}
		got, err := f.svc.Check(f.Ctx, clerk, m.ID, false, "签名与身份证不符")
		if err != nil || got.State != mandate.StateRefused || got.Reason != "签名与身份证不符" || got.CheckedBy != "李敏" || got.CheckedAt == nil {
			t.Fatalf("refused: %+v %v", got, err)
		}
		m2 := ask()
		got, err = f.svc.Check(f.Ctx, clerk, m2.ID, true, "")
		if err != nil || got.State != mandate.StateActive || got.ConfirmedVia != "clerk" {
			t.Fatalf("approved: %+v %v", got, err)
		}
		if _, err := f.svc.Check(f.Ctx, clerk, m2.ID, false, "x"); !apperr.Is(err, apperr.Conflict, "mandate.not_pending") {
			t.Errorf("checked twice: %v", err)
		}
		// The upload is the mandate's now: not another mandate's, and not swept.
		if _, err := f.svc.Request(f.Ctx, agent, "", mandate.Request{Name: "李四", Number: lisiNumber, AllItems: true, ValidUntil: "2026-12-31",
			Method: mandate.MethodDocument, Document: m2.Document.ID}); !apperr.Is(err, apperr.Invalid, "mandate.document_unknown") {
			t.Errorf("an upload used twice: %v", err)
		}
		f.Advance(cases.UploadTTL + time.Hour)
		if _, err := f.cases.SweepUploads(f.Ctx); err != nil {
			t.Fatal(err)
		}
		if _, rc, err := f.svc.OpenDocument(f.Ctx, agent, m2.ID); err != nil {
			t.Errorf("the document after a sweep: %v", err)
		} else {
			rc.Close()
		}
	})
}

// An agent registers a villager: the code to the villager's mobile proves
// it; one transaction makes the L1 account with that number and the active
// mandate. A registered number takes the ordinary request path.
func TestAgentRegistersAVillager(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		agent := f.Users["agent"]
		v := mandate.Villager{Name: "孙八", Number: "110105194912310054", Phone: "139 0013 9000", AllItems: true, ValidUntil: "2026-12-31"}
		for _, tt := range []struct {
			name string
			fn   func(v *mandate.Villager)
			key  string
		}{
			{"no name", func(v *mandate.Villager) { v.Name = " " }, "auth.name_required"},
			{"a malformed mobile", func(v *mandate.Villager) { v.Phone = "1390013900" }, "codes.mobile"},
			{"no scope", func(v *mandate.Villager) { v.AllItems = false }, "mandate.scope_required"},
			{"a past date", func(v *mandate.Villager) { v.ValidUntil = "2026-01-01" }, "mandate.until_past"},
		} {
			bad := v
			tt.fn(&bad)
			if _, err := f.svc.StartVillager(f.Ctx, agent, "", bad); !apperr.Is(err, apperr.Invalid, tt.key) {
				t.Errorf("%s: %v", tt.name, err)
			}
		}
		if f.box.count() != 0 {
			t.Fatal("a bad registration texted")
		}
		if _, err := f.svc.StartVillager(f.Ctx, f.Users["clerk"], "", v); !apperr.Is(err, apperr.Forbidden, "error.forbidden") {
			t.Fatalf("a clerk: %v", err)
		}
		st, err := f.svc.StartVillager(f.Ctx, agent, "", v)
		if err != nil || st.SentTo != "139****9000" || st.Mandate != nil {
			t.Fatalf("started: %+v %v", st, err)
		}
		sms := f.box.last(t)
		if sms.phone != "13900139000" || sms.kind != mandate.CodeKind {
			t.Fatalf("texted %+v", sms)
		}
		bad := v
		bad.Code = "000000"
		if bad.Code == sms.args["otp"] {
			bad.Code = "111111"
		}
		if _, err := f.svc.RegisterVillager(f.Ctx, agent, bad); !apperr.Is(err, apperr.Invalid, "auth.code_wrong") {
			t.Fatalf("a wrong code: %v", err)
		}
		if _, err := f.IDs.PersonIDByNumber(f.Ctx, v.Number); apperr.CodeOf(err) != apperr.NotFound {
			t.Fatalf("a wrong code registered the villager: %v", err)
		}
		v.Code = sms.args["otp"].(string)
		m, err := f.svc.RegisterVillager(f.Ctx, agent, v)
		if err != nil || m.State != mandate.StateActive || m.PrincipalName != "孙八" || !m.AllItems {
			t.Fatalf("registered: %+v %v", m, err)
		}
		uid, err := f.IDs.PersonIDByNumber(f.Ctx, v.Number)
		if err != nil {
			t.Fatal(err)
		}
		u, err := f.IDs.UserByID(f.Ctx, uid)
		if err != nil || u.Assurance != identity.AssuranceL1 {
			t.Fatalf("the villager's account: %+v %v", u, err)
		}
		if p, _ := f.IDs.AccountPhone(f.Ctx, uid); p != "139****9000" {
			t.Errorf("the villager's verified mobile: %q", p)
		}
		// Registered now: the same start is an ordinary request (named by
		// name and number), its code to the verified mobile.
		f.Advance(time.Minute)
		st, err = f.svc.StartVillager(f.Ctx, agent, "", mandate.Villager{Name: "孙八", Number: v.Number, Phone: "13700137000", AllItems: true, ValidUntil: "2026-12-31"})
		if err != nil || st.Mandate == nil || st.Mandate.State != mandate.StatePending || st.Mandate.CodeSentTo != "139****9000" {
			t.Fatalf("a registered number: %+v %v", st, err)
		}
		if _, err := f.svc.StartVillager(f.Ctx, agent, "", mandate.Villager{Name: "孙九", Number: v.Number, Phone: "13700137000", AllItems: true, ValidUntil: "2026-12-31"}); !apperr.Is(err, apperr.Invalid, "case.applicant_unmatched") {
			t.Fatalf("a registered number with another name: %v", err)
		}
	})
}

// Closing one's account (注销) ends the mandates one gave: no agent files
// for a closed account.
func TestClosingEndsMandates(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		agent := f.Users["agent"]
		m, err := f.svc.Request(f.Ctx, agent, "", mandate.Request{Name: "李四", Number: lisiNumber, AllItems: true, ValidUntil: "2026-12-31", Method: mandate.MethodSMS})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Answer(f.Ctx, f.lisi, m.ID, true); err != nil {
			t.Fatal(err)
		}
		if err := f.IDs.CloseAccount(f.Ctx, f.lisi, "a-long-test-password"); err != nil {
			t.Fatal(err)
		}
		var state string
		if err := f.Env.DB.View(f.Ctx, func(tx *db.Tx) error {
			return tx.QueryRow(`SELECT state FROM mandates WHERE id = $1`, m.ID).Scan(&state)
		}); err != nil || state != mandate.StateRevoked {
			t.Fatalf("the closed account's mandate: %q %v", state, err)
		}
	})
}
