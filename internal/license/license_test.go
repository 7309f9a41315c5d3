package license_test

import (
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/license"
)

func sample(t *testing.T) (license.Metadata, map[string]string) {
	t.Helper()
	id, err := codes.NewLicenceID("11100000000013338W011", "11500102MB1C0002XM", "00000001", "001")
	if err != nil {
		t.Skip("identifier parts: ", err)
	}
	return license.Metadata{Name: "营业执照", TypeName: "营业执照", TypeCode: "11100000000013338W011", Number: "92500102MA5U7X2K8B",
			Identifier: id.ID, Issuer: "重庆市涪陵区市场监督管理局", IssuerCode: "11500102MB1C0002XM", IssuedOn: "2026-11-24",
			Jurisdiction: "500102", Holder: "张三小吃店", HolderCode: "92500102MA5U7X2K8B", HolderCodeType: "credit_code",
			ValidFrom: "2026-11-24", Authority: "国家市场监督管理总局", Signed: time.Date(2026, 11, 24, 2, 0, 0, 0, time.UTC)},
		map[string]string{"经营者": "张三", "经营场所": "重庆市涪陵区滨江路1号", "经营范围": "小吃服务\n（依法须经批准的项目除外）"}
}

// A licence signed by a department whose certificate the platform's CA
// issued verifies; a changed field, a certificate from another CA, or a
// signature of another licence does not.
func TestSignAndVerify(t *testing.T) {
	now := time.Date(2026, 11, 24, 2, 0, 0, 0, time.UTC)
	ca, err := license.NewCA("通办电子证照根证书", now, 20)
	if err != nil {
		t.Fatal(err)
	}
	dept, err := ca.Issue("重庆市涪陵区市场监督管理局", "11500102MB1C0002XM", now, 5)
	if err != nil {
		t.Fatal(err)
	}
	roots := smx509.NewCertPool()
	roots.AddCert(ca.Cert)
	m, fields := sample(t)
	payload := license.Payload(m, fields)
	sig, err := dept.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	if err := license.Verify(roots, dept.Cert, payload, sig, now); err != nil {
		t.Fatalf("a good licence: %v", err)
	}
	// A field changed after signing.
	fields["经营范围"] = "餐饮服务"
	if err := license.Verify(roots, dept.Cert, license.Payload(m, fields), sig, now); !errors.Is(err, license.ErrBadSignature) {
		t.Fatalf("a tampered field: %v", err)
	}
	// A certificate from another CA.
	other, _ := license.NewCA("别的根证书", now, 20)
	forger, _ := other.Issue("重庆市涪陵区市场监督管理局", "11500102MB1C0002XM", now, 5)
	fsig, _ := forger.Sign(payload)
	if err := license.Verify(roots, forger.Cert, payload, fsig, now); !errors.Is(err, license.ErrUnknownSigner) {
		t.Fatalf("an unknown certificate: %v", err)
	}
	// An expired department certificate.
	if err := license.Verify(roots, dept.Cert, payload, sig, now.AddDate(6, 0, 0)); !errors.Is(err, license.ErrUnknownSigner) {
		t.Fatalf("an expired certificate: %v", err)
	}
	if !strings.Contains(string(payload), "field.经营范围=小吃服务\\n（依法须经批准的项目除外）\n") {
		t.Fatalf("line breaks in a value are escaped:\n%s", payload)
	}
}

// STANDARDS.md §6: the signature verifies with OpenSSL 3 given the default
// distinguishing ID; a tampered payload does not.
func TestOpenSSLVerifies(t *testing.T) {
	tool, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not installed")
	}
	now := time.Now()
	ca, _ := license.NewCA("通办电子证照根证书", now, 20)
	dept, _ := ca.Issue("重庆市涪陵区市场监督管理局", "11500102MB1C0002XM", now, 5)
	m, fields := sample(t)
	payload := license.Payload(m, fields)
	sig, err := dept.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pubDER, err := smx509.MarshalPKIXPublicKey(dept.Cert.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pub := write("pub.pem", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}))
	sigPath := write("sig", sig)
	good := write("payload", payload)
	out, err := exec.Command(tool, "dgst", "-sm3", "-verify", pub, "-sigopt", "distid:1234567812345678", "-signature", sigPath, good).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Verified OK") {
		t.Fatalf("openssl: %v %s", err, out)
	}
	bad := write("tampered", []byte(strings.Replace(string(payload), "张三小吃店", "李四小吃店", 1)))
	if out, err := exec.Command(tool, "dgst", "-sm3", "-verify", pub, "-sigopt", "distid:1234567812345678", "-signature", sigPath, bad).CombinedOutput(); err == nil {
		t.Fatalf("openssl verified a tampered payload: %s", out)
	}
	// The CA's certificate verifies the department's: OpenSSL 3.0 needs the
	// distinguishing ID here too (-vfyopt).
	caPEM := write("ca.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Cert.Raw}))
	deptPEM := write("dept.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: dept.Cert.Raw}))
	if out, err := exec.Command(tool, "verify", "-vfyopt", "distid:1234567812345678", "-CAfile", caPEM, deptPEM).CombinedOutput(); err != nil || !strings.Contains(string(out), "OK") {
		t.Fatalf("openssl verify of the SM2 certificate chain: %v %s", err, out)
	}
}
