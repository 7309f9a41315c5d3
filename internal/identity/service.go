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
	// Codes bounds SMS codes (smscode.go); zero: DefaultCodes.
	Codes CodePolicy
	// Texter sends SMS codes; nil: no SMS gateway, no codes.
	Texter Texter
	// CloseChecks refuse closing an account while something of its holder
	// is under way (pipl.go): the open-case check of the case engine, and
	// whatever other domains register.
	CloseChecks []CloseCheck
}

// SessionPolicy bounds how long a session lives: it ends after Idle without
// use or Max after login, whichever comes first.
type SessionPolicy struct {
	WebIdle, WebMax time.Duration
	APIIdle, APIMax time.Duration
}

// ThrottlePolicy slows failed logins down (throttle.go): per account and
// address after PairFree failures, per account from unknown places after
// UserFree, each further failure doubling the wait up to MaxDelay; a
// counter is forgotten after Forget without failures. An address waits out
// IPWindow after IPLimit failures in it.
type ThrottlePolicy struct {
	PairFree, UserFree int
	MaxDelay, Forget   time.Duration
	IPLimit            int
	IPWindow           time.Duration
	// KnownFor is how long an address or a browser stays known to an
	// account after its last login from there.
	KnownFor time.Duration
}

// DefaultSessions: staff terminals in a hall are shared, so an idle session
// ends after 30 minutes; any session ends after 12 hours (one working day).
var DefaultSessions = SessionPolicy{WebIdle: 30 * time.Minute, WebMax: 12 * time.Hour, APIIdle: 2 * time.Hour, APIMax: 12 * time.Hour}

// DefaultThrottle: a person mistyping three times is not slowed; a guesser
// at one address gets 14 guesses in the first 17 minutes and then 4 an hour;
// guessers spread over many addresses get 10 free, then the same, while the
// owner logs in from where they did before; one address may fail 100 times
// in 15 minutes (a hall's shared address does not reach it by mistakes); a
// place stays known for half a year.
var DefaultThrottle = ThrottlePolicy{PairFree: 3, UserFree: 10, MaxDelay: 15 * time.Minute, Forget: time.Hour, IPLimit: 100, IPWindow: 15 * time.Minute, KnownFor: 180 * 24 * time.Hour}

// NewService returns the identity service over d, sealing identifiers with v.
func NewService(d *db.DB, v *vault.Vault) *Service {
	return &Service{db: d, vault: v, Sessions: DefaultSessions, Throttle: DefaultThrottle, CloseChecks: []CloseCheck{enterprisesOnClose}}
}

// Vault is the data key's vault: the other domains seal the personal data
// they keep (form values, licence payloads, materials) with the same key.
func (s *Service) Vault() *vault.Vault { return s.vault }

// purposeIDNumber binds sealed ID numbers to their column.
const purposeIDNumber = "persons.id_number"
