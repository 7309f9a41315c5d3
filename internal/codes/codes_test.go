package codes

import (
	"strings"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/apperr"
)

var today = time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)

func TestCitizenID(t *testing.T) {
	tests := []struct {
		in, key string // key "" means valid
	}{
		{"11010519491231002X", ""},
		{"11010519491231002x", ""}, // lower-case x accepted
		{"440524188001010014", ""},
		{"110105194912310021", "codes.citizen_id.check"},
		{"11010519491231003X", "codes.citizen_id.check"}, // sequence changed
		{"21010519491231002X", "codes.citizen_id.check"}, // region changed
		{"11010519491331002X", "codes.citizen_id.birth"}, // month 13
		{"11010519490229002X", "codes.citizen_id.birth"}, // 1949 not a leap year
		{"11010520991231002X", "codes.citizen_id.birth_range"},
		{"99010519491231002X", "codes.citizen_id.region"},
		{"1101051949123100", "codes.citizen_id.length"},
		{"1101051949123100A2X", "codes.citizen_id.length"},
		{"1101051949A231002X", "codes.citizen_id.digit"},
		{"11010519491231002Y", "codes.citizen_id.check_char"},
		{"１１010519491231002X", "codes.citizen_id.length"}, // full-width digits
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			c, err := ParseCitizenID(tt.in, today)
			if tt.key == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				if c.Number != strings.ToUpper(tt.in) {
					t.Errorf("number = %q", c.Number)
				}
				return
			}
			if !apperr.Is(err, apperr.Invalid, tt.key) {
				t.Fatalf("want %s, got %v", tt.key, err)
			}
		})
	}
}

func TestCitizenIDFields(t *testing.T) {
	c, err := ParseCitizenID("11010519491231002X", today)
	if err != nil {
		t.Fatal(err)
	}
	if c.Region != "110105" || c.Birth.Format("2006-01-02") != "1949-12-31" || c.Male() {
		t.Errorf("got %+v male=%v", c, c.Male())
	}
	if m := MaskCitizenID(c.Number); m != "110105********002X" {
		t.Errorf("mask = %q", m)
	}
}

func TestCitizenIDCheckReason(t *testing.T) {
	_, err := ParseCitizenID("110105194912310021", today)
	e := apperr.As(err)
	if e.Args["want"] != "X" || e.Args["got"] != "1" {
		t.Errorf("args = %v", e.Args)
	}
}

func TestCreditCode(t *testing.T) {
	tests := []struct{ in, key string }{
		{"91350100M000100Y43", ""},
		{"9135052155323005XL", ""},
		{"91350100M000100Y44", "codes.credit_code.check"},
		{"9135052155323005XM", "codes.credit_code.check"},
		{"91350100M000100Z43", "codes.credit_code.char"},      // Z not in the alphabet
		{"91350100M000100Y53", "codes.credit_code.org_check"}, // embedded GB 11714 check broken
		{"9135052155323006XL", "codes.credit_code.org_check"},
		{"B1350100M000100Y43", "codes.credit_code.authority"},
		{"91990100M000100Y43", "codes.credit_code.division"},
		{"91350100m000100Y43", "codes.credit_code.char"},
		{"91350100M000100Y4", "codes.credit_code.length"},
		{"91350100I000100Y43", "codes.credit_code.char"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := ParseCreditCode(tt.in)
			if tt.key == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			if !apperr.Is(err, apperr.Invalid, tt.key) {
				t.Fatalf("want %s, got %v", tt.key, err)
			}
		})
	}
}

func TestCompleteCreditCode(t *testing.T) {
	for _, prefix := range []string{"91350100M000100Y", "9135052155323005", "11500102MB000001"} {
		code, err := CompleteCreditCode(prefix)
		if err != nil {
			t.Fatalf("%s: %v", prefix, err)
		}
		if _, err := ParseCreditCode(code); err != nil {
			t.Errorf("%s → %s does not validate: %v", prefix, code, err)
		}
	}
}

// GB 32100 §5: a check value of 31 maps to 0. Find a body whose sum is a
// multiple of 31 and confirm the mapping rather than trusting the formula.
func TestCreditCodeCheckWrapsToZero(t *testing.T) {
	found := false
	for i := 0; i < 10000 && !found; i++ {
		body := "9150010200" + strings.Repeat("0", 6-len(itoa(i))) + itoa(i)
		c17, err := OrgCodeCheck(body[8:16])
		if err != nil || strings.IndexByte(creditAlphabet, c17) < 0 {
			continue
		}
		first := body + string(rune(c17))
		sum := 0
		for j := 0; j < 17; j++ {
			sum += strings.IndexByte(creditAlphabet, first[j]) * creditWeights[j]
		}
		if sum%31 == 0 {
			found = true
			if c, _ := CreditCodeCheck(first); c != '0' {
				t.Fatalf("sum %% 31 == 0 must give check 0, got %c", c)
			}
		}
	}
	if !found {
		t.Fatal("no body with sum divisible by 31 found")
	}
}

func itoa(i int) string {
	const d = "0123456789"
	if i < 10 {
		return d[i : i+1]
	}
	return itoa(i/10) + d[i%10:i%10+1]
}

func TestDivision(t *testing.T) {
	tests := []struct {
		in, key string
		level   int
	}{
		{"500102", "", 3},
		{"500000", "", 1},
		{"500100", "", 2},
		{"110105", "", 3},
		{"810000", "", 1},
		{"500102001001", "", 5},
		{"500102100000", "", 4},
		{"500102000000", "", 3},
		{"500102450501", "", 5},
		{"509999", "codes.division.unknown", 0},
		{"50010", "codes.division.length", 0},
		{"50010a", "codes.division.digit", 0},
		{"500102700001", "codes.division.township", 0},
		{"500102100600", "codes.division.village", 0},
		{"500102000001", "codes.division.village_without_township", 0},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			d, err := ParseDivision(tt.in)
			if tt.key == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				if d.Level() != tt.level {
					t.Errorf("level = %d, want %d", d.Level(), tt.level)
				}
				return
			}
			if !apperr.Is(err, apperr.Invalid, tt.key) {
				t.Fatalf("want %s, got %v", tt.key, err)
			}
		})
	}
	if n, _ := DivisionName("500102"); n != "涪陵区" {
		t.Errorf("500102 = %q", n)
	}
}

var realLicenceIDs = []string{
	"1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U",
	"1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.0",
	"1.2.156.3005.2.11100000MB03271699022.340100.000000016.001.9",
}

func TestLicenceIDReal(t *testing.T) {
	for _, id := range realLicenceIDs {
		if _, err := ParseLicenceID(id); err != nil {
			t.Errorf("%s: %v", id, err)
		}
	}
}

func TestLicenceIDTampered(t *testing.T) {
	tests := []struct{ in, key string }{
		{strings.Replace(realLicenceIDs[0], ".U", ".V", 1), "codes.licence_id.check"},
		{strings.Replace(realLicenceIDs[0], "20230000403", "20230000404", 1), "codes.licence_id.check"},
		{strings.Replace(realLicenceIDs[1], ".002.", ".003.", 1), "codes.licence_id.check"},
		{strings.Replace(realLicenceIDs[2], "340100", "340102", 1), "codes.licence_id.check"},
		{strings.Replace(realLicenceIDs[0], "1.2.156.3005.2.", "1.2.156.3005.1.", 1), "codes.licence_id.prefix"},
		{strings.Replace(realLicenceIDs[0], ".001.", ".1.", 1), "codes.licence_id.version"},
		{strings.Replace(realLicenceIDs[0], ".U", "", 1), "codes.licence_id.parts"},
		{strings.Replace(realLicenceIDs[0], ".U", ".UU", 1), "codes.licence_id.check_length"},
		{strings.Replace(realLicenceIDs[0], "11100000000013338W011", "11100000000013338W01", 1), "codes.licence_id.type_length"},
		{strings.Replace(realLicenceIDs[0], "11430000006122244L", "11430000006122244M", 1), "codes.licence_id.issuer"},
		{strings.Replace(realLicenceIDs[0], "20230000403", "2023-403", 1), "codes.licence_id.char"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := ParseLicenceID(tt.in)
			if !apperr.Is(err, apperr.Invalid, tt.key) {
				t.Fatalf("want %s, got %v", tt.key, err)
			}
		})
	}
}

func TestNewLicenceIDRoundTrip(t *testing.T) {
	l, err := NewLicenceID("11100000000013338W032", "11500102MB0000017X", "2026000001", "001")
	if err == nil {
		t.Fatalf("issuer with a bad check must be refused, got %v", l)
	}
	issuer, _ := CompleteCreditCode("11500102MB000001")
	l, err = NewLicenceID("11100000000013338W032", issuer, "2026000001", "001")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseLicenceID(l.ID); err != nil {
		t.Fatal(err)
	}
}

func TestDetectAndCheck(t *testing.T) {
	tests := []struct {
		in   string
		kind Kind
		ok   bool
	}{
		{"11010519491231002X", KindCitizenID, true},
		{"110105194912310021", KindCitizenID, false},
		{"91350100M000100Y43", KindCreditCode, true},
		{"91350100M000100Y44", KindCreditCode, false},
		{"500102", KindDivision, true},
		{"500102001001", KindDivision, true},
		{realLicenceIDs[1], KindLicenceID, true},
		{"hello", KindUnknown, false},
	}
	for _, tt := range tests {
		kind, err := Check(tt.in, "", today)
		if kind != tt.kind || (err == nil) != tt.ok {
			t.Errorf("Check(%q) = %s, %v; want %s ok=%v", tt.in, kind, err, tt.kind, tt.ok)
		}
	}
}

func TestDivisionCovers(t *testing.T) {
	tests := []struct {
		outer, inner string
		want         bool
	}{
		{"500000", "500102", true},
		{"500000", "500102100201", true},
		{"500100", "500102", true},
		{"500102", "500102100201", true},
		{"500102100000", "500102100201", true},
		{"500102100000", "500102101201", false}, // a sibling town
		{"500102100000", "500102100000", true},
		{"500102", "500101", false},
		{"500102100201", "500102100201", true},
		{"500102100201", "500102100202", false},
		{"110000", "500102", false},
	}
	for _, tt := range tests {
		if got := DivisionCovers(tt.outer, tt.inner); got != tt.want {
			t.Errorf("DivisionCovers(%s, %s) = %v", tt.outer, tt.inner, got)
		}
	}
}

func TestItemCodes(t *testing.T) {
	// STANDARDS.md §1.4's published example.
	ic, err := ParseImplCode("11370800MB285591843370117002011")
	if err != nil {
		t.Fatal(err)
	}
	if ic.Agency.Code != "11370800MB28559184" || ic.Level != 3 || ic.Basic.Code != "370117002011" || ic.Basic.Type != "01" || ic.Basic.Main != "17002" || ic.Basic.Sub != "011" {
		t.Errorf("parsed %+v", ic)
	}
	bad := []struct{ code, key string }{
		{"1137080MB285591843370117002011", "codes.impl_code.length"},
		{"11370800MB285591853370117002011", "codes.impl_code.agency"}, // wrong check character
		{"11370800MB285591848370117002011", "codes.impl_code.level"},
		{"11370800MB28559184337011700201X", "codes.impl_code.basic"},
	}
	for _, b := range bad {
		if _, err := ParseImplCode(b.code); !apperr.Is(err, apperr.Invalid, b.key) {
			t.Errorf("%s: %v, want %s", b.code, err, b.key)
		}
	}
	for _, b := range []struct{ code, key string }{{"50010010100", "codes.basic_code.length"}, {"5001001010a1", "codes.basic_code.digit"}} {
		if _, err := ParseBasicCode(b.code); !apperr.Is(err, apperr.Invalid, b.key) {
			t.Errorf("%s: %v", b.code, err)
		}
	}
	if ic, err := NewImplCode("11370800MB28559184", 3, "370117002011"); err != nil || ic.Code != "11370800MB285591843370117002011" {
		t.Errorf("compose: %v %v", ic, err)
	}
	if _, err := NewImplCode("11370800MB28559184", 8, "370117002011"); !apperr.Is(err, apperr.Invalid, "codes.impl_code.level") {
		t.Errorf("level 8: %v", err)
	}
}
