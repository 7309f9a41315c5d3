package codes

import (
	"fmt"
	"time"

	"github.com/tongban/tongban/internal/apperr"
)

// Case numbers (办件编号), a common local convention (STANDARDS.md §1.4,
// *local*): the implementation code, the date of submission as yyyyMMdd and
// a four-digit serial of that item on that day.

// MaxDailySerial is the largest serial four digits hold.
const MaxDailySerial = 9999

// CaseNo formats a case number.
func CaseNo(implCode string, day time.Time, serial int) string {
	return fmt.Sprintf("%s%s%04d", implCode, day.Format("20060102"), serial)
}

// CheckCaseNo validates the shape of a case number typed by a person (the
// public progress query) before it reaches the database: an implementation
// code of valid form, a real date and a serial.
func CheckCaseNo(s string) error {
	if len(s) < 12+12+1 || len(s) > 36+12 {
		return apperr.E(apperr.Invalid, "codes.case_no.format")
	}
	impl, date, serial := s[:len(s)-12], s[len(s)-12:len(s)-4], s[len(s)-4:]
	if _, err := ParseImplCode(impl); err != nil {
		return apperr.E(apperr.Invalid, "codes.case_no.format")
	}
	if _, err := time.Parse("20060102", date); err != nil {
		return apperr.E(apperr.Invalid, "codes.case_no.format")
	}
	for _, r := range serial {
		if r < '0' || r > '9' {
			return apperr.E(apperr.Invalid, "codes.case_no.format")
		}
	}
	return nil
}
