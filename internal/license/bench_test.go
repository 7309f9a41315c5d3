package license_test

import (
	"testing"

	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/license"
)

// BenchmarkVerify is one public verification by identifier on SQLite: the
// identifier's check, the licence read, the SM2 signature and chain check,
// and the check recorded (a row and an audit record) — one transaction.
func BenchmarkVerify(b *testing.B) {
	for _, alg := range []string{license.AlgSM2, license.AlgEd25519} {
		b.Run(alg, func(b *testing.B) {
			f := setup(b, dbtest.SQLite(b), alg)
			_, l := f.licensed()
			id := l.Metadata.Identifier
			for b.Loop() {
				if v, err := f.lib.Verify(f.ctx, id, anon); err != nil || !v.Valid {
					b.Fatal(v, err)
				}
			}
		})
	}
}

// BenchmarkGrantIssuingLicence files a case at the window and carries it to
// 准予, the last transaction issuing and signing its licence (SM2): five
// transactions per op, to compare with the case engine's lifecycle.
func BenchmarkGrantIssuingLicence(b *testing.B) {
	f := setup(b, dbtest.SQLite(b), license.AlgSM2)
	for b.Loop() {
		if c := f.grant(soleTrader, soleTraderValues(), false); c.Licence == "" {
			b.Fatal("no licence")
		}
	}
}
