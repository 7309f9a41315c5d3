package open311

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
)

// Client is a registered outside application allowed to POST service
// requests. Its key is never stored: only its SHA-256 and its first
// characters (Prefix, to tell keys apart in the list).
type Client struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"key_prefix"`
	RegionCode string     `json:"region_code"`
	RegionName string     `json:"region_name"`
	CreatedBy  string     `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

// Active reports whether the client may still POST.
func (c Client) Active() bool { return c.RevokedAt == nil }

// KeyPrefix starts every api_key, so that a leaked one is recognised.
const KeyPrefix = "o311_"

// MaxClientName bounds a client's name (characters).
const MaxClientName = 100

// Clients registers, lists, revokes and authenticates Open311 clients.
// Every change needs an administrator grant covering the client's region
// (the one scoping rule) and is an audit record (open311_client.*).
type Clients struct {
	DB   *db.DB
	Home string // the installation's region: clients are registered inside it
}

func mayAdmin(u *identity.User, region string) bool {
	return u != nil && u.ScopeOf(identity.RoleAdmin).CoversRegion(region)
}

const clientCols = `c.id, c.name, c.key_prefix, c.region_code, COALESCE(r.name, ''), c.created_by, c.created_at, c.revoked_at`

func scanClient(row interface{ Scan(...any) error }, c *Client) error {
	var revoked sql.NullTime
	if err := row.Scan(&c.ID, &c.Name, &c.Prefix, &c.RegionCode, &c.RegionName, &c.CreatedBy, &c.CreatedAt, &revoked); err != nil {
		return err
	}
	if revoked.Valid {
		t := revoked.Time
		c.RevokedAt = &t
	}
	return nil
}

// Register records a new client for region (empty: the installation's)
// and answers its api_key, shown this once.
func (s *Clients) Register(ctx context.Context, u *identity.User, name, region string) (*Client, string, error) {
	if u == nil {
		return nil, "", apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	if len(u.ScopeOf(identity.RoleAdmin).Grants()) == 0 {
		return nil, "", apperr.E(apperr.Forbidden, "error.forbidden")
	}
	name = strings.TrimSpace(name)
	region = strings.TrimSpace(region)
	if region == "" {
		region = s.Home
	}
	var faults []*apperr.Error
	if name == "" {
		faults = append(faults, apperr.E(apperr.Invalid, "open311.client_name_missing"))
	} else if utf8.RuneCountInString(name) > MaxClientName {
		faults = append(faults, apperr.E(apperr.Invalid, "open311.client_name_long", "max", MaxClientName))
	}
	if s.Home != "" && !codes.DivisionCovers(s.Home, region) {
		faults = append(faults, apperr.E(apperr.Invalid, "open311.client_region_outside", "region", region))
	}
	if len(faults) > 0 {
		return nil, "", apperr.E(apperr.Invalid, "open311.client_invalid").WithDetails(faults)
	}
	if !mayAdmin(u, region) {
		return nil, "", apperr.E(apperr.Forbidden, "open311.client_region_forbidden", "region", region)
	}
	key := KeyPrefix + identity.NewSecret()
	c := &Client{ID: db.NewID(), Name: name, Prefix: key[:len(KeyPrefix)+6], RegionCode: region, CreatedBy: u.ID}
	err := s.DB.Update(ctx, func(tx *db.Tx) error {
		if err := tx.QueryRow(`SELECT name FROM regions WHERE code = $1`, region).Scan(&c.RegionName); errors.Is(err, sql.ErrNoRows) {
			return apperr.E(apperr.Invalid, "open311.client_region_unknown", "region", region)
		} else if err != nil {
			return err
		}
		c.CreatedAt = tx.Now
		if _, err := tx.Exec(`INSERT INTO open311_clients (id, name, key_hash, key_prefix, region_code, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			c.ID, c.Name, identity.HashSecret(key), c.Prefix, c.RegionCode, u.ID, tx.Now); err != nil {
			return err
		}
		detail, _ := json.Marshal(map[string]any{"name": c.Name, "region_code": c.RegionCode, "key_prefix": c.Prefix})
		return audit.Append(tx, &audit.Record{Actor: u.ID, Role: string(identity.RoleAdmin), Action: "open311_client.register",
			ObjectType: "open311_client", ObjectID: c.ID}, detail)
	})
	if err != nil {
		return nil, "", apperr.Internalf("open311: register client", err)
	}
	return c, key, nil
}

// List answers the clients whose region u administers, newest first.
func (s *Clients) List(ctx context.Context, u *identity.User) ([]Client, error) {
	if u == nil {
		return nil, apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	scope := u.ScopeOf(identity.RoleAdmin)
	if len(scope.Grants()) == 0 {
		return nil, apperr.E(apperr.Forbidden, "error.forbidden")
	}
	out := []Client{}
	err := s.DB.View(ctx, func(tx *db.Tx) error {
		out = out[:0]
		rows, err := tx.Query(`SELECT ` + clientCols + ` FROM open311_clients c LEFT JOIN regions r ON r.code = c.region_code ORDER BY c.created_at DESC, c.id DESC`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c Client
			if err := scanClient(rows, &c); err != nil {
				return err
			}
			if scope.CoversRegion(c.RegionCode) {
				out = append(out, c)
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, apperr.Internalf("open311: clients", err)
	}
	return out, nil
}

// Revoke ends a client's key at once; a client outside u's scope does not
// exist for u (404). Revoking twice is refused (409).
func (s *Clients) Revoke(ctx context.Context, u *identity.User, id string) (*Client, error) {
	if u == nil {
		return nil, apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	var c Client
	err := s.DB.Update(ctx, func(tx *db.Tx) error {
		err := scanClient(tx.QueryRow(`SELECT `+clientCols+` FROM open311_clients c LEFT JOIN regions r ON r.code = c.region_code WHERE c.id = $1`, id), &c)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && !mayAdmin(u, c.RegionCode)) {
			return apperr.E(apperr.NotFound, "open311.client_not_found")
		}
		if err != nil {
			return err
		}
		if !c.Active() {
			return apperr.E(apperr.Conflict, "open311.client_revoked")
		}
		if _, err := tx.Exec(`UPDATE open311_clients SET revoked_at = $1, revoked_by = $2 WHERE id = $3 AND revoked_at IS NULL`, tx.Now, u.ID, id); err != nil {
			return err
		}
		t := tx.Now
		c.RevokedAt = &t
		detail, _ := json.Marshal(map[string]any{"name": c.Name, "key_prefix": c.Prefix})
		return audit.Append(tx, &audit.Record{Actor: u.ID, Role: string(identity.RoleAdmin), Action: "open311_client.revoke",
			ObjectType: "open311_client", ObjectID: c.ID}, detail)
	})
	if err != nil {
		return nil, apperr.Internalf("open311: revoke client", err)
	}
	return &c, nil
}

// Authenticate finds the active client holding key: Forbidden (the
// specification's 403) for a missing, unknown or revoked key, one message
// for all three.
func (s *Clients) Authenticate(ctx context.Context, key string) (*Client, error) {
	if key == "" {
		return nil, apperr.E(apperr.Forbidden, "open311.api_key_missing")
	}
	if !strings.HasPrefix(key, KeyPrefix) || len(key) > 128 {
		return nil, apperr.E(apperr.Forbidden, "open311.api_key_invalid")
	}
	var c Client
	err := s.DB.View(ctx, func(tx *db.Tx) error {
		return scanClient(tx.QueryRow(`SELECT `+clientCols+` FROM open311_clients c LEFT JOIN regions r ON r.code = c.region_code WHERE c.key_hash = $1`, identity.HashSecret(key)), &c)
	})
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !c.Active()) {
		return nil, apperr.E(apperr.Forbidden, "open311.api_key_invalid")
	}
	if err != nil {
		return nil, apperr.Internalf("open311: authenticate", err)
	}
	return &c, nil
}
