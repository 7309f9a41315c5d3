package license_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/license"
	"github.com/tongban/tongban/internal/notify"
)

// A case whose item yields a licence issues it when it is granted: a GB/T
// 36904 identifier with its check character, GB/T 36903 metadata, the
// form's values as fields, a signature that verifies; the holder is told,
// and the issue is an event and an audit record. A denied case issues none.
func TestIssueOnGrant(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d, license.AlgSM2)
		c, l := f.licensed()
		id, err := codes.ParseLicenceID(c.Licence)
		if err != nil {
			t.Fatalf("issued identifier %s: %v", c.Licence, err)
		}
		m := l.Metadata
		if id.TypeCode != "11100000000013338W011" || id.Issuer != m.IssuerCode || id.Version != "001" || !strings.HasPrefix(id.Serial, "2026") {
			t.Errorf("identifier parts: %+v", id)
		}
		if m.Name != "营业执照" || m.Issuer != "重庆市涪陵区市场监督管理局" || m.Holder != "张三" || m.HolderCode != zhangsanID ||
			m.HolderCodeType != identity.HolderCitizenID || m.IssuedOn != "2026-03-02" || m.ValidFrom != "2026-03-02" || m.ValidTo != "" ||
			m.Jurisdiction != "500102" || m.Authority != "国家市场监督管理总局" {
			t.Errorf("metadata: %+v", m)
		}
		if l.Fields["名称"] != "张三小吃店" || l.Fields["经营范围"] != "小吃服务" || l.Fields["组成形式"] != "个人经营" ||
			!strings.HasPrefix(l.Fields["经营场所"], "重庆市涪陵区") || !strings.HasSuffix(l.Fields["经营场所"], "滨江路 1 号") {
			t.Errorf("fields: %v", l.Fields)
		}
		if l.HolderMasked == zhangsanID || l.Status != license.StatusValid || l.CaseNo != c.No {
			t.Errorf("holder masked %q, status %q, case %q", l.HolderMasked, l.Status, l.CaseNo)
		}
		v, err := f.lib.Verify(f.ctx, c.Licence, anon)
		if err != nil || v.Verdict != license.VerdictValid || !v.Valid || !v.Signature.Valid || v.Holder != "张*" {
			t.Fatalf("verify: %+v %v", v, err)
		}
		// The holder is told; the issue is in the licence's history and the audit log.
		msgs, _, err := (&notify.Box{DB: d}).Inbox(f.ctx, f.users["zhangsan"], 20)
		if err != nil || !hasKind(msgs, "licence") {
			t.Errorf("no notification of the licence: %+v %v", msgs, err)
		}
		evs, _ := f.lib.Events(f.ctx, l)
		if len(evs) != 1 || evs[0].Action != "issue" {
			t.Errorf("events: %+v", evs)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM audit_pending WHERE action = 'licence.issue' AND object_id = $1`, l.ID); n != 1 {
			t.Errorf("audit records of the issue: %d", n)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM audit_pending WHERE action = 'licence.verify' AND object_id = $1`, l.ID); n != 1 {
			t.Errorf("audit records of the verification: %d", n)
		}
		// The holder's wallet lists it; another applicant's does not.
		if list, _ := f.lib.List(f.ctx, f.users["zhangsan"]); len(list) != 1 || list[0].Metadata.Identifier != c.Licence {
			t.Errorf("wallet: %+v", list)
		}
		if list, _ := f.lib.List(f.ctx, f.users["democorp"]); len(list) != 0 {
			t.Errorf("another wallet: %+v", list)
		}
		// Serials count per issuer, type and year.
		c2, _ := f.licensed()
		id2, _ := codes.ParseLicenceID(c2.Licence)
		if id2.Serial != "20260000002" || id.Serial != "20260000001" {
			t.Errorf("serials %s then %s", id.Serial, id2.Serial)
		}
		denied := f.grant(soleTrader, soleTraderValues(), true)
		if denied.Licence != "" || count(t, d, `SELECT COUNT(*) FROM licences WHERE case_id = $1`, denied.ID) != 0 {
			t.Errorf("a denied case issued a licence: %q", denied.Licence)
		}
	})
}

// An organisation holds its licence by its credit code (holder code type
// 001), and its name is public on the verification page.
func TestOrganisationHolder(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d, license.AlgSM2)
		credit, err := codes.CompleteCreditCode("91500102MA5U7X2K")
		if err != nil {
			t.Fatal(err)
		}
		c := f.grantFor(credit, "有限责任公司设立登记", catalog.Values{"org_name": {"重庆市涪陵区通办示范科技有限公司"}, "legal_rep": {"王五"},
			"applicant_id": {zhangsanID}, "applicant_phone": {"13800000000"}, "org_address": {"500102006001", "滨江路 2 号"},
			"registered_capital": {"100"}, "scope": {"软件开发"}, "employees": {"12"}}, false)
		l, err := f.lib.Get(f.ctx, f.users["democorp"], c.Licence)
		if err != nil {
			t.Fatal(err)
		}
		m := l.Metadata
		if m.HolderCode != credit || m.HolderCodeType != identity.HolderCreditCode || l.Fields["名称"] != "重庆市涪陵区通办示范科技有限公司" || l.Fields["经营者"] != "王五" {
			t.Errorf("organisation licence: %+v %v", m, l.Fields)
		}
		if v, _ := f.lib.Verify(f.ctx, c.Licence, anon); v.Holder != "重庆市涪陵区通办示范科技有限公司" || !v.Valid {
			t.Errorf("verification of an organisation's licence: %+v", v)
		}
	})
}

func hasKind(ns []notify.Notification, kind string) bool {
	for _, n := range ns {
		if n.Kind == kind {
			return true
		}
	}
	return false
}

func count(t *testing.T, d *db.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := d.View(t.Context(), func(tx *db.Tx) error { return tx.QueryRow(q, args...).Scan(&n) }); err != nil {
		t.Fatal(err)
	}
	return n
}

// Each bad question gets a precise verdict, never "valid"; a revocation or
// suspension shows at once; expiry is read from the date and noted once.
func TestVerdicts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d, license.AlgSM2)
		_, l := f.licensed()
		good := l.Metadata.Identifier
		id, _ := codes.ParseLicenceID(good)
		unknown, _ := codes.NewLicenceID(id.TypeCode, id.Issuer, "20269999999", "001")
		wrongCheck := good[:len(good)-1] + map[bool]string{true: "0", false: "1"}[good[len(good)-1] != '0']
		for _, c := range []struct{ name, identifier, want string }{
			{"valid", good, license.VerdictValid},
			{"wrong check character", wrongCheck, license.VerdictBadCheck},
			{"not an identifier", "1.2.156.3005.2.abc", license.VerdictMalformed},
			{"garbage", "营业执照 <script>", license.VerdictMalformed},
			{"well-formed, not issued", unknown.ID, license.VerdictNotFound},
		} {
			v, err := f.lib.Verify(f.ctx, c.identifier, anon)
			if err != nil || v.Verdict != c.want || v.Valid != (c.want == license.VerdictValid) {
				t.Errorf("%s: %+v %v", c.name, v, err)
			}
		}
		// Every verification is in the audit log, those that found nothing too.
		if n := count(t, d, `SELECT COUNT(*) FROM audit_pending WHERE action = 'licence.verify'`); n != 5 {
			t.Errorf("verifications recorded: %d, want 5", n)
		}
		approver := f.users["approver"]
		for _, step := range []struct{ action, want string }{
			{"suspend", license.VerdictSuspended}, {"resume", license.VerdictValid}, {"revoke", license.VerdictRevoked},
		} {
			if _, err := f.lib.SetStatus(f.ctx, approver, good, step.action, "经核查"+step.action); err != nil {
				t.Fatalf("%s: %v", step.action, err)
			}
			if v, _ := f.lib.Verify(f.ctx, good, anon); v.Verdict != step.want || v.Valid != (step.want == license.VerdictValid) {
				t.Errorf("after %s: %+v", step.action, v)
			}
		}
		evs, _ := f.lib.Events(f.ctx, l)
		if len(evs) != 4 || evs[3].Action != "revoke" || evs[3].Reason != "经核查revoke" || evs[3].Actor == "" {
			t.Errorf("events: %+v", evs)
		}
	})
}

func TestExpiry(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d, license.AlgSM2)
		// 营业执照 made valid for one year for the test: 2026-03-02 to 2027-03-01.
		types, _ := license.Types(f.ctx, d)
		for _, ty := range types {
			if ty.Name == "营业执照" {
				ty.ValidityYears = 1
				if err := license.SaveType(f.ctx, d, "", ty); err != nil {
					t.Fatal(err)
				}
			}
		}
		_, l := f.licensed()
		if l.Metadata.ValidTo != "2027-03-01" {
			t.Fatalf("valid to %q", l.Metadata.ValidTo)
		}
		f.SetNow(at("2027-03-01 23:59"))
		if v, _ := f.lib.Verify(f.ctx, l.Metadata.Identifier, anon); v.Verdict != license.VerdictValid {
			t.Errorf("on its last day: %s", v.Verdict)
		}
		if n, err := f.lib.NoteExpired(f.ctx); err != nil || n != 0 {
			t.Errorf("noted before the end: %d %v", n, err)
		}
		f.SetNow(at("2027-03-02 00:01"))
		if v, _ := f.lib.Verify(f.ctx, l.Metadata.Identifier, anon); v.Verdict != license.VerdictExpired || v.Valid {
			t.Errorf("the day after: %+v", v)
		}
		for i, want := range []int{1, 0} {
			if n, err := f.lib.NoteExpired(f.ctx); err != nil || n != want {
				t.Errorf("note expired, run %d: %d %v", i, n, err)
			}
		}
		// An expired licence cannot be shared or suspended; it may be revoked.
		if _, err := f.lib.NewShare(f.ctx, f.users["zhangsan"], l.Metadata.Identifier, "银行开户", 0); apperr.CodeOf(err) != apperr.Conflict {
			t.Errorf("sharing an expired licence: %v", err)
		}
		if _, err := f.lib.SetStatus(f.ctx, f.users["approver"], l.Metadata.Identifier, "suspend", "x"); apperr.CodeOf(err) != apperr.Conflict {
			t.Errorf("suspending an expired licence: %v", err)
		}
	})
}

// A licence row changed behind the library's back fails its signature; a
// licence whose certificate the platform's CA did not issue is refused.
func TestTamperedLicenceNeverValid(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d, license.AlgSM2)
		_, l := f.licensed()
		id := l.Metadata.Identifier
		tampered := strings.Replace(string(l.Payload), "field.经营范围=小吃服务", "field.经营范围=小吃服务、烟草零售", 1)
		if err := d.Update(f.ctx, func(tx *db.Tx) error {
			_, err := tx.Exec(`UPDATE licences SET payload = $1 WHERE id = $2`, tampered, l.ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if v, _ := f.lib.Verify(f.ctx, id, anon); v.Verdict != license.VerdictBadSignature || v.Valid || v.Signature.Valid {
			t.Errorf("tampered payload: %+v", v)
		}
		// A certificate from another CA, with a signature that matches it.
		other, _ := license.NewCA("别的根证书", f.Now(), 20)
		forger, _ := other.Issue("重庆市涪陵区市场监督管理局", l.Metadata.IssuerCode, f.Now(), 5)
		sig, _ := forger.Sign([]byte(tampered))
		if err := d.Update(f.ctx, func(tx *db.Tx) error {
			if _, err := tx.Exec(`INSERT INTO licence_certs (serial, department_id, algorithm, pem, created_at) VALUES ('forged', $1, 'sm2-sm3', $2, $3)`,
				l.DepartmentID, string(license.CertPEM(forger.Cert)), tx.Now); err != nil {
				return err
			}
			_, err := tx.Exec(`UPDATE licences SET signature = $1, cert_serial = 'forged' WHERE id = $2`, sig, l.ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if v, _ := f.lib.Verify(f.ctx, id, anon); v.Verdict != license.VerdictUnknownSigner || v.Valid {
			t.Errorf("unknown signer: %+v", v)
		}
	})
}

// Share links: a reason is required; the link opens for the first browser
// only, for its time; it reflects a revocation at once; every opening is
// recorded and the holder sees them.
func TestShareLinks(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d, license.AlgSM2)
		_, l := f.licensed()
		id, holder := l.Metadata.Identifier, f.users["zhangsan"]
		for _, c := range []struct {
			name   string
			u      *identity.User
			reason string
			ttl    time.Duration
			code   apperr.Code
		}{
			{"no reason", holder, "  ", 0, apperr.Invalid},
			{"too short", holder, "银行开户", 30 * time.Second, apperr.Invalid},
			{"too long", holder, "银行开户", 25 * time.Hour, apperr.Invalid},
			{"not the holder", f.users["democorp"], "银行开户", 0, apperr.NotFound},
		} {
			if _, err := f.lib.NewShare(f.ctx, c.u, id, c.reason, c.ttl); apperr.CodeOf(err) != c.code {
				t.Errorf("%s: %v", c.name, err)
			}
		}
		sh, err := f.lib.NewShare(f.ctx, holder, id, "银行开户", 0)
		if err != nil || !sh.ExpiresAt.Equal(sh.CreatedAt.Add(10*time.Minute)) || sh.Token == "" {
			t.Fatalf("share: %+v %v", sh, err)
		}
		a := license.Check{Checker: "203.0.113.*", Viewer: "browser-a"}
		b := license.Check{Checker: "198.51.100.*", Viewer: "browser-b"}
		v, err := f.lib.OpenShare(f.ctx, sh.Token, a)
		if err != nil || v.Verdict != license.VerdictValid || v.Holder != "张三" || v.Reason != "银行开户" || len(v.Fields) == 0 {
			t.Fatalf("first opening: %+v %v", v, err)
		}
		if v, _ := f.lib.OpenShare(f.ctx, sh.Token, b); v.Verdict != license.VerdictShareUsed || v.Valid || v.Name != "" {
			t.Errorf("a second browser: %+v", v)
		}
		if v, _ := f.lib.OpenShare(f.ctx, sh.Token, license.Check{}); v.Verdict != license.VerdictShareUsed {
			t.Errorf("no viewer (the API): %+v", v)
		}
		if v, _ := f.lib.OpenShare(f.ctx, sh.Token, a); v.Verdict != license.VerdictValid {
			t.Errorf("the first browser again: %+v", v)
		}
		if _, err := f.lib.SetStatus(f.ctx, f.users["approver"], id, "revoke", "以欺骗手段取得"); err != nil {
			t.Fatal(err)
		}
		if v, _ := f.lib.OpenShare(f.ctx, sh.Token, a); v.Verdict != license.VerdictRevoked || v.Valid {
			t.Errorf("after revocation: %+v", v)
		}
		f.Advance(10 * time.Minute)
		if v, _ := f.lib.OpenShare(f.ctx, sh.Token, a); v.Verdict != license.VerdictShareExpired || v.Name != "" {
			t.Errorf("after ten minutes: %+v", v)
		}
		if v, _ := f.lib.OpenShare(f.ctx, "no-such-token", a); v.Verdict != license.VerdictShareUnknown {
			t.Errorf("unknown token: %+v", v)
		}
		if _, err := f.lib.NewShare(f.ctx, holder, id, "银行开户", 0); apperr.CodeOf(err) != apperr.Conflict {
			t.Errorf("sharing a revoked licence: %v", err)
		}
		shares, checks, err := f.lib.Activity(f.ctx, holder, l)
		if err != nil || len(shares) != 1 || shares[0].UsedAt == nil || len(checks) != 6 {
			t.Fatalf("activity: %+v %+v %v", shares, checks, err)
		}
		if checks[5].Channel != "share" || checks[5].Reason != "银行开户" || checks[5].Checker != "203.0.113.*" || checks[5].Verdict != "valid" {
			t.Errorf("oldest check: %+v", checks[5])
		}
		if _, others, _ := f.lib.Activity(f.ctx, f.users["approver"], l); others != nil {
			t.Errorf("staff see the holder's checks: %+v", others)
		}
	})
}

// Who may change a licence: an approver of the issuing department, with a
// reason; revocation is final.
func TestStatusChanges(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d, license.AlgSM2)
		_, l := f.licensed()
		id := l.Metadata.Identifier
		for _, c := range []struct {
			name, who, action, reason string
			code                      apperr.Code
		}{
			{"the holder", "zhangsan", "revoke", "x", apperr.Forbidden},
			{"another department", "psb-officer", "revoke", "x", apperr.NotFound},
			{"a handler of the department", "handler", "revoke", "x", apperr.Forbidden},
			{"no reason", "approver", "revoke", " ", apperr.Invalid},
			{"unknown action", "approver", "delete", "x", apperr.Invalid},
			{"resume a valid licence", "approver", "resume", "x", apperr.Conflict},
		} {
			if _, err := f.lib.SetStatus(f.ctx, f.users[c.who], id, c.action, c.reason); apperr.CodeOf(err) != c.code {
				t.Errorf("%s: %v", c.name, err)
			}
		}
		if l, err := f.lib.SetStatus(f.ctx, f.users["approver"], id, "revoke", "依法撤销"); err != nil || l.Status != license.StatusRevoked || l.StatusReason != "依法撤销" {
			t.Fatalf("revoke: %+v %v", l, err)
		}
		if _, err := f.lib.SetStatus(f.ctx, f.users["approver"], id, "resume", "x"); apperr.CodeOf(err) != apperr.Conflict {
			t.Errorf("resuming a revoked licence: %v", err)
		}
		// Staff of the issuing department read the licence; the read is recorded.
		if _, err := f.lib.Get(f.ctx, f.users["handler"], id); err != nil {
			t.Errorf("a handler of the issuer reads: %v", err)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM audit_pending WHERE action = 'licence.read' AND object_id = $1`, l.ID); n != 1 {
			t.Errorf("staff reads recorded: %d", n)
		}
		if _, err := f.lib.Get(f.ctx, f.users["psb-officer"], id); apperr.CodeOf(err) != apperr.NotFound {
			t.Errorf("another department reads: %v", err)
		}
		// The region's supervisor reads it (recorded) but does not manage it.
		if _, err := f.lib.Get(f.ctx, f.users["supervisor"], id); err != nil {
			t.Errorf("the region's supervisor reads: %v", err)
		}
		if _, err := f.lib.SetStatus(f.ctx, f.users["supervisor"], id, "suspend", "x"); apperr.CodeOf(err) != apperr.Forbidden {
			t.Errorf("the supervisor suspends: %v", err)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM audit_pending WHERE action = 'licence.read' AND object_id = $1`, l.ID); n != 2 {
			t.Errorf("staff reads recorded: %d, want 2", n)
		}
	})
}

// A licence file verifies offline-style: a good file is valid; a changed
// field, a foreign certificate, a wrong check character or garbage each get
// their own verdict.
func TestVerifyFile(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d, license.AlgSM2)
		_, l := f.licensed()
		file := f.lib.FileOf(l)
		enc := func(fl license.File) []byte { b, _ := json.Marshal(fl); return b }
		tampered := file
		tampered.Payload = strings.Replace(file.Payload, "holder=张三", "holder=李四", 1)
		other, _ := license.NewCA("别的根证书", f.Now(), 20)
		forger, _ := other.Issue("重庆市涪陵区市场监督管理局", l.Metadata.IssuerCode, f.Now(), 5)
		forged := file
		forged.Certificate = string(license.CertPEM(forger.Cert))
		forged.Signature, _ = forger.Sign([]byte(file.Payload))
		badCheck := file
		i := strings.LastIndex(file.Payload, ".001.")
		badCheck.Payload = file.Payload[:i+5] + map[bool]string{true: "0", false: "1"}[file.Payload[i+5] != '0'] + file.Payload[i+6:]
		for _, c := range []struct {
			name string
			body []byte
			want string
		}{
			{"good", enc(file), license.VerdictValid},
			{"a changed field", enc(tampered), license.VerdictBadSignature},
			{"a foreign certificate", enc(forged), license.VerdictUnknownSigner},
			{"a wrong check character", enc(badCheck), license.VerdictBadCheck},
			{"not JSON", []byte("%PDF-1.4"), license.VerdictBadFile},
			{"another format", []byte(`{"format":"x"}`), license.VerdictBadFile},
		} {
			v, err := f.lib.VerifyFile(f.ctx, c.body, license.Check{Checker: "127.0.0.*"})
			if err != nil || v.Verdict != c.want || v.Valid != (c.want == license.VerdictValid) {
				t.Errorf("%s: %+v %v", c.name, v, err)
			}
		}
		if _, err := f.lib.SetStatus(f.ctx, f.users["approver"], l.Metadata.Identifier, "revoke", "依法撤销"); err != nil {
			t.Fatal(err)
		}
		if v, _ := f.lib.VerifyFile(f.ctx, enc(file), license.Check{}); v.Verdict != license.VerdictRevoked || !v.Signature.Valid {
			t.Errorf("a good file of a revoked licence: %+v", v)
		}
	})
}

// 免提交: an online application for an item that accepts a 营业执照 in place
// of a material is complete without uploading it when the applicant holds a
// valid one; the case shows the licence; a revoked licence satisfies nothing.
func TestLicenceSatisfiesMaterial(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d, license.AlgSM2)
		_, l := f.licensed()
		zs := f.users["zhangsan"]
		apply := func() (*cases.Case, error) {
			c, _, err := f.cases.Create(f.ctx, zs, cases.NewCase{ItemCode: f.codes[foodLicence], Submit: true,
				Values: foodValues(), Answers: map[string]string{"cold_or_raw": "no"},
				Materials: []cases.MaterialRef{f.upload(zs, "application"), f.upload(zs, "layout"), f.upload(zs, "safety_rules")}})
			return c, err
		}
		c, err := apply()
		if err != nil {
			t.Fatalf("applying without uploading the 营业执照: %v", err)
		}
		if len(c.Licences) != 1 || c.Licences[0].MaterialKey != "business_licence" || c.Licences[0].Identifier != l.Metadata.Identifier ||
			c.Licences[0].Status != license.StatusValid {
			t.Fatalf("the case's licences: %+v", c.Licences)
		}
		// The handler sees the licence instead of an upload.
		got, err := f.cases.Get(f.ctx, f.users["clerk"], c.No)
		if err != nil || len(got.Licences) != 1 {
			t.Fatalf("the clerk's view: %+v %v", got, err)
		}
		held, err := f.cases.HeldLicences(f.ctx, zs, mustItem(t, f, foodLicence))
		if err != nil || held["business_licence"].Identifier != l.Metadata.Identifier {
			t.Errorf("held licences for the form: %+v %v", held, err)
		}
		if _, err := f.lib.SetStatus(f.ctx, f.users["approver"], l.Metadata.Identifier, "revoke", "依法撤销"); err != nil {
			t.Fatal(err)
		}
		_, err = apply()
		var ae *apperr.Error
		if !errors.As(err, &ae) || ae.Key != "case.materials_missing" || len(ae.Details) != 1 || ae.Details[0].Args["name"] != "营业执照" {
			t.Errorf("with the licence revoked: %v", err)
		}
		// The first case shows the licence's status now.
		if got, _ := f.cases.Get(f.ctx, f.users["clerk"], c.No); got.Licences[0].Status != license.StatusRevoked {
			t.Errorf("status shown on the case: %+v", got.Licences)
		}
	})
}

// 告知承诺: the licence is issued at acceptance; when the post-verification
// finds the promise false, the decision and its licence are revoked together.
func TestFalseCommitmentRevokesLicence(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d, license.AlgSM2)
		f.licensed() // 张三's 营业执照 supplies the food licence's material
		zs := f.users["zhangsan"]
		c, _, err := f.cases.Create(f.ctx, zs, cases.NewCase{ItemCode: f.codes[foodLicence], Submit: true, Commitment: true,
			Values: foodValues(), Answers: map[string]string{"cold_or_raw": "no"},
			Materials: []cases.MaterialRef{f.upload(zs, "application"), f.upload(zs, "layout"), f.upload(zs, "safety_rules")}})
		if err != nil {
			t.Fatal(err)
		}
		if c, err = f.cases.Act(f.ctx, f.users["clerk"], c.No, cases.ActionRequest{Action: "accept"}); err != nil {
			t.Fatal(err)
		}
		if c.Decision != cases.Granted || c.Licence == "" {
			t.Fatalf("a commitment granted at acceptance: %s, licence %q", c.Decision, c.Licence)
		}
		l, err := f.lib.Get(f.ctx, zs, c.Licence)
		if err != nil || l.Metadata.Name != "食品经营许可证" || l.Metadata.ValidTo != "2031-03-01" || l.Fields["经营项目"] != "热食类食品制售" {
			t.Fatalf("food licence: %+v %v", l, err)
		}
		if _, err := f.cases.Act(f.ctx, f.users["handler"], c.No, cases.ActionRequest{Action: "verify", Outcome: "false", Reason: "现场核查经营场所与承诺不符"}); err != nil {
			t.Fatal(err)
		}
		if v, _ := f.lib.Verify(f.ctx, c.Licence, anon); v.Verdict != license.VerdictRevoked || v.StatusReason != "现场核查经营场所与承诺不符" {
			t.Errorf("after a false promise: %+v", v)
		}
	})
}
