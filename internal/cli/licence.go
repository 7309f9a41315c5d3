package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/config"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/license"
)

var (
	licenceDept, licenceName, licenceReason, licenceRevoked string
	licenceRotate                                           bool
)

func licenceFlagSet(fs *flag.FlagSet, lf *localFlags) {
	fs.StringVar(&licenceDept, "dept", "", "keys, revoke-key: the department's unified social credit code")
	fs.StringVar(&licenceName, "name", "", "keys: the department's name (the certificate's subject)")
	fs.BoolVar(&licenceRotate, "rotate", false, "keys: replace the department's key and certificate (after revoke-key); the old pair is kept beside")
	fs.StringVar(&licenceReason, "reason", "", "revoke-key: why the key is revoked (lost, exposed …)")
	fs.StringVar(&licenceRevoked, "revoked", "", "verify: the certificate list saved from GET /api/v1/licence-certs; a file signed with a revoked key fails")
}

// runLicence makes signing keys (licence keys: the CA if the directory has
// none, then the department's key and certificate) or checks a licence file
// offline against the CA certificate (licence verify FILE).
func runLicence(ctx context.Context, e *Env, cfg *config.Config, lf *localFlags, args []string) error {
	dir := cfg.Or(cfg.LicenceKeys, "licence-keys")
	switch {
	case len(args) == 1 && args[0] == "keys":
		if _, err := codes.ParseCreditCode(licenceDept); err != nil || strings.TrimSpace(licenceName) == "" {
			fmt.Fprintln(e.Stderr, "usage: tongban licence keys --dept CREDIT_CODE --name NAME [--licence-keys DIR] [--licence-alg sm2-sm3|ed25519]")
			return errUsage
		}
		k, err := license.OpenKeyring(dir, true, cfg.LicenceAlg, nil)
		if err != nil {
			return err
		}
		sign := k.Signer
		if licenceRotate {
			sign = k.Rotate
		}
		s, err := sign(licenceDept, licenceName)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.Stdout, "%s: dept-%s.pem and .key (%s, certificate serial %x, valid to %s)\n", dir, licenceDept, s.Alg,
			s.Cert.SerialNumber, s.Cert.NotAfter.Format("2006-01-02"))
		return nil
	case len(args) == 1 && args[0] == "revoke-key":
		// The department's current certificate is revoked in the database:
		// running servers stop issuing with it at their next grant.
		if _, err := codes.ParseCreditCode(licenceDept); err != nil {
			fmt.Fprintln(e.Stderr, "usage: tongban licence revoke-key --dept CREDIT_CODE --reason REASON [--licence-keys DIR] [--db DSN]")
			return errUsage
		}
		cert, err := license.ReadDeptCert(dir, licenceDept)
		if err != nil {
			return err
		}
		d, err := db.Open(ctx, cfg.DB)
		if err != nil {
			return err
		}
		defer d.Close()
		if err := license.RevokeSigner(ctx, d, cert, licenceDept, licenceReason); err != nil {
			return err
		}
		fmt.Fprintf(e.Stdout, "revoked certificate %x of %s; make its new key with: tongban licence keys --dept %s --name NAME --rotate\n",
			cert.SerialNumber, licenceDept, licenceDept)
		return nil
	case len(args) == 2 && args[0] == "verify":
		k, err := license.OpenKeyring(dir, false, "", nil)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(args[1])
		if err != nil {
			return err
		}
		v, _ := license.CheckFile(k.Roots(), b)
		if licenceRevoked != "" {
			list, err := os.ReadFile(licenceRevoked)
			if err != nil {
				return err
			}
			revoked, err := license.RevokedSerials(list)
			if err != nil {
				return fmt.Errorf("%s: not the list of GET /api/v1/licence-certs: %w", licenceRevoked, err)
			}
			license.CheckRevoked(v, revoked)
		}
		out, _ := json.MarshalIndent(map[string]any{"identifier": v.Identifier, "verdict": map[bool]string{true: v.Verdict, false: "signature_ok"}[v.Verdict != ""],
			"signature": v.Signature}, "", "  ")
		fmt.Fprintln(e.Stdout, string(out))
		if v.Verdict != "" {
			return errSilent
		}
		return nil
	}
	fmt.Fprintln(e.Stderr, "usage: tongban licence keys --dept CODE --name NAME [--rotate] | tongban licence revoke-key --dept CODE --reason REASON | tongban licence verify [--revoked LIST.json] FILE")
	return errUsage
}
