package codes

import (
	"fmt"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/apperr"
)

// Case numbers (办件编号), a common local convention (STANDARDS.md §1.4,
// *local*): the implementation code, the date of submission as yyyyMMdd and
// a four-digit serial of that item on that day.
//
// A province's popular item can be filed more than 9,999 times a day (issue
// 20): past four digits the serial follows a dash, unpadded, up to
// MaxDailySerial — "…20260212-10000". The convention's numbers keep their
// shape, and a longer serial can never be read as a four-digit one.

// FourDigitSerial is the largest serial the convention's four digits hold.
const FourDigitSerial = 9999

// MaxDailySerial is the largest serial of an item on one day.
const MaxDailySerial = 9_999_999

// SerialBlock is how many serials one block of an item's day holds: block
// b numbers b·SerialBlock+1 … (b+1)·SerialBlock (cases.nextCaseNo takes
// them so that concurrent filers do not queue on one row).
const SerialBlock = 100_000

// CaseNo formats a case number.
func CaseNo(implCode string, day time.Time, serial int) string {
	if serial > FourDigitSerial {
		return fmt.Sprintf("%s%s-%d", implCode, day.Format("20060102"), serial)
	}
	return fmt.Sprintf("%s%s%04d", implCode, day.Format("20060102"), serial)
}

// CheckCaseNo validates the shape of a case number typed by a person (the
// public progress query) before it reaches the database: an implementation
// code of valid form, a real date and a serial.
func CheckCaseNo(s string) error {
	bad := apperr.E(apperr.Invalid, "codes.case_no.format")
	head, serial := s, ""
	if i := strings.LastIndexByte(s, '-'); i >= 0 {
		// The long form: five to seven digits after the dash, no leading zero.
		head, serial = s[:i], s[i+1:]
		if len(serial) < 5 || len(serial) > 7 || serial[0] == '0' {
			return bad
		}
	} else if len(s) >= 4 {
		head, serial = s[:len(s)-4], s[len(s)-4:]
	}
	if len(head) < 12+8 || len(head) > 36+8 {
		return bad
	}
	impl, date := head[:len(head)-8], head[len(head)-8:]
	if _, err := ParseImplCode(impl); err != nil {
		return bad
	}
	if _, err := time.Parse("20060102", date); err != nil {
		return bad
	}
	for _, r := range serial {
		if r < '0' || r > '9' {
			return bad
		}
	}
	return nil
}
