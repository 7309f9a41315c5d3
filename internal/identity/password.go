package identity

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/tongban/tongban/internal/apperr"
)

// DemoPassword is the password of every demo account. serve refuses to start
// while any account still has it (see DefaultPasswordCount).
const DemoPassword = "tongban-demo"

// MinPasswordLength follows NIST SP 800-63B's minimum for chosen passwords.
const MinPasswordLength = 8

// argon2id parameters: OWASP's recommended minimum (19 MiB, 2 passes, 1
// lane). They are stored in each hash, so raising them later needs no
// migration.
type argonParams struct {
	memory  uint32
	time    uint32
	threads uint8
}

var defaultArgon = argonParams{memory: 19 * 1024, time: 2, threads: 1}

// HashPassword returns an argon2id hash in the PHC string format.
func HashPassword(pw string) string {
	return hashWith(pw, defaultArgon)
}

func hashWith(pw string, p argonParams) string {
	salt := make([]byte, 16)
	rand.Read(salt)
	key := argon2.IDKey([]byte(pw), salt, p.time, p.memory, p.threads, 32)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.memory, p.time, p.threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// VerifyPassword checks pw against a PHC argon2id hash in constant time.
func VerifyPassword(hash, pw string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var v int
	var p argonParams
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.memory, &p.time, &p.threads); err != nil {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, p.time, p.memory, p.threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is verified when a user does not exist, so that a wrong user
// name takes as long as a wrong password and does not reveal which it was.
var dummyHash = HashPassword("tongban-no-such-user")

// CheckPasswordPolicy rejects passwords too short or equal to the demo one.
func CheckPasswordPolicy(pw string, allowDemo bool) error {
	if utf8.RuneCountInString(pw) < MinPasswordLength {
		return apperr.E(apperr.Invalid, "auth.password_short", "min", MinPasswordLength)
	}
	if pw == DemoPassword && !allowDemo {
		return apperr.E(apperr.Invalid, "auth.password_default")
	}
	return nil
}
