package codes

import (
	"strings"

	"github.com/tongban/tongban/internal/apperr"
)

// LicenceIDPrefix is the GB/T 36904-2018 object identifier arc for
// electronic licences: 1.2.156 (China) . 3005 . 2.
const LicenceIDPrefix = "1.2.156.3005.2."

// LicenceID is a parsed electronic licence identifier (电子证照标识).
type LicenceID struct {
	ID       string
	TypeCode string // defining authority's credit code + 3 digits (21 characters)
	Issuer   string // issuer's credit code (18) or, in some local systems, a division code (6)
	Serial   string
	Version  string // 3 digits
	Check    byte
}

const mod3736Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

// Mod3736Check computes the ISO/IEC 7064 MOD 37,36 check character over
// type + issuer + serial + version concatenated (GB/T 36904-2018 §5.3).
func Mod3736Check(s string) (byte, error) {
	p := 36
	for i := 0; i < len(s); i++ {
		v := strings.IndexByte(mod3736Alphabet, s[i])
		if v < 0 {
			return 0, apperr.E(apperr.Invalid, "codes.licence_id.char", "pos", i+1, "char", string(rune(s[i])))
		}
		sum := (p + v) % 36
		if sum == 0 {
			sum = 36
		}
		p = (2 * sum) % 37
	}
	return mod3736Alphabet[(37-p)%36], nil
}

// NewLicenceID builds an identifier with its check character.
func NewLicenceID(typeCode, issuer, serial, version string) (LicenceID, error) {
	c, err := Mod3736Check(typeCode + issuer + serial + version)
	if err != nil {
		return LicenceID{}, err
	}
	id := LicenceIDPrefix + typeCode + "." + issuer + "." + serial + "." + version + "." + string(rune(c))
	return ParseLicenceID(id)
}

// ParseLicenceID validates an identifier of the form
// 1.2.156.3005.2.{type}.{issuer}.{serial}.{version}.{check}.
func ParseLicenceID(s string) (LicenceID, error) {
	rest, ok := strings.CutPrefix(s, LicenceIDPrefix)
	if !ok {
		return LicenceID{}, apperr.E(apperr.Invalid, "codes.licence_id.prefix", "want", LicenceIDPrefix)
	}
	parts := strings.Split(rest, ".")
	if len(parts) != 5 {
		return LicenceID{}, apperr.E(apperr.Invalid, "codes.licence_id.parts", "got", len(parts))
	}
	l := LicenceID{ID: s, TypeCode: parts[0], Issuer: parts[1], Serial: parts[2], Version: parts[3]}
	if len(l.TypeCode) != 21 {
		return LicenceID{}, apperr.E(apperr.Invalid, "codes.licence_id.type_length", "got", len(l.TypeCode))
	}
	if _, err := ParseCreditCode(l.TypeCode[:18]); err != nil {
		return LicenceID{}, apperr.E(apperr.Invalid, "codes.licence_id.type_authority", "code", l.TypeCode[:18])
	}
	if !allDigits(l.TypeCode[18:]) {
		return LicenceID{}, apperr.E(apperr.Invalid, "codes.licence_id.type_number", "code", l.TypeCode[18:])
	}
	switch len(l.Issuer) {
	case 18:
		if _, err := ParseCreditCode(l.Issuer); err != nil {
			return LicenceID{}, apperr.E(apperr.Invalid, "codes.licence_id.issuer", "code", l.Issuer)
		}
	case 6:
		if _, err := ParseDivision(l.Issuer); err != nil {
			return LicenceID{}, apperr.E(apperr.Invalid, "codes.licence_id.issuer", "code", l.Issuer)
		}
	default:
		return LicenceID{}, apperr.E(apperr.Invalid, "codes.licence_id.issuer", "code", l.Issuer)
	}
	if l.Serial == "" || len(l.Serial) > 64 {
		return LicenceID{}, apperr.E(apperr.Invalid, "codes.licence_id.serial", "code", l.Serial)
	}
	if len(l.Version) != 3 || !allDigits(l.Version) {
		return LicenceID{}, apperr.E(apperr.Invalid, "codes.licence_id.version", "code", l.Version)
	}
	if len(parts[4]) != 1 {
		return LicenceID{}, apperr.E(apperr.Invalid, "codes.licence_id.check_length", "got", len(parts[4]))
	}
	want, err := Mod3736Check(l.TypeCode + l.Issuer + l.Serial + l.Version)
	if err != nil {
		return LicenceID{}, err
	}
	l.Check = parts[4][0]
	if l.Check != want {
		return LicenceID{}, apperr.E(apperr.Invalid, "codes.licence_id.check", "want", string(rune(want)), "got", parts[4])
	}
	return l, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
