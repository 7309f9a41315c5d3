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
	tool := openssl(t)
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

// STANDARDS.md §1.5: the three real identifiers validate; each altered in
// one character does not.
func TestStandardIdentifiers(t *testing.T) {
	for _, id := range []string{
		"1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U",
		"1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.0",
		"1.2.156.3005.2.11100000MB03271699022.340100.000000016.001.9",
	} {
		if _, err := license.ParseIdentifier(id); err != nil {
			t.Errorf("%s: %v", id, err)
		}
		last := id[len(id)-1]
		other := byte('A')
		if last == 'A' {
			other = 'B'
		}
		if _, err := license.ParseIdentifier(id[:len(id)-1] + string(other)); err == nil {
			t.Errorf("%s with check %c validated", id, other)
		}
		serialAt := strings.LastIndex(id[:len(id)-6], ".") + 1
		swapped := []byte(id)
		swapped[serialAt] = map[bool]byte{true: '1', false: '2'}[swapped[serialAt] != '1']
		if _, err := license.ParseIdentifier(string(swapped)); err == nil {
			t.Errorf("%s with a changed serial validated", swapped)
		}
	}
}

// ParsePayload reads back exactly what Payload writes, and nothing else.
func TestPayloadRoundTrip(t *testing.T) {
	m, fields := sample(t)
	b := license.Payload(m, fields)
	m2, f2, err := license.ParsePayload(b)
	if err != nil || !m2.Signed.Equal(m.Signed) || m2.Holder != m.Holder || len(f2) != len(fields) || f2["经营范围"] != fields["经营范围"] {
		t.Fatalf("round trip: %+v %v %v", m2, f2, err)
	}
	for name, bad := range map[string]string{
		"no final line feed":    strings.TrimSuffix(string(b), "\n"),
		"keys out of order":     strings.Replace(string(b), "name=营业执照\ntype_name=营业执照\n", "type_name=营业执照\nname=营业执照\n", 1),
		"a raw carriage return": strings.Replace(string(b), "张三小吃店", "张三\r小吃店", 1),
		"another header":        strings.Replace(string(b), license.PayloadHeader, "tongban-licence v2", 1),
	} {
		if _, _, err := license.ParsePayload([]byte(bad)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// FuzzParsePayload: outside input never panics the parser, and whatever it
// accepts is canonical.
func FuzzParsePayload(f *testing.F) {
	m := license.Metadata{Name: "营业执照", Identifier: "1.2.156.3005.2.x", Signed: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	f.Add(license.Payload(m, map[string]string{"经营范围": "小吃\n服务", "a=b": "c\\d"}))
	f.Add([]byte("tongban-licence v1\n"))
	f.Add([]byte{0xff, '\n'})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, fields, err := license.ParsePayload(b)
		if err != nil {
			return
		}
		if got := license.Payload(m, fields); string(got) != string(b) {
			t.Fatalf("accepted a non-canonical payload:\n%q\nre-encodes as\n%q", b, got)
		}
	})
}
