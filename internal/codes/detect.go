package codes

import (
	"github.com/tongban/tongban/internal/apperr"
	"strings"
	"time"
)

// Kind names the identifier kinds Check recognises.
type Kind string

const (
	KindCitizenID  Kind = "citizen_id"  // 公民身份号码
	KindCreditCode Kind = "credit_code" // 统一社会信用代码
	KindDivision   Kind = "division"    // 行政区划代码
	KindLicenceID  Kind = "licence_id"  // 电子证照标识
	KindUnknown    Kind = "unknown"
)

// Detect guesses the kind of value from its shape. An 18-character value may
// be a citizen ID or a credit code; it is taken as a citizen ID when it is 17
// digits and a digit or X, unless it is valid only as a credit code.
func Detect(value string, today time.Time) Kind {
	switch {
	case strings.HasPrefix(value, "1.2.156."):
		return KindLicenceID
	case (len(value) == 6 || len(value) == 12) && allDigits(value):
		return KindDivision
	case len(value) == 18:
		if _, err := ParseCitizenID(value, today); err == nil {
			return KindCitizenID
		}
		if _, err := ParseCreditCode(value); err == nil {
			return KindCreditCode
		}
		last := value[17]
		if allDigits(value[:17]) && (last == 'X' || last == 'x' || (last >= '0' && last <= '9')) {
			return KindCitizenID
		}
		return KindCreditCode
	}
	return KindUnknown
}

// Check validates value as the given kind (or the detected kind when kind is
// empty) and returns the kind it checked.
func Check(value string, kind Kind, today time.Time) (Kind, error) {
	if kind == "" {
		kind = Detect(value, today)
	}
	var err error
	switch kind {
	case KindCitizenID:
		_, err = ParseCitizenID(value, today)
	case KindCreditCode:
		_, err = ParseCreditCode(value)
	case KindDivision:
		_, err = ParseDivision(value)
	case KindLicenceID:
		_, err = ParseLicenceID(value)
	default:
		return KindUnknown, apperr.E(apperr.Invalid, "codes.unknown_kind", "len", len([]rune(value)))
	}
	return kind, err
}
