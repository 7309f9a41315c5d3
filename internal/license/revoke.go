package license

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/db"
)

// A department's signing key that was lost or exposed is revoked: the
// platform stops issuing with it at once (IssueFor checks every time, so a
// revocation made by the command line reaches running servers), its
// certificate is listed as revoked for verifiers who check files offline
// (GET /api/v1/licence-certs), and a new key is made (Keyring.Rotate; the
// demo rotates by itself). Licences it signed before stay valid online: the
// library, not the key, says which licences exist.

// Cert is a department certificate as the public list shows it.
type Cert struct {
	Serial        string     `json:"serial"`
	Department    string     `json:"department"`
	CreditCode    string     `json:"credit_code"`
	Algorithm     string     `json:"algorithm"`
	NotBefore     time.Time  `json:"not_before"`
	NotAfter      time.Time  `json:"not_after"`
	RevokedAt     *time.Time `json:"revoked_at,omitempty"`
	RevokedReason string     `json:"revoked_reason,omitempty"`
	PEM           string     `json:"pem"`
}

func serialOf(c *smx509.Certificate) string { return hex.EncodeToString(c.SerialNumber.Bytes()) }

// RevokeSigner revokes the certificate cert of the department with
// creditCode, for reason. Invalid without a reason, NotFound for an unknown
// department, Conflict when it is revoked already.
func RevokeSigner(ctx context.Context, d *db.DB, cert *smx509.Certificate, creditCode, reason string) error {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return apperr.E(apperr.Invalid, "licence.reason_required")
	}
	alg, err := algOf(cert.PublicKey)
	if err != nil {
		return err
	}
	serial := serialOf(cert)
	return apperr.Internalf("license: revoke signer", d.Update(ctx, func(tx *db.Tx) error {
		var deptID string
		if err := tx.QueryRow(`SELECT id FROM departments WHERE credit_code = $1`, creditCode).Scan(&deptID); err != nil {
			return db.NotFound(err, "licence.dept_unknown", "code", creditCode)
		}
		if _, err := tx.Exec(`INSERT INTO licence_certs (serial, department_id, algorithm, pem, created_at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (serial) DO NOTHING`, serial, deptID, alg, string(CertPEM(cert)), tx.Now); err != nil {
			return err
		}
		res, err := tx.Exec(`UPDATE licence_certs SET revoked_at = $1, revoked_reason = $2 WHERE serial = $3 AND revoked_at IS NULL`,
			tx.Now, reason, serial)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return apperr.E(apperr.Conflict, "licence.cert_revoked_already", "serial", serial)
		}
		payload, _ := json.Marshal(map[string]string{"credit_code": creditCode, "reason": reason})
		return audit.Append(tx, &audit.Record{Role: "operator", Action: "licence.cert_revoke", ObjectType: "licence_cert", ObjectID: serial}, payload)
	}))
}

// certRevoked reports whether the certificate with serial is revoked.
func certRevoked(tx *db.Tx, serial string) (bool, error) {
	var at sql.NullTime
	err := tx.QueryRow(`SELECT revoked_at FROM licence_certs WHERE serial = $1`, serial).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return at.Valid, err
}

// Certs lists the departments' certificates the library knows, newest first:
// public, for verifiers who check licence files offline.
func Certs(ctx context.Context, d *db.DB) ([]Cert, error) {
	var out []Cert
	err := d.View(ctx, func(tx *db.Tx) error {
		rows, err := tx.Query(`SELECT k.serial, dp.name, dp.credit_code, k.algorithm, k.pem, k.revoked_at, k.revoked_reason
			FROM licence_certs k JOIN departments dp ON dp.id = k.department_id ORDER BY k.created_at DESC, k.serial`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c Cert
			var revoked sql.NullTime
			if err := rows.Scan(&c.Serial, &c.Department, &c.CreditCode, &c.Algorithm, &c.PEM, &revoked, &c.RevokedReason); err != nil {
				return err
			}
			if revoked.Valid {
				t := revoked.Time.UTC()
				c.RevokedAt = &t
			}
			if pc, err := ParseCertPEM([]byte(c.PEM)); err == nil {
				c.NotBefore, c.NotAfter = pc.NotBefore.UTC(), pc.NotAfter.UTC()
			}
			out = append(out, c)
		}
		return rows.Err()
	})
	if out == nil {
		out = []Cert{}
	}
	return out, apperr.Internalf("license: certs", err)
}

// RevokedSerials reads the revoked certificates' serials from the public
// list (the body of GET /api/v1/licence-certs), for checking files offline.
func RevokedSerials(list []byte) (map[string]bool, error) {
	var body struct {
		Certificates []Cert `json:"certificates"`
	}
	if err := json.Unmarshal(list, &body); err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, c := range body.Certificates {
		if c.RevokedAt != nil {
			out[serialKey(c.Serial)] = true
		}
	}
	return out, nil
}

// CheckRevoked marks a file's verdict signer_revoked when its signature holds
// but its certificate is on the revoked list. Offline there is no telling a
// signature made before the key was lost from one made after (the signing
// time is the signer's own claim), so a file signed with a revoked key is not
// trusted offline; the platform's verification, which knows its licences,
// still answers for the ones it issued.
func CheckRevoked(v *Verdict, revoked map[string]bool) {
	if v.Verdict == "" && v.Signature != nil && revoked[serialKey(v.Signature.CertSerial)] {
		v.Verdict = VerdictSignerRevoked
	}
}

// serialKey compares hex serials written with or without leading zeros.
func serialKey(hex string) string { return strings.TrimLeft(strings.ToLower(hex), "0") }
