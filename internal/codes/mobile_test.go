package codes

import (
	"testing"

	"github.com/tongban/tongban/internal/apperr"
)

func TestParseMobile(t *testing.T) {
	for _, x := range []struct{ in, want string }{
		{"13800138000", "13800138000"},
		{" 138 0013 8000 ", "13800138000"},
		{"138-0013-8000", "13800138000"},
		{"+8613800138000", "13800138000"},
		{"008619912345678", "19912345678"},
		{"12800138000", ""},  // 12x is not allocated to mobiles
		{"1380013800", ""},   // 10 digits
		{"138001380001", ""}, // 12 digits
		{"1380013800a", ""},
		{"+85213800138000", ""},
		{"", ""},
		{"８６13800138000", ""}, // full-width digits are not digits here
	} {
		got, err := ParseMobile(x.in)
		if x.want == "" {
			if !apperr.Is(err, apperr.Invalid, "codes.mobile") {
				t.Errorf("ParseMobile(%q) = %q, %v; want codes.mobile", x.in, got, err)
			}
			continue
		}
		if err != nil || got != x.want {
			t.Errorf("ParseMobile(%q) = %q, %v; want %q", x.in, got, err, x.want)
		}
	}
	if m := MaskMobile("13800138000"); m != "138****8000" {
		t.Errorf("MaskMobile = %q", m)
	}
}

func FuzzParseMobile(f *testing.F) {
	for _, s := range []string{"13800138000", "+8613800138000", "0086 138", "１３８"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseMobile(s)
		if err != nil {
			return
		}
		again, err := ParseMobile(got)
		if err != nil || again != got || len(got) != 11 {
			t.Fatalf("%q → %q → %q, %v", s, got, again, err)
		}
	})
}
