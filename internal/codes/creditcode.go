package codes

import (
	"strings"

	"github.com/tongban/tongban/internal/apperr"
)

// CreditCode is a parsed unified social credit code (统一社会信用代码, GB 32100-2015).
type CreditCode struct {
	Code      string
	Authority byte   // pos 1: registering authority (1 机构编制, 5 民政, 9 市场监管, Y 其他 …)
	Kind      byte   // pos 2: organisation kind under that authority
	Division  string // pos 3–8: GB/T 2260 division code of the registering authority
	OrgCode   string // pos 9–17: GB 11714 organisation code, its own check at pos 17
}

// GB 32100-2015 §4.3: the 31-character alphabet, value = index (no I O S V Z).
const creditAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// GB 32100-2015 §5: weights for positions 1..17.
var creditWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// GB 32100 Table 1: registering authority codes.
const creditAuthorities = "123456789ANY"

// CreditCodeCheck computes the 18th character for the first 17.
func CreditCodeCheck(first17 string) (byte, error) {
	if len(first17) != 17 {
		return 0, apperr.E(apperr.Invalid, "codes.credit_code.length", "want", 17, "got", len(first17))
	}
	sum := 0
	for i := 0; i < 17; i++ {
		v := strings.IndexByte(creditAlphabet, first17[i])
		if v < 0 {
			return 0, apperr.E(apperr.Invalid, "codes.credit_code.char", "pos", i+1, "char", string(rune(first17[i])))
		}
		sum += v * creditWeights[i]
	}
	c := 31 - sum%31
	if c == 31 { // GB 32100 §5: a remainder of 0 maps to 0, not to 31
		c = 0
	}
	return creditAlphabet[c], nil
}

// GB 11714-1997: weights for the 8 body characters of an organisation code.
var orgWeights = [8]int{3, 7, 9, 10, 5, 8, 4, 2}

// OrgCodeCheck computes the GB 11714 check character for 8 body characters
// (digits 0–9 and letters A=10 … Z=35).
func OrgCodeCheck(body string) (byte, error) {
	if len(body) != 8 {
		return 0, apperr.E(apperr.Invalid, "codes.org_code.length", "want", 8, "got", len(body))
	}
	sum := 0
	for i := 0; i < 8; i++ {
		c := body[i]
		var v int
		switch {
		case c >= '0' && c <= '9':
			v = int(c - '0')
		case c >= 'A' && c <= 'Z':
			v = int(c-'A') + 10
		default:
			return 0, apperr.E(apperr.Invalid, "codes.org_code.char", "pos", i+1, "char", string(rune(c)))
		}
		sum += v * orgWeights[i]
	}
	switch c := 11 - sum%11; c {
	case 10:
		return 'X', nil
	case 11:
		return '0', nil
	default:
		return byte('0' + c), nil
	}
}

// ParseCreditCode validates a unified social credit code. Lower-case input is
// rejected rather than silently upper-cased: the code is printed in capitals
// on every licence, so a lower-case one was typed wrongly.
func ParseCreditCode(s string) (CreditCode, error) {
	if n := len([]rune(s)); n != 18 || len(s) != 18 {
		return CreditCode{}, apperr.E(apperr.Invalid, "codes.credit_code.length", "want", 18, "got", n)
	}
	for i := 0; i < 18; i++ {
		if strings.IndexByte(creditAlphabet, s[i]) < 0 {
			return CreditCode{}, apperr.E(apperr.Invalid, "codes.credit_code.char", "pos", i+1, "char", string(rune(s[i])))
		}
	}
	if strings.IndexByte(creditAuthorities, s[0]) < 0 {
		return CreditCode{}, apperr.E(apperr.Invalid, "codes.credit_code.authority", "char", string(rune(s[0])))
	}
	div := s[2:8]
	if _, ok := provinceName(div[:2]); !ok && div != "100000" { // 100000: registered by a central authority
		return CreditCode{}, apperr.E(apperr.Invalid, "codes.credit_code.division", "code", div)
	}
	want17, err := OrgCodeCheck(s[8:16])
	if err != nil {
		return CreditCode{}, err
	}
	if s[16] != want17 {
		return CreditCode{}, apperr.E(apperr.Invalid, "codes.credit_code.org_check", "want", string(rune(want17)), "got", string(rune(s[16])))
	}
	want18, _ := CreditCodeCheck(s[:17])
	if s[17] != want18 {
		return CreditCode{}, apperr.E(apperr.Invalid, "codes.credit_code.check", "want", string(rune(want18)), "got", string(rune(s[17])))
	}
	return CreditCode{Code: s, Authority: s[0], Kind: s[1], Division: div, OrgCode: s[8:17]}, nil
}

// CompleteCreditCode appends both check characters to a 16-character prefix
// (authority, kind, division, 8-character organisation body). Demo data and
// tests use it to make valid codes.
func CompleteCreditCode(prefix16 string) (string, error) {
	if len(prefix16) != 16 {
		return "", apperr.E(apperr.Invalid, "codes.credit_code.length", "want", 16, "got", len(prefix16))
	}
	c17, err := OrgCodeCheck(prefix16[8:])
	if err != nil {
		return "", err
	}
	c18, err := CreditCodeCheck(prefix16 + string(rune(c17)))
	if err != nil {
		return "", err
	}
	return prefix16 + string(rune(c17)) + string(rune(c18)), nil
}
