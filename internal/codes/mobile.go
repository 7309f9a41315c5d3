package codes

import (
	"strings"

	"github.com/tongban/tongban/internal/apperr"
)

// ParseMobile reads a mainland China mobile number (11 digits, 1[3-9]…,
// the numbering plan of the Ministry of Industry and Information
// Technology) as people write it — with spaces or hyphens, or with the
// country code +86 / 0086 — and returns the 11 digits. Anything else is
// Invalid codes.mobile.
func ParseMobile(s string) (string, error) {
	s = strings.NewReplacer(" ", "", "-", "", "\u00a0", "").Replace(strings.TrimSpace(s))
	for _, p := range []string{"+86", "0086"} {
		if strings.HasPrefix(s, p) && len(s) == len(p)+11 {
			s = s[len(p):]
		}
	}
	if len(s) != 11 || s[0] != '1' || s[1] < '3' || s[1] > '9' {
		return "", apperr.E(apperr.Invalid, "codes.mobile")
	}
	for i := 2; i < 11; i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", apperr.E(apperr.Invalid, "codes.mobile")
		}
	}
	return s, nil
}

// MaskMobile keeps a mobile number's first 3 and last 4 digits (138****5678).
func MaskMobile(p string) string {
	if len(p) < 8 {
		return strings.Repeat("*", len(p))
	}
	return p[:3] + "****" + p[len(p)-4:]
}
