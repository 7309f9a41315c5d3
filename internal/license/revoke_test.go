package license_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/license"
)

// A department's key revoked: issuing with it stops at once (the grant is
// refused and nothing is written) until the key is rotated; licences it
// signed before stay valid; the public list shows the certificate revoked.
func TestRevokedSignerStopsIssuing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d, license.AlgSM2)
		// A production keyring: keys made beforehand, none made on demand.
		dir := t.TempDir()
		made, err := license.OpenKeyring(dir, true, license.AlgSM2, d.Now)
		if err != nil {
			t.Fatal(err)
		}
		const amr = "11500102MB1C0002XM"
		old, err := made.Signer(amr, "重庆市涪陵区市场监督管理局")
		if err != nil {
			t.Fatal(err)
		}
		prod, err := license.OpenKeyring(dir, false, license.AlgSM2, d.Now)
		if err != nil {
			t.Fatal(err)
		}
		f.lib.Keys = prod
		_, before := f.licensed()

		if err := license.RevokeSigner(f.ctx, d, old.Cert, amr, " "); !apperr.Is(err, apperr.Invalid, "licence.reason_required") {
			t.Errorf("revoking without a reason: %v", err)
		}
		if err := license.RevokeSigner(f.ctx, d, old.Cert, amr, "私钥所在服务器失窃"); err != nil {
			t.Fatal(err)
		}
		if err := license.RevokeSigner(f.ctx, d, old.Cert, amr, "again"); !apperr.Is(err, apperr.Conflict, "licence.cert_revoked_already") {
			t.Errorf("revoking twice: %v", err)
		}
		// The running library still holds the old key in memory: the grant is refused all the same.
		c := f.awaitingDecision(zhangsanID, soleTrader, soleTraderValues())
		licences := count(t, d, `SELECT COUNT(*) FROM licences`)
		if _, err := f.cases.Act(f.ctx, f.users["approver"], c.No, cases.ActionRequest{Action: "grant"}); !apperr.Is(err, apperr.Conflict, "licence.signer_revoked") {
			t.Fatalf("grant with a revoked key: %v", err)
		}
		if after, _ := f.cases.Get(f.ctx, f.users["approver"], c.No); after.State != c.State || count(t, d, `SELECT COUNT(*) FROM licences`) != licences {
			t.Errorf("half-written: state %s", after.State)
		}
		// What it signed before stays valid: the library says which licences exist.
		if v, err := f.lib.Verify(f.ctx, before.Metadata.Identifier, anon); err != nil || !v.Valid {
			t.Errorf("a licence signed before the revocation: %v %v", v, err)
		}
		// The key rotated where the CA's key is (the command line): the server takes the new key at the next grant.
		if _, err := made.Rotate(amr, "重庆市涪陵区市场监督管理局"); err != nil {
			t.Fatal(err)
		}
		if kept, _ := filepath.Glob(filepath.Join(dir, "dept-"+amr+".*.pem")); len(kept) != 1 {
			t.Errorf("the old certificate is not kept beside: %v", kept)
		}
		granted, err := f.cases.Act(f.ctx, f.users["approver"], c.No, cases.ActionRequest{Action: "grant"})
		if err != nil || granted.Licence == "" {
			t.Fatalf("grant after the rotation: %v", err)
		}
		l, err := f.lib.Get(f.ctx, f.users["zhangsan"], granted.Licence)
		if err != nil {
			t.Fatal(err)
		}
		if l.CertSerial == before.CertSerial {
			t.Error("signed with the revoked key")
		}
		certs, err := license.Certs(f.ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		revoked := 0
		for _, c := range certs {
			if c.RevokedAt != nil {
				revoked++
				if c.Serial != before.CertSerial || c.RevokedReason != "私钥所在服务器失窃" || c.CreditCode != amr {
					t.Errorf("revoked certificate listed as %+v", c)
				}
			}
		}
		if len(certs) != 2 || revoked != 1 {
			t.Errorf("%d certificates, %d revoked", len(certs), revoked)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM audit_pending WHERE action = 'licence.cert_revoke'`); n != 1 {
			t.Errorf("%d revocation records", n)
		}
		// Without the CA's key, a keyring cannot rotate.
		os.Remove(filepath.Join(dir, "ca.key"))
		nokey, _ := license.OpenKeyring(dir, false, license.AlgSM2, d.Now)
		if _, err := nokey.Rotate(amr, "x"); err != license.ErrNoCAKey {
			t.Errorf("rotation without the CA key: %v", err)
		}
	})
}

// Where keys are made on demand (the demo), a revoked key is replaced by itself.
func TestDemoRotatesARevokedKey(t *testing.T) {
	d := dbtest.SQLite(t)
	f := setup(t, d, license.AlgSM2)
	_, before := f.licensed()
	cert, err := license.ParseCertPEM([]byte(before.CertPEM))
	if err != nil {
		t.Fatal(err)
	}
	if err := license.RevokeSigner(f.ctx, d, cert, "11500102MB1C0002XM", "演示"); err != nil {
		t.Fatal(err)
	}
	_, after := f.licensed()
	if after.CertSerial == before.CertSerial {
		t.Error("the demo signed with a revoked key")
	}
}

// The revoked list is matched by serial however its hex is written.
func TestCheckRevoked(t *testing.T) {
	revoked, err := license.RevokedSerials([]byte(`{"certificates":[{"serial":"0a1b","revoked_at":"2026-12-01T08:00:00Z"},{"serial":"ff"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		serial, verdict, want string
	}{
		{"a1b", "", license.VerdictSignerRevoked},
		{"0A1B", "", license.VerdictSignerRevoked},
		{"ff", "", ""}, // listed, not revoked
		{"a1b", license.VerdictBadSignature, license.VerdictBadSignature},
	} {
		v := &license.Verdict{Verdict: tt.verdict, Signature: &license.SigCheck{CertSerial: tt.serial}}
		if license.CheckRevoked(v, revoked); v.Verdict != tt.want {
			t.Errorf("%s/%q: %q, want %q", tt.serial, tt.verdict, v.Verdict, tt.want)
		}
	}
	if _, err := license.RevokedSerials([]byte(`[`)); err == nil {
		t.Error("a broken list read")
	}
}
