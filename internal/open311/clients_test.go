package open311_test

import (
	"context"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/open311"
)

const town = "500102123000" // a township of 涪陵区 (the Fuling division list)

func staff(t *testing.T, d *db.DB, id string, grants ...identity.Grant) *identity.User {
	t.Helper()
	err := d.Update(context.Background(), func(tx *db.Tx) error {
		_, err := tx.Exec(`INSERT INTO users (id, username, kind, display_name, password_hash, created_at, updated_at)
			VALUES ($1, $1, 'staff', $1, '-', $2, $2)`, id, tx.Now)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return &identity.User{ID: id, Kind: identity.KindStaff, Grants: grants}
}

func auditCount(t *testing.T, d *db.DB, action, id string) int {
	t.Helper()
	var n int
	err := d.View(context.Background(), func(tx *db.Tx) error {
		return tx.QueryRow(`SELECT (SELECT COUNT(*) FROM audit_pending WHERE action = $1 AND object_id = $2) + (SELECT COUNT(*) FROM audit_records WHERE action = $1 AND object_id = $2)`, action, id).Scan(&n)
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// An administrator registers a client for a region their grant covers; the
// key is answered once, only its hash is kept, it authenticates until it is
// revoked; a town's administrator sees and revokes only the town's; every
// refusal writes nothing; each change is an audit record.
func TestClients(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if _, err := catalog.New(d).ImportDivisions(ctx, catalog.FulingDivisions()); err != nil {
			t.Fatal(err)
		}
		admin := staff(t, d, "admin", identity.Grant{Role: identity.RoleAdmin, RegionCode: "500102"})
		townAdmin := staff(t, d, "town-admin", identity.Grant{Role: identity.RoleAdmin, RegionCode: town})
		clerk := staff(t, d, "clerk", identity.Grant{Role: identity.RoleClerk, RegionCode: "500102"})
		s := &open311.Clients{DB: d, Home: "500102"}

		c, key, err := s.Register(ctx, admin, " 12345 热线转接 ", "")
		if err != nil {
			t.Fatal(err)
		}
		if c.Name != "12345 热线转接" || c.RegionCode != "500102" || c.RegionName != "涪陵区" || !strings.HasPrefix(key, open311.KeyPrefix) ||
			len(key) < 40 || !strings.HasPrefix(key, c.Prefix) || auditCount(t, d, "open311_client.register", c.ID) != 1 {
			t.Errorf("registered %+v key %q", c, key)
		}
		var stored string
		d.View(ctx, func(tx *db.Tx) error {
			return tx.QueryRow(`SELECT key_hash FROM open311_clients WHERE id = $1`, c.ID).Scan(&stored)
		})
		if stored == key || stored != identity.HashSecret(key) {
			t.Errorf("the key is stored as %q", stored)
		}
		got, err := s.Authenticate(ctx, key)
		if err != nil || got.ID != c.ID {
			t.Errorf("authenticate: %+v %v", got, err)
		}
		tc, tkey, err := s.Register(ctx, townAdmin, "镇网格员 App", town)
		if err != nil {
			t.Fatal(err)
		}

		// Their audit records are scoped like the client (its region).
		if sub, err := audit.SubjectOf(ctx, d, &audit.Record{ObjectType: "open311_client", ObjectID: tc.ID}); err != nil || !sub.Found || sub.Region != town {
			t.Errorf("the audit subject of the town's client: %+v %v", sub, err)
		}

		// Refusals: each precise, nothing written.
		for _, r := range []struct {
			u            *identity.User
			name, region string
			code         apperr.Code
			key          string
		}{
			{nil, "x", "", apperr.Unauthenticated, "error.unauthenticated"},
			{clerk, "x", "", apperr.Forbidden, "error.forbidden"},
			{townAdmin, "x", "500102", apperr.Forbidden, "open311.client_region_forbidden"},
			{admin, "  ", "", apperr.Invalid, "open311.client_invalid"},
			{admin, strings.Repeat("名", open311.MaxClientName+1), "", apperr.Invalid, "open311.client_invalid"},
			{admin, "x", "500103", apperr.Invalid, "open311.client_invalid"},
			{admin, "x", "500102999999", apperr.Invalid, "open311.client_region_unknown"},
		} {
			if _, _, err := s.Register(ctx, r.u, r.name, r.region); !apperr.Is(err, r.code, r.key) {
				t.Errorf("register %q in %q: %v, want %s %s", r.name, r.region, err, r.code, r.key)
			}
		}
		list, err := s.List(ctx, admin)
		if err != nil || len(list) != 2 || list[0].ID != tc.ID {
			t.Errorf("the district's administrator lists %+v %v", list, err)
		}
		list, err = s.List(ctx, townAdmin)
		if err != nil || len(list) != 1 || list[0].ID != tc.ID {
			t.Errorf("the town's administrator lists %+v %v", list, err)
		}
		if _, err := s.List(ctx, clerk); apperr.CodeOf(err) != apperr.Forbidden {
			t.Errorf("a clerk lists clients: %v", err)
		}

		// Revocation: outside the scope it does not exist; then the key is refused.
		if _, err := s.Revoke(ctx, townAdmin, c.ID); apperr.CodeOf(err) != apperr.NotFound {
			t.Errorf("the town revoked the district's client: %v", err)
		}
		if _, err := s.Authenticate(ctx, key); err != nil {
			t.Errorf("a refused revocation ended the key: %v", err)
		}
		if r, err := s.Revoke(ctx, admin, c.ID); err != nil || r.Active() || auditCount(t, d, "open311_client.revoke", c.ID) != 1 {
			t.Errorf("revoke: %+v %v", r, err)
		}
		if _, err := s.Revoke(ctx, admin, c.ID); apperr.CodeOf(err) != apperr.Conflict {
			t.Errorf("revoked twice: %v", err)
		}
		for _, k := range []string{key, "", "o311_nothing", tkey + "x", "Bearer " + tkey} {
			if _, err := s.Authenticate(ctx, k); apperr.CodeOf(err) != apperr.Forbidden {
				t.Errorf("key %q: %v", k, err)
			}
		}
		if _, err := s.Authenticate(ctx, tkey); err != nil {
			t.Errorf("the town's key: %v", err)
		}
	})
}
