package codes

import (
	"testing"
	"time"
)

const sampleImpl = "11500102MB1C0002XM4500100101001"

func TestCaseNo(t *testing.T) {
	day := time.Date(2026, 2, 12, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		serial int
		want   string
	}{
		{1, sampleImpl + "202602120001"},
		{9999, sampleImpl + "202602129999"},
		{10000, sampleImpl + "20260212-10000"},
		{100000, sampleImpl + "20260212-100000"},
		{MaxDailySerial, sampleImpl + "20260212-9999999"},
	} {
		got := CaseNo(sampleImpl, day, tc.serial)
		if got != tc.want {
			t.Errorf("CaseNo(%d) = %s, want %s", tc.serial, got, tc.want)
		}
		if err := CheckCaseNo(got); err != nil {
			t.Errorf("CheckCaseNo(%s): %v", got, err)
		}
	}
	for _, bad := range []string{
		"",
		sampleImpl + "2026021200a1",      // a letter in the serial
		sampleImpl + "20261312" + "0001", // no such date
		sampleImpl + "20260212-0100000",  // a padded long serial
		sampleImpl + "20260212-1000",     // a dash before four digits
		sampleImpl + "20260212-12345678", // eight digits
		sampleImpl + "-10000",            // no date
		"X" + sampleImpl[1:] + "202602120001",
	} {
		if err := CheckCaseNo(bad); err == nil {
			t.Errorf("CheckCaseNo(%q) accepted", bad)
		}
	}
}

// Every serial a day may take makes a number that checks and that no other
// serial makes: the forms never overlap.
func FuzzCaseNo(f *testing.F) {
	for _, n := range []int{1, 9999, 10000, MaxDailySerial} {
		f.Add(n, n+1)
	}
	day := time.Date(2026, 10, 8, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, a, b int) {
		if a < 1 || a > MaxDailySerial || b < 1 || b > MaxDailySerial {
			return
		}
		x, y := CaseNo(sampleImpl, day, a), CaseNo(sampleImpl, day, b)
		if err := CheckCaseNo(x); err != nil {
			t.Fatalf("%s: %v", x, err)
		}
		if (x == y) != (a == b) {
			t.Fatalf("serials %d and %d give %s and %s", a, b, x, y)
		}
	})
}

// CheckCaseNo reads what people type: never a panic.
func FuzzCheckCaseNo(f *testing.F) {
	f.Add(sampleImpl + "202602120001")
	f.Add(sampleImpl + "20260212-10000")
	f.Add("-")
	f.Fuzz(func(t *testing.T, s string) { _ = CheckCaseNo(s) })
}
