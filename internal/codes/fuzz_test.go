package codes

import (
	"testing"

	"github.com/tongban/tongban/internal/apperr"
)

// The parsers face outside input: they must never panic, must classify every
// rejection as Invalid with a message key, and what they accept must be
// stable (re-parsing the canonical form succeeds with the same result).

func FuzzParseCitizenID(f *testing.F) {
	for _, s := range []string{"11010519491231002X", "440524188001010014", "", "x", "11010519491231002", "１１０"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCitizenID(s, today)
		if err != nil {
			mustBeInvalid(t, err)
			return
		}
		if again, err := ParseCitizenID(c.Number, today); err != nil || again != c {
			t.Fatalf("canonical form %q does not re-parse: %v", c.Number, err)
		}
	})
}

func FuzzParseCreditCode(f *testing.F) {
	for _, s := range []string{"91350100M000100Y43", "9135052155323005XL", "", "91350100M000100Y4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCreditCode(s)
		if err != nil {
			mustBeInvalid(t, err)
			return
		}
		if full, err := CompleteCreditCode(s[:16]); err != nil || full != c.Code {
			t.Fatalf("CompleteCreditCode(%q) = %q, %v", s[:16], full, err)
		}
	})
}

func FuzzParseDivision(f *testing.F) {
	for _, s := range []string{"500102", "500102001001", "000000", "999999999999", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDivision(s)
		if err != nil {
			mustBeInvalid(t, err)
			return
		}
		if lv := d.Level(); lv < 1 || lv > 5 {
			t.Fatalf("level %d", lv)
		}
	})
}

func FuzzParseLicenceID(f *testing.F) {
	for _, s := range realLicenceIDs {
		f.Add(s)
	}
	f.Add("1.2.156.3005.2.....")
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseLicenceID(s)
		if err != nil {
			mustBeInvalid(t, err)
			return
		}
		again, err := NewLicenceID(l.TypeCode, l.Issuer, l.Serial, l.Version)
		if err != nil || again.ID != s {
			t.Fatalf("rebuild of %q gave %q, %v", s, again.ID, err)
		}
	})
}

func mustBeInvalid(t *testing.T, err error) {
	t.Helper()
	e := apperr.As(err)
	if e.Code != apperr.Invalid || e.Key == "" {
		t.Fatalf("rejection not classified: %v", err)
	}
}

func FuzzParseImplCode(f *testing.F) {
	for _, s := range []string{"11370800MB285591843370117002011", "", "11370800MB28559184337011700201", "１１３７"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseImplCode(s)
		if err != nil {
			mustBeInvalid(t, err)
			return
		}
		if again, err := NewImplCode(c.Agency.Code, c.Level, c.Basic.Code); err != nil || again != c {
			t.Fatalf("%q does not recompose: %v", s, err)
		}
	})
}
