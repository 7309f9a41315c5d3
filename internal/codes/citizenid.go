// Package codes validates and builds the national identifiers Tongban meets:
// citizen ID numbers (GB 11643), unified social credit codes (GB 32100 with
// the embedded GB 11714 organisation code), administrative division codes
// (GB/T 2260 and the 12-digit statistical codes) and electronic licence
// identifiers (GB/T 36904). It is pure: no I/O beyond its embedded tables.
//
// Every rejection is an *apperr.Error whose message key and arguments state
// the precise reason, so a user is told what is wrong, not merely "invalid".
package codes

import (
	"time"

	"github.com/tongban/tongban/internal/apperr"
)

// CitizenID is a parsed 18-character citizen identity number (公民身份号码).
type CitizenID struct {
	Number string
	Region string    // 6-digit address code (GB/T 2260) where first registered
	Birth  time.Time // date of birth, midnight UTC
	Seq    string    // 3-digit sequence code; odd for men, even for women
}

// Male reports the sex encoded in the sequence code (GB 11643 §5.4).
func (c CitizenID) Male() bool { return (c.Seq[2]-'0')%2 == 1 }

// GB 11643-1999 §8.2: ISO 7064 MOD 11-2 weights for positions 1..17.
var citizenWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

const citizenCheckChars = "10X98765432"

// CitizenIDCheck computes the check character for the first 17 digits.
func CitizenIDCheck(first17 string) (byte, error) {
	if len(first17) != 17 {
		return 0, apperr.E(apperr.Invalid, "codes.citizen_id.length", "want", 17, "got", len(first17))
	}
	sum := 0
	for i := 0; i < 17; i++ {
		c := first17[i]
		if c < '0' || c > '9' {
			return 0, apperr.E(apperr.Invalid, "codes.citizen_id.digit", "pos", i+1, "char", string(rune(c)))
		}
		sum += int(c-'0') * citizenWeights[i]
	}
	return citizenCheckChars[sum%11], nil
}

// ParseCitizenID validates a citizen ID number as of the given day (the
// birth date may not lie after it). A lower-case x is accepted as X.
func ParseCitizenID(s string, today time.Time) (CitizenID, error) {
	if n := len([]rune(s)); n != 18 || len(s) != 18 {
		return CitizenID{}, apperr.E(apperr.Invalid, "codes.citizen_id.length", "want", 18, "got", n)
	}
	b := []byte(s)
	if b[17] == 'x' {
		b[17] = 'X'
	}
	for i := 0; i < 17; i++ {
		if b[i] < '0' || b[i] > '9' {
			return CitizenID{}, apperr.E(apperr.Invalid, "codes.citizen_id.digit", "pos", i+1, "char", string(rune(b[i])))
		}
	}
	if (b[17] < '0' || b[17] > '9') && b[17] != 'X' {
		return CitizenID{}, apperr.E(apperr.Invalid, "codes.citizen_id.check_char", "char", string(rune(b[17])))
	}
	// The address code is where the number was first issued; counties merge
	// and codes are retired, so only the province is checked against today's
	// table (a retired county code in an old number is still valid).
	region := string(b[0:6])
	if _, ok := provinceName(region[:2]); !ok {
		return CitizenID{}, apperr.E(apperr.Invalid, "codes.citizen_id.region", "code", region)
	}
	birth, err := time.Parse("20060102", string(b[6:14]))
	if err != nil {
		return CitizenID{}, apperr.E(apperr.Invalid, "codes.citizen_id.birth", "date", string(b[6:14]))
	}
	y, m, d := today.Date()
	if birth.After(time.Date(y, m, d, 0, 0, 0, 0, time.UTC)) || birth.Year() < 1800 {
		return CitizenID{}, apperr.E(apperr.Invalid, "codes.citizen_id.birth_range", "date", birth.Format("2006-01-02"))
	}
	want, _ := CitizenIDCheck(string(b[:17]))
	if b[17] != want {
		return CitizenID{}, apperr.E(apperr.Invalid, "codes.citizen_id.check", "want", string(rune(want)), "got", string(rune(b[17])))
	}
	return CitizenID{Number: string(b), Region: region, Birth: birth, Seq: string(b[14:17])}, nil
}

// MaskCitizenID hides the birth date and sequence for display in lists
// (R9.3): 110105********002X → first 6 and last 4 kept.
func MaskCitizenID(s string) string {
	if len(s) != 18 {
		return maskMiddle(s)
	}
	return s[:6] + "********" + s[14:]
}

func maskMiddle(s string) string {
	r := []rune(s)
	if len(r) <= 2 {
		return "**"
	}
	keep := len(r) / 4
	for i := keep; i < len(r)-keep; i++ {
		r[i] = '*'
	}
	return string(r)
}
