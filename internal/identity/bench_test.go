package identity_test

import (
	"context"
	"testing"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/vault"
)

func BenchmarkHashPassword(b *testing.B) {
	for b.Loop() {
		identity.HashPassword("correct horse")
	}
}

// BenchmarkAuthenticate measures the per-request cost of resolving a session
// (the work every authenticated page and API call does).
func BenchmarkAuthenticate(b *testing.B) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		b.Run(dialect, func(b *testing.B) {
			var d *db.DB
			if dialect == "sqlite" {
				d = dbtest.SQLite(b)
			} else {
				d = dbtest.Postgres(b)
			}
			ctx := context.Background()
			v, _ := vault.New(vault.NewKey())
			svc := identity.NewService(d, v)
			if _, err := svc.CreatePerson(ctx, identity.NewPerson{Account: identity.Account{Username: "zhangsan", Password: pw}, Name: "张三", IDNumber: "11010519491231002X"}); err != nil {
				b.Fatal(err)
			}
			token, _, _, err := svc.Login(ctx, identity.LoginRequest{Username: "zhangsan", Password: pw, Kind: identity.SessionAPI})
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, _, err := svc.Authenticate(ctx, token, identity.SessionAPI); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
