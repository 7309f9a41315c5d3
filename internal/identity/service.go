package identity

import (
	"time"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/vault"
)

// Service is the identity service. Exported methods open their own
// transaction; unexported helpers take a *db.Tx so that they compose.
type Service struct {
	db       *db.DB
	vault    *vault.Vault
	Sessions SessionPolicy
	Throttle ThrottlePolicy
}

// SessionPolicy bounds how long a session lives: it ends after Idle without
// use or Max after login, whichever comes first.
type SessionPolicy struct {
	WebIdle, WebMax time.Duration
	APIIdle, APIMax time.Duration
}

// ThrottlePolicy limits failed logins per account and per address: after
// Limit failures within Window, logins are refused for Lockout.
type ThrottlePolicy struct {
	Window    time.Duration
	UserLimit int
	IPLimit   int
	Lockout   time.Duration
}

// DefaultSessions: staff terminals in a hall are shared, so an idle session
// ends after 30 minutes; any session ends after 12 hours (one working day).
var DefaultSessions = SessionPolicy{WebIdle: 30 * time.Minute, WebMax: 12 * time.Hour, APIIdle: 2 * time.Hour, APIMax: 12 * time.Hour}

// DefaultThrottle: 5 failures per account or 20 per address in 15 minutes
// lock that account or address for 15 minutes.
var DefaultThrottle = ThrottlePolicy{Window: 15 * time.Minute, UserLimit: 5, IPLimit: 20, Lockout: 15 * time.Minute}

// NewService returns the identity service over d, sealing identifiers with v.
func NewService(d *db.DB, v *vault.Vault) *Service {
	return &Service{db: d, vault: v, Sessions: DefaultSessions, Throttle: DefaultThrottle}
}

// Vault is the data key's vault: the other domains seal the personal data
// they keep (form values, licence payloads, materials) with the same key.
func (s *Service) Vault() *vault.Vault { return s.vault }

// purposeIDNumber binds sealed ID numbers to their column.
const purposeIDNumber = "persons.id_number"
