package codes

import "github.com/tongban/tongban/internal/apperr"

// BasicCode is a service item's basic code (基本编码, GB/T 39046-2020): in
// national data 12 digits = 2 source/region + 2 item type + 5 main item +
// 3 sub-item ("000" when the item has no sub-items). The layout is inferred
// from published data (STANDARDS.md §1.4).
type BasicCode struct {
	Code   string
	Source string // 2 digits
	Type   string // 2 digits, the 事项类型 code set
	Main   string // 5 digits
	Sub    string // 3 digits
}

// ImplCode is an implementation code (实施编码): the implementing agency's
// 18-character unified social credit code + 1 digit exercising level (行使
// 层级) + the 12-digit basic code; 31 characters in published data.
type ImplCode struct {
	Code   string
	Agency CreditCode
	Level  int
	Basic  BasicCode
}

// ParseBasicCode validates a 12-digit basic code.
func ParseBasicCode(s string) (BasicCode, error) {
	if len(s) != 12 {
		return BasicCode{}, apperr.E(apperr.Invalid, "codes.basic_code.length", "want", 12, "got", len([]rune(s)))
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return BasicCode{}, apperr.E(apperr.Invalid, "codes.basic_code.digit", "pos", i+1, "char", string(rune(s[i])))
		}
	}
	return BasicCode{Code: s, Source: s[:2], Type: s[2:4], Main: s[4:9], Sub: s[9:]}, nil
}

// ParseImplCode validates an implementation code: the embedded credit code
// by GB 32100 (check characters included), the level digit 1–7 and the
// embedded basic code.
func ParseImplCode(s string) (ImplCode, error) {
	if len(s) != 31 {
		return ImplCode{}, apperr.E(apperr.Invalid, "codes.impl_code.length", "want", 31, "got", len([]rune(s)))
	}
	agency, err := ParseCreditCode(s[:18])
	if err != nil {
		return ImplCode{}, apperr.E(apperr.Invalid, "codes.impl_code.agency", "code", s[:18], "reason", err)
	}
	if s[18] < '1' || s[18] > '7' {
		return ImplCode{}, apperr.E(apperr.Invalid, "codes.impl_code.level", "char", string(rune(s[18])))
	}
	basic, err := ParseBasicCode(s[19:])
	if err != nil {
		return ImplCode{}, apperr.E(apperr.Invalid, "codes.impl_code.basic", "code", s[19:], "reason", err)
	}
	return ImplCode{Code: s, Agency: agency, Level: int(s[18] - '0'), Basic: basic}, nil
}

// NewImplCode composes an implementation code from its parts and validates it.
func NewImplCode(agencyCreditCode string, level int, basic string) (ImplCode, error) {
	if level < 1 || level > 7 {
		return ImplCode{}, apperr.E(apperr.Invalid, "codes.impl_code.level", "char", level)
	}
	return ParseImplCode(agencyCreditCode + string(rune('0'+level)) + basic)
}
