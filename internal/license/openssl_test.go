package license_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/license"
)

// The commands of docs/LICENCES.md verify a licence file the platform
// issued — SM2/SM3 and Ed25519 — with OpenSSL 3 alone; a changed field
// fails them.
func TestOpenSSLVerifiesIssuedLicenceFile(t *testing.T) {
	tool := openssl(t)
	for _, alg := range []string{license.AlgSM2, license.AlgEd25519} {
		t.Run(alg, func(t *testing.T) {
			f := setup(t, dbtest.SQLite(t), alg)
			_, l := f.licensed()
			file := f.lib.FileOf(l)
			if file.Algorithm != alg {
				t.Fatalf("algorithm %s", file.Algorithm)
			}
			if v, _ := f.lib.Verify(f.ctx, l.Metadata.Identifier, anon); v.Verdict != license.VerdictValid || v.Signature.Algorithm != alg {
				t.Fatalf("gmsm/x509 verdict: %+v", v)
			}
			dir := t.TempDir()
			write := func(name, body string) string {
				p := filepath.Join(dir, name)
				if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
					t.Fatal(err)
				}
				return p
			}
			run := func(args ...string) (string, error) {
				out, err := exec.Command(tool, args...).CombinedOutput()
				return string(out), err
			}
			payload, sig := write("licence.payload", file.Payload), write("licence.sig", string(file.Signature))
			cert, ca := write("signer.pem", file.Certificate), write("ca.pem", file.CA)
			pub := filepath.Join(dir, "signer-pub.pem")
			if out, err := run("x509", "-in", cert, "-pubkey", "-noout", "-out", pub); err != nil {
				t.Fatalf("openssl x509: %v %s", err, out)
			}
			verify := func(data string) (string, error) {
				if alg == license.AlgEd25519 {
					return run("pkeyutl", "-verify", "-pubin", "-inkey", pub, "-rawin", "-in", data, "-sigfile", sig)
				}
				return run("dgst", "-sm3", "-verify", pub, "-sigopt", "distid:1234567812345678", "-signature", sig, data)
			}
			if out, err := verify(payload); err != nil || !strings.Contains(out, "Verified") && !strings.Contains(out, "Success") {
				t.Fatalf("openssl verify: %v %s", err, out)
			}
			bad := write("tampered.payload", strings.Replace(file.Payload, "field.经营范围=小吃服务", "field.经营范围=烟草零售", 1))
			if out, err := verify(bad); err == nil {
				t.Fatalf("openssl verified a changed field: %s", out)
			}
			if out, err := run("verify", "-vfyopt", "distid:1234567812345678", "-CAfile", ca, cert); err != nil || !strings.Contains(out, "OK") {
				t.Fatalf("openssl verify of the chain: %v %s", err, out)
			}
		})
	}
}

// openssl is the OpenSSL 3 command. With TONGBAN_REQUIRE_OPENSSL=1 (CI) a
// missing one fails the test instead of skipping it.
func openssl(t *testing.T) string {
	t.Helper()
	tool, err := exec.LookPath("openssl")
	if err != nil {
		if os.Getenv("TONGBAN_REQUIRE_OPENSSL") == "1" {
			t.Fatal("TONGBAN_REQUIRE_OPENSSL=1 but openssl is not installed")
		}
		t.Skip("openssl not installed")
	}
	return tool
}
