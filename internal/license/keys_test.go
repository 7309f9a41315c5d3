package license_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/license"
)

// The demo creates the CA and department keys on first use and keeps them;
// production loads them and refuses to make one.
func TestKeyringFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "licence-keys")
	now := func() time.Time { return time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC) }
	if _, err := license.OpenKeyring(dir, false, license.AlgSM2, now); err == nil {
		t.Fatal("production opened a keyring without a CA certificate")
	}
	if _, err := license.OpenKeyring(dir, true, "rsa", now); err == nil {
		t.Fatal("an unknown algorithm was accepted")
	}
	demo, err := license.OpenKeyring(dir, true, license.AlgSM2, now)
	if err != nil {
		t.Fatal(err)
	}
	s1, err := demo.Signer("11500102MB1C0002XM", "重庆市涪陵区市场监督管理局")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"ca.pem", "ca.key", "dept-11500102MB1C0002XM.pem", "dept-11500102MB1C0002XM.key"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Production: the same files load; the CA's key may be kept offline.
	if err := os.Remove(filepath.Join(dir, "ca.key")); err != nil {
		t.Fatal(err)
	}
	prod, err := license.OpenKeyring(dir, false, license.AlgSM2, now)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := prod.Signer("11500102MB1C0002XM", "重庆市涪陵区市场监督管理局")
	if err != nil || s2.Cert.SerialNumber.Cmp(s1.Cert.SerialNumber) != 0 || !prod.CACert().Equal(demo.CACert()) {
		t.Fatalf("reloaded signer: %v", err)
	}
	if _, err := prod.Signer("11500102MB1C0003XX", "重庆市公安局涪陵区分局"); !errors.Is(err, license.ErrNoSigner) {
		t.Errorf("a department without a key: %v", err)
	}
}

// A grant whose licence cannot be signed is refused with a clear message,
// and nothing of it is written: the case stays where it was.
func TestGrantWithoutSignerChangesNothing(t *testing.T) {
	d := dbtest.SQLite(t)
	f := setup(t, d, license.AlgSM2)
	dir := t.TempDir()
	if _, err := license.OpenKeyring(dir, true, license.AlgSM2, d.Now); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, "ca.key"))
	keys, err := license.OpenKeyring(dir, false, license.AlgSM2, d.Now)
	if err != nil {
		t.Fatal(err)
	}
	f.lib.Keys = keys
	c := f.awaitingDecision(zhangsanID, soleTrader, soleTraderValues())
	_, err = f.cases.Act(f.ctx, f.users["approver"], c.No, cases.ActionRequest{Action: "grant"})
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Code != apperr.Conflict || ae.Key != "licence.no_signer" {
		t.Fatalf("grant without a signing key: %v", err)
	}
	after, _ := f.cases.Get(f.ctx, f.users["approver"], c.No)
	if after.State != c.State || after.Decision != "" || count(t, d, `SELECT COUNT(*) FROM licences`) != 0 {
		t.Errorf("half-written: state %s decision %q", after.State, after.Decision)
	}
}
