package identity

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/db"
)

// Logins, failed logins and logouts are audited (R4.7; 等保 2.0 asks that
// security events be recorded per user): who, from which address, with
// which kind of session. A failed attempt names the account when the name
// is one; otherwise only the SHA-256 of what was typed is kept, since people
// type passwords into the name field.

// loginAttempt is the payload of an auth.* record.
type loginAttempt struct {
	Session      SessionKind `json:"session,omitempty"`
	IP           string      `json:"ip,omitempty"`
	UserAgent    string      `json:"user_agent,omitempty"`
	Reason       string      `json:"reason,omitempty"`          // why a login failed: bad_credentials, disabled, bad_second_factor, second_factor_not_enrolled
	SecondFactor string      `json:"second_factor,omitempty"`   // how a login passed its second factor: totp, recovery
	UsernameHash string      `json:"username_sha256,omitempty"` // the name typed, when it is no account's
	Method       string      `json:"method,omitempty"`          // how the login proved who it is: sms, register ("" a password)
}

func (a loginAttempt) payload() []byte {
	b, _ := json.Marshal(a) // strings and bools always encode
	return b
}

// auditLogin records a session opened for userID.
func auditLogin(tx *db.Tx, userID string, req LoginRequest, secondFactor string) error {
	return audit.Append(tx, &audit.Record{Actor: userID, Action: "auth.login", ObjectType: "user", ObjectID: userID},
		loginAttempt{Session: req.Kind, IP: req.IP, UserAgent: truncate(req.UserAgent, 300), SecondFactor: secondFactor, Method: req.Method}.payload())
}

// auditFailure records a refused login: against the account when userID
// names one, else against the hash of the name typed.
func auditFailure(tx *db.Tx, userID string, req LoginRequest, reason string) error {
	a := loginAttempt{Session: req.Kind, IP: req.IP, UserAgent: truncate(req.UserAgent, 300), Reason: reason, Method: req.Method}
	r := &audit.Record{Action: "auth.login_failed", ObjectType: "user", ObjectID: userID}
	if userID == "" {
		h := sha256.Sum256([]byte(req.Username))
		a.UsernameHash = hex.EncodeToString(h[:])
		r.ObjectType, r.ObjectID = "username", a.UsernameHash
	}
	return audit.Append(tx, r, a.payload())
}

// auditLogout records a session ended by its user.
func auditLogout(tx *db.Tx, userID string, kind SessionKind) error {
	return audit.Append(tx, &audit.Record{Actor: userID, Action: "auth.logout", ObjectType: "user", ObjectID: userID},
		loginAttempt{Session: kind}.payload())
}
